package dev.quire.embedding;

import dev.quire.embedding.model.Embedder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Runs inference in batches, in two lanes. Queries (a visitor is waiting) run on their own thread
 * and model session, so they never wait behind a batch of indexing work; indexing runs on the
 * inference dispatcher. In each lane, requests that arrive while its threads are busy wait here and
 * go into the next batch together (up to the lane's {@code maxBatch} texts), so load raises the
 * batch size rather than the queueing. A local actor: its messages carry futures and never leave
 * the JVM.
 */
public final class Batcher {

  public sealed interface Msg {}

  /** {@code interactive}: a visitor is waiting (queries); runs in the query lane. */
  public record Embed(List<String> texts, boolean interactive, CompletableFuture<float[][]> result)
      implements Msg {}

  /**
   * A model session, the executor it runs on, how many batches may run at once and the most texts
   * in one batch.
   */
  public record Lane(Embedder embedder, Executor executor, int threads, int maxBatch) {
    public Lane {
      if (threads < 1 || maxBatch < 1) {
        throw new IllegalArgumentException("a lane needs at least one thread and one text a batch");
      }
    }
  }

  private record Done(boolean interactive, List<Embed> batch, float[][] vectors, Throwable failure)
      implements Msg {}

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
    return Behaviors.setup(ctx -> new Batcher(ctx, queries, background).idle());
  }

  private final ActorContext<Msg> ctx;
  private final Lane queryLane;
  private final Lane backgroundLane;
  private final ArrayDeque<Embed> interactive = new ArrayDeque<>();
  private final ArrayDeque<Embed> background = new ArrayDeque<>();
  private int runningQueries;
  private int runningBackground;

  private Batcher(ActorContext<Msg> ctx, Lane queries, Lane background) {
    this.ctx = ctx;
    this.queryLane = queries;
    this.backgroundLane = background;
  }

  private Lane lane(boolean interactive) {
    return interactive ? queryLane : backgroundLane;
  }

  private Behavior<Msg> idle() {
    return Behaviors.receive(Msg.class)
        .onMessage(
            Embed.class,
            e -> {
              // A request bigger than a batch is split into batch-sized slices up front (one flat
              // future over them), so one long text cannot hog a thread.
              if (e.texts().size() > lane(e.interactive()).maxBatch()) {
                split(e);
              } else {
                (e.interactive() ? interactive : background).add(e);
              }
              startBatches();
              return Behaviors.same();
            })
        .onMessage(
            Done.class,
            d -> {
              if (d.interactive()) {
                runningQueries--;
              } else {
                runningBackground--;
              }
              int offset = 0;
              for (Embed e : d.batch()) {
                if (d.failure() != null) {
                  e.result().completeExceptionally(d.failure());
                } else {
                  float[][] part = new float[e.texts().size()][];
                  System.arraycopy(d.vectors(), offset, part, 0, part.length);
                  e.result().complete(part);
                }
                offset += e.texts().size();
              }
              startBatches();
              return Behaviors.same();
            })
        .build();
  }

  private void split(Embed e) {
    int maxBatch = lane(e.interactive()).maxBatch();
    List<CompletableFuture<float[][]>> parts = new ArrayList<>();
    for (int from = 0; from < e.texts().size(); from += maxBatch) {
      CompletableFuture<float[][]> part = new CompletableFuture<>();
      parts.add(part);
      List<String> slice = e.texts().subList(from, Math.min(e.texts().size(), from + maxBatch));
      (e.interactive() ? interactive : background).add(new Embed(slice, e.interactive(), part));
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

  private void startBatches() {
    while (runningQueries < queryLane.threads() && !interactive.isEmpty()) {
      runningQueries++;
      start(true, queryLane, interactive);
    }
    while (runningBackground < backgroundLane.threads() && !background.isEmpty()) {
      runningBackground++;
      start(false, backgroundLane, background);
    }
  }

  private void start(boolean isInteractive, Lane lane, ArrayDeque<Embed> queue) {
    List<Embed> batch = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    // Fill the batch exactly: a request (at most a batch, see split) that does not fit is cut once,
    // its rest stays first in line and fits the next batch, so no batch runs part empty while work
    // waits.
    while (!queue.isEmpty() && texts.size() < lane.maxBatch()) {
      Embed e = queue.poll();
      int room = lane.maxBatch() - texts.size();
      if (e.texts().size() > room) {
        Embed[] parts = cut(e, room);
        queue.addFirst(parts[1]);
        e = parts[0];
      }
      batch.add(e);
      texts.addAll(e.texts());
    }
    ctx.pipeToSelf(
        CompletableFuture.supplyAsync(() -> lane.embedder().embed(texts), lane.executor()),
        (vectors, failure) -> new Done(isInteractive, batch, vectors, failure));
  }
}
