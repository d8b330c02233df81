package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * After {@code kill -9}, the restarted site shows a publish as promptly as ever. H2 hands out the
 * journal's ordering values in blocks (quire.db.h2-ordering-cache), so a crash leaves a gap of
 * unused values, and the read journal waited for them: for 10 s after every start of a site that
 * had ever crashed (or had a write fail), and then 10 s more for the gap of the crash, a published
 * post took ~14 s to appear. Now a gap that no open journal write can fill is given up at once.
 */
class CrashRestartPublishTest {

  static final String TOKEN = "crash-restart-token-0123456789";

  /**
   * The site promises a publish within 1 s; the library's wait for a gap is 10 s, ~14 s here before
   * the fix. Room for a loaded machine between the two.
   */
  static final Duration VISIBLE_WITHIN = Duration.ofSeconds(5);

  @Test
  void aPostPublishedRightAfterARestartFromKillNineShowsPromptly(@TempDir Path tmp)
      throws Exception {
    int port = EmbeddingRoleClusterTest.freePort();
    Map<String, String> env = Map.of("QUIRE_API_TOKEN", TOKEN, "QUIRE_EMBEDDING_ENABLED", "false");
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    String base = "http://127.0.0.1:" + port;
    Path data = tmp.resolve("data");

    Process first = TestJvm.serveDemo(tmp, port, env);
    try {
      awaitHealthy(http, base, first, "serve.log");
      // The demo's items are in the journal; one more write right before the crash.
      createAndPublish(http, base, "before-the-crash");
    } finally {
      new ProcessBuilder("kill", "-9", String.valueOf(first.pid())).start().waitFor();
      first.waitFor(30, TimeUnit.SECONDS);
    }
    assertThat(first.exitValue()).as("killed by signal 9").isEqualTo(137);
    long beforeRestart = query(data, "SELECT MAX(\"ordering\") FROM \"event_journal\"");

    Path log = tmp.resolve("restart.log");
    Process second =
        TestJvm.quire(
            tmp, log, log, env, "serve", "--port", String.valueOf(port), "--data", data.toString());
    Duration took;
    try {
      awaitHealthy(http, base, second, "restart.log");
      long published = createAndPublish(http, base, "after-the-crash");
      long deadline = published + TimeUnit.SECONDS.toNanos(60);
      while (ServeDemoTest.status(http, base + "/posts/after-the-crash/") != 200) {
        assertThat(System.nanoTime()).as("the post never showed").isLessThan(deadline);
        Thread.sleep(20);
      }
      took = Duration.ofNanos(System.nanoTime() - published);
      assertThat(ServeDemoTest.status(http, base + "/posts/before-the-crash/")).isEqualTo(200);
    } finally {
      second.destroy();
      assertThat(second.waitFor(60, TimeUnit.SECONDS)).as("stopped; see restart.log").isTrue();
    }

    // What the test relies on: the crash left values unused right above the last event before it.
    long firstAfter =
        query(
            data,
            "SELECT MIN(\"ordering\") FROM \"event_journal\" WHERE \"ordering\" > "
                + beforeRestart);
    assertThat(firstAfter)
        .as(
            "the first ordering value written after the restart (the last before: %d)",
            beforeRestart)
        .isGreaterThan(beforeRestart + 1);
    System.out.printf("after kill -9 and a restart: a publish showed in %d ms%n", took.toMillis());
    assertThat(took).as("publish to page after the restart").isLessThan(VISIBLE_WITHIN);
  }

  /** One number from the stopped site's H2 database in {@code data}. */
  static long query(Path data, String sql) throws Exception {
    try (Connection c =
            DriverManager.getConnection("jdbc:h2:file:" + data.resolve("quire"), "quire", "");
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static void awaitHealthy(HttpClient http, String base, Process serve, String log)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (ServeDemoTest.status(http, base + "/healthz") != 200) {
      assertThat(serve.isAlive()).as("serve exited early; see %s", log).isTrue();
      assertThat(System.nanoTime()).as("never healthy; see %s", log).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  /** Creates a post with {@code slug} and publishes it; returns when the publish was answered. */
  static long createAndPublish(HttpClient http, String base, String slug) throws Exception {
    HttpResponse<String> created =
        api(
            http,
            base + "/api/v1/content",
            "{\"kind\":\"post\",\"title\":\""
                + slug
                + "\",\"slug\":\""
                + slug
                + "\","
                + "\"body\":\"Written around a crash.\"}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    Matcher id = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"").matcher(created.body());
    assertThat(id.find()).as(created.body()).isTrue();
    HttpResponse<String> published =
        api(http, base + "/api/v1/content/" + id.group(1) + "/publish", "{\"revision\":1}");
    long at = System.nanoTime();
    assertThat(published.statusCode()).as(published.body()).isEqualTo(200);
    return at;
  }

  static HttpResponse<String> api(HttpClient http, String url, String json) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Authorization", "Bearer " + TOKEN)
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
