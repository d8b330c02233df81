package dev.quire.protocol;

import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A named navigation menu (the default theme shows the one named {@code main} in every page's
 * header): links in order, each a label and a path on the site or an http(s) URL.
 */
public record SiteMenu(String name, List<Link> links) implements QuireSerializable {

  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");
  public static final int MAX_LINKS = 50;
  public static final int MAX_LABEL = 100;
  public static final int MAX_URL = 2000;

  public SiteMenu {
    links = links == null ? List.of() : List.copyOf(links);
  }

  public record Link(String label, String url) implements QuireSerializable {}

  /** What is wrong with this menu, naming the field; empty when it is fine. */
  public Optional<FieldError> problem() {
    if (name == null || !NAME.matcher(name).matches()) {
      return Optional.of(
          new FieldError("name", "must be 1 to 32 of a-z, 0-9 and '-', was '" + name + "'"));
    }
    if (links.size() > MAX_LINKS) {
      return Optional.of(
          new FieldError("links", "has " + links.size() + " links; at most " + MAX_LINKS));
    }
    for (int i = 0; i < links.size(); i++) {
      Link l = links.get(i);
      String at = "links[" + i + "].";
      if (l == null) {
        return Optional.of(new FieldError("links[" + i + "]", "is missing"));
      }
      if (l.label() == null || l.label().isBlank()) {
        return Optional.of(new FieldError(at + "label", "is required"));
      }
      // Only zero-width or other invisible characters made a header link no one could see.
      if (l.label()
          .codePoints()
          .allMatch(c -> Character.isSpaceChar(c) || Character.getType(c) == Character.FORMAT)) {
        return Optional.of(
            new FieldError(
                at + "label", "has nothing to read: only spaces or invisible characters"));
      }
      if (l.label().length() > MAX_LABEL || l.label().chars().anyMatch(Character::isISOControl)) {
        return Optional.of(
            new FieldError(
                at + "label",
                "must be at most " + MAX_LABEL + " characters, without control ones"));
      }
      Optional<String> url = urlProblem(l.url());
      if (url.isPresent()) {
        return Optional.of(new FieldError(at + "url", url.get()));
      }
    }
    return Optional.empty();
  }

  /**
   * A link's address: a path on the site (as a redirect's paths are) or an absolute http(s) URL;
   * never {@code javascript:}, {@code data:} or any other scheme.
   */
  public static Optional<String> urlProblem(String url) {
    if (url == null || url.isEmpty()) {
      return Optional.of("is required");
    }
    if (url.length() > MAX_URL) {
      return Optional.of("is " + url.length() + " characters; at most " + MAX_URL);
    }
    if (url.startsWith("/")) {
      return RedirectRule.pathProblem("url", url).map(FieldError::message);
    }
    try {
      URI u = new URI(url);
      if (("http".equals(u.getScheme()) || "https".equals(u.getScheme()))
          && u.getHost() != null
          && url.chars().noneMatch(c -> c <= ' ' || c == 0x7f)) {
        return Optional.empty();
      }
    } catch (java.net.URISyntaxException e) {
      // answered below
    }
    return Optional.of(
        "must be a path on the site (/about/) or an http(s) address, was '" + url + "'");
  }
}
