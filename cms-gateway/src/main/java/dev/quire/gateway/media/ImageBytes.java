package dev.quire.gateway.media;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What an upload's first bytes say it is, for the image types a browser shows: a file sent as an
 * image must be one (a text file named {@code .jpg} was stored and served as {@code image/jpeg}),
 * and an image sent under another image's type is stored under its own. Eleven signatures, read
 * from at most {@link #HEAD} bytes; Apache Tika would do this for every type, but parses a type
 * registry of ~1 MB at start for what these few lines decide.
 */
final class ImageBytes {

  /** How many of a file's first bytes are looked at (an SVG's root element may follow a prolog). */
  static final int HEAD = 4096;

  /** Image types whose bytes are checked: the raster formats browsers show, and SVG. */
  static final Set<String> CHECKED =
      Set.of(
          "image/jpeg",
          "image/png",
          "image/gif",
          "image/webp",
          "image/avif",
          "image/bmp",
          "image/x-icon",
          "image/vnd.microsoft.icon",
          "image/tiff",
          "image/svg+xml");

  private ImageBytes() {}

  /** The image type {@code head} (a file's first bytes) begins like, if any. */
  static Optional<String> sniff(byte[] head, int n) {
    if (starts(head, n, 0xFF, 0xD8, 0xFF)) {
      return Optional.of("image/jpeg");
    }
    if (starts(head, n, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
      return Optional.of("image/png");
    }
    if (ascii(head, n, 0, "GIF87a") || ascii(head, n, 0, "GIF89a")) {
      return Optional.of("image/gif");
    }
    if (ascii(head, n, 0, "RIFF") && ascii(head, n, 8, "WEBP")) {
      return Optional.of("image/webp");
    }
    if (ascii(head, n, 4, "ftyp") && (ascii(head, n, 8, "avif") || ascii(head, n, 8, "avis"))) {
      return Optional.of("image/avif");
    }
    if (ascii(head, n, 0, "BM") && n >= 14) {
      return Optional.of("image/bmp");
    }
    if (starts(head, n, 0, 0, 1, 0)) {
      return Optional.of("image/x-icon");
    }
    if (starts(head, n, 'I', 'I', 42, 0) || starts(head, n, 'M', 'M', 0, 42)) {
      return Optional.of("image/tiff");
    }
    if (svg(head, n)) {
      return Optional.of("image/svg+xml");
    }
    return Optional.empty();
  }

  /** Text whose first element (after a prolog, comments, a doctype) is {@code <svg}. */
  private static boolean svg(byte[] head, int n) {
    String text = new String(head, 0, n, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
    int at = text.indexOf("<svg");
    if (at < 0) {
      return false;
    }
    // A doctype may carry an internal subset in brackets (Illustrator writes entities there).
    String before =
        text.substring(0, at)
            .replaceAll("(?s)<\\?.*?\\?>|<!--.*?-->|<!doctype[^\\[>]*(\\[.*?\\])?\\s*>", "");
    return before.replace("\uFEFF", "").isBlank();
  }

  private static boolean starts(byte[] head, int n, int... bytes) {
    if (n < bytes.length) {
      return false;
    }
    for (int i = 0; i < bytes.length; i++) {
      if ((head[i] & 0xFF) != bytes[i]) {
        return false;
      }
    }
    return true;
  }

  private static boolean ascii(byte[] head, int n, int at, String s) {
    byte[] want = s.getBytes(StandardCharsets.US_ASCII);
    return n >= at + want.length && Arrays.equals(head, at, at + want.length, want, 0, want.length);
  }
}
