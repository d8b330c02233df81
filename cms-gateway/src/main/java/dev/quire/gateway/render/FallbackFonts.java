package dev.quire.gateway.render;

import com.typesafe.config.Config;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.fontbox.ttf.TTFParser;
import org.apache.fontbox.ttf.TrueTypeCollection;
import org.apache.fontbox.ttf.TrueTypeFont;
import org.apache.pdfbox.io.RandomAccessReadBufferedFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fonts installed on the server that set the letters Quire's own fonts (Liberation: Latin, Greek,
 * Cyrillic, Hebrew) lack, such as Chinese, Japanese, Korean and Arabic, in PDFs and Open Graph
 * cards ({@code quire.gateway.fallback-fonts}). No font for those scripts is published as a Maven
 * artifact, and one is several megabytes, so Quire ships none: the operator installs one (Debian's
 * {@code fonts-droid-fallback} and {@code fonts-nanum}, or {@code fonts-wqy-microhei}; {@code
 * fonts-noto-core} for Arabic) and Quire finds it where the package puts it.
 *
 * <p>Only TrueType outlines ({@code .ttf}, and the first such font of a {@code .ttc} collection)
 * are used: PDFBox embeds no other kind in a PDF, so the OpenType/CFF builds (Noto Sans CJK's
 * {@code .otf} and {@code .ttc}) are skipped, with a line in the log saying so. The files are
 * checked once, at the first PDF or card, not at start; a font installed later takes a restart.
 */
public final class FallbackFonts {

  private static final Logger LOG = LoggerFactory.getLogger(FallbackFonts.class);

  /** A usable fallback font: its file and, for a collection, which of its fonts. */
  public record Usable(Path file, String name) {}

  private final List<Path> configured;
  private final AtomicReference<List<Usable>> usable = new AtomicReference<>();
  private final AtomicReference<String> key = new AtomicReference<>();

  /** {@link #has}'s answers by letter: the fonts do not change until a restart. */
  private final java.util.concurrent.ConcurrentHashMap<Integer, Boolean> has =
      new java.util.concurrent.ConcurrentHashMap<>();

  public FallbackFonts(List<Path> configured) {
    this.configured = List.copyOf(configured);
  }

  /** One per configured list: the PDFs and the cards share the check and its log line. */
  private static final java.util.concurrent.ConcurrentHashMap<String, FallbackFonts> SHARED =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** {@code quire.gateway.fallback-fonts}: files separated as in {@code PATH}. */
  public static FallbackFonts fromConfig(Config config) {
    return SHARED.computeIfAbsent(
        config.getString("quire.gateway.fallback-fonts"),
        list ->
            new FallbackFonts(
                Arrays.stream(list.split(File.pathSeparator))
                    .map(String::trim)
                    .filter(s -> !s.isEmpty())
                    .map(Path::of)
                    .toList()));
  }

  public static FallbackFonts none() {
    return new FallbackFonts(List.of());
  }

  /**
   * Whether one of the usable fonts has a glyph for {@code codePoint}: blocking file reads, once
   * per letter asked (the fonts do not change until a restart). A font that cannot be read counts
   * as not having it, and that answer is not kept: it may be readable at the next look.
   */
  public boolean has(int codePoint) {
    Boolean known = has.get(codePoint);
    if (known != null) {
      return known;
    }
    boolean unread = false;
    for (Usable f : usable()) {
      try {
        if (maps(f, codePoint)) {
          has.put(codePoint, true);
          return true;
        }
      } catch (IOException | RuntimeException e) {
        unread = true;
        LOG.debug("fallback font {} not read: {}", f.file(), e.toString());
      }
    }
    if (!unread) {
      has.put(codePoint, false);
    }
    return false;
  }

  /** Whether {@code f}'s character map has {@code codePoint}; a collection is closed after. */
  private static boolean maps(Usable f, int codePoint) throws IOException {
    if (isCollection(f.file())) {
      try (TrueTypeCollection c = new TrueTypeCollection(f.file().toFile())) {
        TrueTypeFont font = c.getFontByName(f.name());
        return font != null && font.getUnicodeCmapLookup().getGlyphId(codePoint) != 0;
      }
    }
    try (TrueTypeFont font = open(f)) {
      return font.getUnicodeCmapLookup().getGlyphId(codePoint) != 0;
    }
  }

