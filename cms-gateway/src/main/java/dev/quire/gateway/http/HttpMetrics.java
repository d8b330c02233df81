package dev.quire.gateway.http;

import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.mapResponse;

import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
          return mapResponse(
              response -> {
                record(request, response.status().intValue(), t0);
                return response;
              },
              () -> inner);
        });
  }

  /** Records one exchange of {@code request} begun at {@code startNanos}, routed or not. */
  public static void record(
      org.apache.pekko.http.javadsl.model.HttpRequest request, int status, long startNanos) {
    String method = METHODS.contains(request.method().name()) ? request.method().name() : "other";
    timer(group(request.getUri().path()), method, status)
        .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }

  /** Timers by route, method and status: a map lookup per request, not a meter registration. */
  private static final ConcurrentHashMap<String, Timer> TIMERS = new ConcurrentHashMap<>();

  private static Timer timer(String group, String method, int status) {
    return TIMERS.computeIfAbsent(
        group + ' ' + method + ' ' + status,
        k ->
            Timer.builder("quire.http.requests")
                .description("HTTP exchanges by route group, method and status")
                .tag("route", group)
                .tag("method", method)
                .tag("status", String.valueOf(status))
                .register(Metrics.globalRegistry));
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
