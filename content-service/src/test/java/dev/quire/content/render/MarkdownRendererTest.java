package dev.quire.content.render;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Attribute;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.TextNode;
import org.jsoup.safety.Cleaner;
import org.junit.jupiter.api.Test;

class MarkdownRendererTest {

  final MarkdownRenderer md = new MarkdownRenderer();

  /**
   * A heading never takes an id the page around the body has ({@code <main id="main">} in the
   * default theme) or a footnote's (its reference written in another case than its note), nor one
   * an earlier heading got; every other heading keeps the id the heading-anchor extension gave it,
   * with or without raw HTML in the body.
   */
  @Test
  void headingsKeepClearOfTheThemesAndTheFootnotesIds() {
    String body =
        "## Main\n\n## Main\n\n## Main 1\n\n## Fn note\n\nText[^Note].\n\n## A `code` heading\n\n"
            + "## Site search q\n\n## Fnref note\n\n[^note]: The note.\n";
    for (String html : List.of(md.render(body), md.render(body + "\n<b>raw</b>\n"))) {
      assertThat(html)
          .contains(
              "<h2 id=\"main-1\">Main</h2>",
              "<h2 id=\"main-2\">Main</h2>",
              "<h2 id=\"main-1-1\">Main 1</h2>",
              "<h2 id=\"fn-note-1\">Fn note</h2>",
              "<h2 id=\"fnref-note-1\">Fnref note</h2>",
              "<h2 id=\"a-code-heading\">",
              "<h2 id=\"site-search-q-1\">",
              "<li id=\"fn-note\">",
              "id=\"fnref-note\"")
          .doesNotContain("id=\"main\"", "id=\"site-search-q\"");
      // The first Main takes the theme's id: it gets the first free one of its own; the second
      // keeps main-1, which links to it named. "Main 1" also made main-1 (so a link to it led to
      // the second Main): it gets one of its own too.
      assertThat(html.indexOf("id=\"main-2\"")).isLessThan(html.indexOf("id=\"main-1\""));
    }
    // Raw HTML may not give an element a theme's id either; other ids stay.
    assertThat(md.render("<div id=\"main\">x</div>\n\n<p id=\"mine\">y</p>\n"))
        .doesNotContain("id=\"main\"")
        .contains("<p id=\"mine\">y</p>");
    // Without theme ids (the rules' own renderer), a heading gets the id it always had.
    assertThat(new MarkdownRenderer(100).render("## Main\n")).contains("<h2 id=\"main\">");
  }

  @Test
  void rendersTheExtensions() {
    String html =
        md.render(
            "## A heading\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n~~gone~~ https://example.org\n\n"
                + "- [x] done\n- [ ] todo\n\nText[^1].\n\n[^1]: The note.\n\n```java\nint x;\n```\n");
    assertThat(html).contains("<h2 id=\"a-heading\">A heading</h2>");
    assertThat(html)
        .contains("<table tabindex=\"0\">")
        .contains("<td class=\"align-right\">2</td>")
        .doesNotContain("align=");
    // With raw HTML in the body (which is then sanitized), the alignment stays, and a table cell
    // written by hand may not borrow the theme's other classes.
    String raw =
        md.render(
            "| a | b |\n|:--|--:|\n| 1 | 2 |\n\n<table><tr><td class=\"visually-hidden\">x</td>"
                + "<td class=\"align-center\">y</td></tr></table>\n");
    assertThat(raw)
        .contains("<td class=\"align-right\">2</td>")
        .contains("<td class=\"align-center\">y</td>")
        .doesNotContain("visually-hidden");
    assertThat(html).contains("<del>gone</del>");
    assertThat(html).contains("<a href=\"https://example.org\">https://example.org</a>");
    assertThat(Jsoup.parseBodyFragment(html).select("input[type=checkbox][disabled][checked]"))
        .hasSize(1);
    assertThat(html).contains("<pre tabindex=\"0\"><code class=\"language-java\">");
    assertThat(html).contains("class=\"footnotes\"").contains("href=\"#fn-1\"");
    assertThat(html).contains("<code class=\"language-java\">int x;");
  }

