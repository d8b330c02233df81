package dev.quire.gateway.render;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Theme assets (CSS, images, fonts) with content-hashed names: {@code css/site.css} is served as
 * {@code /assets/css/site.1a2b3c4d.css} so it can be cached for a year and still change on the next
 * deploy. Files in the theme directory on disk win over the built-in theme; in dev mode they are
 * re-read on every request. A few of the built-in theme's assets are libraries' files, read from
 * their WebJar on the class path rather than copied into the theme ({@link #VENDORED}); a theme
 * directory's file of the same name wins over those too.
 */
public final class Assets {

  public static final String PREFIX = "/assets/";
  private static final Pattern SAFE =
      Pattern.compile("[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*\\.[a-z0-9]+");
  private static final Pattern HASHED = Pattern.compile("(.+)\\.([0-9a-f]{10})(\\.[a-z0-9]+)");
  private static final Map<String, String> TYPES =
      Map.ofEntries(
          Map.entry("css", "text/css; charset=UTF-8"),
          Map.entry("js", "text/javascript; charset=UTF-8"),
          Map.entry("svg", "image/svg+xml"),
          Map.entry("png", "image/png"),
          Map.entry("jpg", "image/jpeg"),
          Map.entry("jpeg", "image/jpeg"),
          Map.entry("webp", "image/webp"),
          Map.entry("gif", "image/gif"),
          Map.entry("ico", "image/x-icon"),
          Map.entry("woff2", "font/woff2"),
          Map.entry("txt", "text/plain; charset=UTF-8"));

  /**
   * Built-in assets taken from a WebJar: the asset's name, then the WebJar's artifact and the file
   * in it. {@code js/highlight.js} is highlight.js's common build (BSD-3-Clause), which {@code
   * js/code.js} runs on fenced code that names its language.
   */
  public static final Map<String, String[]> VENDORED =
      Map.of("js/highlight.js", new String[] {"highlightjs", "highlight.min.js"});

  /** One asset: its bytes, media type and the hash in its public name. */
  public record Asset(String name, byte[] bytes, String contentType, String hash) {
    public String url() {
      int dot = name.lastIndexOf('.');
      return PREFIX + name.substring(0, dot) + "." + hash + name.substring(dot);
    }
  }

  /** What a request for an asset path resolved to; {@code fingerprinted} allows long caching. */
  public record Lookup(Asset asset, boolean fingerprinted) {}

  private final Path themeDir;
  private final boolean devMode;
  private final Map<String, Optional<Asset>> cache = new ConcurrentHashMap<>();

  public Assets(Path themeDir, boolean devMode) {
    this.themeDir = themeDir;
    this.devMode = devMode;
  }

  /** The public URL of an asset, e.g. for {@code asset("css/site.css")} in a template. */
  public String url(String name) {
    return find(name)
        .map(Asset::url)
        .orElseThrow(() -> new IllegalArgumentException("no theme asset named '" + name + "'"));
  }

  /** Resolves a path below {@code /assets/}; never leaves the theme's assets folder. */
  public Optional<Lookup> resolve(String path) {
    var m = HASHED.matcher(path);
    if (m.matches()) {
      String name = m.group(1) + m.group(3);
      return find(name).map(a -> new Lookup(a, a.hash().equals(m.group(2))));
    }
    return find(path).map(a -> new Lookup(a, false));
  }

  private Optional<Asset> find(String name) {
    if (!SAFE.matcher(name).matches()) {
      return Optional.empty();
    }
    if (devMode) {
      return load(name);
    }
    Optional<Asset> cached = cache.get(name);
    if (cached != null) {
      return cached;
    }
    // Only assets that exist are kept: a miss is any name a visitor makes up, and keeping those
    // let the map grow with every request for another made-up name.
    Optional<Asset> loaded = load(name);
    if (loaded.isPresent()) {
      cache.putIfAbsent(name, loaded);
    }
    return loaded;
  }

  /** How many assets are held in memory (tests). */
  int cachedCount() {
    return cache.size();
  }

  private Optional<Asset> load(String name) {
    try {
      byte[] bytes = null;
      if (themeDir != null) {
        Path p = themeDir.resolve("assets").resolve(name).normalize();
        if (p.startsWith(themeDir.resolve("assets").normalize()) && Files.isRegularFile(p)) {
          bytes = Files.readAllBytes(p);
        }
      }
      if (bytes == null) {
        bytes = resource("themes/default/assets/" + name);
      }
      if (bytes == null && VENDORED.containsKey(name)) {
        bytes = resource(webJarPath(VENDORED.get(name)[0], VENDORED.get(name)[1]));
      }
      if (bytes == null) {
        return Optional.empty();
      }
      String ext = name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
      String type = TYPES.getOrDefault(ext, "application/octet-stream");
      return Optional.of(new Asset(name, bytes, type, sha256Hex(bytes, FINGERPRINT_CHARS)));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read theme asset " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * Throws unless every {@link #VENDORED} asset is on the class path or in the theme directory:
   * only looked up, not read, so that the check costs the start nothing worth measuring.
   */
  public void checkVendored() {
    for (var e : VENDORED.entrySet()) {
      boolean inTheme =
          themeDir != null && Files.isRegularFile(themeDir.resolve("assets").resolve(e.getKey()));
      try {
        if (!inTheme
            && Assets.class
                    .getClassLoader()
                    .getResource(webJarPath(e.getValue()[0], e.getValue()[1]))
                == null) {
          throw new IllegalStateException(
              "theme asset " + e.getKey() + " is missing from this build (its WebJar's file)");
        }
      } catch (IOException ex) {
        throw new IllegalStateException("theme asset " + e.getKey() + ": " + ex.getMessage(), ex);
      }
    }
  }

  /** A class-path resource's bytes; null when there is none. */
  private static byte[] resource(String path) throws IOException {
    try (InputStream in = Assets.class.getClassLoader().getResourceAsStream(path)) {
      return in == null ? null : in.readAllBytes();
    }
  }

  /**
   * Where {@code file} is in the WebJar {@code org.webjars:artifact}: under its version, which its
   * Maven properties name, so that a new version of the library needs no change here.
   */
  static String webJarPath(String artifact, String file) throws IOException {
    byte[] props = resource("META-INF/maven/org.webjars/" + artifact + "/pom.properties");
    if (props == null) {
      throw new IOException("the WebJar org.webjars:" + artifact + " is not on the class path");
    }
    java.util.Properties p = new java.util.Properties();
    p.load(new java.io.ByteArrayInputStream(props));
    return "META-INF/resources/webjars/" + artifact + "/" + p.getProperty("version") + "/" + file;
  }

  /** Hex digits of an asset's SHA-256 in its fingerprinted name. */
  private static final int FINGERPRINT_CHARS = 10;

  /**
   * The first {@code hexChars} hex digits of the SHA-256 of {@code bytes}: asset fingerprints and
   * page ETags name their bytes this way.
   */
  public static String sha256Hex(byte[] bytes, int hexChars) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(bytes);
      return HexFormat.of().formatHex(d).substring(0, hexChars);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
