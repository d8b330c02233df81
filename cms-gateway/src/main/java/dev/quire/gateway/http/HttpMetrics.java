package dev.quire.gateway.http;

import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.mapResponse;

import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Every HTTP exchange timed into Micrometer's global registry as {@code quire.http.requests}, by
 * route group, method and status. Route groups are the first path segment for the site's known
 * sections, so the number of series stays bounded whatever URLs visitors try.
 */
public final class HttpMetrics {

  private static final Set<String> GROUPS =
      Set.of(
          "posts",
          "blog",
          "tags",
          "api",
          "media",
          "assets",
          "search",
          "feed",
          "healthz",
          "sitemap.xml",
          "robots.txt",
          "og");
  private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE");

  private HttpMetrics() {}

  public static Route timed(Route inner) {
    return extractRequest(
        request -> {
          long t0 = System.nanoTime();
          String group = group(request.getUri().path());
          String method =
              METHODS.contains(request.method().name()) ? request.method().name() : "other";
          return mapResponse(
              response -> {
                Timer.builder("quire.http.requests")
                    .description("HTTP exchanges by route group, method and status")
                    .tag("route", group)
                    .tag("method", method)
                    .tag("status", String.valueOf(response.status().intValue()))
                    .register(Metrics.globalRegistry)
                    .record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
                return response;
              },
              () -> inner);
        });
  }

  static String group(String path) {
    if (path == null || path.equals("/") || path.isEmpty()) {
      return "home";
    }
    String first = path.substring(1);
    int slash = first.indexOf('/');
    if (slash >= 0) {
      first = first.substring(0, slash);
    }
    return GROUPS.contains(first) ? first : "page";
  }
}
