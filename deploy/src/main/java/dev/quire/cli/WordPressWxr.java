package dev.quire.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Reads a WordPress export (WXR, the RSS 2.0 dialect of Tools → Export, versions 1.0 to 1.2) with
 * the JDK's StAX parser, streaming, with DTDs and external entities switched off (no XXE, no entity
 * expansion bombs). It keeps what a migration needs and counts what it leaves.
 */
final class WordPressWxr {

  /** The export: its site, authors by login, and every item (posts, pages, attachments...). */
  record Export(
      String title, String link, Map<String, String> authors, List<Item> items, int comments) {}

  /** One {@code <item>}; {@code line} is where it starts in the file. */
  record Item(
      long id,
      String type,
      String title,
      String link,
      String slug,
      String status,
      Instant date,
      String creator,
      List<String> categories,
      List<String> tags,
      List<Term> terms,
      String content,
      String excerpt,
      Long thumbnailId,
      String attachmentUrl,
      String attachedFile,
      int comments,
      int line,
      String altText,
      boolean passwordProtected) {}

  /**
   * A category ({@code domain} "category") or tag ("post_tag") of an item as WordPress named it in
   * its URLs: {@code slug} is the term's {@code nicename} ({@code /category/<slug>/}), empty when
   * the export gave none.
   */
  record Term(String domain, String name, String slug) {}

  /** The file is not a WXR export this reader can use; the message names the line. */
  static final class Unreadable extends Exception {
    Unreadable(Path file, int line, String message) {
      super(file + (line > 0 ? ":" + line : "") + ": " + message);
    }
  }

  private static final String CONTENT_NS = "http://purl.org/rss/1.0/modules/content/";
  private static final String DC_NS = "http://purl.org/dc/elements/1.1/";
  private static final String WP_NS_PREFIX = "http://wordpress.org/export/";
  private static final DateTimeFormatter WP_DATE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
  private static final String NO_DATE = "0000-00-00 00:00:00";

  private WordPressWxr() {}

  /**
   * As {@link #read(Path, long, int)} with {@code quire.cli.wordpress.max-text-chars}'s default.
   */
  static Export read(Path file, long maxBytes) throws IOException, Unreadable {
    return read(file, maxBytes, DEFAULT_MAX_TEXT);
  }

  /** {@code quire.cli.wordpress.max-text-chars}'s default. */
  static final int DEFAULT_MAX_TEXT = 4 * 1024 * 1024;

  /**
   * The export in {@code file}, at most {@code maxBytes}. No element's text, and no stretch of the
   * file without markup (an attribute's value), may be longer than {@code maxText}: the parser
   * holds such a stretch whole, and one of 20 MB in an export within the size limit ran the heap
   * out (the longest body a site takes is 262,144 characters).
   */
  static Export read(Path file, long maxBytes, int maxText) throws IOException, Unreadable {
    long size = Files.size(file);
    if (size > maxBytes) {
      throw new Unreadable(
          file,
          0,
          "the file is "
              + size
              + " bytes, more than quire.cli.wordpress.max-file-bytes ("
              + maxBytes
              + "; its items are held while they are checked: raise it together with the heap,"
              + " QUIRE_HEAP)");
    }
    XMLInputFactory factory = XMLInputFactory.newFactory();
    factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    factory.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
    // Text comes in pieces (a CDATA section too, in pieces of this many characters), which the
    // parser's reading of each element bounds (Parser.text).
    factory.setProperty(XMLInputFactory.IS_COALESCING, false);
    try {
      factory.setProperty("jdk.xml.cdataChunkSize", CDATA_CHUNK);
    } catch (IllegalArgumentException e) {
      // Another StAX implementation: CDATA comes whole, still bounded by the markup runs below.
    }
    try (MarkupRuns in = new MarkupRuns(Files.newInputStream(file), maxText)) {
      XMLStreamReader r = null;
      try {
        r = factory.createXMLStreamReader(in);
        return new Parser(file, r, maxText).export();
      } catch (XMLStreamException e) {
        // The reader wraps the stream's refusal as any other failure to read.
        if (in.overAt() > 0) {
          throw new Unreadable(file, in.overAt(), in.overMessage());
        }
        if (r == null) {
          throw new Unreadable(file, 0, "not XML: " + firstLine(e.getMessage()));
        }
        int line = e.getLocation() == null ? 0 : e.getLocation().getLineNumber();
        throw new Unreadable(file, line, "not well-formed XML: " + firstLine(e.getMessage()));
      } finally {
        if (r != null) {
          try {
            r.close();
          } catch (XMLStreamException e) {
            // Closing a reader that failed: nothing more to say.
          }
        }
      }
    }
  }

