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
 * Runs inference in batches on the inference dispatcher. Requests that arrive while every inference
 * thread is busy wait here and go into the next batch together (up to {@code maxBatch} texts), so
 * load raises the batch size rather than the queueing. Queries go before indexing work. A local
 * actor: its messages carry futures and never leave the JVM.
 */
public final class Batcher {

  public sealed interface Msg {}

  /** {@code interactive}: a visitor is waiting (queries), served before background indexing. */
  public record Embed(List<String> texts, boolean interactive, CompletableFuture<float[][]> result)
      implements Msg {}

  private record Done(List<Embed> batch, float[][] vectors, Throwable failure) implements Msg {}

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

  public static Behavior<Msg> create(
      Embedder embedder, Executor inference, int threads, int maxBatch) {
    return Behaviors.setup(ctx -> new Batcher(ctx, embedder, inference, threads, maxBatch).idle());
  }

  private final ActorContext<Msg> ctx;
  private final Embedder embedder;
  private final Executor inference;
  private final int threads;
  private final int maxBatch;
  private final ArrayDeque<Embed> interactive = new ArrayDeque<>();
  private final ArrayDeque<Embed> background = new ArrayDeque<>();
  private int running;

  private Batcher(
      ActorContext<Msg> ctx, Embedder embedder, Executor inference, int threads, int maxBatch) {
    this.ctx = ctx;
    this.embedder = embedder;
    this.inference = inference;
    this.threads = threads;
    this.maxBatch = maxBatch;
  }

  private Behavior<Msg> idle() {
    return Behaviors.receive(Msg.class)
        .onMessage(
            Embed.class,
            e -> {
              // A request bigger than a batch is split so one long text cannot hog a thread.
              if (e.texts().size() > maxBatch) {
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
              running--;
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

  private void startBatches() {
    while (running < threads && (!interactive.isEmpty() || !background.isEmpty())) {
      List<Embed> batch = new ArrayList<>();
      List<String> texts = new ArrayList<>();
      for (ArrayDeque<Embed> queue : List.of(interactive, background)) {
        while (!queue.isEmpty() && texts.size() + queue.peek().texts().size() <= maxBatch) {
          Embed e = queue.poll();
          batch.add(e);
          texts.addAll(e.texts());
        }
      }
      running++;
      ctx.pipeToSelf(
          CompletableFuture.supplyAsync(() -> embedder.embed(texts), inference),
          (vectors, failure) -> new Done(batch, vectors, failure));
    }
  }
}
