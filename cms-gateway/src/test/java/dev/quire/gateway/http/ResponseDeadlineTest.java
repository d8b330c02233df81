package dev.quire.gateway.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Routes bounded by {@link ResponseDeadline}, over loopback, with Pekko's own timeout off. */
class ResponseDeadlineTest {

  static final Duration LIMIT = Duration.ofMillis(400);
  static ActorSystem<Void> system;
  static ServerBinding binding;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    system =
        ActorSystem.create(
            Behaviors.empty(),
            "deadline",
            com.typesafe.config.ConfigFactory.parseString("pekko.http.server.request-timeout = off")
                .withFallback(com.typesafe.config.ConfigFactory.load()));
    Route routes =
        concat(
            path("fast", () -> complete("fast")),
            path("late", () -> completeWithFuture(after(100, "late"))),
            path("patient", () -> completeWithFuture(after(LIMIT.toMillis() + 300, "patient"))),
            path("never", () -> completeWithFuture(new CompletableFuture<HttpResponse>())),
            path(
                "failsLate",
                () ->
                    completeWithFuture(
                        after(100, "unused")
                            .<HttpResponse>thenApply(
                                r -> {
                                  throw new IllegalStateException("broken late");
                                }))),
            path(
                "fails",
                () ->
                    completeWithFuture(
                        CompletableFuture.<HttpResponse>failedFuture(
                            new IllegalStateException("broken")))));
    binding =
        Http.get(system)
            .newServerAt("127.0.0.1", 0)
            .bind(
                ResponseDeadline.within(
                    request ->
                        request.getUri().path().equals("/patient") ? LIMIT.multipliedBy(5) : LIMIT,
                    request ->
                        HttpResponse.create()
                            .withStatus(StatusCodes.SERVICE_UNAVAILABLE)
                            .withEntity("too slow: " + request.getUri().path()),
                    system.executionContext(),
                    routes))
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    system.terminate();
  }

  static CompletableFuture<HttpResponse> after(long millis, String body) {
    return CompletableFuture.supplyAsync(
        () -> HttpResponse.create().withEntity(body),
        CompletableFuture.delayedExecutor(millis, TimeUnit.MILLISECONDS));
  }

  static java.net.http.HttpResponse<String> get(String path) throws Exception {
    int port = binding.localAddress().getPort();
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        BodyHandlers.ofString());
  }

  @Test
  void aRouteThatNeverAnswersGetsTheTimeoutAnswerAfterTheLimit() throws Exception {
    long t0 = System.nanoTime();
    var r = get("/never");
    long tookMs = (System.nanoTime() - t0) / 1_000_000;
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).isEqualTo("too slow: /never");
    assertThat(tookMs).isBetween(LIMIT.toMillis(), 5_000L);
    // The connection and the server are fine afterwards.
    assertThat(get("/fast").body()).isEqualTo("fast");
  }

  @Test
  void aRequestGivenALongerLimitMayTakeItAndOthersMayNot() throws Exception {
    // /patient answers 300 ms past the common limit, within the five times it is given.
    var patient = get("/patient");
    assertThat(patient.statusCode()).isEqualTo(200);
    assertThat(patient.body()).isEqualTo("patient");
    assertThat(get("/never").statusCode()).isEqualTo(503);
  }

  @Test
  void answersWithinTheLimitAreUntouched() throws Exception {
    assertThat(get("/fast").statusCode()).isEqualTo(200);
    var late = get("/late");
    assertThat(late.statusCode()).isEqualTo(200);
    assertThat(late.body()).isEqualTo("late");
  }

  @Test
  void aFailureIsStillAFailureNotATimeout() throws Exception {
    assertThat(get("/fails").statusCode()).isEqualTo(500);
    // Failing while the deadline is armed: still the route's failure, at once, not a 503 later.
    long t0 = System.nanoTime();
    assertThat(get("/failsLate").statusCode()).isEqualTo(500);
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(LIMIT.toMillis());
  }
}
