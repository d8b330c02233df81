package dev.quire.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * After a write to the file fails as on a full disk, H2 closes the embedded database and the pools'
 * connections keep failing, also once there is room again, until the watch has them dropped; then
 * both pools write again, and what was committed before is there. The full disk is {@link
 * FullDiskFilePath}, whose writes fail while it is set (filling a real disk needs a mount this test
 * cannot make; a run on a full 200 MB tmpfs is in the note of 2026-12-06, eighteenth session).
 */
class EmbeddedDatabaseWatchTest {

  @Test
  void poolsWriteAgainOnceTheWatchHasSeenTheDatabaseClosed(@TempDir Path tmp) throws Exception {
    FullDiskFilePath.register();
    String url = "jdbc:h2:fulldisk:" + tmp.resolve("db") + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE";
    try (HikariDataSource readModel = pool(url, "read-model");
        HikariDataSource journal = pool(url, "journal")) {
      exec(journal, "CREATE TABLE t(id INT PRIMARY KEY)");
      exec(journal, "INSERT INTO t VALUES (1)");
      EmbeddedDatabaseWatch watch =
          new EmbeddedDatabaseWatch(List.of(readModel, journal), Duration.ofSeconds(2));
      assertThat(watch.check()).isTrue();

      FullDiskFilePath.full = true;
      try {
        assertThatThrownBy(() -> exec(journal, "INSERT INTO t VALUES (2)"))
            .isInstanceOf(SQLException.class);
      } finally {
        FullDiskFilePath.full = false;
      }
      // Room again; left alone, the pools keep handing out connections to the closed database.
      for (int i = 0; i < 3; i++) {
        Thread.sleep(600); // past HikariCP's 500 ms without a liveness check
        assertThatThrownBy(() -> exec(journal, "INSERT INTO t VALUES (2)"))
            .isInstanceOfSatisfying(
                SQLException.class, e -> assertThat(EmbeddedDatabaseWatch.closedByH2(e)).isTrue());
      }

      assertThat(watch.check()).as("the check that sees it closed").isFalse();
      assertThat(watch.check()).as("the next check, on a new connection").isTrue();
      exec(journal, "INSERT INTO t VALUES (2)");
      exec(readModel, "INSERT INTO t VALUES (3)");
      try (Connection c = readModel.getConnection();
          Statement st = c.createStatement();
          var rs = st.executeQuery("SELECT COUNT(*) FROM t")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(3);
      }
    }
  }

  private static HikariDataSource pool(String url, String name) {
    HikariConfig hc = new HikariConfig();
    hc.setPoolName(name);
    hc.setJdbcUrl(url);
    hc.setUsername("sa");
    hc.setPassword("");
    hc.setMaximumPoolSize(2);
    hc.setMinimumIdle(1);
    hc.setConnectionTimeout(5_000);
    return new HikariDataSource(hc);
  }

  private static void exec(HikariDataSource pool, String sql) throws SQLException {
    try (Connection c = pool.getConnection();
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }
}
