package dev.quire.gateway.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The imports' bookkeeping across gateways that share the backups directory: what one gateway runs,
 * another answers for from its file, while it runs and once it ended; a job whose gateway stopped
 * mid-way shows failed; only the newest are kept. The import itself is a function here (a job that
 * reports progress, then a summary): {@link BundleImport} against a real site is tested end to end
 * in deploy's {@code ImportEndToEndTest}; this tests what {@link Imports} adds to it. The site's
 * import slot is the real {@link ImportLease} behaviour, as one plain actor instead of the sharded
 * entity it is on a gateway (the ask, the answers and the messages' serialization are the same).
 */
class ImportsTest {

  static final ActorTestKit KIT = ActorTestKit.create("imports-test");

  @TempDir Path tmp;
  final ExecutorService pool = Executors.newFixedThreadPool(3);

  /** The site's import slot, one per test, shared by the gateways a test makes. */
  ActorRef<ImportLease.Command> site;

  @BeforeEach
  void slotPerTest() {
    site = KIT.spawn(ImportLease.create(Duration.ofMinutes(10), Clock.systemUTC()));
  }

  Imports.Lease slot(String gateway) {
    return ImportLease.lease(KIT.system(), site, gateway, Duration.ofSeconds(5));
  }

  /** A gateway's imports: {@code runner} on the test's pool, the site's slot as {@code gateway}. */
  Imports imports(Imports.Runner runner, int remembered, Path dir, String gateway) {
    return new Imports(Clock.systemUTC(), pool, runner, remembered, dir, slot(gateway));
  }

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  @AfterAll
  static void stopKit() {
    KIT.shutdownTestKit();
  }

  static BundleImport.Summary summary(long created) {
    return new BundleImport.Summary(
        created, 0, 0, 0, 0, 0, 0, 0, 0, "profile unchanged", List.of("a note"), List.of());
  }

  @Test
  void anotherGatewaySharingTheDirectoryFollowsAnImportWhileItRunsAndOnceItEnded()
      throws Exception {
    Path dir = tmp.resolve("imports");
    CountDownLatch midway = new CountDownLatch(1);
    CountDownLatch go = new CountDownLatch(1);
    Imports one =
        imports(
            (file, policy, users, by, progress, writing) -> {
              progress.at("items", 3, 10);
              midway.countDown();
              go.await(10, TimeUnit.SECONDS);
              writing.run();
              return summary(10);
            },
            20,
            dir,
            "gateway-one");
    Imports two = imports((f, p, u, b, pr, w) -> summary(0), 20, dir, "gateway-two");

    Imports.Job job =
        one.start(
                tmp.resolve("b.quire"),
                false,
                "upload b.quire",
                BundleImport.Policy.SKIP,
                true,
                "ann")
            .orElseThrow();
    assertThat(midway.await(10, TimeUnit.SECONDS)).isTrue();
    // The progress is written at most once a second; the start at once.
    Imports.Job seen = two.get(job.id()).orElseThrow();
    assertThat(seen.state()).isEqualTo("running");
    assertThat(seen.source()).isEqualTo("upload b.quire");
    assertThat(seen.policy()).isEqualTo(BundleImport.Policy.SKIP);
    assertThat(seen.users()).isTrue();
    assertThat(two.running()).as("another gateway's import does not keep this one busy").isEmpty();

    go.countDown();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (two.get(job.id()).orElseThrow().running() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    Imports.Job ended = two.get(job.id()).orElseThrow();
    assertThat(ended.state()).isEqualTo("complete");
    assertThat(ended.summary().created()).isEqualTo(10);
    assertThat(ended.summary().notes()).containsExactly("a note");
    assertThat(ended.wrote()).isTrue();
    assertThat(ended.by()).isEqualTo("ann");
    assertThat(two.list()).extracting(Imports.Job::id).containsExactly(job.id());
    assertThat(two.get("import-../../etc")).isEmpty();
  }

  /**
   * Two gateways that share nothing but the cluster (two directories here): while one imports, the
   * other's import ends refused, naming it, without having planned or written anything; once the
   * first has ended, the second runs.
   */
  @Test
  void oneImportAtATimeForTheWholeSiteWhicheverGatewayRunsIt() throws Exception {
    CountDownLatch midway = new CountDownLatch(1);
    CountDownLatch go = new CountDownLatch(1);
    Imports one =
        imports(
            (file, policy, users, by, progress, writing) -> {
              progress.at("items", 1, 2);
              midway.countDown();
              go.await(10, TimeUnit.SECONDS);
              return summary(2);
            },
            20,
            tmp.resolve("one"),
            "10.0.0.1:25520");
    java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
    Imports two =
        imports(
            (f, p, u, b, pr, w) -> {
              ran.incrementAndGet();
              return summary(1);
            },
            20,
            tmp.resolve("two"),
            "10.0.0.2:25520");
    Imports.Job first =
        one.start(tmp.resolve("a.quire"), false, "a", BundleImport.Policy.SKIP, false, "ann")
            .orElseThrow();
    assertThat(midway.await(10, TimeUnit.SECONDS)).isTrue();

    Imports.Job second =
        two.start(tmp.resolve("b.quire"), false, "b", BundleImport.Policy.SKIP, false, "bob")
            .orElseThrow();
    Imports.Job refused = awaitEnd(two, second.id());
    assertThat(refused.state()).isEqualTo("refused");
    assertThat(refused.wrote()).isFalse();
    assertThat(refused.reasons())
        .singleElement()
        .asString()
        .contains("another import runs on this site: " + first.id())
        .contains("10.0.0.1:25520");
    assertThat(ran.get()).as("the refused import never planned").isZero();
    assertThat(one.get(first.id()).orElseThrow().running()).isTrue();

    go.countDown();
    assertThat(awaitEnd(one, first.id()).state()).isEqualTo("complete");
    Imports.Job third =
        two.start(tmp.resolve("b.quire"), false, "b", BundleImport.Policy.SKIP, false, "bob")
            .orElseThrow();
    assertThat(awaitEnd(two, third.id()).state()).isEqualTo("complete");
    assertThat(ran.get()).isEqualTo(1);
  }

  static Imports.Job awaitEnd(Imports imports, String id) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    Imports.Job j = imports.get(id).orElseThrow();
    while (j.running() && System.nanoTime() < deadline) {
      Thread.sleep(10);
      j = imports.get(id).orElseThrow();
    }
    return j;
  }

  /**
   * The slot itself, on a clock the test moves: its holder keeps it while it reports, takes it
   * again at will, and loses it once it has not reported for the hold (its gateway stopped); a late
   * "given" from an import that lost it does not free it for the next.
   */
  @Test
  void theSlotIsKeptWhileItsHolderReportsAndFreedOnceItStopsForTheHold() {
    var clock = new dev.quire.gateway.MovableClock(Instant.parse("2026-12-06T10:00:00Z"));
    var slot = KIT.spawn(ImportLease.create(Duration.ofMinutes(10), clock));
    var lease = ImportLease.lease(KIT.system(), slot, "g1", Duration.ofSeconds(5));
    var other = ImportLease.lease(KIT.system(), slot, "g2", Duration.ofSeconds(5));
    try {
      Instant start = clock.now;
      assertThat(lease.take("import-a")).isEmpty();
      assertThat(lease.take("import-a")).as("its own again").isEmpty();
      ImportLease.Holder held = other.take("import-b").orElseThrow();
      assertThat(held.importId()).isEqualTo("import-a");
      assertThat(held.gateway()).isEqualTo("g1");
      assertThat(held.since()).isEqualTo(start);
      assertThat(held.until()).isEqualTo(start.plus(Duration.ofMinutes(10)));

      clock.now = start.plus(Duration.ofMinutes(8));
      lease.keep("import-a");
      // (Asked after the keep, from the same thread: the slot has taken the keep at minute 8.)
      assertThat(other.take("import-b")).isPresent();
      clock.now = start.plus(Duration.ofMinutes(17));
      assertThat(other.take("import-b")).as("kept at minute 8").isPresent();
      clock.now = start.plus(Duration.ofMinutes(18).plusSeconds(1));
      assertThat(other.take("import-b")).as("not kept for the hold").isEmpty();

      lease.give("import-a"); // late: it is no longer a's to give
      assertThat(lease.take("import-c").orElseThrow().importId()).isEqualTo("import-b");
      other.give("import-b");
      assertThat(lease.take("import-c")).isEmpty();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void theSlotsMessagesCrossTheClusterAsTheSameValues() {
    var s = new org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit(KIT.system());
    var probe = KIT.<ImportLease.Taken>createTestProbe();
    Instant t = Instant.parse("2026-12-06T10:15:30.123Z");
    for (Object m :
        List.of(
            new ImportLease.Take("import-20261206-101530-0a1b2c3d", "10.0.0.1:25520", probe.ref()),
            new ImportLease.Keep("import-20261206-101530-0a1b2c3d"),
            new ImportLease.Give("import-20261206-101530-0a1b2c3d"),
            new ImportLease.Taken(null),
            new ImportLease.Taken(
                new ImportLease.Holder(
                    "import-20261206-101530-0a1b2c3d", "10.0.0.1:25520", t, t.plusSeconds(600))))) {
      assertThat(s.verifySerialization(m, true)).as(m.toString()).isEqualTo(m);
    }
  }

  @Test
  void aJobWhoseGatewayStoppedMidwayShowsFailedAndOnlyTheNewestAreKept() throws Exception {
    Path dir = tmp.resolve("imports");
    CountDownLatch never = new CountDownLatch(1);
    Imports stopped =
        imports(
            (f, p, u, b, pr, w) -> {
              never.await(10, TimeUnit.SECONDS);
              return summary(0);
            },
            2,
            dir,
            "stopped");
    Imports.Job job =
        stopped
            .start(
                tmp.resolve("x.quire"), false, "upload x", BundleImport.Policy.FAIL, false, "api")
            .orElseThrow();
    Path file = dir.resolve(job.id() + ".json");
    assertThat(file).exists();
    // Its gateway died: the file stopped changing longer ago than a running job would let it.
    Files.setLastModifiedTime(
        file,
        FileTime.from(Instant.now().minus(Imports.ABANDONED_AFTER).minus(Duration.ofMinutes(1))));
    // A slot of its own: the stopped gateway's job, let go just above, may still hold the test's.
    Imports other =
        new Imports(
            Clock.systemUTC(),
            pool,
            (f, p, u, b, pr, w) -> summary(1),
            2,
            dir,
            ImportLease.lease(
                KIT.system(),
                KIT.spawn(ImportLease.create(Duration.ofMinutes(10), Clock.systemUTC())),
                "other",
                Duration.ofSeconds(5)));
    Imports.Job seen = other.get(job.id()).orElseThrow();
    assertThat(seen.state()).isEqualTo("failed");
    assertThat(seen.message()).contains("the gateway running it stopped");
    never.countDown();

    // Three more, one after another: the directory keeps the newest two.
    for (int i = 0; i < 3; i++) {
      Imports.Job j =
          other
              .start(
                  tmp.resolve("y.quire"),
                  false,
                  "upload y" + i,
                  BundleImport.Policy.FAIL,
                  false,
                  "api")
              .orElseThrow();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (other.get(j.id()).orElseThrow().running() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      Thread.sleep(1_100); // ids are named to the second
    }
    try (var files = Files.list(dir)) {
      assertThat(files.filter(f -> f.getFileName().toString().endsWith(".json")).count())
          .isEqualTo(2);
    }
    assertThat(other.list())
        .extracting(Imports.Job::source)
        .containsExactly("upload y2", "upload y1");
  }
}
