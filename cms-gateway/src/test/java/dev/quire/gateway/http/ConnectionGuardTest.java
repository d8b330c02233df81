package dev.quire.gateway.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Connections through {@link ConnectionGuard} over loopback, written byte by byte on a plain socket
 * (an HTTP client library would not trickle headers), with Pekko HTTP's idle timeout at 60 s so
 * that only the deadline can close them within a test's wait.
 */
class ConnectionGuardTest {

  static final Duration LIMIT = Duration.ofMillis(1000);

  /** How long a test waits for the server to close a connection: far less than idle-timeout. */
  static final Duration WAIT = Duration.ofSeconds(8);

  static ActorSystem<Void> system;
  static ServerBinding binding;

  static final io.micrometer.core.instrument.simple.SimpleMeterRegistry METRICS =
      new io.micrometer.core.instrument.simple.SimpleMeterRegistry();

  static double closed(String reason) {
    var c = METRICS.find("quire.http.connections.closed").tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  @BeforeAll
  static void start() throws Exception {
    io.micrometer.core.instrument.Metrics.addRegistry(METRICS);
    system =
        ActorSystem.create(
            Behaviors.empty(),
            "header-deadline",
            com.typesafe.config.ConfigFactory.parseString(
                    "pekko.http.server { idle-timeout = 60s, request-timeout = off,"
                        + " transparent-head-requests = off, remote-address-attribute = on }")
                .withFallback(com.typesafe.config.ConfigFactory.load()));
    Route routes =
        concat(
            path("page", () -> complete("page")),
            // Ten chunks 300 ms apart: three times the limit to send.
            path(
                "stream",
                () ->
                    complete(
                        HttpResponse.create()
                            .withEntity(
                                HttpEntities.createChunked(
                                    ContentTypes.TEXT_PLAIN_UTF8,
                                    Source.range(1, 10)
                                        .throttle(1, Duration.ofMillis(300))
                                        .map(i -> ByteString.fromString("chunk" + i + "\n")))))),
            // A body of known length sent over three times the limit.
            path(
                "sized",
                () ->
                    complete(
                        HttpResponse.create()
                            .withEntity(
                                HttpEntities.create(
                                    ContentTypes.TEXT_PLAIN_UTF8,
                                    10 * 4,
                                    Source.range(0, 9)
                                        .throttle(1, Duration.ofMillis(300))
                                        .map(i -> ByteString.fromString("abc" + i)))))),
            // Answers 413 after 300 ms of reading the body, however much of it has come.
            path(
                "upload",
                () ->
                    org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity(
                        entity ->
                            completeWithFuture(
                                entity
                                    .toStrict(300, system)
                                    .handle(
                                        (strict, failure) ->
                                            HttpResponse.create()
                                                .withStatus(failure == null ? 200 : 413)
                                                .withEntity(
                                                    failure == null ? "stored" : "cut off"))))),
            // A streamed answer with nothing in it.
            path(
                "empty",
                () ->
                    complete(
                        HttpResponse.create()
                            .withEntity(
                                HttpEntities.createChunked(
                                    ContentTypes.TEXT_PLAIN_UTF8, Source.empty())))),
            // Two limits of work before the answer.
            path(
                "slow",
                () ->
                    completeWithFuture(
                        CompletableFuture.supplyAsync(
                            () -> HttpResponse.create().withEntity("slow"),
                            CompletableFuture.delayedExecutor(
                                LIMIT.toMillis() * 2, TimeUnit.MILLISECONDS)))));
    binding =
        Http.get(system)
            .newServerAt("127.0.0.1", 0)
            .bindFlow(
                ConnectionGuard.around(
                    routes.flow(system), LIMIT, ConnectionGuard.AddressLimit.none()))
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    system.terminate();
  }

  static Socket connect() throws IOException {
    return connect(binding);
  }

  static Socket connect(ServerBinding to) throws IOException {
    Socket s = new Socket("127.0.0.1", to.localAddress().getPort());
    s.setSoTimeout((int) WAIT.toMillis());
    return s;
  }

  static void send(Socket s, String text) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(text.getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  static String get(String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
  }

  /** One answer: its head, and its body read by Content-Length or to the last chunk. */
  static String readAnswer(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed in the head: " + head);
      }
      head.write(b);
    }
    String h = head.toString(StandardCharsets.US_ASCII);
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    var length = java.util.regex.Pattern.compile("(?i)content-length: (\\d+)").matcher(h);
    if (length.find()) {
      body.write(in.readNBytes(Integer.parseInt(length.group(1))));
    } else if (h.toLowerCase().contains("transfer-encoding: chunked")) {
      while (!body.toString(StandardCharsets.US_ASCII).endsWith("\r\n0\r\n\r\n")
          && !body.toString(StandardCharsets.US_ASCII).equals("0\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("closed in the body: " + body);
        }
        body.write(b);
      }
    }
    return h + body.toString(StandardCharsets.UTF_8);
  }

