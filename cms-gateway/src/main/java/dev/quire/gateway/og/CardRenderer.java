package dev.quire.gateway.og;

import com.typesafe.config.Config;
import dev.quire.gateway.render.TextDirection;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.GeneralPath;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import javax.imageio.ImageIO;
import org.apache.fontbox.ttf.CmapLookup;
import org.apache.fontbox.ttf.GlyphData;
import org.apache.fontbox.ttf.TTFParser;
import org.apache.fontbox.ttf.TrueTypeFont;
import org.apache.pdfbox.io.RandomAccessReadBuffer;

/**
 * Draws a social card (the Open Graph image shared links show): the site's name, an item's title as
 * large as fits, a line of facts and the site's host, on a plain background, as a PNG.
 *
 * <p>Letters are drawn as the outlines of Liberation Sans (SIL Open Font License; the copy PDFBox
 * carries in its jar), read with PDFBox's FontBox and filled by Java2D as shapes. Java2D's own text
 * would pick its fonts through the operating system's (fontconfig and whatever fonts are
 * installed), so a card would look different on each server; outlines from one font file look the
 * same everywhere and need nothing installed. The font has Latin, Greek, Cyrillic and Hebrew
 * letters. A right-to-left text (Hebrew, Arabic) is drawn in reading order by ICU's bidirectional
 * algorithm (its runs reversed, brackets mirrored; Arabic shaped into its joining forms first), and
 * a right-to-left card ({@link Card#rightToLeft}: a right-to-left site's) is laid out mirrored:
 * text against the right margin, the host on the left. Letters it lacks are taken from the server's
 * fallback fonts ({@code quire.gateway.fallback-fonts}: Chinese, Japanese, Korean, Arabic once such
 * a font is installed), else drawn as its empty box. It has one weight: bold is drawn by stroking
 * the outlines.
 */
public final class CardRenderer {

  /**
   * What a card says. {@code subtitle} and {@code meta} may be empty. {@code rightToLeft}: the
   * site's language is written right to left, so the card is laid out mirrored and its lines read
   * right to left (the host, an address, stays left to right).
   */
  public record Card(
      String site, String title, String subtitle, String meta, String host, boolean rightToLeft) {

    /** A card whose direction is its title's: that of its first letter that has one. */
    public Card(String site, String title, String subtitle, String meta, String host) {
      this(site, title, subtitle, meta, host, CardRenderer.rightToLeft(title));
    }
  }

  /** {@code quire.gateway.og}: size and colours. */
  public record Style(
      int width,
      int height,
      int margin,
      Color background,
      Color text,
      Color accent,
      Color muted,
      int siteSize,
      int titleMaxSize,
      int titleMinSize,
      int titleMaxLines,
      int subtitleSize,
      int subtitleMaxLines,
      int metaSize) {

    public static Style fromConfig(Config config) {
      Config c = config.getConfig("quire.gateway.og");
      Style s =
          new Style(
              c.getInt("width"),
              c.getInt("height"),
              c.getInt("margin"),
              colour(c, "background"),
              colour(c, "text"),
              colour(c, "accent"),
              colour(c, "muted"),
              c.getInt("site-size"),
              c.getInt("title-max-size"),
              c.getInt("title-min-size"),
              c.getInt("title-max-lines"),
              c.getInt("subtitle-size"),
              c.getInt("subtitle-max-lines"),
              c.getInt("meta-size"));
      if (s.width < 200
          || s.height < 100
          || s.width > 4000
          || s.height > 4000
          || s.margin * 2 >= Math.min(s.width, s.height)
          || s.titleMinSize < 8
          || s.titleMaxSize < s.titleMinSize
          || s.titleMaxLines < 1
          || s.subtitleMaxLines < 0
          || s.siteSize < 8
          || s.subtitleSize < 8
          || s.metaSize < 8) {
        throw new IllegalArgumentException(
            "quire.gateway.og: width and height must be 200x100 to 4000x4000 with room inside"
                + " the margin; title-max-size at least title-min-size; site-size, title-min-size,"
                + " subtitle-size and meta-size at least 8; title-max-lines at least 1 and"
                + " subtitle-max-lines at least 0");
      }
      return s;
    }

    private static Color colour(Config c, String key) {
      String v = c.getString(key);
      if (!v.matches("#[0-9a-fA-F]{6}")) {
        throw new IllegalArgumentException(
            "quire.gateway.og." + key + " must be a colour such as #1c2331, was '" + v + "'");
      }
      return new Color(Integer.parseInt(v.substring(1), 16));
    }

    /** What the drawing depends on besides the card, for the card's ETag. */
    String key() {
      return String.join(
          ",",
          String.valueOf(width),
          String.valueOf(height),
          String.valueOf(margin),
          Integer.toHexString(background.getRGB()),
          Integer.toHexString(text.getRGB()),
          Integer.toHexString(accent.getRGB()),
          Integer.toHexString(muted.getRGB()),
          String.valueOf(siteSize),
          String.valueOf(titleMaxSize),
          String.valueOf(titleMinSize),
          String.valueOf(titleMaxLines),
          String.valueOf(subtitleSize),
          String.valueOf(subtitleMaxLines),
          String.valueOf(metaSize));
    }
  }

