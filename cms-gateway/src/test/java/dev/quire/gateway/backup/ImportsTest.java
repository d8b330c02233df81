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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The imports' bookkeeping across gateways that share the backups directory: what one gateway runs,
 * another answers for from its file, while it runs and once it ended; a job whose gateway stopped
 * mid-way shows failed; only the newest are kept. The import itself is a function here (a job that
 * reports progress, then a summary): {@link BundleImport} against a real site is tested end to end
 * in deploy's {@code ImportEndToEndTest}; this tests what {@link Imports} adds to it.
 */
class ImportsTest {

  @TempDir Path tmp;
  final ExecutorService pool = Executors.newFixedThreadPool(2);

  @AfterEach
  void stop() {
    pool.shutdownNow();
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
        new Imports(
            Clock.systemUTC(),
            pool,
            (file, policy, users, by, progress, writing) -> {
              progress.at("items", 3, 10);
              midway.countDown();
              go.await(10, TimeUnit.SECONDS);
              writing.run();
              return summary(10);
            },
            20,
            dir);
    Imports two = new Imports(Clock.systemUTC(), pool, (f, p, u, b, pr, w) -> summary(0), 20, dir);

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

  @Test
  void aJobWhoseGatewayStoppedMidwayShowsFailedAndOnlyTheNewestAreKept() throws Exception {
    Path dir = tmp.resolve("imports");
    CountDownLatch never = new CountDownLatch(1);
    Imports stopped =
        new Imports(
            Clock.systemUTC(),
            pool,
            (f, p, u, b, pr, w) -> {
              never.await(10, TimeUnit.SECONDS);
              return summary(0);
            },
            2,
            dir);
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
    Imports other = new Imports(Clock.systemUTC(), pool, (f, p, u, b, pr, w) -> summary(1), 2, dir);
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
