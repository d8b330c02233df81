package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.quire.content.ContentService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quire read-model rebuild} on a real stopped site (H2 file): rows an older version
 * projected differently, or lost, come back as the journal says; a running site's directory is
 * refused and left as it was.
 */
class ReadModelCommandTest {

  @TempDir Path tmp;

  @Test
  void aStoppedSitesReadModelIsBuiltAgainFromTheJournal() throws Exception {
    Path posts = Files.createDirectories(tmp.resolve("posts"));
    Files.writeString(
        posts.resolve("a.md"), "---\ntitle: Alpha\nslug: alpha\ntags: one, two\n---\nA.\n");
    Files.writeString(posts.resolve("b.md"), "---\ntitle: Beta\nslug: beta\n---\nB.\n");
    Files.writeString(
        posts.resolve("later.md"),
        "---\ntitle: Later\nslug: later\npublish_date: 2099-01-01\n---\nL.\n");
    Path data = tmp.resolve("data");
    var imported =
        EmbeddingRoleClusterTest.runCli(
            "import", "markdown", posts.toString(), "--data", data.toString());
    assertThat(imported.code()).as(imported.err()).isZero();
    // As an older version left it: a title rendered before an edit it missed, a schedule's
    // revision without its time, a lost revision row.
    sql(data, "UPDATE content_item SET title = 'Stale' WHERE slug = 'alpha'");
    sql(data, "UPDATE content_revision SET publish_at = NULL");
    long tagsBefore = Long.parseLong(query(data, "SELECT COUNT(*) FROM content_tag"));
    assertThat(tagsBefore).isPositive();
    sql(data, "DELETE FROM content_tag");
    long seqBefore = Long.parseLong(query(data, "SELECT MAX(seq) FROM content_item"));
    sql(
        data,
        "DELETE FROM content_revision WHERE revision = 1 AND event = 'draft-created'"
            + " AND content_id = (SELECT id FROM content_item WHERE slug = 'beta')");

    var r = EmbeddingRoleClusterTest.runCli("read-model", "rebuild", "--data", data.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .containsPattern("Rebuilt the read model from the journal: 3 item\\(s\\), \\d+ revision");
    assertThat(Long.parseLong(query(data, "SELECT MIN(seq) FROM content_item")))
        .as("every rebuilt item is a change after all the site's followers have seen")
        .isGreaterThan(seqBefore);
    assertThat(Long.parseLong(query(data, "SELECT COUNT(*) FROM content_tag")))
        .as("tags as the journal says")
        .isEqualTo(tagsBefore);
    assertThat(query(data, "SELECT title FROM content_item WHERE slug = 'alpha'"))
        .isEqualTo("Alpha");
    assertThat(
            query(
                data,
                "SELECT COUNT(*) FROM content_revision WHERE content_id ="
                    + " (SELECT id FROM content_item WHERE slug = 'beta')"))
        .isEqualTo("2");
    assertThat(query(data, "SELECT COUNT(*) FROM content_revision WHERE publish_at IS NOT NULL"))
        .as("the scheduled post's schedule has its time again")
        .isEqualTo("1");
  }

  @Test
  void aRunningSitesDirectoryIsRefusedAndLeftAsItWas() throws Exception {
    Path data = tmp.resolve("running");
    Path posts = Files.createDirectories(tmp.resolve("one"));
    Files.writeString(posts.resolve("a.md"), "---\ntitle: Alpha\nslug: alpha\n---\nA.\n");
    assertThat(
            EmbeddingRoleClusterTest.runCli(
                    "import", "markdown", posts.toString(), "--data", data.toString())
                .code())
        .isZero();
    var config = QuireNode.config(Map.of("quire.data-dir", data.toString()));
    try (QuireNode node = QuireNode.start(config, false, System.out)) {
      var r = EmbeddingRoleClusterTest.runCli("read-model", "rebuild", "--data", data.toString());
      assertThat(r.code()).isEqualTo(3);
      assertThat(r.err())
          .contains("error: the data directory " + data.toAbsolutePath())
          .contains("stop it first");
    }
    assertThat(query(data, "SELECT COUNT(*) FROM content_item"))
        .as("left as it was")
        .isEqualTo("1");
    var none =
        EmbeddingRoleClusterTest.runCli(
            "read-model", "rebuild", "--data", tmp.resolve("nothing").toString());
    assertThat(none.code()).isEqualTo(2);
    assertThat(none.err()).contains("there is no site at");
  }

  static void sql(Path data, String statement) throws Exception {
    var config = QuireNode.config(Map.of("quire.data-dir", data.toString()));
    try (HikariDataSource ds = ContentService.dataSource(config, "test");
        Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      st.executeUpdate(statement);
    }
  }

  static String query(Path data, String q) throws Exception {
    var config = QuireNode.config(Map.of("quire.data-dir", data.toString()));
    try (HikariDataSource ds = ContentService.dataSource(config, "test");
        Connection c = ds.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(q)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