  private static final String FONT = "/org/apache/pdfbox/resources/ttf/LiberationSans-Regular.ttf";
  private static final String ELLIPSIS = "\u2026";
  private static final double LINE_HEIGHT = 1.15;

  /** A letter's shape in font units (y up) and how far it moves the pen. */
  private record Glyph(GeneralPath path, int advance) {}

  private final Style style;

  /** The font file as FontBox reads it; guarded by its own monitor (see {@link #glyph}). */
  private record Face(TrueTypeFont font, CmapLookup cmap, int unitsPerEm) {}

  /**
   * Read at the first card, not at start: a site whose cards nobody asks for (or until someone
   * does) does not spend its start-up reading a font.
   */
  private volatile Face face;

  /** By code point: its glyph id. By glyph id: the glyph, shared by code points that map to it. */
  private final ConcurrentHashMap<Integer, Integer> glyphIds = new ConcurrentHashMap<>();

  private final ConcurrentHashMap<Integer, Glyph> glyphs = new ConcurrentHashMap<>();

  /** Fonts on the server for letters Liberation Sans lacks (CJK), read at the first need. */
  private final dev.quire.gateway.render.FallbackFonts fallbackFonts;

  private volatile List<Face> fallbackFaces;

  /**
   * By code point, the glyph a fallback font has for it, scaled to the card font's units; {@link
   * #NO_GLYPH} where none has one. At most {@code fallbackGlyphCache} entries: a CJK font has tens
   * of thousands of glyphs, and those past the bound are read from the font each time.
   */
  private final ConcurrentHashMap<Integer, Glyph> fallbackGlyphs = new ConcurrentHashMap<>();

  private final int fallbackGlyphCache;

  private static final Glyph NO_GLYPH = new Glyph(null, 0);

  public CardRenderer(Style style) {
    this(style, dev.quire.gateway.render.FallbackFonts.none(), 0);
  }

  /**
   * {@code fallbackFonts}: the server's fonts for letters the card's font lacks; {@code
   * fallbackGlyphCache}: how many of their glyphs are kept.
   */
  public CardRenderer(
      Style style, dev.quire.gateway.render.FallbackFonts fallbackFonts, int fallbackGlyphCache) {
    this.style = style;
    this.fallbackFonts = fallbackFonts;
    this.fallbackGlyphCache = fallbackGlyphCache;
    // Read at the first card, but known to be there at start: a jar without it fails now.
    if (CardRenderer.class.getResource(FONT) == null) {
      throw new IllegalStateException("the font " + FONT + " is not on the class path");
    }
  }

