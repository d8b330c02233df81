package dev.quire.gateway.pdf;

import static org.assertj.core.api.Assertions.assertThat;

import com.openhtmltopdf.outputdevice.helper.ExternalResourceType;
import com.sun.net.httpserver.HttpServer;
import dev.quire.gateway.media.MediaStore;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;
import org.apache.pdfbox.text.PDFTextStripper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A document becomes a real PDF whose text is the post's, loading only the site's own media. */
class PdfRendererTest {

  @TempDir Path tmp;

  /**
   * PDFBox is never left to look for fonts on the machine: its default mapper scanned the system's
   * font directories at the first PDF and wrote a cache to the home directory. Every font a PDF
   * names is drawn with the Liberation Sans in PDFBox's jar.
   */
  @Test
  void noFontIsLookedForOnTheMachine() throws Exception {
    String before = System.getProperty("pdfbox.fontcache");
    System.setProperty("pdfbox.fontcache", tmp.toString());
    try {
      PdfRenderer renderer = new PdfRenderer("http://localhost", null, 1);
      assertThat(org.apache.pdfbox.pdmodel.font.FontMappers.instance())
          .isSameAs(JarFontMapper.INSTANCE);
      var helvetica =
          org.apache.pdfbox.pdmodel.font.FontMappers.instance().getFontBoxFont("Helvetica", null);
      assertThat(helvetica.isFallback()).as("PDFBox warns of each fallback").isFalse();
      assertThat(helvetica.getFont().getName()).startsWith("LiberationSans");
      byte[] pdf = renderer.render("<html><body><p>Plain <b>text</b></p></body></html>");
      try (var doc = org.apache.pdfbox.Loader.loadPDF(pdf)) {
        assertThat(new org.apache.pdfbox.text.PDFTextStripper().getText(doc))
            .contains("Plain text");
      }
      try (var files = java.nio.file.Files.list(tmp)) {
        assertThat(files).as("no font cache written").isEmpty();
      }
    } finally {
      if (before == null) {
        System.clearProperty("pdfbox.fontcache");
      } else {
        System.setProperty("pdfbox.fontcache", before);
      }
    }
  }

  @Test
  void thePdfHoldsTheTextAndOnlyTheSitesOwnImages() throws Exception {
    MediaStore media =
        new MediaStore(tmp.resolve("media"), Clock.systemUTC(), java.time.Duration.ofSeconds(2));
    BufferedImage image = new BufferedImage(40, 20, BufferedImage.TYPE_INT_RGB);
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(image, "png", png);
    String sha =
        media
            .put(new ByteArrayInputStream(png.toByteArray()), "image/png", "dot.png", 1 << 20)
            .sha256();
    // A server on loopback stands for any address a post might point at: it must never be asked.
    AtomicInteger asked = new AtomicInteger();
    HttpServer other = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    other.createContext(
        "/",
        ex -> {
          asked.incrementAndGet();
          ex.getResponseHeaders().add("Content-Type", "image/png");
          ex.sendResponseHeaders(200, png.size());
          ex.getResponseBody().write(png.toByteArray());
          ex.close();
        });
    other.start();
    try {
      String elsewhere = "http://127.0.0.1:" + other.getAddress().getPort();
      String html =
          "<!doctype html><html><head><title>T</title>"
              + "<link rel=\"stylesheet\" href=\""
              + elsewhere
              + "/x.css\"></head><body><h1>Rewriting my blog in Rust</h1>"
              + "<p>Hello <strong>world</strong> &amp; caf\u00e9.<br></p>"
              + "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>"
              + "<pre><code class=\"language-java\">record Post(String slug) {}</code></pre>"
              + "<p><img src=\"/media/"
              + sha
              + "/dot.png\" alt=\"ours\"><img src=\""
              + elsewhere
              + "/tracker.png\" alt=\"theirs\"><img src=\"file:///etc/passwd\" alt=\"file\">"
              + "<img src=\"data:image/png;base64,"
              + java.util.Base64.getEncoder().encodeToString(png.toByteArray())
              + "\" alt=\"inline\"></p>"
              + "</body></html>";
      byte[] pdf = new PdfRenderer("https://example.org", media, 40_000_000).render(html);
      assertThat(new String(pdf, 0, 5, java.nio.charset.StandardCharsets.US_ASCII))
          .isEqualTo("%PDF-");
      try (PDDocument doc = Loader.loadPDF(pdf)) {
        PDFTextStripper stripper = new PDFTextStripper();
        // In reading order: a bold word is another font's run, written after the line's others.
        stripper.setSortByPosition(true);
        String text = stripper.getText(doc);
        assertThat(text)
            .contains("Rewriting my blog in Rust")
            .contains("Hello world & caf\u00e9.")
            .contains("record Post(String slug) {}");
        assertThat(text.replaceAll("\\s+", " ")).contains("a b 1 2");
        int images = 0;
        for (var name : doc.getPage(0).getResources().getXObjectNames()) {
          if (doc.getPage(0).getResources().getXObject(name) instanceof PDImageXObject) {
            images++;
          }
        }
        assertThat(images).as("the site's own image, and no other").isEqualTo(1);
      }
      assertThat(asked.get()).as("requests to another address").isZero();
    } finally {
      other.stop(0);
    }
  }

