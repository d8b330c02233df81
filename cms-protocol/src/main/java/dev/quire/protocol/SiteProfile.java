package dev.quire.protocol;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What the site says about itself, as its editors set it in the admin: each value, when set, wins
 * over the same {@code quire.site.*} setting of the configuration (which stays the default); {@code
 * null} means "not set here". The address the site is served at and its time zone are the
 * deployment's and stay in the configuration. {@code homePage}: the slug of a page the site's home
 * ({@code /}) shows instead of the latest posts. {@code icon}: the address of an image in the
 * site's media ({@code /media/<sha256>/<name>}) that browsers show in tabs and bookmarks, feeds
 * name, and the header shows beside the title, instead of the theme's mark.
 */
public record SiteProfile(
    String title,
    String description,
    String author,
    String language,
    Integer homePosts,
    Integer pageSize,
    String homePage,
    String icon)
    implements QuireSerializable {

  public static final int MAX_TEXT = 2000;
  public static final int MAX_PER_PAGE = 1000;

  /**
   * A language tag as {@code <html lang>} takes it: {@code en}, {@code pt-BR}, {@code zh-Hant}. Its
   * language is a code of two or three letters (ISO 639; BCP 47's longer ones were never
   * registered): "english" was taken, and the site then said {@code <html lang="english">}.
   */
  public static final Pattern LANGUAGE = Pattern.compile("[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}");

  /**
   * What a configuration file's language was held to before 2026-12-06 (a language of up to 8
   * letters): a site configured so still starts, with a warning, rather than not at all.
   */
  public static final Pattern LANGUAGE_CONFIGURED =
      Pattern.compile("[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,4}");

  /** Setting name ({@code quire.site.<name>}) of each field, in the order a form shows them. */
  public static final java.util.List<String> KEYS =
      java.util.List.of(
          "title",
          "description",
          "author",
          "language",
          "home-posts",
          "page-size",
          "home-page",
          "icon");

  /**
   * A media file's address as the media module serves it: {@code /media/<sha256>/<name>}, the name
   * as it stores names ({@code [A-Za-z0-9._-]}, at most 100).
   */
  public static final Pattern MEDIA_URL =
      Pattern.compile("/media/([0-9a-f]{64})/[A-Za-z0-9._-]{1,100}");

  /**
   * The longest slug a home page may have: the read model's slug column (the rules' limit is
   * lower).
   */
  public static final int MAX_SLUG = 200;

  public static final SiteProfile NONE =
      new SiteProfile(null, null, null, null, null, null, null, null);

  /** A profile without a home page or icon (profiles written before there were). */
  public SiteProfile(
      String title,
      String description,
      String author,
      String language,
      Integer homePosts,
      Integer pageSize) {
    this(title, description, author, language, homePosts, pageSize, null, null);
  }

  /** Blank text is "not set" (the configuration's value shows), never an empty title. */
  public SiteProfile {
    title = unset(title);
    description = unset(description);
    author = unset(author);
    language = unset(language);
    homePage = unset(homePage);
    icon = unset(icon);
    if (description != null) {
      description = description.replaceAll("\\s*[\\r\\n]+\\s*", " "); // one line, for meta tags
    }
    if (language != null) {
      language = language.replace('_', '-'); // en_US, as a locale writes it, is the tag en-US
    }
  }

  private static String unset(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }

  /** The values set here, by setting name ({@code home-posts}, ...); unset ones left out. */
  public Map<String, String> asSettings() {
    Map<String, String> m = new LinkedHashMap<>();
    put(m, "title", title);
    put(m, "description", description);
    put(m, "author", author);
    put(m, "language", language);
    put(m, "home-posts", homePosts == null ? null : homePosts.toString());
    put(m, "page-size", pageSize == null ? null : pageSize.toString());
    put(m, "home-page", homePage);
    put(m, "icon", icon);
    return m;
  }

  private static void put(Map<String, String> m, String key, String value) {
    if (value != null) {
      m.put(key, value);
    }
  }

  /**
   * The profile of settings by name (as {@link #asSettings} gives them, a bundle or a form holds
   * them); other names are left out. A number that is not one is refused, naming the setting.
   */
  public static SiteProfile fromSettings(Map<String, String> s) {
    return new SiteProfile(
        s.get("title"),
        s.get("description"),
        s.get("author"),
        s.get("language"),
        number("home-posts", s.get("home-posts")),
        number("page-size", s.get("page-size")),
        s.get("home-page"),
        s.get("icon"));
  }

  private static Integer number(String field, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      return Integer.valueOf(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(field + ": '" + value + "' is not a whole number");
    }
  }

  /** What is wrong with this profile, naming the setting; empty when it is fine. */
  public Optional<FieldError> problem() {
    for (var e :
        Map.of("title", t(title), "description", t(description), "author", t(author)).entrySet()) {
      String v = e.getValue();
      if (v.length() > MAX_TEXT) {
        return Optional.of(
            new FieldError(e.getKey(), "is " + v.length() + " characters; at most " + MAX_TEXT));
      }
      if (v.chars().anyMatch(c -> c < 0x20 && c != '\t' || c == 0x7f)) {
        return Optional.of(new FieldError(e.getKey(), "has control characters"));
      }
    }
    if (language != null && !LANGUAGE.matcher(language).matches()) {
      return Optional.of(
          new FieldError(
              "language", "must be a language tag such as en or pt-BR, was '" + language + "'"));
    }
    for (var e : new Object[][] {{"home-posts", homePosts}, {"page-size", pageSize}}) {
      Integer n = (Integer) e[1];
      if (n != null && (n < 1 || n > MAX_PER_PAGE)) {
        return Optional.of(
            new FieldError((String) e[0], n + " is not between 1 and " + MAX_PER_PAGE));
      }
    }
    if (homePage != null
        && (homePage.length() > MAX_SLUG || !ContentRules.SLUG.matcher(homePage).matches())) {
      return Optional.of(
          new FieldError(
              "home-page",
              "must be the slug of a page (lowercase letters a-z, digits and single hyphens, at"
                  + " most "
                  + MAX_SLUG
                  + " characters), was '"
                  + homePage
                  + "'"));
    }
    if (icon != null && !MEDIA_URL.matcher(icon).matches()) {
      return Optional.of(
          new FieldError(
              "icon",
              "must be the address of an image in the site's media (/media/<sha256>/<name>, as"
                  + " an upload answers), was '"
                  + (icon.length() > 120 ? icon.substring(0, 120) + "..." : icon)
                  + "'"));
    }
    return Optional.empty();
  }

  /** This profile with {@code icon} as its icon. */
  public SiteProfile withIcon(String icon) {
    return new SiteProfile(
        title, description, author, language, homePosts, pageSize, homePage, icon);
  }

  /** The SHA-256 of the media file the icon is; empty when there is no icon (or it is no such). */
  public Optional<String> iconSha() {
    if (icon == null) {
      return Optional.empty();
    }
    var m = MEDIA_URL.matcher(icon);
    return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
  }

  private static String t(String s) {
    return s == null ? "" : s;
  }
}
