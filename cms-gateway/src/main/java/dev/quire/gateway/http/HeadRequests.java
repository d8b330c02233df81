package dev.quire.gateway.http;

import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.mapRequest;

import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * HEAD answered by every GET route, with the GET's status and headers and no body: link checkers,
 * uptime monitors and crawlers use it. Pekko HTTP's {@code transparent-head-requests} does the same
 * but turns the request into a GET before any route sees it, so the request metrics counted a HEAD
 * as a GET; here the routes inside see a GET and those outside ({@link HttpMetrics}) the HEAD. The
 * body is left out by Pekko HTTP's response renderer, which knows the request was a HEAD: it sends
 * a strict body's {@code Content-Length} and cancels a streamed one.
 */
public final class HeadRequests {

  private HeadRequests() {}

  public static Route answeredAsGet(Route inner) {
    return extractRequest(
        request ->
            request.method().equals(HttpMethods.HEAD)
                ? mapRequest(r -> r.withMethod(HttpMethods.GET), () -> inner)
                : inner);
  }
}
