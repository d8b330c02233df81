package dev.quire.gateway.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Template indentation is dropped as templates load, and nothing a reader sees changes. Rendered
 * through real Pebble; the default theme's pages are compared with and without it in {@code
 * ServeDemoTest}.
 */
class IndentTrimTest {

  @Test
  void indentationGoesAndEveryLineBreakStays() {
    String template = "<ul>\n    <li>one</li>\n\t\t<li>two</li>\n    \n</ul>\n";
    assertThat(IndentTrim.trim(template)).isEqualTo("<ul>\n<li>one</li>\n<li>two</li>\n\n</ul>\n");
    assertThat(IndentTrim.trim("no line break")).isEqualTo("no line break");
    assertThat(IndentTrim.trim("x\n   last line without one"))
        .isEqualTo("x\nlast line without one");
    // A first line may follow the word before an include: one space stays.
    assertThat(IndentTrim.trim("   first line")).isEqualTo(" first line");
    assertThat(IndentTrim.trim("")).isEmpty();
  }

  @Test
  void aWordAfterATagOrACommentThatEatsTheLineBreakKeepsItsSpace(@TempDir Path theme)
      throws Exception {
    // Pebble drops the line break after "%}", "}}" and "#}": the indentation was the only space
    // left.
    String page =
        "<p>word{% if yes %}\n        more{% endif %} and{# note #}\n    still</p>\n"
            + "<p>{{ name }}\n    after a value</p>";
    assertThat(render(theme, page, true))
        .isEqualTo("<p>word more and still</p>\n<p>Ann after a value</p>");
    assertThat(render(theme, page, false))
        .isEqualTo("<p>word        more and    still</p>\n<p>Ann    after a value</p>");
  }

  @Test
  void preformattedTextAreasScriptsAndStylesAreLeftAsWritten(@TempDir Path theme) throws Exception {
    String page =
        "<div>\n"
            + "  <pre class=\"x\">\n    indented\n      more\n  </pre>\n"
            + "  <TEXTAREA name=t>\n  typed\n  </TEXTAREA>\n"
            + "  <script>\n    let s = `a\n      b`;\n  </script>\n"
            + "  <style>\n    p { margin: 0 }\n  </style>\n"
            + "  <p>after</p>\n"
            + "</div>";
    assertThat(render(theme, page, true))
        .isEqualTo(
            "<div>\n"
                + "<pre class=\"x\">\n    indented\n      more\n  </pre>\n"
                + "<TEXTAREA name=t>\n  typed\n  </TEXTAREA>\n"
                + "<script>\n    let s = `a\n      b`;\n  </script>\n"
                + "<style>\n    p { margin: 0 }\n  </style>\n"
                + "<p>after</p>\n"
                + "</div>");
    // A <p> or <preview> is not a <pre>; what the template prints is never touched.
    assertThat(IndentTrim.trim("<preview>\n  x\n</preview>")).isEqualTo("<preview>\nx\n</preview>");
  }

  @Test
  void aTemplateErrorNamesTheSameLineEitherWay(@TempDir Path theme) throws Exception {
    String page = "<div>\n    <p>\n      {{ missing.field }}\n    </p>\n</div>";
    for (boolean trim : List.of(true, false)) {
      assertThatThrownBy(() -> render(theme, page, trim))
          .as("trim " + trim)
          .hasMessageContaining("missing")
          .hasMessageContaining("(site/t.peb:3)");
    }
  }

  @Test
  void anIncludedTemplatesFirstLineKeepsItsSpaceAfterTheIncludersWord(@TempDir Path theme)
      throws Exception {
    Files.createDirectories(theme.resolve("templates/site"));
    Files.writeString(theme.resolve("templates/site/part.peb"), "    more\n");
    assertThat(render(theme, "<p>word{% include \"site/part.peb\" %}</p>", true))
        .isEqualTo("<p>word more\n</p>");
  }

  @Test
  void whitespaceControlWindowsLineEndsAndBlocksOnOneLineAreKeptAsPebbleAndBrowsersReadThem(
      @TempDir Path theme) throws Exception {
    // "-" trims all the whitespace beside the tag: with or without the indentation, the same.
    String controlled = "<p>a\n    {%- if yes -%}\n    b\n    {%- endif %}</p>";
    assertThat(render(theme, controlled, true)).isEqualTo(render(theme, controlled, false));
    assertThat(render(theme, controlled, true)).isEqualTo("<p>ab</p>");
    assertThat(IndentTrim.trim("<p>\r\n    x{% if a %}\r\n    y\r\n"))
        .isEqualTo("<p>\r\nx{% if a %}\r\n y\r\n");
    assertThat(IndentTrim.trim("<pre>a</pre><pre>\n  kept\n</pre>\n  gone"))
        .isEqualTo("<pre>a</pre><pre>\n  kept\n</pre>\ngone");
    assertThat(IndentTrim.trim("</pre><pre>\n  kept\n</pre>"))
        .isEqualTo("</pre><pre>\n  kept\n</pre>");
  }

  @Test
  void aThemeDirectorysTemplatesAreTrimmedOnlyWhenAskedAndTheSettingIsChecked(@TempDir Path theme)
      throws Exception {
    String page = "<p>\n    x\n</p>";
    assertThat(render(theme, page, Templates.Trim.DEFAULT_THEME)).isEqualTo(page);
    assertThat(render(theme, page, Templates.Trim.ALL)).isEqualTo("<p>\nx\n</p>");
    assertThat(Templates.Trim.parse("false")).isEqualTo(Templates.Trim.OFF);
    assertThat(Templates.Trim.parse(" Default-Theme ")).isEqualTo(Templates.Trim.DEFAULT_THEME);
    assertThatThrownBy(() -> Templates.Trim.parse("yes"))
        .hasMessage(
            "quire.gateway.trim-template-indentation must be off, default-theme or all, was 'yes'");
  }

  /** {@code template} rendered from a theme directory, trimmed ({@code Trim.ALL}) or not. */
  private static String render(Path theme, String template, boolean trim) throws Exception {
    return render(theme, template, trim ? Templates.Trim.ALL : Templates.Trim.OFF);
  }

  private static String render(Path theme, String template, Templates.Trim trim) throws Exception {
    Files.createDirectories(theme.resolve("templates/site"));
    Files.writeString(theme.resolve("templates/site/t.peb"), template);
    // Dev mode: read from disk at each render, so each call sees this call's template.
    return new Templates(theme, true, true, trim, List.of())
        .render("site/t.peb", Map.of("yes", true, "name", "Ann"));
  }
}
