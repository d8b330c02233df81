package dev.quire.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client side of {@code bench/cluster.sh}, over the site's JSON API as an editor's tools would
 * use it (through nginx and a gateway to the content nodes on PostgreSQL):
 *
 * <ul>
 *   <li>{@code writes URL TOKEN ITEMS SECONDS CLIENTS}: acknowledged edits per second, each client
 *       editing its own items with the revision it read (no conflicts), with p50/p99 latency;
 *   <li>{@code failover URL TOKEN ITEMS PID}: edits every item in turn, kills process PID with
 *       SIGKILL after 5 s, and reports when the items whose writes failed (their entities were on
 *       the killed node) took a write again.
 * </ul>
 */
public final class BenchCluster {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  private BenchCluster() {}

  public static void main(String[] args) throws Exception {
    CommonPool.ensureParallel();
    if (args.length < 4) {
      System.err.println(
          "usage: BenchCluster writes URL TOKEN ITEMS SECONDS CLIENTS | failover URL TOKEN ITEMS"
              + " PID");
      System.exit(2);
    }
    String url = args[1];
    String token = args[2];
    int items = Integer.parseInt(args[3]);
    List<String> ids = create(url, token, items);
    Map<String, Long> revision = new ConcurrentHashMap<>();
    ids.forEach(id -> revision.put(id, 1L));
    switch (args[0]) {
      case "writes" ->
          writes(url, token, ids, revision, Integer.parseInt(args[4]), Integer.parseInt(args[5]));
      case "failover" -> failover(url, token, ids, revision, Long.parseLong(args[4]));
      default -> throw new IllegalArgumentException("unknown mode " + args[0]);
    }
  }

