package dev.quire.gateway.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quire.bundle.BundleWriter;
import dev.quire.bundle.Manifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backups' bookkeeping: one at a time, names that sort by time, the newest kept, leftovers of a
 * killed backup swept once stale, and names from requests never read as paths. Each backup here is
 * a real (small) bundle written by {@link BundleWriter}; what a backup of a site holds is {@code
 * BackupEndToEndTest}'s (deploy), against the running all-in-one server.
 */
class BackupsTest {

  @TempDir Path dir;
  final ExecutorService executor = Executors.newSingleThreadExecutor();
  final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-06T10:00:00Z"));
  final Clock clock =
      new Clock() {
        @Override
        public java.time.ZoneId getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return now.get();
        }
      };

  /**
   * Waits for a backup still being written (a test's last start) before JUnit deletes the
   * directory: it once wrote its file into it while the directory was being deleted, which failed
   * the test ("Failed to delete temp directory").
   */
  @AfterEach
  void stop() throws InterruptedException {
    executor.shutdownNow();
    assertThat(executor.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
  }

  /** A writer that writes a one-setting bundle once {@code go} opens. */
  static Backups.Writer bundle(CountDownLatch go) {
    return (file, history, users, progress) -> {
      progress.at("items", 1, 2);
      if (!go.await(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("never let go");
      }
      try (BundleWriter w =
          BundleWriter.create(
              file, new BundleWriter.Options("test", new Manifest.Site("S", "x"), history))) {
        w.settings(java.util.Map.of("title", "S"));
        return w.finish();
      }
    };
  }

  Backups.Job awaitDone(Backups b) throws Exception {
    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (b.running().isPresent()) {
      assertThat(System.nanoTime()).isLessThan(end);
      Thread.sleep(10);
    }
    return b.list().get(0);
  }

  @Test
  void oneAtATimeWithItsProgressAndAFinishedOneIsItsFile() throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    Backups b = new Backups(dir, 0, clock, executor, bundle(go));
    Backups.Job job = b.start("ann", true, false).orElseThrow();
    assertThat(job.name()).isEqualTo("quire-20261206-100000.quire");
    assertThat(b.start("bob", true, false)).as("one is being made").isEmpty();
    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (b.get(job.name()).orElseThrow().done() != 1) {
      assertThat(System.nanoTime()).isLessThan(end);
      Thread.sleep(10);
    }
    Backups.Job running = b.get(job.name()).orElseThrow();
    assertThat(running.state()).isEqualTo("running");
    assertThat(running.phase()).isEqualTo("items");
    assertThat(running.total()).isEqualTo(2);
    assertThat(b.file(job.name())).as("no file while it is made").isEmpty();
    assertThatThrownBy(() -> b.delete(job.name())).isInstanceOf(IllegalStateException.class);
    go.countDown();
    Backups.Job done = awaitDone(b);
    assertThat(done.state()).isEqualTo("complete");
    assertThat(done.by()).isEqualTo("ann");
    assertThat(done.size()).isEqualTo(Files.size(dir.resolve(job.name())));
    assertThat(done.counts()).isNotNull();
    assertThat(b.file(job.name())).hasValue(dir.resolve(job.name()));
    assertThat(b.start("bob", false, false)).isPresent();
    assertThat(awaitDone(b).state()).isEqualTo("complete");
  }

  @Test
  void namesInOneSecondSortAfterEachOtherAndTheNewestAreKept() throws Exception {
    CountDownLatch go = new CountDownLatch(0);
    Backups b = new Backups(dir, 3, clock, executor, bundle(go));
    for (int i = 0; i < 12; i++) {
      b.start("ann", true, false).orElseThrow();
      awaitDone(b);
    }
    List<String> names = b.list().stream().map(Backups.Job::name).toList();
    assertThat(names)
        .containsExactly(
            "quire-20261206-100000-12.quire",
            "quire-20261206-100000-11.quire",
            "quire-20261206-100000-10.quire");
    now.set(now.get().plusSeconds(1));
    b.start("ann", true, false).orElseThrow();
    awaitDone(b);
    assertThat(b.list().stream().map(Backups.Job::name).toList())
        .containsExactly(
            "quire-20261206-100001.quire",
            "quire-20261206-100000-12.quire",
            "quire-20261206-100000-11.quire");
    try (var files = Files.list(dir)) {
      assertThat(files).hasSize(3);
    }
  }

  @Test
  void twoGatewaysSharingTheDirectoryInOneSecondNeverTakeOneName() throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService other = Executors.newSingleThreadExecutor();
    try {
      Backups one = new Backups(dir, 0, clock, executor, bundle(go));
      Backups two = new Backups(dir, 0, clock, other, bundle(go));
      String first = one.start("ann", true, false).orElseThrow().name();
      String second = two.start("bob", true, false).orElseThrow().name();
      assertThat(first).isEqualTo("quire-20261206-100000.quire");
      assertThat(second).isEqualTo("quire-20261206-100000-2.quire");
      go.countDown();
      awaitDone(one);
      awaitDone(two);
      assertThat(one.list().stream().map(Backups.Job::name))
          .containsExactly(second, first)
          .as("both finished files, each listed by both");
      assertThat(two.list()).hasSize(2);
      try (var files = Files.list(dir)) {
        assertThat(files.map(f -> f.getFileName().toString()))
            .as("no claim left once both are done")
            .containsExactlyInAnyOrder(first, second);
      }
    } finally {
      other.shutdownNow();
    }
  }

  @Test
  void aFailedBackupLeavesNoFileSaysWhyAndIsDismissed() throws Exception {
    Backups b =
        new Backups(
            dir,
            0,
            clock,
            executor,
            (file, history, users, progress) -> {
              try (BundleWriter w =
                  BundleWriter.create(
                      file,
                      new BundleWriter.Options("test", new Manifest.Site("S", "x"), history))) {
                w.settings(java.util.Map.of("title", "S"));
                throw new java.io.IOException("the content role did not answer within 10s");
              }
            });
    String name = b.start("ann", true, false).orElseThrow().name();
    Backups.Job failed = awaitDone(b);
    assertThat(failed.name()).isEqualTo(name);
    assertThat(failed.state()).isEqualTo("failed");
    assertThat(failed.message()).isEqualTo("the content role did not answer within 10s");
    try (var files = Files.list(dir)) {
      assertThat(files).as("no partial file or spool left").isEmpty();
    }
    assertThat(b.file(name)).isEmpty();
    assertThat(b.delete(name)).isTrue();
    assertThat(b.list()).isEmpty();
  }

  @Test
  void namesFromRequestsAreMatchedNeverReadAsPaths() throws Exception {
    Files.writeString(dir.resolve("secret"), "x");
    Files.writeString(dir.getParent().resolve("api-token"), "x");
    Backups b = new Backups(dir, 0, clock, executor, bundle(new CountDownLatch(0)));
    for (String bad :
        new String[] {
          "secret",
          "../api-token",
          "quire-20261206-100000.quire/../../api-token",
          "",
          null,
          "quire-20261206-100000.quire.partial",
          "quire-2026120-100000.quire"
        }) {
      assertThat(b.get(bad)).as(String.valueOf(bad)).isEmpty();
      assertThat(b.file(bad)).as(String.valueOf(bad)).isEmpty();
      assertThat(b.delete(bad)).as(String.valueOf(bad)).isFalse();
    }
    assertThat(dir.resolve("secret")).exists();
    assertThat(dir.getParent().resolve("api-token")).exists();
    assertThat(b.list()).isEmpty();
  }

  @Test
  void whatAKilledBackupLeftIsSweptOnceNothingInItChangedForAWhile() throws Exception {
    Backups b = new Backups(dir, 0, clock, executor, bundle(new CountDownLatch(0)));
    Path oldPartial = Files.writeString(dir.resolve("quire-20261206-090000.quire.partial"), "x");
    Path oldSpool = Files.createDirectory(dir.resolve(".quire-20261206-090000.quire.spool123"));
    Path oldPart = Files.writeString(oldSpool.resolve("part1.jsonl"), "{}");
    Path freshPartial = Files.writeString(dir.resolve("quire-20261206-095900.quire.partial"), "x");
    Path freshSpool = Files.createDirectory(dir.resolve(".quire-20261206-095900.quire.spool9"));
    Path freshPart = Files.writeString(freshSpool.resolve("part1.jsonl"), "{}");
    Path stalePartialOfFreshSpool =
        Files.writeString(dir.resolve("quire-20261206-095800.quire.partial"), "x");
    Path busySpool = Files.createDirectory(dir.resolve(".quire-20261206-095800.quire.spool1"));
    Path busyPart = Files.writeString(busySpool.resolve("part1.jsonl"), "{}");
    Path stranger = Files.writeString(dir.resolve("notes.partial"), "x");
    FileTime longAgo = FileTime.from(now.get().minus(Duration.ofHours(2)));
    for (Path p :
        List.of(oldPartial, oldSpool, oldPart, stalePartialOfFreshSpool, busySpool, stranger)) {
      Files.setLastModifiedTime(p, longAgo);
    }
    FileTime recent = FileTime.from(now.get().minus(Duration.ofMinutes(1)));
    for (Path p : List.of(freshPartial, freshSpool, freshPart, busyPart)) {
      Files.setLastModifiedTime(p, recent);
    }
    assertThat(b.sweep(Duration.ofHours(1))).isEqualTo(1);
    assertThat(oldPartial).doesNotExist();
    assertThat(oldSpool).doesNotExist();
    assertThat(freshPartial).exists();
    assertThat(freshPart).exists();
    assertThat(stalePartialOfFreshSpool).as("its spool's file is still being written").exists();
    assertThat(busyPart).exists();
    assertThat(stranger).as("not a backup's").exists();
  }
}
