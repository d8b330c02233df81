package dev.quire.gateway.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The theme's words in the site's language: the built-in files, a theme's, and the t function. */
class ThemeWordsTest {

  static final List<String> LANGUAGES = List.of("de", "es", "fr", "he", "it", "nl", "pt");

  @Test
  void everyBuiltInLanguageHasEveryWordAndNothingElse() {
    var keys = ThemeWords.builtInKeys();
    assertThat(keys).contains("post.readingTime", "pagination.older", "error.notFound.title");
    for (String language : LANGUAGES) {
      assertThat(ThemeWords.builtInFileNamed("words_" + language).keySet())
          .as(language)
          .isEqualTo(keys);
    }
    // What the admin's Settings page names: English and every file.
    for (String tag : ThemeWords.BUILT_IN_LANGUAGES) {
      String name = tag.equals("en") ? "words" : "words_" + tag.replace('-', '_');
      assertThat(ThemeWords.builtInFileNamed(name)).as(tag).isNotEmpty();
    }
    assertThat(ThemeWords.BUILT_IN_LANGUAGES).containsAll(LANGUAGES);
    // A regional file holds only what differs, and nothing the theme does not use.
    assertThat(keys).containsAll(ThemeWords.builtInFileNamed("words_pt_BR").keySet());
  }

  @Test
  void builtInPatternsWriteNoBareApostropheAndFormatWithTheirArguments() {
    ThemeWords words = new ThemeWords(null, false);
    List<String> all = new java.util.ArrayList<>(LANGUAGES);
    all.add("en");
    for (String language : all) {
      Map<String, String> file =
          ThemeWords.builtInFileNamed(language.equals("en") ? "words" : "words_" + language);
      for (var e : file.entrySet()) {
        // MessageFormat drops a single ' (it starts a quoted part): the built-in files write ’.
        assertThat(e.getValue()).as(language + " " + e.getKey()).doesNotContain("'");
        Object second = e.getValue().contains("{1,number") ? 8 : "q<x>";
        String written =
            words.format(e.getKey(), Locale.forLanguageTag(language), 7, second).orElseThrow();
        assertThat(written).as(language + " " + e.getKey()).doesNotContain("{").isNotBlank();
      }
    }
  }

  @Test
  void wordsFollowTheLanguageFromTheMostSpecificFileToEnglish() {
    ThemeWords words = new ThemeWords(null, false);
    assertThat(words.format("post.readingTime", Locale.forLanguageTag("de"), 3))
        .contains("3 Min. Lesezeit");
    assertThat(words.format("post.readingTime", Locale.forLanguageTag("de-AT"), 3))
        .contains("3 Min. Lesezeit");
    assertThat(words.format("post.pdf", Locale.forLanguageTag("pt-BR"))).contains("Baixar em PDF");
    assertThat(words.format("post.readingTime", Locale.forLanguageTag("pt-BR"), 4))
        .as("not in words_pt_BR: from words_pt")
        .contains("4 min de leitura");
    assertThat(words.format("post.readingTime", Locale.forLanguageTag("ja"), 3))
        .as("a language without a file: English")
        .contains("3 min read");
    assertThat(words.format("no.such.word", Locale.ENGLISH)).isEmpty();
  }

  @Test
  void countsTakeTheLanguagesNumberFormAndItsSingular() {
    ThemeWords words = new ThemeWords(null, false);
    assertThat(words.format("search.results", Locale.ENGLISH, 1, "x"))
        .contains("1 result for “x”.");
    assertThat(words.format("search.results", Locale.ENGLISH, 1234, "x"))
        .contains("1,234 results for “x”.");
    assertThat(words.format("search.results", Locale.GERMAN, 1234, "x"))
        .contains("1.234 Ergebnisse für „x“.");
    assertThat(words.format("search.results", Locale.FRENCH, 0, "x"))
        .as("French counts zero in the singular")
        .contains("0 résultat pour «\u00a0x\u00a0».");
  }

  @Test
  void aThemesFileChangesOneWordAndAddsALanguage(@TempDir Path theme) throws Exception {
    Files.createDirectories(theme.resolve("i18n"));
    Files.writeString(
        theme.resolve("i18n/words_de.properties"), "post.readingTime = Lesedauer: {0} Minuten\n");
    Files.writeString(
        theme.resolve("i18n/words_sv.properties"), "pagination.older = Äldre inlägg\n");
    ThemeWords words = new ThemeWords(theme, false);
    assertThat(words.format("post.readingTime", Locale.GERMAN, 5)).contains("Lesedauer: 5 Minuten");
    assertThat(words.format("pagination.older", Locale.GERMAN))
        .as("the rest of German from the built-in file")
        .contains("Ältere Beiträge");
    assertThat(words.format("pagination.older", Locale.forLanguageTag("sv")))
        .contains("Äldre inlägg");
    assertThat(words.format("pagination.newer", Locale.forLanguageTag("sv")))
        .as("what Swedish lacks: English")
        .contains("Newer posts");
    assertThat(words.languages()).contains("sv", "de", "pt-BR", "en");
  }

