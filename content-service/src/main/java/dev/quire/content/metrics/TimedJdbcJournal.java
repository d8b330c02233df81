package dev.quire.content.metrics;

import com.typesafe.config.Config;
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
   * Failed journal writes since the JVM started, for a command to stop on (the Timer's count is 0
   * where no meter registry is installed, as in the commands).
   */
  private static final java.util.concurrent.atomic.AtomicLong FAILED_WRITES =
      new java.util.concurrent.atomic.AtomicLong();

  /** Journal writes that failed since the JVM started. */
  public static long failedWrites() {
    return FAILED_WRITES.get();
  }

  public TimedJdbcJournal(Config config) {
    super(config);
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
    Future<Seq<Try<BoxedUnit>>> f = super.asyncWriteMessages(messages);
    // On the completing thread (parasitic): Scala's CompletionStage view would run a Java
    // callback "async" on the common pool, which on 2 cores starts a thread per call.
    f.onComplete(
        result -> {
          long took = System.nanoTime() - t0;
          if (result.isSuccess()) {
            WRITES.record(took, TimeUnit.NANOSECONDS);
            EVENTS.increment(count);
          } else {
            FAILED.record(took, TimeUnit.NANOSECONDS);
            FAILED_WRITES.incrementAndGet();
          }
          return BoxedUnit.UNIT;
        },
        scala.concurrent.ExecutionContext.parasitic$.MODULE$);
    return f;
  }
}
