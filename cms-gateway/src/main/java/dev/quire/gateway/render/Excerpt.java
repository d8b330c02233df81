package dev.quire.gateway.render;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * The opening of an item's text, for a page's description where its author wrote none: its
 * paragraphs as text (no code, tables, figures, headings or footnotes), cut at a word's end. Every
 * post without a description had the site's one, the same on every page, in its meta description
 * and {@code og:description}.
 */
public final class Excerpt {

  private Excerpt() {}

  /**
   * How many characters of HTML are read for each character of the excerpt, before the whole is: a
   * page renders its description twice, and a long body was parsed whole each time for 160
   * characters.
   */
  static final int HTML_PER_CHAR = 16;

  /** At most {@code max} characters of {@code html}'s paragraphs, "…" ending a cut one; "" none. */
  public static String of(String html, int max) {
    if (html == null || html.isBlank() || max < 1) {
      return "";
    }
    long window = (long) max * HTML_PER_CHAR;
    if (html.length() > window) {
      // The opening alone, unless it holds too little text (a long code block first): what the
      // cut spoils (a tag, an entity) is past the excerpt's end when it holds enough.
      String opening = paragraphs(html.substring(0, (int) window), max);
      if (opening.length() > max) {
        return cut(opening, max);
      }
    }
    return cut(paragraphs(html, max), max);
  }

  /** The text of {@code html}'s paragraphs, read until it passes {@code max} characters. */
  private static String paragraphs(String html, int max) {
    Document d = Jsoup.parseBodyFragment(html);
    d.select("pre, table, figure, h1, h2, h3, h4, h5, h6, sup, section[data-footnotes]").remove();
    StringBuilder text = new StringBuilder();
    for (Element p : d.select("p")) {
      String t = p.text().strip();
      if (t.isEmpty()) {
        continue;
      }
      if (text.length() > 0) {
        text.append(' ');
      }
      text.append(t);
      if (text.length() > max) {
        break;
      }
    }
    return text.toString().replaceAll("\\s+", " ").strip();
  }

  /** {@code all} when it fits in {@code max}, else cut to fit with "…". */
  private static String cut(String all, int max) {
    if (all.length() <= max) {
      return all;
    }
    // Room for the ellipsis; at a space when one is in the second half, else mid-word (a text
    // written without spaces, as Chinese or Japanese is).
    int cut = all.lastIndexOf(' ', max - 1);
    if (cut < max / 2) {
      cut = max - 1;
      if (cut > 0 && Character.isHighSurrogate(all.charAt(cut - 1))) {
        cut--;
      }
    }
    return all.substring(0, cut).stripTrailing() + "\u2026";
  }
}
