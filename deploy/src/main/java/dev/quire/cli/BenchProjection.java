package dev.quire.cli;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariDataSource;
import dev.quire.content.Content;
import dev.quire.content.ContentService;
import dev.quire.content.project.ReadModel;
import dev.quire.content.project.ReadModelSchema;
import dev.quire.content.project.SqlDialect;
import dev.quire.content.render.MarkdownRenderer;
import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentIds;
import dev.quire.protocol.ContentKind;
import java.sql.Connection;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The projection's own cost, without the journal or the actors beside it: the read model applies
 * created-and-published posts (what an import makes: a {@code DraftCreated} and a {@code Published}
 * each) on the configured database, {@code BATCH} posts per transaction as the projection commits
 * them. Prints posts/s for each round; the first rounds warm the JIT.
 *
 * <p>Usage: {@code java -cp quire.jar dev.quire.cli.BenchProjection DATA_DIR POSTS ROUNDS BATCH}
 */
public final class BenchProjection {

  private static final String BODY =
      "## Heading\n\nSome *Markdown* body, with a [link](/posts/post-1/) and `code`.\n\n"
          + "- one\n- two\n";

  public static void main(String[] args) throws Exception {
    String data = args[0];
    int posts = Integer.parseInt(args[1]);
    int rounds = Integer.parseInt(args[2]);
    int batch = Integer.parseInt(args[3]);
    Config config = QuireNode.config(Map.of("quire.data-dir", data));
    SqlDialect dialect = SqlDialect.fromJdbcUrl(config.getString("quire.db.url"));
    try (HikariDataSource ds = ContentService.dataSource(config, "bench-read-model")) {
      ReadModelSchema.migrate(ds, dialect);
      ReadModel rm = new ReadModel(dialect, new MarkdownRenderer());
      double[] rates = new double[rounds];
      for (int round = 0; round < rounds; round++) {
        long seq;
        try (Connection c = ds.getConnection()) {
          seq = rm.maxSeq(c);
        }
        long start = System.nanoTime();
        for (int i = 0; i < posts; i += batch) {
          try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            for (int k = i; k < Math.min(posts, i + batch); k++) {
              String id = ContentIds.next();
              ContentFields f =
                  new ContentFields(
                      "Post " + k,
                      "r" + round + "-post-" + k,
                      BODY,
                      "A generated post.",
                      List.of("bench", "t" + (k % 20)),
                      "",
                      "bench",
                      null,
                      "");
              Instant at = Instant.now();
              rm.apply(c, new Content.DraftCreated(id, 1, ContentKind.POST, f, at, "bench"), ++seq);
              rm.apply(c, new Content.Published(id, 2, at, "bench"), ++seq);
            }
            c.commit();
          }
        }
        rates[round] = posts / ((System.nanoTime() - start) / 1e9);
        System.out.printf("round=%d posts=%d posts_per_s=%.0f%n", round, posts, rates[round]);
      }
      double[] measured = Arrays.copyOfRange(rates, rounds / 2, rounds);
      Arrays.sort(measured);
      System.out.printf("median_posts_per_s=%.0f%n", measured[measured.length / 2]);
    }
  }
}
