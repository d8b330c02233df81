package dev.quire.gateway.site;

import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentRules;
import dev.quire.protocol.ReadItem;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/** A published item as templates see it: everything precomputed once per change, not per view. */
public record ItemView(
    String id,
    String kind,
    String title,
    String slug,
    String url,
    String description,
    List<TagRef> tags,
    String coverImage,
    String author,
    String dateIso,
    String dateDisplay,
    String updatedIso,
    String html,
    int readingMinutes,
    Instant sortDate,
    List<String> aliases,
    String coverAlt) {

  public record TagRef(String name, String key, String url) {}

  /**
   * The key of the author's page ({@code /authors/<key>/}): the name folded as a tag's is ("Ann
   * Lee" and "ann lee" are one author), with characters a path segment cannot hold made hyphens; ""
   * without an author.
   */
  public String authorKey() {
    return authorKey(author);
  }

  /** {@link #authorKey()} of a name. */
  public static String authorKey(String name) {
    if (name == null || name.isBlank()) {
      return "";
    }
    return ContentRules.tagKey(name).replaceAll("[/?#%\\\\]+", "-");
  }

  /** The author's page, or "" without an author: {@code post.authorUrl} in templates. */
  public String authorUrl() {
    String key = authorKey();
    return key.isEmpty() ? "" : dev.quire.protocol.RedirectRule.encoded("/authors/" + key + "/");
  }

  /**
   * The archive's page of the month of the day this item shows ({@code /archive/2026/12/}): {@code
   * post.archiveUrl} in templates.
   */
  public String archiveUrl() {
    return SiteSnapshot.archiveUrl(java.time.YearMonth.from(localDate()));
  }

  /**
   * Whether the body has fenced code that names its language ({@code <code class="language-...">},
   * as the renderer writes it): the built-in theme then loads the scripts that colour it, {@code
   * post.hasLanguageCode()} in templates.
   */
  public boolean hasLanguageCode() {
    return html.contains("<code class=\"language-");
  }

  /** The tags' names, as written: {@code post.tagNames} in templates. */
  public List<String> tagNames() {
    return tags.stream().map(TagRef::name).toList();
  }

  private static final DateTimeFormatter DISPLAY =
      DateTimeFormatter.ofPattern("d MMMM yyyy", Locale.ENGLISH);
  private static final int WORDS_PER_MINUTE = 230;

  public static ItemView of(ReadItem item, ZoneId zone) {
    Instant date = item.displayDate();
    String url = urlFor(item.kind(), item.slug());
    // One link per tag page: an item stored before spellings of one tag were merged on write
    // ("Event Sourcing" and "event_sourcing") shows it once.
    java.util.Map<String, TagRef> byKey = new java.util.LinkedHashMap<>();
    for (String t : item.tags()) {
      String key = ContentRules.tagKey(t);
      byKey.putIfAbsent(key, new TagRef(t, key, "/tags/" + key + "/"));
    }
    List<TagRef> tags = List.copyOf(byKey.values());
    return new ItemView(
        item.id(),
        item.kind().id(),
        item.title(),
        item.slug(),
        url,
        item.description(),
        tags,
        coverUrl(item.coverImage()),
        item.author(),
        DateTimeFormatter.ISO_LOCAL_DATE.format(date.atZone(zone)),
        DISPLAY.format(date.atZone(zone)),
        DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(item.updatedAt().atZone(zone)),
        item.html() == null ? "" : item.html(),
        Math.max(1, Math.round(item.wordCount() / (float) WORDS_PER_MINUTE)),
        date,
        item.aliases(),
        item.coverAlt());
  }

  /**
   * A relative cover ("cover.webp") is served from the site root, like the seed blog's; a space in
   * the address is written {@code %20}, as a browser sends it: the address goes into {@code
   * og:image} and the JSON-LD as it is, where a space made it no URL.
   */
  public static String coverUrl(String cover) {
    String spaced = cover.replace(" ", "%20");
    if (spaced.isEmpty() || spaced.startsWith("/") || spaced.contains("://")) {
      return spaced;
    }
    return "/" + spaced;
  }

  public static String urlFor(ContentKind kind, String slug) {
    return kind == ContentKind.POST ? "/posts/" + slug + "/" : "/" + slug + "/";
  }

  /**
   * The item's date as a day in the site's zone, for {@code {{ post.localDate | longDate }}}: in
   * the site's language. ({@link #dateDisplay} stays the English "5 December 2026".)
   */
  public java.time.LocalDate localDate() {
    return java.time.LocalDate.parse(dateIso);
  }

  public boolean isPost() {
    return "post".equals(kind);
  }
}