  @Test
  void lettersTheStandardFontsLackAreSetInTheUnicodeFontNotPrintedAsHashes() throws Exception {
    MediaStore media =
        new MediaStore(tmp.resolve("media"), Clock.systemUTC(), java.time.Duration.ofSeconds(2));
    String words =
        "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac \u0420\u0443\u0441\u0441\u043a\u0438\u0439 Za\u017c\u00f3\u0142\u0107 g\u0119\u015bl\u0105";
    String html =
        "<!doctype html><html><head><title>T</title><style>body { font-family: serif, \""
            + PdfRenderer.UNICODE_FAMILY
            + "\"; }</style></head><body><p>Plain caf\u00e9, then "
            + words
            + ".</p></body></html>";
    byte[] pdf = new PdfRenderer("https://example.org", media, 40_000_000).render(html);
    try (PDDocument doc = Loader.loadPDF(pdf)) {
      PDFTextStripper stripper = new PDFTextStripper();
      stripper.setSortByPosition(true);
      String text = stripper.getText(doc);
      assertThat(text).contains("Plain caf\u00e9, then").contains(words).doesNotContain("#");
    }
  }

  /**
   * Chinese and Japanese letters, which no font in the jar has, print from the server's fallback
   * font (embedded like the others) in whatever family the text asks for, a heading's and code's
   * too; without one they print as '#'.
   */
  @Test
  void lettersNoEmbeddedFontHasPrintFromTheServersFallbackFont() throws Exception {
    java.nio.file.Path font = dev.quire.gateway.render.FallbackFontsTest.installed();
    String html =
        "<!doctype html><html lang=\"ja\"><head><title>T</title><style>body { font-family:"
            + " \"Quire Serif\"; } h1 { font-family: \"Quire Sans\"; } code { font-family:"
            + " \"Quire Mono\"; }</style></head><body><h1>東京の朝</h1><p>Plain text, then"
            + " 中文段落 and <code>変数</code>.</p></body></html>";
    PdfRenderer without = new PdfRenderer("https://example.org", null, 40_000_000);
    PdfRenderer with =
        new PdfRenderer(
            "https://example.org",
            null,
            40_000_000,
            null,
            0,
            new dev.quire.gateway.render.FallbackFonts(List.of(font)));
    assertThat(text(without.render(html))).contains("Plain text, then").contains("#");
    String printed = text(with.render(html));
    assertThat(printed)
        .contains("東京の朝")
        .contains("Plain text, then 中文段落 and 変数")
        .doesNotContain("#");
    assertThat(with.fontsKey()).isNotEqualTo(without.fontsKey());
    // Given to the layout only for a document with such a letter (the layout reads a collection's
    // every face for each PDF it is given).
    assertThat(PdfRenderer.needsFallback("<p>Plain café, Ελληνικά, Русский, עברית</p>")).isFalse();
    assertThat(PdfRenderer.needsFallback("<p>Plain 東京</p>")).isTrue();
    assertThat(PdfRenderer.needsFallback("<p>한국어</p>")).isTrue();
  }

