package dev.quire.embedding;

import dev.quire.embedding.model.Embedder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Runs inference in batches, in two lanes. Queries (a visitor is waiting) run on their own thread
 * and model session, so they never wait behind a batch of indexing work; indexing runs on the
 * inference dispatcher. In each lane, requests that arrive while its threads are busy wait here and
 * go into the next batch together (up to the lane's {@code maxBatch} texts), so load raises the
 * batch size rather than the queueing.
 *
 * <p>A lane's threads take their next batch themselves as soon as one is done: handing every batch
 * back through an actor cost a wake-up of a dispatcher thread on CPUs the model keeps busy (~11% of
 * the raw model's passages/s on 2 cores in {@code bench/embedding.sh}). The actor only takes
 * requests in; its messages carry futures and never leave the JVM.
 */
public final class Batcher {

  public sealed interface Msg {}

  /** {@code interactive}: a visitor is waiting (queries); runs in the query lane. */
  public record Embed(List<String> texts, boolean interactive, CompletableFuture<float[][]> result)
      implements Msg {}

  /**
   * A model session, the executor it runs on, how many batches may run at once, the most texts in
   * one batch, and a count of the batches it has run.
   */
  public record Lane(
      Embedder embedder, Executor executor, int threads, int maxBatch, AtomicLong batches) {
    public Lane {
      if (threads < 1 || maxBatch < 1) {
        throw new IllegalArgumentException("a lane needs at least one thread and one text a batch");
      }
    }

    public Lane(Embedder embedder, Executor executor, int threads, int maxBatch) {
      this(embedder, executor, threads, maxBatch, new AtomicLong());
    }
  }

  /** Sends {@code texts} to the batcher; completes with one vector per text. */
  public static CompletableFuture<float[][]> embed(
      ActorRef<Msg> batcher, List<String> texts, boolean interactive) {
    CompletableFuture<float[][]> f = new CompletableFuture<>();
    if (texts.isEmpty()) {
      f.complete(new float[0][]);
    } else {
      batcher.tell(new Embed(List.copyOf(texts), interactive, f));
    }
    return f;
  }

  public static Behavior<Msg> create(Lane queries, Lane background) {
    return Behaviors.setup(
        ctx -> {
          Queue interactive = new Queue(queries);
          Queue backgroundQueue = new Queue(background);
          return Behaviors.receive(Msg.class)
              .onMessage(
                  Embed.class,
                  e -> {
                    (e.interactive() ? interactive : backgroundQueue).submit(e);
                    return Behaviors.same();
                  })
              .build();
        });
  }

  private Batcher() {}

  /** One lane's waiting requests and the threads working them off. */
  static final class Queue {
    private final Lane lane;
    // Guarded by this: the requests waiting, their texts and the threads at work.
    private final ArrayDeque<Embed> waiting = new ArrayDeque<>();
    private int waitingTexts;
    private int running;

    Queue(Lane lane) {
      this.lane = lane;
    }

    void submit(Embed e) {
      // A request bigger than a batch is split into batch-sized slices up front (one flat future
      // over them), so one long text cannot hog a thread.
      List<Embed> parts = e.texts().size() > lane.maxBatch() ? split(e) : List.of(e);
      int start;
      synchronized (this) {
        for (Embed part : parts) {
          waiting.add(part);
          waitingTexts += part.texts().size();
        }
        int batches = (waitingTexts + lane.maxBatch() - 1) / lane.maxBatch();
        start = Math.max(0, Math.min(lane.threads() - running, batches));
        running += start;
      }
      for (int i = 0; i < start; i++) {
        try {
          lane.executor().execute(this::work);
        } catch (RuntimeException rejected) {
          synchronized (this) {
            running--;
          }
          fail(rejected);
        }
      }
    }

    /** Runs batches until none is waiting. */
    private void work() {
      while (true) {
        List<Embed> batch = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        synchronized (this) {
          if (waiting.isEmpty()) {
            running--;
            return;
          }
          // Fill the batch exactly: a request (at most a batch, see split) that does not fit is
          // cut once, its rest stays first in line and fits the next batch, so no batch runs part
          // empty while work waits.
          while (!waiting.isEmpty() && texts.size() < lane.maxBatch()) {
            Embed e = waiting.poll();
            int room = lane.maxBatch() - texts.size();
            if (e.texts().size() > room) {
              Embed[] cut = cut(e, room);
              waiting.addFirst(cut[1]);
              e = cut[0];
            }
            batch.add(e);
            texts.addAll(e.texts());
          }
          waitingTexts -= texts.size();
        }
        float[][] vectors;
        lane.batches().incrementAndGet();
        try {
          vectors = lane.embedder().embed(texts);
        } catch (RuntimeException | Error failure) {
          batch.forEach(e -> e.result().completeExceptionally(failure));
          continue;
        }
        int offset = 0;
        for (Embed e : batch) {
          float[][] part = new float[e.texts().size()][];
          System.arraycopy(vectors, offset, part, 0, part.length);
          offset += part.length;
          e.result().complete(part);
        }
      }
    }

    /** The executor refused to run a worker: fails what is waiting if no worker is left. */
    private void fail(Throwable failure) {
      List<Embed> failed = new ArrayList<>();
      synchronized (this) {
        if (running > 0) {
          return;
        }
        failed.addAll(waiting);
        waiting.clear();
        waitingTexts = 0;
      }
      failed.forEach(e -> e.result().completeExceptionally(failure));
    }

    private List<Embed> split(Embed e) {
      int maxBatch = lane.maxBatch();
      List<Embed> slices = new ArrayList<>();
      List<CompletableFuture<float[][]>> parts = new ArrayList<>();
      for (int from = 0; from < e.texts().size(); from += maxBatch) {
        CompletableFuture<float[][]> part = new CompletableFuture<>();
        parts.add(part);
        List<String> slice = e.texts().subList(from, Math.min(e.texts().size(), from + maxBatch));
        slices.add(new Embed(slice, e.interactive(), part));
      }
      CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
          .whenComplete(
              (ok, failure) -> {
                if (failure != null) {
                  e.result().completeExceptionally(failure);
                  return;
                }
                float[][] all = new float[e.texts().size()][];
                int offset = 0;
                for (CompletableFuture<float[][]> p : parts) {
                  float[][] v = p.join();
                  System.arraycopy(v, 0, all, offset, v.length);
                  offset += v.length;
                }
                e.result().complete(all);
              });
      return slices;
    }
  }

  /**
   * {@code e} (at most a batch) as two requests, its first {@code n} texts and the rest; {@code
   * e}'s future completes with both parts' vectors in order once both are done.
   */
  private static Embed[] cut(Embed e, int n) {
    CompletableFuture<float[][]> head = new CompletableFuture<>();
    CompletableFuture<float[][]> tail = new CompletableFuture<>();
    head.thenCombine(
            tail,
            (a, b) -> {
              float[][] all = new float[a.length + b.length][];
              System.arraycopy(a, 0, all, 0, a.length);
              System.arraycopy(b, 0, all, a.length, b.length);
              return all;
            })
        .whenComplete(
            (all, failure) -> {
              if (failure != null) {
                e.result().completeExceptionally(failure);
              } else {
                e.result().complete(all);
              }
            });
    List<String> texts = e.texts();
    return new Embed[] {
      new Embed(texts.subList(0, n), e.interactive(), head),
      new Embed(texts.subList(n, texts.size()), e.interactive(), tail)
    };
  }
}
