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
   * While a read hangs (a database that does not answer: a test double, as a real one cannot be
   * made to hang on demand here), later ticks start no other read; once it fails, reads go on.
   * Until 2026-12-07 each 1 s tick queued one more on the JDBC dispatcher.
   */
  @Test
  void aHangingReadIsNotJoinedByMore() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger asked = new AtomicInteger();
    DataSource hanging =
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
    ActorTestKit kit =
        ActorTestKit.create(
            ConfigFactory.parseString(
                    "pekko.actor.provider = cluster\n"
                        + "pekko.remote.artery.canonical.port = 0\n"
                        + "pekko.remote.artery.canonical.hostname = 127.0.0.1")
                .withFallback(ConfigFactory.load()));
    var jdbc = Executors.newFixedThreadPool(4);
    try {
      kit.spawn(
          PublishScheduler.create(
              hanging,
              null,
              jdbc,
              Duration.ofMillis(10),
              10,
              Duration.ofSeconds(30),
              Clock.systemUTC()));
      Thread.sleep(500); // ~50 ticks
      assertThat(asked.get()).isEqualTo(1);
      release.countDown();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (asked.get() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(asked.get()).as("reads go on after the failure").isGreaterThanOrEqualTo(3);
    } finally {
      release.countDown();
      kit.shutdownTestKit();
      jdbc.shutdownNow();
    }
  }

  /**
   * A read that never answers is given up after the read timeout, and the next tick reads again:
   * the one-at-a-time guard does not stop scheduled publishing for good.
   */
  @Test
  void aReadThatNeverAnswersIsGivenUpAfterTheTimeout() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    AtomicInteger asked = new AtomicInteger();
    DataSource hanging =
        new NoDataSource() {
          @Override
          public Connection getConnection() throws SQLException {
            asked.incrementAndGet();
            try {
              never.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            throw new SQLException("the database did not answer");
          }
        };
    ActorTestKit kit =
        ActorTestKit.create(
            ConfigFactory.parseString(
                    "pekko.actor.provider = cluster\n"
                        + "pekko.remote.artery.canonical.port = 0\n"
                        + "pekko.remote.artery.canonical.hostname = 127.0.0.1")
                .withFallback(ConfigFactory.load()));
    var jdbc = Executors.newFixedThreadPool(8);
    try {
      kit.spawn(
          PublishScheduler.create(
              hanging,
              null,
              jdbc,
              Duration.ofMillis(10),
              10,
              Duration.ofMillis(200),
              Clock.systemUTC()));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (asked.get() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(asked.get()).as("reads again after each timeout").isGreaterThanOrEqualTo(3);
    } finally {
      never.countDown();
      kit.shutdownTestKit();
      jdbc.shutdownNow();
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
