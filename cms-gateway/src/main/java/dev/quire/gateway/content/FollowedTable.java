package dev.quire.gateway.content;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * A gateway's copy of a small site-wide table one sharded entity journals (the redirect table, the
 * menus): asked for every {@code every}, with the version held so that an unchanged table costs a
 * one-word answer, and at once after a write through this gateway, so the writer reads the write
 * (other gateways follow within {@code every}). {@code T} is the entity's answer to a read; {@code
 * install} takes it (changed or not) and keeps what it needs.
 */
public final class FollowedTable<C, T> {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(FollowedTable.class);

  /**
   * How to read the table: the command for a version held, and the version an answer is at. A table
   * answered a page at a time says where the next page starts ({@link #next}), is read from there
   * ({@link #page}), and its pages are joined into one answer ({@link #join}).
   */
  public interface Reads<C, T> {
    C get(long knownVersion, ActorRef<T> replyTo);

    long version(T answer);

    /** Where the page after {@code answer} starts; null when it ends the table. */
    default Integer next(T answer) {
      return null;
    }

    /** The command for the page from {@code offset} of the table, whatever version is held. */
    default C page(int offset, ActorRef<T> replyTo) {
      throw new UnsupportedOperationException("this table is answered whole");
    }

    /** The pages of one version, in order, as one answer. */
    default T join(List<T> pages) {
      return pages.get(0);
    }
  }

  /** The most pages one read takes: past it, the table is assumed to keep changing under it. */
  private static final int MAX_PAGES = 10_000;

  private final ActorSystem<?> system;
  private final ContentClient content;
  private final EntityTypeKey<C> key;
  private final String entityId;
  private final String what;
  private final Reads<C, T> reads;
  private final Consumer<T> install;
  private final AtomicBoolean fetching = new AtomicBoolean();
  private volatile long known = -1;

  public FollowedTable(
      ActorSystem<?> system,
      ContentClient content,
      EntityTypeKey<C> key,
      String entityId,
      String what,
      Reads<C, T> reads,
      Consumer<T> install) {
    this.system = system;
    this.content = content;
    this.key = key;
    this.entityId = entityId;
    this.what = what;
    this.reads = reads;
    this.install = install;
  }

  /**
   * Fetches now and every {@code every}, until the node starts to shut down: a read sent after that
   * into a shard region handing off its shards is buffered with nowhere to go, and the region's
   * graceful shutdown then waits its whole timeout (10 s) for that buffer to drain.
   */
  public void follow(Duration every, String shutdownTask) {
    Cancellable schedule =
        system
            .scheduler()
            .scheduleWithFixedDelay(Duration.ZERO, every, this::refresh, system.executionContext());
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeServiceUnbind(),
            shutdownTask,
            () -> {
              schedule.cancel();
              return CompletableFuture.completedFuture(Done.getInstance());
            });
  }

  /** Fetches the table unless a fetch is under way. */
  public void refresh() {
    if (!fetching.compareAndSet(false, true)) {
      return;
    }
    // Composed onto a completed stage, so an ask that throws (the entity's sharding not started
    // yet on this node) is a failed fetch like any other: thrown out of here it would end the
    // schedule and leave the flag set, and the table would never load.
    CompletableFuture.completedStage(null)
        .thenCompose(ignored -> fetch())
        .whenComplete(
            (done, failure) -> {
              fetching.set(false);
              if (failure != null) {
                LOG.debug("{} not reachable yet: {}", what, failure.toString());
              }
            });
  }

  /** Asks for the table if it changed since the version held, and installs the answer. */
  public CompletionStage<Void> fetch() {
    long held = known;
    return read(held)
        .thenAccept(
            answer -> {
              install.accept(answer);
              known = Math.max(known, reads.version(answer));
            });
  }

  /** The whole table, from the entity, whatever this gateway holds. */
  public CompletionStage<T> current() {
    return Asks.unavailableOnTimeout(read(-1), what);
  }

  /**
   * The table unless it is at {@code held}: its first answer and, when that says there is more, the
   * pages after it, all of one version (a page of another means the table changed meanwhile: the
   * read fails, and the next one starts over).
   */
  private CompletionStage<T> read(long held) {
    return read(held, READ_ATTEMPTS);
  }

  /**
   * Tries a read this many times when the table changes under it (a write between its pages): a
   * writer's own read right after its write, or the admin's list, failed on the first change.
   */
  private static final int READ_ATTEMPTS = 3;

  private CompletionStage<T> read(long held, int attempts) {
    return readOnce(held)
        .exceptionallyCompose(
            e ->
                attempts > 1 && Asks.unwrap(e) instanceof TableChanged
                    ? read(held, attempts - 1)
                    : CompletableFuture.failedFuture(e));
  }

  /** The table changed between two pages of a read. */
  private static final class TableChanged extends IllegalStateException {
    TableChanged(String what) {
      super(what + " changed while it was read");
    }
  }

  private CompletionStage<T> readOnce(long held) {
    return ask(r -> reads.get(held, r))
        .thenCompose(
            first -> {
              Integer next = reads.next(first);
              if (next == null) {
                return CompletableFuture.completedFuture(first);
              }
              List<T> pages = new java.util.ArrayList<>(List.of(first));
              return rest(pages, next, reads.version(first));
            });
  }

  private CompletionStage<T> rest(List<T> pages, int offset, long version) {
    if (pages.size() >= MAX_PAGES) {
      return CompletableFuture.failedFuture(
          new IllegalStateException(what + " has more than " + MAX_PAGES + " pages"));
    }
    return ask(r -> reads.page(offset, r))
        .thenCompose(
            page -> {
              if (reads.version(page) != version) {
                return CompletableFuture.failedFuture(new TableChanged(what));
              }
              pages.add(page);
              Integer next = reads.next(page);
              return next == null
                  ? CompletableFuture.completedFuture(reads.join(pages))
                  : rest(pages, next, version);
            });
  }

  private CompletionStage<T> ask(Function<ActorRef<T>, C> make) {
    return Asks.on(entity().<T>ask(make::apply, content.askTimeout()), system.executionContext());
  }

  /**
   * A change; once {@code stored} says it was, answered after this gateway holds it. Should that
   * fetch fail, the change is stored all the same, and the next refresh brings it.
   */
  public <R> CompletionStage<R> send(Function<ActorRef<R>, C> make, Predicate<R> stored) {
    return Asks.unavailableOnTimeout(
            Asks.on(entity().<R>ask(make::apply, content.askTimeout()), system.executionContext()),
            what)
        .thenCompose(
            reply ->
                !stored.test(reply)
                    ? CompletableFuture.completedFuture(reply)
                    : fetch()
                        .handle(
                            (done, failure) -> {
                              if (failure != null) {
                                LOG.debug("{} not refreshed after a write: {}", what, failure);
                              }
                              return reply;
                            }));
  }

  private EntityRef<C> entity() {
    return ClusterSharding.get(system).entityRefFor(key, entityId);
  }
}