  /**
   * Milliseconds until the server closes {@code s}, reading nothing else from it. A read that times
   * out ({@link #WAIT}) throws SocketTimeoutException, which is not a SocketException, and fails
   * the test.
   */
  static long msUntilClosed(Socket s, long t0) throws IOException {
    try {
      int b = s.getInputStream().read();
      assertThat(b).as("the server sent something instead of closing").isEqualTo(-1);
    } catch (SocketException reset) {
      // A reset is a close too.
    }
    return (System.nanoTime() - t0) / 1_000_000;
  }

  /** One more page on {@code s}, then the server closes it after the limit of idleness. */
  static void pageThenClosedWhenIdle(Socket s, String as) throws IOException {
    send(s, get("/page"));
    assertThat(readAnswer(s)).as(as).startsWith("HTTP/1.1 200").endsWith("page");
    long t0 = System.nanoTime();
    assertThat(msUntilClosed(s, t0))
        .as(as)
        .isBetween(LIMIT.toMillis() / 2, LIMIT.toMillis() + 3000);
  }

  @Test
  void aConnectionTricklingItsHeadersIsClosedAfterTheLimit() throws Exception {
    try (Socket s = connect()) {
      long t0 = System.nanoTime();
      send(s, "GET /page HTTP/1.1\r\n");
      // One header line every 300 ms, which keeps Pekko's idle timeout from ever firing, until the
      // server closes the connection or the wait is over.
      Thread trickle =
          new Thread(
              () -> {
                try {
                  for (int i = 0; i < WAIT.toMillis() / 300; i++) {
                    Thread.sleep(300);
                    send(s, "X-Slow-" + i + ": y\r\n");
                  }
                } catch (Exception closed) {
                  // The server closed the connection: what this test waits for.
                }
              });
      trickle.start();
      long ms = msUntilClosed(s, t0);
      trickle.interrupt();
      assertThat(ms).isBetween(LIMIT.toMillis() / 2, LIMIT.toMillis() + 3000);
    }
  }

  @Test
  void aConnectionThatSendsNothingIsClosedAfterTheLimit() throws Exception {
    double before = closed("header-timeout");
    try (Socket s = connect()) {
      long t0 = System.nanoTime();
      assertThat(msUntilClosed(s, t0)).isBetween(LIMIT.toMillis() / 2, LIMIT.toMillis() + 3000);
    }
    assertThat(closed("header-timeout")).as("counted on /metrics").isGreaterThan(before);
  }

  @Test
  void aKeptAliveConnectionServesRequestsWithinTheLimitAndIsClosedWhenIdle() throws Exception {
    try (Socket s = connect()) {
      // Six requests 300 ms apart: 1.5 s on one connection, each gap well within the 1 s limit.
      for (int i = 0; i < 5; i++) {
        send(s, get("/page"));
        assertThat(readAnswer(s)).startsWith("HTTP/1.1 200").endsWith("page");
        Thread.sleep(300);
      }
      pageThenClosedWhenIdle(s, "kept alive");
    }
  }

  @Test
  void aRouteThatAnswersBeforeTheBodyHasComeGetsItsAnswerSent() throws Exception {
    // As a media upload cut off at its limit is answered 408 or 413 while its body still comes.
    try (Socket s = connect()) {
      send(s, "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\nabc");
      assertThat(readAnswer(s)).startsWith("HTTP/1.1 413").endsWith("cut off");
    }
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    try (Socket s = connect()) {
      send(s, get("/page") + get("/sized") + get("/page"));
      assertThat(readAnswer(s)).endsWith("page");
      assertThat(readAnswer(s)).endsWith("abc0abc1abc2abc3abc4abc5abc6abc7abc8abc9");
      assertThat(readAnswer(s)).endsWith("page");
      long t0 = System.nanoTime();
      assertThat(msUntilClosed(s, t0)).isBetween(LIMIT.toMillis() / 2, LIMIT.toMillis() + 3000);
    }
  }

  @Test
  void anEmptyStreamedAnswerEndsAndTheClockRuns() throws Exception {
    try (Socket s = connect()) {
      send(s, get("/empty"));
      assertThat(readAnswer(s)).startsWith("HTTP/1.1 200");
      long t0 = System.nanoTime();
      assertThat(msUntilClosed(s, t0)).isBetween(LIMIT.toMillis() / 2, LIMIT.toMillis() + 3000);
    }
  }

  @Test
  void anIpv6AddressCountsByItsSlash64AndAnIpv4ByItself() throws Exception {
    var a = java.net.InetAddress.getByName("2001:db8:1:2:aaaa:bbbb:cccc:dddd");
    var b = java.net.InetAddress.getByName("2001:db8:1:2::1");
    var other = java.net.InetAddress.getByName("2001:db8:1:3::1");
    assertThat(ConnectionGuard.AddressLimit.counted(a))
        .isEqualTo(ConnectionGuard.AddressLimit.counted(b))
        .isNotEqualTo(ConnectionGuard.AddressLimit.counted(other));
    var v4 = java.net.InetAddress.getByName("192.0.2.7");
    assertThat(ConnectionGuard.AddressLimit.counted(v4)).isEqualTo(v4);
  }

