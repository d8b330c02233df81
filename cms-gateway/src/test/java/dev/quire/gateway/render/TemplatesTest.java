package dev.quire.gateway.render;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compiling a site's templates ahead of its first request, with a theme that overrides one. */
public class TemplatesTest {

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

  /**
   * A date's digits are the language's, as the numbers in its theme words are: before, an Arabic
   * site's post showed "5 ديسمبر 2026" beside "٣ min read" (MessageFormat's digits).
   */
  @Test
  void aDateHasTheDigitsOfTheLanguagesNumbers(@TempDir Path theme) throws Exception {
    Files.createDirectories(theme.resolve("templates/t"));
    Files.writeString(
        theme.resolve("templates/t/line.peb"),
        "{{ day | longDate }} \u00b7 {{ t(\"post.readingTime\", 3) }} \u00b7 {{ day | monthYear }}");
    Templates templates = new Templates(theme, false, true, List.of());
    var day = java.util.Map.<String, Object>of("day", java.time.LocalDate.of(2026, 12, 5));
    assertThat(templates.render("t/line.peb", day, DisplayDate.locale("ar")))
        .isEqualTo(
            "\u0665 \u062f\u064a\u0633\u0645\u0628\u0631 \u0662\u0660\u0662\u0666 \u00b7 \u0663 min read"
                + " \u00b7 \u062f\u064a\u0633\u0645\u0628\u0631 \u0662\u0660\u0662\u0666");
    assertThat(templates.render("t/line.peb", day, DisplayDate.locale("ar-u-nu-latn")))
        .as("the site's language tag can ask for Latin digits, in both")
        .isEqualTo(
            "5 \u062f\u064a\u0633\u0645\u0628\u0631 2026 \u00b7 3 min read"
                + " \u00b7 \u062f\u064a\u0633\u0645\u0628\u0631 2026");
    assertThat(templates.render("t/line.peb", day, DisplayDate.locale("fa")))
        .contains("\u06f5")
        .contains("\u06f3 min")
        .doesNotContainPattern("[0-9]");
    assertThat(templates.render("t/line.peb", day, DisplayDate.locale("de")))
        .isEqualTo("5. Dezember 2026 \u00b7 3 Min. Lesezeit \u00b7 Dezember 2026");
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

  /**
   * The Markdown renderer's output for two footnotes, one cited twice, as MarkdownRendererTest
   * checks it.
   */
  public static final String FOOTNOTES_BODY =
      """
      <p>A note<sup class="footnote-ref"><a href="#fn-a" id="fnref-a" data-footnote-ref>1</a></sup> \
      and another<sup class="footnote-ref"><a href="#fn-b" id="fnref-b" data-footnote-ref>2</a></sup>, \
      and the first again<sup class="footnote-ref"><a href="#fn-a" id="fnref-a-2" data-footnote-ref>1</a></sup>.</p>
      <section class="footnotes" data-footnotes>
      <ol>
      <li id="fn-a">
      <p>First &quot;one&quot;. <a href="#fnref-a" class="footnote-backref" data-footnote-backref \
      data-footnote-backref-idx="1" aria-label="Back to reference 1">\u21a9</a> \
      <a href="#fnref-a-2" class="footnote-backref" data-footnote-backref data-footnote-backref-idx="1-2" \
      aria-label="Back to reference 1-2"><sup class="footnote-ref">2</sup>\u21a9</a></p>
      </li>
      <li id="fn-b">
      <p>Second. <a href="#fnref-b" class="footnote-backref" data-footnote-backref \
      data-footnote-backref-idx="2" aria-label="Back to reference 2">\u21a9</a></p>
      </li>
      </ol>
      </section>
      """;

  /**
   * The stored body is the same in every language; its footnotes get a heading (the HTML checker
   * warned of a section without one) and their links back a label in the page's language.
   */
  @Test
  void footnotesGetAHeadingAndLinksBackInThePagesLanguage(@TempDir Path theme) throws Exception {
    Files.createDirectories(theme.resolve("templates/t"));
    Files.writeString(theme.resolve("templates/t/body.peb"), "{{ html | footnotes | raw }}");
    Templates templates = new Templates(theme, false, true, List.of());
    // What content-service's MarkdownRenderer writes for "A note[^a] and another[^b], and the
    // first again[^a]." and two
    // notes (MarkdownRendererTest holds it to this form).
    String body = FOOTNOTES_BODY;
    assertThat(body).contains("aria-label=\"Back to reference 2\"");
    var model = java.util.Map.<String, Object>of("html", body);

    String en = templates.render("t/body.peb", model, DisplayDate.locale("en"));
    org.jsoup.nodes.Document page = org.jsoup.Jsoup.parseBodyFragment(en);
    var section = page.selectFirst("section[data-footnotes]");
    assertThat(section.child(0).tagName()).isEqualTo("h2");
    assertThat(section.child(0).text()).isEqualTo("Footnotes");
    assertThat(section.child(0).classNames()).contains("visually-hidden");
    assertThat(page.select("a[data-footnote-backref]").eachAttr("aria-label"))
        .containsExactly("Back to reference 1", "Back to reference 1-2", "Back to reference 2");
    assertThat(en.replace("\n<h2 class=\"visually-hidden footnotes-heading\">Footnotes</h2>", ""))
        .as("nothing else of the body changes")
        .isEqualTo(body);

    String de = templates.render("t/body.peb", model, DisplayDate.locale("de"));
    page = org.jsoup.Jsoup.parseBodyFragment(de);
    assertThat(page.selectFirst("section[data-footnotes] > h2").text()).isEqualTo("Fu\u00dfnoten");
    assertThat(page.select("a[data-footnote-backref]").eachAttr("aria-label"))
        .containsExactly(
            "Zur\u00fcck zum Verweis 1",
            "Zur\u00fcck zum Verweis 1-2",
            "Zur\u00fcck zum Verweis 2");
    assertThat(de).doesNotContain("Back to reference");

    // A body with raw HTML went through jsoup, which writes empty attributes as ="".
    String sanitized = body.replace("data-footnotes>", "data-footnotes=\"\">");
    page =
        org.jsoup.Jsoup.parseBodyFragment(
            templates.render(
                "t/body.peb", java.util.Map.of("html", sanitized), DisplayDate.locale("fr")));
    assertThat(page.selectFirst("section[data-footnotes] > h2").text()).isEqualTo("Notes");
    assertThat(page.select("a[data-footnote-backref]").eachAttr("aria-label"))
        .containsExactly(
            "Retour \u00e0 l\u2019appel de note 1",
            "Retour \u00e0 l\u2019appel de note 1-2",
            "Retour \u00e0 l\u2019appel de note 2");

    String plain = "<p>No notes here.</p>\n";
    assertThat(
            templates.render(
                "t/body.peb", java.util.Map.of("html", plain), DisplayDate.locale("de")))
        .isEqualTo(plain);
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
