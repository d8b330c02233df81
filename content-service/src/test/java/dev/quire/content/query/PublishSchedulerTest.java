package dev.quire.content.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;

/** The scheduler reads due schedules one read at a time. */
class PublishSchedulerTest {

  /**
   * A database that does not answer until {@link #close()} (a test double, as a real one cannot be
   * made to hang on demand here), under a scheduler ticking every 10 ms whose reads time out after
   * {@code readTimeout}.
   */
  private static final class Hanging implements AutoCloseable {
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger asked = new AtomicInteger();
    final ActorTestKit kit =
        ActorTestKit.create(
            ConfigFactory.parseString(
                    "pekko.actor.provider = cluster\n"
                        + "pekko.remote.artery.canonical.port = 0\n"
                        + "pekko.remote.artery.canonical.hostname = 127.0.0.1")
                .withFallback(ConfigFactory.load()));
    final java.util.concurrent.ExecutorService jdbc = Executors.newFixedThreadPool(8);

    Hanging(Duration readTimeout) {
      DataSource db =
          new NoDataSource() {
            @Override
            public Connection getConnection() throws SQLException {
              asked.incrementAndGet();
              try {
                release.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              throw new SQLException("the database did not answer");
            }
          };
      kit.spawn(
          PublishScheduler.create(
              db, null, jdbc, Duration.ofMillis(10), 10, readTimeout, Clock.systemUTC()));
    }

    void awaitAsked(int times) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (asked.get() < times && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
    }

    @Override
    public void close() {
      release.countDown();
      kit.shutdownTestKit();
      jdbc.shutdownNow();
    }
  }

  /**
   * While a read hangs, later ticks start no other read; once it fails, reads go on. Until
   * 2026-12-07 each 1 s tick queued one more on the JDBC dispatcher.
   */
  @Test
  void aHangingReadIsNotJoinedByMore() throws Exception {
    try (Hanging db = new Hanging(Duration.ofSeconds(30))) {
      Thread.sleep(500); // ~50 ticks
      assertThat(db.asked.get()).isEqualTo(1);
      db.release.countDown();
      db.awaitAsked(3);
      assertThat(db.asked.get()).as("reads go on after the failure").isGreaterThanOrEqualTo(3);
    }
  }

  /**
   * A read that never answers is given up after the read timeout, and the next tick reads again:
   * the one-at-a-time guard does not stop scheduled publishing for good.
   */
  @Test
  void aReadThatNeverAnswersIsGivenUpAfterTheTimeout() throws Exception {
    try (Hanging db = new Hanging(Duration.ofMillis(200))) {
      db.awaitAsked(3);
      assertThat(db.asked.get()).as("reads again after each timeout").isGreaterThanOrEqualTo(3);
    }
  }

  /** A DataSource whose connections come only from {@link #getConnection()}. */
  private abstract static class NoDataSource implements DataSource {
    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public Logger getParentLogger() {
      return Logger.getGlobal();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return false;
    }
  }
}