  private static final int CDATA_CHUNK = 64 * 1024;

  /**
   * The file as read, refusing a stretch of more than {@code max} bytes without a {@code <}: an
   * attribute's value (which holds none) or a text that long, which the parser would hold whole.
   * Where it stopped is kept for the message, since the parser reports the failure its own way.
   */
  static final class MarkupRuns extends java.io.FilterInputStream {
    private final long max;
    private long run;
    private int line = 1;
    private int overAt;

    MarkupRuns(InputStream in, long max) {
      super(in);
      this.max = max;
    }

    int overAt() {
      return overAt;
    }

    String overMessage() {
      return "more than "
          + max
          + " bytes without markup (an attribute's value, an element's text, a comment):"
          + " at most quire.cli.wordpress.max-text-chars; the longest body a site takes is far"
          + " shorter";
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        see((byte) b);
      }
      return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
      int n = super.read(buf, off, len);
      for (int i = off; i < off + n; i++) {
        see(buf[i]);
      }
      return n;
    }

    private void see(byte b) throws IOException {
      last = (last << 8) | (b & 0xff);
      if (b == '\n') {
        line++;
      }
      // A comment or a processing instruction is held whole by the parser too, '<' or not.
      if (inside != 0) {
        boolean ends =
            inside == COMMENT ? (last & 0xffffff) == COMMENT_END : (last & 0xffff) == PI_END;
        if (ends) {
          inside = 0;
          run = 0;
          return;
        }
        over();
        return;
      }
      if (last == COMMENT_START) {
        inside = COMMENT;
      } else if ((last & 0xffff) == PI_START) {
        inside = PI;
      }
      if (b == '<') {
        run = 0;
        return;
      }
      over();
    }

    private void over() throws IOException {
      if (++run > max) {
        if (overAt == 0) {
          overAt = line;
        }
        throw new IOException(overMessage());
      }
    }