  /** The configured fonts that exist and have TrueType outlines, in the configured order. */
  public List<Usable> usable() {
    List<Usable> u = usable.get();
    if (u == null) {
      u = check();
      if (usable.compareAndSet(null, u)) {
        if (u.isEmpty()) {
          LOG.info(
              "no fallback font found (quire.gateway.fallback-fonts): PDFs print letters that"
                  + " Liberation lacks (Chinese, Japanese, Korean, Arabic, ...) as '#', and cards"
                  + " draw them as boxes; install one, e.g. apt-get install fonts-droid-fallback"
                  + " fonts-noto-core");
        } else {
          LOG.info(
              "fallback fonts for PDFs and cards: {}",
              u.stream().map(f -> f.file() + " (" + f.name() + ")").toList());
        }
      }
      u = usable.get();
    }
    return u;
  }

  /**
   * What the drawing depends on, for PDFs' and cards' ETags: each configured font file there is, by
   * its size and time (its fonts are read only at the first PDF or card).
   */
  public String key() {
    String k = key.get();
    if (k == null) {
      // The files' sizes and times only, not their fonts: read on a route, and at most once.
      StringBuilder sb = new StringBuilder();
      for (Path file : configured) {
        try {
          if (Files.isRegularFile(file) && Files.isReadable(file)) {
            sb.append(file)
                .append('#')
                .append(Files.size(file))
                .append('#')
                .append(Files.getLastModifiedTime(file).toMillis())
                .append(';');
          }
        } catch (IOException gone) {
          // Not there now: not part of what is drawn.
        }
      }
      key.compareAndSet(null, sb.toString());
      k = key.get();
    }
    return k;
  }

  /**
   * Opens a usable font for reading its glyphs. A {@code .ttf} is read into the heap whole
   * (FontBox's parser copies it: Droid Sans Fallback 4 MB, NanumGothic 4.4 MB), a collection's font
   * from its file as needed. Its reads are not thread-safe: callers hold the font's monitor.
   */
  public static TrueTypeFont open(Usable f) throws IOException {
    if (isCollection(f.file())) {
      TrueTypeCollection c = new TrueTypeCollection(f.file().toFile());
      try {
        TrueTypeFont font = c.getFontByName(f.name());
        if (font == null) {
          throw new IOException(f.file() + " no longer holds the font " + f.name());
        }
        // The collection stays open: the font reads its glyphs from it.
        return font;
      } catch (IOException | RuntimeException e) {
        c.close();
        throw e;
      }
    }
    return new TTFParser().parse(new RandomAccessReadBufferedFile(f.file().toFile()));
  }

  private List<Usable> check() {
    List<Usable> found = new ArrayList<>();
    for (Path file : configured) {
      if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
        continue;
      }
      try {
        Usable u = usableIn(file);
        if (u == null) {
          LOG.info(
              "fallback font {} skipped: it has no TrueType outlines (an OpenType/CFF font),"
                  + " which PDFs cannot embed",
              file);
        } else {
          found.add(u);
        }
      } catch (IOException | RuntimeException e) {
        LOG.warn("fallback font {} skipped: it could not be read: {}", file, e.toString());
      }
    }
    return List.copyOf(found);
  }

  private static Usable usableIn(Path file) throws IOException {
    if (isCollection(file)) {
      String[] name = {null};
      try (TrueTypeCollection c = new TrueTypeCollection(file.toFile())) {
        c.processAllFonts(
            font -> {
              try {
                if (name[0] == null && font.getGlyph() != null) {
                  name[0] = font.getName();
                }
              } catch (UnsupportedOperationException cff) {
                // An OpenType/CFF face: no glyf table.
              }
            });
      }
      return name[0] == null ? null : new Usable(file, name[0]);
    }
    try (TrueTypeFont font =
        new TTFParser().parse(new RandomAccessReadBufferedFile(file.toFile()))) {
      return font.getGlyph() == null ? null : new Usable(file, font.getName());
    } catch (IOException e) {
      if (String.valueOf(e.getMessage()).contains("CFF")) {
        return null;
      }
      throw e;
    }
  }

  private static boolean isCollection(Path file) {
    return file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".ttc");
  }
}
