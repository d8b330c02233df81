package dev.quire.cli;

import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentQuery;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.ReadItem;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The write benchmark behind {@code bench/writes.sh}: acknowledged edits per second through the
 * sharded Content entities on the configured database. Every edit carries the revision it read, so
 * each one is a real optimistic-concurrency edit, and an ack means the event is in the journal.
 * Then how long, from the same start, until the read model holds every edit: the projection runs
 * beside the writes on the same cores and database, and trails them.
 *
 * <p>Usage: {@code java -cp quire.jar dev.quire.cli.BenchWrites DATA_DIR ITEMS EDITS IN_FLIGHT
 * [WARMUP]} (warm-up edits default to half the measured ones).
 */
public final class BenchWrites {

  public static void main(String[] args) throws Exception {
    CommonPool.ensureParallel();
    String data = args[0];
    int items = Integer.parseInt(args[1]);
    int edits = Integer.parseInt(args[2]);
    int inFlight = Integer.parseInt(args[3]);
    int warmup = args.length > 4 ? Integer.parseInt(args[4]) : edits / 2;
    var config = QuireNode.config(Map.of("quire.data-dir", data));
    try (QuireNode node = QuireNode.start(config, false, System.err)) {
      LocalTarget target = new LocalTarget(node.system(), Duration.ofSeconds(60), "bench");
      // Create the items (not measured).
      Semaphore gate = new Semaphore(inFlight);
      List<CompletableFuture<ContentSnapshot>> created = new ArrayList<>();
      for (int i = 0; i < items; i++) {
        gate.acquire();
        var f = target.create(ContentKind.POST, fields(i, 0)).toCompletableFuture();
        f.whenComplete((s, e) -> gate.release());
        created.add(f);
      }
      ArrayDeque<ContentSnapshot> idle = new ArrayDeque<>();
      for (var f : created) {
        idle.add(f.get());
      }
      // Warm-up (not measured): the same edits for a while first, so the JIT has compiled the
      // write path and the figure is the steady state rather than C2 at work.
      runEdits(target, idle, warmup, inFlight, 0, new long[warmup], new AtomicLong());
      // Edits: at most one in flight per item (each carries the revision it read).
      long[] latencies = new long[edits];
      AtomicLong failures = new AtomicLong();
      // The measured edits start with the read model holding the warm-up's, so that what it
      // does meanwhile is for the measured edits alone.
      awaitReadModel(target, idle);
      long jit0 = compileMillis();
      long gc0 = gcMillis();
      long start = System.nanoTime();
      runEdits(target, idle, edits, inFlight, warmup, latencies, failures);
      double seconds = (System.nanoTime() - start) / 1e9;
      // What the JIT compilers and the collector took of the measured edits' wall time: a JIT
      // still at work means the figure is not yet the steady state. The collector's is its pause
      // time (as cores for the serial collector, which pauses on one thread; G1's pauses use
      // more, and its concurrent work is not counted).
      double jitShare = (compileMillis() - jit0) / 1e3 / seconds;
      double gcShare = (gcMillis() - gc0) / 1e3 / seconds;
      // The projection trails the journal, and shares the cores and the database with the
      // writes: how long until the read model (what the site is built from) holds every edit.
      awaitReadModel(target, idle);
      double toReadModel = (System.nanoTime() - start) / 1e9;
      Arrays.sort(latencies);
      System.out.printf(
          "edits=%d items=%d in_flight=%d seconds=%.2f edits_per_s=%.0f p50_ms=%.1f p99_ms=%.1f"
              + " failed=%d read_model_s=%.2f edits_per_s_read_model=%.0f jit_share=%.2f"
              + " gc_share=%.2f%n",
          edits,
          items,
          inFlight,
          seconds,
          edits / seconds,
          latencies[edits / 2] / 1e6,
          latencies[(int) (edits * 0.99)] / 1e6,
          failures.get(),
          toReadModel,
          edits / toReadModel,
          jitShare,
          gcShare);
    }
  }

  /** Milliseconds the JIT compilers have spent so far, summed over their threads. */
  private static long compileMillis() {
    var jit = ManagementFactory.getCompilationMXBean();
    return jit != null && jit.isCompilationTimeMonitoringSupported()
        ? jit.getTotalCompilationTime()
        : 0;
  }

  /** Milliseconds of garbage collection so far, over every collector. */
  private static long gcMillis() {
    return ManagementFactory.getGarbageCollectorMXBeans().stream()
        .mapToLong(GarbageCollectorMXBean::getCollectionTime)
        .filter(t -> t > 0)
        .sum();
  }

  private static final Duration READ_MODEL_WAIT = Duration.ofMinutes(5);
  private static final Duration READ_MODEL_POLL = Duration.ofMillis(20);
  private static final int READ_MODEL_PAGE = 500;

  /** Waits until the read model has every item at the revision its last edit returned. */
  private static void awaitReadModel(LocalTarget target, ArrayDeque<ContentSnapshot> items)
      throws Exception {
    Map<String, Long> expected = new HashMap<>();
    items.forEach(c -> expected.put(c.id(), c.revision()));
    long deadline = System.nanoTime() + READ_MODEL_WAIT.toNanos();
    while (!readModelHas(target, expected)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the read model did not catch up in " + READ_MODEL_WAIT);
      }
      Thread.sleep(READ_MODEL_POLL.toMillis());
    }
  }

  /** Whether the read model has every item at (at least) the revision its last edit returned. */
  private static boolean readModelHas(LocalTarget target, Map<String, Long> expected)
      throws Exception {
    int seen = 0;
    for (int page = 1; seen < expected.size(); page++) {
      ContentQuery.Page p = target.readModelPage(page, READ_MODEL_PAGE).toCompletableFuture().get();
      if (p.items().isEmpty()) {
        return false;
      }
      for (ReadItem item : p.items()) {
        Long want = expected.get(item.id());
        if (want != null) {
          if (item.revision() < want) {
            return false;
          }
          seen++;
        }
      }
    }
    return true;
  }

  /** Runs {@code edits} edits with at most {@code inFlight} outstanding; returns when all acked. */
  private static void runEdits(
      LocalTarget target,
      ArrayDeque<ContentSnapshot> idle,
      int edits,
      int inFlight,
      int versionBase,
      long[] latencies,
      AtomicLong failures)
      throws InterruptedException {
    Semaphore slots = new Semaphore(inFlight);
    for (int n = 0; n < edits; n++) {
      slots.acquire();
      ContentSnapshot s;
      synchronized (idle) {
        s = idle.poll();
      }
      int index = n;
      long t0 = System.nanoTime();
      target
          .edit(
              s.id(),
              s.revision(),
              fields(Integer.parseInt(s.fields().slug().substring(6)), versionBase + n + 1))
          .whenComplete(
              (next, e) -> {
                latencies[index] = System.nanoTime() - t0;
                synchronized (idle) {
                  idle.add(e == null ? next : s);
                }
                if (e != null) {
                  failures.incrementAndGet();
                }
                slots.release();
              });
    }
    slots.acquire(inFlight);
  }

  private static ContentFields fields(int item, int version) {
    return new ContentFields(
        "Bench item " + item,
        "bench-" + item,
        "Version " + version + " of the body.",
        "",
        List.of("bench"),
        "",
        "",
        null,
        "");
  }
}