    private static final int COMMENT = 1;
    private static final int PI = 2;
    private static final int COMMENT_START = ('<' << 24) | ('!' << 16) | ('-' << 8) | '-';
    private static final int COMMENT_END = ('-' << 16) | ('-' << 8) | '>';
    private static final int PI_START = ('<' << 8) | '?';
    private static final int PI_END = ('?' << 8) | '>';
    private int last;
    private int inside;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    String t = s.strip();
    int nl = t.lastIndexOf('\n');
    return nl >= 0 ? t.substring(nl + 1).strip() : t;
  }

  /**
   * Element names as WXR writes them: {@code wp:post_id}, {@code content:encoded}, {@code title}.
   */
  private static String key(XMLStreamReader r) {
    String ns = r.getNamespaceURI() == null ? "" : r.getNamespaceURI();
    String local = r.getLocalName();
    if (ns.equals(CONTENT_NS)) {
      return "content:" + local;
    } else if (ns.equals(DC_NS)) {
      return "dc:" + local;
    } else if (ns.startsWith(WP_NS_PREFIX) && ns.endsWith("/excerpt/")) {
      return "excerpt:" + local;
    } else if (ns.startsWith(WP_NS_PREFIX)) {
      return "wp:" + local;
    }
    return ns.isEmpty() ? local : "{" + ns + "}" + local;
  }

  private static final class Parser {
    private final Path file;
    private final XMLStreamReader r;
    private String title = "";
    private String link = "";
    private final Map<String, String> authors = new LinkedHashMap<>();
    private final List<Item> items = new ArrayList<>();
    private int comments;
    private boolean sawChannel;

    private final int maxText;

    Parser(Path file, XMLStreamReader r, int maxText) {
      this.file = file;
      this.r = r;
      this.maxText = maxText;
    }

    /**
     * The text of the element the reader is at the start of, as {@code getElementText} reads it,
     * but refused past {@code maxText} characters (the reader gives it in pieces).
     */
    private String text() throws XMLStreamException, Unreadable {
      String element = key(r);
      int at = line();
      StringBuilder b = new StringBuilder();
      while (true) {
        int ev = r.next();
        switch (ev) {
          case XMLStreamConstants.CHARACTERS,
              XMLStreamConstants.CDATA,
              XMLStreamConstants.SPACE,
              XMLStreamConstants.ENTITY_REFERENCE -> {
            int len = r.getTextLength();
            if ((long) b.length() + len > maxText) {
              throw new Unreadable(
                  file,
                  at,
                  "<"
                      + element
                      + "> holds more than "
                      + maxText
                      + " characters of text (quire.cli.wordpress.max-text-chars); the longest"
                      + " body a site takes is far shorter");
            }
            b.append(r.getTextCharacters(), r.getTextStart(), len);
          }
          case XMLStreamConstants.END_ELEMENT -> {
            return b.toString();
          }
          case XMLStreamConstants.START_ELEMENT ->
              throw new XMLStreamException(
                  "<" + element + "> holds an element where only text belongs", r.getLocation());
          case XMLStreamConstants.END_DOCUMENT ->
              throw new XMLStreamException(
                  "the file ends inside <" + element + ">", r.getLocation());
          default -> {
            // A comment or a processing instruction: not text.
          }
        }
      }
    }

    Export export() throws XMLStreamException, Unreadable {
      while (r.hasNext()) {
        int ev = r.next();
        if (ev == XMLStreamConstants.DTD) {
          throw new Unreadable(
              file,
              line(),
              "a <!DOCTYPE> declaration: WordPress exports have none, and entities it could"
                  + " declare are not expanded; remove it");
        }
        if (ev == XMLStreamConstants.START_ELEMENT) {
          String k = key(r);
          if (k.equals("rss")) {
            continue;
          }
          if (k.equals("channel")) {
            sawChannel = true;
            channel();
          } else {
            throw new Unreadable(file, line(), "expected <rss><channel>, found <" + k + ">");
          }
        }
      }
      if (!sawChannel) {
        throw new Unreadable(file, 0, "no <channel>: this is not a WordPress export");
      }
      return new Export(title, link, authors, items, comments);
    }

    private int line() {
      return r.getLocation() == null ? 0 : r.getLocation().getLineNumber();
    }

    private void channel() throws XMLStreamException, Unreadable {
      while (r.hasNext()) {
        int ev = r.next();
        if (ev == XMLStreamConstants.END_ELEMENT) {
          return;
        }
        if (ev != XMLStreamConstants.START_ELEMENT) {
          continue;
        }
        switch (key(r)) {
          case "title" -> title = text().strip();
          case "link" -> link = text().strip();
          case "wp:author" -> author();
          case "item" -> items.add(item());
          default -> skip();
        }
      }
    }

    private void author() throws XMLStreamException, Unreadable {
      String login = null;
      String display = null;
      while (r.hasNext()) {
        int ev = r.next();
        if (ev == XMLStreamConstants.END_ELEMENT) {
          break;
        }
        if (ev == XMLStreamConstants.START_ELEMENT) {
          switch (key(r)) {
            case "wp:author_login" -> login = text().strip();
            case "wp:author_display_name" -> display = text().strip();
            default -> skip();
          }
        }
      }
      if (login != null && !login.isEmpty()) {
        authors.put(login, display == null || display.isEmpty() ? login : display);
      }
    }

    private Item item() throws XMLStreamException, Unreadable {
      int line = line();
      Map<String, String> f = new LinkedHashMap<>();
      List<String> categories = new ArrayList<>();
      List<String> tags = new ArrayList<>();
      List<Term> terms = new ArrayList<>();
      Map<String, String> meta = new LinkedHashMap<>();
      int itemComments = 0;
      while (r.hasNext()) {
        int ev = r.next();
        if (ev == XMLStreamConstants.END_ELEMENT) {
          break;
        }
        if (ev != XMLStreamConstants.START_ELEMENT) {
          continue;
        }
        String k = key(r);
        switch (k) {
          case "category" -> {
            String domain = r.getAttributeValue(null, "domain");
            String nicename = r.getAttributeValue(null, "nicename");
            String name = text().strip();
            if ("post_tag".equals(domain)) {
              tags.add(name);
            } else if ("category".equals(domain)) {
              categories.add(name);
            }
            if ("post_tag".equals(domain) || "category".equals(domain)) {
              terms.add(new Term(domain, name, nicename == null ? "" : nicename.strip()));
            }
          }
          case "wp:postmeta" -> postmeta(meta);
          case "wp:comment" -> {
            itemComments++;
            skip();
          }
          case "title",
              "link",
              "pubDate",
              "dc:creator",
              "content:encoded",
              "excerpt:encoded",
              "wp:post_id",
              "wp:post_date",
              "wp:post_date_gmt",
              "wp:post_name",
              "wp:status",
              "wp:post_password",
              "wp:post_type",
              "wp:attachment_url" ->
              f.put(k, text());
          default -> skip();
        }
      }
      comments += itemComments;
      long id;
      try {
        id = Long.parseLong(f.getOrDefault("wp:post_id", "").strip());
      } catch (NumberFormatException e) {
        throw new Unreadable(file, line, "<item> without a numeric <wp:post_id>");
      }
      Long thumbnail = null;
      String thumb = meta.get("_thumbnail_id");
      if (thumb != null && thumb.strip().matches("\\d{1,18}")) {
        thumbnail = Long.parseLong(thumb.strip());
      }
      return new Item(
          id,
          f.getOrDefault("wp:post_type", "post").strip(),
          f.getOrDefault("title", "").strip(),
          f.getOrDefault("link", "").strip(),
          f.getOrDefault("wp:post_name", "").strip(),
          f.getOrDefault("wp:status", "").strip(),
          date(f, line),
          f.getOrDefault("dc:creator", "").strip(),
          categories,
          tags,
          List.copyOf(terms),
          f.getOrDefault("content:encoded", ""),
          f.getOrDefault("excerpt:encoded", ""),
          thumbnail,
          f.getOrDefault("wp:attachment_url", "").strip(),
          meta.getOrDefault("_wp_attached_file", "").strip(),
          itemComments,
          line,
          // An image's alternative text, as its media library holds it.
          meta.getOrDefault("_wp_attachment_image_alt", "").strip(),
          // WordPress shows such a post's text only to visitors who give its password.
          !f.getOrDefault("wp:post_password", "").isEmpty());
    }

    /** GMT date when WordPress recorded one (drafts often have none), else the local, else RSS. */
    private Instant date(Map<String, String> f, int line) throws Unreadable {
      for (String k : List.of("wp:post_date_gmt", "wp:post_date")) {
        String v = f.getOrDefault(k, "").strip();
        if (!v.isEmpty() && !v.equals(NO_DATE)) {
          try {
            return LocalDateTime.parse(v, WP_DATE).toInstant(ZoneOffset.UTC);
          } catch (DateTimeParseException e) {
            throw new Unreadable(file, line, "<" + k + "> '" + v + "' is not yyyy-MM-dd HH:mm:ss");
          }
        }
      }
      String rss = f.getOrDefault("pubDate", "").strip();
      if (!rss.isEmpty()) {
        try {
          return ZonedDateTime.parse(rss, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
          return null;
        }
      }
      return null;
    }

    private void postmeta(Map<String, String> meta) throws XMLStreamException, Unreadable {
      String k = null;
      String v = null;
      while (r.hasNext()) {
        int ev = r.next();
        if (ev == XMLStreamConstants.END_ELEMENT) {
          break;
        }
        if (ev == XMLStreamConstants.START_ELEMENT) {
          switch (key(r)) {
            case "wp:meta_key" -> k = text().strip();
            case "wp:meta_value" -> v = text();
            default -> skip();
          }
        }
      }
      if (k != null && v != null) {
        meta.put(k, v);
      }
    }

    /** Skips the element just started, children included. */
    private void skip() throws XMLStreamException {
      int depth = 1;
      while (depth > 0 && r.hasNext()) {
        int ev = r.next();
        if (ev == XMLStreamConstants.START_ELEMENT) {
          depth++;
        } else if (ev == XMLStreamConstants.END_ELEMENT) {
          depth--;
        }
      }
    }
  }
}
