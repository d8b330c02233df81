package dev.quire.gateway.content;

import dev.quire.protocol.ContentQuery;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
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
  private final ZoneId zone;

  StoreWatch(ZoneId zone) {
    this.zone = zone;
  }

  /** Asks every {@code interval} until the system stops. */
  static StoreWatch start(
      ActorSystem<?> system,
      ContentClient content,
      Duration interval,
      Duration timeout,
      ZoneId zone) {
    StoreWatch watch = new StoreWatch(zone);
    Cancellable task =
        system
            .scheduler()
            .scheduleWithFixedDelay(
                interval,
                interval,
                () ->
                    content
                        .storeReports(timeout)
                        .thenAccept(watch::update)
                        .exceptionally(e -> null),
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

  /** The latest answers: trouble when any node's last write failed. */
  void update(List<ContentQuery.StoreReport> reports) {
    current.set(
        reports.stream()
            .filter(ContentQuery.StoreReport::failing)
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
