package dev.quire.gateway.backup;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigUtil;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The site's settings a bundle carries ({@code quire.site.*}), and {@code <data>/site.conf}, where
 * an import writes them. {@code QuireNode.config} (deploy) reads that file above the packaged
 * defaults and below system properties; each setting that has an environment variable is written so
 * the variable still wins.
 */
public final class BundleSettings {

  public static final String FILE = "site.conf";

  /** Setting (under {@code quire.site}) to the environment variable that overrides it. */
  public static final Map<String, String> KEYS = keys();

  private static final int MAX_VALUE_CHARS = 2000;
  private static final int MAX_PAGE_SIZE = 1000;

  private BundleSettings() {}

  private static Map<String, String> keys() {
    Map<String, String> k = new LinkedHashMap<>();
    k.put("title", "QUIRE_SITE_TITLE");
    k.put("description", "QUIRE_SITE_DESCRIPTION");
    k.put("base-url", "QUIRE_BASE_URL");
    k.put("language", "QUIRE_SITE_LANGUAGE");
    k.put("author", "QUIRE_SITE_AUTHOR");
    k.put("time-zone", "QUIRE_TIME_ZONE");
    k.put("home-posts", "");
    k.put("page-size", "");
    k.put("home-page", "");
    k.put("icon", "");
    return java.util.Collections.unmodifiableMap(k);
  }

  /**
   * The settings that stay the deployment's ({@code <data>/site.conf}); the others are the site's
   * profile, which its editors set in the admin and an import sets like them.
   */
  public static final java.util.Set<String> DEPLOYMENT = java.util.Set.of("base-url", "time-zone");

  /**
   * The settings in effect: the configuration's, with what the editors set ({@code profile}) over
   * them, except where this process's environment sets one (as a gateway shows them).
   */
  public static Map<String, String> of(Config config, dev.quire.protocol.SiteProfile profile) {
    Map<String, String> out = of(config);
    java.util.Set<String> pinned = dev.quire.gateway.site.SiteSettings.pinned(System::getenv);
    profile
        .asSettings()
        .forEach(
            (k, v) -> {
              if (!pinned.contains(k)) {
                out.put(k, v);
              }
            });
    return out;
  }

  /** The settings of the configuration, as strings. */
  public static Map<String, String> of(Config config) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String key : KEYS.keySet()) {
      String path = "quire.site." + key;
      if (config.hasPath(path)
          && !(key.equals("base-url") && !dev.quire.gateway.site.SiteSettings.baseUrlSet(config))) {
        out.put(key, config.getString(path));
      }
    }
    return out;
  }

  /** The settings {@code file} itself holds (none when there is no such file), by name. */
  public static Map<String, String> inFile(Path file) {
    Map<String, String> out = new LinkedHashMap<>();
    if (!Files.exists(file)) {
      return out;
    }
    Config c = com.typesafe.config.ConfigFactory.parseFile(file.toFile()).resolve();
    for (String key : KEYS.keySet()) {
      String path = "quire.site." + key;
      if (c.hasPath(path)) {
        out.put(key, c.getString(path));
      }
    }
    return out;
  }

  public static Path file(Config config) {
    return Path.of(config.getString("quire.data-dir")).resolve(FILE);
  }

  /** What is wrong with settings read from a bundle, naming the setting; empty when fine. */
  public static List<String> problems(Map<String, String> settings) {
    List<String> problems = new ArrayList<>();
    for (var e : settings.entrySet()) {
      String key = e.getKey();
      String value = e.getValue() == null ? "" : e.getValue();
      String where = "settings.json: setting '" + key + "': ";
      if (!KEYS.containsKey(key)) {
        continue; // reported as ignored, not an error: a newer Quire may know more settings
      }
      if (value.length() > MAX_VALUE_CHARS) {
        problems.add(where + "longer than " + MAX_VALUE_CHARS + " characters");
        continue;
      }
      switch (key) {
        case "base-url" -> {
          try {
            URI u = new URI(value);
            if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme()))
                || u.getHost() == null) {
              problems.add(where + "'" + value + "' is not an http(s) URL");
            }
          } catch (java.net.URISyntaxException ex) {
            problems.add(where + "'" + value + "' is not a URL");
          }
        }
        case "time-zone" -> {
          try {
            ZoneId.of(value);
          } catch (java.time.DateTimeException ex) {
            problems.add(where + "'" + value + "' is not a time zone");
          }
        }
        case "home-page" -> {
          if (!value.isEmpty() && !dev.quire.protocol.ContentRules.SLUG.matcher(value).matches()) {
            problems.add(where + "'" + value + "' is not the slug of a page");
          }
        }
        case "icon" -> {
          if (!value.isEmpty()
              && !dev.quire.protocol.SiteProfile.MEDIA_URL.matcher(value).matches()) {
            problems.add(where + "'" + value + "' is not the address of a media file");
          }
        }
        case "home-posts", "page-size" -> {
          try {
            int n = Integer.parseInt(value);
            if (n < 1 || n > MAX_PAGE_SIZE) {
              problems.add(where + n + " is not between 1 and " + MAX_PAGE_SIZE);
            }
          } catch (NumberFormatException ex) {
            problems.add(where + "'" + value + "' is not a whole number");
          }
        }
        default -> {
          if (value.chars().anyMatch(c -> c < 0x20 && c != '\t')) {
            problems.add(where + "has control characters");
          }
        }
      }
    }
    return problems;
  }

  /** Settings of the bundle that this Quire does not know, for the import's summary. */
  public static List<String> unknown(Map<String, String> settings) {
    return settings.keySet().stream().filter(k -> !KEYS.containsKey(k)).sorted().toList();
  }

  /** Writes {@code settings} (known keys only) to {@code file}, atomically. */
  public static void write(Path file, Map<String, String> settings) throws IOException {
    StringBuilder conf = new StringBuilder();
    conf.append("# Site settings, written by `quire bundle import`. Edit freely; an environment\n")
        .append("# variable named on the line below a setting still wins over it, and so does\n")
        .append("# what admins set in the admin's Settings (title, description, ...).\n")
        .append("quire.site {\n");
    for (var e : settings.entrySet()) {
      String env = KEYS.get(e.getKey());
      if (env == null) {
        continue;
      }
      String key = ConfigUtil.quoteString(e.getKey());
      conf.append("  ").append(key).append(" = ");
      conf.append(ConfigUtil.quoteString(e.getValue() == null ? "" : e.getValue())).append('\n');
      if (!env.isEmpty()) {
        conf.append("  ").append(key).append(" = ${?").append(env).append("}\n");
      }
    }
    conf.append("}\n");
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(FILE + ".tmp");
    Files.writeString(tmp, conf, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