  private Face face() {
    Face f = face;
    if (f != null) {
      return f;
    }
    synchronized (this) {
      if (face == null) {
        try (InputStream in = CardRenderer.class.getResourceAsStream(FONT)) {
          if (in == null) {
            throw new IllegalStateException("the font " + FONT + " is not on the class path");
          }
          TrueTypeFont font = new TTFParser().parse(new RandomAccessReadBuffer(in));
          face = new Face(font, font.getUnicodeCmapLookup(), font.getUnitsPerEm());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return face;
    }
  }

  public Style style() {
    return style;
  }

  /** What a card's drawing depends on besides the card: the style and the fallback fonts. */
  public String key() {
    return style.key() + "," + fallbackFonts.key();
  }

  private List<Face> fallbackFaces() {
    List<Face> f = fallbackFaces;
    if (f != null) {
      return f;
    }
    synchronized (this) {
      if (fallbackFaces == null) {
        List<Face> faces = new java.util.ArrayList<>();
        for (var usable : fallbackFonts.usable()) {
          try {
            TrueTypeFont font = dev.quire.gateway.render.FallbackFonts.open(usable);
            faces.add(new Face(font, font.getUnicodeCmapLookup(), font.getUnitsPerEm()));
          } catch (IOException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(CardRenderer.class)
                .warn("fallback font {} could not be opened: {}", usable.file(), e.toString());
          }
        }
        fallbackFaces = List.copyOf(faces);
      }
      return fallbackFaces;
    }
  }

  /** The glyph a fallback font has for {@code codePoint}, in the card font's units, or null. */
  private Glyph fallbackGlyph(int codePoint) {
    Glyph cached = fallbackGlyphs.get(codePoint);
    if (cached != null) {
      return cached == NO_GLYPH ? null : cached;
    }
    Glyph found = NO_GLYPH;
    int unitsPerEm = face().unitsPerEm();
    for (Face f : fallbackFaces()) {
      int gid = glyphId(f, codePoint);
      if (gid == 0) {
        continue;
      }
      Glyph g;
      try {
        synchronized (f.font()) {
          g = load(f.font(), gid);
        }
      } catch (RuntimeException damaged) {
        // A damaged glyph in a font on the server: the next font, else the empty box, not a card
        // that fails.
        continue;
      }
      double scale = (double) unitsPerEm / f.unitsPerEm();
      GeneralPath path = null;
      if (g.path() != null) {
        path = new GeneralPath(g.path());
        path.transform(AffineTransform.getScaleInstance(scale, scale));
      }
      found = new Glyph(path, (int) Math.round(g.advance() * scale));
      break;
    }
    if (fallbackGlyphs.size() < fallbackGlyphCache) {
      fallbackGlyphs.put(codePoint, found);
    }
    return found == NO_GLYPH ? null : found;
  }

  /** The card as a PNG. */
  public byte[] render(Card card) {
    boolean rtl = card.rightToLeft();
    card =
        new Card(
            shaped(card.site()),
            shaped(card.title()),
            shaped(card.subtitle()),
            shaped(card.meta()),
            card.host(),
            rtl);
    int w = style.width();
    int h = style.height();
    int m = style.margin();
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
      g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
      g.setColor(style.background());
      g.fillRect(0, 0, w, h);
      int textWidth = w - 2 * m;

      // The site's name, then a short rule in the accent colour.
      int y = m + style.siteSize();
      g.setColor(style.accent());
      String site = fit(card.site(), style.siteSize(), textWidth);
      draw(g, site, side(rtl, m, width(site, style.siteSize())), y, style.siteSize(), true, rtl);
      int ruleY = y + style.siteSize() / 2;
      int rule = style.siteSize() * 2;
      g.fillRect((int) side(rtl, m, rule), ruleY, rule, Math.max(2, style.siteSize() / 8));

      // The bottom line: facts on the left, the host on the right.
      int bottom = h - m;
      g.setColor(style.muted());
      double hostWidth = width(card.host(), style.metaSize());
      if (!card.host().isEmpty()) {
        draw(
            g,
            card.host(),
            side(rtl, w - m - hostWidth, hostWidth),
            bottom,
            style.metaSize(),
            false,
            false);
      }
      double metaRoom = textWidth - hostWidth - (card.host().isEmpty() ? 0 : style.metaSize());
      String meta = fit(card.meta(), style.metaSize(), metaRoom);
      draw(
          g,
          meta,
          side(rtl, m, width(meta, style.metaSize())),
          bottom,
          style.metaSize(),
          false,
          rtl);

      // The title, as large as lets it fit, then the subtitle, between the two.
      int top = ruleY + style.siteSize() + style.titleMaxSize() / 4;
      int room = bottom - style.metaSize() * 2 - top;
      List<String> subAll =
          style.subtitleMaxLines() == 0 || card.subtitle().isBlank()
              ? List.of()
              : lines(card.subtitle(), style.subtitleSize(), textWidth);
      double subLine = style.subtitleSize() * LINE_HEIGHT;
      double subHeight = Math.min(subAll.size(), style.subtitleMaxLines()) * subLine;
      int size = style.titleMaxSize();
      List<String> all = lines(card.title(), size, textWidth);
      while (size > style.titleMinSize()
          && (all.size() > style.titleMaxLines()
              || all.size() * size * LINE_HEIGHT + subHeight > room)) {
        size = Math.max(style.titleMinSize(), size - 4);
        all = lines(card.title(), size, textWidth);
      }
      List<String> title = firstLines(all, style.titleMaxLines(), size, textWidth);
      g.setColor(style.text());
      double baseline = top + size;
      for (String l : title) {
        draw(g, l, side(rtl, m, width(l, size)), baseline, size, true, rtl);
        baseline += size * LINE_HEIGHT;
      }
      // The subtitle in the lines left above the bottom line, the last cut with an ellipsis.
      baseline += style.subtitleSize() * (LINE_HEIGHT - 1) + style.subtitleSize() / 2.0;
      double last = bottom - style.metaSize() * 1.5;
      int fits = baseline > last ? 0 : 1 + (int) ((last - baseline) / subLine);
      g.setColor(style.muted());
      for (String l :
          firstLines(
              subAll, Math.min(fits, style.subtitleMaxLines()), style.subtitleSize(), textWidth)) {
        draw(
            g,
            l,
            side(rtl, m, width(l, style.subtitleSize())),
            baseline,
            style.subtitleSize(),
            false,
            rtl);
        baseline += subLine;
      }
    } finally {
      g.dispose();
    }
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", png);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return png.toByteArray();
  }

  /**
   * {@code text} in lines of at most {@code maxWidth} pixels at {@code size}, broken between words
   * (inside a word only when it is wider than a line), as many as it takes.
   */
  List<String> lines(String text, int size, double maxWidth) {
    List<String> lines = new ArrayList<>();
    String current = "";
    // Any Unicode space separates words (the ideographic one too), not only ASCII ones.
    for (String word : text.strip().split("(?U)\\s+")) {
      if (word.isEmpty()) {
        continue;
      }
      String candidate = current.isEmpty() ? word : current + " " + word;
      if (width(candidate, size) <= maxWidth) {
        current = candidate;
        continue;
      }
      if (!current.isEmpty()) {
        lines.add(current);
      }
      while (width(word, size) > maxWidth) {
        int cut = word.offsetByCodePoints(0, 1);
        while (cut < word.length()
            && width(word.substring(0, word.offsetByCodePoints(cut, 1)), size) <= maxWidth) {
          cut = word.offsetByCodePoints(cut, 1);
        }
        lines.add(word.substring(0, cut));
        word = word.substring(cut);
      }
      current = word;
    }
    if (!current.isEmpty()) {
      lines.add(current);
    }
    return lines;
  }

  /** The first {@code maxLines} of {@code lines}; when some are left out, the last ends in "…". */
  List<String> firstLines(List<String> lines, int maxLines, int size, double maxWidth) {
    if (lines.size() <= maxLines) {
      return lines;
    }
    if (maxLines == 0) {
      return List.of();
    }
    List<String> kept = new ArrayList<>(lines.subList(0, maxLines));
    kept.set(maxLines - 1, ellipsised(kept.get(maxLines - 1), size, maxWidth));
    return kept;
  }

  /** {@code text} if it fits in {@code maxWidth}, else as much of it as fits before an ellipsis. */
  String fit(String text, int size, double maxWidth) {
    return width(text, size) <= maxWidth ? text : ellipsised(text, size, maxWidth);
  }

  private String ellipsised(String text, int size, double maxWidth) {
    int end = text.length();
    while (end > 0 && width(text.substring(0, end).stripTrailing() + ELLIPSIS, size) > maxWidth) {
      end = text.offsetByCodePoints(end, -1);
    }
    return text.substring(0, end).stripTrailing() + ELLIPSIS;
  }

  /** The width of {@code text} in pixels at {@code size}. */
  double width(String text, int size) {
    double units = 0;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      units += glyph(cp).advance();
      i += Character.charCount(cp);
    }
    return units * size / face().unitsPerEm();
  }

