package dev.quire.gateway.render;

import io.pebbletemplates.pebble.PebbleEngine;
import io.pebbletemplates.pebble.extension.AbstractExtension;
import io.pebbletemplates.pebble.extension.Extension;
import io.pebbletemplates.pebble.extension.Function;
import io.pebbletemplates.pebble.loader.ClasspathLoader;
import io.pebbletemplates.pebble.loader.DelegatingLoader;
import io.pebbletemplates.pebble.loader.FileLoader;
import io.pebbletemplates.pebble.loader.Loader;
import io.pebbletemplates.pebble.template.EvaluationContext;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Pebble with autoescaping, loading {@code <theme-dir>/templates/...} first and the built-in
 * default theme second, so a theme directory overrides any single template. In dev mode nothing is
 * cached and edits on disk show on the next request.
 */
public final class Templates {

  private final PebbleEngine engine;
  private final Assets assets;
  private final boolean devMode;
  private final ThemeWords words;

  /**
   * Which templates lose the indentation of their lines as they load ({@link IndentTrim}), so pages
   * do not carry it: {@code quire.gateway.trim-template-indentation}.
   */
  public enum Trim {
    /** None. */
    OFF,
    /** The built-in theme's (checked to show the same: {@code ServeDemoTest}). */
    DEFAULT_THEME,
    /** The theme directory's too. */
    ALL;

