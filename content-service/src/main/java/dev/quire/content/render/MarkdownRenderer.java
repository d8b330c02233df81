package dev.quire.content.render;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.quire.protocol.ContentRules;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.commonmark.Extension;
import org.commonmark.ext.autolink.AutolinkExtension;
import org.commonmark.ext.footnotes.FootnotesExtension;
import org.commonmark.ext.gfm.strikethrough.StrikethroughExtension;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.ext.task.list.items.TaskListItemsExtension;
import org.commonmark.node.AbstractVisitor;
import org.commonmark.node.Heading;
import org.commonmark.node.HtmlBlock;
import org.commonmark.node.HtmlInline;
import org.commonmark.node.Image;
import org.commonmark.node.Link;
import org.commonmark.node.Node;
import org.commonmark.node.SourceSpan;
import org.commonmark.parser.IncludeSourceSpans;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Entities;
import org.jsoup.safety.Safelist;

/**
 * Markdown to safe HTML. commonmark-java (CommonMark-compliant, with the GFM extensions) renders;
 * jsoup's allow-list sanitizer then removes whatever raw HTML in the Markdown could run script or
 * break out of the page, keeping what the renderer itself emits (code language classes, heading
 * ids, footnote links, task-list checkboxes and their labels). Thread-safe: parser and renderer are
 * immutable.
 *
 * <p>Most documents hold no raw HTML. For those, commonmark-java's own output is already within the
 * allow-list: it escapes every text and attribute value, and emits only the elements and attributes
 * of its renderers, all of which the allow-list keeps. What remains is the link and image
 * addresses, which the Markdown author chooses: when each of them has a scheme the allow-list
 * accepts (or none), the document skips jsoup, which took ~60% of the rendering time (97 against 37
 * microseconds for the benchmark post; the projection renders every created or edited item).
 * Anything else (raw HTML, a {@code javascript:} or {@code data:} address, an address this check
 * cannot read) goes through jsoup as before. {@code MarkdownRendererTest} checks that both paths
 * give the same document.
 */
public final class MarkdownRenderer {

  /** A base for resolving relative links while sanitizing; never appears in the output. */
  private static final String SANITIZE_BASE = "https://quire.invalid/";

  private final Parser parser;

  /** As {@link #parser}, with each block's lines: only to say where a refused body nests. */
  private final Parser locatingParser;

  private final HtmlRenderer renderer;
  private final Safelist safelist;
  private final int maxNesting;

  /**
   * With the configured nesting limit ({@code quire.content.limits.markdown-nesting}) and theme ids
   * ({@code quire.content.markdown.theme-ids}).
   */
  public MarkdownRenderer() {
    this(ConfigFactory.load());
  }

  /** With {@code config}'s nesting limit and theme ids. */
  public MarkdownRenderer(Config config) {
    this(
        config.getInt("quire.content.limits.markdown-nesting"),
        Set.copyOf(config.getStringList("quire.content.markdown.theme-ids")));
  }

  /**
   * The rules every service and importer checks content with, including this renderer's nesting
   * check on bodies: what an entity accepts, the projection can render.
   */
  public static ContentRules contentRules(Config config) {
    return contentRules(ContentRules.Limits.fromConfig(config));
  }

  /** Rules with {@code limits}, the nesting checked as this renderer reads Markdown. */
  public static ContentRules contentRules(ContentRules.Limits limits) {
    MarkdownRenderer reader = new MarkdownRenderer(limits.maxNesting());
    return new ContentRules(limits, reader::nestingProblem);
  }

  /**
   * {@code maxNesting}: documents nested deeper are shown as their escaped source instead of
   * rendered (rendering walks the nesting by recursion).
   */
  public MarkdownRenderer(int maxNesting) {
    this(maxNesting, Set.of());
  }