  private static String text(byte[] pdf) throws Exception {
    try (PDDocument doc = Loader.loadPDF(pdf)) {
      PDFTextStripper stripper = new PDFTextStripper();
      stripper.setSortByPosition(true);
      return stripper.getText(doc);
    }
  }

  /**
   * The document's families are embedded fonts (code in a monospaced one: PDF's standard fonts were
   * never embedded, and code came out proportional); the PDF is tagged, in the page's language; a
   * done task prints as done, and a footnote's way back as an arrow, not '#'.
   */
  @Test
  void fontsAreEmbeddedThePdfIsTaggedAndTasksAndFootnotesPrint() throws Exception {
    MediaStore media =
        new MediaStore(tmp.resolve("media"), Clock.systemUTC(), java.time.Duration.ofSeconds(2));
    String html =
        "<!doctype html><html lang=\"de\"><head><title>T</title><style>"
            + "body { font-family: \"Quire Serif\"; } h1 { font-family: \"Quire Sans\"; }"
            + " code { font-family: \"Quire Mono\"; } strong { font-weight: bold; }</style></head>"
            + "<body><h1>Title</h1><p>Text with <code>code()</code> and <strong>bold</strong>"
            + "<sup><a href=\"#fn-1\" data-footnote-ref>1</a></sup>.</p>"
            + "<ul><li><input type=\"checkbox\" disabled checked> A done task</li>"
            // (as bodies are rendered since 2026-12-07: the checkbox in a label with the text)
            + "<li><label><input type=\"checkbox\" disabled> An open task</label></li></ul>"
            + "<section data-footnotes><ol><li id=\"fn-1\"><p>Note."
            + " <a href=\"#fnref-1\" data-footnote-backref>\u21a9</a></p></li></ol></section>"
            + "</body></html>";
    byte[] pdf = new PdfRenderer("https://example.org", media, 40_000_000).render(html);
    try (PDDocument doc = Loader.loadPDF(pdf)) {
      java.util.Set<String> fonts = new java.util.TreeSet<>();
      var resources = doc.getPage(0).getResources();
      for (var name : resources.getFontNames()) {
        var font = resources.getFont(name);
        assertThat(font.isEmbedded()).as(font.getName()).isTrue();
        fonts.add(font.getName().replaceFirst("^[A-Z]{6}\\+", ""));
      }
      assertThat(fonts)
          .contains(
              "LiberationSerif", "LiberationSans-Bold", "LiberationMono", "LiberationSerif-Bold");
      assertThat(doc.getDocumentCatalog().getLanguage()).isEqualTo("de");
      assertThat(doc.getDocumentCatalog().getMarkInfo().isMarked()).isTrue();
      assertThat(doc.getDocumentCatalog().getStructureTreeRoot()).isNotNull();
      PDFTextStripper stripper = new PDFTextStripper();
      stripper.setSortByPosition(true);
      String text = stripper.getText(doc);
      assertThat(text)
          .containsPattern("x\\s*A done task")
          .contains("An open task")
          .contains("Note. \u2191")
          .doesNotContain("#");
    }
  }

  /**
   * Hebrew prints in reading order: drawn right to left, as PDFBox's text extraction (which reads
   * right-to-left runs back from their drawn order) then gives it in the order it was written.
   * Before ICU's bidirectional algorithm was in the layout, the same page gave each word backwards
   * ("םולש"). Code in it stays left to right; the page's sides turn (the paragraph sits against the
   * right margin).
   */
  @Test
  void hebrewPrintsInReadingOrderAndThePageTurns() throws Exception {
    MediaStore media =
        new MediaStore(tmp.resolve("media"), Clock.systemUTC(), java.time.Duration.ofSeconds(2));
    String html =
        // (No style of its own: the page's direction alone puts the paragraph on the right.)
        "<!doctype html><html lang=\"he\" dir=\"rtl\"><head><title>T</title></head>"
            + "<body><p id=\"p\">שלום עולם</p>"
            // An image from elsewhere without alt text, left out: no empty text for the layout.
            + "<p><img src=\"https://elsewhere.example/x.png\"></p>"
            + "<pre>int x = 1;</pre></body></html>";
    byte[] pdf = new PdfRenderer("https://example.org", media, 40_000_000).render(html);
    try (PDDocument doc = Loader.loadPDF(pdf)) {
      String text = new PDFTextStripper().getText(doc);
      assertThat(text).contains("שלום עולם").contains("int x = 1;");
      // Where the Hebrew line starts: near the right margin, not the left.
      float[] firstX = {Float.NaN};
      PDFTextStripper where =
          new PDFTextStripper() {
            @Override
            protected void writeString(
                String s, List<org.apache.pdfbox.text.TextPosition> positions) {
              if (Float.isNaN(firstX[0]) && s.contains("ש")) {
                firstX[0] = positions.get(0).getXDirAdj();
              }
            }
          };
      where.getText(doc);
      float width = doc.getPage(0).getMediaBox().getWidth();
      assertThat(firstX[0]).isGreaterThan(width / 2);
    }
  }