    /** "off" (or "false"), "default-theme" or "all"; anything else is refused naming the key. */
    public static Trim parse(String value) {
      return switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
        case "off", "false" -> OFF;
        case "default-theme" -> DEFAULT_THEME;
        case "all" -> ALL;
        default ->
            throw new IllegalArgumentException(
                "quire.gateway.trim-template-indentation must be off, default-theme or all, was '"
                    + value
                    + "'");
      };
    }
  }

  /** As below, trimming the built-in theme's templates (the default configuration). */
  public Templates(Path themeDir, boolean devMode, boolean strict, List<Extension> extensions) {
    this(themeDir, devMode, strict, Trim.DEFAULT_THEME, extensions);
  }

  public Templates(
      Path themeDir, boolean devMode, boolean strict, Trim trim, List<Extension> extensions) {
    this.assets = new Assets(themeDir, devMode);
    this.devMode = devMode;
    this.words = new ThemeWords(themeDir, devMode);
    List<Loader<?>> loaders = new ArrayList<>();
    if (themeDir != null && Files.isDirectory(themeDir.resolve("templates"))) {
      FileLoader file = new FileLoader(themeDir.resolve("templates").toString());
      file.setCharset(StandardCharsets.UTF_8.name());
      loaders.add(trim == Trim.ALL ? IndentTrim.loader(file) : file);
    }
    ClasspathLoader classpath = new ClasspathLoader(Templates.class.getClassLoader());
    classpath.setPrefix("themes/default/templates");
    classpath.setCharset(StandardCharsets.UTF_8.name());
    loaders.add(trim == Trim.OFF ? classpath : IndentTrim.loader(classpath));
    PebbleEngine.Builder builder =
        new PebbleEngine.Builder()
            .loader(new DelegatingLoader(loaders))
            .autoEscaping(true)
            .addEscapingStrategy("html", new MarkupEscape())
            .strictVariables(strict)
            .cacheActive(!devMode)
            .extension(new AssetExtension(assets, words, strict));
    extensions.forEach(builder::extension);
    this.engine = builder.build();
  }

  /**
   * Compiles {@code names} into the template cache now, so that visitors need not wait for it;
   * nothing in dev mode, where nothing is cached. A template that does not compile is named in the
   * list returned (with its error) and the others still compile; its first request fails as it
   * would have anyway.
   */
  public List<String> precompile(List<String> names) {
    List<String> failed = new ArrayList<>();
    if (!devMode) {
      for (String name : names) {
        try {
          engine.getTemplate(name);
        } catch (RuntimeException e) {
          failed.add(name + ": " + e.getMessage());
        }
      }
    }
    return failed;
  }

  public Assets assets() {
    return assets;
  }

  /** The theme's words in the site's language (the templates' {@code t} function). */
  public ThemeWords words() {
    return words;
  }

  public String render(String name, Map<String, Object> model) {
    return render(name, model, java.util.Locale.ENGLISH);
  }

  /**
   * {@code name} with {@code model}, in {@code locale}: what the {@code longDate} filter writes
   * dates in (pages: the site's language).
   */
  public String render(String name, Map<String, Object> model, java.util.Locale locale) {
    PebbleTemplate template = engine.getTemplate(name);
    StringWriter out = new StringWriter(8192);
    try {
      template.evaluate(out, model, locale);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  public byte[] renderBytes(String name, Map<String, Object> model) {
    return render(name, model).getBytes(StandardCharsets.UTF_8);
  }

  public byte[] renderBytes(String name, Map<String, Object> model, java.util.Locale locale) {
    return render(name, model, locale).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * {@code asset("css/site.css")}: the fingerprinted URL of a theme asset; {@code date | longDate}:
   * a day in the long form of the page's language ({@link DisplayDate}); {@code month | monthName}
   * and {@code month | monthYear}: a month as a heading in it; {@code t("key", args...)}: the
   * theme's word for {@code key} in the page's language ({@link ThemeWords}). A key no word file
   * has is an error with strict templates, and written as itself otherwise.
   */
  private static final class AssetExtension extends AbstractExtension {
    private final Assets assets;
    private final ThemeWords words;
    private final boolean strict;

    AssetExtension(Assets assets, ThemeWords words, boolean strict) {
      this.assets = assets;
      this.words = words;
      this.strict = strict;
    }

    @Override
    public Map<String, io.pebbletemplates.pebble.extension.Filter> getFilters() {
      return Map.of(
          "longDate",
          // An Instant has no day until it has a zone: post.localDate has one.
          dateFilter(
              "longDate takes a day (a LocalDate such as post.localDate)",
              List.of(java.time.temporal.ChronoField.DAY_OF_MONTH),
              DisplayDate::longDate),
          "monthName",
          dateFilter(
              MONTH_WANTED.formatted("monthName"),
              MONTH_FIELDS,
              (d, locale) -> DisplayDate.monthHeading(d, locale, false)),
          "monthYear",
          dateFilter(
              MONTH_WANTED.formatted("monthYear"),
              MONTH_FIELDS,
              (d, locale) -> DisplayDate.monthHeading(d, locale, true)),
          "datetime",
          noArguments(
              (input, context, fault) -> {
                if (input == null) {
                  return "";
                }
                if (input instanceof java.time.Instant t) {
                  return DisplayDate.attribute(t);
                }
                // An instant as text (what a message carries, "2026-12-07T14:55:00.392389359Z").
                if (input instanceof String s) {
                  try {
                    return DisplayDate.attribute(java.time.Instant.parse(s));
                  } catch (java.time.format.DateTimeParseException e) {
                    // Not an instant: written as it is, as before the filter.
                    return s;
                  }
                }
                throw fault.at(
                    "datetime takes an Instant or its text, was "
                        + input.getClass().getSimpleName(),
                    null);
              }),
          "footnotes",
          noArguments(
              (input, context, fault) -> {
                if (input == null) {
                  return "";
                }
                // Text, as its input was: "| raw" after it, as the body had before, writes it.
                java.util.Locale locale = context.getLocale();
                try {
                  return Footnotes.localize(
                      input.toString(),
                      word("post.footnotes", locale),
                      n -> word("post.footnoteBack", locale, n));
                } catch (IllegalArgumentException | UncheckedIOException e) {
                  // A theme's pattern that does not parse, or (dev mode) a word file unreadable.
                  throw fault.at(
                      "theme words 'post.footnotes' and 'post.footnoteBack': " + e.getMessage(), e);
                }
              }),
          "excerpt",
          new io.pebbletemplates.pebble.extension.Filter() {
            @Override
            public List<String> getArgumentNames() {
              return List.of("length");
            }

            @Override
            public Object apply(
                Object input,
                Map<String, Object> args,
                PebbleTemplate self,
                EvaluationContext context,
                int lineNumber) {
              if (!(args.get("length") instanceof Number n) || n.intValue() < 1) {
                throw new io.pebbletemplates.pebble.error.PebbleException(
                    null,
                    "excerpt takes the most characters it may give, a whole number from 1:"
                        + " post.html | excerpt(160)",
                    lineNumber,
                    self.getName());
              }
              return input == null ? "" : Excerpt.of(input.toString(), n.intValue());
            }
          },
          "jsonLd",
          noArguments(
              (input, context, fault) -> {
                if (!(input instanceof Map<?, ?>)) {
                  throw fault.at(
                      "jsonLd takes a map, such as {\"@type\": \"BlogPosting\", ...}", null);
                }
                return new io.pebbletemplates.pebble.extension.escaper.SafeString(
                    JsonLd.write(input));
              }));
    }

    /** What a filter without arguments makes of its input, in the page's context. */
    private interface NoArguments {
      Object apply(Object input, EvaluationContext context, Fault fault);
    }

    /** A template error at the filter's place in its template, saying {@code message}. */
    private interface Fault {
      io.pebbletemplates.pebble.error.PebbleException at(String message, Throwable cause);
    }

    /** A filter that takes no arguments: {@code body} with the template's place for its errors. */
    private static io.pebbletemplates.pebble.extension.Filter noArguments(NoArguments body) {
      return new io.pebbletemplates.pebble.extension.Filter() {
        @Override
        public List<String> getArgumentNames() {
          return List.of();
        }

        @Override
        public Object apply(
            Object input,
            Map<String, Object> args,
            PebbleTemplate self,
            EvaluationContext context,
            int lineNumber) {
          return body.apply(
              input,
              context,
              (message, cause) ->
                  new io.pebbletemplates.pebble.error.PebbleException(
                      cause, message, lineNumber, self.getName()));
        }
      };
    }

    /** The theme's word for {@code key} in {@code locale}, or the key where no file has it. */
    private String word(String key, java.util.Locale locale, Object... args) {
      return words.format(key, locale, args).orElse(key);
    }

    private static final String MONTH_WANTED =
        "%s takes a month (a YearMonth such as the archive's, or a LocalDate)";

    private static final List<java.time.temporal.ChronoField> MONTH_FIELDS =
        List.of(java.time.temporal.ChronoField.MONTH_OF_YEAR, java.time.temporal.ChronoField.YEAR);

    /**
     * A filter that writes a date in the page's language with {@code format}: "" for null, and an
     * error saying {@code wanted} for anything without the {@code fields} it needs.
     */
    private static io.pebbletemplates.pebble.extension.Filter dateFilter(
        String wanted,
        List<java.time.temporal.ChronoField> fields,
        java.util.function.BiFunction<java.time.temporal.TemporalAccessor, java.util.Locale, String>
            format) {
      return noArguments(
          (input, context, fault) -> {
            if (input == null) {
              return "";
            }
            if (!(input instanceof java.time.temporal.TemporalAccessor date)
                || !fields.stream().allMatch(date::isSupported)) {
              throw fault.at(wanted + ", was " + input.getClass().getSimpleName(), null);
            }
            return format.apply(date, context.getLocale());
          });
    }

    @Override
    public Map<String, Function> getFunctions() {
      return Map.of(
          "t",
          new Function() {
            @Override
            public List<String> getArgumentNames() {
              return null; // positional: the key, then the pattern's arguments
            }

            @Override
            public Object execute(
                Map<String, Object> args,
                PebbleTemplate self,
                EvaluationContext context,
                int lineNumber) {
              Object key = args.get("0");
              if (!(key instanceof String k) || k.isBlank()) {
                throw new io.pebbletemplates.pebble.error.PebbleException(
                    null,
                    "t takes the key of a theme word first, then its arguments",
                    lineNumber,
                    self.getName());
              }
              Object[] values = new Object[args.size() - 1];
              for (int i = 0; i < values.length; i++) {
                values[i] = args.get(String.valueOf(i + 1));
              }
              Optional<String> word;
              try {
                word = words.format(k, context.getLocale(), values);
              } catch (IllegalArgumentException | UncheckedIOException e) {
                // A pattern that wants a number given a word, say, or (in dev mode, where files
                // are read at each use) a file that cannot be read or does not parse.
                throw new io.pebbletemplates.pebble.error.PebbleException(
                    e, "theme word '" + k + "': " + e.getMessage(), lineNumber, self.getName());
              }
              if (word.isEmpty() && strict) {
                throw new io.pebbletemplates.pebble.error.PebbleException(
                    null,
                    "no theme word '"
                        + k
                        + "' in "
                        + ThemeWords.DIR
                        + "/words.properties (nor in the theme's, nor for the page's language)",
                    lineNumber,
                    self.getName());
              }
              return word.orElse(k);
            }
          },
          "asset",
          new Function() {
            @Override
            public List<String> getArgumentNames() {
              return List.of("name");
            }

            @Override
            public Object execute(
                Map<String, Object> args,
                PebbleTemplate self,
                EvaluationContext context,
                int lineNumber) {
              return assets.url(String.valueOf(args.get("name")));
            }
          });
    }
  }
}
