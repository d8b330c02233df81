package dev.quire.content.project;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** A read-model session that cannot start gives its connection back to the pool. */
class TransactionalSessionTest {

  /**
   * The pool hands out its one connection, to a database shut down meanwhile, without checking it
   * (it was used a moment ago): turning autocommit off fails. Until 2026-12-07 that connection was
   * never closed, and the pool stayed one short until a restart.
   */
  @Test
  void aConnectionThatFailsToStartATransactionIsGivenBack() throws Exception {
    // The pool checks a connection it hands out only if unused for longer than this (500 ms by
    // default, which a loaded machine could pass between the two calls below).
    String bypass = "com.zaxxer.hikari.aliveBypassWindowMs";
    String before = System.getProperty(bypass);
    System.setProperty(bypass, "600000");
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:h2:mem:transactional-session;DB_CLOSE_DELAY=-1");
    config.setMaximumPoolSize(1);
    try (HikariDataSource pool = new HikariDataSource(config)) {
      pool.getConnection().close(); // used a moment ago: handed out next without a check
      try (Connection other = DriverManager.getConnection(config.getJdbcUrl());
          Statement s = other.createStatement()) {
        s.execute("SHUTDOWN");
      }
      assertThatThrownBy(() -> new TransactionalSession(pool))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("cannot open a read-model connection");
      assertThat(pool.getHikariPoolMXBean().getActiveConnections()).isZero();
    } finally {
      if (before == null) {
        System.clearProperty(bypass);
      } else {
        System.setProperty(bypass, before);
      }
    }
  }
}
