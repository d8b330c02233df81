package dev.quire.embedding;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.jsoup.Jsoup;

/**
 * Splits an item's text into overlapping word windows that fit the model's token window (about 1.1
 * to 1.3 tokens per English word: the default 160 words stay under 256 tokens). The first chunk
 * starts with the title and description, so short items are one chunk that carries all their
 * meaning.
 */
public final class Chunker {

  private final int windowWords;
  private final int overlapWords;

  public Chunker(int windowWords, int overlapWords) {
    if (windowWords < 1 || overlapWords < 0 || overlapWords >= windowWords) {
      throw new IllegalArgumentException(
          "chunk-words must be positive and chunk-overlap-words smaller than it");
    }
    this.windowWords = windowWords;
    this.overlapWords = overlapWords;
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
    String[] words = text.strip().split("\\s+");
    List<String> out = new ArrayList<>();
    if (words.length == 0 || (words.length == 1 && words[0].isEmpty())) {
      return out;
    }
    int step = windowWords - overlapWords;
    for (int start = 0; ; start += step) {
      int end = Math.min(words.length, start + windowWords);
      out.add(String.join(" ", java.util.Arrays.copyOfRange(words, start, end)));
      if (end == words.length) {
        return out;
      }
    }
  }

  /**
   * Identifies the embedded text under a model and this chunking: equal hashes need no new
   * embedding; a change of either re-embeds the item in the background.
   */
  public String hash(String modelId, String text) {
    return digest(modelId + "/chunks:" + windowWords + "-" + overlapWords, text);
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
