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
   * A site path: starts with exactly one {@code /}, no backslash (browsers read {@code /\} as
   * {@code //}), no spaces or control characters, at most {@link #MAX_PATH} characters.
   */
  public static Optional<FieldError> pathProblem(String field, String path) {
    if (path == null || path.isEmpty()) {
      return Optional.of(new FieldError(field, "is required"));
    }
    if (path.length() > MAX_PATH) {
      return Optional.of(
          new FieldError(field, "is " + path.length() + " characters; at most " + MAX_PATH));
    }
    if (path.charAt(0) != '/' || path.startsWith("//")) {
      return Optional.of(
          new FieldError(
              field,
              "must be a path on this site starting with a single '/' (no scheme or host), was '"
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
