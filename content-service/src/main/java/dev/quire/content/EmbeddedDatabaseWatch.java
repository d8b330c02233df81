package dev.quire.content;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.db.SlickExtension$;
import org.apache.pekko.persistence.jdbc.db.SlickExtensionImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reopens the embedded (H2) database after H2 closed it.
 *
 * <p>When a write to its file fails (a full disk), H2 closes the whole database, and every
 * connection the pools hold answers "The database has been closed" from then on: HikariCP does not
 * take that error for a dead connection, and H2's {@code isValid} still says yes. Writes failed
 * until the process was restarted (the reliability review's disk-full run), though freeing the disk
 * was all a restart needed. This asks the database every {@code quire.db.h2-closed-check} whether
 * it is open; when H2 has closed it, both pools (the read model's and the journal's) drop their
 * connections, so that the next connection opens the file again, as a restart would (H2 recovers it
 * to its last commit). While the disk is still full, that open or the next write fails again, and
 * the watch tries again at the next check.
 */
public final class EmbeddedDatabaseWatch {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabaseWatch.class);

  /** H2: DATABASE_IS_CLOSED, DATABASE_CALLED_AT_SHUTDOWN. */
  static final List<Integer> CLOSED_CODES = List.of(90098, 90121);

  /**
   * At most one warning (and one "open again") per this long: while the disk stays full, the
   * database reopens and is closed again at every other check.
   */
  static final Duration LOG_EVERY = Duration.ofMinutes(1);

  private final List<HikariDataSource> pools;
  private final Duration every;
  // Checks run one after another (each after the one before has ended), on the dispatcher's
  // threads: volatile for what one check leaves to the next.
  private volatile boolean closed;
  private volatile int closes;
  private volatile long warnedAt = Long.MIN_VALUE;
  private volatile long reopenedAt = Long.MIN_VALUE;

  EmbeddedDatabaseWatch(List<HikariDataSource> pools, Duration every) {
    this.pools = pools;
    this.every = every;
  }

  /** Checks every {@code every} on {@code jdbc}. */
  static void start(
      ActorSystem<?> system, HikariDataSource readModel, Duration every, Executor jdbc) {
    if (every.isZero() || every.isNegative()) {
      throw new IllegalArgumentException(
          "quire.db.h2-closed-check (QUIRE_DB_H2_CLOSED_CHECK): must be a positive duration, was "
              + every);
    }
    SlickExtensionImpl slick =
        (SlickExtensionImpl) SlickExtension$.MODULE$.get(system.classicSystem());
    var source =
        slick.database(system.settings().config().getConfig("jdbc-journal")).database().source();
    List<HikariDataSource> pools;
    if (source instanceof slick.jdbc.hikaricp.HikariCPJdbcDataSource h) {
      pools = List.of(readModel, h.ds());
    } else {
      log.warn(
          "the journal's connections do not come from a HikariCP pool ({}): after H2 closes the"
              + " database, only the read model's are replaced",
          source.getClass().getName());
      pools = List.of(readModel);
    }
    EmbeddedDatabaseWatch watch = new EmbeddedDatabaseWatch(pools, every);
    system
        .scheduler()
        .scheduleWithFixedDelay(
            every, every, watch::check, scala.concurrent.ExecutionContext.fromExecutor(jdbc));
  }

  /**
   * One check: true when the database is open (again). Each pool is asked: a pool may already hold
   * a new connection (it grows, or replaces an old one), which opens the file again, while the
   * other pool's connections are still the closed database's.
   */
  boolean check() {
    long now = System.nanoTime();
    try {
      SQLException seen = null;
      boolean seenClosed = false;
      for (HikariDataSource pool : pools) {
        if (pool.isClosed()) {
          return false; // the node is stopping
        }
        try (Connection c = pool.getConnection();
            Statement st = c.createStatement()) {
          st.execute("SELECT 1");
        } catch (SQLException e) {
          seen = seen == null ? e : seen;
          seenClosed |= closedByH2(e);
        }
      }
      if (seen == null) {
        if (closed) {
          closed = false;
          if (reopenedAt == Long.MIN_VALUE || now - reopenedAt >= LOG_EVERY.toNanos()) {
            reopenedAt = now;
            log.info("the embedded database is open again; writes go through");
          }
        }
        return true;
      }
      if (seenClosed) {
        closed = true;
        closes++;
        if (warnedAt == Long.MIN_VALUE || now - warnedAt >= LOG_EVERY.toNanos()) {
          warnedAt = now;
          log.warn(
              "H2 closed the embedded database ({} time(s) since the last warning) after a write"
                  + " to its file failed (a full disk?): writes fail until it is open again; the"
                  + " pools reopen it, and again every {} ms while it is closed: {}",
              closes,
              every.toMillis(),
              seen.getMessage());
          closes = 0;
        }
        pools.forEach(p -> p.getHikariPoolMXBean().softEvictConnections());
      } else if (closed) {
        // Reopening failed (the disk still full?): tried again at the next check.
        log.debug("the embedded database does not open yet: {}", seen.getMessage());
        pools.forEach(p -> p.getHikariPoolMXBean().softEvictConnections());
      }
      return false;
    } catch (Throwable e) {
      // Never out of the scheduled task: that would end the checks for good.
      log.warn("checking the embedded database failed", e);
      return false;
    }
  }

  /**
   * The room left on the disk holding {@code dir}, read every {@code every} on the blocking
   * dispatcher and kept: for answers given on an actor's thread (-1 until first read).
   */
  static java.util.function.LongSupplier freeSpaceKept(
      ActorSystem<?> system, java.nio.file.Path dir, Duration every) {
    java.util.concurrent.atomic.AtomicLong kept = new java.util.concurrent.atomic.AtomicLong(-1);
    system
        .scheduler()
        .scheduleWithFixedDelay(
            Duration.ZERO,
            every,
            () -> {
              try {
                kept.set(freeBytes(dir));
              } catch (RuntimeException e) {
                // Thrown out of the task, it would end the schedule for good.
                kept.set(-1);
              }
            },
            system
                .dispatchers()
                .lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking()));
    return kept::get;
  }

  /**
   * The room left on the disk holding {@code dir} (or its nearest existing parent), in bytes; -1
   * when it cannot be told. A file-system call: not on an actor's thread.
   */
  public static long freeBytes(java.nio.file.Path dir) {
    try {
      java.nio.file.Path existing = dir.toAbsolutePath();
      while (existing != null && !java.nio.file.Files.exists(existing)) {
        existing = existing.getParent();
      }
      return existing == null ? -1 : java.nio.file.Files.getFileStore(existing).getUsableSpace();
    } catch (java.io.IOException e) {
      return -1;
    }
  }

  /** Whether {@code e} says that H2 has closed the database (not: a statement failed). */
  public static boolean closedByH2(Throwable e) {
    return anyCause(
        e,
        t ->
            t instanceof SQLException s && CLOSED_CODES.contains(s.getErrorCode())
                || t.getClass().getName().equals("org.h2.mvstore.MVStoreException")
                    && String.valueOf(t.getMessage()).contains("store is closed"));
  }

  /**
   * Whether {@code e} is H2 failing to write its file, the failure after which it closes the
   * database (H2 wraps it in a general error, code 50000): most often a full disk.
   */
  public static boolean writeFailedInH2(Throwable e) {
    return anyCause(
        e,
        t ->
            t instanceof SQLException s
                && String.valueOf(s.getMessage()).contains("MVStoreException: Writing to"));
  }

  private static boolean anyCause(Throwable e, java.util.function.Predicate<Throwable> test) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (test.test(t)) {
        return true;
      }
    }
    return false;
  }
}