  @Test
  void aPatternMessageFormatRefusesIsNamedWithItsFileAndKey(@TempDir Path theme) throws Exception {
    Files.createDirectories(theme.resolve("i18n"));
    Files.writeString(theme.resolve("i18n/words_de.properties"), "post.readingTime = {0 min\n");
    // At the start (the gateway does not start), not at a page's first render.
    assertThatThrownBy(() -> new ThemeWords(theme, false))
        .hasMessageContaining("words_de.properties")
        .hasMessageContaining("post.readingTime");
    Files.writeString(theme.resolve("i18n/words_fr.properties"), "post.pdf = \\uZZZZ\n");
    Files.delete(theme.resolve("i18n/words_de.properties"));
    assertThatThrownBy(() -> new ThemeWords(theme, false))
        .as("not a properties file: named with its file")
        .hasMessageContaining("words_fr.properties")
        .hasMessageContaining("Malformed");
    Files.writeString(theme.resolve("i18n/words_fr.properties"), "post.pdf = PDF\n");
    Files.writeString(theme.resolve("i18n/words_de.properties"), "post.readingTime = {0 min\n");
    // In dev mode files are read as they are used: the render that uses it fails.
    ThemeWords dev = new ThemeWords(theme, true);
    assertThat(dev.format("post.readingTime", Locale.ENGLISH, 1)).contains("1 min read");
    assertThatThrownBy(() -> dev.format("post.readingTime", Locale.GERMAN, 1))
        .hasMessageContaining("words_de.properties")
        .hasMessageContaining("post.readingTime");
  }

  @Test
  void filesAreNamedOnlyFromWhatALanguageTagCanHold() {
    assertThat(ThemeWords.candidates(Locale.forLanguageTag("zh-Hant-TW")))
        .containsExactly("words_zh_TW", "words_zh_Hant", "words_zh", "words");
    assertThat(ThemeWords.candidates(Locale.forLanguageTag("es-419")))
        .containsExactly("words_es_419", "words_es", "words");
    assertThat(ThemeWords.candidates(new Locale("../../etc/passwd", "x/y")))
        .containsExactly("words");
  }

  @Test
  void pageNumbersAreWrittenWithoutGrouping() {
    ThemeWords words = new ThemeWords(null, false);
    assertThat(words.format("pagination.status", Locale.ENGLISH, 1000, 1200))
        .contains("Page 1000 of 1200");
    assertThat(words.format("list.pageOf", Locale.GERMAN, 1000, 1200))
        .contains("Seite 1000 von 1200");
  }

  @Test
  void theTemplatesFunctionWritesTheWordEscapedAndRefusesAnUnknownKeyWhenStrict(@TempDir Path theme)
      throws Exception {
    Files.createDirectories(theme.resolve("templates/t"));
    Files.writeString(theme.resolve("templates/t/w.peb"), "{{ t(\"tag.title\", tag) }}");
    Files.writeString(theme.resolve("templates/t/unknown.peb"), "{{ t(\"no.such.word\") }}");
    Map<String, Object> model = Map.of("tag", "<b>x</b>");
    Templates strict = new Templates(theme, false, true, List.of());
    assertThat(strict.render("t/w.peb", model, Locale.GERMAN))
        .as("the argument is escaped with the rest")
        .isEqualTo("Beiträge mit dem Schlagwort „&lt;b&gt;x&lt;/b&gt;“");
    assertThatThrownBy(() -> strict.render("t/unknown.peb", Map.of(), Locale.ENGLISH))
        .hasMessageContaining("no.such.word")
        .hasMessageContaining("t/unknown.peb");
    Templates lenient = new Templates(theme, false, false, List.of());
    assertThat(lenient.render("t/unknown.peb", Map.of(), Locale.ENGLISH)).isEqualTo("no.such.word");
  }

  /**
   * What PageRenderer gives an error page (or, with its item, a PDF's document) of a German site.
   */
  static Map<String, Object> errorPageModel(int status, String path) {
    Map<String, Object> model = new java.util.HashMap<>();
    model.put("status", status);
    model.put("message", "");
    model.put("starting", false);
    model.put(
        "site",
        new dev.quire.gateway.site.SiteSettings("Site", "", "http://x", "de", "", 10, 10, "", ""));
    model.put("nav", List.of());
    model.put("currentPath", path);
    model.put("year", 2026);
    return model;
  }

  @Test
  void theBuiltInPagesUseTheWordsOfThePagesLanguage() {
    Templates templates = new Templates(null, false, true, List.of());
    Map<String, Object> model = errorPageModel(404, "/nothere");
    String page = templates.render("site/404.peb", model, Locale.GERMAN);
    assertThat(page)
        .contains(">Seite nicht gefunden</h1>")
        .contains(">Zur Startseite</a>")
        .contains(">Zum Inhalt springen</a>")
        .doesNotContain("Page not found");
  }

  @Test
  void theErrorPageSaysTheSiteIsStartingInItsLanguage() {
    Templates templates = new Templates(null, false, true, List.of());
    Map<String, Object> model = errorPageModel(503, "/");
    model.put("starting", true);
    assertThat(templates.render("site/500.peb", model, Locale.GERMAN))
        .contains("<title>Die Website startet · Site</title>")
        .contains(">Die Website startet</h1>")
        .doesNotContain("error__detail");
    model.put("starting", false);
    model.put("message", "the server did not answer in time; please try again");
    assertThat(templates.render("site/500.peb", model, Locale.GERMAN))
        .contains(">Gerade nicht verfügbar</h1>")
        .contains("error__detail\">the server did not answer in time");
    model.put("status", 500);
    model.put("message", "");
    assertThat(templates.render("site/500.peb", model, Locale.ENGLISH))
        .contains("<title>Something went wrong · Site</title>")
        .contains(">Something went wrong</h1>");
  }

  @Test
  void thePdfsDocumentWritesItsReadingTimeInThePagesLanguage() {
    var post = dev.quire.gateway.site.TestPosts.published(List.of("Java"), "");
    Map<String, Object> model = errorPageModel(200, post.url());
    model.put("item", post);
    assertThat(
            new Templates(null, false, true, List.of())
                .render("pdf/document.peb", model, Locale.GERMAN))
        .contains("5. Dezember 2026 · 3 Min. Lesezeit · Java");
  }
}