  private static HttpResponse<String> call(
      String url, String token, String method, String path, String body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url + path))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static List<String> create(String url, String token, int items) throws Exception {
    List<String> ids = new ArrayList<>();
    // Titles (and so slugs) unique to this run: a second run on the same site must not collide.
    String run = Long.toString(System.currentTimeMillis(), 36);
    for (int i = 0; i < items; i++) {
      var r =
          call(
              url,
              token,
              "POST",
              "/api/v1/content",
              "{\"kind\": \"post\", \"title\": \"Cluster bench " + run + " " + i + "\"}");
      if (r.statusCode() != 201) {
        throw new IllegalStateException("creating an item: " + r.statusCode() + " " + r.body());
      }
      ids.add(JSON.readTree(r.body()).get("id").asText());
    }
    return ids;
  }

  /** One edit; the new revision, or -1 when it was refused (the status is counted). */
  private static long edit(
      String url, String token, String id, long rev, Map<Integer, AtomicInteger> refused) {
    try {
      var r =
          call(
              url,
              token,
              "PUT",
              "/api/v1/content/" + id,
              "{\"revision\": " + rev + ", \"title\": \"Edit " + (rev + 1) + "\"}");
      if (r.statusCode() == 200) {
        return JSON.readTree(r.body()).get("revision").asLong();
      }
      refused.computeIfAbsent(r.statusCode(), s -> new AtomicInteger()).incrementAndGet();
      if (r.statusCode() == 409) {
        var g = call(url, token, "GET", "/api/v1/content/" + id, null);
        return g.statusCode() == 200 ? -JSON.readTree(g.body()).get("revision").asLong() - 1 : -1;
      }
    } catch (Exception e) {
      refused.computeIfAbsent(0, s -> new AtomicInteger()).incrementAndGet();
    }
    return -1;
  }

  private static void writes(
      String url, String token, List<String> ids, Map<String, Long> revision, int seconds, int n)
      throws Exception {
    Map<Integer, AtomicInteger> refused = new ConcurrentHashMap<>();
    AtomicBoolean measuring = new AtomicBoolean(false);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong acked = new AtomicLong();
    long[][] latencies = new long[n][];
    int[] counts = new int[n];
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < n; c++) {
      int me = c;
      latencies[me] = new long[1 << 20];
      Thread t =
          new Thread(
              () -> {
                while (running.get()) {
                  for (int i = me; i < ids.size() && running.get(); i += n) {
                    String id = ids.get(i);
                    long t0 = System.nanoTime();
                    long now = edit(url, token, id, revision.get(id), refused);
                    if (now > 0) {
                      revision.put(id, now);
                      if (measuring.get()) {
                        acked.incrementAndGet();
                        if (counts[me] < latencies[me].length) {
                          latencies[me][counts[me]++] = System.nanoTime() - t0;
                        }
                      }
                    } else if (now < -1) {
                      revision.put(id, -now - 1);
                    }
                  }
                }
              });
      t.start();
      threads.add(t);
    }
    Thread.sleep(TimeUnit.SECONDS.toMillis(Math.max(3, seconds / 3))); // warm-up
    refused.clear();
    measuring.set(true);
    long t0 = System.nanoTime();
    Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
    measuring.set(false);
    double elapsed = (System.nanoTime() - t0) / 1e9;
    running.set(false);
    for (Thread t : threads) {
      t.join();
    }
    long[] all = new long[Arrays.stream(counts).sum()];
    int k = 0;
    for (int c = 0; c < n; c++) {
      System.arraycopy(latencies[c], 0, all, k, counts[c]);
      k += counts[c];
    }
    Arrays.sort(all);
    System.out.printf(
        "writes clients=%d items=%d edits/s=%.0f p50_ms=%.1f p99_ms=%.1f refused=%s%n",
        n,
        ids.size(),
        acked.get() / elapsed,
        all.length == 0 ? 0 : all[all.length / 2] / 1e6,
        all.length == 0 ? 0 : all[(int) (all.length * 0.99)] / 1e6,
        refused);
  }

  private static void failover(
      String url, String token, List<String> ids, Map<String, Long> revision, long pid)
      throws Exception {
    Map<Integer, AtomicInteger> refused = new ConcurrentHashMap<>();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong killedAt = new AtomicLong();
    Set<String> failedAfterKill = ConcurrentHashMap.newKeySet();
    // Each item's first write after the kill; for an item refused after the kill, its first write
    // after that refusal (a write that came before it does not count as the item's return: one
    // run counted a moved item back 6 ms after the kill that way).
    Map<String, Long> resumedAfter = new ConcurrentHashMap<>();
    int writers = 4;
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int me = w;
      Thread t =
          new Thread(
              () -> {
                while (running.get()) {
                  for (int i = me; i < ids.size() && running.get(); i += writers) {
                    String id = ids.get(i);
                    long now = edit(url, token, id, revision.get(id), refused);
                    long k = killedAt.get();
                    if (now > 0) {
                      revision.put(id, now);
                      if (k != 0
                          && resumedAfter.putIfAbsent(id, System.nanoTime() - k) == null
                          && failedAfterKill.contains(id)) {
                        System.err.println(
                            "moved item " + id + " written again at " + java.time.Instant.now());
                      }
                    } else if (now < -1) {
                      revision.put(id, -now - 1);
                    } else if (k != 0 && failedAfterKill.add(id)) {
                      // Refused after the kill: it is back at its next write, not an earlier one.
                      resumedAfter.remove(id);
                    }
                  }
                }
              });
      t.start();
      threads.add(t);
    }
    Thread.sleep(5_000);
    refused.clear();
    ProcessHandle victim =
        ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("no process " + pid));
    killedAt.set(System.nanoTime());
    victim.destroyForcibly();
    // For lining the nodes' logs up with the kill.
    System.err.println("killed " + pid + " at " + java.time.Instant.now());
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (resumedAfter.size() < ids.size() && System.nanoTime() < until) {
      Thread.sleep(100);
    }
    running.set(false);
    for (Thread t : threads) {
      t.join();
    }
    long first =
        failedAfterKill.stream()
            .filter(resumedAfter::containsKey)
            .mapToLong(resumedAfter::get)
            .min()
            .orElse(-1);
    long last = resumedAfter.values().stream().mapToLong(Long::longValue).max().orElse(-1);
    System.out.printf(
        "failover items=%d moved=%d first_moved_write_ms=%d all_items_ms=%d resumed=%d"
            + " refused=%s%n",
        ids.size(),
        failedAfterKill.size(),
        first < 0 ? -1 : first / 1_000_000,
        last < 0 ? -1 : last / 1_000_000,
        resumedAfter.size(),
        refused);
  }
}
