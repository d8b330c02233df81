package dev.quire.cli;

import java.lang.management.ManagementFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import scala.concurrent.Promise;
import scala.jdk.javaapi.FutureConverters;

/**
 * Run by {@link CommonPoolTest} in a JVM of its own (the common pool is set up once per JVM):
 * completes futures the way Pekko's Java DSL hands them out, converted from Scala, each with a
 * plain {@code handle} callback as {@code pipeToSelf} adds, and prints how many threads that
 * started. With the argument {@code untouched} it skips {@link CommonPool#ensureParallel()}.
 */
public final class CommonPoolProbe {

  static final int CALLBACKS = 500;

  /** Whether {@code CompletableFuture}'s async callbacks run on the common pool. */
  static boolean callbacksShareThreads() {
    return new CompletableFuture<Void>().defaultExecutor() instanceof ForkJoinPool
        && ForkJoinPool.getCommonPoolParallelism() >= CommonPool.MIN_PARALLELISM;
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || !args[0].equals("untouched")) {
      CommonPool.ensureParallel();
    }
    var threads = ManagementFactory.getThreadMXBean();
    long before = threads.getTotalStartedThreadCount();
    CountDownLatch done = new CountDownLatch(CALLBACKS);
    for (int i = 0; i < CALLBACKS; i++) {
      Promise<Integer> promise = Promise.apply();
      CompletableFuture<Integer> answer =
          FutureConverters.asJava(promise.future()).toCompletableFuture();
      answer.handle(
          (value, failure) -> {
            done.countDown();
            return null;
          });
      promise.success(i);
    }
    if (!done.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("callbacks did not run");
    }
    System.out.println(
        "shared="
            + callbacksShareThreads()
            + " started="
            + (threads.getTotalStartedThreadCount() - before));
  }
}