  /**
   * The built-in document's footer: the site's name where a line starts and the page number where
   * it ends, so the two change sides on a site written right to left; and footnotes open with a
   * heading in the site's language.
   */
  @Test
  void theFooterTurnsWithTheSitesDirection() throws Exception {
    MediaStore media =
        new MediaStore(tmp.resolve("media"), Clock.systemUTC(), java.time.Duration.ofSeconds(2));
    for (String language : List.of("en", "he")) {
      byte[] pdf =
          byTheTheme(
              media, dev.quire.gateway.render.TemplatesTest.FOOTNOTES_BODY, "", "", language);
      try (PDDocument doc = Loader.loadPDF(pdf)) {
        java.util.Map<String, Float> x = new java.util.HashMap<>();
        PDFTextStripper where =
            new PDFTextStripper() {
              @Override
              protected void writeString(
                  String s, List<org.apache.pdfbox.text.TextPosition> positions)
                  throws java.io.IOException {
                super.writeString(s, positions);
                if (s.contains("Sitename") || s.matches(".*\\d+ / \\d+.*")) {
                  x.putIfAbsent(
                      s.contains("Sitename") ? "name" : "number", positions.get(0).getXDirAdj());
                }
              }
            };
        String text = where.getText(doc);
        float middle = doc.getPage(0).getMediaBox().getWidth() / 2;
        assertThat(x).containsKeys("name", "number");
        if (language.equals("he")) {
          assertThat(x.get("name")).as("the name on the right").isGreaterThan(middle);
          assertThat(x.get("number")).as("the number on the left").isLessThan(middle);
          assertThat(text)
              .contains("\u05d4\u05e2\u05e8\u05d5\u05ea \u05e9\u05d5\u05dc\u05d9\u05d9\u05dd");
        } else {
          assertThat(x.get("name")).isLessThan(middle);
          assertThat(x.get("number")).isGreaterThan(middle);
          assertThat(text).contains("Footnotes");
        }
      }
    }
  }

  /**
   * Nothing is cut off at the margin: a table wider than the text column and a word longer than a
   * line wrap within it, as on the page. Before, the theme's document gave neither a rule, and a
   * 12-column table lost its last four columns and a long word its end, without a word.
   */
  @Test
  void wideTablesAndLongWordsWrapInsideTheMargins() throws Exception {
    MediaStore media =
        new MediaStore(tmp.resolve("media"), Clock.systemUTC(), java.time.Duration.ofSeconds(2));
    StringBuilder body = new StringBuilder("<table><thead><tr>");
    for (int c = 0; c < 12; c++) {
      body.append("<th>Column").append(c).append("</th>");
    }
    body.append("</tr></thead><tbody><tr>");
    for (int c = 0; c < 12; c++) {
      body.append("<td>value number ").append(c).append(" here</td>");
    }
    String word = "Long" + "a".repeat(150) + "End";
    String path = "/srv/" + "deeply/nested/".repeat(12) + "file.txt";
    body.append("</tr></tbody></table><p>")
        .append(word)
        .append("</p><p><code>")
        .append(path)
        .append("</code></p>");
    try (PDDocument doc = Loader.loadPDF(byTheTheme(media, body.toString(), "", ""))) {
      float width = doc.getPage(0).getMediaBox().getWidth();
      float[] rightmost = {0};
      PDFTextStripper where =
          new PDFTextStripper() {
            @Override
            protected void writeString(
                String s, List<org.apache.pdfbox.text.TextPosition> positions)
                throws java.io.IOException {
              super.writeString(s, positions);
              for (var p : positions) {
                rightmost[0] = Math.max(rightmost[0], p.getXDirAdj() + p.getWidthDirAdj());
              }
            }
          };
      String text = where.getText(doc).replaceAll("\\s+", "");
      // (Text drawn past the page's edge is still in the content, hence the positions.)
      assertThat(rightmost[0]).as("the right end of the rightmost letter").isLessThan(width);
      for (int c = 0; c < 12; c++) {
        assertThat(text).contains("Column" + c).contains("valuenumber" + c + "here");
      }
      assertThat(text).contains(word).contains(path);
    }
  }

