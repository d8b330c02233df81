package dev.quire.gateway.pdf;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.apache.fontbox.FontBoxFont;
import org.apache.fontbox.ttf.TTFParser;
import org.apache.fontbox.ttf.TrueTypeFont;
import org.apache.pdfbox.io.RandomAccessReadBuffer;
import org.apache.pdfbox.pdmodel.font.CIDFontMapping;
import org.apache.pdfbox.pdmodel.font.FontMapper;
import org.apache.pdfbox.pdmodel.font.FontMapping;
import org.apache.pdfbox.pdmodel.font.PDCIDSystemInfo;
import org.apache.pdfbox.pdmodel.font.PDFontDescriptor;

/**
 * PDFBox's font mapper for this JVM: every font a PDF names but does not embed (PDF's standard
 * fonts, which documents here ask for) is drawn with the copy of Liberation Sans in PDFBox's jar.
 * PDFBox's own mapper looks for a similar installed font instead: at the first PDF it scanned every
 * file under the system's font directories and wrote a cache of them to {@code ~/.pdfbox.cache}, so
 * a server without a writable home logged a failure, and what it found differed from machine to
 * machine. The mapping only gives PDFBox outlines to draw with (a PDF's text keeps naming the
 * standard font, its widths from PDFBox's own metrics); no PDF made here embeds it, so the files
 * are the same either way.
 */
final class JarFontMapper implements FontMapper {

  private static final String FONT = "/org/apache/pdfbox/resources/ttf/LiberationSans-Regular.ttf";

  /** Installs it, once, before PDFBox asks its default mapper (which would scan). */
  static void install() {
    org.apache.pdfbox.pdmodel.font.FontMappers.set(INSTANCE);
  }

  static final JarFontMapper INSTANCE = new JarFontMapper();

  private volatile TrueTypeFont font;

  private JarFontMapper() {}

  TrueTypeFont font() {
    TrueTypeFont f = font;
    if (f == null) {
      synchronized (this) {
        f = font;
        if (f == null) {
          try (InputStream in = JarFontMapper.class.getResourceAsStream(FONT)) {
            if (in == null) {
              throw new IllegalStateException(FONT + " is not in PDFBox's jar");
            }
            f = new TTFParser().parse(new RandomAccessReadBuffer(in));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
          font = f;
        }
      }
    }
    return f;
  }

  @Override
  public FontMapping<TrueTypeFont> getTrueTypeFont(String baseFont, PDFontDescriptor descriptor) {
    return new FontMapping<>(font(), false);
  }

  @Override
  public FontMapping<FontBoxFont> getFontBoxFont(String baseFont, PDFontDescriptor descriptor) {
    return new FontMapping<>(font(), false);
  }

  @Override
  public CIDFontMapping getCIDFont(
      String baseFont, PDFontDescriptor descriptor, PDCIDSystemInfo cidSystemInfo) {
    return new CIDFontMapping(null, font(), false);
  }
}
