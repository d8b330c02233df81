package dev.quire.gateway.http;

import org.apache.pekko.http.javadsl.model.headers.Location;

/** The Location of a redirect on the site. */
public final class Locations {

  private Locations() {}

  /**
   * {@code target} (a local path, perhaps with a {@code #fragment}) with the request's raw {@code
   * query} added before any fragment, so a campaign's ?utm_source=... or a search survives the
   * redirect; the target alone when there is no query or the two do not make a URI Pekko takes.
   */
  public static Location withQuery(String target, String query) {
    if (!query.isEmpty()) {
      int hash = target.indexOf('#');
      String path = hash < 0 ? target : target.substring(0, hash);
      String fragment = hash < 0 ? "" : target.substring(hash);
      try {
        return Location.create(path + "?" + query + fragment);
      } catch (RuntimeException e) {
        // fall through: the target as it is
      }
    }
    return Location.create(target);
  }
}
