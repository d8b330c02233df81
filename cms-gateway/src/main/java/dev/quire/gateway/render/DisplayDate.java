package dev.quire.gateway.render;

import java.text.DateFormat;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;
import java.time.temporal.TemporalAccessor;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A date as readers of the site's language write it: the JDK's CLDR long form for the site's {@code
 * language} ({@code en}: "December 5, 2026", {@code en-GB}: "5 December 2026", {@code de}: "5.
 * Dezember 2026", {@code fr}: "5 décembre 2026"). A language the JDK has no date names for gets the
 * English "5 December 2026", as every page had before dates followed the language.
 */
public final class DisplayDate {

  private DisplayDate() {}

  private static final DateTimeFormatter FALLBACK =
      DateTimeFormatter.ofPattern("d MMMM yyyy", Locale.ENGLISH);

  /** The languages the JDK has date names for. */
  private static final Set<String> NAMED =
      Arrays.stream(DateFormat.getAvailableLocales())
          .map(Locale::getLanguage)
          .filter(l -> !l.isEmpty())
          .collect(Collectors.toUnmodifiableSet());

  /** The locale of a site language tag ({@code pt-BR}); null or blank: English. */
  public static Locale locale(String languageTag) {
    if (languageTag == null || languageTag.isBlank()) {
      return Locale.ENGLISH;
    }
    return Locale.forLanguageTag(languageTag.strip());
  }

  /** {@code date} (a day, or anything with its fields) in the long form of {@code locale}. */
  public static String longDate(TemporalAccessor date, Locale locale) {
    if (locale == null || !NAMED.contains(locale.getLanguage())) {
      return FALLBACK.format(date);
    }
    return DateTimeFormatter.ofLocalizedDate(FormatStyle.LONG).withLocale(locale).format(date);
  }
}