  /**
   * Footnotes exactly as the gateway's {@code footnotes} filter finds them (its TemplatesTest holds
   * the same text): it gives the section a heading and the links back a label in the page's
   * language, so a change here must change it too.
   */
  @Test
  void footnotesAreWrittenAsTheGatewayLocalizesThem() {
    assertThat(
            md.render(
                "A note[^a] and another[^b], and the first again[^a].\n\n[^a]: First \"one\".\n[^b]: Second.\n"))
        .isEqualTo(
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
            """);
    // With raw HTML the body goes through jsoup, which writes the attribute as data-footnotes="".
    assertThat(md.render("<b>A</b> note[^a].\n\n[^a]: One.\n"))
        .contains("<section class=\"footnotes\" data-footnotes=\"\">")
        .contains("aria-label=\"Back to reference 1\"");
  }

  /**
   * A task's checkbox is named by the item's text (a label around both), in tight lists, loose ones
   * (the label inside the first paragraph, since a label holds no paragraph) and nested ones, and
   * the same through jsoup; other items, and a "[ ]" with no text, are plain items.
   */
  @Test
  void aTasksCheckboxIsLabelledByItsText() {
    String tight =
        md.render("- [x] Write *alt* text\n- [ ] Check contrast\n  - [ ] nested\n- plain\n");
    var doc = Jsoup.parseBodyFragment(tight);
    assertThat(doc.select("li > label > input[type=checkbox]")).hasSize(3);
    assertThat(doc.select("li > input")).isEmpty();
    assertThat(doc.select("label").eachText())
        .containsExactly("Write alt text", "Check contrast", "nested");
    assertThat(doc.select("label").first().html()).contains("<em>alt</em>");
    assertThat(doc.select("li").last().html()).isEqualTo("plain");

    String loose = md.render("- [ ] First\n\n  More.\n\n- [x] Second\n");
    var looseDoc = Jsoup.parseBodyFragment(loose);
    assertThat(looseDoc.select("li > p:first-child > label > input[type=checkbox]")).hasSize(2);
    assertThat(looseDoc.select("label").eachText()).containsExactly("First", "Second");
    assertThat(looseDoc.select("li").first().select("p").last().text()).isEqualTo("More.");

    String raw = md.render("- [ ] With <b>raw</b> HTML\n\n<pre tabindex=\"3\">x</pre>\n");
    assertThat(raw)
        .as("through jsoup: the label kept, a pre's tab order not the author's")
        .contains("<li><label><input type=\"checkbox\" disabled> With <b>raw</b> HTML</label></li>")
        .contains("<pre tabindex=\"0\">x</pre>");

    assertThat(md.render("- [ ]\n- [x] \n")).doesNotContain("<label").doesNotContain("<input");
  }

  @Test
  void aBodyWithAnH1GoesUnderThePagesTitleAndKeepsItsOutline() {
    String html = md.render("# Intro\n\nText.\n\n## Part\n\n> ### Quoted\n\n###### Six\n");
    assertThat(html)
        .contains("<h2 id=\"intro\">Intro</h2>")
        .contains("<h3 id=\"part\">Part</h3>")
        .contains("<h4 id=\"quoted\">Quoted</h4>")
        .as("h6 stays h6")
        .contains("<h6 id=\"six\">Six</h6>")
        .doesNotContain("<h1");
    assertThat(md.render("## Part\n\n### Sub\n"))
        .as("a body without an h1 is left as written")
        .contains("<h2 id=\"part\">Part</h2>")
        .contains("<h3 id=\"sub\">Sub</h3>");
    assertThat(md.render("Title\n=====\n\n<h1>Raw</h1>\n"))
        .as("a setext h1 too; raw HTML is left as it is")
        .contains("<h2 id=\"title\">Title</h2>")
        .contains("<h1>Raw</h1>");
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

  /**
   * A passage's direction and language are kept (an Arabic quote on an English site), with values a
   * browser reads; a form field other than a task's checkbox is not (an unlabelled password box was
   * left on the page).
   */
  @Test
  void directionAndLanguageAreKeptFormFieldsAreNot() {
    String html =
        md.render(
            "<div dir=\"rtl\" lang=\"ar\">\u0645\u0631\u062d\u0628\u0627</div>\n\n"
                + "<p dir=\"sideways\" lang=\"en&quot;x\">odd</p>\n\n"
                + "<span lang=\"pt-BR\">ol\u00e1</span> <bdi dir=\"auto\">x</bdi>\n\n"
                + "<form><input type=\"password\"><input><input type=\"checkbox\" checked></form>\n\n"
                + "- [x] done\n");
    assertThat(html)
        .contains("<div dir=\"rtl\" lang=\"ar\">")
        .contains("<p>odd</p>")
        .contains("<span lang=\"pt-BR\">")
        .doesNotContain("password")
        .doesNotContain("<input disabled>");
    assertThat(org.jsoup.Jsoup.parse(html).select("input"))
        .allSatisfy(i -> assertThat(i.attr("type")).isEqualTo("checkbox"))
        .hasSize(2);
  }

  /** Markdown without raw HTML: the documents that skip jsoup. */
  static final List<String> PLAIN =
      List.of(
          "## A heading\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n~~gone~~ https://example.org and"
              + " www.example.com, mail@example.org\n\n- [x] done\n- [ ] todo\n\nText[^1] and"
              + " \"quotes\" & a < b > 'c'.\n\n[^1]: The note, [linked](https://example.org/a?b=1&c=2#d)."
              + "\n\n```java\nint x = a < b && c > \"d\";\n```\n",
          "![alt \"q\" <b>](/img/a.png \"a \\\"title\\\"\")\n\n[rel](../other/ \"t\") [frag](#top)"
              + " [q](?page=2) [mail](mailto:me@example.org) <https://example.org/x>\n\n1. one\n2. two\n"
              + "\n> quoted *em* **strong** `code <b>`\n\n***\n\nline  \nbreak\n",
          "# Title with `code` and [link](https://example.org)\n\n5. five\n6. six\n\n"
              + "- [ ] [a task](https://example.org)\n\n| x |\n|---|\n| ~~y~~ |\n\nA[^n] B[^n].\n\n"
              + "[^n]: Twice.\n",
          "[my post](my post.html) [colon later](a/b:c) [port](localhost:8080/x) [spaced]("
              + "<https://example.org/a b>)\n");

  @Test
  void htmlFreeMarkdownSkipsJsoupAndGivesTheSameDocument() {
    for (String markdown : PLAIN) {
      String html = md.render(markdown);
      // The output is within the allow-list: cleaning it would discard nothing.
      assertThat(new Cleaner(md.safelist()).isValid(Jsoup.parseBodyFragment(html, BASE)))
          .as("within the allow-list: %s", html)
          .isTrue();
      // And it is the document the jsoup path makes, element for element, attribute for attribute.
      assertThat(dom(html)).as(markdown).isEqualTo(dom(md.sanitize(html)));
    }
    assertThat(MarkdownRenderer.needsSanitizer(md.parse(PLAIN.get(0))))
        .as("the first document takes the fast path")
        .isFalse();
  }

  @Test
  void unsafeAddressesWithoutRawHtmlStillGoThroughJsoup() {
    List<String> unsafe =
        List.of(
            "[a](javascript:alert(1))",
            "[a](JaVaScRiPt:alert(1))",
            "[a](java&#x09;script:alert(1))",
            "[a](java%0ascript:alert(1))",
            "[a](&#x20;javascript:alert(1))",
            "[a](vbscript:msgbox(1))",
            "[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "<javascript:alert(1)>",
            "![i](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
            "![i](javascript:alert(1))",
            "![i](mailto:me@example.org)",
            "[a](javascript&#58;alert(1))");
    for (String markdown : unsafe) {
      assertThat(MarkdownRenderer.needsSanitizer(md.parse(markdown))).as(markdown).isTrue();
      // Text may say "javascript:"; no address in an attribute may.
      for (Element e : Jsoup.parseBodyFragment(md.render(markdown)).select("[href], [src]")) {
        String address =
            (e.attr("href") + e.attr("src"))
                .replaceAll("[\\s\\x00-\\x1f]", "")
                .toLowerCase(java.util.Locale.ROOT);
        assertThat(address)
            .as("%s: %s", markdown, e)
            .doesNotStartWith("javascript:")
            .doesNotStartWith("vbscript:")
            .doesNotStartWith("data:");
        if (e.tagName().equals("img")) {
          assertThat(address).as("%s: %s", markdown, e).doesNotStartWith("mailto:");
        }
      }
    }
  }

  @Test
  void addressesAreReadAsABrowserReadsThem() {
    var links = java.util.Set.of("http", "https", "mailto");
    assertThat(MarkdownRenderer.allowed("https://example.org", links)).isTrue();
    assertThat(MarkdownRenderer.allowed("HTTPS://example.org", links)).isTrue();
    assertThat(MarkdownRenderer.allowed("/posts/a/", links)).isTrue();
    assertThat(MarkdownRenderer.allowed("#top", links)).isTrue();
    assertThat(MarkdownRenderer.allowed("a/b:c", links)).isTrue();
    assertThat(MarkdownRenderer.allowed("", links)).isTrue();
    assertThat(MarkdownRenderer.allowed(" \tjava\nscript:x", links)).isFalse();
    assertThat(MarkdownRenderer.allowed("\u0000javascript:x", links)).isFalse();
    assertThat(MarkdownRenderer.allowed("java\u0000script:x", links)).isFalse();
    assertThat(MarkdownRenderer.allowed("ftp://example.org", links)).isFalse();
    assertThat(MarkdownRenderer.allowed(":x", links)).isFalse();
    assertThat(MarkdownRenderer.allowed("my post:1", links)).as("unsure: jsoup decides").isFalse();
  }

  private static final String BASE = "https://quire.invalid/";

  /**
   * A document as jsoup reads it, in one canonical form: each element with its attributes in order
   * of name (an attribute without a value as an empty one), each text as it is.
   */
  private static String dom(String html) {
    StringBuilder out = new StringBuilder();
    Jsoup.parseBodyFragment(html)
        .body()
        .traverse(
            (node, depth) -> {
              if (node instanceof Element e) {
                out.append('<').append(e.tagName());
                e.attributes().asList().stream()
                    .sorted(java.util.Comparator.comparing(Attribute::getKey))
                    .forEach(
                        at ->
                            out.append(' ')
                                .append(at.getKey())
                                .append("='")
                                .append(at.getValue())
                                .append('\''));
                out.append('>');
              } else if (node instanceof TextNode t) {
                out.append(t.getWholeText());
              }
            });
    return out.toString().strip();
  }

  @Test
  void countsWords() {
    assertThat(MarkdownRenderer.wordCount("Hello, *brave* new-world!")).isEqualTo(4);
    assertThat(MarkdownRenderer.wordCount("")).isZero();
    // Chinese and Japanese have no spaces between words: a character counts as 1/2.5 of one, so
    // 9,800 characters read in ~17 minutes, not as a handful of "words" in 3.
    assertThat(MarkdownRenderer.wordCount("\u99c5\u306e\u30db\u30fc\u30e0".repeat(1960)))
        .isEqualTo(3920);
    // (a lone character between two words is a fraction of one, rounded away)
    assertThat(MarkdownRenderer.wordCount("Java \u3068 Quire\u3002")).isEqualTo(2);
    assertThat(MarkdownRenderer.wordCount("\ud840\udc0b\ud840\udc0b")).isEqualTo(1);
  }

  /**
   * A document nested past the limit is shown as its escaped source, never fails: the projection
   * renders every stored body, and one it could not render stopped it for good. Quotes nest in the
   * block parser (checked by depth after parsing); emphasis this deep overflows commonmark-java's
   * recursive post-processing while parsing.
   */
  @Test
  void aDocumentNestedPastTheLimitIsItsEscapedSourceAndNeverAnError() {
    MarkdownRenderer small = new MarkdownRenderer(10);
    assertThat(small.render("> > > quoted *a*")).contains("<blockquote>").contains("<em>a</em>");
    String quotes = ">".repeat(200_000) + " <script>alert(1)</script>";
    String stars = "*".repeat(100_000) + "x" + "*".repeat(100_000);
    for (String deep : List.of(quotes, stars, ">".repeat(12) + " x")) {
      String html = small.render(deep);
      assertThat(html)
          .startsWith("<pre class=\"unrendered\" tabindex=\"0\">")
          .doesNotContain("<script");
      assertThat(Jsoup.parse(html).selectFirst("pre").wholeText()).isEqualTo(deep);
    }
    assertThat(md.render(quotes)).startsWith("<pre class=\"unrendered\" tabindex=\"0\">");
    assertThat(md.nestingProblem(quotes, 100))
        .hasValueSatisfying(
            p -> assertThat(p).contains("200001 levels deep (line 1 of the body)", "at most 100"));
    assertThat(md.nestingProblem(stars, 100)).isPresent();
    assertThat(md.nestingProblem("# Title\n\n- a\n  - b\n\n> *c*", 100)).isEmpty();
  }

  /**
   * Raw HTML nested past the limit is refused and shown as its source as well: jsoup's sanitizer
   * costs the square of the nesting, and 52,000 {@code <div>}s (within the body's length) held a
   * thread for more than 5 s, in the projection for every save and in each preview. The limit
   * counts the raw HTML's elements and the Markdown's around them together.
   */
  @Test
  void rawHtmlNestedPastTheLimitIsRefusedAndItsEscapedSource() {
    String divs = "Intro\n\n" + "<div>".repeat(52_000) + "deep";
    String html = md.render(divs);
    assertThat(html).startsWith("<pre class=\"unrendered\" tabindex=\"0\">");
    assertThat(Jsoup.parse(html).selectFirst("pre").wholeText()).isEqualTo(divs);
    assertThat(md.nestingProblem(divs, 100))
        .hasValueSatisfying(
            p ->
                assertThat(p)
                    .contains("HTML elements 52000 levels deep", "(line 3 of the body)")
                    .contains("at most 100"));
    // A new value is refused; a step of a history being restored (a backup from before the
    // rule) is taken as stored, and shown as its source.
    var rules =
        MarkdownRenderer.contentRules(
            new dev.quire.protocol.ContentRules.Limits(
                200, 120, 262_144, 500, 20, 40, 500, 120, 100));
    var fields =
        new dev.quire.protocol.ContentFields("T", "t", divs, "", List.of(), "", "", null, "");
    assertThat(rules.validate(dev.quire.protocol.ContentKind.POST, fields))
        .extracting(dev.quire.protocol.FieldError::field)
        .containsExactly("body");
    assertThat(rules.validateStored(dev.quire.protocol.ContentKind.POST, fields)).isEmpty();
    // Inline raw HTML inside Markdown quotes: 5 quotes, a paragraph, 100 <b>s.
    String inline = "> ".repeat(5) + "a " + "<b>".repeat(100) + "b";
    assertThat(md.nestingProblem(inline, 100))
        .hasValueSatisfying(p -> assertThat(p).contains("106 levels deep", "(line 1 of the body)"));
    assertThat(md.render(inline)).startsWith("<pre class=\"unrendered\"");
    // Nesting opened across blocks is counted too, without a line to name (150 divs, a paragraph).
    String across = "<div>\n\n".repeat(150) + "x";
    assertThat(md.nestingProblem(across, 100))
        .hasValueSatisfying(p -> assertThat(p).contains("151 levels deep").doesNotContain("line"));
    // Within the limit, raw HTML is sanitized as before.
    String within = "<div>".repeat(90) + "<script>x</script><em>ok</em>";
    assertThat(md.nestingProblem(within, 100)).isEmpty();
    assertThat(md.render(within)).contains("<em>ok</em>").doesNotContain("script");
  }
}
