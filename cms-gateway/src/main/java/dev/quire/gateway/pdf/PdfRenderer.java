package dev.quire.gateway.pdf;

import com.openhtmltopdf.bidi.support.ICUBidiReorderer;
import com.openhtmltopdf.bidi.support.ICUBidiSplitter;
import com.openhtmltopdf.extend.FSStream;
import com.openhtmltopdf.outputdevice.helper.ExternalResourceControlPriority;
import com.openhtmltopdf.outputdevice.helper.ExternalResourceType;
import com.openhtmltopdf.pdfboxout.PdfRendererBuilder;
import dev.quire.gateway.media.ImageVariants;
import dev.quire.gateway.media.MediaStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;
import org.jsoup.helper.W3CDom;

/**
 * A theme-rendered HTML document (the {@code pdf/document.peb} template) as a PDF, laid out by
 * openhtmltopdf on PDFBox: no browser, no network. The HTML is read by jsoup (the read model's HTML
 * is HTML5, not the XHTML openhtmltopdf parses) and handed over as a W3C DOM.
 *
 * <p>The only outside resources a document may load are images stored in the site's media ({@code
 * /media/<sha256>/<name>} under the site's base URL), read from the media directory. Anything else
 * a post links (another host, a private address, a file: URL, CSS, fonts) is refused before it is
 * fetched: rendering a page must never make the server reach out (SSRF) or wait on someone else.
 */
public final class PdfRenderer {

  private static final Pattern MEDIA = Pattern.compile("^/media/([0-9a-f]{64})/[^/?#]+$");

  static {
    // openhtmltopdf logs through java.util.logging to its own console handler, past logback, and
    // warns with the whole URL of every resource refused below; failures still reach the caller.
    com.openhtmltopdf.util.XRLog.setLoggingEnabled(false);
    JarFontMapper.install();
  }

  /**
   * The family name under which documents can ask for a font with Greek, Cyrillic and Central and
   * Eastern European letters: Liberation Sans (SIL Open Font License), the copy PDFBox carries in
   * its jar, so nothing is fetched or installed for it. It has Hebrew letters too (printed in
   * reading order, see {@link #render}); it has no CJK or Arabic letters: those print from a
   * fallback font or as '#'. One face: bold and italic text in these letters is set upright and
   * regular.
   */
  public static final String UNICODE_FAMILY = "Quire Unicode";

  /** The family the server's fallback fonts are registered under (see {@link #render}). */
  public static final String FALLBACK_FAMILY = "Quire Fallback";

  /** Liberation Sans's character map, for {@link #needsFallback}; taken at the first need. */
  private static volatile org.apache.fontbox.ttf.CmapLookup liberation;

