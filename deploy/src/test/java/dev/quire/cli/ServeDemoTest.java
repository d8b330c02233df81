package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quire serve --demo} on an empty data directory: {@code /healthz} says ready only once the
 * site it serves holds the demo. It once answered 200 for the empty site for about half a second,
 * while the demo was still being written. Run as {@code quire} runs it, in a JVM of its own.
 */
class ServeDemoTest {

  @Test
  void healthzIsReadyOnlyOnceTheDemoIsServed(@TempDir Path tmp) throws Exception {
    int port = EmbeddingRoleClusterTest.freePort();
    Process serve =
        TestJvm.serveDemo(
            tmp,
            port,
            Map.of("QUIRE_API_TOKEN", "demo-test-token", "QUIRE_EMBEDDING_ENABLED", "false"));
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      String base = "http://127.0.0.1:" + port;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (status(http, base + "/healthz") != 200) {
        assertThat(serve.isAlive()).as("serve exited early; see serve.log").isTrue();
        assertThat(System.nanoTime()).as("never ready").isLessThan(deadline);
        Thread.sleep(10);
      }
      // The first moment it says ready, the demo is there.
      assertThat(status(http, base + "/posts/welcome-to-quire/")).isEqualTo(200);
      assertThat(Files.readString(tmp.resolve("serve.log"))).contains("Demo content: ");
    } finally {
      serve.destroy();
      serve.waitFor(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void aTakenPortOrABadOneIsOneLineAndLeavesNoUnshownToken(@TempDir Path tmp) throws Exception {
    try (var taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Path data = tmp.resolve("data");
      Path logFile = tmp.resolve("serve.log");
      Process serve =
          TestJvm.quire(
              tmp,
              logFile,
              logFile,
              Map.of(),
              "serve",
              "--port",
              String.valueOf(taken.getLocalPort()),
              "--data",
              data.toString());
      assertThat(serve.waitFor(90, TimeUnit.SECONDS)).as("gave up").isTrue();
      String log = Files.readString(tmp.resolve("serve.log"));
      assertThat(serve.exitValue()).as(log).isEqualTo(1);
      assertThat(log)
          .contains("error: cannot serve HTTP: ")
          .contains(String.valueOf(taken.getLocalPort()))
          .doesNotContain("Created the API token")
          .doesNotContain("\tat ");
      assertThat(data.resolve("api-token")).as("no token that was never shown").doesNotExist();
    }
    Path badLog = tmp.resolve("bad.log");
    Process badPort =
        TestJvm.quire(
            tmp,
            badLog,
            badLog,
            Map.of(),
            "serve",
            "--port",
            "99999",
            "--data",
            tmp.resolve("d2").toString());
    assertThat(badPort.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(badPort.exitValue()).isEqualTo(2);
    assertThat(Files.readString(tmp.resolve("bad.log")))
        .isEqualTo("error: --port must be a port from 0 to 65535, was 99999\n");
    assertThat(tmp.resolve("d2")).as("refused before anything was written").doesNotExist();
  }

  private static int status(HttpClient http, String url) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception e) {
      return -1; // not listening yet
    }
  }
}
