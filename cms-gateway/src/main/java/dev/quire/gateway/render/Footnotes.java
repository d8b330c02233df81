package dev.quire.gateway.render;

import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A body's footnotes in the page's language: the {@code footnotes} filter ({@code {{ post.html |
 * footnotes | raw }}}). The stored HTML is the Markdown renderer's, the same for every language, so
 * its footnotes section has no heading (a screen reader's list of headings does not show it, and
 * the HTML checker warns of a section without one) and its links back carry commonmark's English
 * "Back to reference 1". At render time the section gains a heading, hidden from sight on screen
 * (the built-in theme's {@code visually-hidden}; the PDF shows it), and each link back its label in
 * the page's language. A body without footnotes is returned as it is, after one search.
 */
public final class Footnotes {

  /**
   * How the renderer opens the section: {@code data-footnotes>}, or {@code data-footnotes="">} when
   * the body had raw HTML and went through jsoup's sanitizer.
   */
  static final String SECTION = "<section class=\"footnotes\" data-footnotes";

  /**
   * commonmark's label of a link back: "Back to reference 1", or "Back to reference 1-2" for the
   * second place a note is cited.
   */
  private static final Pattern BACK_LABEL =
      Pattern.compile("aria-label=\"Back to reference (\\d+(?:-\\d+)?)\"");

  private static final MarkupEscape ESCAPE = new MarkupEscape();

  private Footnotes() {}

  /**
   * {@code html} with a {@code heading} (plain text, escaped here) opening its footnotes and each
   * link back labelled {@code backLabel.apply(n)}, {@code n} being its number as commonmark writes
   * it ("1", or "1-2" for a note's second citation; the label plain text, escaped here).
   */
  public static String localize(String html, String heading, Function<String, String> backLabel) {
    if (html == null) {
      return "";
    }
    int at = html.indexOf(SECTION);
    int open = at < 0 ? -1 : html.indexOf('>', at + SECTION.length()) + 1;
    if (open <= 0) {
      return html;
    }
    StringBuilder out = new StringBuilder(html.length() + 128);
    out.append(html, 0, open)
        .append("\n<h2 class=\"visually-hidden footnotes-heading\">")
        .append(ESCAPE.escape(heading))
        .append("</h2>");
    Matcher m = BACK_LABEL.matcher(html);
    int from = open;
    while (m.find(from)) {
      out.append(html, from, m.start())
          .append("aria-label=\"")
          .append(ESCAPE.escape(backLabel.apply(m.group(1))))
          .append('"');
      from = m.end();
    }
    return out.append(html, from, html.length()).toString();
  }
}
