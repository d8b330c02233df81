package dev.quire.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quire.embedding.model.Embedder;
import dev.quire.embedding.model.ModelSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token windows: the cutting rules against a whitespace "tokenizer" (one token per word, so the
 * expected chunks can be written down), then against the model's own tokenizer on text whose token
 * count a word count gets wrong.
 */
public class ChunkerTest {

  @TempDir Path dir;

  /** One token per run of non-white-space characters. */
  public static int[][] whitespaceSpans(String text) {
    List<int[]> out = new ArrayList<>();
    Matcher m = Pattern.compile("\\S+").matcher(text);
    while (m.find()) {
      out.add(new int[] {m.start(), m.end()});
    }
    return out.toArray(new int[0][]);
  }

  private static String words(int from, int to) {
    StringBuilder sb = new StringBuilder();
    for (int i = from; i < to; i++) {
      sb.append(sb.length() == 0 ? "" : " ").append("w").append(i);
    }
    return sb.toString();
  }

  @Test
  void shortTextsAreOneChunkAndEmptyTextsNone() {
    Chunker c = new Chunker(10, 2, ChunkerTest::whitespaceSpans);
    assertThat(c.chunks("  A title.\nTen words or fewer here.  "))
        .containsExactly("A title.\nTen words or fewer here.");
    assertThat(c.chunks(" \n ")).isEmpty();
  }

  @Test
  void windowsOverlapCoverTheTextAndEndBetweenWords() {
    Chunker c = new Chunker(10, 3, ChunkerTest::whitespaceSpans);
    // No sentence ends: cuts at the window, the next chunk repeats the last 3 words.
    assertThat(c.chunks(words(0, 24))).containsExactly(words(0, 10), words(7, 17), words(14, 24));
  }

  @Test
  void aChunkEndsAtASentenceEndInTheLastQuarterOfTheWindow() {
    // "w8." ends a sentence: the chunk stops after it rather than at w9; the next one starts
    // 2 words back, as the overlap says.
    String text = words(0, 8) + " w8. " + words(9, 20);
    Chunker c = new Chunker(10, 2, ChunkerTest::whitespaceSpans);
    List<String> chunks = c.chunks(text);
    assertThat(chunks.get(0)).isEqualTo(words(0, 8) + " w8.");
    assertThat(chunks.get(1)).isEqualTo("w7 w8. " + words(9, 17));
    // With more overlap, the next chunk starts at the sentence start inside it.
    String two = words(0, 6) + " w6. " + words(7, 20);
    assertThat(new Chunker(10, 4, ChunkerTest::whitespaceSpans).chunks(two).get(1))
        .startsWith("w7 ");
    assertThat(String.join(" ", chunks)).endsWith("w19");
  }

  @Test
  void aWordLongerThanTheWindowIsCutInside() {
    // One "word" of 30 tokens: a tokenizer that yields a token per character of a long token.
    String text = "x".repeat(30);
    Chunker.Spans perChar =
        t -> {
          int[][] s = new int[t.length()][];
          for (int i = 0; i < t.length(); i++) {
            s[i] = new int[] {i, i + 1};
          }
          return s;
        };
    List<String> chunks = new Chunker(10, 2, perChar).chunks(text);
    assertThat(chunks).allSatisfy(ch -> assertThat(ch.length()).isLessThanOrEqualTo(10));
    assertThat(chunks).hasSize(4);
  }

  @Test
  void badSettingsAreRefused() {
    assertThatThrownBy(() -> new Chunker(10, 6, ChunkerTest::whitespaceSpans))
        .hasMessageContaining("chunk-overlap-tokens");
    assertThatThrownBy(() -> new Chunker(1, 0, ChunkerTest::whitespaceSpans))
        .hasMessageContaining("chunk-tokens");
  }

  @Test
  void withTheModelsTokenizerEveryChunkFitsTheWindow() throws Exception {
    // Code and non-Latin text take many more tokens per word than English prose: 40 "words" of
    // this line are ~300 tokens, where a word-count window would have been cut by truncation.
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      sb.append("Quire keeps edit ").append(i).append(" as an event. A page is rendered once ");
      sb.append("per change, number ").append(i).append(". ");
    }
    for (int i = 0; i < 15; i++) {
      sb.append("if (cfg.getOrDefault(\"quire.embedding.max_batch_").append(i);
      sb.append("\", 0x20) >= límite_日本語) { return 😀Λόγος[i++]; }\n");
    }
    String text = sb.toString().strip();
    try (Embedder model = Embedder.load(ModelSpec.MINILM_L6_V2_Q, dir, 1)) {
      int window = 120;
      Chunker c = new Chunker(window, 16, model::tokenSpans);
      List<String> chunks = c.chunks(text);
      assertThat(chunks).hasSizeGreaterThan(5);
      for (String ch : chunks) {
        assertThat(model.tokenCount(ch))
            .as("tokens of chunk [%s]", ch)
            .isLessThanOrEqualTo(window + ModelSpec.MINILM_L6_V2_Q.specialTokens());
        assertThat(text).contains(ch);
        assertThat(Character.isLowSurrogate(ch.charAt(0))).isFalse();
        assertThat(Character.isHighSurrogate(ch.charAt(ch.length() - 1))).isFalse();
      }
      assertThat(text).startsWith(chunks.get(0)).endsWith(chunks.get(chunks.size() - 1));
      // Consecutive chunks overlap: each starts inside the one before.
      int from = 0;
      for (int i = 1; i < chunks.size(); i++) {
        int prevStart = text.indexOf(chunks.get(i - 1), from);
        int start = text.indexOf(chunks.get(i), prevStart + 1);
        assertThat(start).isLessThan(prevStart + chunks.get(i - 1).length());
        from = prevStart + 1;
      }
      // The spans are UTF-16 indexes: the emoji and the Greek come back whole.
      assertThat(String.join("", chunks)).contains("😀Λόγος");
      assertThat(Arrays.stream(model.tokenSpans("a 😀 b")).map(s -> s[0] + "-" + s[1]).toList())
          .last()
          .isEqualTo("5-6");
    }
  }

  /**
   * Half of an emoji (a client that cut a string inside one) beside a whole one: the tokenizer's
   * spans ran past the text, and the failure stopped the site's whole semantic index at that item.
   */
  @Test
  void textWithHalfAnEmojiIsSplitWithinItsBounds() throws Exception {
    String title = "Party \ud83c\udf89 time \ud83d";
    String lowFirst = "\udf89 then \ud83d\ude00 and a lone \ud83d";
    assertThat(Embedder.wellFormed(title)).isEqualTo("Party \ud83c\udf89 time \ufffd");
    assertThat(Embedder.wellFormed(lowFirst))
        .isEqualTo("\ufffd then \ud83d\ude00 and a lone \ufffd");
    assertThat(Embedder.wellFormed("plain")).isSameAs("plain");
    try (Embedder model = Embedder.load(ModelSpec.MINILM_L6_V2_Q, dir, 1)) {
      for (String text : List.of(title, lowFirst, title + ". \ud83d\ude00 " + lowFirst)) {
        int[][] spans = model.tokenSpans(text);
        assertThat(spans).isNotEmpty();
        for (int[] s : spans) {
          assertThat(s[0]).isBetween(0, s[1]);
          assertThat(s[1]).isLessThanOrEqualTo(text.length());
        }
        assertThat(new Chunker(8, 2, model::tokenSpans).chunks(text)).isNotEmpty();
        assertThat(model.embed(List.of(text))[0]).hasSize(384);
      }
    }
  }
}
