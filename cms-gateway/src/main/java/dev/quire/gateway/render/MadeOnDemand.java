package dev.quire.gateway.render;

import dev.quire.gateway.http.HttpError;
import java.util.LinkedHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * Files made from a published item when a reader first asks for them (a PDF, a card image): made
 * once however many ask at that moment, on the given (blocking) executor, at most {@code
 * maxConcurrent} at a time (past that the asker gets a 503 saying {@code busy}), and kept per item
 * with the ETag of what they were made from, least recently used going first past {@code maxBytes}.
 * One file may take at most a quarter of {@code maxBytes}; in dev mode nothing is kept.
 */
public final class MadeOnDemand {

  /** A made file and the ETag of what it was made from. */
  public record Kept(String etag, byte[] bytes) {}

  private final long maxBytes;
  private final boolean keep;
  private final Executor executor;
  private final Semaphore slots;
  private final String busy;

  /** Kept files by item id, least recently used first; guarded by {@code this}. */
  private final LinkedHashMap<String, Kept> kept = new LinkedHashMap<>(16, 0.75f, true);

  private long keptBytes;
  private final ConcurrentHashMap<String, CompletableFuture<Kept>> making =
      new ConcurrentHashMap<>();

  public MadeOnDemand(
      long maxBytes, int maxConcurrent, boolean keep, Executor executor, String busy) {
    if (maxBytes < 0 || maxConcurrent < 1) {
      throw new IllegalArgumentException("maxBytes must be at least 0, maxConcurrent at least 1");
    }
    this.maxBytes = maxBytes;
    this.keep = keep;
    this.executor = executor;
    this.slots = new Semaphore(maxConcurrent);
    this.busy = busy;
  }

  /** The kept file of item {@code id} made from {@code etag}, or null. */
  public synchronized Kept kept(String id, String etag) {
    Kept k = kept.get(id);
    return k != null && k.etag().equals(etag) ? k : null;
  }

  /** Item {@code id}'s file for {@code etag}: the kept one, or {@code make}'s, made once. */
  public CompletionStage<Kept> get(String id, String etag, Supplier<byte[]> make) {
    Kept k = kept(id, etag);
    if (k != null) {
      return CompletableFuture.completedFuture(k);
    }
    String key = id + "@" + etag;
    CompletableFuture<Kept> mine = new CompletableFuture<>();
    CompletableFuture<Kept> running = making.putIfAbsent(key, mine);
    if (running != null) {
      return running;
    }
    if (!slots.tryAcquire()) {
      // Completed, not just dropped: a reader who joined this making meanwhile hears it too.
      making.remove(key, mine);
      mine.completeExceptionally(HttpError.unavailable(busy));
      return mine;
    }
    try {
      executor.execute(
          () -> {
            Kept made = null;
            Throwable failure = null;
            try {
              made = new Kept(etag, make.get());
              keep(id, made);
            } catch (Throwable t) {
              failure = t;
            } finally {
              // Freed before the askers hear back: one who asks again at once finds the slot.
              slots.release();
              making.remove(key, mine);
            }
            if (failure != null) {
              mine.completeExceptionally(failure);
            } else {
              mine.complete(made);
            }
          });
    } catch (RuntimeException refused) {
      // The executor refused the task (the system is stopping): free what was taken.
      slots.release();
      making.remove(key, mine);
      mine.completeExceptionally(
          HttpError.unavailable("the server is stopping; try again in a moment"));
      return mine;
    }
    return mine;
  }

  private synchronized void keep(String id, Kept k) {
    if (!keep || k.bytes().length > maxBytes / 4) {
      return;
    }
    Kept old = kept.put(id, k);
    keptBytes += k.bytes().length - (old == null ? 0 : old.bytes().length);
    var eldest = kept.values().iterator();
    while (keptBytes > maxBytes && eldest.hasNext()) {
      keptBytes -= eldest.next().bytes().length;
      eldest.remove();
    }
  }
}
