package dev.quire.embedding;

import com.typesafe.config.Config;
import dev.quire.embedding.index.VectorIndex;
import dev.quire.embedding.model.Embedder;
import dev.quire.embedding.model.ModelSpec;
import dev.quire.protocol.ContentQuery;
import dev.quire.protocol.ContentStatus;
import dev.quire.protocol.ContentTopic;
import dev.quire.protocol.EmbeddingQuery;
import dev.quire.protocol.ReadItem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * The embedding role: keeps a vector index of every published item up to date with the read model,
 * and answers {@link EmbeddingQuery} messages from anywhere in the cluster.
 *
 * <p>It follows content exactly as a gateway does, through protocol messages only: the content
 * topic pokes it, it asks a {@link ContentQuery} actor for the changes after the seq its index has
 * reached, embeds what changed (text hash differs), removes what is no longer published, and
 * commits the vectors together with the new seq. A restart resumes from that seq.
 */
public final class EmbeddingService {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(EmbeddingService.class);

  /** Settings from {@code quire.embedding}. */
  public record Settings(
      ModelSpec model,
      Path dir,
      int inferenceThreads,
      int intraOpThreads,
      int queryIntraOpThreads,
      boolean allowSpinning,
      int maxBatch,
      int queryMaxBatch,
      int chunkTokens,
      int chunkOverlapTokens,
      int fetchPage,
      int pipelinePages,
      Duration commitInterval,
      Duration catchUpInterval,
      Duration queryTimeout,
      int maxK,
      int maxQueryChars,
      int searchCandidates,
      Duration unloadIdleModelAfter) {

    /** {@code chunk-tokens}, checked against the model's window (its special tokens included). */
    private static int chunkTokens(Config c, ModelSpec model) {
      int tokens = c.getInt("chunk-tokens");
      int room = model.maxTokens() - model.specialTokens();
      if (tokens > room) {
        throw new IllegalArgumentException(
            "quire.embedding.chunk-tokens: "
                + tokens
                + " is more than the "
                + room
                + " text tokens model "
                + model.id()
                + " takes");
      }
      return tokens;
    }

    /** {@code search-candidates}: at least 1, so a query always walks the graph. */
    private static int searchCandidates(Config c) {
      int n = c.getInt("search-candidates");
      if (n < 1) {
        throw new IllegalArgumentException(
            "quire.embedding.search-candidates: " + n + " must be at least 1");
      }
      return n;
    }

    /** {@code unload-idle-model-after}: zero keeps the model loaded; never negative. */
    private static Duration unloadIdleModelAfter(Config c) {
      Duration d = c.getDuration("unload-idle-model-after");
      if (d.isNegative()) {
        throw new IllegalArgumentException(
            "quire.embedding.unload-idle-model-after: "
                + c.getString("unload-idle-model-after")
                + " is negative (0 keeps the model loaded)");
      }
      return d;
    }

    /** {@code chunk-overlap-tokens}: at most half a chunk, so every chunk moves the text on. */
    private static int chunkOverlapTokens(Config c, int chunkTokens) {
      int overlap = c.getInt("chunk-overlap-tokens");
      if (overlap < 0 || overlap > chunkTokens / 2) {
        throw new IllegalArgumentException(
            "quire.embedding.chunk-overlap-tokens: "
                + overlap
                + " must be between 0 and half of chunk-tokens ("
                + chunkTokens / 2
                + ")");
      }
      return overlap;
    }

    public static Settings fromConfig(Config config) {
      Config c = config.getConfig("quire.embedding");
      String id = c.getString("model");
      ModelSpec model =
          ModelSpec.byId(id)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "quire.embedding.model: unknown model "
                              + id
                              + "; known: "
                              + ModelSpec.KNOWN.stream().map(ModelSpec::id).toList()));
      int chunkTokens = chunkTokens(c, model);
      return new Settings(
          model,
          Path.of(c.getString("dir")).toAbsolutePath(),
          c.getInt("inference-threads"),
          c.getInt("intra-op-threads"),
          c.getInt("query-intra-op-threads"),
          c.getBoolean("allow-spinning"),
          c.getInt("max-batch"),
          c.getInt("query-max-batch"),
          chunkTokens,
          chunkOverlapTokens(c, chunkTokens),
          c.getInt("fetch-page"),
          c.getInt("pipeline-pages"),
          c.getDuration("commit-interval"),
          c.getDuration("catch-up-interval"),
          c.getDuration("content-query-timeout"),
          c.getInt("max-k"),
          c.getInt("max-query-chars"),
          searchCandidates(c),
          unloadIdleModelAfter(c));
    }
  }

  /** Loads the model and index (blocking: call off the actor threads) and starts the service. */
  public static CompletionStage<ActorRef<EmbeddingQuery>> init(ActorSystem<?> system) {
    Settings settings = Settings.fromConfig(system.settings().config());
    Executor index = indexDispatcher(system);
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            Files.createDirectories(settings.dir());
            Path models = settings.dir().resolve("models");
            Embedder embedder =
                Embedder.load(
                    settings.model(), models, settings.intraOpThreads(), settings.allowSpinning());
            // Queries run on their own thread (query-dispatcher) with their own predictor, so a
            // visitor's query never queues behind indexing. With one intra-op thread each, ONNX
            // Runtime runs an inference on the calling thread, and concurrent runs on one session
            // are safe: they share it, and the model's weights are in memory once (an idle,
            // embedded 1,000-post site held ~50 MB less RSS, at the same search req/s). More
            // intra-op threads on either side mean a session of its own for queries.
            Embedder queryEmbedder = queryEmbedder(settings, models, embedder);
            VectorIndex vectors =
                new VectorIndex(
                    settings.dir().resolve("index").resolve(settings.model().id()),
                    settings.model().id(),
                    Chunker.name(settings.chunkTokens(), settings.chunkOverlapTokens()),
                    settings.searchCandidates());
            return system.systemActorOf(
                create(settings, embedder, queryEmbedder, vectors),
                "embedding-service",
                Props.empty());
          } catch (Exception e) {
            throw new IllegalStateException("the embedding service cannot start: " + e, e);
          }
        },
        index);
  }

  /**
   * The embedder queries run on: {@code indexing} itself when they share its session, else a second
   * session of the model. Closing both is safe either way ({@link Embedder#close} is idempotent).
   */
  static Embedder queryEmbedder(Settings settings, Path models, Embedder indexing)
      throws java.io.IOException {
    return sharesSession(settings)
        ? indexing
        : Embedder.load(
            settings.model(), models, settings.queryIntraOpThreads(), settings.allowSpinning());
  }

  /**
   * Whether queries use the indexing session (see {@link #init}): only with one intra-op thread
   * each, when an inference runs on its caller's thread. With more, the lanes would share the
   * session's intra-op pool, and a query would wait behind indexing work in it.
   */
  static boolean sharesSession(Settings settings) {
    return settings.queryIntraOpThreads() == 1 && settings.intraOpThreads() == 1;
  }

  /** Lucene I/O: one thread, so the index has a single writer. */
  private static Executor indexDispatcher(ActorSystem<?> system) {
    return system
        .dispatchers()
        .lookup(DispatcherSelector.fromConfig("quire.embedding.index-dispatcher"));
  }

  static Behavior<EmbeddingQuery> create(
      Settings s, Embedder embedder, Embedder queryEmbedder, VectorIndex index) {
    return Behaviors.<Object>setup(
            ctx ->
                Behaviors.withTimers(
                    timers ->
                        new EmbeddingService(ctx, timers, s, embedder, queryEmbedder, index)
                            .behavior()))
        .narrow();
  }

  // Internal messages (local only); EmbeddingQuery is the public part of the protocol.

  private record ReindexTotal(long items) {}

  private record Listing(List<ActorRef<ContentQuery>> actors) {}

  private record Poke(long seq) {}

  private record Tick() {}

  private record IdleCheck() {}

  private record Loaded(ContentQuery.Changes changes, Throwable failure) {}

  private record Indexed(long seq, int embedded, Throwable failure) {}

  private final ActorContext<Object> ctx;
  private final Settings settings;
  private final Embedder embedder;
  private final Embedder queryEmbedder;
  private final VectorIndex index;
  private final Chunker chunker;
  private final Executor indexExecutor;
  private final Executor chunkExecutor;
  private final ActorRef<Batcher.Msg> batcher;
  private List<ActorRef<ContentQuery>> queryActors = List.of();
  private long indexedSeq;
  private long contentSeq;
  private long behindSince; // nanoTime when the index first fell behind contentSeq, or 0
  // Pages of changes are pipelined: the next page is fetched and its chunks queued for inference
  // while the previous page's vectors are still being computed or written, so the inference threads
  // never wait for a Lucene write or a fetch. Writes stay in seq order (each waits for the one
  // before), and at most pipeline-pages pages are in flight.
  private boolean fetching;
  private int pagesInFlight;
  private long fetchedSeq;
  private boolean fetchedMore;
  private boolean pageFailed; // a page failed: drain the pipeline, then refetch from indexedSeq
  private CompletableFuture<Integer> lastWrite = CompletableFuture.completedFuture(0);
  // Read and written only on the index dispatcher (one thread).
  private long lastCommitNanos = System.nanoTime();
  private boolean reindexRequested;
  private boolean reindexing;
  private long reindexDone;
  private long reindexTotal;

  private EmbeddingService(
      ActorContext<Object> ctx,
      TimerScheduler<Object> timers,
      Settings settings,
      Embedder embedder,
      Embedder queryEmbedder,
      VectorIndex index) {
    this.ctx = ctx;
    this.settings = settings;
    this.embedder = embedder;
    this.queryEmbedder = queryEmbedder;
    this.index = index;
    this.chunker =
        new Chunker(settings.chunkTokens(), settings.chunkOverlapTokens(), embedder::tokenSpans);
    this.indexExecutor = indexDispatcher(ctx.getSystem());
    this.chunkExecutor = ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    var dispatchers = ctx.getSystem().dispatchers();
    this.batcher =
        ctx.spawn(
            Batcher.create(
                new Batcher.Lane(
                    queryEmbedder,
                    dispatchers.lookup(
                        DispatcherSelector.fromConfig("quire.embedding.query-dispatcher")),
                    1,
                    settings.queryMaxBatch()),
                new Batcher.Lane(
                    embedder,
                    dispatchers.lookup(
                        DispatcherSelector.fromConfig("quire.embedding.inference-dispatcher")),
                    settings.inferenceThreads(),
                    settings.maxBatch())),
            "batcher");
    this.indexedSeq = index.indexedSeq();
    this.contentSeq = indexedSeq;
    this.fetchedSeq = indexedSeq;
    // Not known to be caught up until the first round with the read model has ended: until then
    // contentSeq is only what the index had, and a status saying "no lag" would be a guess.
    this.behindSince = System.nanoTime();

    ActorRef<EmbeddingQuery> self = ctx.getSelf().narrow();
    ctx.getSystem().receptionist().tell(Receptionist.register(EmbeddingQuery.SERVICE_KEY, self));
    ctx.getSystem()
        .receptionist()
        .tell(
            Receptionist.subscribe(
                ContentQuery.SERVICE_KEY,
                ctx.messageAdapter(
                    Receptionist.Listing.class,
                    l ->
                        new Listing(
                            List.copyOf(l.getServiceInstances(ContentQuery.SERVICE_KEY))))));
    ActorRef<Topic.Command<ContentTopic>> topic =
        ctx.spawn(Topic.create(ContentTopic.class, ContentTopic.NAME), "content-topic");
    topic.tell(Topic.subscribe(ctx.messageAdapter(ContentTopic.class, t -> new Poke(t.seq()))));
    timers.startTimerWithFixedDelay("catch-up", new Tick(), settings.catchUpInterval());
    if (!settings.unloadIdleModelAfter().isZero()) {
      // Checked every half of the idle time: the model goes between one and one and a half of it
      // after its last use.
      timers.startTimerWithFixedDelay(
          "idle-model", new IdleCheck(), settings.unloadIdleModelAfter().dividedBy(2));
    }
    LOG.info(
        "embedding service started: model {}, index at seq {}", settings.model().id(), indexedSeq);
  }

  private Behavior<Object> behavior() {
    return Behaviors.receive(Object.class)
        .onMessage(EmbeddingQuery.class, this::onQuery)
        .onMessage(
            ReindexTotal.class,
            t -> {
              reindexTotal = t.items();
              return Behaviors.same();
            })
        .onMessage(
            Listing.class,
            l -> {
              queryActors = l.actors();
              fetchIfIdle();
              return Behaviors.same();
            })
        .onMessage(
            Poke.class,
            p -> {
              noteContentSeq(p.seq());
              fetchIfIdle();
              return Behaviors.same();
            })
        .onMessage(
            Tick.class,
            t -> {
              fetchIfIdle();
              return Behaviors.same();
            })
        .onMessage(
            IdleCheck.class,
            t -> {
              unloadIdleModel();
              return Behaviors.same();
            })
        .onMessage(Loaded.class, this::onLoaded)
        .onMessage(Indexed.class, this::onIndexed)
        .onSignal(
            PostStop.class,
            s -> {
              try {
                index.close();
              } finally {
                embedder.close();
                queryEmbedder.close();
              }
              return Behaviors.same();
            })
        .build();
  }

  /**
   * Frees the model's memory (its ONNX Runtime session: ~100 MB of an idle site's RSS) when nothing
   * has used it for {@code unload-idle-model-after}; the next search, citation check or change to
   * embed loads it again. Related items need no model: they compare stored vectors. Off the actor
   * thread, since closing a session takes a few milliseconds; never waits for an inference.
   */
  private void unloadIdleModel() {
    Duration idle = settings.unloadIdleModelAfter();
    CompletableFuture.runAsync(
            () -> {
              embedder.unloadIfIdle(idle);
              queryEmbedder.unloadIfIdle(idle);
            },
            indexExecutor)
        .whenComplete(
            (ok, e) -> {
              if (e != null) {
                LOG.warn("unloading the idle embedding model failed: {}", e.toString());
              }
            });
  }

  /** Cosine similarity of two vectors (0 when either is all zeros). */
  public static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
  }

  private void noteContentSeq(long seq) {
    if (seq > contentSeq) {
      contentSeq = seq;
    }
    if (contentSeq > indexedSeq && behindSince == 0) {
      behindSince = System.nanoTime();
    }
  }

  // ---- following the read model ----

  private void fetchIfIdle() {
    if (fetching || pageFailed || queryActors.isEmpty()) {
      return;
    }
    if (reindexRequested) {
      if (pagesInFlight > 0) {
        return; // starts once the pages in flight are written
      }
      reindexRequested = false;
      reindexing = true;
      indexedSeq = 0;
      fetchedSeq = 0;
      reindexDone = 0;
    }
    if (pagesInFlight >= settings.pipelinePages()) {
      return;
    }
    fetching = true;
    ActorRef<ContentQuery> target =
        queryActors.get((int) Math.floorMod(fetchedSeq, (long) queryActors.size()));
    long after = fetchedSeq;
    ctx.ask(
        ContentQuery.Changes.class,
        target,
        settings.queryTimeout(),
        r -> new ContentQuery.ChangesSince(after, settings.fetchPage(), r),
        Loaded::new);
  }

  /**
   * After a failed page: once no page is in flight and no fetch is outstanding (a fetch sent before
   * the failure would continue past the failed page), the next round starts again after the last
   * page written (pages written but not yet committed are still in the index writer).
   */
  private void drainIfIdle() {
    if (pageFailed && pagesInFlight == 0 && !fetching) {
      pageFailed = false;
      fetchedSeq = indexedSeq;
      lastWrite = CompletableFuture.completedFuture(0);
    }
  }

  private Behavior<Object> onLoaded(Loaded l) {
    fetching = false;
    if (l.failure() != null) {
      LOG.info("embedding catch-up failed (will retry): {}", l.failure().toString());
      drainIfIdle();
      return Behaviors.same();
    }
    if (pageFailed) {
      drainIfIdle(); // fetched before a page failed: dropped, refetched after the drain
      return Behaviors.same();
    }
    ContentQuery.Changes changes = l.changes();
    noteContentSeq(changes.lastSeq());
    boolean force = reindexing;
    pagesInFlight++;
    fetchedSeq = Math.max(fetchedSeq, changes.lastSeq());
    fetchedMore = changes.more();
    CompletableFuture<Integer> written =
        apply(changes.items(), changes.lastSeq(), force, !changes.more(), lastWrite);
    lastWrite = written;
    ctx.pipeToSelf(
        written,
        (embedded, failure) ->
            new Indexed(changes.lastSeq(), embedded == null ? 0 : embedded, failure));
    if (changes.more()) {
      fetchIfIdle();
    }
    return Behaviors.same();
  }

  /**
   * Plans on the index dispatcher, embeds on the inference one, writes back on the index one once
   * {@code previous} (the page before) is written; fails if that page failed, so the index never
   * commits a seq past a page it lacks. The write is committed (durable and searchable) when it is
   * the {@code last} page known or {@code commit-interval} has passed since the last commit.
   */
  private CompletableFuture<Integer> apply(
      List<ReadItem> items,
      long seq,
      boolean force,
      boolean last,
      CompletableFuture<Integer> previous) {
    record Plan(ReadItem item, String hash, String text) {}
    record Work(ReadItem item, String hash, List<String> chunks) {}
    String model = settings.model().id();
    return CompletableFuture.supplyAsync(
            () -> {
              List<Plan> plans = new ArrayList<>();
              for (ReadItem item : items) {
                if (item.status() != ContentStatus.PUBLISHED) {
                  plans.add(new Plan(item, null, null));
                  continue;
                }
                String text = Chunker.text(item.title(), item.description(), item.html());
                String hash = chunker.hash(model, text);
                try {
                  if (force || !hash.equals(index.hash(item.id()))) {
                    plans.add(new Plan(item, hash, text));
                  }
                } catch (java.io.IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              }
              return plans;
            },
            indexExecutor)
        // Chunking needs the model's tokenizer, which may have to load again after an idle
        // unload (0.4-1 s): off the index's one thread, where related items and searches queue.
        .thenApplyAsync(
            plans ->
                plans.stream()
                    .map(p -> new Work(p.item(), p.hash(), chunksOf(p.item(), p.text())))
                    .toList(),
            chunkExecutor)
        .thenCompose(
            work -> {
              // The page's chunks go to the batcher as one request ordered by length, so a batch
              // holds chunks of about the same length and pads little (an item's short last chunk
              // batched with a full one padded ~9% of all tokens of a 1,000-post reindex).
              record Piece(int item, int chunk, String text) {}
              List<Piece> pieces = new ArrayList<>();
              for (int i = 0; i < work.size(); i++) {
                List<String> chunks = work.get(i).chunks();
                for (int c = 0; c < chunks.size(); c++) {
                  pieces.add(new Piece(i, c, chunks.get(c)));
                }
              }
              pieces.sort(java.util.Comparator.comparingInt(p -> p.text().length()));
              return Batcher.embed(batcher, pieces.stream().map(Piece::text).toList(), false)
                  .thenCombine(previous, (embeddedVectors, ignored) -> embeddedVectors)
                  .thenApplyAsync(
                      flat -> {
                        float[][][] vectors = new float[work.size()][][];
                        for (int i = 0; i < work.size(); i++) {
                          vectors[i] = new float[work.get(i).chunks().size()][];
                        }
                        for (int k = 0; k < pieces.size(); k++) {
                          vectors[pieces.get(k).item()][pieces.get(k).chunk()] = flat[k];
                        }
                        int embedded = 0;
                        try {
                          for (int i = 0; i < work.size(); i++) {
                            Work w = work.get(i);
                            if (w.hash() == null || w.chunks().isEmpty()) {
                              index.remove(w.item().id());
                              continue;
                            }
                            float[][] v = vectors[i];
                            index.put(
                                new VectorIndex.Entry(
                                    w.item().id(),
                                    w.item().slug(),
                                    w.item().title(),
                                    w.hash(),
                                    mean(v),
                                    w.chunks(),
                                    List.of(v)));
                            embedded++;
                          }
                          if (last
                              || System.nanoTime() - lastCommitNanos
                                  >= settings.commitInterval().toNanos()) {
                            index.commit(seq);
                            lastCommitNanos = System.nanoTime();
                          } else {
                            index.written(seq);
                          }
                        } catch (java.io.IOException e) {
                          throw new java.io.UncheckedIOException(e);
                        }
                        return embedded;
                      },
                      indexExecutor);
            });
  }

  /**
   * {@code text}'s chunks (none for no text). An item whose text cannot be split is left out of the
   * index, saying which: its failure failed its whole page, again at every retry, and no item
   * changed after it reached semantic search or related posts until it was edited.
   */
  private List<String> chunksOf(ReadItem item, String text) {
    if (text == null) {
      return List.of();
    }
    try {
      return chunker.chunks(text);
    } catch (dev.quire.embedding.model.Embedder.UnsplittableText e) {
      LOG.warn(
          "content {} (/{}) left out of semantic search and related posts: its text could not be"
              + " split into the model's tokens: {}",
          item.id(),
          item.slug(),
          e.toString());
      return List.of();
    }
  }

  /** The document vector: the normalised mean of its chunks' vectors. */
  static float[] mean(float[][] chunks) {
    float[] v = new float[chunks[0].length];
    for (float[] c : chunks) {
      for (int d = 0; d < v.length; d++) {
        v[d] += c[d];
      }
    }
    return ModelSpec.Pooling.normalise(v);
  }

  private Behavior<Object> onIndexed(Indexed i) {
    pagesInFlight--;
    if (i.failure() != null || pageFailed) {
      if (!pageFailed) {
        LOG.warn(
            "embedding changes after seq {} failed (will retry): {}",
            indexedSeq,
            i.failure().toString());
      }
      pageFailed = true;
      drainIfIdle();
      return Behaviors.same();
    }
    indexedSeq = Math.max(indexedSeq, i.seq());
    if (reindexing) {
      reindexDone += i.embedded();
    }
    if (i.embedded() > 0) {
      LOG.debug("embedded {} item(s); index at seq {}", i.embedded(), indexedSeq);
    }
    if (fetchedMore || contentSeq > fetchedSeq || reindexRequested) {
      fetchIfIdle();
    } else if (pagesInFlight == 0) {
      behindSince = 0;
      if (reindexing) {
        reindexing = false;
        reindexTotal = reindexDone;
        LOG.info("reindex done: {} item(s) re-embedded", reindexDone);
      }
    }
    return Behaviors.same();
  }

  // ---- queries ----

  private Behavior<Object> onQuery(EmbeddingQuery q) {
    String model = settings.model().id();
    if (q instanceof EmbeddingQuery.Score sc) {
      String problem = check(sc.text(), 1);
      if (problem == null && sc.passages().size() > EmbeddingQuery.MAX_SCORED) {
        problem = "passages: at most " + EmbeddingQuery.MAX_SCORED;
      }
      if (problem != null) {
        sc.replyTo().tell(new EmbeddingQuery.Scores(List.of(), model, problem));
        return Behaviors.same();
      }
      java.util.List<String> texts = new java.util.ArrayList<>();
      texts.add(sc.text());
      texts.addAll(sc.passages());
      // The background lane: a citation check must not delay visitors' searches.
      Batcher.embed(batcher, texts, false)
          .whenComplete(
              (v, e) -> {
                if (e != null) {
                  sc.replyTo().tell(new EmbeddingQuery.Scores(List.of(), model, cause(e)));
                  return;
                }
                java.util.List<Double> scores = new java.util.ArrayList<>();
                for (int i = 1; i < v.length; i++) {
                  scores.add(cosine(v[0], v[i]));
                }
                sc.replyTo().tell(new EmbeddingQuery.Scores(scores, model, null));
              });
      return Behaviors.same();
    }
    if (q instanceof EmbeddingQuery.Similar s) {
      String problem = check(s.text(), s.k());
      if (problem != null) {
        s.replyTo().tell(new EmbeddingQuery.Hits(List.of(), model, true, problem));
        return Behaviors.same();
      }
      Batcher.embed(batcher, List.of(s.text()), true)
          .thenApplyAsync(v -> search(() -> index.similar(v[0], s.k(), null)), indexExecutor)
          .whenComplete(
              (hits, e) ->
                  s.replyTo()
                      .tell(
                          e == null
                              ? new EmbeddingQuery.Hits(hits, model, true, null)
                              : new EmbeddingQuery.Hits(List.of(), model, true, cause(e))));
    } else if (q instanceof EmbeddingQuery.Related r) {
      int k = Math.min(Math.max(r.k(), 1), settings.maxK());
      CompletableFuture.supplyAsync(
              () -> {
                float[] v = search(() -> index.vector(r.contentId()));
                return v == null
                    ? new EmbeddingQuery.Hits(List.of(), model, false, null)
                    : new EmbeddingQuery.Hits(
                        search(() -> index.similar(v, k, r.contentId())), model, true, null);
              },
              indexExecutor)
          .whenComplete(
              (hits, e) ->
                  r.replyTo()
                      .tell(
                          e == null
                              ? hits
                              : new EmbeddingQuery.Hits(List.of(), model, true, cause(e))));
    } else if (q instanceof EmbeddingQuery.Passages p) {
      String problem = check(p.text(), p.k());
      if (problem != null) {
        p.replyTo().tell(new EmbeddingQuery.PassageHits(List.of(), model, problem));
        return Behaviors.same();
      }
      Batcher.embed(batcher, List.of(p.text()), true)
          .thenApplyAsync(v -> search(() -> index.passages(v[0], p.k())), indexExecutor)
          .whenComplete(
              (hits, e) ->
                  p.replyTo()
                      .tell(
                          e == null
                              ? new EmbeddingQuery.PassageHits(hits, model, null)
                              : new EmbeddingQuery.PassageHits(List.of(), model, cause(e))));
    } else if (q instanceof EmbeddingQuery.GetStatus g) {
      status(g.replyTo());
    } else if (q instanceof EmbeddingQuery.Reindex r) {
      if (!reindexing) {
        reindexRequested = true;
        reindexDone = 0;
        // The total is what is indexed now; new publishes during the run are counted as they come.
        ctx.pipeToSelf(
            CompletableFuture.supplyAsync(() -> search(() -> index.count(false)), indexExecutor),
            (n, e) -> new ReindexTotal(n == null ? 0 : n));
        reindexing = true;
        fetchIfIdle();
      }
      status(r.replyTo());
    }
    return Behaviors.same();
  }

  private void status(ActorRef<EmbeddingQuery.Status> replyTo) {
    long seq = indexedSeq;
    long content = contentSeq;
    long since = behindSince;
    boolean re = reindexing;
    long done = reindexDone;
    long total = reindexTotal;
    CompletableFuture.supplyAsync(
            () -> new long[] {search(() -> index.count(false)), search(() -> index.count(true))},
            indexExecutor)
        .whenComplete(
            (counts, e) ->
                replyTo.tell(
                    new EmbeddingQuery.Status(
                        settings.model().id(),
                        counts == null ? -1 : counts[0],
                        counts == null ? -1 : counts[1],
                        seq,
                        Math.max(content, seq),
                        since == 0 ? 0 : (System.nanoTime() - since) / 1_000_000,
                        re,
                        done,
                        Math.max(total, done),
                        embedder.loadMillis(),
                        // Whether the model's memory is held: by either session, when they differ.
                        embedder.isLoaded() || queryEmbedder.isLoaded())));
  }

  private String check(String text, int k) {
    if (text == null || text.isBlank()) {
      return "q: the query text is empty";
    }
    if (text.length() > settings.maxQueryChars()) {
      return "q: the query text is longer than " + settings.maxQueryChars() + " characters";
    }
    if (k < 1 || k > settings.maxK()) {
      return "k: must be between 1 and " + settings.maxK();
    }
    return null;
  }

  interface IoCall<T> {
    T call() throws java.io.IOException;
  }

  private static <T> T search(IoCall<T> call) {
    try {
      return call.call();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String cause(Throwable e) {
    Throwable c =
        e instanceof java.util.concurrent.CompletionException && e.getCause() != null
            ? e.getCause()
            : e;
    return "the embedding service failed: " + c.getMessage();
  }
}
