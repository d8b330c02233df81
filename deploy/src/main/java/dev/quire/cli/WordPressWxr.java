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
      String altText) {}

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

  static Export read(Path file, long maxBytes) throws IOException, Unreadable {
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
    factory.setProperty(XMLInputFactory.IS_COALESCING, true);
    try (InputStream in = Files.newInputStream(file)) {
      XMLStreamReader r = factory.createXMLStreamReader(in);
      try {
        return new Parser(file, r).export();
      } catch (XMLStreamException e) {
        int line = e.getLocation() == null ? 0 : e.getLocation().getLineNumber();
        throw new Unreadable(file, line, "not well-formed XML: " + firstLine(e.getMessage()));
      } finally {
        r.close();
      }
    } catch (XMLStreamException e) {
      throw new Unreadable(file, 0, "not XML: " + firstLine(e.getMessage()));
    }
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

    Parser(Path file, XMLStreamReader r) {
      this.file = file;
      this.r = r;
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
          case "title" -> title = r.getElementText().strip();
          case "link" -> link = r.getElementText().strip();
          case "wp:author" -> author();
          case "item" -> items.add(item());
          default -> skip();
        }
      }
    }

    private void author() throws XMLStreamException {
      String login = null;
      String display = null;
      while (r.hasNext()) {
        int ev = r.next();
        if (ev == XMLStreamConstants.END_ELEMENT) {
          break;
        }
        if (ev == XMLStreamConstants.START_ELEMENT) {
          switch (key(r)) {
            case "wp:author_login" -> login = r.getElementText().strip();
            case "wp:author_display_name" -> display = r.getElementText().strip();
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
            String name = r.getElementText().strip();
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
              "wp:post_type",
              "wp:attachment_url" ->
              f.put(k, r.getElementText());
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
          meta.getOrDefault("_wp_attachment_image_alt", "").strip());
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

    private void postmeta(Map<String, String> meta) throws XMLStreamException {
      String k = null;
      String v = null;
      while (r.hasNext()) {
        int ev = r.next();
        if (ev == XMLStreamConstants.END_ELEMENT) {
          break;
        }
        if (ev == XMLStreamConstants.START_ELEMENT) {
          switch (key(r)) {
            case "wp:meta_key" -> k = r.getElementText().strip();
            case "wp:meta_value" -> v = r.getElementText();
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