  /** The cover image prints above the body, as the page shows it; none, no image. */
  @Test
  void theCoverImagePrints() throws Exception {
    MediaStore media =
        new MediaStore(tmp.resolve("media"), Clock.systemUTC(), java.time.Duration.ofSeconds(2));
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(new BufferedImage(40, 20, BufferedImage.TYPE_INT_RGB), "png", png);
    String sha =
        media
            .put(new ByteArrayInputStream(png.toByteArray()), "image/png", "cover.png", 1 << 20)
            .sha256();
    String cover = "/media/" + sha + "/cover.png";
    for (boolean withCover : List.of(true, false)) {
      byte[] pdf =
          byTheTheme(media, "<p>Body.</p>", withCover ? cover : "", withCover ? "A harbour" : "");
      try (PDDocument doc = Loader.loadPDF(pdf)) {
        int images = 0;
        for (var name : doc.getPage(0).getResources().getXObjectNames()) {
          if (doc.getPage(0).getResources().getXObject(name) instanceof PDImageXObject) {
            images++;
          }
        }
        assertThat(images).as("with a cover: " + withCover).isEqualTo(withCover ? 1 : 0);
        assertThat(new PDFTextStripper().getText(doc)).contains("Body.");
      }
    }
  }

  /** A post with {@code html} for its body printed through the theme's {@code pdf/document.peb}. */
  private static byte[] byTheTheme(MediaStore media, String html, String cover, String coverAlt)
      throws Exception {
    return byTheTheme(media, html, cover, coverAlt, "en");
  }

  /** As above, on a site written in {@code language}. */
  private static byte[] byTheTheme(
      MediaStore media, String html, String cover, String coverAlt, String language)
      throws Exception {
    var templates = new dev.quire.gateway.render.Templates(null, false, true, List.of());
    var post = dev.quire.gateway.site.TestPosts.published(List.of(), "");
    post =
        new dev.quire.gateway.site.ItemView(
            post.id(),
            post.kind(),
            post.title(),
            post.slug(),
            post.url(),
            post.description(),
            post.tags(),
            cover,
            post.author(),
            post.dateIso(),
            post.dateDisplay(),
            post.updatedIso(),
            html,
            post.readingMinutes(),
            post.sortDate(),
            post.aliases(),
            coverAlt);
    var model = new java.util.HashMap<String, Object>();
    model.put(
        "site",
        new dev.quire.gateway.site.SiteSettings(
            "Sitename", "", "https://example.org", language, "", 10, 10, "", ""));
    model.put("item", post);
    String page =
        templates.render(
            "pdf/document.peb", model, dev.quire.gateway.render.DisplayDate.locale(language));
    return new PdfRenderer("https://example.org", media, 40_000_000).render(page);
  }

  /**
   * Should the bidirectional layout fail on a page (here on an empty text node, which render()
   * removes first and print() does not), the page still prints, without it: its Hebrew then drawn
   * left to right, each word backwards, as before that layout was used, rather than no PDF.
   */
  @Test
  void aPageTheRightToLeftLayoutFailsOnStillPrints() throws Exception {
    MediaStore media =
        new MediaStore(tmp.resolve("media"), Clock.systemUTC(), java.time.Duration.ofSeconds(2));
    var page =
        org.jsoup.Jsoup.parse(
            "<html lang=\"he\" dir=\"rtl\"><body><p>\u05e9\u05dc\u05d5\u05dd</p><p></p></body></html>");
    page.select("p").last().appendChild(new org.jsoup.nodes.TextNode(""));
    byte[] pdf = new PdfRenderer("https://example.org", media, 40_000_000).print(page);
    try (PDDocument doc = Loader.loadPDF(pdf)) {
      assertThat(new PDFTextStripper().getText(doc)).contains("\u05dd\u05d5\u05dc\u05e9");
    }
  }

