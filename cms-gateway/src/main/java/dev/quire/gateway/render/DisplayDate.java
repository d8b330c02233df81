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
 * English "5 December 2026", as every page had before dates followed the language. Digits are the
 * language's, as its numbers in the theme's words are ({@code ar}: "٥ ديسمبر ٢٠٢٦" beside "٣
 * دقائق"; {@code ar-u-nu-latn} or {@code ar-MA}: Latin digits in both), so a line never mixes two
 * kinds.
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

  /**
   * The month of {@code date} (a {@code YearMonth}, or anything with its fields) as a heading in
   * {@code locale}: its name standing alone ("December", "Dezember", "Décembre"), or with the year
   * when {@code withYear}, in the order and words of the language's long date without its day
   * ("December 2026", "Dezembro de 2026", "2026年12月"). Languages that write month names in lower
   * case inside a sentence begin the heading with a capital, as headings do. A language the JDK has
   * no date names for gets English.
   */
  public static String monthHeading(TemporalAccessor date, Locale locale, boolean withYear) {
    if (locale == null || !NAMED.contains(locale.getLanguage())) {
      locale = Locale.ENGLISH;
    }
    String pattern = withYear ? YEAR_MONTH.computeIfAbsent(locale, DisplayDate::yearMonth) : "LLLL";
    String heading =
        DateTimeFormatter.ofPattern(pattern, locale)
            .withDecimalStyle(java.time.format.DecimalStyle.of(locale))
            .format(date);
    if (heading.isEmpty() || !Character.isLetter(heading.codePointAt(0))) {
      return heading;
    }
    int first = heading.codePointAt(0);
    return new String(Character.toChars(first)).toUpperCase(locale)
        + heading.substring(Character.charCount(first));
  }

  private static final java.util.Map<Locale, String> YEAR_MONTH =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The language's long date pattern ({@code d 'de' MMMM 'de' y}) without its day and what stands
   * between the day and the next field ({@code MMMM 'de' y}), the month's name standing alone.
   */
  static String yearMonth(Locale locale) {
    String p =
        java.time.format.DateTimeFormatterBuilder.getLocalizedDateTimePattern(
            FormatStyle.LONG, null, java.time.chrono.IsoChronology.INSTANCE, locale);
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < p.length()) {
      char ch = p.charAt(i);
      if (ch == '\'') {
        int end = quoteEnd(p, i);
        out.append(p, i, end);
        i = end;
      } else if (ch == 'd') {
        while (i < p.length() && p.charAt(i) == 'd') {
          i++;
        }
        while (i < p.length() && !isPatternLetter(p.charAt(i))) {
          i = p.charAt(i) == '\'' ? quoteEnd(p, i) : i + 1;
        }
      } else {
        out.append(ch);
        i++;
      }
    }
    String pattern = out.toString().strip().replace("MMMM", "LLLL");
    return pattern.contains("y") ? pattern : "LLLL y";
  }

  /** Just past the quoted literal that opens at {@code start}. */
  private static int quoteEnd(String pattern, int start) {
    int end = pattern.indexOf('\'', start + 1);
    return end < 0 ? pattern.length() : end + 1;
  }

  private static boolean isPatternLetter(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  }

  /**
   * {@code t} as HTML's {@code <time datetime>} takes an instant ("2026-12-07T14:55:00.392Z"): at
   * most three digits of a second, where {@code Instant.toString()} writes up to nine, which the
   * HTML standard (and its validator) refuses; "" for none.
   */
  public static String attribute(java.time.Instant t) {
    return t == null ? "" : t.truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString();
  }

  /** {@code date} (a day, or anything with its fields) in the long form of {@code locale}. */
  public static String longDate(TemporalAccessor date, Locale locale) {
    if (locale == null || !NAMED.contains(locale.getLanguage())) {
      return FALLBACK.format(date);
    }
    return DateTimeFormatter.ofLocalizedDate(FormatStyle.LONG)
        .withLocale(locale)
        .withDecimalStyle(java.time.format.DecimalStyle.of(locale))
        .format(date);
  }
}
