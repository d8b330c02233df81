package dev.quire.cli;

/**
 * Gives {@code ForkJoinPool.commonPool()} at least two threads, before anything uses it.
 *
 * <p>Pekko's Java DSL hands actors futures converted from Scala, whose plain callbacks run through
 * the async variants on {@code CompletableFuture}'s default executor. With one or two cores the
 * common pool's parallelism is 1, and then {@code CompletableFuture} uses a new thread per callback
 * instead. Every {@code ActorContext.ask} and {@code pipeToSelf} of such a future paid for a
 * thread: a 10,000-post import started 10,002 threads, one per slug claim. With two threads the
 * common pool runs those callbacks (each only sends a message) itself.
 */
public final class CommonPool {

  static final String PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";
  static final int MIN_PARALLELISM = 2;

  private CommonPool() {}

  /**
   * Call first in {@code main}: the property is read once, when {@code ForkJoinPool} and {@code
   * CompletableFuture} are initialised. An explicit {@code -D} setting is left as it is.
   */
  public static void ensureParallel() {
    if (System.getProperty(PARALLELISM) == null
        && Runtime.getRuntime().availableProcessors() - 1 < MIN_PARALLELISM) {
      System.setProperty(PARALLELISM, Integer.toString(MIN_PARALLELISM));
    }
  }
}
