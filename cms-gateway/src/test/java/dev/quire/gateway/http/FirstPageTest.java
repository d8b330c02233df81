package dev.quire.gateway.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.junit.jupiter.api.Test;

/**
 * The first answered request marks the first page, over loopback; a health probe and a server error
 * (the site still loading answers 503) do not.
 */
class FirstPageTest {

  @Test
  void onlyAVisitorsAnswerMarksIt() throws Exception {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "first-page");
    try {
      CompletableFuture<Void> served = new CompletableFuture<>();
      java.util.concurrent.atomic.AtomicBoolean ready =
          new java.util.concurrent.atomic.AtomicBoolean();
      ServerBinding binding =
          Http.get(system)
              .newServerAt("127.0.0.1", 0)
              .bind(
                  FirstPage.watch(
                      served,
                      ready::get,
                      concat(
                          path("healthz", () -> complete("ok")),
                          path(
                              "loading",
                              () -> complete(StatusCodes.SERVICE_UNAVAILABLE, "loading")),
                          path("page", () -> complete("a page")))))
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
      String base = "http://127.0.0.1:" + binding.localAddress().getPort();
      HttpClient http = HttpClient.newHttpClient();
      // While the site loads: a page of it answered 200 does not count.
      assertThat(get(http, base + "/page")).isEqualTo(200);
      assertThat(served).isNotDone();
      ready.set(true);
      assertThat(get(http, base + "/healthz")).isEqualTo(200);
      assertThat(get(http, base + "/loading")).isEqualTo(503);
      assertThat(served).isNotDone();
      assertThat(get(http, base + "/page")).isEqualTo(200);
      assertThat(served).isDone();
      // Afterwards the route answers as before.
      assertThat(get(http, base + "/loading")).isEqualTo(503);
      assertThat(get(http, base + "/page")).isEqualTo(200);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static int get(HttpClient http, String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), BodyHandlers.discarding())
        .statusCode();
  }
}
