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

  private static final DateTimeFormatter FALLBACK_MONTH =
      DateTimeFormatter.ofPattern("MMMM", Locale.ENGLISH);

  /**
   * The month of {@code date} (a {@code YearMonth}, or anything with its fields) as a heading in
   * {@code locale}: its name standing alone ("December", "Dezember", "Décembre"), and the year
   * after it when {@code withYear}. Languages that write month names in lower case inside a
   * sentence begin the heading with a capital, as headings do. A language the JDK has no date names
   * for gets the English name.
   */
  public static String monthHeading(TemporalAccessor date, Locale locale, boolean withYear) {
    String name;
    if (locale == null || !NAMED.contains(locale.getLanguage())) {
      name = FALLBACK_MONTH.format(date);
      locale = Locale.ENGLISH;
    } else {
      name = DateTimeFormatter.ofPattern("LLLL", locale).format(date);
    }
    if (!name.isEmpty()) {
      int first = name.codePointAt(0);
      name =
          new String(Character.toChars(first)).toUpperCase(locale)
              + name.substring(Character.charCount(first));
    }
    if (!withYear) {
      return name;
    }
    return name + " " + date.get(java.time.temporal.ChronoField.YEAR);
  }

  /** {@code date} (a day, or anything with its fields) in the long form of {@code locale}. */
  public static String longDate(TemporalAccessor date, Locale locale) {
    if (locale == null || !NAMED.contains(locale.getLanguage())) {
      return FALLBACK.format(date);
    }
    return DateTimeFormatter.ofLocalizedDate(FormatStyle.LONG).withLocale(locale).format(date);
  }
}