  /**
   * As above; {@code themeIds}: the ids of the elements around the body on the theme's pages, which
   * no heading gets (see {@link HeadingIds}) and raw HTML may not set.
   */
  public MarkdownRenderer(int maxNesting, Set<String> themeIds) {
    this.maxNesting = maxNesting;
    // Headings' ids come from HeadingIds, made as the heading-anchor extension makes them.
    List<Extension> extensions =
        List.of(
            TablesExtension.create(),
            StrikethroughExtension.create(),
            AutolinkExtension.create(),
            FootnotesExtension.create(),
            TaskListItemsExtension.create());
    this.parser = Parser.builder().extensions(extensions).build();
    this.locatingParser =
        Parser.builder()
            .extensions(extensions)
            .includeSourceSpans(IncludeSourceSpans.BLOCKS)
            .build();
    this.renderer =
        HtmlRenderer.builder()
            .extensions(extensions)
            // A task's checkbox labelled by its text (see TaskItemLabels).
            .nodeRendererFactory(TaskItemLabels::new)
            .attributeProviderFactory(context -> new HeadingIds(themeIds))
            // A table column's alignment as a class (align-left, -center, -right): the align
            // attribute the tables extension writes is obsolete HTML (validators flag every cell),
            // and the PDF's renderer ignores it; the theme and the PDF style the classes.
            .attributeProviderFactory(
                context ->
                    (node, tagName, attributes) -> {
                      if ((tagName.equals("th") || tagName.equals("td"))
                          && attributes.containsKey("align")) {
                        attributes.put("class", "align-" + attributes.remove("align"));
                      }
                      // Code and tables scroll sideways when wider than the column (the theme
                      // gives a table no wrapper): boxes a keyboard can reach, to scroll them with
                      // the arrow keys (WCAG 2.1.1; Safari does not make a scrolling box focusable
                      // by itself).
                      if (tagName.equals("pre") || tagName.equals("table")) {
                        attributes.put("tabindex", "0");
                      }
                    })
            .build();
    this.safelist =
        new AlignClasses(themeIds)
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
                "var",
                "label",
                "bdi",
                "bdo")
            .addAttributes(":all", "id", "title", "dir", "lang")
            .addAttributes("code", "class")
            .addAttributes("pre", "class", "tabindex")
            .addAttributes("table", "tabindex")
            .addAttributes("section", "class", "data-footnotes")
            .addAttributes("sup", "class")
            .addAttributes(
                "a",
                "class",
                "data-footnote-ref",
                "data-footnote-backref",
                "data-footnote-backref-idx",
                "aria-label")
            .addAttributes("input", "type", "checked", "disabled")
            .addAttributes("th", "align", "class")
            .addAttributes("td", "align", "class")
            .addAttributes("ol", "start")
            .addAttributes("details", "open")
            .addEnforcedAttribute("input", "disabled", "disabled")
            .addEnforcedAttribute("pre", "tabindex", "0")
            .addEnforcedAttribute("table", "tabindex", "0")
            .addProtocols("a", "href", "#", "http", "https", "mailto")
            .addProtocols("img", "src", "http", "https")
            .preserveRelativeLinks(true);
  }

  /**
   * Safe HTML for {@code markdown}. Never fails on a document: one nested deeper than the limit, as
   * Markdown or as the HTML elements it makes with its raw HTML (which the content rules refuse,
   * but an event stored before either check may hold), becomes its escaped source in a {@code
   * <pre>}, so the projection goes on past it.
   *
   * <p>The HTML's depth is bounded because jsoup's sanitizer costs the square of it: each element
   * it copies looks up through all of its ancestors. 52,000 nested {@code <div>}s, within the
   * body's length limit, took more than 5 s of a thread, where the same length nested 100 deep
   * takes ~50 ms. jsoup's parse, which comes first, is linear.
   */
  public String render(String markdown) {
    try {
      Node doc = parse(markdown);
      if (depth(doc) > maxNesting) {
        return unrendered(markdown);
      }
      underTheTitle(doc);
      String raw = renderer.render(doc);
      if (!needsSanitizer(doc)) {
        return raw;
      }
      Document dirty = Jsoup.parseBodyFragment(raw, SANITIZE_BASE);
      return elementDepth(dirty) > maxNesting ? unrendered(markdown) : clean(dirty);
    } catch (StackOverflowError e) {
      // commonmark-java's post-processors walk the tree by recursion while parsing, before the
      // depth can be checked; the overflow unwinds this call alone (no lock or shared state).
      return unrendered(markdown);
    }
  }

  /**
   * A page's title is its one {@code h1}, and the body sits under it: a body with a heading of
   * level 1 ("# Introduction", as Markdown written for a file of its own often begins) has every
   * heading moved down one level (h1 to h2, ..., h5 to h6; h6 stays), which keeps the body's
   * outline; a body without one is left as written. Headings written as raw HTML are left as they
   * are.
   */
  static void underTheTitle(Node root) {
    List<Heading> headings = new java.util.ArrayList<>();
    boolean top = false;
    Node n = root.getFirstChild();
    while (n != null) {
      if (n instanceof Heading h) {
        headings.add(h);
        top |= h.getLevel() == 1;
      }
      if (n.getFirstChild() != null) {
        n = n.getFirstChild();
        continue;
      }
      while (n != root && n.getNext() == null) {
        n = n.getParent();
      }
      if (n == root) {
        break;
      }
      n = n.getNext();
    }
    if (top) {
      for (Heading h : headings) {
        h.setLevel(Math.min(6, h.getLevel() + 1));
      }
    }
  }

  /** The source, escaped, for a document too deeply nested to render. */
  private static String unrendered(String markdown) {
    return "<pre class=\"unrendered\" tabindex=\"0\">"
        + Entities.escape(markdown == null ? "" : markdown)
        + "</pre>\n";
  }

  /**
   * Why {@code markdown} nests deeper than {@code max} levels (quotes, lists, links, emphasis), or
   * empty; names how deep, and the line where the deepest block starts.
   */
  public java.util.Optional<String> nestingProblem(String markdown, int max) {
    return nestingProblem(markdown, max, true);
  }

  /** As above; {@code rawHtml} false leaves out the HTML's own nesting (a stored history step). */
  public java.util.Optional<String> nestingProblem(String markdown, int max, boolean rawHtml) {
    try {
      Node doc = parse(markdown);
      if (depth(doc) <= max) {
        return rawHtml && needsSanitizer(doc)
            ? htmlNestingProblem(markdown, doc, max)
            : java.util.Optional.empty();
      }
    } catch (StackOverflowError e) {
      // Too deep for the extensions' recursive post-processing: measured below without them.
    }
    return java.util.Optional.of(
        deepest(markdown)
            .map(
                d ->
                    "nests quotes, lists, links or emphasis "
                        + d[0]
                        + " levels deep (line "
                        + d[1]
                        + " of the body); at most "
                        + max
                        + " allowed")
            .orElse(
                "nests quotes, lists, links or emphasis too deeply to read; at most "
                    + max
                    + " levels allowed"));
  }

  /**
   * Why a document with raw HTML, within the Markdown nesting limit, makes HTML elements nested
   * deeper than {@code max} (raw HTML's own, and the Markdown's around it), or empty; names how
   * deep, and the line where the first top-level block that does so by itself starts.
   */
  private java.util.Optional<String> htmlNestingProblem(String markdown, Node doc, int max) {
    int deep = elementDepth(Jsoup.parseBodyFragment(renderer.render(doc), SANITIZE_BASE));
    if (deep <= max) {
      return java.util.Optional.empty();
    }
    String where = "";
    Node block = locatingParser.parse(markdown).getFirstChild();
    for (; block != null; block = block.getNext()) {
      List<SourceSpan> spans = block.getSourceSpans();
      if (!spans.isEmpty()
          && spans.get(0) != null
          && elementDepth(Jsoup.parseBodyFragment(renderer.render(block), SANITIZE_BASE)) > max) {
        where = " (line " + (spans.get(0).getLineIndex() + 1) + " of the body)";
        break;
      }
    }
    return java.util.Optional.of(
        "nests HTML elements "
            + deep
            + " levels deep, its raw HTML and the Markdown around it counted together"
            + where
            + "; at most "
            + max
            + " allowed");
  }

  /**
   * How deep the elements of a parsed document's body nest (its children are level 1), walked
   * without recursion.
   */
  static int elementDepth(Document html) {
    int[] deepest = {0};
    org.jsoup.select.NodeTraversor.traverse(
        (node, depth) -> {
          if (node instanceof org.jsoup.nodes.Element && depth > deepest[0]) {
            deepest[0] = depth;
          }
        },
        html.body());
    return deepest[0];
  }

  /**
   * How deep {@code markdown} nests and the line (from 1) of its deepest block, read by the
   * CommonMark core alone (no recursive post-processing) with source positions: only for a refusal.
   */
  private static java.util.Optional<int[]> deepest(String markdown) {
    try {
      Node doc =
          Parser.builder()
              .includeSourceSpans(IncludeSourceSpans.BLOCKS)
              .build()
              .parse(markdown == null ? "" : markdown);
      int[] deepest = walk(doc, true);
      return java.util.Optional.of(new int[] {deepest[0], Math.max(deepest[1], 1)});
    } catch (StackOverflowError e) {
      return java.util.Optional.empty();
    }
  }

  /** How many levels deep the tree under {@code root} goes. */
  static int depth(Node root) {
    return walk(root, false)[0];
  }

  /**
   * The tree under {@code root} walked without recursion: how many levels deep it goes, and, with
   * {@code lines}, the line (from 1; 0 when no node has a position) of the deepest node that has
   * one.
   */
  private static int[] walk(Node root, boolean lines) {
    int max = 0;
    int line = 0;
    int lineDepth = 0;
    int d = 1;
    Node n = root.getFirstChild();
    while (n != null) {
      max = Math.max(max, d);
      if (lines && d > lineDepth) {
        List<SourceSpan> spans = n.getSourceSpans();
        // (Some extensions' nodes hold a null span.)
        if (!spans.isEmpty() && spans.get(0) != null) {
          line = spans.get(0).getLineIndex() + 1;
          lineDepth = d;
        }
      }
      if (n.getFirstChild() != null) {
        n = n.getFirstChild();
        d++;
        continue;
      }
      while (n != root && n.getNext() == null) {
        n = n.getParent();
        d--;
      }
      if (n == root) {
        break;
      }
      n = n.getNext();
    }
    return new int[] {max, line};
  }

  /**
   * jsoup's relaxed allow-list, whose {@code class} on a table cell is only a column's alignment as
   * this renderer writes it: raw HTML in a body may not borrow the theme's other classes.
   */
  private static final class AlignClasses extends Safelist {
    private static final java.util.regex.Pattern ALIGN =
        java.util.regex.Pattern.compile("align-(left|center|right)");

    /** Ids raw HTML may not give an element (see {@link HeadingIds#taken}). */
    private final Set<String> themeIds;

    AlignClasses(Set<String> themeIds) {
      super(Safelist.relaxed());
      this.themeIds = themeIds;
    }

    /** A language tag as BCP 47 writes one ("ar", "pt-BR", "zh-Hant-TW"). */
    private static final java.util.regex.Pattern LANG =
        java.util.regex.Pattern.compile("[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8}){0,7}");

    @Override
    public boolean isSafeAttribute(
        String tagName, org.jsoup.nodes.Element el, org.jsoup.nodes.Attribute attr) {
      if (attr.getKey().equals("class") && (tagName.equals("th") || tagName.equals("td"))) {
        return ALIGN.matcher(attr.getValue()).matches();
      }
      // A passage's direction and language, on any element: an Arabic quote in an English post.
      if (attr.getKey().equals("dir")) {
        return DIRECTIONS.contains(attr.getValue().toLowerCase(Locale.ROOT));
      }
      if (attr.getKey().equals("lang")) {
        return LANG.matcher(attr.getValue()).matches();
      }
      // A raw element may not take the id of one around the body, which a link to it would find
      // instead. (The footnotes' ids stay allowed: the renderer's own are in the HTML cleaned.)
      if (attr.getKey().equals("id") && themeIds.contains(attr.getValue())) {
        return false;
      }
      return super.isSafeAttribute(tagName, el, attr);
    }

    private static final Set<String> DIRECTIONS = Set.of("ltr", "rtl", "auto");
  }

  /** The Markdown as commonmark-java reads it, with this renderer's extensions. */
  Node parse(String markdown) {
    return parser.parse(markdown == null ? "" : markdown);
  }

  /**
   * jsoup's allow-list applied to rendered HTML: what every document with raw HTML goes through.
   */
  String sanitize(String html) {
    return clean(Jsoup.parseBodyFragment(html, SANITIZE_BASE));
  }

  /** jsoup's allow-list applied to a parsed document, written as {@link Jsoup#clean} writes it. */
  private String clean(Document dirty) {
    Document clean = new org.jsoup.safety.Cleaner(safelist).clean(dirty);
    // The one form field a body shows is a task's checkbox (which the renderer writes): another,
    // written as raw HTML, was left as an unlabelled box on the page.
    clean.select("input:not([type=checkbox])").remove();
    clean.outputSettings(new Document.OutputSettings().prettyPrint(false));
    return clean.body().html();
  }

  /** The allow-list, for tests that check the renderer's own output against it. */
  Safelist safelist() {
    return safelist;
  }

  /**
   * Whether a parsed document needs jsoup: it has raw HTML, or a link or image address whose scheme
   * the allow-list does not accept.
   */
  static boolean needsSanitizer(Node doc) {
    boolean[] needs = {false};
    doc.accept(
        new AbstractVisitor() {
          @Override
          public void visit(HtmlBlock node) {
            needs[0] = true;
          }

          @Override
          public void visit(HtmlInline node) {
            needs[0] = true;
          }

          @Override
          public void visit(Link node) {
            needs[0] |= !allowed(node.getDestination(), LINK_SCHEMES);
            visitChildren(node);
          }

          @Override
          public void visit(Image node) {
            needs[0] |= !allowed(node.getDestination(), IMAGE_SCHEMES);
            visitChildren(node);
          }
        });
    return needs[0];
  }

  /** Schemes the allow-list accepts in {@code a href} and {@code img src} (see the constructor). */
  private static final Set<String> LINK_SCHEMES = Set.of("http", "https", "mailto");

  private static final Set<String> IMAGE_SCHEMES = Set.of("http", "https");

  /**
   * Whether an address is relative, or has one of {@code schemes}, read as a browser reads it: tabs
   * and line breaks anywhere and spaces or control characters at either end do not count, and a
   * scheme is letters, digits, {@code + - .} before the first colon that comes before any {@code /
   * ? #}. Anything this does not recognise counts as not allowed, which only sends the document
   * through jsoup.
   */
  static boolean allowed(String address, Set<String> schemes) {
    if (address == null) {
      return true;
    }
    String s = BREAKS.matcher(address).replaceAll("").trim();
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < ' ' || s.charAt(i) == 0x7f) {
        return false;
      }
    }
    int colon = s.indexOf(':');
    Matcher path = PATH_START.matcher(s);
    if (colon < 0 || (path.find() && path.start() < colon)) {
      return true; // relative: no scheme
    }
    String scheme = s.substring(0, colon);
    return SCHEME.matcher(scheme).matches() && schemes.contains(scheme.toLowerCase(Locale.ROOT));
  }

  private static final Pattern BREAKS = Pattern.compile("[\t\n\r]");
  private static final Pattern PATH_START = Pattern.compile("[/?#]");
  private static final Pattern SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*");

  /**
   * Words in the Markdown source: enough for a reading-time estimate. Chinese and Japanese are
   * written without spaces, so a run of their characters is not one word: each {@link
   * #CJK_CHARS_PER_WORD} of them count as one (a sentence of 9,800 characters was "3 min read").
   */
  public static int wordCount(String markdown) {
    if (markdown == null || markdown.isBlank()) {
      return 0;
    }
    int count = 0;
    int unspaced = 0;
    boolean inWord = false;
    for (int i = 0; i < markdown.length(); ) {
      int c = markdown.codePointAt(i);
      i += Character.charCount(c);
      if (writtenWithoutSpaces(c)) {
        unspaced++;
        inWord = false;
        continue;
      }
      boolean letter = Character.isLetterOrDigit(c);
      if (letter && !inWord) {
        count++;
      }
      inWord = letter;
    }
    return count + (int) Math.round(unspaced / CJK_CHARS_PER_WORD);
  }

  /**
   * A Chinese or Japanese letter: Han, hiragana, katakana, and the marks of those blocks that
   * Unicode files under no script of its own (the long-vowel mark of "ホーム").
   */
  private static boolean writtenWithoutSpaces(int c) {
    Character.UnicodeScript script = Character.UnicodeScript.of(c);
    if (script == Character.UnicodeScript.HAN
        || script == Character.UnicodeScript.HIRAGANA
        || script == Character.UnicodeScript.KATAKANA) {
      return true;
    }
    Character.UnicodeBlock block = Character.UnicodeBlock.of(c);
    return Character.isLetter(c)
        && (block == Character.UnicodeBlock.KATAKANA || block == Character.UnicodeBlock.HIRAGANA);
  }

  /**
   * Chinese or Japanese characters read in the time of one word: adult readers take in about 500 to
   * 600 of them a minute, against the ~230 words of English the reading time assumes.
   */
  static final double CJK_CHARS_PER_WORD = 2.5;
}
