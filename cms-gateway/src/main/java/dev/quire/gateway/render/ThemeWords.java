package dev.quire.gateway.render;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.MessageFormat;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The words a theme writes around the content ("3 min read", "Older posts", "Page not found"), in
 * the site's language. They are {@link MessageFormat} patterns in {@code i18n/words.properties}
 * (English, every key) and {@code i18n/words_<language>.properties} beside it (UTF-8), looked up
 * for the page's locale from the most specific file to the least: {@code words_pt_BR}, {@code
 * words_pt}, {@code words} (see {@link #candidates} for scripts). A theme directory's files come
 * before the built-in theme's at each step, so a theme can change one word of one language, or add
 * a language, without copying the rest. Library: the JDK's {@code MessageFormat}, for arguments,
 * their number forms in the language ("1.234" in German) and singular and plural through {@code
 * choice}; a pattern writes an apostrophe as {@code ''} (or the typographic ’, as the built-in
 * files do).
 */
public final class ThemeWords {

  /** Where the word files are, under a theme (directory or classpath). */
  public static final String DIR = "i18n";

  private static final String BUILT_IN = "themes/default/" + DIR + "/";

  /**
   * The languages the built-in theme has words for, as language tags (English is {@code
   * words.properties}; {@code ThemeWordsTest} checks each has its file).
   */
  public static final List<String> BUILT_IN_LANGUAGES =
      List.of("de", "en", "es", "fr", "he", "it", "nl", "pt", "pt-BR");

  private final Path themeDir;
  private final boolean devMode;

  /** The built-in theme's files by name ("words_de"), as read (empty: there is no such file). */
  private final Map<String, Map<String, String>> builtIn = new ConcurrentHashMap<>();

  /** The same for the theme directory's (not kept in dev mode). */
  private final Map<String, Map<String, String>> theme = new ConcurrentHashMap<>();

  /**
   * {@code themeDir}: the theme directory (null: the built-in theme only). In {@code devMode} a
   * theme directory's files are read again at every lookup, as its templates are.
   */
  public ThemeWords(Path themeDir, boolean devMode) {
    this.themeDir = themeDir;
    this.devMode = devMode;
    if (!devMode) {
      // Read and checked now: a theme's file that cannot be read, or a pattern MessageFormat
      // refuses, stops the gateway's start naming the file and key, not a page at a time.
      themeFiles().forEach(this::themeFile);
    }
  }

  /** The names of the theme directory's word files ("words_de"), if it has any. */
  private List<String> themeFiles() {
    Path dir = themeDir == null ? null : themeDir.resolve(DIR);
    if (dir == null || !Files.isDirectory(dir)) {
      return List.of();
    }
    try (var files = Files.list(dir)) {
      return files
          .map(f -> f.getFileName().toString())
          .filter(n -> n.startsWith("words") && n.endsWith(".properties"))
          .map(n -> n.substring(0, n.length() - ".properties".length()))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  /**
   * The pattern of {@code key} for {@code locale}, formatted with {@code args}; empty if no file on
   * the way to {@code words.properties} has it.
   */
  public Optional<String> format(String key, Locale locale, Object... args) {
    for (String name : candidates(locale)) {
      String pattern = themeFile(name).get(key);
      if (pattern == null) {
        pattern = builtInFile(name).get(key);
      }
      if (pattern != null) {
        return Optional.of(new MessageFormat(pattern, locale).format(args));
      }
    }
    return Optional.empty();
  }

  /**
   * The languages this theme has words for: the built-in ones and those of the theme directory's
   * files ({@code words_sv} is {@code sv}, {@code words_zh_Hant} {@code zh-Hant}), sorted.
   */
  public List<String> languages() {
    java.util.SortedSet<String> tags = new java.util.TreeSet<>(BUILT_IN_LANGUAGES);
    for (String name : themeFiles()) {
      if (name.startsWith("words_")) {
        tags.add(name.substring("words_".length()).replace('_', '-'));
      }
    }
    return List.copyOf(tags);
  }

  /** The keys of the built-in English file: every word a built-in template uses. */
  public static java.util.Set<String> builtInKeys() {
    return read(BUILT_IN + "words.properties").keySet();
  }

  /** The built-in file {@code name} ("words_de"), as read; empty if there is none. */
  static Map<String, String> builtInFileNamed(String name) {
    return read(BUILT_IN + name + ".properties");
  }

  /**
   * "words_pt_BR", "words_pt", "words" for pt-BR; "words_zh_TW", "words_zh_Hant", "words_zh",
   * "words" for zh-Hant-TW (a variant is not looked at). Only what a language tag can hold makes a
   * name (letters, a region's digits): anything else is skipped, so no name leaves the i18n
   * directory.
   */
  static List<String> candidates(Locale locale) {
    List<String> names = new ArrayList<>(4);
    String language = locale.getLanguage();
    String script = locale.getScript();
    String country = locale.getCountry();
    if (language.matches("[a-z]{2,8}")) {
      if (country.matches("[A-Z]{2}|[0-9]{3}")) {
        names.add("words_" + language + "_" + country);
      }
      if (script.matches("[A-Z][a-z]{3}")) {
        names.add("words_" + language + "_" + script);
      }
      names.add("words_" + language);
    }
    names.add("words");
    return names;
  }

  private Map<String, String> builtInFile(String name) {
    return builtIn.computeIfAbsent(name, n -> read(BUILT_IN + n + ".properties"));
  }

  private Map<String, String> themeFile(String name) {
    if (themeDir == null) {
      return Map.of();
    }
    if (devMode) {
      return readFile(themeDir.resolve(DIR).resolve(name + ".properties"));
    }
    return theme.computeIfAbsent(
        name, n -> readFile(themeDir.resolve(DIR).resolve(n + ".properties")));
  }

  private static Map<String, String> read(String resource) {
    try (InputStream in = ThemeWords.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        return Map.of();
      }
      return load(new InputStreamReader(in, StandardCharsets.UTF_8), resource);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }

  private static Map<String, String> readFile(Path file) {
    if (!Files.isRegularFile(file)) {
      return Map.of();
    }
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return load(in, file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /**
   * Checked as read: a pattern MessageFormat refuses is named with its file and key, a file that is
   * not a properties file (a malformed Unicode escape) with its file.
   */
  private static Map<String, String> load(Reader in, String where) throws IOException {
    Properties p = new Properties();
    try {
      p.load(in);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
    Map<String, String> words = new HashMap<>();
    for (String key : p.stringPropertyNames()) {
      String pattern = p.getProperty(key);
      try {
        new MessageFormat(pattern, Locale.ROOT);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            where + ": " + key + ": not a MessageFormat pattern (" + e.getMessage() + ")", e);
      }
      words.put(key, pattern);
    }
    return Map.copyOf(words);
  }
}
