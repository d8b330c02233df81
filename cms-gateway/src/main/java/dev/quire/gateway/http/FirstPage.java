package dev.quire.gateway.http;

import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.mapResponse;

import java.util.concurrent.CompletableFuture;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Completes {@code served} with the gateway's first answered request that is not {@code /healthz}
 * (a probe is not a visitor): the node holds background work that takes the cores for a while (the
 * embedding role's model load and index catch-up) until the first visitor has a page, or a time has
 * passed. Once it has completed, a request pays one volatile read here.
 */
public final class FirstPage {

  private FirstPage() {}

  public static Route watch(
      CompletableFuture<Void> served, java.util.function.BooleanSupplier ready, Route inner) {
    return extractRequest(
        request ->
            served.isDone() || !ready.getAsBoolean() || request.getUri().path().equals("/healthz")
                ? inner
                : mapResponse(
                    response -> {
                      if (response.status().intValue() < 500) {
                        served.complete(null);
                      }
                      return response;
                    },
                    () -> inner));
  }
}
