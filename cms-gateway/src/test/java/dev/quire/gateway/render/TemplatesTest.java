package dev.quire.gateway.render;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compiling a site's templates ahead of its first request, with a theme that overrides one. */
class TemplatesTest {

  static final List<String> SITE = List.of("site/layout.peb", "site/home.peb", "site/post.peb");

  @Test
  void aTemplateThatDoesNotCompileIsNamedAndTheOthersStillCompile(@TempDir Path theme)
      throws Exception {
    Files.createDirectories(theme.resolve("templates/site"));
    Files.writeString(theme.resolve("templates/site/home.peb"), "{% if %}never closed");
    Templates templates = new Templates(theme, false, true, List.of());
    List<String> failed = templates.precompile(SITE);
    assertThat(failed).hasSize(1);
    assertThat(failed.get(0)).startsWith("site/home.peb: ");
    // The built-in templates the theme does not override compiled and render.
    assertThat(new Templates(null, false, true, List.of()).precompile(SITE)).isEmpty();
  }

  @Test
  void devModeCompilesNothingAhead(@TempDir Path theme) throws Exception {
    Files.createDirectories(theme.resolve("templates/site"));
    Files.writeString(theme.resolve("templates/site/home.peb"), "{% if %}never closed");
    // Nothing is cached in dev mode, so nothing is compiled ahead and nothing can fail here.
    assertThat(new Templates(theme, true, true, List.of()).precompile(SITE)).isEmpty();
  }

  @Test
  void longDateWritesADayInTheLongFormOfThePagesLanguage(@TempDir Path theme) throws Exception {
    Files.createDirectories(theme.resolve("templates/t"));
    Files.writeString(theme.resolve("templates/t/date.peb"), "{{ day | longDate }}");
    Templates templates = new Templates(theme, false, true, List.of());
    var day = java.util.Map.<String, Object>of("day", java.time.LocalDate.of(2026, 12, 5));
    assertThat(templates.render("t/date.peb", day, DisplayDate.locale("en")))
        .isEqualTo("December 5, 2026");
    assertThat(templates.render("t/date.peb", day, DisplayDate.locale("en-GB")))
        .isEqualTo("5 December 2026");
    assertThat(templates.render("t/date.peb", day, DisplayDate.locale("de")))
        .isEqualTo("5. Dezember 2026");
    assertThat(templates.render("t/date.peb", day, DisplayDate.locale("fr")))
        .isEqualTo("5 d\u00e9cembre 2026");
    assertThat(templates.render("t/date.peb", day, DisplayDate.locale("pt-BR")))
        .isEqualTo("5 de dezembro de 2026");
    assertThat(templates.render("t/date.peb", day, DisplayDate.locale("tlh")))
        .as("a language without date names in the JDK: English")
        .isEqualTo("5 December 2026");
  }

  /** HTML's datetime takes at most three digits of a second; Instant.toString() writes nine. */
  @Test
  void datetimeWritesAnInstantAsTheTimeElementTakesIt(@TempDir Path theme) throws Exception {
    Files.createDirectories(theme.resolve("templates/t"));
    Files.writeString(
        theme.resolve("templates/t/time.peb"), "<time datetime=\"{{ t | datetime }}\">");
    Templates templates = new Templates(theme, false, true, List.of());
    var t = java.time.Instant.parse("2026-12-07T14:55:00.392389359Z");
    assertThat(templates.render("t/time.peb", java.util.Map.of("t", t)))
        .isEqualTo("<time datetime=\"2026-12-07T14:55:00.392Z\">");
    // As text too (the settings page's last change comes as the message's string).
    assertThat(
            templates.render("t/time.peb", java.util.Map.of("t", "2026-12-07T14:55:00.392389359Z")))
        .isEqualTo("<time datetime=\"2026-12-07T14:55:00.392Z\">");
    assertThat(DisplayDate.attribute(java.time.Instant.parse("2026-12-07T14:55:00.000999Z")))
        .isEqualTo("2026-12-07T14:55:00Z");
    assertThat(DisplayDate.attribute(null)).isEmpty();
  }

  @Test
  void monthFiltersWriteAMonthAsAHeadingInThePagesLanguage(@TempDir Path theme) throws Exception {
    Files.createDirectories(theme.resolve("templates/t"));
    Files.writeString(
        theme.resolve("templates/t/month.peb"), "{{ m | monthName }}|{{ m | monthYear }}");
    Files.writeString(theme.resolve("templates/t/wrong.peb"), "{{ 'soon' | monthName }}");
    Templates templates = new Templates(theme, false, true, List.of());
    var m = java.util.Map.<String, Object>of("m", java.time.YearMonth.of(2026, 12));
    assertThat(templates.render("t/month.peb", m, DisplayDate.locale("en")))
        .isEqualTo("December|December 2026");
    assertThat(templates.render("t/month.peb", m, DisplayDate.locale("de")))
        .isEqualTo("Dezember|Dezember 2026");
    assertThat(templates.render("t/month.peb", m, DisplayDate.locale("fr")))
        .as("a heading begins with a capital where a sentence would not")
        .isEqualTo("D\u00e9cembre|D\u00e9cembre 2026");
    assertThat(templates.render("t/month.peb", m, DisplayDate.locale("pt-BR")))
        .as("the language's words between month and year")
        .isEqualTo("Dezembro|Dezembro de 2026");
    assertThat(templates.render("t/month.peb", m, DisplayDate.locale("ja")))
        .as("the language's order")
        .isEqualTo("12\u6708|2026\u5e7412\u6708");
    assertThat(templates.render("t/month.peb", m, DisplayDate.locale("ru")))
        .as("the month's name standing alone")
        .isEqualTo(
            "\u0414\u0435\u043a\u0430\u0431\u0440\u044c|\u0414\u0435\u043a\u0430\u0431\u0440\u044c 2026 \u0433.");
    assertThat(templates.render("t/month.peb", m, DisplayDate.locale("tlh")))
        .isEqualTo("December|December 2026");
    assertThat(
            templates.render(
                "t/month.peb",
                java.util.Map.<String, Object>of("m", java.time.LocalDate.of(2026, 3, 9)),
                DisplayDate.locale("es")))
        .isEqualTo("Marzo|Marzo de 2026");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> templates.render("t/wrong.peb", java.util.Map.of(), DisplayDate.locale("en")))
        .hasMessageContaining("monthName takes a month");
  }
}
