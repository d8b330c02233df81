package dev.quire.gateway.render;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** A site in a language written right to left reads right to left: its pages and its theme. */
class TextDirectionTest {

  @Test
  void languagesWrittenRightToLeftAreNamedSoAndTheirScriptDecides() {
    for (String rtl :
        List.of("he", "ar", "ar-EG", "fa", "prs", "ur", "ps", "yi", "ckb", "sdh", "az-Arab")) {
      assertThat(TextDirection.direction(rtl)).as(rtl).isEqualTo("rtl");
    }
    for (String ltr : List.of("en", "de", "pt-BR", "ja", "zh-Hant", "ur-Latn", "tlh", "", "x")) {
      assertThat(TextDirection.direction(ltr)).as(ltr).isEqualTo("ltr");
    }
    assertThat(TextDirection.direction(null)).isEqualTo("ltr");
    // The script, which the Settings page's font warning also goes by.
    assertThat(TextDirection.script("fa")).isEqualTo("Arab");
    assertThat(TextDirection.script("az-Arab")).isEqualTo("Arab");
    assertThat(TextDirection.script("ur-Latn")).isEqualTo("Latn");
    assertThat(TextDirection.script("ja")).isEqualTo("Jpan");
    assertThat(TextDirection.script("zh-Hant-TW")).isEqualTo("Hant");
    assertThat(TextDirection.script("de")).isEmpty();
  }

  @Test
  void thePagesSayTheirDirection() {
    Templates templates = new Templates(null, false, true, List.of());
    Map<String, Object> model = ThemeWordsTest.errorPageModel(404, "/nothere");
    model.put(
        "site",
        new dev.quire.gateway.site.SiteSettings("Site", "", "http://x", "he", "", 10, 10, "", ""));
    assertThat(templates.render("site/404.peb", model, Locale.forLanguageTag("he")))
        .contains("<html lang=\"he\" dir=\"rtl\">");
    assertThat(
            templates.render(
                "site/404.peb", ThemeWordsTest.errorPageModel(404, "/nothere"), Locale.GERMAN))
        .contains("<html lang=\"de\" dir=\"ltr\">");
  }

  /**
   * The theme's layout follows the page's direction only if its CSS names sides logically
   * (inline-start, end): a "left" or "right" would stay put in Hebrew. Comments aside, only a table
   * column's alignment, the side the Markdown names, may name one. And every arrow the site's
   * templates draw turns with the page (the CSS turns {@code .arrow}; one on the home page once did
   * not, its class not among those the rule listed).
   */
  @Test
  void theThemesCssNamesNoSideThatWouldNotTurnWithTheDirection() throws Exception {
    String css;
    try (var in =
        TextDirectionTest.class.getResourceAsStream("/themes/default/assets/css/site.css")) {
      css = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    String code = Pattern.compile("/\\*.*?\\*/", Pattern.DOTALL).matcher(css).replaceAll("");
    List<String> sided =
        code.lines()
            .filter(l -> Pattern.compile("\\b(left|right)\\b").matcher(l).find())
            .filter(l -> !l.contains("[align=\"right\"]") && !l.contains("[align=\"left\"]"))
            .toList();
    assertThat(sided).isEmpty();
    assertThat(code).contains("[dir=\"rtl\"] .arrow {");

    java.nio.file.Path site =
        java.nio.file.Path.of(
            TextDirectionTest.class.getResource("/themes/default/templates/site").toURI());
    List<String> unturned = new java.util.ArrayList<>();
    try (var files = java.nio.file.Files.list(site)) {
      for (java.nio.file.Path f : files.toList()) {
        String t = java.nio.file.Files.readString(f);
        String rest =
            t.replace("<span class=\"arrow\" aria-hidden=\"true\">\u2190</span>", "")
                .replace("<span class=\"arrow\" aria-hidden=\"true\">\u2192</span>", "");
        if (rest.contains("\u2190") || rest.contains("\u2192")) {
          unturned.add(f.getFileName().toString());
        }
      }
    }
    assertThat(unturned).as("templates with an arrow outside <span class=\"arrow\">").isEmpty();
  }
}
