package dev.quire.gateway.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quire.gateway.http.HttpError;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Made once however many ask, bounded in how many are made at once and in what is kept. */
class MadeOnDemandTest {

  private final ExecutorService pool = Executors.newFixedThreadPool(4);

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  private static byte[] bytes(int n) {
    return new byte[n];
  }

  /** A making that holds its slot until {@code release} opens, then gives {@code n} bytes. */
  private static java.util.function.Supplier<byte[]> afterRelease(CountDownLatch release, int n) {
    return () -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      return bytes(n);
    };
  }

  private static MadeOnDemand.Kept await(CompletionStage<MadeOnDemand.Kept> s) throws Exception {
    return s.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void readersAskingAtOnceGetOneMakingAndTheKeptFileAfter() throws Exception {
    MadeOnDemand made = new MadeOnDemand(1000, 2, true, pool, "busy");
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger makings = new AtomicInteger();
    var first =
        made.get(
            "a",
            "e1",
            () -> {
              makings.incrementAndGet();
              try {
                release.await();
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
              return bytes(10);
            });
    var second = made.get("a", "e1", () -> bytes(99));
    release.countDown();
    assertThat(await(first).bytes()).hasSize(10);
    assertThat(await(second).bytes()).hasSize(10);
    assertThat(await(made.get("a", "e1", () -> bytes(99))).bytes()).hasSize(10);
    assertThat(makings.get()).isEqualTo(1);
    // What it was made from changed: made again.
    assertThat(await(made.get("a", "e2", () -> bytes(20))).bytes()).hasSize(20);
    assertThat(made.kept("a", "e1")).isNull();
  }

  @Test
  void pastMaxConcurrentAReaderIsToldToComeBack() throws Exception {
    MadeOnDemand made = new MadeOnDemand(1000, 1, true, pool, "drawing for others");
    CountDownLatch release = new CountDownLatch(1);
    var busy = made.get("a", "e", afterRelease(release, 1));
    assertThatThrownBy(() -> await(made.get("b", "e", () -> bytes(1))))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(HttpError.class)
        .hasMessage("drawing for others");
    release.countDown();
    await(busy);
    assertThat(await(made.get("b", "e", () -> bytes(2))).bytes()).hasSize(2);
  }

  @Test
  void aMakingRefusedForWantOfASlotIsAnsweredAndNotLeftToJoin() throws Exception {
    // The refusal completes the making itself, so anyone who joined it in the moment before hears
    // it too (that moment is between two statements: not reproduced here).
    MadeOnDemand made = new MadeOnDemand(1000, 1, true, pool, "busy");
    CountDownLatch release = new CountDownLatch(1);
    var holding = made.get("a", "e", afterRelease(release, 1));
    var refused = made.get("b", "e", () -> bytes(1)).toCompletableFuture();
    assertThat(refused).isCompletedExceptionally();
    release.countDown();
    await(holding);
    // A making refused for want of a slot is not left behind for later askers to join.
    assertThat(await(made.get("b", "e", () -> bytes(4))).bytes()).hasSize(4);
  }

  @Test
  void aMakingTheExecutorRefusesIsAnsweredAtOnce() {
    MadeOnDemand made =
        new MadeOnDemand(
            1000,
            1,
            true,
            task -> {
              throw new java.util.concurrent.RejectedExecutionException("stopping");
            },
            "busy");
    assertThat(made.get("a", "e", () -> bytes(1)).toCompletableFuture()).isCompletedExceptionally();
    // Its slot was given back: the next asker is refused by the executor again, not as busy.
    assertThatThrownBy(() -> made.get("b", "e", () -> bytes(1)).toCompletableFuture().join())
        .hasRootCauseMessage("the server is stopping; try again in a moment");
  }

  @Test
  void theLeastRecentlyUsedGoFirstAndNoFileTakesMoreThanAQuarter() throws Exception {
    MadeOnDemand made = new MadeOnDemand(100, 2, true, pool, "busy");
    await(made.get("a", "e", () -> bytes(25)));
    await(made.get("b", "e", () -> bytes(25)));
    await(made.get("c", "e", () -> bytes(25)));
    assertThat(made.kept("a", "e")).isNotNull(); // a is now the most recently used
    await(made.get("d", "e", () -> bytes(25)));
    await(made.get("f", "e", () -> bytes(25)));
    assertThat(made.kept("b", "e")).as("least recently used").isNull();
    assertThat(made.kept("a", "e")).isNotNull();
    assertThat(await(made.get("big", "e", () -> bytes(26))).bytes()).hasSize(26);
    assertThat(made.kept("big", "e")).as("over a quarter of the cache").isNull();
  }

  @Test
  void inDevModeNothingIsKeptAndAFailureReachesTheReader() throws Exception {
    MadeOnDemand made = new MadeOnDemand(100, 1, false, pool, "busy");
    await(made.get("a", "e", () -> bytes(1)));
    assertThat(made.kept("a", "e")).isNull();
    assertThatThrownBy(
            () ->
                await(
                    made.get(
                        "b",
                        "e",
                        () -> {
                          throw new IllegalStateException("broken template");
                        })))
        .hasRootCauseMessage("broken template");
    // The slot was given back.
    assertThat(await(made.get("c", "e", () -> bytes(3))).bytes()).hasSize(3);
  }
}
