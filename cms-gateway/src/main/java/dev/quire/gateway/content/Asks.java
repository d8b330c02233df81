package dev.quire.gateway.content;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

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
}
