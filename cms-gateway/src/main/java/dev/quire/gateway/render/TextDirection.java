package dev.quire.gateway.render;

import java.util.Locale;

/**
 * Which way a language's text runs: the script a language tag is written in, whether that script
 * runs right to left (the pages' {@code <html dir>}, a PDF's and a card's layout), and whether a
 * text holds letters that do.
 */
public final class TextDirection {

  private TextDirection() {}

  /**
   * Scripts written right to left (ISO 15924 codes, as a language tag's script subtag names them:
   * {@code az-Arab}).
   */
  private static final java.util.Set<String> RTL_SCRIPTS =
      java.util.Set.of(
          "Adlm", "Arab", "Armi", "Hebr", "Mand", "Mend", "Nkoo", "Rohg", "Samr", "Syrc", "Thaa",
          "Yezi");

  /**
   * The usual script (CLDR's likely script) of the languages for which it matters here: those
   * written right to left (Arabic, Hebrew, Persian and Dari, Urdu, Pashto, Sindhi, Uyghur,
   * Kashmiri, Central and Southern Kurdish, Balochi, South Azerbaijani, Luri, Dhivehi, Yiddish,
   * Syriac and others) and Chinese, Japanese and Korean, whose letters Quire's fonts lack. A list
   * rather than ICU4J's likely subtags: every page asks, and ICU's locale data stays off the page
   * path.
   */
  private static final java.util.Map<String, String> USUAL_SCRIPT =
      java.util.Map.ofEntries(
          java.util.Map.entry("ar", "Arab"),
          java.util.Map.entry("arc", "Armi"),
          java.util.Map.entry("azb", "Arab"),
          java.util.Map.entry("bal", "Arab"),
          java.util.Map.entry("bgn", "Arab"),
          java.util.Map.entry("bqi", "Arab"),
          java.util.Map.entry("ckb", "Arab"),
          java.util.Map.entry("dv", "Thaa"),
          java.util.Map.entry("fa", "Arab"),
          java.util.Map.entry("glk", "Arab"),
          java.util.Map.entry("he", "Hebr"),
          java.util.Map.entry("iw", "Hebr"),
          java.util.Map.entry("ji", "Hebr"),
          java.util.Map.entry("khw", "Arab"),
          java.util.Map.entry("ks", "Arab"),
          java.util.Map.entry("lrc", "Arab"),
          java.util.Map.entry("luz", "Arab"),
          java.util.Map.entry("mzn", "Arab"),
          java.util.Map.entry("nqo", "Nkoo"),
          java.util.Map.entry("pnb", "Arab"),
          java.util.Map.entry("prs", "Arab"),
          java.util.Map.entry("ps", "Arab"),
          java.util.Map.entry("sd", "Arab"),
          java.util.Map.entry("sdh", "Arab"),
          java.util.Map.entry("syr", "Syrc"),
          java.util.Map.entry("ug", "Arab"),
          java.util.Map.entry("ur", "Arab"),
          java.util.Map.entry("yi", "Hebr"),
          java.util.Map.entry("zh", "Hani"),
          java.util.Map.entry("ja", "Jpan"),
          java.util.Map.entry("ko", "Kore"));

  /**
   * The script a language tag is written in, as ISO 15924 names it: its script subtag when it has
   * one ({@code az-Arab}, {@code ur-Latn}, {@code zh-Hant}), else the language's usual script where
   * this class knows it ({@code fa}: Arab, {@code ja}: Jpan), else "".
   */
  public static String script(String languageTag) {
    Locale locale = Locale.forLanguageTag(languageTag == null ? "" : languageTag);
    if (!locale.getScript().isEmpty()) {
      return locale.getScript();
    }
    return USUAL_SCRIPT.getOrDefault(locale.getLanguage(), "");
  }

  /**
   * "rtl" for a language tag written right to left ({@code he}, {@code ar-EG}, {@code fa}, {@code
   * az-Arab}), else "ltr": the pages' {@code <html dir>}. A script subtag decides when there is one
   * ({@code ku-Arab} right to left, {@code ur-Latn} left to right).
   */
  public static String direction(String languageTag) {
    return RTL_SCRIPTS.contains(script(languageTag)) ? "rtl" : "ltr";
  }

  /** Whether {@code cp} is a letter written right to left (Hebrew, Arabic, Syriac, ...). */
  public static boolean rightToLeftLetter(int cp) {
    byte d = Character.getDirectionality(cp);
    return d == Character.DIRECTIONALITY_RIGHT_TO_LEFT
        || d == Character.DIRECTIONALITY_RIGHT_TO_LEFT_ARABIC;
  }

  /** Whether {@code text} has a letter written right to left. */
  public static boolean hasRightToLeft(String text) {
    return text.codePoints().anyMatch(TextDirection::rightToLeftLetter);
  }
}
