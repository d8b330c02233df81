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
    from = asRequested(encoded(from));
    to = encoded(to);
  }

  /**
   * Characters a path may hold raw whose percent-escape the server decodes before a request is
   * matched (RFC 3986's unreserved characters, sub-delims, {@code :} and {@code @}): a request for
   * {@code /a%2Db} arrives as {@code /a-b}.
   */
  private static final String DECODED_IN_PATH = "-._~!$&'()*+,;=:@";

  /** The key a rule from {@code from} is held and looked up by: what its constructor makes. */
  public static String key(String from) {
    return asRequested(encoded(from));
  }

  /**
   * {@code from} as a request for it is matched: in its path (not its query, which is matched as
   * sent) an escape of a letter, digit or {@link #DECODED_IN_PATH} character is the character
   * itself. Otherwise a rule from {@code /a%2Db} would never be met.
   */
  static String asRequested(String from) {
    if (from == null || from.indexOf('%') < 0) {
      return from;
    }
    int q = from.indexOf('?');
    int end = q < 0 ? from.length() : q;
    StringBuilder b = new StringBuilder(from.length());
    for (int i = 0; i < end; i++) {
      char c = from.charAt(i);
      if (c == '%' && i + 2 < end) {
        int hi = Character.digit(from.charAt(i + 1), 16);
        int lo = Character.digit(from.charAt(i + 2), 16);
        if (hi >= 0 && lo >= 0) {
          char d = (char) (hi * 16 + lo);
          if (d < 0x80 && (Character.isLetterOrDigit(d) || DECODED_IN_PATH.indexOf(d) >= 0)) {
            b.append(d);
            i += 2;
            continue;
          }
        }
      }
      b.append(c);
    }
    return b.append(from, end, from.length()).toString();
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

  /** The most redirects a browser follows in a row (Chrome and Firefox stop at 20). */
  public static final int MAX_HOPS = 20;

  /**
   * The rule a request for {@code path} with {@code query} (null for none) meets in {@code rules}
   * (by their {@code from}): the path with its query first, then the path alone, then the path with
   * the other trailing slash; null for none.
   */
  public static RedirectRule match(
      java.util.Map<String, RedirectRule> rules, String path, String query) {
    if (rules.isEmpty()) {
      return null;
    }
    if (query != null) {
      RedirectRule r = rules.get(path + "?" + query);
      if (r != null) {
        return r;
      }
    }
    RedirectRule r = rules.get(path);
    if (r == null && path.length() > 1) {
      r = rules.get(path.endsWith("/") ? path.substring(0, path.length() - 1) : path + "/");
    }
    return r;
  }

  /**
   * Why following {@code start} through {@code rules} (the table it is in) never ends at a page: it
   * comes back to a rule already followed ({@code /about} to {@code /about/}, which the rule itself
   * answers for the other slash; or {@code /a/} to {@code /b/} and back), or goes on for more than
   * {@link #MAX_HOPS}, where browsers give up. Empty when the chain ends. The target's query goes
   * with it as a request would carry it; a rule of a path keeps the request's query as it answers.
   */
  public static Optional<String> loopFrom(
      java.util.Map<String, RedirectRule> rules, RedirectRule start) {
    return trouble(follow(rules, start, p -> null));
  }

  /**
   * As {@link #loopFrom}, where a path no rule meets is asked of {@code site}: where the site
   * itself sends it (an old slug to the item's address, a tag's other spelling to its one), or
   * null. A rule from a post's address to one of its old slugs sent visitors round for ever: the
   * table alone showed no loop.
   */
  public static Optional<String> loopFrom(
      java.util.Map<String, RedirectRule> rules,
      RedirectRule start,
      java.util.function.UnaryOperator<String> site) {
    return trouble(follow(rules, start, site));
  }

  /**
   * Whether following {@code start} through {@code rules} comes back to {@code start} itself within
   * {@link #MAX_HOPS}: it is one of the rules of a loop, not one that only leads into one.
   */
  public static boolean onLoop(java.util.Map<String, RedirectRule> rules, RedirectRule start) {
    return start.from().equals(follow(rules, start, p -> null).revisited());
  }

  /**
   * As {@link #loopFrom} for every other rule of {@code rules} whose chain passes through one of
   * {@code through} (the rules being added): a rule already there may reach a new one and loop back
   * through it (a request's query kept along the way), or a chain may grow past {@link #MAX_HOPS}
   * at its end. Loops that pass through none of them are not this change's.
   */
  public static Optional<String> loopThrough(
      java.util.Map<String, RedirectRule> rules, java.util.Set<String> through) {
    for (RedirectRule r : rules.values()) {
      if (through.contains(r.from())) {
        continue;
      }
      Trail t = follow(rules, r, p -> null);
      Optional<String> trouble = trouble(t);
      if (trouble.isPresent() && t.followed().stream().anyMatch(through::contains)) {
        return Optional.of("with the rule from " + r.from() + " it " + trouble.get());
      }
    }
    return Optional.empty();
  }

  /** The rules followed from a start, the one met again (null for none), and whether it ran on. */
  private record Trail(
      java.util.LinkedHashSet<String> followed, String revisited, boolean tooLong) {}

  private static Trail follow(
      java.util.Map<String, RedirectRule> rules,
      RedirectRule start,
      java.util.function.UnaryOperator<String> site) {
    java.util.LinkedHashSet<String> followed = new java.util.LinkedHashSet<>();
    followed.add(start.from());
    RedirectRule at = start;
    String query = null;
    String sentTo = null; // where the site itself sent the last path, when it did
    for (int hop = 0; hop < MAX_HOPS; hop++) {
      boolean siteHop = sentTo != null;
      String to = siteHop ? sentTo : at.to();
      sentTo = null;
      int hash = to.indexOf('#');
      if (hash >= 0) {
        to = to.substring(0, hash);
      }
      int q = to.indexOf('?');
      String path = q < 0 ? to : to.substring(0, q);
      if (q >= 0) {
        query = to.substring(q + 1);
      } else if (at.from().contains("?") && !siteHop) {
        query = null; // a rule that matched a query answers with its target as stored
      }
      // (The site's own redirects keep the request's query.)
      // The path as the server gives it to the rules: /a%2Db arrives as /a-b.
      RedirectRule next = match(rules, asRequested(path), query);
      if (next == null) {
        sentTo = path.startsWith("/") ? site.apply(asRequested(path)) : null;
        if (sentTo == null) {
          return new Trail(followed, null, false);
        }
        followed.add(path + " (which the site sends to " + sentTo + ")");
        continue;
      }
      if (!followed.add(next.from())) {
        return new Trail(followed, next.from(), false);
      }
      at = next;
    }
    return new Trail(followed, null, true);
  }

  private static Optional<String> trouble(Trail t) {
    if (t.revisited() != null) {
      return Optional.of(
          "leads back to itself: "
              + String.join(" -> ", t.followed())
              + " -> "
              + t.revisited()
              + ", a loop no browser gets out of");
    }
    if (t.tooLong()) {
      return Optional.of(
          "starts a chain of more than "
              + MAX_HOPS
              + " redirects ("
              + String.join(" -> ", t.followed())
              + " ...), more than browsers follow");
    }
    return Optional.empty();
  }

  /** What is wrong with this rule, naming the field; empty when it is fine. */
  public Optional<FieldError> problem() {
    Optional<FieldError> p = shapeProblem();
    return p.isPresent() ? p : neverFollowed();
  }

  /** As {@link #problem} but for {@link #neverFollowed}: what every Quire has refused. */
  public Optional<FieldError> shapeProblem() {
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
   * Why no request ever meets this rule's {@code from}, or empty: it is under the site's own
   * addresses ({@link #OWN}), answered before any redirect, or it has a {@code .} or {@code ..}
   * segment, which clients and the server resolve before a request arrives. Refused from
   * 2026-12-06; a bundle's such rules, stored by an older Quire, are left out of an import, said
   * so.
   */
  public Optional<FieldError> neverFollowed() {
    int q = from.indexOf('?');
    String path = q < 0 ? from : from.substring(0, q);
    String first = path.substring(1).split("/", 2)[0];
    if (OWN.contains(first)) {
      return Optional.of(
          new FieldError(
              "from",
              "is under /"
                  + first
                  + ", the site's own address, answered before any redirect: this one would"
                  + " never be followed"));
    }
    for (String segment : path.split("/", -1)) {
      if (segment.equals(".") || segment.equals("..")) {
        return Optional.of(
            new FieldError(
                "from",
                "has a '"
                    + segment
                    + "' segment, which no request arrives with: write the path it stands for"));
      }
    }
    return Optional.empty();
  }

  /**
   * The first path segments the gateway answers itself before it looks at redirects: the API, the
   * admin and the health check.
   */
  public static final Set<String> OWN = Set.of("api", "admin", "healthz");

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
