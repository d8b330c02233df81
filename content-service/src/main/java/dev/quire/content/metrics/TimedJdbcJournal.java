package dev.quire.content.metrics;

import com.typesafe.config.Config;
import dev.quire.content.journal.WritesInFlight;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.jdbc.journal.JdbcAsyncWriteJournal;
import scala.collection.immutable.Seq;
import scala.concurrent.Future;
import scala.runtime.BoxedUnit;
import scala.util.Try;

/**
 * The JDBC journal with its writes timed: {@code quire.journal.writes} is the time from a batch of
 * events reaching the journal to the database confirming it (what every acknowledged edit waits
 * for), {@code quire.journal.events} the events written. Configured as {@code jdbc-journal.class}.
 * Each write is also registered in {@link WritesInFlight} while it is open.
 */
public final class TimedJdbcJournal extends JdbcAsyncWriteJournal {

  private static final Timer WRITES =
      Timer.builder("quire.journal.writes")
          .description("Journal write latency: a batch of events handed over until stored")
          .publishPercentiles(0.5, 0.99)
          .register(Metrics.globalRegistry);
  private static final Counter EVENTS =
      Counter.builder("quire.journal.events")
          .description("Events written to the journal")
          .register(Metrics.globalRegistry);
  private static final Timer FAILED =
      Timer.builder("quire.journal.write.failures")
          .description("Journal writes that failed, and how long they took to fail")
          .register(Metrics.globalRegistry);

  /**
   * How the writes have gone since the JVM started, one snapshot (read whole: a failure's time and
   * reason always belong together). Failed writes are counted here for a command to stop on (the
   * Timer's count is 0 where no meter registry is installed, as in the commands).
   */
  private static final java.util.concurrent.atomic.AtomicReference<Health> HEALTH =
      new java.util.concurrent.atomic.AtomicReference<>(new Health(0, 0, null, 0));

  /** Journal writes that failed since the JVM started. */
  public static long failedWrites() {
    return HEALTH.get().failedWrites();
  }

  /** The longest reason kept: a driver's message may carry a whole SQL statement. */
  private static final int MAX_REASON_CHARS = 300;

  /**
   * How this JVM's journal writes have been going, for editors to be told when saving fails: when
   * the last failed and succeeded (epoch milliseconds, 0: never), and why it failed.
   */
  public record Health(
      long failedWrites, long lastFailureAt, String lastFailure, long lastSuccessAt) {
    /** Whether the last write failed: none has succeeded since. */
    public boolean failing() {
      return lastFailureAt != 0 && lastFailureAt >= lastSuccessAt;
    }
  }

  public static Health health() {
    return HEALTH.get();
  }

  /** What a failure says, innermost cause first (the driver's wrapper adds nothing). */
  static String reason(Throwable e) {
    Throwable root = e;
    for (int i = 0; root.getCause() != null && root.getCause() != root && i < 16; i++) {
      root = root.getCause();
    }
    String m = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    m = m.replaceAll("\\s+", " ").strip();
    return m.length() > MAX_REASON_CHARS ? m.substring(0, MAX_REASON_CHARS) + "..." : m;
  }

  /** This system's open journal writes (the read journal's gap finder reads them on H2). */
  private final WritesInFlight writes;

  public TimedJdbcJournal(Config config) {
    super(config);
    this.writes = WritesInFlight.get(context().system());
  }

  /**
   * An entity's recovery first asks for its highest sequence number: with the database gone
   * (PostgreSQL down) that fails before any write is tried, and is told of as a failure too (not
   * counted as a write, and not cleared by a read that works: a full disk still reads).
   */
  @Override
  public Future<Object> asyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    Future<Object> f = super.asyncReadHighestSequenceNr(persistenceId, fromSequenceNr);
    f.onComplete(
        result -> {
          if (result.isFailure()) {
            String why = reason(result.failed().get());
            long now = System.currentTimeMillis();
            HEALTH.updateAndGet(h -> new Health(h.failedWrites(), now, why, h.lastSuccessAt()));
          }
          return BoxedUnit.UNIT;
        },
        scala.concurrent.ExecutionContext.parasitic$.MODULE$);
    return f;
  }

  @Override
  public Future<Seq<Try<BoxedUnit>>> asyncWriteMessages(Seq<AtomicWrite> messages) {
    long t0 = System.nanoTime();
    long events = 0;
    var it = messages.iterator();
    while (it.hasNext()) {
      events += it.next().size();
    }
    long count = events;
    // Open until the database has committed or rolled the write back: the read journal gives up
    // a gap in the ordering on H2 only once the writes open when it saw it have ended.
    long write = writes.begin();
    Future<Seq<Try<BoxedUnit>>> f;
    try {
      f = super.asyncWriteMessages(messages);
    } catch (RuntimeException e) {
      writes.end(write);
      throw e;
    }
    // On the completing thread (parasitic): Scala's CompletionStage view would run a Java
    // callback "async" on the common pool, which on 2 cores starts a thread per call.
    f.onComplete(
        result -> {
          writes.end(write);
          long took = System.nanoTime() - t0;
          if (result.isSuccess()) {
            WRITES.record(took, TimeUnit.NANOSECONDS);
            EVENTS.increment(count);
            long now = System.currentTimeMillis();
            HEALTH.updateAndGet(
                h -> new Health(h.failedWrites(), h.lastFailureAt(), h.lastFailure(), now));
          } else {
            FAILED.record(took, TimeUnit.NANOSECONDS);
            String why = reason(result.failed().get());
            long now = System.currentTimeMillis();
            HEALTH.updateAndGet(h -> new Health(h.failedWrites() + 1, now, why, h.lastSuccessAt()));
          }
          return BoxedUnit.UNIT;
        },
        scala.concurrent.ExecutionContext.parasitic$.MODULE$);
    return f;
  }
}
