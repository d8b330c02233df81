package dev.quire.embedding;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.jsoup.Jsoup;

/**
 * Splits an item's text into overlapping windows counted in the model's own tokens, so every chunk
 * fits the model's window whatever the text (prose, code, other scripts: a word count can run over
 * the window and be cut silently) and no chunk is shorter than it needs to be. Chunks end at a
 * sentence end where one falls in the last quarter of the window, else between words; the next
 * chunk starts {@code overlap} tokens earlier, at a sentence or word start. The first chunk starts
 * with the title and description, so short items are one chunk that carries all their meaning.
 */
public final class Chunker {

  /** The character spans {@code {start, end}} of a text's tokens, special tokens left out. */
  @FunctionalInterface
  public interface Spans {
    int[][] of(String text);
  }

  private final int windowTokens;
  private final int overlapTokens;
  private final Spans spans;

  /**
   * {@code windowTokens}: text tokens per chunk (the model's special tokens come on top); {@code
   * overlapTokens}: tokens a chunk repeats from the one before.
   */
  public Chunker(int windowTokens, int overlapTokens, Spans spans) {
    if (windowTokens < 2 || overlapTokens < 0 || overlapTokens > windowTokens / 2) {
      throw new IllegalArgumentException(
          "chunk-tokens must be at least 2 and chunk-overlap-tokens at most half of it (got "
              + windowTokens
              + " and "
              + overlapTokens
              + ")");
    }
    this.windowTokens = windowTokens;
    this.overlapTokens = overlapTokens;
    this.spans = spans;
  }

  /** The text that is embedded for an item: title, description and the rendered body as text. */
  public static String text(String title, String description, String html) {
    String body = html == null || html.isEmpty() ? "" : Jsoup.parse(html).text();
    StringBuilder sb = new StringBuilder(title == null ? "" : title.strip());
    if (description != null && !description.isBlank()) {
      sb.append(". ").append(description.strip());
    }
    if (!body.isBlank()) {
      sb.append("\n").append(body.strip());
    }
    return sb.toString();
  }

  public List<String> chunks(String text) {
    String t = text.strip();
    List<String> out = new ArrayList<>();
    if (t.isEmpty()) {
      return out;
    }
    int[][] s = spans.of(t);
    int n = s.length;
    if (n <= windowTokens) {
      out.add(t);
      return out;
    }
    int start = 0;
    while (true) {
      int limit = start + windowTokens; // first token not in this chunk at most
      if (limit >= n) {
        out.add(t.substring(s[start][0], s[n - 1][1]));
        return out;
      }
      int end = cut(s, t, start, limit);
      out.add(t.substring(s[start][0], s[end - 1][1]));
      start = next(s, t, start, end);
    }
  }

  /** Where the chunk starting at {@code start} ends (exclusive), at most {@code limit}. */
  private int cut(int[][] s, String t, int start, int limit) {
    int sentenceFloor = limit - windowTokens / 4;
    for (int i = limit; i > Math.max(start, sentenceFloor); i--) {
      if (sentenceStart(s, t, i)) {
        return i;
      }
    }
    for (int i = limit; i > start + windowTokens / 2; i--) {
      if (wordStart(s, i)) {
        return i;
      }
    }
    return limit; // one word longer than half a window: cut inside it
  }

  /** Where the chunk after [{@code start}, {@code end}) starts: always after {@code start}. */
  private int next(int[][] s, String t, int start, int end) {
    if (overlapTokens == 0) {
      return end;
    }
    int from = Math.max(start + 1, end - overlapTokens);
    for (int i = from; i < end - overlapTokens / 2; i++) {
      if (sentenceStart(s, t, i)) {
        return i;
      }
    }
    for (int i = from; i < end; i++) {
      if (wordStart(s, i)) {
        return i;
      }
    }
    return from; // no white space there (one long word, or a script without spaces)
  }

  /** Token {@code i} starts a word: there is white space between it and the token before. */
  private static boolean wordStart(int[][] s, int i) {
    return i == 0 || s[i][0] > s[i - 1][1];
  }

  /** Token {@code i} starts a sentence: a word start after a token ending in . ! ? or a line. */
  private static boolean sentenceStart(int[][] s, String t, int i) {
    if (i == 0) {
      return true;
    }
    if (!wordStart(s, i)) {
      return false;
    }
    char last = t.charAt(s[i - 1][1] - 1);
    if (last == '.' || last == '!' || last == '?') {
      return true;
    }
    for (int c = s[i - 1][1]; c < s[i][0]; c++) {
      if (t.charAt(c) == '\n') {
        return true;
      }
    }
    return false;
  }

  /** Names this chunking, as recorded with the index's commits. */
  public String name() {
    return name(windowTokens, overlapTokens);
  }

  public static String name(int windowTokens, int overlapTokens) {
    return "tokens-" + windowTokens + "-" + overlapTokens;
  }

  /**
   * Identifies the embedded text under a model and this chunking: equal hashes need no new
   * embedding; a change of either re-embeds the item in the background.
   */
  public String hash(String modelId, String text) {
    return digest(modelId + "/chunks:" + name(), text);
  }

  /** Identifies {@code text} under {@code key} (model and chunking). */
  static String digest(String key, String text) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(key.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest(), 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
