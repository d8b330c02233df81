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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM while the embedding role is inside the model stops the node cleanly. ONNX Runtime frees
 * its environment from a JVM shutdown hook; when the node was also stopped from a hook, a running
 * inference crashed the JVM (SIGSEGV, exit 134, an hs_err file in the working directory) in about
 * half of the stops made while it embedded. Now TERM stops the node first and exits 0 (the JVM's
 * default for a TERM was 143, with or without the crash).
 */
class ServeStopTest {

  static final String TOKEN = "stop-test-token-0123456789";

  @Test
  void sigtermDuringEmbeddingExitsCleanly(@TempDir Path tmp) throws Exception {
    int port = EmbeddingRoleClusterTest.freePort();
    Process serve = TestJvm.serveDemo(tmp, port, Map.of("QUIRE_API_TOKEN", TOKEN));
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      String base = "http://127.0.0.1:" + port;
      // The demo is loaded and embedded once the index holds its published items.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (true) {
        assertThat(serve.isAlive()).as("serve exited early; see serve.log").isTrue();
        assertThat(System.nanoTime()).as("never embedded the demo").isLessThan(deadline);
        String status = get(http, base + "/api/v1/embeddings/status");
        if (status != null && status.matches(".*\"documents\":(1\\d|[2-9]\\d).*")) {
          break;
        }
        Thread.sleep(200);
      }
      // Re-embed everything, and stop while the model is running.
      HttpResponse<String> reindex =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/api/v1/embeddings/reindex"))
                  .header("Authorization", "Bearer " + TOKEN)
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(reindex.statusCode()).isEqualTo(202);
      Thread.sleep(300);
      serve.destroy(); // SIGTERM
      assertThat(serve.waitFor(60, TimeUnit.SECONDS)).as("stopped within a minute").isTrue();
      String log = Files.readString(tmp.resolve("serve.log"));
      assertThat(log).doesNotContain("A fatal error has been detected");
      // The read model's keep-alive pings once held the shard region's graceful shutdown until
      // its 10 s timeout (ContentProjection stops the pinger first).
      assertThat(log).doesNotContain("Graceful shutdown of shard region timed out");
      try (Stream<Path> files = Files.list(tmp)) {
        assertThat(files.map(p -> p.getFileName().toString()))
            .noneMatch(n -> n.startsWith("hs_err"));
      }
      assertThat(serve.exitValue()).as("exit code; see serve.log").isZero();
    } finally {
      serve.destroyForcibly();
    }
  }

  private static String get(HttpClient http, String url) {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(url))
                  .header("Authorization", "Bearer " + TOKEN)
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : null;
    } catch (Exception e) {
      return null; // not up yet
    }
  }
}
