package dev.quire.gateway.content;

import dev.quire.protocol.ContentQuery;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Whether the site's content nodes are refusing writes (a full disk, a database that went away),
 * asked of each every {@code quire.gateway.store-check.interval}: the admin then says so on every
 * page, and a change that times out meanwhile is answered 503 {@code store_failing} saying why,
 * rather than leave editors and importers with timeouts. Clear again once a write on every node has
 * succeeded since its last failure.
 */
public final class StoreWatch {

  /** What editors are told: the node whose writes fail, as its report says. */
  public record Trouble(
      long failedWrites, String lastFailureAt, String lastFailure, long freeMegabytes) {

    /** In words, for an answer: when, why, and the room left where that is known. */
    public String describe() {
      return "the site's database is refusing writes: it refused the last one at "
          + lastFailureAt
          + (lastFailure == null ? "" : " (" + lastFailure + ")")
          + (freeMegabytes >= 0
              ? "; the disk holding the site's data has " + freeMegabytes + " MB free"
              : "");
    }
  }

  private final AtomicReference<Optional<Trouble>> current =
      new AtomicReference<>(Optional.empty());

  /** A node's answer, and when this gateway had it (its own clock: {@link System#nanoTime}). */
  private record Kept(ContentQuery.StoreReport report, long receivedAt) {

    /** How long ago, in milliseconds, the node's last failure was. */
    long failureAgeMillis(long now) {
      return report.reportedAt() - report.lastFailureAt() + (now - receivedAt) / 1_000_000;
    }
  }

  /**
   * Each node's last answer: a node that does not answer (its queries stuck behind a database gone
   * away, a pause) keeps its last word, ageing, rather than clear the note. Updated by one poll at
   * a time ({@link #polling}).
   */
  private volatile java.util.Map<org.apache.pekko.actor.Address, Kept> last = java.util.Map.of();

  /** Whether a poll is under way: the next is skipped rather than overlap it. */
  private final java.util.concurrent.atomic.AtomicBoolean polling =
      new java.util.concurrent.atomic.AtomicBoolean();

  private final ZoneId zone;
  private final Duration remember;

  StoreWatch(ZoneId zone, Duration remember) {
    this.zone = zone;
    this.remember = remember;
  }

  /** Asks every {@code interval} until the system stops. */
  static StoreWatch start(
      ActorSystem<?> system,
      ContentClient content,
      Duration interval,
      Duration timeout,
      Duration remember,
      ZoneId zone) {
    StoreWatch watch = new StoreWatch(zone, remember);
    Cancellable task =
        system
            .scheduler()
            .scheduleWithFixedDelay(
                interval,
                interval,
                () -> {
                  if (!watch.polling.compareAndSet(false, true)) {
                    return;
                  }
                  try {
                    content
                        .storeReports(timeout)
                        .thenAccept(watch::update)
                        .whenComplete((v, e) -> watch.polling.set(false));
                  } catch (RuntimeException e) {
                    // Thrown out of the task, it would end the schedule for good.
                    watch.polling.set(false);
                  }
                },
                system.executionContext());
    org.apache.pekko.actor.CoordinatedShutdown.get(system)
        .addTask(
            org.apache.pekko.actor.CoordinatedShutdown.PhaseBeforeServiceUnbind(),
            "stop-store-watch",
            () -> {
              task.cancel();
              return java.util.concurrent.CompletableFuture.completedFuture(
                  org.apache.pekko.Done.getInstance());
            });
    return watch;
  }

  /**
   * The latest answers, by node (empty: no answer this time): trouble when a node's last write
   * failed, less than {@code remember} before its answer.
   */
  void update(
      java.util.Map<org.apache.pekko.actor.Address, Optional<ContentQuery.StoreReport>> answers) {
    long now = System.nanoTime();
    java.util.Map<org.apache.pekko.actor.Address, Kept> known = new java.util.HashMap<>();
    answers.forEach(
        (node, answer) -> {
          Kept k = answer.map(r -> new Kept(r, now)).orElse(last.get(node));
          if (k != null) {
            known.put(node, k);
          }
        });
    last = java.util.Map.copyOf(known);
    current.set(
        known.values().stream()
            .filter(k -> k.report().failing() && k.failureAgeMillis(now) < remember.toMillis())
            .map(Kept::report)
            .max(java.util.Comparator.comparingLong(ContentQuery.StoreReport::lastFailureAt))
            .map(
                r ->
                    new Trouble(
                        r.failedWrites(),
                        dev.quire.gateway.module.Admin.shownTime(
                            Instant.ofEpochMilli(r.lastFailureAt()), zone),
                        r.lastFailure(),
                        r.freeBytes() < 0 ? -1 : r.freeBytes() / (1024 * 1024))));
  }

  public Optional<Trouble> trouble() {
    return current.get();
  }
}
