package dev.quire.protocol;

import java.util.Optional;
import java.util.Set;

/**
 * A moved URL: a request for {@code from} answers {@code status} with {@code Location: to}. Both
 * are paths on this site (an optional query string included), never a URL with a scheme or host, so
 * no rule can make the site an open redirect.
 */
public record RedirectRule(String from, String to, int status) implements QuireSerializable {

  public static final Set<Integer> STATUSES = Set.of(301, 302, 307, 308);

  /**
   * Both paths as a URL carries them: what may not appear raw in one (non-ASCII text such as {@code
   * /café/}, quotes, angle brackets) is percent-encoded as UTF-8. A request for {@code /caf%C3%A9/}
   * then finds the rule, and its {@code Location} header can be sent: a raw {@code é} there made
   * every request for the rule answer 500. Rules stored before are read the same way.
   */
  public RedirectRule {
    from = encoded(from);
    to = encoded(to);
  }

  private static final String RAW_NOT_ALLOWED = "\"<>{}|^`[]";

  /** {@code path} with every character a URL may not hold raw percent-encoded as UTF-8. */
  public static String encoded(String path) {
    if (path == null) {
      return null;
    }
    StringBuilder b = null;
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      // Spaces and control characters stay as they are, for pathProblem to refuse.
      boolean raw = c < 0x80 && RAW_NOT_ALLOWED.indexOf(c) < 0;
      // An escape's hex digits in upper case, as requests arrive: %c3%a9 and %C3%A9 are one path.
      if (c == '%'
          && i + 2 < path.length()
          && Character.digit(path.charAt(i + 1), 16) >= 0
          && Character.digit(path.charAt(i + 2), 16) >= 0) {
        String hex = path.substring(i + 1, i + 3);
        String upper = hex.toUpperCase(java.util.Locale.ROOT);
        if (!hex.equals(upper) && b == null) {
          b = new StringBuilder(path.length() + 16).append(path, 0, i);
        }
        if (b != null) {
          b.append('%').append(upper);
        }
        i += 2;
        continue;
      }
      if (raw && b == null) {
        continue;
      }
      if (b == null) {
        b = new StringBuilder(path.length() + 16).append(path, 0, i);
      }
      if (raw) {
        b.append(c);
        continue;
      }
      int end = Character.isHighSurrogate(c) && i + 1 < path.length() ? i + 2 : i + 1;
      for (byte x : path.substring(i, end).getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
        b.append('%').append(HEX[(x >> 4) & 0xf]).append(HEX[x & 0xf]);
      }
      i = end - 1;
    }
    return b == null ? path : b.toString();
  }

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  /** The longest path a rule may hold. */
  public static final int MAX_PATH = 2000;

  /** What is wrong with this rule, naming the field; empty when it is fine. */
  public Optional<FieldError> problem() {
    Optional<FieldError> p = pathProblem("from", from);
    if (p.isPresent()) {
      return p;
    }
    p = pathProblem("to", to);
    if (p.isPresent()) {
      return p;
    }
    if (!STATUSES.contains(status)) {
      return Optional.of(new FieldError("status", "must be 301, 302, 307 or 308, was " + status));
    }
    if (from.equals(to)) {
      return Optional.of(new FieldError("to", "is the same as 'from': it would loop"));
    }
    return Optional.empty();
  }

  /**
   * A site path: starts with exactly one {@code /} and has no {@code //}, no backslash (browsers
   * read {@code /\} as {@code //}), no spaces or control characters, at most {@link #MAX_PATH}
   * characters.
   */
  public static Optional<FieldError> pathProblem(String field, String path) {
    if (path == null || path.isEmpty()) {
      return Optional.of(new FieldError(field, "is required"));
    }
    if (path.length() > MAX_PATH) {
      return Optional.of(
          new FieldError(field, "is " + path.length() + " characters; at most " + MAX_PATH));
    }
    int query = path.indexOf('?');
    if (path.charAt(0) != '/' || (query < 0 ? path : path.substring(0, query)).contains("//")) {
      return Optional.of(
          new FieldError(
              field,
              "must be a path on this site starting with a single '/', with no '//' (no scheme"
                  + " or host), was '"
                  + path
                  + "'"));
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c <= 0x20 || c == 0x7f || c == '\\') {
        return Optional.of(
            new FieldError(
                field, "has a space, backslash or control character at position " + (i + 1)));
      }
    }
    return Optional.empty();
  }
}
