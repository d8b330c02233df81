package dev.quire.gateway.admin;

import dev.quire.gateway.content.ContentClient;
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
 * asked of each every {@code quire.gateway.admin.store-check.interval}: the admin then says so on
 * every page, rather than leave editors with saves that time out. Clear again once a write on every
 * node has succeeded since its last failure.
 */
final class StoreWatch {

  /** What editors are told: the node whose writes fail, as its report says. */
  record Trouble(long failedWrites, String lastFailureAt, String lastFailure, long freeMegabytes) {}

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

  Optional<Trouble> trouble() {
    return current.get();
  }
}
