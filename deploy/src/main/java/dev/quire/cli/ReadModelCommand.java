package dev.quire.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.quire.content.project.ReadModel;
import dev.quire.content.project.SqlDialect;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code quire read-model rebuild}: the read model (every item's row with its rendered HTML, tags,
 * old slugs and revision list) is a projection of the journal, so a stopped site's can be dropped
 * and built again from it. What a newer version projects differently then reaches items stored
 * before it: archive months in the site's time zone (from 2026-12-05), a schedule's time in the
 * revision list, Markdown rendered by the present renderer.
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
      String url = config.getString("quire.db.url");
      if (SqlDialect.fromJdbcUrl(url) != SqlDialect.H2) {
        System.err.println(
            "error: read-model rebuild works on the embedded H2 site; on PostgreSQL, stop every"
                + " content node, delete the rows of "
                + String.join(", ", ReadModel.TABLES)
                + " and the projection's offset, and start them again");
        return 2;
      }
      // A mistyped --data must not create an empty site and rebuild nothing.
      Path db = ExportCommand.Markdown.missingDatabase(config);
      if (db != null) {
        System.err.println(
            "error: there is no site at " + db.getParent() + " (no " + db.getFileName() + ")");
        return 2;
      }
      long t0 = System.nanoTime();
      // The node drops the rows under the data directory's lock, before its projection starts
      // (quire.content.projection.rebuild), and the projection starts from the journal's first
      // event: no other process can open the site in between.
      Config rebuilding =
          ConfigFactory.parseMap(Map.of("quire.content.projection.rebuild", true))
              .withFallback(config);
      try (TargetSession session = TargetSession.open(site, rebuilding, "read-model", System.err)) {
        boolean done =
            session.awaitReadModel(
                System.err,
                "the site builds the rest of its read model when it next starts, from where this"
                    + " run got, before its first page");
        long[] counts = counts(session.node().content().dataSource());
        if (!done) {
          System.err.printf(
              "The read model holds %d item(s) so far: not every change yet.%n", counts[0]);
          if (counts[2] <= session.node().content().readModel().seqFloor()) {
            // Nothing rebuilt was committed: the next start numbers changes from 1 again, below
            // what the semantic index has seen.
            System.err.println(
                "warning: once the site has built its read model, run `quire embeddings reindex`"
                    + " so that semantic search follows it");
          }
          return 1;
        }
        System.out.printf(
            "Rebuilt the read model from the journal: %d item(s), %d revision(s) in %.1f s.%n",
            counts[0], counts[1], (System.nanoTime() - t0) / 1e9);
        return 0;
      } catch (QuireNode.DataDirLocked e) {
        System.err.println(
            "error: the data directory " + e.dir + " is in use by a running Quire: stop it first");
        return 3;
      }
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
