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

  /** At most {@code max} characters of {@code html}'s paragraphs, "…" ending a cut one; "" none. */
  public static String of(String html, int max) {
    if (html == null || html.isBlank() || max < 1) {
      return "";
    }
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
    String all = text.toString().replaceAll("\\s+", " ").strip();
    if (all.length() <= max) {
      return all;
    }
    // Room for the ellipsis; at a space when one is in the second half, else mid-word (a text
    // written without spaces, as Chinese or Japanese is).
    int cut = all.lastIndexOf(' ', max - 1);
    if (cut < max / 2) {
      cut = max - 1;
      if (Character.isHighSurrogate(all.charAt(cut - 1))) {
        cut--;
      }
    }
    return all.substring(0, cut).stripTrailing() + "\u2026";
  }
}