  /**
   * Whether {@code html} has a letter Liberation lacks (Liberation Serif and Mono, the document's
   * other families, have the same ones): only then are the fallback fonts given to the layout,
   * which reads a collection's every face for each PDF it is given.
   */
  static boolean needsFallback(String html) {
    org.apache.fontbox.ttf.CmapLookup cmap = liberation;
    if (cmap == null) {
      // The copy PDFBox's font mapper already holds (the same file as UNICODE_FONT).
      try {
        cmap = JarFontMapper.INSTANCE.font().getUnicodeCmapLookup();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      liberation = cmap;
    }
    for (int i = 0; i < html.length(); ) {
      int cp = html.codePointAt(i);
      i += Character.charCount(cp);
      if (cp >= 0x80 && !Character.isWhitespace(cp) && cmap.getGlyphId(cp) == 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * What a PDF depends on besides its document: how this renderer lays documents out (changed when
   * the same HTML prints differently, as when Hebrew began printing in reading order), and the
   * fallback fonts found.
   */
  public String fontsKey() {
    return LAYOUT + fallbackFonts.key();
  }

  /** This renderer's layout, for {@link #fontsKey}: raised when a document prints differently. */
  private static final String LAYOUT = "layout-2;";

  private static final String UNICODE_FONT =
      "/org/apache/pdfbox/resources/ttf/LiberationSans-Regular.ttf";

  /**
   * The document's own families (pdf/document.peb): Liberation Serif, Sans and Mono (SIL Open Font
   * License, from the openpdf-fonts-extra jar), each in four faces, embedded as subsets. PDF's
   * standard fonts were used before, and no PDF viewer had to show them as the layout measured
   * them: code came out in a proportional face, and nothing was embedded for a tagged PDF.
   */
  public static final java.util.Map<String, String> FAMILIES =
      java.util.Map.of(
          "Quire Serif",
          "LiberationSerif",
          "Quire Sans",
          "LiberationSans",
          "Quire Mono",
          "LiberationMono");

  /**
   * CSS's generic families, each as the library may name it, set in the same fonts: a tagged PDF
   * takes embedded fonts only, and a theme's own document may ask for {@code serif}.
   */
  private static final java.util.Map<String, List<String>> GENERIC =
      java.util.Map.of(
          "Quire Serif", List.of("serif", "Serif", "Times", "Times New Roman"),
          "Quire Sans", List.of("sans-serif", "SansSerif", "Helvetica", "Arial"),
          "Quire Mono", List.of("monospace", "Monospaced", "Courier", "Courier New"));

  private static final String FONTS = "/liberation/";

  private final String baseUrl;
  private final MediaStore media;
  private final long maxImagePixels;
  private final ImageVariants variants;
  private final int imageWidth;

  /** The server's fonts for letters the document's fonts lack (CJK), embedded as subsets. */
  private final dev.quire.gateway.render.FallbackFonts fallbackFonts;

  /**
   * {@code baseUrl}: the site's, without a trailing slash; relative links resolve against it.
   * {@code maxImagePixels}: a media image larger than this (width times height, read from its
   * header) is left out rather than decoded, so a small file cannot unpack into gigabytes.
   */
  public PdfRenderer(String baseUrl, MediaStore media, long maxImagePixels) {
    this(baseUrl, media, maxImagePixels, null, 0);
  }

  /**
   * As above; a JPEG or PNG that decodes to more than the copies' {@code decode-pixels} is printed
   * from its widest copy up to {@code imageWidth} (made as the site makes its copies, decoding only
   * what the copy needs): a 40-megapixel photo decoded whole is 160 MB, and two PDFs are made at
   * once in a 256 MB heap. An image the site makes no copy of is printed as before.
   */
  public PdfRenderer(
      String baseUrl,
      MediaStore media,
      long maxImagePixels,
      ImageVariants variants,
      int imageWidth) {
    this(
        baseUrl,
        media,
        maxImagePixels,
        variants,
        imageWidth,
        dev.quire.gateway.render.FallbackFonts.none());
  }

  /** As above, with the server's fallback fonts ({@code quire.gateway.fallback-fonts}). */
  public PdfRenderer(
      String baseUrl,
      MediaStore media,
      long maxImagePixels,
      ImageVariants variants,
      int imageWidth,
      dev.quire.gateway.render.FallbackFonts fallbackFonts) {
    this.fallbackFonts = fallbackFonts;
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.media = media;
    this.maxImagePixels = maxImagePixels;
    this.variants = variants;
    this.imageWidth = imageWidth;
  }

  /**
   * The file printed for media image {@code sha}, or null when it is left out (its alt text is
   * printed). The library decodes what it prints whole (a GIF, a BMP, a PNG it cannot copy as it
   * is: to an RGB raster, three bytes a pixel, beside the decoded image), so nothing is printed
   * that decodes past the copies' limit ({@code quire.media.images.decode-pixels}): a JPEG or PNG
   * past it is printed from its copy, and left out without one; other images are printed only
   * within it. Until 2026-12-07 they were printed from the original up to max-image-pixels: a 6,300
   * x 6,300 GIF of 31 KB took 238 MB of a 256 MB heap for one PDF, and two at once ran it out (the
   * server exits then).
   */
  java.nio.file.Path printable(String sha) throws IOException {
    java.nio.file.Path blob = media.blob(sha);
    if (!Files.isRegularFile(blob)) {
      return null;
    }
    if (variants == null) {
      return withinPixels(blob, maxImagePixels) ? blob : null;
    }
    long decodable = Math.min(maxImagePixels, variants.settings().decodePixels());
    var size = variants.size(sha);
    if (size.isEmpty()) {
      // Not a JPEG or PNG of which copies are made (a GIF, a BMP; WebP the library cannot read).
      return withinPixels(blob, decodable) ? blob : null;
    }
    if ((long) size.get().width() * size.get().height() <= decodable) {
      return blob;
    }
    // The widest copy up to imageWidth that the site makes of this image (a very tall one gets
    // only narrower ones, one of extreme proportions none).
    var width =
        variants.widthsFor(size.get()).stream().filter(w -> w <= imageWidth).max(Integer::compare);
    if (width.isPresent()) {
      return variants.variant(sha, width.get()).file();
    }
    return null;
  }

  /**
   * The start tags in {@code html} ({@code <} then a letter: a rendered item's text escapes every
   * other {@code <}), the elements its layout would hold; counted without parsing, in one pass.
   */
  public static int startTags(String html) {
    int tags = 0;
    for (int i = html.indexOf('<'); i >= 0 && i + 1 < html.length(); i = html.indexOf('<', i + 1)) {
      char c = html.charAt(i + 1);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        tags++;
      }
    }
    return tags;
  }

  /** The PDF of {@code html}, a whole HTML document. */
  public byte[] render(String html) {
    org.jsoup.nodes.Document page = Jsoup.parse(html, baseUrl + "/");
    // Images other than the site's media are dropped before the layout sees them (their alt text
    // stays): the library has paths (an img of a data: PDF) that do not ask the check below. So
    // are the site's images that are not printed (a reader is told what was there).
    for (org.jsoup.nodes.Element img : page.select("img")) {
      String sha = mediaSha(img.absUrl("src"));
      if (sha == null || !printed(sha)) {
        img.replaceWith(new org.jsoup.nodes.TextNode(img.attr("alt")));
      } else if ("async".equals(img.attr("decoding"))) {
        // What the site adds for screens (its size, copies, lazy loading; an author's own size
        // is kept): the library would set the height in pixels and stretch an image the page
        // narrows, and it reads no srcset.
        for (String a : List.of("width", "height", "srcset", "sizes", "loading", "decoding")) {
          img.removeAttr(a);
        }
      }
    }
    forPrint(page);
    // No empty text (an image without alt text left out above): the bidirectional layout finds
    // no run in it and fails the whole PDF (openhtmltopdf 1.1.31's BoxBuilder.doBidi).
    List<org.jsoup.nodes.TextNode> empty = new java.util.ArrayList<>();
    page.traverse(
        (node, depth) -> {
          if (node instanceof org.jsoup.nodes.TextNode t && t.getWholeText().isEmpty()) {
            empty.add(t);
          }
        });
    empty.forEach(org.jsoup.nodes.Node::remove);
    return print(page);
  }

  /**
   * {@code page} printed: with the bidirectional layout when it is right to left or has a letter
   * that is ({@link #rightToLeft}), else as pages always were. That layout is younger than the rest
   * of the library: should it fail on a page (an error of its own, or of ICU's classes), the page
   * still prints, each run left to right as before it was used. Reading the page's files or writing
   * the PDF failing is not the layout's, and is not tried again.
   */
  byte[] print(org.jsoup.nodes.Document page) {
    if (!rightToLeft(page)) {
      return layout(page, false);
    }
    try {
      return layout(page, true);
    } catch (UncheckedIOException e) {
      throw e;
    } catch (RuntimeException | AssertionError | LinkageError e) {
      // The whole trace once (ICU missing would fail every such PDF alike), then a line each.
      var log = org.slf4j.LoggerFactory.getLogger(PdfRenderer.class);
      if (BIDI_TRACE_LOGGED.compareAndSet(false, true)) {
        log.warn("PDF: the right-to-left layout failed; printed without it", e);
      } else {
        log.warn("PDF: the right-to-left layout failed ({}); printed without it", e.toString());
      }
      return layout(page, false);
    }
  }

  /**
   * Whether {@code page} needs the bidirectional layout: it says it is written right to left, or
   * has a letter of a right-to-left script (a Hebrew quote on an English page). Other pages are
   * laid out as they always were.
   */
  static boolean rightToLeft(org.jsoup.nodes.Document page) {
    if (page.select("html").attr("dir").equalsIgnoreCase("rtl")) {
      return true;
    }
    return dev.quire.gateway.render.TextDirection.hasRightToLeft(page.text());
  }

  /** Whether a failed right-to-left layout's stack trace was logged (once per process). */
  private static final java.util.concurrent.atomic.AtomicBoolean BIDI_TRACE_LOGGED =
      new java.util.concurrent.atomic.AtomicBoolean();

  private byte[] layout(org.jsoup.nodes.Document page, boolean bidi) {
    org.w3c.dom.Document dom = W3CDom.convert(page);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PdfRendererBuilder builder = new PdfRendererBuilder();
    builder.useFastMode();
    // A tagged PDF (PDF/UA): its structure (headings, paragraphs, lists, tables, figures with
    // their alt text) and its language (the page's lang) for screen readers and reflow.
    builder.usePdfUaAccessibility(true);
    // Hebrew and Arabic in reading order (ICU's bidirectional algorithm and Arabic shaping): the
    // layout alone sets every run left to right, so a Hebrew word printed backwards. The page's
    // base direction is its <html dir> (pdf/document.peb writes the site's), else its language's.
    if (bidi) {
      builder.useUnicodeBidiSplitter(new ICUBidiSplitter.ICUBidiSplitterFactory());
      builder.useUnicodeBidiReorderer(new ICUBidiReorderer());
      String dir = page.select("html").attr("dir");
      if (dir.isEmpty()) {
        dir = dev.quire.gateway.render.TextDirection.direction(page.select("html").attr("lang"));
      }
      builder.defaultTextDirection(
          dir.equalsIgnoreCase("rtl")
              ? com.openhtmltopdf.outputdevice.helper.BaseRendererBuilder.TextDirection.RTL
              : com.openhtmltopdf.outputdevice.helper.BaseRendererBuilder.TextDirection.LTR);
    }
    for (var family : FAMILIES.entrySet()) {
      List<String> names = new java.util.ArrayList<>(List.of(family.getKey()));
      names.addAll(GENERIC.get(family.getKey()));
      for (Face face : Face.values()) {
        String resource = FONTS + family.getValue() + "-" + face.file + ".ttf";
        for (String name : names) {
          builder.useFont(
              () -> PdfRenderer.class.getResourceAsStream(resource),
              name,
              face.weight,
              face.style,
              true);
        }
      }
    }
    builder.withW3cDocument(dom, baseUrl + "/");
    for (ExternalResourceControlPriority when : ExternalResourceControlPriority.values()) {
      builder.useExternalResourceAccessControl(this::allowed, when);
    }
    // Whatever passes the check above is read from the media directory, never over the network.
    builder.useProtocolsStreamImplementation(
        this::open, "http", "https", "file", "jar", "data", "classpath", "ftp", "jrt");
    // After the document's own fonts in each font-family list (pdf/document.peb): the letters
    // PDF's standard fonts lack (they hold Western European ones only) are set in this one
    // instead of printing as '#'. Only the glyphs used are embedded.
    builder.useFont(
        () -> PdfRenderer.class.getResourceAsStream(UNICODE_FONT),
        UNICODE_FAMILY,
        400,
        com.openhtmltopdf.outputdevice.helper.BaseRendererBuilder.FontStyle.NORMAL,
        true);
    // Letters none of those have (Chinese, Japanese, Korean, Arabic) from the server's fallback
    // fonts,
    // whatever family the text asks for, a theme's own template's too; without one they print
    // as '#'. Read by the layout only when a letter needs them.
    for (var fallback :
        needsFallback(page.outerHtml())
            ? fallbackFonts.usable()
            : List.<dev.quire.gateway.render.FallbackFonts.Usable>of()) {
      builder.useFont(
          fallback.file().toFile(),
          FALLBACK_FAMILY,
          400,
          com.openhtmltopdf.outputdevice.helper.BaseRendererBuilder.FontStyle.NORMAL,
          true,
          java.util.EnumSet.of(
              com.openhtmltopdf.outputdevice.helper.BaseRendererBuilder.FSFontUseCase
                  .FALLBACK_PRE));
    }
    builder.toStream(out);
    try {
      builder.run();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** A font's four faces, as the jar names their files. */
  private enum Face {
    REGULAR(
        "Regular", 400, com.openhtmltopdf.outputdevice.helper.BaseRendererBuilder.FontStyle.NORMAL),
    BOLD("Bold", 700, com.openhtmltopdf.outputdevice.helper.BaseRendererBuilder.FontStyle.NORMAL),
    ITALIC(
        "Italic", 400, com.openhtmltopdf.outputdevice.helper.BaseRendererBuilder.FontStyle.ITALIC),
    BOLD_ITALIC(
        "BoldItalic",
        700,
        com.openhtmltopdf.outputdevice.helper.BaseRendererBuilder.FontStyle.ITALIC);

    final String file;
    final int weight;
    final com.openhtmltopdf.outputdevice.helper.BaseRendererBuilder.FontStyle style;

    Face(
        String file,
        int weight,
        com.openhtmltopdf.outputdevice.helper.BaseRendererBuilder.FontStyle style) {
      this.file = file;
      this.weight = weight;
      this.style = style;
    }
  }

  /**
   * What a screen shows that paper cannot: a task list's checkbox (the layout draws form fields
   * empty, so a done task printed as not done) becomes a box with an x for a done one; a footnote's
   * way back (↩, which no embedded font has: it printed as '#') an ↑.
   */
  static void forPrint(org.jsoup.nodes.Document page) {
    for (org.jsoup.nodes.Element box : page.select("input[type=checkbox]")) {
      boolean done = box.hasAttr("checked");
      org.jsoup.nodes.Element mark = new org.jsoup.nodes.Element("span");
      mark.addClass("task-box").addClass(done ? "task-done" : "task-open");
      mark.attr("aria-label", done ? "done" : "not done");
      mark.text(done ? "x" : "\u00a0");
      // Its item shows the box instead of a bullet.
      org.jsoup.nodes.Element item = box.closest("li");
      if (item != null) {
        item.addClass("task-item");
      }
      box.replaceWith(mark);
    }
    for (org.jsoup.nodes.Element back : page.select("a[data-footnote-backref]")) {
      back.text("\u2191");
    }
  }

  /** Only raster images stored in this site's media (checked before and after resolving). */
  boolean allowed(String uri, ExternalResourceType type) {
    return type == ExternalResourceType.IMAGE_RASTER && mediaSha(uri) != null;
  }

  /** The SHA-256 of a media URL of this site ({@code /media/...} or its absolute form), or null. */
  String mediaSha(String uri) {
    if (uri == null) {
      return null;
    }
    String path = uri.startsWith(baseUrl + "/") ? uri.substring(baseUrl.length()) : uri;
    Matcher m = MEDIA.matcher(path);
    return m.matches() ? m.group(1) : null;
  }

  /** Whether the image at {@code file} is at most {@code maxImagePixels}, by its header alone. */
  boolean withinPixels(java.nio.file.Path file) throws IOException {
    return withinPixels(file, maxImagePixels);
  }

  private static boolean withinPixels(java.nio.file.Path file, long limit) throws IOException {
    try (var in = javax.imageio.ImageIO.createImageInputStream(file.toFile())) {
      var readers = in == null ? null : javax.imageio.ImageIO.getImageReaders(in);
      if (readers == null || !readers.hasNext()) {
        return false; // not an image the JDK reads (WebP, AVIF): left out
      }
      var reader = readers.next();
      try {
        reader.setInput(in, true, true);
        return (long) reader.getWidth(0) * reader.getHeight(0) <= limit;
      } finally {
        reader.dispose();
      }
    }
  }

  private boolean printed(String sha) {
    try {
      return printable(sha) != null;
    } catch (IOException unreadable) {
      return false;
    }
  }

  private FSStream open(String uri) {
    String sha = mediaSha(uri);
    return new FSStream() {
      @Override
      public InputStream getStream() {
        try {
          java.nio.file.Path file = sha == null ? null : printable(sha);
          return file == null ? null : Files.newInputStream(file);
        } catch (IOException e) {
          return null;
        }
      }

      @Override
      public Reader getReader() {
        InputStream in = getStream();
        return in == null ? null : new InputStreamReader(in, StandardCharsets.UTF_8);
      }
    };
  }
}
