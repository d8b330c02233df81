package dev.quire.cli;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariDataSource;
import dev.quire.content.ContentService;
import dev.quire.content.project.ContentProjection;
import dev.quire.content.project.SqlDialect;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code quire read-model rebuild}: the read model (published items with their HTML, tags, old
 * slugs, revision lists) is a projection of the journal, so a stopped site's can be dropped and
 * built again from it. What a newer version projects differently then reaches items stored before
 * it: archive months in the site's time zone (from 2026-12-05), a schedule's time in the revision
 * list, Markdown rendered by the present renderer.
 */
@Command(
    name = "read-model",
    description = "The read model the site is served from: build it again from the journal.",
    subcommands = {ReadModelCommand.Rebuild.class})
final class ReadModelCommand implements Runnable {

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** The read model's tables, in an order their rows can go in. */
  static final List<String> TABLES =
      List.of("content_revision", "slug_alias", "content_tag", "content_item");

  @Command(
      name = "rebuild",
      mixinStandardHelpOptions = true,
      description =
          "Drop a stopped site's read model and build it again from the journal, then wait until"
              + " it holds every item.")
  static final class Rebuild implements Callable<Integer> {

    @Option(
        names = "--data",
        paramLabel = "DIR",
        description = "Data directory (default: ./data or $QUIRE_DATA).")
    String data;

    @Override
    public Integer call() throws Exception {
      SiteOptions site = new SiteOptions();
      site.data = data;
      Config config = QuireNode.config(site.overrides());
      Path dir = Path.of(config.getString("quire.data-dir")).toAbsolutePath();
      if (SqlDialect.fromJdbcUrl(config.getString("quire.db.url")) != SqlDialect.H2) {
        System.err.println(
            "error: read-model rebuild works on the embedded H2 site; on PostgreSQL, stop every"
                + " content node, delete the rows of "
                + String.join(", ", TABLES)
                + " and the projection's offset, and start them again");
        return 2;
      }
      if (!Files.isRegularFile(dir.resolve("quire.mv.db"))) {
        System.err.println("error: there is no site in " + dir);
        return 2;
      }
      long t0 = System.nanoTime();
      long[] dropped;
      try {
        dropped = drop(config, dir);
      } catch (QuireNode.DataDirLocked e) {
        System.err.println("error: " + e.getMessage());
        return 3;
      }
      System.out.println("Dropped the read model (" + dropped[0] + " item(s)); building it again.");
      // A content node on the directory: its projection starts from the journal's first event.
      try (TargetSession session = TargetSession.open(site, config, "read-model", System.err)) {
        session.awaitReadModel(
            System.err,
            "the site builds the rest of its read model when it next starts, before its first"
                + " page");
        long[] counts = counts(session.node().content().dataSource());
        System.out.printf(
            "Rebuilt the read model from the journal: %d item(s), %d revision(s) in %.1f s.%n",
            counts[0], counts[1], (System.nanoTime() - t0) / 1e9);
        if (counts[2] < dropped[1]) {
          // The semantic index follows the read model by this number: it would wait for the
          // read model to pass where it was before taking in a change.
          System.err.println(
              "warning: the read model's change count is "
                  + counts[2]
                  + ", below the "
                  + dropped[1]
                  + " it had; run `quire embeddings reindex` so that semantic search follows it");
        }
        return 0;
      } catch (QuireNode.DataDirLocked e) {
        System.err.println("error: " + e.getMessage());
        return 3;
      }
    }
  }

  /**
   * Deletes every read-model row and the projection's stored offset, in one transaction, holding
   * the data directory's lock (a running site holds it: {@link QuireNode.DataDirLocked}). Answers
   * how many items the read model held and its change count ({@code seq}).
   */
  static long[] drop(Config config, Path dir) throws Exception {
    FileLock lock = QuireNode.lock(dir);
    try (HikariDataSource ds = ContentService.dataSource(config, "quire-read-model-rebuild");
        Connection c = ds.getConnection()) {
      long[] before = new long[2];
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        try (ResultSet rs =
            st.executeQuery("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM content_item")) {
          rs.next();
          before[0] = rs.getLong(1);
          before[1] = rs.getLong(2);
        }
        for (String table : TABLES) {
          st.executeUpdate("DELETE FROM " + table);
        }
        st.executeUpdate(
            "DELETE FROM "
                + ContentProjection.offsetTable(config)
                + " WHERE \"projection_name\" = '"
                + ContentProjection.NAME
                + "'");
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
      return before;
    } finally {
      lock.release();
      lock.channel().close();
    }
  }

  /** Items, revision rows and the change count ({@code seq}) of the read model. */
  static long[] counts(javax.sql.DataSource ds) throws SQLException {
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      long[] out = new long[3];
      try (ResultSet rs =
          st.executeQuery("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM content_item")) {
        rs.next();
        out[0] = rs.getLong(1);
        out[2] = rs.getLong(2);
      }
      try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM content_revision")) {
        rs.next();
        out[1] = rs.getLong(1);
      }
      return out;
    }
  }
}
