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
    for (String rtl : List.of("he", "ar", "ar-EG", "fa", "ur", "ps", "yi", "ckb", "az-Arab")) {
      assertThat(DisplayDate.direction(rtl)).as(rtl).isEqualTo("rtl");
    }
    for (String ltr : List.of("en", "de", "pt-BR", "ja", "zh-Hant", "ur-Latn", "tlh", "", "x")) {
      assertThat(DisplayDate.direction(ltr)).as(ltr).isEqualTo("ltr");
    }
    assertThat(DisplayDate.direction(null)).isEqualTo("ltr");
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
   * column's alignment as the Markdown names it may say "right".
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
            .filter(l -> !l.contains("[align=\"right\"]"))
            .toList();
    assertThat(sided).isEmpty();
  }
}
