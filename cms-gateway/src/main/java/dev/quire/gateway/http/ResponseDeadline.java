package dev.quire.gateway.http;

import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.mapRouteResultFuture;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.server.RouteResult;
import org.apache.pekko.http.javadsl.server.RouteResults;

/**
 * A bound on how long a route may take to answer: past it the visitor gets the answer {@code
 * timedOut} makes for the request (a 503), and the route's late answer is dropped.
 *
 * <p>This stands in for Pekko HTTP's {@code request-timeout}, which the gateway's port turns off
 * ({@code Gateway.httpSettings}). That one arms a scheduler timer for every request, the memoised
 * pages included, and cancels it when the answer comes: on the post page under wrk (50
 * connections), turning it off raised the throughput by 3-6% and cut the p99 from 10.1-16.9 ms to
 * 4.2-5.9 ms (six interleaved pairs). Here a route that has already answered when it returns (every
 * page served from memory) arms nothing; only a route still working (an ask to another service, a
 * query, a PDF) gets a timer.
 */
public final class ResponseDeadline {

  private ResponseDeadline() {}

  /**
   * {@code timedOut} runs on {@code executor}, not on the JDK's one timer thread that fires every
   * {@code orTimeout} in the process: rendering an error page there would hold up every other
   * timeout behind it when many requests time out at once.
   */
  public static Route within(
      Duration limit,
      Function<HttpRequest, HttpResponse> timedOut,
      Executor executor,
      Route inner) {
    return within(request -> limit, timedOut, executor, inner);
  }

  /** As {@link #within(Duration, Function, Executor, Route)}, with a limit per request. */
  public static Route within(
      Function<HttpRequest, Duration> limitFor,
      Function<HttpRequest, HttpResponse> timedOut,
      Executor executor,
      Route inner) {
    return extractRequest(
        request ->
            mapRouteResultFuture(
                result -> {
                  CompletableFuture<RouteResult> f = result.toCompletableFuture();
                  if (f.isDone()) {
                    return f;
                  }
                  return f.copy()
                      .orTimeout(limitFor.apply(request).toMillis(), TimeUnit.MILLISECONDS)
                      .exceptionallyAsync(
                          failure -> {
                            Throwable cause =
                                failure instanceof CompletionException && failure.getCause() != null
                                    ? failure.getCause()
                                    : failure;
                            if (cause instanceof TimeoutException) {
                              return RouteResults.complete(timedOut.apply(request));
                            }
                            throw failure instanceof CompletionException c
                                ? c
                                : new CompletionException(failure);
                          },
                          executor);
                },
                () -> inner));
  }
}
