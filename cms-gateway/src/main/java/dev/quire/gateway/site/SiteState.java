package dev.quire.gateway.site;

import dev.quire.gateway.content.ContentClient;
import dev.quire.protocol.ContentQuery;
import dev.quire.protocol.ContentStatus;
import dev.quire.protocol.ContentTopic;
import dev.quire.protocol.ReadItem;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * The published site held in this gateway's memory. An actor follows the read model: it loads
 * everything after the last seq it has, on start, when the content topic says something changed,
 * and on a periodic catch-up tick (so a lost notification only delays, never loses, a change).
 * Routes read the current {@link SiteSnapshot} without locks.
 */
public final class SiteState {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SiteState.class);

  /**
   * {@code startupPoll}: how often to look for the content service until the first load; {@code
   * catchUpRetry}: how soon a failed catch-up is tried again when a change is known to be waiting.
   */
  public record Settings(
      int fetchPage,
      Duration catchUpInterval,
      Duration startupPoll,
      Duration catchUpRetry,
      int memoLimit,
      ZoneId zone) {
    public Settings {
      if (catchUpRetry.isNegative() || catchUpRetry.isZero()) {
        throw new IllegalArgumentException(
            "quire.gateway.catch-up-retry must be more than 0, was " + catchUpRetry);
      }
    }
  }

  private final AtomicReference<SiteSnapshot> current;
  private volatile boolean ready;
  private final java.util.List<CompletableFuture<?>> gates =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final java.util.concurrent.atomic.AtomicInteger gatesShut =
      new java.util.concurrent.atomic.AtomicInteger();
  private final CompletableFuture<Void> loaded = new CompletableFuture<>();

  /** Rewrites a published item before the site shows it (a module's, see below). */
  @FunctionalInterface
  public interface ItemTransform {
    ReadItem apply(ReadItem item) throws java.io.IOException;
  }

  private final List<ItemTransform> transforms = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final CompletableFuture<Void> started = new CompletableFuture<>();
  private final java.util.concurrent.Executor transformExecutor;

  /** A site that starts loading at once. */
  public SiteState(ActorSystem<?> system, ContentClient content, Settings settings) {
    this(system, content, settings, true);
  }

  private SiteState(
      ActorSystem<?> system, ContentClient content, Settings settings, boolean startNow) {
    this.current = new AtomicReference<>(SiteSnapshot.empty(settings.memoLimit()));
    this.transformExecutor =
        system.dispatchers().lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking());
    if (startNow) {
      started.complete(null);
    }
    system.systemActorOf(follower(content, settings), "site-state", Props.empty());
  }

  /**
   * A site that loads nothing until {@link #start}: the gateway's, so that what modules add while
   * they start ({@link #transformItems}) applies to the first load too.
   */
  public static SiteState deferred(
      ActorSystem<?> system, ContentClient content, Settings settings) {
    return new SiteState(system, content, settings, false);
  }

  /** Starts loading the site (for one made {@link #deferred}). */
  public void start() {
    started.complete(null);
  }

  /**
   * Has every published item go through {@code transform} before the site shows it, off the actors'
   * threads (it may read files): a module's way to add to what every page shows (its HTML
   * rewritten, what its pages need read ahead). An item whose transform fails is shown as it was
   * stored, and the failure logged.
   */
  public void transformItems(ItemTransform transform) {
    transforms.add(transform);
  }

  private ContentQuery.Changes transformed(ContentQuery.Changes changes) {
    if (transforms.isEmpty()) {
      return changes;
    }
    List<ReadItem> items = new ArrayList<>(changes.items().size());
    for (ReadItem item : changes.items()) {
      if (item.status() != ContentStatus.PUBLISHED) {
        items.add(item); // drafts and the rest are not shown: not worth reading files for
        continue;
      }
      try {
        ReadItem shown = item;
        for (ItemTransform t : transforms) {
          shown = t.apply(shown);
        }
        items.add(shown);
      } catch (java.io.IOException | RuntimeException e) {
        LOG.warn("the HTML of item {} is shown as stored: {}", item.id(), e.toString());
        items.add(item);
      }
    }
    return new ContentQuery.Changes(items, changes.lastSeq(), changes.more());
  }

  public SiteSnapshot snapshot() {
    return current.get();
  }

  /**
   * What a reader is told while the site is still loading: never a 404 for content that is not in
   * memory yet.
   */
  public static final String STARTING = "The site is starting; try again in a moment.";

  /**
   * True once the whole published site has been loaded at least once, and what pages are made with
   * besides (see {@link #holdUntil}) is known.
   */
  public boolean ready() {
    return ready && gatesShut.get() == 0;
  }

  /** Completes once the whole published site has been loaded at least once. */
  public CompletionStage<Void> contentLoaded() {
    return loaded.copy();
  }

  /** Completes once {@link #ready} is true (for the gates added before it is called). */
  public CompletionStage<Void> whenLoaded() {
    CompletableFuture<Void> all = loaded.copy();
    for (CompletableFuture<?> g : gates) {
      // A gate that failed is open, as for ready().
      all = all.thenCombine(g.handle((v, e) -> null), (a, b) -> null);
    }
    return all; // a caller completing its copy cannot mark the site loaded
  }

  /**
   * Keeps the site not ready until {@code gate} completes: for what every page shows that is not
   * content (the site's title as its editors set it), so that no page is served without it. Called
   * while the gateway starts, before its first request.
   */
  public void holdUntil(CompletionStage<?> gate) {
    CompletableFuture<?> g = gate.toCompletableFuture();
    gates.add(g);
    gatesShut.incrementAndGet();
    g.whenComplete((v, e) -> gatesShut.decrementAndGet());
  }

  sealed interface Msg {}

  private record Poke(long seq) implements Msg {}

  private record Tick() implements Msg {}

  private record Loaded(ContentQuery.Changes changes) implements Msg {}

  private record LoadFailed(String reason) implements Msg {}

  /**
   * The site with {@code pending} applied; if that fails (a broken invariant would otherwise stop
   * this actor and freeze the site), the site built again from every published item.
   */
  private static SiteSnapshot next(
      SiteSnapshot site,
      long seq,
      Map<String, SiteSnapshot.Change> pending,
      Map<String, ItemView> items,
      Settings settings) {
    try {
      return site.with(seq, pending.values());
    } catch (RuntimeException e) {
      LOG.error("applying {} change(s) to the site failed; building it again", pending.size(), e);
      return SiteSnapshot.of(seq, items.values(), settings.memoLimit());
    }
  }

  /**
   * The tags (keys) a post left with this change: those it had published ({@code before}) and does
   * not have now ({@code after}, null when it is not published). In the {@code firstLoad} (after a
   * restart, say) a post loaded unpublished that had been published may have left its present tags,
   * so those count: the safe side, as for {@code postsLeftAt}. Not known after a restart: a tag a
   * published post lost before it, or one an unpublished post's draft dropped after it was
   * unpublished. Later, a saved draft of such a post leaves nothing: its tags left when it was
   * unpublished, which was seen then.
   */
  static java.util.Set<String> tagsLeft(
      ReadItem item, ItemView before, ItemView after, boolean firstLoad) {
    if (item.kind() != dev.quire.protocol.ContentKind.POST || item.updatedAt() == null) {
      return java.util.Set.of();
    }
    java.util.Set<String> left = new java.util.HashSet<>();
    if (before != null) {
      before.tags().forEach(t -> left.add(t.key()));
    } else if (firstLoad && after == null && item.publishedAt() != null) {
      item.tags().forEach(t -> left.add(dev.quire.protocol.ContentRules.tagKey(t)));
    }
    if (after != null) {
      after.tags().forEach(t -> left.remove(t.key()));
    }
    return left;
  }

  private static java.time.Instant later(java.time.Instant a, java.time.Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private Behavior<Msg> follower(ContentClient content, Settings settings) {
    return Behaviors.setup(
        ctx -> {
          ActorRef<Topic.Command<ContentTopic>> topic =
              ctx.spawn(Topic.create(ContentTopic.class, ContentTopic.NAME), "content-topic");
          ActorRef<ContentTopic> pokes =
              ctx.messageAdapter(ContentTopic.class, n -> new Poke(n.seq()));
          topic.tell(Topic.subscribe(pokes));
          return Behaviors.withTimers(
              timers -> {
                // Poll briskly until the site is loaded, then settle to the catch-up interval.
                timers.startTimerWithFixedDelay(
                    "tick", new Tick(), Duration.ZERO, settings.startupPoll());
                Map<String, ItemView> items = new HashMap<>();
                // What changed since the current snapshot, over every page of one catch-up.
                Map<String, SiteSnapshot.Change> pending = new LinkedHashMap<>();
                long[] lastSeq = {0};
                // The last time a published post stopped being so (see postsLeftAt).
                java.time.Instant[] postsLeftAt = {null};
                // The same for each tag (see SiteSnapshot.tagLeftAt), by key.
                Map<String, java.time.Instant> tagsLeftAt = new HashMap<>();
                long[] wanted = {0};
                boolean[] inFlight = {false};
                // Catch-ups failed in a row: the first is logged, the retries back off.
                int[] failures = {0};
                Runnable fetch =
                    () -> {
                      inFlight[0] = true;
                      long t0 = System.nanoTime();
                      LOG.debug("fetching changes after seq {}", lastSeq[0]);
                      long after = lastSeq[0];
                      ctx.pipeToSelf(
                          started
                              .thenCompose(v -> content.changesSince(after, settings.fetchPage()))
                              .thenApplyAsync(this::transformed, transformExecutor),
                          (changes, failure) -> {
                            LOG.debug(
                                "fetch after seq {} took {} ms",
                                lastSeq[0],
                                (System.nanoTime() - t0) / 1_000_000);
                            return failure != null
                                ? new LoadFailed(failure.toString())
                                : new Loaded(changes);
                          });
                    };
                return Behaviors.receive(Msg.class)
                    .onMessage(
                        Poke.class,
                        p -> {
                          wanted[0] = Math.max(wanted[0], p.seq());
                          if (!inFlight[0] && p.seq() > lastSeq[0]) {
                            fetch.run();
                          }
                          return Behaviors.same();
                        })
                    .onMessage(
                        Tick.class,
                        t -> {
                          if (!ready) {
                            LOG.debug(
                                "tick: inFlight={} reachable={}",
                                inFlight[0],
                                content.queriesReachable());
                          }
                          if (!inFlight[0] && content.queriesReachable()) {
                            fetch.run();
                          }
                          return Behaviors.same();
                        })
                    .onMessage(
                        LoadFailed.class,
                        f -> {
                          inFlight[0] = false;
                          failures[0]++;
                          if (failures[0] == 1) {
                            LOG.info("site catch-up failed (will retry): {}", f.reason());
                          } else {
                            LOG.debug(
                                "site catch-up failed again ({}): {}", failures[0], f.reason());
                          }
                          // A change announced while it failed is fetched soon, not at the
                          // next catch-up tick (its notification will not come again): after
                          // catch-up-retry, doubling while it keeps failing, up to the interval.
                          if (ready && wanted[0] > lastSeq[0]) {
                            Duration delay =
                                settings
                                    .catchUpRetry()
                                    .multipliedBy(1L << Math.min(failures[0] - 1, 20));
                            if (delay.compareTo(settings.catchUpInterval()) > 0) {
                              delay = settings.catchUpInterval();
                            }
                            timers.startSingleTimer("retry", new Tick(), delay);
                          }
                          return Behaviors.same();
                        })
                    .onMessage(
                        Loaded.class,
                        l -> {
                          inFlight[0] = false;
                          if (failures[0] > 0) {
                            LOG.info("site catch-up works again, after {} failures", failures[0]);
                            failures[0] = 0;
                          }
                          ContentQuery.Changes changes = l.changes();
                          boolean changed = changes.lastSeq() > lastSeq[0];
                          lastSeq[0] = changes.lastSeq();
                          if (changes.more()) {
                            // The next page is read (on the content side) while this one is
                            // applied here.
                            fetch.run();
                          }
                          for (ReadItem item : changes.items()) {
                            ItemView after =
                                item.status() == ContentStatus.PUBLISHED
                                    ? ItemView.of(item, settings.zone())
                                    : null;
                            ItemView before =
                                after != null
                                    ? items.put(item.id(), after)
                                    : items.remove(item.id());
                            // A post that stops being published now, or (in the first load) one
                            // found unpublished that had been: a saved draft of it later left
                            // nothing, the blog's lists being as they were.
                            if (item.kind() == dev.quire.protocol.ContentKind.POST
                                && after == null
                                && (before != null || (!ready && item.publishedAt() != null))
                                && item.updatedAt() != null
                                && (postsLeftAt[0] == null
                                    || item.updatedAt().isAfter(postsLeftAt[0]))) {
                              postsLeftAt[0] = item.updatedAt();
                            }
                            tagsLeft(item, before, after, !ready)
                                .forEach(
                                    key ->
                                        tagsLeftAt.merge(key, item.updatedAt(), SiteState::later));
                            pending.merge(
                                item.id(),
                                new SiteSnapshot.Change(before, after),
                                SiteSnapshot.Change::then);
                          }
                          if (changes.more()) {
                            return Behaviors.same();
                          }
                          if (changed || !ready || !pending.isEmpty()) {
                            current.set(
                                next(current.get(), lastSeq[0], pending, items, settings)
                                    .withLeftAt(postsLeftAt[0], tagsLeftAt));
                            pending.clear();
                          }
                          if (!ready) {
                            timers.startTimerWithFixedDelay(
                                "tick", new Tick(), settings.catchUpInterval());
                            LOG.info(
                                "site loaded: {} published items at seq {}",
                                items.size(),
                                lastSeq[0]);
                          }
                          ready = true;
                          loaded.complete(null);
                          if (wanted[0] > lastSeq[0]) {
                            fetch.run();
                          }
                          return Behaviors.same();
                        })
                    .build();
              });
        });
  }
}
