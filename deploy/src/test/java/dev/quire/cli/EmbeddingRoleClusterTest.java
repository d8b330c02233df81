package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedding and crawler roles in their own JVMs: one process runs gateway + content (with the
 * demo site), a second only the embedding role, a third only the crawler role, joined over Pekko
 * Cluster. Semantic search through the first process's HTTP API is answered by the second; when the
 * second dies, the API says 503 and the pages still render.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EmbeddingRoleClusterTest {

  static final String TOKEN = "cluster-token-0123456789";
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir static Path tmp;
  static final List<Process> processes = new ArrayList<>();
  static Process site;
  static Process embedding;
  static Process crawler;
  static String base;

  @BeforeAll
  static void start() throws Exception {
    int http = freePort();
    int seedPort = freePort();
    int embeddingPort = freePort();
    base = "http://127.0.0.1:" + http;
    site =
        jvm(
            "site",
            "serve",
            "--demo",
            "--port",
            String.valueOf(http),
            "--data",
            tmp.resolve("site").toString(),
            "--roles",
            "gateway,content",
            "--cluster-port",
            String.valueOf(seedPort),
            "--seed",
            "127.0.0.1:" + seedPort);
    crawler =
        jvm(
            "crawler",
            "serve",
            "--data",
            tmp.resolve("crawler").toString(),
            "--roles",
            "crawler",
            "--cluster-port",
            String.valueOf(freePort()),
            "--seed",
            "127.0.0.1:" + seedPort);
    embedding =
        jvm(
            "embedding",
            "serve",
            "--data",
            tmp.resolve("embedding").toString(),
            "--roles",
            "embedding",
            "--cluster-port",
            String.valueOf(embeddingPort),
            "--seed",
            "127.0.0.1:" + seedPort);
  }

  @AfterAll
  static void stop() throws Exception {
    stopAll(processes);
  }

  /** Asks each node to stop (SIGTERM: a graceful leave), then kills what has not within 30 s. */
  static void stopAll(List<Process> processes) throws InterruptedException {
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  @Test
  @Order(1)
  void theEmbeddingNodeAnswersTheGatewaysQueries() throws Exception {
    // The site process has no embedding role: an answer can only come from the other JVM.
    await(
        () -> {
          var r = api("GET", "/api/v1/embeddings/status");
          return r.statusCode() == 200 && JSON.readTree(r.body()).get("documents").asLong() >= 10;
        },
        Duration.ofSeconds(120),
        "the embedding node indexed the demo site");
    // The index commits a page of the demo at a time, and the demo is written while it starts:
    // ten documents need not include the one asked for below yet.
    await(
        () ->
            JSON.readTree(
                    api("GET", "/api/v1/search/semantic?q=moving+my+old+WordPress+blog&k=3").body())
                .at("/items/0/slug")
                .asText()
                .equals("moving-from-wordpress"),
        Duration.ofSeconds(60),
        "the embedding node indexed the post asked for");
    JsonNode hits =
        JSON.readTree(
            api("GET", "/api/v1/search/semantic?q=moving+my+old+WordPress+blog&k=3").body());
    assertThat(hits.at("/items/0/slug").asText()).isEqualTo("moving-from-wordpress");
    assertThat(hits.get("model").asText()).isEqualTo("all-minilm-l6-v2-q");

    // The post page of the gateway shows related posts fetched from the embedding JVM.
    await(
        () -> get("/posts/fast-pages/").body().contains("class=\"related\""),
        Duration.ofSeconds(20),
        "related posts on a post page");
  }

  @Test
  @Order(2)
  void theCommandLineShowsStatusAndReindexesThroughTheServer() throws Exception {
    var status = runCli("embeddings", "status", "--server", base, "--token", TOKEN);
    assertThat(status.code).as(status.err).isZero();
    assertThat(status.out).contains("model        all-minilm-l6-v2-q").contains("documents");

    var reindex = runCli("embeddings", "reindex", "--server", base, "--token", TOKEN);
    assertThat(reindex.code).as(reindex.err).isZero();
    // Every published demo item (posts and pages) is embedded again.
    long documents =
        JSON.readTree(api("GET", "/api/v1/embeddings/status").body()).get("documents").asLong();
    assertThat(reindex.out).matches("(?s)Re-embedded " + documents + " item\\(s\\) in .*");

    var badToken = runCli("embeddings", "status", "--server", base, "--token", "wrong");
    assertThat(badToken.code).isEqualTo(1);
    assertThat(badToken.err).contains("401");
  }

  @Test
  @Order(3)
  void whenTheEmbeddingNodeDiesTheApiSays503AndPagesStillRender() throws Exception {
    new ProcessBuilder("kill", "-9", String.valueOf(embedding.pid())).start().waitFor();
    assertThat(embedding.waitFor(30, TimeUnit.SECONDS)).isTrue();
    // ONNX Runtime's libraries (20 MB) were loaded from under the node's data directory, so the
    // kill left no copy of them in its temporary directory (it did in /tmp before 2026-12-05).
    try (var files = Files.walk(tmp.resolve("embedding-tmp"))) {
      assertThat(files.filter(Files::isRegularFile).toList()).isEmpty();
    }
    try (var files = Files.walk(tmp.resolve("embedding").resolve("embeddings"))) {
      assertThat(files.map(p -> p.getFileName().toString()).toList())
          .contains(System.mapLibraryName("onnxruntime"));
    }
    var r = api("GET", "/api/v1/search/semantic?q=anything");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(JSON.readTree(r.body()).at("/error/message").asText()).contains("embedding");
    assertThat(get("/posts/search-that-understands/").statusCode()).isEqualTo(200);
    assertThat(get("/").statusCode()).isEqualTo(200);
  }

  @Test
  @Order(4)
  void theCrawlerRoleInItsOwnJvmRunsTheSiteAuditAskedOfTheGateway() throws Exception {
    // The site process has no crawler role. The site's base URL (QUIRE_BASE_URL, set for every
    // node in jvm()) is the one private origin the crawler may reach without configuration.
    String site = base.replace("127.0.0.1", "localhost") + "/";
    String[] id = new String[1];
    await(
        () -> {
          var r = post("/api/v1/crawls", "{\"url\": \"" + site + "\", \"maxPages\": 30}");
          if (r.statusCode() == 202) {
            id[0] = JSON.readTree(r.body()).get("id").asText();
          }
          return id[0] != null;
        },
        Duration.ofSeconds(60),
        "the crawler node took the job");
    JsonNode[] job = new JsonNode[1];
    await(
        () -> {
          job[0] = JSON.readTree(api("GET", "/api/v1/crawls/" + id[0]).body());
          return "finished".equals(job[0].path("state").asText());
        },
        Duration.ofSeconds(90),
        "the crawl finished");
    assertThat(job[0].at("/report/pages").asInt()).isGreaterThanOrEqualTo(10);
    assertThat(job[0].at("/report/start").asText()).isEqualTo(site);

    crawler.destroyForcibly();
    assertThat(crawler.waitFor(30, TimeUnit.SECONDS)).isTrue();
    var gone = post("/api/v1/crawls", "{}");
    assertThat(gone.statusCode()).isEqualTo(503);
    assertThat(get("/").statusCode()).isEqualTo(200);
  }

  static HttpResponse<String> post(String path, String body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Authorization", "Bearer " + TOKEN)
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  // ---- helpers ----

  record Cli(int code, String out, String err) {}

  static Cli runCli(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    var o = new ByteArrayOutputStream();
    var e = new ByteArrayOutputStream();
    System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
    try {
      int code = Main.run(args);
      return new Cli(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  static Process jvm(String name, String... args) throws IOException {
    List<String> cmd =
        TestJvm.command(
            "384m",
            // Two nodes: keep the oldest (the site, which starts first) when the other one dies,
            // rather than keep-majority's tie-break on the lower address.
            List.of(
                "-Dpekko.cluster.split-brain-resolver.active-strategy=keep-oldest",
                "-Dpekko.cluster.split-brain-resolver.keep-oldest.down-if-alone=off",
                // A temporary directory per node, to see what a killed node leaves in it.
                "-Djava.io.tmpdir=" + Files.createDirectories(tmp.resolve(name + "-tmp"))),
            Main.class,
            List.of(args));
    Path log = tmp.resolve(name + ".log");
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("QUIRE_API_TOKEN", TOKEN);
    // The site's address as every node knows it; the crawler may reach it (and no other port).
    pb.environment().put("QUIRE_BASE_URL", base.replace("127.0.0.1", "localhost"));
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  private static final java.util.Set<Integer> HANDED_OUT =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * A port free now, below the kernel's ephemeral range: ServerSocket(0) hands out a port from that
   * range, which a node's outgoing connection (remoting, JDBC) could take before the process the
   * port is meant for binds it. That happened once in a full suite run: the gateway of
   * ContentFailoverClusterTest found its port in use. Never the same port twice in one run.
   */
  static int freePort() throws IOException {
    int below = 32768;
    try {
      // readAllLines, not readString: readString gave "3" for this /proc file on JDK 17.
      String range =
          java.nio.file.Files.readAllLines(
                  java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
              .get(0)
              .trim();
      below = Integer.parseInt(range.split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      // not Linux: the usual lower bound of the ephemeral range
    }
    if (below < 4096) {
      below = 32768; // a range that leaves no room below it: the usual bound
    }
    int from = Math.max(1024, below - 12_000);
    java.util.Random random = new java.util.Random();
    for (int attempt = 0; attempt < 200; attempt++) {
      int port = from + random.nextInt(below - from);
      if (HANDED_OUT.contains(port)) {
        continue;
      }
      try (ServerSocket s = new ServerSocket(port)) {
        HANDED_OUT.add(port);
        return s.getLocalPort();
      } catch (IOException taken) {
        // try another
      }
    }
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static HttpResponse<String> api(String method, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Authorization", "Bearer " + TOKEN)
            .timeout(Duration.ofSeconds(10))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  interface Check {
    boolean ok() throws Exception;
  }

  static void await(Check check, Duration within, String what) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      try {
        if (check.ok()) {
          return;
        }
      } catch (IOException notYet) {
        // the process is still starting
      }
      for (Process p : processes) {
        if (!p.isAlive() && p != embedding && p != crawler) {
          throw new AssertionError("a node died; see its log in " + tmp);
        }
      }
      if (System.nanoTime() > deadline) {
        String logs = "";
        for (String n : List.of("site", "embedding", "crawler")) {
          Path log = tmp.resolve(n + ".log");
          if (Files.exists(log)) {
            String text = Files.readString(log);
            logs +=
                "\n--- "
                    + n
                    + ".log (tail) ---\n"
                    + text.substring(Math.max(0, text.length() - 3000));
          }
        }
        throw new AssertionError(what + ": not true within " + within + logs);
      }
      Thread.sleep(200);
    }
  }
}
