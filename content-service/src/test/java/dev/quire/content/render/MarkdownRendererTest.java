package dev.quire.content.render;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MarkdownRendererTest {

  final MarkdownRenderer md = new MarkdownRenderer();

  @Test
  void rendersTheExtensions() {
    String html =
        md.render(
            "## A heading\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n~~gone~~ https://example.org\n\n"
                + "- [x] done\n- [ ] todo\n\nText[^1].\n\n[^1]: The note.\n\n```java\nint x;\n```\n");
    assertThat(html).contains("<h2 id=\"a-heading\">A heading</h2>");
    assertThat(html).contains("<table>").contains("<td align=\"right\">2</td>");
    assertThat(html).contains("<del>gone</del>");
    assertThat(html).contains("<a href=\"https://example.org\">https://example.org</a>");
    assertThat(html).contains("<input type=\"checkbox\" disabled checked");
    assertThat(html).contains("class=\"footnotes\"").contains("href=\"#fn-1\"");
    assertThat(html).contains("<code class=\"language-java\">int x;");
  }

  @Test
  void sanitizesRawHtml() {
    String html =
        md.render(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
                + "[click](javascript:alert(1)) <a href=\"/posts/ok/\" onclick=\"x()\">ok</a>\n\n"
                + "<details><summary>More</summary>kept</details>\n");
    assertThat(html).doesNotContain("<script").doesNotContain("onerror").doesNotContain("onclick");
    assertThat(html).doesNotContain("javascript:");
    assertThat(html).contains("<a href=\"/posts/ok/\">ok</a>");
    assertThat(html).contains("<details><summary>More</summary>kept</details>");
  }

  @Test
  void countsWords() {
    assertThat(MarkdownRenderer.wordCount("Hello, *brave* new-world!")).isEqualTo(4);
    assertThat(MarkdownRenderer.wordCount("")).isZero();
  }
}
