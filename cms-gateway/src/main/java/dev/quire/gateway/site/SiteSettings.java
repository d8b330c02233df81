package dev.quire.gateway.site;

import com.typesafe.config.Config;
import dev.quire.protocol.SiteProfile;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * {@code site} in templates: what the site says about itself ({@code quire.site}), with what its
 * editors set in the admin ({@link SiteProfile}) over the configuration's values. {@code homePage}
 * is the slug of the page the home ({@code /}) shows, or empty for the latest posts; {@code icon}
 * the address of the media image that is the site's icon, or empty for the theme's.
 */
public record SiteSettings(
    String title,
    String description,
    String baseUrl,
    String language,
    String author,
    int homePosts,
    int pageSize,
    String homePage,
    String icon) {

  /**
   * The environment variable that sets each profile setting in the packaged configuration. One that
   * is set pins its setting: the operator's word wins over the admin's, which shows it so.
   */
  public static final Map<String, String> ENVIRONMENT =
      Map.of(
          "title", "QUIRE_SITE_TITLE",
          "description", "QUIRE_SITE_DESCRIPTION",
          "language", "QUIRE_SITE_LANGUAGE",
          "author", "QUIRE_SITE_AUTHOR");

  /**
   * Whether {@code quire.site.base-url} was set (a configuration file, {@code site.conf}, a system
   * property, {@code QUIRE_BASE_URL}): not the built-in default, nor the address {@code quire
   * serve} gives a site tried out on another port ({@code quire.site.base-url-guessed}). Only a set
   * address goes into a bundle: one exported from a trial run pinned {@code http://localhost:18301}
   * into the {@code site.conf} of every site it was imported into.
   */
  public static boolean baseUrlSet(Config config) {
    return !(config.hasPath(GUESSED) && config.getBoolean(GUESSED))
        && !config.getString("quire.site.base-url").isBlank()
        && !isDefaultBaseUrl(config, System.getenv("QUIRE_BASE_URL"));
  }

  /**
   * Whether the site's base URL is the built-in default: set by no configuration file, {@code
   * site.conf}, system property or {@code QUIRE_BASE_URL} ({@code env}).
   */
  public static boolean isDefaultBaseUrl(Config config, String env) {
    if (env != null && !env.isBlank()) {
      return false;
    }
    var origin = config.getValue("quire.site.base-url").origin();
    return origin.resource() != null && origin.resource().equals("reference.conf");
  }

  /** Set by {@code quire serve} beside the address it made up for a local trial. */
  public static final String GUESSED = "quire.site.base-url-guessed";

  public static SiteSettings fromConfig(Config c) {
    Config s = c.getConfig("quire.site");
    String base = s.getString("base-url");
    try {
      java.net.URI u = new java.net.URI(base);
      // (The authority, not the host: java.net.URI has no host for a name with "_", a compose
      // service's, or letters outside ASCII. Empty, as QUIRE_BASE_URL= leaves it: links relative.)
      if (!base.isEmpty()
          && (!("http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme()))
              || u.getRawAuthority() == null
              || u.getRawAuthority().isEmpty()
              || u.getRawQuery() != null
              || u.getRawFragment() != null)) {
        throw new java.net.URISyntaxException(base, "not an http(s) address");
      }
    } catch (java.net.URISyntaxException e) {
      // Every canonical link, feed and sitemap entry is made from it: "notaurl" gave
      // <loc>notaurl/</loc>.
      throw new IllegalArgumentException(
          "quire.site.base-url (QUIRE_BASE_URL) must be the site's public address, http or https"
              + " with a host and no query, such as https://example.org, was '"
              + base
              + "'");
    }
    // As an admin's value is read: en_US (a locale's spelling) is the tag en-US; anything else that
    // is not a language tag stops the start, naming the key.
    String language = s.getString("language").strip().replace('_', '-');
    if (dev.quire.protocol.SiteProfile.LANGUAGE_CONFIGURED.matcher(language).matches()
        && !dev.quire.protocol.SiteProfile.LANGUAGE.matcher(language).matches()) {
      org.slf4j.LoggerFactory.getLogger(SiteSettings.class)
          .warn(
              "quire.site.language (QUIRE_SITE_LANGUAGE): '{}' is not a language code of two or"
                  + " three letters (en, pt-BR); pages say <html lang=\"{}\">, which browsers and"
                  + " screen readers do not know",
              language,
              language);
    } else if (!dev.quire.protocol.SiteProfile.LANGUAGE.matcher(language).matches()) {
      throw new IllegalArgumentException(
          "quire.site.language (QUIRE_SITE_LANGUAGE): '"
              + s.getString("language")
              + "' is not a language tag such as en or pt-BR");
    }
    String icon = s.getString("icon").strip();
    if (!icon.isEmpty() && !SiteProfile.MEDIA_URL.matcher(icon).matches()) {
      throw new IllegalArgumentException(
          "quire.site.icon: '"
              + icon
              + "' is not the address of a media file (/media/<sha256>/<name>, as an upload"
              + " answers); leave it empty for the theme's icon");
    }
    return new SiteSettings(
        s.getString("title"),
        s.getString("description"),
        base.endsWith("/") ? base.substring(0, base.length() - 1) : base,
        language,
        s.getString("author"),
        s.getInt("home-posts"),
        s.getInt("page-size"),
        s.getString("home-page").strip(),
        icon);
  }

  /**
   * {@code site.direction} in templates: "rtl" when the site's language is written right to left
   * (Hebrew, Arabic, Persian, Urdu, ...), else "ltr", for {@code <html dir>}.
   */
  public String direction() {
    return dev.quire.gateway.render.TextDirection.direction(language);
  }

  /** The profile settings (by name) an environment variable sets, given how to read one. */
  public static Set<String> pinned(Function<String, String> environment) {
    return ENVIRONMENT.entrySet().stream()
        .filter(e -> environment.apply(e.getValue()) != null)
        .map(Map.Entry::getKey)
        .collect(Collectors.toUnmodifiableSet());
  }

  /** These settings with each value {@code profile} sets, except the {@code pinned} ones. */
  public SiteSettings with(SiteProfile profile, Set<String> pinned) {
    return new SiteSettings(
        pick(profile.title(), title, pinned.contains("title")),
        pick(profile.description(), description, pinned.contains("description")),
        baseUrl,
        pick(profile.language(), language, pinned.contains("language")),
        pick(profile.author(), author, pinned.contains("author")),
        pick(profile.homePosts(), homePosts, pinned.contains("home-posts")),
        pick(profile.pageSize(), pageSize, pinned.contains("page-size")),
        pick(profile.homePage(), homePage, pinned.contains("home-page")),
        pick(profile.icon(), icon, pinned.contains("icon")));
  }

  /** Whether the home shows a page (the one of slug {@link #homePage}) and not the latest posts. */
  public boolean hasHomePage() {
    return !homePage.isEmpty();
  }

  private static <T> T pick(T set, T configured, boolean pinned) {
    return set == null || pinned ? configured : set;
  }

  /** Whether the site has an icon of its own (a media image), not the theme's. */
  public boolean hasIcon() {
    return !icon.isEmpty();
  }

  /**
   * Whether the icon is one phones' home screens take ({@code apple-touch-icon}): a PNG or JPEG, as
   * its address's extension says (the settings store it with the one its type has).
   */
  public boolean iconTouch() {
    String name = icon.toLowerCase(java.util.Locale.ROOT);
    return name.endsWith(".png") || name.endsWith(".jpg") || name.endsWith(".jpeg");
  }

  /** Each profile setting's value here, by name ({@code home-posts}, ...), as text. */
  public Map<String, String> profileSettings() {
    return Map.of(
        "title", title,
        "description", description,
        "author", author,
        "language", language,
        "home-posts", Integer.toString(homePosts),
        "page-size", Integer.toString(pageSize),
        "home-page", homePage,
        "icon", icon);
  }
}
