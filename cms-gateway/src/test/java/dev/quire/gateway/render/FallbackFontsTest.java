package dev.quire.gateway.render;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's fallback fonts are found where the configuration names them, and only those PDFs and
 * cards can use. The real font is Debian's {@code fonts-droid-fallback} (no font for Chinese,
 * Japanese or Korean is published to Maven): {@code .ci/run} installs it and sets {@code
 * QUIRE_REQUIRE_FALLBACK_FONT=1}, so that there its absence fails these tests instead of skipping
 * them.
 */
public class FallbackFontsTest {

  /** Where Debian's fonts-droid-fallback puts its font. */
  public static final Path DROID =
      Path.of("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf");

  /** The installed fallback font, or the test is skipped (failed under CI's requirement). */
  public static Path installed() {
    boolean present = Files.isReadable(DROID);
    if ("1".equals(System.getenv("QUIRE_REQUIRE_FALLBACK_FONT"))) {
      assertThat(present).as("QUIRE_REQUIRE_FALLBACK_FONT=1 but %s is missing", DROID).isTrue();
    }
    Assumptions.assumeTrue(
        present, "no " + DROID + ": apt-get install -y fonts-droid-fallback to run this test");
    return DROID;
  }

  @TempDir Path tmp;

  @Test
  void onlyFilesThatAreThereAndHaveTrueTypeOutlinesAreUsed() throws Exception {
    Path droid = installed();
    Path notAFont = Files.writeString(tmp.resolve("broken.ttf"), "not a font");
    Path missing = tmp.resolve("missing.ttf");
    FallbackFonts fonts =
        FallbackFonts.fromConfig(
            ConfigFactory.parseMap(
                Map.of(
                    "quire.gateway.fallback-fonts",
                    String.join(
                        java.io.File.pathSeparator,
                        missing.toString(),
                        notAFont.toString(),
                        " " + droid + " ",
                        ""))));
    List<FallbackFonts.Usable> usable = fonts.usable();
    assertThat(usable).extracting(FallbackFonts.Usable::file).containsExactly(droid);
    assertThat(usable.get(0).name()).isNotBlank();
    assertThat(fonts.key()).contains(droid.toString()).contains(String.valueOf(Files.size(droid)));
    try (var font = FallbackFonts.open(usable.get(0))) {
      assertThat(font.getUnicodeCmapLookup().getGlyphId('東')).as("a CJK letter").isNotZero();
    }
  }

  /**
   * Whether a fallback font has a letter, which the Settings page asks before it warns: read from
   * the fonts' own character maps (here Liberation Sans, copied out of PDFBox's jar: Latin and
   * Hebrew yes, Chinese and Arabic no), a font that cannot be read counting as none.
   */
  @Test
  void theFontsSayWhichLettersTheyHave() throws Exception {
    Path liberation = tmp.resolve("LiberationSans-Regular.ttf");
    try (var in =
        FallbackFontsTest.class.getResourceAsStream(
            "/org/apache/pdfbox/resources/ttf/LiberationSans-Regular.ttf")) {
      Files.copy(in, liberation);
    }
    Path broken = Files.writeString(tmp.resolve("broken.ttf"), "not a font");
    FallbackFonts fonts = new FallbackFonts(List.of(broken, liberation));
    assertThat(fonts.has('A')).isTrue();
    assertThat(fonts.has(0x05D0)).as("Hebrew alef").isTrue();
    assertThat(fonts.has(0x4E2D)).as("a Chinese letter").isFalse();
    assertThat(fonts.has(0x0627)).as("Arabic alef").isFalse();
    assertThat(FallbackFonts.none().has('A')).isFalse();
  }

  @Test
  void noFontsAtAllIsAnEmptyListAndAnEmptyKey() {
    FallbackFonts none =
        FallbackFonts.fromConfig(
            ConfigFactory.parseMap(
                Map.of("quire.gateway.fallback-fonts", tmp.resolve("nothing.ttf").toString())));
    assertThat(none.usable()).isEmpty();
    assertThat(none.key()).isEmpty();
    assertThat(FallbackFonts.none().usable()).isEmpty();
  }
}