  @Test
  void aMediaImageOverThePixelLimitIsLeftOutNotDecoded() throws Exception {
    MediaStore media =
        new MediaStore(tmp.resolve("media"), Clock.systemUTC(), java.time.Duration.ofSeconds(2));
    String sha = bigPng(media);
    String html =
        "<html><body><p>Before</p><p><img src=\"/media/" + sha + "/big.png\"></p></body></html>";
    PdfRenderer tight = new PdfRenderer("https://example.org", media, 1_000_000);
    assertThat(tight.withinPixels(media.blob(sha))).isFalse();
    try (PDDocument doc = Loader.loadPDF(tight.render(html))) {
      assertThat(images(doc)).isZero();
    }
    PdfRenderer roomy = new PdfRenderer("https://example.org", media, 6_000_000);
    try (PDDocument doc = Loader.loadPDF(roomy.render(html))) {
      // (A picture wider than the page may be drawn on two: printed at all is what counts.)
      assertThat(images(doc)).as("at the limit it is printed").isPositive();
    }
  }

  /**
   * An image that decodes past the copies' limit is printed from its copy (1200 wide here), decoded
   * to no more than the copy needs, not from the original.
   */
  @Test
  void aLargeImageIsPrintedFromItsCopyNotDecodedWhole() throws Exception {
    MediaStore media =
        new MediaStore(
            tmp.resolve("media-copies"), Clock.systemUTC(), java.time.Duration.ofSeconds(2));
    String sha = bigPng(media);
    var variants = variants(media, 2_000_000);
    PdfRenderer renderer =
        new PdfRenderer("https://example.org", media, 40_000_000, variants, 1200);
    assertThat(renderer.printable(sha)).isNotNull().isNotEqualTo(media.blob(sha));
    String html = "<html><body><p><img src=\"/media/" + sha + "/big.png\"></p></body></html>";
    try (PDDocument doc = Loader.loadPDF(renderer.render(html))) {
      List<Integer> widths = new java.util.ArrayList<>();
      for (var page : doc.getPages()) {
        for (var name : page.getResources().getXObjectNames()) {
          if (page.getResources().getXObject(name) instanceof PDImageXObject img) {
            widths.add(img.getWidth());
          }
        }
      }
      assertThat(widths).isNotEmpty().allSatisfy(w -> assertThat(w).isEqualTo(1200));
    }
    // A tall image (1500 x 3000) whose 1200-wide copy the site does not make (the decoder keeps
    // at most 750 of its width): its widest copy that fits, 480; and one the site makes no copy
    // of at all (1000 x 9000): left out, as its original would decode past the limit (until
    // 2026-12-07 it was printed from the original).
    assertThat(renderer.printable(png(media, 1500, 3000)).getFileName().toString()).contains("480");
    String noCopy = png(media, 1000, 9000);
    assertThat(renderer.printable(noCopy)).isNull();
    // Within the decode limit, the original is printed.
    PdfRenderer roomy =
        new PdfRenderer("https://example.org", media, 40_000_000, variants(media, 8_000_000), 1200);
    assertThat(roomy.printable(sha)).isEqualTo(media.blob(sha));
  }

