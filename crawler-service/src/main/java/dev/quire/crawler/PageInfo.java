package dev.quire.crawler;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/** What the audit reads from one HTML page, parsed with jsoup against its final URL. */
public record PageInfo(
    String title,
    String description,
    String canonical,
    Map<String, String> openGraph,
    List<Link> links,
    List<Image> images,
    List<String> mixedContent) {

  /**
   * A link on the page: absolute {@code url} without fragment, the element as a selector, its text,
   * and, for links inside the page's {@code <article>}, the paragraph that holds it.
   */
  public record Link(String url, String element, String text, String paragraph) {}

  /** An image: its source and whether it has an {@code alt} attribute (empty is fine). */
  public record Image(String src, String element, boolean hasAlt) {}

  private static final int MAX_ELEMENT_CHARS = 200;

  /**
   * {@code maxParagraphChars}: a link's paragraph longer than this is cut to this many characters
   * around the link's text (a paragraph is the citation check's claim).
   */
  public static PageInfo parse(byte[] html, String url, int maxParagraphChars) {
    Document doc = Jsoup.parse(new String(html, java.nio.charset.StandardCharsets.UTF_8), url);
    Map<String, String> og = new LinkedHashMap<>();
    for (Element m : doc.select("meta[property^=og:]")) {
      og.putIfAbsent(m.attr("property"), m.attr("content"));
    }
    List<Link> links = new ArrayList<>();
    // A block's text is read once however many links it holds: read for each link, a paragraph of
    // 30,000 links (a post body's length allows it) made 30,000 copies of 60 KB.
    Map<Element, BlockText> blockText = new java.util.IdentityHashMap<>();
    for (Element a : doc.select("a[href]")) {
      String abs = strip(a.absUrl("href"));
      if (abs.startsWith("http://") || abs.startsWith("https://")) {
        Element article = a.closest("article");
        String paragraph = null;
        String text = a.text();
        if (article != null) {
          Element block = a.closest("p, li, blockquote, td, figcaption, dd");
          if (block == null) {
            paragraph = cut(text, text, maxParagraphChars);
          } else {
            BlockText b = blockText.computeIfAbsent(block, PageInfo::blockText);
            Integer at = b.starts().get(a);
            paragraph =
                at == null
                    ? cut(b.text(), text, maxParagraphChars)
                    : around(b.text(), at + text.length() / 2, maxParagraphChars);
          }
        }
        links.add(new Link(abs, selector("a", "href", a.attr("href")), text, paragraph));
      }
    }
    List<Image> images = new ArrayList<>();
    for (Element img : doc.select("img[src]")) {
      String abs = strip(img.absUrl("src"));
      images.add(new Image(abs, selector("img", "src", img.attr("src")), img.hasAttr("alt")));
    }
    List<String> mixed = new ArrayList<>();
    if (url.startsWith("https://")) {
      for (Element e :
          doc.select(
              "img[src], script[src], iframe[src], source[src], video[src], audio[src], link[rel=stylesheet][href]")) {
        String attr = e.hasAttr("src") ? "src" : "href";
        if (e.absUrl(attr).startsWith("http://")) {
          mixed.add(selector(e.tagName(), attr, e.attr(attr)));
        }
      }
    }
    String description = doc.select("meta[name=description]").attr("content").strip();
    String canonical = doc.select("link[rel=canonical]").attr("abs:href").strip();
    return new PageInfo(doc.title().strip(), description, canonical, og, links, images, mixed);
  }

  /**
   * {@code paragraph}, or when it is longer than {@code max} characters, the {@code max} of them
   * centred on the first place {@code linkText} appears (the start when it does not).
   */
  static String cut(String paragraph, String linkText, int max) {
    int at = linkText.isEmpty() ? -1 : paragraph.indexOf(linkText);
    return around(paragraph, at < 0 ? 0 : at + linkText.length() / 2, max);
  }

  /**
   * {@code text}, or when longer than {@code max}, the {@code max} characters around {@code
   * centre}.
   */
  static String around(String text, int centre, int max) {
    if (text.length() <= max) {
      return text;
    }
    int from = Math.max(0, Math.min(text.length() - max, centre - max / 2));
    return text.substring(from, from + max).strip();
  }

  /** A block's text as a reader sees it, and where each link in it starts in that text. */
  record BlockText(String text, Map<Element, Integer> starts) {}

  /**
   * The block's text, whitespace collapsed as {@link Element#text()} does (a space between block
   * elements and at a line break), with the offset at which each {@code a} element's text starts: a
   * link's claim is cut around the link itself, not around the first place its words appear (a
   * "[1]" or "source" repeated in a long paragraph gave every later link the first one's claim).
   */
  static BlockText blockText(Element block) {
    StringBuilder sb = new StringBuilder();
    Map<Element, Integer> starts = new java.util.IdentityHashMap<>();
    org.jsoup.select.NodeTraversor.traverse(
        (node, depth) -> {
          if (node instanceof org.jsoup.nodes.TextNode t) {
            String whole = t.getWholeText();
            for (int i = 0; i < whole.length(); i++) {
              char c = whole.charAt(i);
              if (Character.isWhitespace(c) || c == '\u00a0') {
                if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ' ') {
                  sb.append(' ');
                }
              } else {
                sb.append(c);
              }
            }
          } else if (node instanceof Element e) {
            if (sb.length() > 0
                && (e.isBlock() || e.nameIs("br"))
                && sb.charAt(sb.length() - 1) != ' ') {
              sb.append(' ');
            }
            if (e.nameIs("a")) {
              starts.put(e, sb.length());
            }
          }
        },
        block);
    int end = sb.length();
    while (end > 0 && sb.charAt(end - 1) == ' ') {
      end--;
    }
    return new BlockText(sb.substring(0, end), starts);
  }

  /**
   * The URL as the crawler keys it: without fragment, and in OkHttp's canonical form (scheme and
   * host in lower case, default port dropped, an empty path as {@code /}), so {@code
   * http://Example.org} and {@code http://example.org/#top} are one page.
   */
  static String strip(String url) {
    int hash = url.indexOf('#');
    String u = hash >= 0 ? url.substring(0, hash) : url;
    okhttp3.HttpUrl parsed = okhttp3.HttpUrl.parse(u);
    return parsed == null ? u : parsed.toString();
  }

  static String selector(String tag, String attr, String value) {
    String v =
        value.length() > MAX_ELEMENT_CHARS ? value.substring(0, MAX_ELEMENT_CHARS) + "…" : value;
    return tag + "[" + attr + "=\"" + v.replace("\"", "\\\"") + "\"]";
  }
}