  @Test
  void aRouteWorkingLongerThanTheLimitStillAnswers() throws Exception {
    try (Socket s = connect()) {
      send(s, get("/slow"));
      assertThat(readAnswer(s)).startsWith("HTTP/1.1 200").endsWith("slow");
      send(s, get("/page"));
      assertThat(readAnswer(s)).endsWith("page");
    }
  }

  @Test
  void aStreamedAnswerLongerThanTheLimitIsSentInFullAndTheClockStartsAtItsEnd() throws Exception {
    for (String route : new String[] {"/stream", "/sized"}) {
      try (Socket s = connect()) {
        long t0 = System.nanoTime();
        send(s, get(route));
        String answer = readAnswer(s);
        long sentMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(sentMs).as(route).isGreaterThan(LIMIT.toMillis() * 2);
        if (route.equals("/stream")) {
          assertThat(answer).contains("chunk1\n").contains("chunk10\n");
        } else {
          assertThat(answer).endsWith("abc0abc1abc2abc3abc4abc5abc6abc7abc8abc9");
        }
        // The connection is still good after the long answer, and is then closed when idle.
        pageThenClosedWhenIdle(s, route);
      }
    }
  }

  @Test
  void aHeadOfAStreamedAnswerLeavesTheClockRunning() throws Exception {
    // The server sends no body for HEAD, so the body's stream is cancelled rather than sent.
    try (Socket s = connect()) {
      send(s, "HEAD /stream HTTP/1.1\r\nHost: localhost\r\n\r\n");
      InputStream in = s.getInputStream();
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
        int b = in.read();
        assertThat(b).as("closed in the head: " + head).isNotNegative();
        head.write(b);
      }
      assertThat(head.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200");
      long t0 = System.nanoTime();
      assertThat(msUntilClosed(s, t0)).isBetween(LIMIT.toMillis() / 2, LIMIT.toMillis() + 4000);
    }
  }

  @Test
  void aLimitThatIsNotPositiveIsRefused() {
    assertThatThrownBy(
            () ->
                ConnectionGuard.around(
                    org.apache.pekko.stream.javadsl.Flow.of(
                            org.apache.pekko.http.javadsl.model.HttpRequest.class)
                        .map(r -> HttpResponse.create()),
                    Duration.ZERO,
                    ConnectionGuard.AddressLimit.none()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("request header timeout");
  }

  /** A server on the same routes with its own address limit and a header timeout of 30 s. */
  static ServerBinding limited(ConnectionGuard.AddressLimit limit) throws Exception {
    return Http.get(system)
        .newServerAt("127.0.0.1", 0)
        .bindFlow(
            ConnectionGuard.around(
                path("page", () -> complete("page")).flow(system), Duration.ofSeconds(30), limit))
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  @Test
  void anAddressPastItsLimitIsRefusedAsItConnectsAndAdmittedAgainWhenOneCloses() throws Exception {
    var loopback = java.net.InetAddress.getByName("127.0.0.1");
    var limit = new ConnectionGuard.AddressLimit(3, a -> false);
    double refusedBefore = closed("per-address-limit");
    ServerBinding server = limited(limit);
    try {
      Socket[] held = {connect(server), connect(server), connect(server)};
      for (Socket s : held) {
        send(s, get("/page"));
        assertThat(readAnswer(s)).endsWith("page");
      }
      assertThat(limit.openFrom(loopback)).isEqualTo(3);
      try (Socket fourth = connect(server)) {
        send(fourth, get("/page"));
        long t0 = System.nanoTime();
        assertThat(msUntilClosed(fourth, t0)).as("closed at once, unanswered").isLessThan(3000);
      }
      assertThat(limit.refused()).isEqualTo(1);
      assertThat(closed("per-address-limit") - refusedBefore)
          .as("counted on /metrics")
          .isEqualTo(1);
      // The three kept-alive connections are still served.
      for (Socket s : held) {
        send(s, get("/page"));
        assertThat(readAnswer(s)).endsWith("page");
      }
      held[0].close();
      long until = System.nanoTime() + WAIT.toNanos();
      while (limit.openFrom(loopback) > 2 && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      assertThat(limit.openFrom(loopback)).as("the closed one is no longer counted").isEqualTo(2);
      try (Socket again = connect(server)) {
        send(again, get("/page"));
        assertThat(readAnswer(again)).endsWith("page");
      }
      held[1].close();
      held[2].close();
    } finally {
      server.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void anExemptAddressIsNotCounted() throws Exception {
    var limit = new ConnectionGuard.AddressLimit(1, a -> a.isLoopbackAddress());
    ServerBinding server = limited(limit);
    try {
      Socket[] held = {connect(server), connect(server), connect(server)};
      for (Socket s : held) {
        send(s, get("/page"));
        assertThat(readAnswer(s)).endsWith("page");
      }
      assertThat(limit.refused()).isZero();
      assertThat(limit.openFrom(java.net.InetAddress.getByName("127.0.0.1"))).isZero();
      for (Socket s : held) {
        s.close();
      }
    } finally {
      server.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aNegativeAddressLimitIsRefused() {
    assertThatThrownBy(() -> new ConnectionGuard.AddressLimit(-1, a -> false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("connections per address");
  }
}