  /**
   * Where a text of {@code width} that starts at {@code x} on a left-to-right card starts on this
   * one: the same, or mirrored across the card's middle on a right-to-left one.
   */
  private double side(boolean rtl, double x, double width) {
    return rtl ? style.width() - x - width : x;
  }

  /** Whether {@code text}'s first letter with a direction is written right to left. */
  static boolean rightToLeft(String text) {
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      if (TextDirection.rightToLeftLetter(cp)) {
        return true;
      }
      if (Character.getDirectionality(cp) == Character.DIRECTIONALITY_LEFT_TO_RIGHT) {
        return false;
      }
      i += Character.charCount(cp);
    }
    return false;
  }

  /**
   * Arabic letters in the forms they take beside their neighbours (ICU's shaping into Unicode's
   * presentation forms, which fonts with Arabic carry), as a browser joins them; other text as is.
   */
  static String shaped(String text) {
    if (text.codePoints()
        .noneMatch(cp -> Character.UnicodeScript.of(cp) == Character.UnicodeScript.ARABIC)) {
      return text;
    }
    try {
      return new com.ibm.icu.text.ArabicShaping(
              com.ibm.icu.text.ArabicShaping.LETTERS_SHAPE
                  | com.ibm.icu.text.ArabicShaping.TEXT_DIRECTION_LOGICAL)
          .shape(text);
    } catch (com.ibm.icu.text.ArabicShapingException e) {
      return text;
    }
  }

  /**
   * {@code line} of a paragraph written right to left ({@code rtl}) or left to right, in the order
   * its letters are drawn, left to right: its runs in the paragraph's order and those written right
   * to left reversed, their brackets mirrored (ICU's bidirectional algorithm). A line of a
   * left-to-right paragraph without right-to-left letters is returned as it is.
   */
  static String visual(String line, boolean rtl) {
    if (!rtl && !TextDirection.hasRightToLeft(line)) {
      return line;
    }
    return new com.ibm.icu.text.Bidi(
            line, rtl ? com.ibm.icu.text.Bidi.RTL : com.ibm.icu.text.Bidi.LTR)
        .writeReordered(com.ibm.icu.text.Bidi.DO_MIRRORING);
  }

  private void draw(
      Graphics2D g, String text, double x, double baseline, int size, boolean bold, boolean rtl) {
    text = visual(text, rtl);
    double scale = (double) size / face().unitsPerEm();
    double pen = x;
    BasicStroke embolden = new BasicStroke((float) (size * 0.035));
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      Glyph glyph = glyph(cp);
      if (glyph.path() != null) {
        AffineTransform at = new AffineTransform(scale, 0, 0, -scale, pen, baseline);
        Shape shape = at.createTransformedShape(glyph.path());
        g.fill(shape);
        if (bold) {
          // The font file has one weight: strokes around the letters thicken them.
          g.setStroke(embolden);
          g.draw(shape);
        }
      }
      pen += glyph.advance() * scale;
    }
  }

  /** Whether the card's font has a glyph for every character of {@code text}. */
  public boolean canDraw(String text) {
    return text.codePoints()
        .allMatch(
            cp -> {
              if (Character.isWhitespace(cp)) {
                return true;
              }
              Integer gid = glyphIds.get(cp);
              if (gid == null) {
                Face f = face();
                synchronized (f.font()) {
                  gid = glyphIds.computeIfAbsent(cp, c -> f.cmap().getGlyphId(c));
                }
              }
              return gid != 0 || fallbackHas(cp);
            });
  }

  /**
   * By code point, whether a fallback font maps it: asked on a route for each card's date and
   * reading time, so answered from the fonts' character maps, never by loading outlines.
   */
  private final ConcurrentHashMap<Integer, Boolean> fallbackHas = new ConcurrentHashMap<>();

  private boolean fallbackHas(int codePoint) {
    Boolean known = fallbackHas.get(codePoint);
    if (known != null) {
      return known;
    }
    boolean has = fallbackFaces().stream().anyMatch(f -> glyphId(f, codePoint) != 0);
    fallbackHas.put(codePoint, has);
    return has;
  }

  /** {@code codePoint}'s glyph id in {@code f}, 0 for none (FontBox reads one at a time). */
  private static int glyphId(Face f, int codePoint) {
    synchronized (f.font()) {
      return f.cmap().getGlyphId(codePoint);
    }
  }

  private Glyph glyph(int codePoint) {
    Integer gid = glyphIds.get(codePoint);
    Glyph g = gid == null || gid == 0 ? null : glyphs.get(gid);
    if (g != null) {
      return g;
    }
    Face f = face();
    int id;
    // FontBox reads the font lazily from one buffer: one reader at a time.
    synchronized (f.font()) {
      id =
          glyphIds.computeIfAbsent(
              codePoint, cp -> f.cmap().getGlyphId(Character.isWhitespace(cp) ? ' ' : cp));
    }
    if (id == 0) {
      Glyph fallback = fallbackGlyph(codePoint);
      if (fallback != null) {
        return fallback;
      }
    }
    synchronized (f.font()) {
      return glyphs.computeIfAbsent(id, glyphId -> load(f.font(), glyphId));
    }
  }

  private static Glyph load(TrueTypeFont font, int gid) {
    try {
      GlyphData data = font.getGlyph().getGlyph(gid);
      GeneralPath path = data == null ? null : data.getPath();
      return new Glyph(path, font.getAdvanceWidth(gid));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
