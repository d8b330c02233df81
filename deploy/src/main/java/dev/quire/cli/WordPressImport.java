package dev.quire.cli;

import com.vladsch.flexmark.html2md.converter.FlexmarkHtmlConverter;
import com.vladsch.flexmark.util.data.MutableDataSet;
import dev.quire.gateway.media.MediaStore;
import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentRules;
import dev.quire.protocol.FieldError;
import dev.quire.protocol.RedirectRule;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * Turns a WordPress export into what Quire stores, before anything is written: posts and pages as
 * import entries (HTML converted to Markdown with flexmark's html2md converter), the uploaded files
 * the export points at (found under the {@code wp-content/uploads} copy the user gives) as media,
 * and every old permalink as a redirect. Problems are collected, never half-applied.
 */
final class WordPressImport {

  /** A media file to store: where it is on disk and the site URL it will have. */
  record MediaFile(Path file, String contentType, String filename, String sha256, String url) {}

  record Plan(
      List<MarkdownFolder.Entry> entries,
      List<MediaFile> media,
      List<RedirectRule> redirects,
      List<MarkdownFolder.Problem> problems,
      List<String> warnings,
      Map<String, Integer> skipped,
      int comments,
      int attachments) {}

  private static final String UPLOADS = "/wp-content/uploads/";

  /**
   * A shortcode or caption tag: its attributes end at a {@code ]} or at the next {@code [} (an
   * unclosed one no longer scans to the end of the text from each: 80,000 characters of "[caption "
   * took 2.9 s, quadratic, until 2026-12-07).
   */
  static final Pattern SHORTCODE = Pattern.compile("\\[/?[a-z_][a-z0-9_-]*(?:\\s[^\\]\\[]*)?]");

  static final Pattern CAPTION = Pattern.compile("\\[/?caption(?:\\s[^\\]\\[]*)?]");
  private static final Pattern BLOCK_TAG =
      Pattern.compile(
          "<(p|div|h[1-6]|ul|ol|table|blockquote|pre|figure)[\\s>]", Pattern.CASE_INSENSITIVE);
  private static final Pattern NOT_TAG_CHARS = Pattern.compile("[^\\p{L}\\p{N}\\-_. ]+");

  /** A run of separators, or one that is not between two letters or digits. */
  private static final Pattern NOT_SEPARATORS = Pattern.compile("[-_. ]{2,}");

  private static final Set<String> DEFAULT_CATEGORIES = Set.of("uncategorized");

  /** "C++", "Notepad++": spelled "Cpp", as their users write them in file names. */
  private static final Pattern AFTER_WORD_PLUSES = Pattern.compile("(?<=[\\p{L}\\p{N}])\\+\\+");

  /** "C#", "F#": spelled "Csharp", "Fsharp". */
  private static final Pattern AFTER_WORD_HASH = Pattern.compile("(?<=[\\p{L}\\p{N}])#");

  private static final Pattern AMPERSAND = Pattern.compile("\\s*&\\s*");

  /** An apostrophe inside a word ("what's new"): dropped, not a space between two words. */
  private static final Pattern APOSTROPHE = Pattern.compile("(?<=\\p{L})['\u2019](?=\\p{L})");

  /** Tags (and pairs of them) this import has warned about: each is said once. */
  private final Set<String> warnedTags = new HashSet<>();

  /** The site's Atom feed, and each tag's under its page. */
  private static final String FEED = "/feed.xml";

  private static final Pattern LANGUAGE =
      Pattern.compile("(?:^|\\s)(?:language-|lang-|brush:\\s*)([a-z0-9+#-]{1,20})");

  /** Marks a code block without a language through the converter; removed after it. */
  private static final String PLAIN_CODE = "quire-plain-code";

  private final ContentRules rules;
  private final Path mediaDir;
  private final Instant now;
  private final FlexmarkHtmlConverter html2md =
      FlexmarkHtmlConverter.builder(
              new MutableDataSet().set(FlexmarkHtmlConverter.SETEXT_HEADINGS, false))
          .build();

  /** {@code mediaDir}: the export's {@code wp-content/uploads} folder, or null. */
  WordPressImport(ContentRules rules, Path mediaDir, Instant now) {
    this.rules = rules;
    this.mediaDir = mediaDir == null ? null : mediaDir.toAbsolutePath().normalize();
    this.now = now;
  }

  Plan plan(Path file, WordPressWxr.Export wxr) throws IOException {
    List<MarkdownFolder.Entry> entries = new ArrayList<>();
    List<MarkdownFolder.Problem> problems = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    Map<String, Integer> skipped = new LinkedHashMap<>();
    Map<String, MediaFile> media = new LinkedHashMap<>(); // by the uploads path
    Map<String, RedirectRule> redirects = new LinkedHashMap<>();
    Map<Long, WordPressWxr.Item> attachments = new HashMap<>();
    Set<String> slugs = new HashSet<>();
    int missingFiles = 0;
    int shortcodes = 0;
    boolean anyPublished = false;
    boolean feedPage = false; // an imported page at /feed/, which a redirect there would hide

    for (WordPressWxr.Item i : wxr.items()) {
      if (i.type().equals("attachment")) {
        attachments.put(i.id(), i);
        // Every attachment whose file was given is kept, used or not.
        String path = uploadsPath(i);
        if (path != null && mediaFile(path, media) == null && mediaDir != null) {
          missingFiles++;
        }
      }
    }
    for (WordPressWxr.Item i : wxr.items()) {
      if (!i.type().equals("post") && !i.type().equals("page")) {
        if (!i.type().equals("attachment")) {
          skipped.merge("type " + i.type(), 1, Integer::sum);
        }
        continue;
      }
      String status = i.status();
      boolean draft;
      Instant publishAt = null;
      switch (status) {
        case "publish" -> {
          draft = false;
          // Published since its WordPress date, as a Markdown file's past publish_date is: it
          // counted as published at the import, and feeds named the import's day.
          publishAt = i.date() != null && !i.date().isAfter(now) ? i.date() : null;
        }
        case "future" -> {
          draft = false;
          publishAt = i.date() != null ? i.date() : now;
        }
        case "draft", "pending" -> draft = true;
        case "private" -> {
          draft = true;
          warnings.add(
              where(file, i) + "private, imported as a draft (Quire has no private items)");
        }
        default -> {
          skipped.merge("status " + (status.isEmpty() ? "(none)" : status), 1, Integer::sum);
          continue;
        }
      }
      if (i.passwordProtected() && !draft) {
        // Published here, its text would be public: what the password kept from visitors.
        draft = true;
        publishAt = null;
        warnings.add(
            where(file, i)
                + "protected by a password, imported as a draft (Quire has no password-protected"
                + " items; publish it once its text may be public)");
      }
      ContentKind kind = i.type().equals("page") ? ContentKind.PAGE : ContentKind.POST;

      // The body: WordPress's own paragraphs, caption shortcodes unwrapped, uploads re-pointed.
      String html = i.content();
      html = CAPTION.matcher(html).replaceAll("");
      Matcher sc = SHORTCODE.matcher(Jsoup.parse(html).text());
      while (sc.find()) {
        shortcodes++;
      }
      if (!BLOCK_TAG.matcher(html).find()) {
        html = autop(html);
      }
      StringBuilder rewritten = new StringBuilder();
      int copied = 0;
      for (UploadUrl u : uploadUrls(html)) {
        MediaFile f = mediaFile(u.path(html), media);
        if (f == null && mediaDir != null) {
          missingFiles++;
        }
        rewritten.append(html, copied, u.start());
        rewritten.append(f != null ? f.url() : html.substring(u.start(), u.end()));
        copied = u.end();
      }
      rewritten.append(html, copied, html.length());
      String body;
      try {
        body = toMarkdown(rewritten.toString());
      } catch (StackOverflowError e) {
        // The HTML-to-Markdown converter walks the element tree by recursion: content nested
        // tens of thousands of elements deep is a problem of this item, not the end of the run.
        problems.add(
            new MarkdownFolder.Problem(
                file,
                i.line(),
                "content",
                "its HTML nests too deeply to convert (WordPress item " + i.id() + ")"));
        continue;
      }

      String cover = "";
      String coverAlt = "";
      if (i.thumbnailId() != null) {
        WordPressWxr.Item a = attachments.get(i.thumbnailId());
        if (a == null) {
          warnings.add(
              where(file, i) + "featured image " + i.thumbnailId() + " is not in the export");
        } else {
          String path = uploadsPath(a);
          MediaFile f = path == null ? null : mediaFile(path, media);
          cover = f != null ? f.url() : a.attachmentUrl();
          // The featured image's alternative text becomes the cover's description.
          coverAlt = ContentRules.oneLine(a.altText());
          int maxAlt = rules.limits().maxDescription();
          if (coverAlt.length() > maxAlt) {
            coverAlt = coverAlt.substring(0, maxAlt - 1).strip() + "…";
            warnings.add(
                where(file, i)
                    + "featured image's alt text shortened to "
                    + maxAlt
                    + " characters");
          }
        }
      }

      String title = Jsoup.parse(i.title()).text().strip();
      if (title.isEmpty()) {
        title = "Untitled " + i.id();
        warnings.add(where(file, i) + "no title; imported as '" + title + "'");
      }
      String slug = slugFor(i, kind, title, slugs, warnings, file);
      List<String> tags = tags(i, warnings, file);
      String description = Jsoup.parse(i.excerpt()).text().strip();
      int maxDescription = rules.limits().maxDescription();
      if (description.length() > maxDescription) {
        description = description.substring(0, maxDescription - 1).strip() + "…";
        warnings.add(where(file, i) + "excerpt shortened to " + maxDescription + " characters");
      }
      String author = ContentRules.oneLine(wxr.authors().getOrDefault(i.creator(), i.creator()));
      ContentFields fields =
          new ContentFields(
              title, slug, body, description, tags, cover, author, i.date(), coverAlt);
      for (FieldError e : rules.validate(kind, fields)) {
        problems.add(
            new MarkdownFolder.Problem(
                file, i.line(), e.field(), e.message() + " (WordPress item " + i.id() + ")"));
      }
      // A post_name (or title) with no Latin letter made "untitled" before 2026-12-07, or
      // "untitled-<id>" when an earlier item of the file had that: a re-import finds it there.
      String source = i.slug().isEmpty() ? title : decode(i.slug());
      List<String> former =
          ContentRules.wasUntitled(source) && !slug.startsWith(ContentRules.UNTITLED)
              ? List.of(
                  ContentRules.UNTITLED + "-" + ContentRules.slugify(String.valueOf(i.id())),
                  ContentRules.UNTITLED)
              : List.of();
      entries.add(
          new MarkdownFolder.Entry(
              file, kind, fields, draft, publishAt, i.line(), null, i.line(), former));
      feedPage |= kind == ContentKind.PAGE && slug.equals("feed");

      if (!draft) {
        String to = (kind == ContentKind.PAGE ? "/" : "/posts/") + slug + "/";
        oldPath(i.link()).ifPresent(from -> redirect(redirects, from, to, warnings, file, i));
        redirect(
            redirects,
            (kind == ContentKind.PAGE ? "/?page_id=" : "/?p=") + i.id(),
            to,
            warnings,
            file,
            i);
        // The old site's pages and feeds of this item's categories and tags, at WordPress's
        // default bases (a site that changed them in its permalink settings keeps its 404s):
        // to the tag each became, for the terms kept as tags.
        Set<String> kept = new HashSet<>();
        tags.forEach(t -> kept.add(ContentRules.tagKey(t)));
        for (WordPressWxr.Term t : i.terms()) {
          String key = ContentRules.tagKey(cleanTag(t.name()));
          if (t.slug().isEmpty() || !kept.contains(key)) {
            continue;
          }
          String old = (t.domain().equals("category") ? "/category/" : "/tag/") + t.slug() + "/";
          redirect(redirects, old, "/tags/" + key + "/", warnings, file, i);
          redirect(redirects, old + "feed/", "/tags/" + key + FEED, warnings, file, i);
        }
        anyPublished = true;
      }
    }
    // The old site's feed, where feed readers subscribed, unless an imported page (a draft one
    // too: it may be published later) has that address.
    if (anyPublished && !feedPage) {
      redirects.putIfAbsent("/feed/", new RedirectRule("/feed/", FEED, 301));
    }
    // A rule no visitor could get through (two old URLs sending each other back and forth) is
    // refused by the site, with the whole batch it came in: left out here, said so.
    for (RedirectRule r : List.copyOf(redirects.values())) {
      Optional<String> loop = RedirectRule.loopFrom(redirects, r);
      if (loop.isPresent()) {
        redirects.remove(r.from());
        warnings.add("old URL " + r.from() + " kept no redirect: it " + loop.get());
      }
    }
    if (missingFiles > 0) {
      warnings.add(
          missingFiles
              + " uploaded file reference(s) not found under "
              + mediaDir
              + "; they keep pointing at the old site");
    } else if (mediaDir == null && attachments.size() > 0) {
      warnings.add(
          attachments.size()
              + " attachment(s) not imported: give the export's wp-content/uploads folder with"
              + " --media DIR; images keep pointing at the old site");
    }
    if (shortcodes > 0) {
      warnings.add(shortcodes + " WordPress shortcode(s) left in the text as they were");
    }
    return new Plan(
        entries,
        List.copyOf(media.values()),
        List.copyOf(redirects.values()),
        problems,
        warnings,
        skipped,
        wxr.comments(),
        attachments.size());
  }

  /**
   * HTML to Markdown. Code blocks first get a language class (from {@code language-x}, {@code
   * lang-x}, SyntaxHighlighter's {@code brush: x} or none) so they come out fenced, as Quire's
   * editors write them, rather than indented.
   */
  String toMarkdown(String html) {
    Document doc = Jsoup.parseBodyFragment(html);
    doc.outputSettings().prettyPrint(false);
    for (Element pre : doc.select("pre")) {
      Element code = pre.selectFirst("> code");
      String lang = language(pre, code);
      if (code == null) {
        code = new Element("code");
        for (org.jsoup.nodes.Node n : new ArrayList<>(pre.childNodes())) {
          code.appendChild(n);
        }
        pre.appendChild(code);
      }
      code.attr("class", "language-" + (lang == null ? PLAIN_CODE : lang));
    }
    String md = html2md.convert(doc.body().html()).strip();
    return md.replace("```" + PLAIN_CODE + "\n", "```\n");
  }

  private static String language(Element pre, Element code) {
    List<String> hints = new ArrayList<>();
    if (code != null) {
      hints.add(code.className());
    }
    hints.add(pre.className());
    hints.add(pre.attr("lang"));
    for (String hint : hints) {
      Matcher m = LANGUAGE.matcher(hint.toLowerCase(Locale.ROOT));
      if (m.find()) {
        return m.group(1);
      }
    }
    String lang = pre.attr("lang").toLowerCase(Locale.ROOT).strip();
    return lang.matches("[a-z0-9+#-]{1,20}") ? lang : null;
  }

  private static String where(Path file, WordPressWxr.Item i) {
    return file.getFileName() + ":" + i.line() + ": WordPress item " + i.id() + ": ";
  }

  /** WordPress's wpautop, the part that matters: blank lines are paragraphs, newlines breaks. */
  static String autop(String text) {
    StringBuilder out = new StringBuilder();
    for (String para : text.strip().split("\\n\\s*\\n")) {
      if (!para.isBlank()) {
        out.append("<p>").append(para.strip().replace("\n", "<br>\n")).append("</p>\n");
      }
    }
    return out.toString();
  }

  private String slugFor(
      WordPressWxr.Item i,
      ContentKind kind,
      String title,
      Set<String> taken,
      List<String> warnings,
      Path file) {
    String slug = i.slug().isEmpty() ? rules.slugFor(title) : decode(i.slug());
    if (rules.slugProblem(slug).isPresent()) {
      slug = rules.slugFor(slug);
    }
    boolean reserved = kind == ContentKind.PAGE && ContentRules.RESERVED_SLUGS.contains(slug);
    if (reserved || rules.slugProblem(slug).isPresent() || taken.contains(slug)) {
      String was = slug;
      // Cut first, so that the id still fits (two long titles cut to one slug met here).
      String suffix = "-" + ContentRules.slugify(String.valueOf(i.id()));
      slug = ContentRules.slugify(slug, Math.max(1, rules.maxSlug() - suffix.length())) + suffix;
      warnings.add(
          where(file, i)
              + "slug '"
              + was
              + "' "
              + (reserved ? "is reserved for the site's own pages" : "is taken or not usable")
              + "; imported as '"
              + slug
              + "'");
    }
    taken.add(slug);
    return slug;
  }

  private static String decode(String slug) {
    try {
      return java.net.URLDecoder.decode(slug, java.nio.charset.StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return slug;
    }
  }

  private List<String> tags(WordPressWxr.Item i, List<String> warnings, Path file) {
    Map<String, String> byKey = new LinkedHashMap<>();
    List<String> names = new ArrayList<>();
    for (String c : i.categories()) {
      if (!DEFAULT_CATEGORIES.contains(c.toLowerCase(Locale.ROOT))) {
        names.add(c);
      }
    }
    names.addAll(i.tags());
    Map<String, String> named = new HashMap<>();
    for (String name : names) {
      // Composed (NFC), as the site keeps tags: one decomposed would be refused as no letter.
      String composed = ContentRules.composed(name);
      String clean = cleanTag(composed);
      String shown = Jsoup.parse(composed).text().strip();
      if (!clean.equals(shown) && warnedTags.add(shown)) {
        // Said once an import: 'C++' and 'C#' were both stored as 'C', without a word.
        warnings.add(
            "tag '"
                + shown
                + "' imported as "
                + (clean.isEmpty() ? "no tag" : "'" + clean + "'")
                + ": a tag holds letters and digits, with - _ . or a space between words");
      }
      if (!clean.isEmpty()) {
        String key = clean.toLowerCase(Locale.ROOT);
        String first = named.putIfAbsent(key, shown);
        if (first != null
            && !first.equalsIgnoreCase(shown)
            && warnedTags.add(first + "\u0000" + shown)) {
          warnings.add(
              where(file, i)
                  + "tags '"
                  + first
                  + "' and '"
                  + shown
                  + "' are one tag, '"
                  + byKey.get(key)
                  + "'");
        }
        byKey.putIfAbsent(key, clean);
      }
    }
    List<String> tags = new ArrayList<>(byKey.values());
    int max = rules.limits().maxTags();
    if (tags.size() > max) {
      warnings.add(where(file, i) + tags.size() + " categories and tags; kept the first " + max);
      tags = tags.subList(0, max);
    }
    return tags;
  }

  /**
   * A WordPress category or tag name as a Quire tag: letters and digits, words, at most the limit.
   */
  String cleanTag(String name) {
    String text = Jsoup.parse(name).text();
    // Symbols of well-known names spelled out, so they stay apart: "C++" and "C#" were both "C".
    text = AFTER_WORD_PLUSES.matcher(text).replaceAll("pp");
    text = AFTER_WORD_HASH.matcher(text).replaceAll("sharp");
    text = AMPERSAND.matcher(text).replaceAll(" and ");
    text = APOSTROPHE.matcher(text).replaceAll("");
    // What a tag holds: letters and digits, one - _ . or space between them ("node.js" and
    // "e-commerce" stay as they are; they were "node js" and "e commerce").
    String clean =
        NOT_SEPARATORS
            .matcher(NOT_TAG_CHARS.matcher(text).replaceAll(" "))
            .replaceAll(" ")
            .replaceAll("^[-_. ]+|[-_. ]+$", "");
    if (clean.length() > rules.limits().maxTag()) {
      clean = clean.substring(0, rules.limits().maxTag()).replaceAll("[-_. ]+$", "");
    }
    return clean;
  }

  private static Optional<String> oldPath(String link) {
    if (link == null || link.isBlank()) {
      return Optional.empty();
    }
    try {
      URI u = new URI(link.strip());
      String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
      return Optional.of(u.getRawQuery() == null ? path : path + "?" + u.getRawQuery());
    } catch (java.net.URISyntaxException e) {
      return Optional.empty();
    }
  }

  private static void redirect(
      Map<String, RedirectRule> out,
      String from,
      String to,
      List<String> warnings,
      Path file,
      WordPressWxr.Item i) {
    // The site answers a page's address without its trailing slash itself (/about to /about/);
    // a rule for it would answer the other slash too, and loop.
    if (from.equals(to) || from.equals("/") || to.equals(from + "/") || from.equals(to + "/")) {
      return;
    }
    RedirectRule rule = new RedirectRule(from, to, 301);
    Optional<FieldError> bad = rule.problem();
    if (bad.isPresent()) {
      warnings.add(where(file, i) + "old URL " + from + " kept no redirect: " + bad.get());
      return;
    }
    out.putIfAbsent(from, rule);
  }

  private static String uploadsPath(WordPressWxr.Item attachment) {
    if (!attachment.attachedFile().isEmpty()) {
      return attachment.attachedFile();
    }
    String url = attachment.attachmentUrl();
    List<UploadUrl> found = uploadUrls(url);
    return found.isEmpty() ? null : found.get(0).path(url);
  }

  /** Where a URL of the uploads folder is in a text, and its path under the folder. */
  record UploadUrl(int start, int end, int pathStart) {
    String path(String text) {
      return text.substring(pathStart, end);
    }
  }

  /**
   * The URLs of the uploads folder in {@code text}, in order: {@code [http[s]:]//host/...}{@link
   * #UPLOADS}{@code path}, or {@link #UPLOADS}{@code path} after neither a word character nor a
   * slash; a URL ends at white space, a quote, {@code <>()}, and its path also at {@code ?} or
   * {@code #}. One pass over the text: the pattern this replaced scanned on from every {@code //}
   * (80,000 slashes took 37 s, quadratic; 4 million, the longest text an item may have, would take
   * a day) and, rewritten without that, overflowed the stack on long paths.
   */
  static List<UploadUrl> uploadUrls(String text) {
    List<UploadUrl> found = new ArrayList<>();
    int from = 0; // the end of the last URL found
    int scanned = 0; // delimiters are known up to here
    int runStart = 0; // after the last delimiter before scanned
    int slashes = -1; // the first "//" at or after some point at or before the lower bound
    for (int k = text.indexOf(UPLOADS); k >= 0; k = text.indexOf(UPLOADS, Math.max(k + 1, from))) {
      for (; scanned < k; scanned++) {
        if (urlDelimiter(text.charAt(scanned))) {
          runStart = scanned + 1;
        }
      }
      int lower = Math.max(from, runStart);
      if (slashes != Integer.MAX_VALUE && slashes < lower) {
        slashes = text.indexOf("//", lower);
        if (slashes < 0) {
          slashes = Integer.MAX_VALUE; // none further on, for good
        }
      }
      int start;
      if (slashes < k - 2) {
        start = slashes;
        if (start - 6 >= lower && text.startsWith("https:", start - 6)) {
          start -= 6;
        } else if (start - 5 >= lower && text.startsWith("http:", start - 5)) {
          start -= 5;
        }
      } else if (k == 0 || !wordOrSlash(text.charAt(k - 1))) {
        start = k;
      } else {
        continue;
      }
      int pathStart = k + UPLOADS.length();
      int end = pathStart;
      while (end < text.length()
          && !urlDelimiter(text.charAt(end))
          && text.charAt(end) != '?'
          && text.charAt(end) != '#') {
        end++;
      }
      if (end > pathStart) {
        found.add(new UploadUrl(start, end, pathStart));
        from = end;
      }
    }
    return found;
  }

  /** A character of {@code [A-Za-z0-9_/]}. */
  private static boolean wordOrSlash(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '_'
        || c == '/';
  }

  private static boolean urlDelimiter(char c) {
    return Character.isWhitespace(c) || "\"'<>()".indexOf(c) >= 0;
  }

  /**
   * The file under the uploads folder for {@code path}, hashed, or null when there is none. A path
   * that leaves the folder (.., links) is never opened.
   */
  private MediaFile mediaFile(String path, Map<String, MediaFile> known) throws IOException {
    if (mediaDir == null || path == null) {
      return null;
    }
    String p = decode(path);
    if (known.containsKey(p)) {
      return known.get(p);
    }
    if (p.contains("\\") || p.contains("\0") || p.startsWith("/")) {
      return null;
    }
    Path f = mediaDir.resolve(p).normalize();
    if (!f.startsWith(mediaDir) || !Files.isRegularFile(f)) {
      return null;
    }
    if (!f.toRealPath().startsWith(mediaDir.toRealPath())) {
      return null;
    }
    String name = f.getFileName().toString();
    String type = MediaStore.normaliseType(URLConnection.guessContentTypeFromName(name));
    if (type.equals("application/octet-stream")
        && name.toLowerCase(Locale.ROOT).endsWith(".webp")) {
      type = "image/webp";
    }
    String sha = sha256(f);
    MediaFile mf =
        new MediaFile(f, type, name, sha, "/media/" + sha + "/" + MediaStore.safeName(name));
    known.put(p, mf);
    return mf;
  }

  private static String sha256(Path f) throws IOException {
    try (InputStream in =
        new DigestInputStream(Files.newInputStream(f), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return java.util.HexFormat.of()
          .formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