  /**
   * What the library would decode whole is printed only within the copies' decode limit: a GIF over
   * it (3 MP here, a 2 MP limit; GIFs get no copies) is left out, its alt text printed instead; a
   * small one is printed. Until 2026-12-07 it was printed from the original, up to max-image-pixels
   * (40 MP): a 31 KB GIF of 6,300 x 6,300 took 238 MB of a 256 MB heap.
   */
  @Test
  void nothingIsPrintedThatWouldDecodePastTheLimit() throws Exception {
    MediaStore media =
        new MediaStore(
            tmp.resolve("media-bombs"), Clock.systemUTC(), java.time.Duration.ofSeconds(2));
    var variants = variants(media, 2_000_000);
    PdfRenderer renderer =
        new PdfRenderer("https://example.org", media, 40_000_000, variants, 1200);
    String bigGif = stored(media, image(2000, 1500, "gif"), "image/gif", "big.gif");
    String smallGif = stored(media, image(300, 200, "gif"), "image/gif", "small.gif");
    assertThat(renderer.printable(bigGif)).isNull();
    assertThat(renderer.printable(smallGif)).isEqualTo(media.blob(smallGif));
    String html =
        "<html><body><p><img src=\"/media/"
            + bigGif
            + "/big.gif\" alt=\"The big map\"></p><p><img src=\"/media/"
            + smallGif
            + "/small.gif\" alt=\"small\"></p></body></html>";
    try (PDDocument doc = Loader.loadPDF(renderer.render(html))) {
      assertThat(images(doc)).as("only the small GIF").isEqualTo(1);
      assertThat(new PDFTextStripper().getText(doc)).contains("The big map");
    }
  }

  /** Copies 480 and 1200 wide, decoding at most {@code decodePixels}. */
  private static dev.quire.gateway.media.ImageVariants variants(
      MediaStore media, long decodePixels) {
    return new dev.quire.gateway.media.ImageVariants(
        media,
        new dev.quire.gateway.media.ImageVariants.Settings(
            List.of(480, 1200), 40_000_000, decodePixels, 0.82f, "100vw", 16, 100));
  }

  private static byte[] image(int width, int height, String format) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(
            ImageIO.write(
                new BufferedImage(width, height, BufferedImage.TYPE_BYTE_INDEXED), format, out))
        .isTrue();
    return out.toByteArray();
  }

  private static String stored(MediaStore media, byte[] bytes, String type, String name)
      throws Exception {
    return media.put(new ByteArrayInputStream(bytes), type, name, 1 << 22).sha256();
  }

  /** A 3000 x 2000 PNG of one colour stored in {@code media}: a few KB, 24 MB decoded. */
  private static String bigPng(MediaStore media) throws Exception {
    return png(media, 3000, 2000);
  }

  /** A PNG of one colour, {@code width} x {@code height}, stored in {@code media}. */
  private static String png(MediaStore media, int width, int height) throws Exception {
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB), "png", png);
    return media
        .put(new ByteArrayInputStream(png.toByteArray()), "image/png", "img.png", 1 << 22)
        .sha256();
  }

  private static int images(PDDocument doc) throws java.io.IOException {
    int n = 0;
    for (var page : doc.getPages()) {
      for (var name : page.getResources().getXObjectNames()) {
        if (page.getResources().getXObject(name) instanceof PDImageXObject) {
          n++;
        }
      }
    }
    return n;
  }

  @Test
  void onlyThisSitesMediaPassesTheCheck() {
    PdfRenderer r =
        new PdfRenderer(
            "https://example.org/",
            new MediaStore(tmp, Clock.systemUTC(), java.time.Duration.ofSeconds(2)),
            40_000_000);
    String sha = "a".repeat(64);
    assertThat(r.allowed("/media/" + sha + "/x.png", ExternalResourceType.IMAGE_RASTER)).isTrue();
    assertThat(
            r.allowed(
                "https://example.org/media/" + sha + "/x.png", ExternalResourceType.IMAGE_RASTER))
        .isTrue();
    assertThat(r.allowed("/media/" + sha + "/x.png", ExternalResourceType.CSS)).isFalse();
    assertThat(
            r.allowed(
                "https://example.org.evil/media/" + sha + "/x.png",
                ExternalResourceType.IMAGE_RASTER))
        .isFalse();
    assertThat(r.allowed("/media/" + sha + "/../../x.png", ExternalResourceType.IMAGE_RASTER))
        .isFalse();
    assertThat(r.allowed("/media/nothex/x.png", ExternalResourceType.IMAGE_RASTER)).isFalse();
    assertThat(r.allowed("http://169.254.169.254/latest", ExternalResourceType.IMAGE_RASTER))
        .isFalse();
  }
}
