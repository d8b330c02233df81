package dev.quire.gateway.content;

import dev.quire.gateway.http.HttpError;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;

/**
 * Moves the answer of a Pekko Java-DSL {@code ask} onto a given executor.
 *
 * <p>The stage that {@code ask} returns is Scala's converted future, which runs even the plain
 * callbacks ({@code thenApply}, {@code whenComplete}) through the async variants on {@code
 * ForkJoinPool.commonPool()}. On a machine with two cores that pool has parallelism 1, and then
 * {@code CompletableFuture} starts a new thread for every callback: the write benchmark saw 82,000
 * thread starts for 40,000 edits, half the CPU in the kernel. Completing a plain future from the
 * actor system's dispatcher once avoids that; its callbacks then run on that dispatcher.
 */
public final class Asks {

  private Asks() {}

  public static <T> CompletableFuture<T> on(CompletionStage<T> answer, Executor executor) {
    CompletableFuture<T> settled = new CompletableFuture<>();
    answer.whenCompleteAsync(
        (value, failure) -> {
          if (failure != null) {
            settled.completeExceptionally(failure);
          } else {
            settled.complete(value);
          }
        },
        executor);
    return settled;
  }

  /**
   * The 503 of a change whose ask timed out: unlike any other 503 (a read that timed out, no
   * content node reachable yet), the change may have been sent and may still be applied.
   */
  public static class ChangeMayStillApply extends HttpError {
    ChangeMayStillApply(String message) {
      this("unavailable", message);
    }

    ChangeMayStillApply(String code, String message) {
      super(503, code, "", message);
    }
  }

  /** An ask that timed out becomes "unavailable" (503) naming {@code what}, not an error. */
  public static <T> CompletionStage<T> unavailableOnTimeout(CompletionStage<T> stage, String what) {
    return unavailableOnTimeout(stage, what, () -> false);
  }

  /**
   * As above; when {@code wasChange} says the ask was a change, the answer says it may still be
   * applied: the message may be waiting for its entity (a shard moving, a slug being claimed), and
   * a change sent again at once could land twice or be refused as stale against itself.
   */
  /** What a failed stage failed with, out of the CompletionExceptions around it. */
  public static Throwable unwrap(Throwable e) {
    while (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  public static <T> CompletionStage<T> unavailableOnTimeout(
      CompletionStage<T> stage, String what, java.util.function.BooleanSupplier wasChange) {
    return stage.exceptionally(
        e -> {
          Throwable cause = unwrap(e);
          if (cause instanceof TimeoutException) {
            if (wasChange.getAsBoolean()) {
              throw new ChangeMayStillApply(
                  what
                      + " did not answer in time: the change may still be applied. Read it"
                      + " again before sending the change again");
            }
            throw HttpError.unavailable(what + " did not answer in time; try again");
          }
          if (cause instanceof RuntimeException re) {
            throw re;
          }
          throw new CompletionException(cause);
        });
  }
}
