package dev.quire.gateway.render;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ExcerptTest {

  @Test
  void theOpeningParagraphsAsTextCutAtAWordsEnd() {
    String html =
        "<h2 id=\"intro\">Intro</h2><p>First <em>paragraph</em> &amp; more.</p>"
            + "<pre><code>int x = 1;</code></pre><table><tr><td>cell</td></tr></table>"
            + "<p>Second one<sup class=\"footnote-ref\"><a href=\"#fn-1\">1</a></sup>, longer"
            + " than the rest put together.</p>"
            + "<section class=\"footnotes\" data-footnotes><ol><li><p>The note.</p></li></ol>"
            + "</section>";
    assertThat(Excerpt.of(html, 500))
        .isEqualTo("First paragraph & more. Second one, longer than the rest put together.");
    assertThat(Excerpt.of(html, 40)).isEqualTo("First paragraph & more. Second one,\u2026");
    assertThat(Excerpt.of(html, 40).length()).isLessThanOrEqualTo(40);
    assertThat(Excerpt.of("<pre>code only</pre>", 160)).isEmpty();
    assertThat(Excerpt.of("", 160)).isEmpty();
    assertThat(Excerpt.of(null, 160)).isEmpty();
    assertThat(Excerpt.of(html, 1)).isEqualTo("\u2026");
    assertThat(Excerpt.of(html, 2)).isEqualTo("F\u2026");
  }

  /**
   * A long body is read from its opening only, with the same result; one whose opening holds too
   * little text (a long code block first) is read whole.
   */
  @Test
  void aLongBodyIsReadFromItsOpening() {
    String para = "<p>" + "word ".repeat(40) + "</p>";
    String longBody = para.repeat(500);
    assertThat(Excerpt.of(longBody, 160)).hasSize(160).endsWith("\u2026").startsWith("word word");
    String codeFirst = "<pre><code>" + "x".repeat(10_000) + "</code></pre><p>After the code.</p>";
    assertThat(Excerpt.of(codeFirst, 160)).isEqualTo("After the code.");
    // Cut inside an entity or a tag past the excerpt's end: not in the excerpt.
    String entities = "<p>" + "a &amp; b ".repeat(400) + "</p>";
    assertThat(Excerpt.of(entities, 160)).startsWith("a & b a & b").doesNotContain("&amp");
  }

  /** Text without spaces (Chinese) is cut mid-run, never inside an emoji's pair. */
  @Test
  void textWithoutSpacesIsCutWhereTheLimitFalls() {
    String zh = "<p>" + "\u5b66\u4e60".repeat(100) + "</p>";
    assertThat(Excerpt.of(zh, 11)).isEqualTo("\u5b66\u4e60".repeat(5) + "\u2026");
    String emoji = "<p>" + "\ud83c\udf89".repeat(20) + "</p>";
    String cut = Excerpt.of(emoji, 10);
    assertThat(cut).endsWith("\u2026");
    assertThat(Character.isHighSurrogate(cut.charAt(cut.length() - 2))).isFalse();
  }
}
