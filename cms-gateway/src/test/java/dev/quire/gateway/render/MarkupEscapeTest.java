package dev.quire.gateway.render;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unbescape.html.HtmlEscape;

/** The site's HTML escaping writes what Pebble's own strategy (unbescape) wrote, and is used. */
class MarkupEscapeTest {

  private final MarkupEscape escape = new MarkupEscape();

  @Test
  void everyCharacterEscapesAsPebblesOwnStrategyEscapedIt() {
    for (int c = 0; c <= Character.MAX_VALUE; c++) {
      String one = "a" + (char) c + "b";
      assertThat(escape.escape(one)).as("U+%04X", c).isEqualTo(HtmlEscape.escapeHtml4Xml(one));
    }
  }

  @Test
  void mixedTextEscapesAsPebblesOwnStrategyEscapedIt() {
    for (String s :
        List.of(
            "",
            "plain words, untouched",
            "<script>alert('x' && \"y\")</script>",
            "&amp; already escaped stays visible as &amp;amp;",
            "café — naïve 😀 \u2028 end",
            "\"quoted\" at both ends'",
            "<<>>&&''\"\"")) {
      assertThat(escape.escape(s)).isEqualTo(HtmlEscape.escapeHtml4Xml(s));
    }
    String plain = "nothing to escape here";
    assertThat(escape.escape(plain)).isSameAs(plain);
    assertThat(escape.escape(null)).isNull();
  }

  @Test
  void templatesEscapeWithIt(@TempDir Path theme) throws Exception {
    Files.createDirectories(theme.resolve("templates"));
    Files.writeString(theme.resolve("templates/probe.peb"), "<p title=\"{{ t }}\">{{ t }}</p>");
    Templates templates = new Templates(theme, false, true, List.of());
    assertThat(templates.render("probe.peb", Map.of("t", "<b>'Tom' & \"Jerry\"</b>")))
        .isEqualTo(
            "<p title=\"&lt;b&gt;&#39;Tom&#39; &amp; &quot;Jerry&quot;&lt;/b&gt;\">"
                + "&lt;b&gt;&#39;Tom&#39; &amp; &quot;Jerry&quot;&lt;/b&gt;</p>");
  }
}
