package dev.quire.content.render;

import java.util.List;
import org.commonmark.Extension;
import org.commonmark.ext.autolink.AutolinkExtension;
import org.commonmark.ext.footnotes.FootnotesExtension;
import org.commonmark.ext.gfm.strikethrough.StrikethroughExtension;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.ext.heading.anchor.HeadingAnchorExtension;
import org.commonmark.ext.task.list.items.TaskListItemsExtension;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.safety.Safelist;

/**
 * Markdown to safe HTML. commonmark-java (CommonMark-compliant, with the GFM extensions) renders;
 * jsoup's allow-list sanitizer then removes whatever raw HTML in the Markdown could run script or
 * break out of the page, keeping what the renderer itself emits (code language classes, heading
 * ids, footnote links, task-list checkboxes). Thread-safe: parser and renderer are immutable.
 */
public final class MarkdownRenderer {

  /** A base for resolving relative links while sanitizing; never appears in the output. */
  private static final String SANITIZE_BASE = "https://quire.invalid/";

  private final Parser parser;
  private final HtmlRenderer renderer;
  private final Safelist safelist;

  public MarkdownRenderer() {
    List<Extension> extensions =
        List.of(
            TablesExtension.create(),
            StrikethroughExtension.create(),
            AutolinkExtension.create(),
            HeadingAnchorExtension.create(),
            FootnotesExtension.create(),
            TaskListItemsExtension.create());
    this.parser = Parser.builder().extensions(extensions).build();
    this.renderer = HtmlRenderer.builder().extensions(extensions).build();
    this.safelist =
        Safelist.relaxed()
            .addTags(
                "del",
                "s",
                "section",
                "hr",
                "input",
                "details",
                "summary",
                "figure",
                "figcaption",
                "mark",
                "abbr",
                "kbd",
                "samp",
                "var")
            .addAttributes(":all", "id", "title")
            .addAttributes("code", "class")
            .addAttributes("pre", "class")
            .addAttributes("section", "class", "data-footnotes")
            .addAttributes("sup", "class")
            .addAttributes("a", "class", "data-footnote-ref", "data-footnote-backref")
            .addAttributes("input", "type", "checked", "disabled")
            .addAttributes("th", "align")
            .addAttributes("td", "align")
            .addAttributes("ol", "start")
            .addAttributes("details", "open")
            .addEnforcedAttribute("input", "disabled", "disabled")
            .addProtocols("a", "href", "#", "http", "https", "mailto")
            .addProtocols("img", "src", "http", "https")
            .preserveRelativeLinks(true);
  }

  public String render(String markdown) {
    String raw = renderer.render(parser.parse(markdown == null ? "" : markdown));
    Document.OutputSettings out = new Document.OutputSettings().prettyPrint(false);
    return Jsoup.clean(raw, SANITIZE_BASE, safelist, out);
  }

  /** Words in the Markdown source: enough for a reading-time estimate. */
  public static int wordCount(String markdown) {
    if (markdown == null || markdown.isBlank()) {
      return 0;
    }
    int count = 0;
    boolean inWord = false;
    for (int i = 0; i < markdown.length(); i++) {
      boolean letter = Character.isLetterOrDigit(markdown.charAt(i));
      if (letter && !inWord) {
        count++;
      }
      inWord = letter;
    }
    return count;
  }
}
