package dev.quire.protocol;

import com.typesafe.config.Config;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The one set of rules content must satisfy, shared by the entity (the authority) and the importers
 * (which check whole folders before writing anything). Limits come from {@code
 * quire.content.limits}.
 */
public final class ContentRules {

  /** A slug: lowercase letters a-z, digits and single hyphens. */
  public static final Pattern SLUG = Pattern.compile("[a-z0-9]+(?:-[a-z0-9]+)*");

  private static final Pattern TAG = Pattern.compile("[\\p{L}\\p{N}]+(?:[- _.][\\p{L}\\p{N}]+)*");

  /** Slugs a page may not take because the site's own routes answer there. */
  public static final Set<String> RESERVED_SLUGS =
      Set.of(
          "blog",
          "posts",
          "tags",
          "api",
          "assets",
          "healthz",
          "admin",
          "feed",
          "feed.xml",
          "sitemap.xml",
          "search",
          "og",
          "media",
          "login",
          "logout",
          "archive",
          "robots.txt");

  public record Limits(
      int maxTitle,
      int maxSlug,
      int maxBody,
      int maxDescription,
      int maxTags,
      int maxTag,
      int maxUrl,
      int maxAuthor,
      int maxNesting) {

    public static Limits fromConfig(Config c) {
      Config l = c.getConfig("quire.content.limits");
      return new Limits(
          l.getInt("title-chars"),
          l.getInt("slug-chars"),
          l.getInt("body-chars"),
          l.getInt("description-chars"),
          l.getInt("tags"),
          l.getInt("tag-chars"),
          l.getInt("url-chars"),
          l.getInt("author-chars"),
          l.getInt("markdown-nesting"));
    }

    /** The names {@code GET /api/v1/limits} gives these limits, in the order of the record. */
    public static final List<String> NAMES =
        List.of(
            "titleChars",
            "slugChars",
            "bodyChars",
            "descriptionChars",
            "tags",
            "tagChars",
            "urlChars",
            "authorChars",
            "markdownNesting");

    /** The limits in the order of {@link #NAMES}. */
    public List<Integer> values() {
      return List.of(
          maxTitle,
          maxSlug,
          maxBody,
          maxDescription,
          maxTags,
          maxTag,
          maxUrl,
          maxAuthor,
          maxNesting);
    }

    /** The limits {@code v} holds in the order of {@link #NAMES}. */
    public static Limits of(int[] v) {
      if (v.length != NAMES.size()) {
        throw new IllegalArgumentException(
            NAMES.size() + " limits (" + NAMES + "), not " + v.length);
      }
      return new Limits(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]);
    }
  }

  /**
   * Why a body's Markdown nests deeper than {@code maxNesting} levels, or empty. The rules live
   * here, but the Markdown reader lives with the renderer (content-service), which supplies it.
   */
  @FunctionalInterface
  public interface NestingCheck {
    /**
     * {@code rawHtml}: whether the HTML the body's raw HTML makes is held to the limit too: for a
     * new value, not for a step of a history being restored (a body stored before that rule is
     * restored as it was, and shown as its source).
     */
    java.util.Optional<String> problem(String body, int maxNesting, boolean rawHtml);
  }

  /** The first and last instants every date on the site can be written as (four-digit years). */
  public static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");

  public static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999999Z");

  private final Limits limits;
  private final NestingCheck nesting;

  /** Rules without the Markdown nesting check (for callers that never render). */
  public ContentRules(Limits limits) {
    this(limits, null);
  }

  public ContentRules(Limits limits, NestingCheck nesting) {
    this.limits = limits;
    this.nesting = nesting;
  }

  public Limits limits() {
    return limits;
  }

  public List<FieldError> validate(ContentKind kind, ContentFields f) {
    return validate(kind, f, (ContentFields) null);
  }

  /**
   * As {@link #validate(ContentKind, ContentFields)} for an edit of an item whose fields are {@code
   * stored}: a body the edit leaves as it was is not read for its nesting again (a long body costs
   * a parse, on the entity's thread, at every change of its title or tags; and a body stored before
   * the nesting limit still lets its other fields be changed), nor a title, description or author
   * for control characters.
   */
  public List<FieldError> validate(ContentKind kind, ContentFields f, ContentFields stored) {
    return validate(kind, f, stored, true);
  }

  /**
   * As {@link #validate(ContentKind, ContentFields)} for a step of a history being restored: what
   * an older Quire stored is restored as it was, control characters in a title, description or
   * author included (refused from 2026-12-06 for new values only: a site's own backup of an item
   * that had one was refused whole).
   */
  public List<FieldError> validateStored(ContentKind kind, ContentFields f) {
    return validate(kind, f, null, false);
  }

  private List<FieldError> validate(
      ContentKind kind, ContentFields f, ContentFields stored, boolean controls) {
    String storedBody = stored == null ? null : stored.body();
    List<FieldError> errors = new ArrayList<>();
    if (kind == null) {
      errors.add(new FieldError("kind", "is required (post or page)"));
    }
    if (f.title() == null || f.title().isBlank()) {
      errors.add(new FieldError("title", "must not be empty"));
    } else if (f.title().length() > limits.maxTitle()) {
      errors.add(tooLong("title", f.title(), limits.maxTitle()));
    }
    slugProblem(f.slug()).ifPresent(errors::add);
    if (kind == ContentKind.PAGE && f.slug() != null && RESERVED_SLUGS.contains(f.slug())) {
      errors.add(new FieldError("slug", "'" + f.slug() + "' is reserved for the site's own pages"));
    }
    if (f.body().length() > limits.maxBody()) {
      errors.add(tooLong("body", f.body(), limits.maxBody()));
    } else if (nesting != null && !f.body().equals(storedBody)) {
      nesting
          .problem(f.body(), limits.maxNesting(), controls)
          .ifPresent(p -> errors.add(new FieldError("body", p)));
    }
    dateProblem("date", f.date()).ifPresent(errors::add);
    if (f.description().length() > limits.maxDescription()) {
      errors.add(tooLong("description", f.description(), limits.maxDescription()));
    }
    if (f.tags().size() > limits.maxTags()) {
      errors.add(
          new FieldError(
              "tags",
              "has " + f.tags().size() + " tags, at most " + limits.maxTags() + " allowed"));
    }
    java.util.Set<String> seen = new java.util.HashSet<>();
    // Tags as sent: a command's are composed (normaliseTags) before they get here; a stored
    // history's (a bundle's restore) are kept as they were, so a decomposed one is refused there.
    for (String tag : f.tags()) {
      if (tag == null || tag.isBlank()) {
        errors.add(new FieldError("tags", "contains an empty tag"));
      } else if (tag.length() > limits.maxTag()) {
        // Which tag: "is 41 characters long" did not say, among twenty.
        FieldError long_ = tooLong("tags", tag, limits.maxTag());
        errors.add(
            new FieldError(
                "tags",
                "'"
                    + (tag.length() > 60 ? tag.substring(0, 57) + "..." : tag)
                    + "' "
                    + long_.message()));
      } else if (!TAG.matcher(tag).matches()) {
        errors.add(
            new FieldError(
                "tags", "'" + tag + "' may hold letters, digits and single - _ . or spaces"));
      } else if (!seen.add(tag.toLowerCase(Locale.ROOT))) {
        errors.add(new FieldError("tags", "'" + tag + "' is listed twice"));
      }
    }
    String cover = f.coverImage();
    if (cover.length() > limits.maxUrl()) {
      errors.add(tooLong("cover_image", cover, limits.maxUrl()));
    } else if (!cover.isEmpty() && !isSafeUrl(cover)) {
      errors.add(
          new FieldError(
              "cover_image", "must be a relative path or an http(s) URL, was '" + cover + "'"));
    }
    if (f.author().length() > limits.maxAuthor()) {
      errors.add(tooLong("author", f.author(), limits.maxAuthor()));
    }
    // Control characters (a NUL, a bell, a terminal's escape) went into the page's title, its
    // feeds and an author's address, which then answered 404 from the sitemap. Line breaks and
    // tabs are text (titles and authors are folded onto one line). A value stored before this
    // check, left as it was by an edit, is not refused again.
    if (controls) {
      controlsIn("title", f.title(), stored == null ? null : stored.title()).ifPresent(errors::add);
      controlsIn("description", f.description(), stored == null ? null : stored.description())
          .ifPresent(errors::add);
      controlsIn("author", f.author(), stored == null ? null : stored.author())
          .ifPresent(errors::add);
      // A cover's address went into the page's <img src> and og:image as sent, a bell included.
      if (errors.stream().noneMatch(e -> e.field().equals("cover_image"))) {
        controlsIn("cover_image", cover, stored == null ? null : stored.coverImage())
            .ifPresent(errors::add);
      }
      // In a body too: a NUL is text no PostgreSQL column holds (the cluster's read model could
      // not take the item in), and the others are nothing Markdown writes.
      if (f.body() != null && !f.body().equals(storedBody)) {
        bodyControl(f.body()).ifPresent(errors::add);
      }
    }
    // A cover's description is read out in place of the image: as long as a description may be.
    if (f.coverAlt().length() > limits.maxDescription()) {
      errors.add(tooLong("cover_alt", f.coverAlt(), limits.maxDescription()));
    } else if (f.coverAlt().chars().anyMatch(c -> c < 0x20 && c != '\t' || c == 0x7f)) {
      errors.add(new FieldError("cover_alt", "has control characters"));
    } else if (controls) {
      controlsIn("cover_alt", f.coverAlt(), stored == null ? null : stored.coverAlt())
          .ifPresent(errors::add);
    }
    return errors;
  }

  /**
   * A C0 control character other than a tab or a line break (a NUL, a bell, a terminal's escape).
   * DEL and the C1 range are left as text: XML and HTML carry them, and an export in Markdown
   * writes them back as it read them.
   */
  private static boolean isControl(int c) {
    return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
  }

  /**
   * Whether the UTF-16 unit at {@code i} is half of a surrogate pair without its other half: what a
   * client leaves that cut a string inside an emoji. Pages showed it as '?', and the embedding
   * model's tokenizer failed on it.
   */
  private static boolean isHalfACharacter(String value, int i) {
    char c = value.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 >= value.length() || !Character.isLowSurrogate(value.charAt(i + 1));
    }
    return Character.isLowSurrogate(c)
        && (i == 0 || !Character.isHighSurrogate(value.charAt(i - 1)));
  }

  /** What is wrong with the unit at {@code i}, or null: a control character or half of one. */
  private static String notText(String value, int i) {
    char c = value.charAt(i);
    if (isControl(c)) {
      return String.format("has a control character (U+%04X)", (int) c);
    }
    if (isHalfACharacter(value, i)) {
      return String.format(
          "has half of a character (U+%04X, one of an emoji's two halves, as text cut inside one"
              + " leaves)",
          (int) c);
    }
    return null;
  }

  /**
   * The first control character, or half of a character, in a new {@code value} of {@code field},
   * named by position.
   */
  private static java.util.Optional<FieldError> controlsIn(
      String field, String value, String stored) {
    if (value == null || value.equals(stored)) {
      return java.util.Optional.empty();
    }
    for (int i = 0; i < value.length(); i++) {
      String what = notText(value, i);
      if (what != null) {
        return java.util.Optional.of(
            new FieldError(
                field,
                what
                    + " at character "
                    // Counted as a reader counts them: an emoji before it is one.
                    + (value.codePointCount(0, i) + 1)
                    + "; only text, tabs and line breaks are kept"));
      }
    }
    return java.util.Optional.empty();
  }

  /** The first control character in a body, named by line and column. */
  private static java.util.Optional<FieldError> bodyControl(String body) {
    int line = 1;
    int lineStart = 0;
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c == '\n') {
        line++;
        lineStart = i + 1;
      } else {
        String what = notText(body, i);
        if (what != null) {
          return java.util.Optional.of(
              new FieldError(
                  "body",
                  String.format(
                      "%s at line %d, column %d; only text, tabs and line breaks are kept",
                      what, line, body.codePointCount(lineStart, i) + 1)));
        }
      }
    }
    return java.util.Optional.empty();
  }

  /**
   * Why {@code at} cannot be one of the site's dates, or empty (null is no date): feeds, sitemaps,
   * pages and the read model write years of four digits.
   */
  public static java.util.Optional<FieldError> dateProblem(String field, Instant at) {
    if (at != null && (at.isBefore(EARLIEST) || at.isAfter(LATEST))) {
      return java.util.Optional.of(
          new FieldError(field, "must be in the years 0001 to 9999, was " + at));
    }
    return java.util.Optional.empty();
  }

  /**
   * {@code s} stripped and on one line: each line break, with the spaces around it, becomes one
   * space (spaces and breaks at either end go, as a YAML block's last break does). Titles and
   * authors are one line wherever they show (a page's title, a feed's entry, the admin's one-line
   * field, which would drop the breaks on the next save, joining the words); folded, not refused,
   * so that items stored with a break before this rule still restore and edit.
   */
  public static String oneLine(String s) {
    if (s == null) {
      return null;
    }
    String t = s.strip();
    return t.indexOf('\n') < 0 && t.indexOf('\r') < 0 ? t : LINE_BREAKS.matcher(t).replaceAll(" ");
  }

  private static final Pattern LINE_BREAKS = Pattern.compile("[ \t]*[\r\n]+[ \t]*");

  public java.util.Optional<FieldError> slugProblem(String slug) {
    if (slug == null || slug.isEmpty()) {
      return java.util.Optional.of(new FieldError("slug", "must not be empty"));
    }
    if (slug.length() > limits.maxSlug()) {
      return java.util.Optional.of(tooLong("slug", slug, limits.maxSlug()));
    }
    if (!SLUG.matcher(slug).matches()) {
      return java.util.Optional.of(
          new FieldError(
              "slug",
              "'"
                  + slug
                  + "' must be lowercase letters a-z, digits and single hyphens (e.g. my-first-post)"));
    }
    return java.util.Optional.empty();
  }

  /**
   * Tags as written, trimmed, each once: spellings that share a URL ("Event Sourcing" and
   * "event_sourcing", both /tags/event-sourcing/) are one tag, kept as first written. (A post once
   * listed such a pair twice, both linking to one tag page.) So are spellings that differ only in
   * case ("Java" and "java"). Exact repeats are left for {@link #validate}, which refuses them by
   * name. Each in Unicode's composed form (NFC): "Café" typed on a Mac often arrives as "e" and a
   * combining accent, which looks the same, was refused as not a letter, and would have been
   * another tag page.
   */
  public static List<String> normaliseTags(List<String> tags) {
    List<String> out = new ArrayList<>();
    java.util.Map<String, String> byKey = new java.util.HashMap<>();
    for (String t : tags) {
      if (t != null && !t.isBlank()) {
        String tag = composed(t.strip());
        String first = byKey.putIfAbsent(tagKey(tag), tag);
        if (first == null || first.equals(tag)) {
          out.add(tag);
        }
      }
    }
    return out;
  }

  /** {@code text} in Unicode's composed form (NFC), as the site keeps tags. */
  public static String composed(String text) {
    return java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFC);
  }

  /**
   * The URL form of a tag: "Event Sourcing" and "event-sourcing" are the same tag. The read model
   * stores these keys, and an edit that keeps an item's tags leaves its key rows as they are: a
   * change here needs the read model rebuilt.
   */
  public static String tagKey(String tag) {
    return tag.strip().toLowerCase(Locale.ROOT).replaceAll("[\\s_.]+", "-");
  }

  /**
   * {@link #slugify} cut to at most {@code maxChars}, at a word's end where there is one: a title
   * may be longer than a slug, and a long title with no slug given was refused naming a slug the
   * author never wrote.
   */
  public static String slugify(String title, int maxChars) {
    return cut(slugify(title), maxChars);
  }

  /**
   * {@code slug} with the number {@code n}: "notes-2", the slug cut first (at a hyphen where there
   * is one) so that the whole stays within {@code maxChars}.
   */
  public static String numbered(String slug, int n, int maxChars) {
    String suffix = "-" + n;
    return cut(slug, Math.max(1, maxChars - suffix.length())) + suffix;
  }

  /** {@code s} at most {@code maxChars} long, cut at a hyphen where there is one. */
  private static String cut(String s, int maxChars) {
    if (s.length() <= maxChars) {
      return s;
    }
    int cut = s.lastIndexOf('-', maxChars);
    return (cut > 0 ? s.substring(0, cut) : s.substring(0, maxChars)).replaceAll("-+$", "");
  }

  /** The longest slug these rules take. */
  public int maxSlug() {
    return limits.maxSlug();
  }

  /** {@link #slugify(String, int)} within these rules' slug limit. */
  public String slugFor(String title) {
    return slugify(title, limits.maxSlug());
  }

  /**
   * The slug the admin and the API suggest for a new item without one: the title spelled in Latin
   * letters ({@link #latin}: "Straße" is "strasse", "Привет мир" "privet-mir", "学习 Java 笔记"
   * "xue-xi-java-bi-ji"), with an apostrophe inside a word dropped ("The editor's notes" is
   * "the-editors-notes", not "the-editor-s-notes"). The importers keep {@link #slugify}: they match
   * files without a slug to items by the slug it made, and a new spelling would import those again.
   */
  public static String suggestSlug(String title, int maxChars) {
    String s = ascii(inWords(latin(title.replaceAll("(?<=\\p{L})['\u2019](?=\\p{L})", ""))));
    return cut(s.isEmpty() ? UNTITLED : s, maxChars);
  }

  /**
   * Suggests a slug from a title: "Hello, World!" becomes "hello-world", "Café" "cafe" (its accents
   * dropped, other letters with them: "Straße" "stra-e", as ever). A title with no letter or digit
   * left so, one written only in another script, is spelled in Latin letters first ({@link
   * #latin}): "Привет мир" is "privet-mir", "שלום" "slwm". Until 2026-12-07 each such title was
   * "untitled", so two of them met on one slug, and an import matched a file to whichever item held
   * it. "untitled" is left for titles with nothing to spell (emoji alone).
   */
  public static String slugify(String title) {
    String s = ascii(title);
    if (s.isEmpty()) {
      s = ascii(inWords(latin(title)));
    }
    return s.isEmpty() ? UNTITLED : s;
  }

  /** The slug of a title with nothing to spell a slug with. */
  public static final String UNTITLED = "untitled";

  /**
   * Transliterated text with the marks a romanisation writes inside a word taken out: Russian's
   * soft and hard signs (ʹ ʺ, or ' once made ASCII), Arabic's ʿayn. Left in, each split its word in
   * the slug ("Мальчик" was "mal-cik"; now "malcik").
   */
  private static String inWords(String latin) {
    return latin.replaceAll("(?<=\\p{L})[\\p{Lm}'\"\u2019]+(?=\\p{L})", "");
  }

  /**
   * Whether {@link #slugify} made {@link #UNTITLED} of {@code text} until 2026-12-07: it has no
   * letter or digit that stays once accents are dropped (another script, emoji). The importers then
   * also look for a file's item at the slug they made of it before (its title the same).
   */
  public static boolean wasUntitled(String text) {
    return ascii(text).isEmpty();
  }

  /** Whether {@link #slugify} finds something to spell in {@code title} (not emoji alone, say). */
  public static boolean spellsASlug(String title) {
    return !ascii(title).isEmpty() || !ascii(latin(title)).isEmpty();
  }

  /** Letters and digits with their accents dropped, lower case, hyphens between; may be empty. */
  private static String ascii(String title) {
    return java.text.Normalizer.normalize(title, java.text.Normalizer.Form.NFKD)
        .replaceAll("\\p{M}", "")
        .toLowerCase(Locale.ROOT)
        .replaceAll("[^a-z0-9]+", "-")
        .replaceAll("(^-+|-+$)", "");
  }

  /**
   * {@code text} in Latin letters, by ICU4J's {@code Any-Latin; Latin-ASCII} transliterator (each
   * script's usual romanisation, Han by its pinyin); text of ASCII alone is returned as it is
   * without loading it. The transliterator is made once, at the first title that needs it (~0.3 s,
   * its data read from the jar), and used by one thread at a time. Also a media file's name ({@code
   * MediaStore.safeName}).
   */
  public static String latin(String text) {
    if (text.chars().allMatch(c -> c < 0x80)) {
      return text;
    }
    com.ibm.icu.text.Transliterator t = Transliteration.INSTANCE;
    synchronized (t) {
      return t.transliterate(text);
    }
  }

  /** Made at its first use (the holder's class is loaded then). */
  private static final class Transliteration {
    static final com.ibm.icu.text.Transliterator INSTANCE =
        com.ibm.icu.text.Transliterator.getInstance("Any-Latin; Latin-ASCII");
  }

  static boolean isSafeUrl(String url) {
    String lower = url.toLowerCase(Locale.ROOT);
    if (lower.startsWith("http://") || lower.startsWith("https://")) {
      return true;
    }
    return !lower.contains(":") && !lower.startsWith("//");
  }

  /**
   * A value over its limit, which counts UTF-16 units as a browser's {@code maxlength} does: an
   * emoji, or a character of the rarer CJK ideographs, counts as two. The message says so when the
   * value holds such characters, else "150 emoji" read as "300 characters long" looked wrong.
   */
  static FieldError tooLong(String field, String value, int max) {
    int pairs = value.length() - value.codePointCount(0, value.length());
    return new FieldError(
        field,
        "is "
            + value.length()
            + " characters long"
            + (pairs == 0
                ? ""
                : " ("
                    + pairs
                    + (pairs == 1
                        ? " of them an emoji or another character outside Unicode's first"
                            + " 65,536, which counts as two)"
                        : " of them emoji or other characters outside Unicode's first 65,536,"
                            + " which count as two)"))
            + ", at most "
            + max
            + " allowed");
  }
}
