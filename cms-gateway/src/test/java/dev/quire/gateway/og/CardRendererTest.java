package dev.quire.gateway.og;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Cards are PNGs of the configured size with the text drawn, as large as fits, never past it. */
class CardRendererTest {

  private final CardRenderer renderer =
      new CardRenderer(CardRenderer.Style.fromConfig(ConfigFactory.load()));

  private static BufferedImage read(byte[] png) throws Exception {
    return ImageIO.read(new ByteArrayInputStream(png));
  }

  /** How many pixels in a band of rows differ from the background. */
  private static int inked(BufferedImage image, int fromY, int toY, int background) {
    int n = 0;
    for (int y = fromY; y < toY; y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        if ((image.getRGB(x, y) & 0xffffff) != background) {
          n++;
        }
      }
    }
    return n;
  }

  /** The leftmost and rightmost inked columns in a band of rows ({-1, -1} for none). */
  private static int[] inkedColumns(BufferedImage image, int fromY, int toY, int background) {
    int left = -1;
    int right = -1;
    for (int y = fromY; y < toY; y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        if ((image.getRGB(x, y) & 0xffffff) != background) {
          left = left < 0 ? x : Math.min(left, x);
          right = Math.max(right, x);
        }
      }
    }
    return new int[] {left, right};
  }

  /**
   * Hebrew is drawn in reading order (each right-to-left run reversed for drawing, brackets
   * mirrored), and a card whose title is Hebrew is laid out mirrored: a short title sits against
   * the right margin, where a Latin one sits against the left. Before, the letters went left to
   * right in the order they are stored: every word backwards.
   */
  @Test
  void aHebrewTitleIsDrawnInReadingOrderFromTheRightMargin() throws Exception {
    String shalom = "\u05e9\u05dc\u05d5\u05dd";
    assertThat(CardRenderer.visual(shalom, true)).isEqualTo("\u05dd\u05d5\u05dc\u05e9");
    assertThat(CardRenderer.visual("Quire " + shalom, false))
        .isEqualTo("Quire \u05dd\u05d5\u05dc\u05e9");
    assertThat(CardRenderer.visual("(" + shalom + ")", true))
        .as("a right-to-left line: its brackets mirrored, so they still open before the word")
        .isEqualTo("(\u05dd\u05d5\u05dc\u05e9)");
    assertThat(CardRenderer.visual("Fast pages", false)).isEqualTo("Fast pages");
    assertThat(CardRenderer.visual("iOS 18 " + shalom, true))
        .as("a right-to-left site's line that starts with a Latin word still reads right to left")
        .isEqualTo("\u05dd\u05d5\u05dc\u05e9 iOS 18");

    var style = renderer.style();
    int bg = style.background().getRGB() & 0xffffff;
    int from = style.margin() + 150;
    int to = style.margin() + 260;
    int[] hebrew =
        inkedColumns(
            read(renderer.render(new CardRenderer.Card("Quire", shalom, "", "", "example.org"))),
            from,
            to,
            bg);
    int[] latin =
        inkedColumns(
            read(renderer.render(new CardRenderer.Card("Quire", "Shalom", "", "", "example.org"))),
            from,
            to,
            bg);
    int w = style.width();
    assertThat(latin[0]).as("a Latin title from the left margin").isLessThan(style.margin() + 20);
    assertThat(latin[1]).isLessThan(w / 2);
    assertThat(hebrew[1])
        .as("a Hebrew title against the right margin")
        .isGreaterThan(w - style.margin() - 20);
    assertThat(hebrew[0]).isGreaterThan(w / 2);
  }

  @Test
  void aCardIsAPngOfTheConfiguredSizeWithItsTextDrawn() throws Exception {
    var style = renderer.style();
    BufferedImage card =
        read(
            renderer.render(
                new CardRenderer.Card(
                    "Quire", "Fast pages", "Served from memory.", "1 May 2026", "example.org")));
    assertThat(card.getWidth()).isEqualTo(1200);
    assertThat(card.getHeight()).isEqualTo(630);
    int bg = style.background().getRGB() & 0xffffff;
    assertThat(card.getRGB(5, 5) & 0xffffff).isEqualTo(bg);
    assertThat(inked(card, style.margin() + 150, style.margin() + 260, bg))
        .as("the title's letters")
        .isGreaterThan(2000);
    assertThat(inked(card, 0, style.margin() - 10, bg)).as("nothing above the margin").isZero();
    assertThat(inked(card, card.getHeight() - style.margin() + 12, card.getHeight(), bg))
        .as("nothing below the bottom line's letters")
        .isZero();
  }

  /**
   * Letters Liberation Sans lacks come from the server's fallback font: without it two Japanese
   * titles of four letters each draw the same four boxes; with it, their own letters, wrapped
   * inside the width like any other.
   */
  @Test
  void lettersTheCardFontLacksAreDrawnFromTheServersFallbackFont() {
    java.nio.file.Path font = dev.quire.gateway.render.FallbackFontsTest.installed();
    CardRenderer withFallback =
        new CardRenderer(
            renderer.style(), new dev.quire.gateway.render.FallbackFonts(List.of(font)), 100);
    String tokyo = "東京の朝";
    String osaka = "大阪の夜";
    assertThat(renderer.canDraw(tokyo)).isFalse();
    assertThat(withFallback.canDraw(tokyo)).isTrue();
    assertThat(withFallback.canDraw("Tokyo 東京")).as("Latin and CJK together").isTrue();
    assertThat(renderer.render(new CardRenderer.Card("S", tokyo, "", "", "h")))
        .as("boxes alike")
        .isEqualTo(renderer.render(new CardRenderer.Card("S", osaka, "", "", "h")));
    assertThat(withFallback.render(new CardRenderer.Card("S", tokyo, "", "", "h")))
        .isNotEqualTo(withFallback.render(new CardRenderer.Card("S", osaka, "", "", "h")));
    // A long title without spaces, as Japanese is written, still fits the width.
    String long_ = "東京の朝は早い".repeat(20);
    for (String line : withFallback.lines(long_, 76, 1040)) {
      assertThat(withFallback.width(line, 76)).isLessThanOrEqualTo(1040);
    }
    assertThat(withFallback.width(tokyo, 76))
        .as("the fallback's letters at the card font's size: about one em each")
        .isBetween(4 * 76 * 0.8, 4 * 76 * 1.2);
    assertThat(withFallback.key()).as("cards' ETags name the fonts").isNotEqualTo(renderer.key());
  }

  @Test
  void differentTextsDrawDifferentCards() {
    byte[] a = renderer.render(new CardRenderer.Card("S", "One title", "", "", "h"));
    byte[] b = renderer.render(new CardRenderer.Card("S", "Another title", "", "", "h"));
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void textIsWrappedToTheWidthAndCutWithAnEllipsisPastTheLastLine() {
    String title = "word ".repeat(80).strip();
    List<String> lines = renderer.lines(title, 76, 1040);
    assertThat(lines.size()).isGreaterThan(4);
    for (String l : lines) {
      assertThat(renderer.width(l, 76)).isLessThanOrEqualTo(1040);
    }
    List<String> four = renderer.firstLines(lines, 4, 76, 1040);
    assertThat(four).hasSize(4);
    assertThat(four.get(3)).endsWith("\u2026");
    assertThat(renderer.width(four.get(3), 76)).isLessThanOrEqualTo(1040);
    // A word wider than a line is cut inside it.
    List<String> cut = renderer.lines("a".repeat(200), 76, 1040);
    assertThat(cut.size()).isGreaterThan(1);
    assertThat(String.join("", cut)).isEqualTo("a".repeat(200));
    assertThat(renderer.lines("one\u3000two", 76, 150)).containsExactly("one", "two");
    // A line narrower than one letter still ends: one letter per line.
    assertThat(renderer.lines("WW", 76, 1)).containsExactly("W", "W");
    assertThat(renderer.fit("short", 28, 1000)).isEqualTo("short");
    assertThat(renderer.fit("long ".repeat(100), 28, 300)).endsWith("\u2026");
  }

  @Test
  void greekAndCyrillicHaveTheirOwnLettersNotTheMissingGlyphBox() {
    // The missing-glyph box has one width for every letter it stands for: a narrow Greek iota and
    // a wide Cyrillic zhe each differ from it, so each is its own letter.
    double box = renderer.width("\u4e2d", 100);
    assertThat(renderer.width("\u6587", 100))
        .as("CJK has no letter in this font: the box")
        .isEqualTo(box);
    assertThat(renderer.width("\u0399", 100)).as("Greek").isNotEqualTo(box);
    assertThat(renderer.width("\u0416", 100)).as("Cyrillic").isNotEqualTo(box);
    assertThat(renderer.width("\u0399", 100)).isNotEqualTo(renderer.width("\u0416", 100));
  }

  @Test
  void theCardSaysWhichTextsItsFontCanDraw() {
    assertThat(renderer.canDraw("5. Dezember 2026 \u00b7 3 min read")).isTrue();
    assertThat(renderer.canDraw("5 \u0434\u0435\u043a\u0430\u0431\u0440\u044f 2026")).isTrue();
    assertThat(renderer.canDraw("2026\u5e7412\u67085\u65e5")).as("CJK").isFalse();
  }

  @Test
  void aBadStyleIsRefusedNamingTheSetting() {
    var bad =
        ConfigFactory.parseString("quire.gateway.og.background = \"navy\"")
            .withFallback(ConfigFactory.load());
    assertThatThrownBy(() -> CardRenderer.Style.fromConfig(bad))
        .hasMessageContaining("quire.gateway.og.background")
        .hasMessageContaining("navy");
  }

  @Test
  void aPostCardsLineIsInTheSitesLanguageOrEnglishWhereTheFontHasNoLetters() {
    var item = dev.quire.gateway.site.TestPosts.published(List.of(), "Ada");
    var words = new dev.quire.gateway.render.ThemeWords(null, false);
    assertThat(OgImageModule.postMeta(item, java.util.Locale.GERMAN, words, renderer))
        .isEqualTo("5. Dezember 2026 \u00b7 3 Min. Lesezeit \u00b7 Ada");
    assertThat(OgImageModule.postMeta(item, java.util.Locale.ENGLISH, words, renderer))
        .isEqualTo("December 5, 2026 \u00b7 3 min read \u00b7 Ada");
    assertThat(OgImageModule.postMeta(item, java.util.Locale.forLanguageTag("ja"), words, renderer))
        .as("Japanese: a day the font cannot draw, and no Japanese word file")
        .isEqualTo(item.dateDisplay() + " \u00b7 3 min read \u00b7 Ada");
  }
}
