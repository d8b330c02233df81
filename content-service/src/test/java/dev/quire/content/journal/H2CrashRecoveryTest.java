package dev.quire.content.journal;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded database, opened with the URL the product ships, keeps every committed write across
 * {@code kill -9} also once it reuses the space of freed chunks, which is what a site that has gone
 * quiet for a while does.
 *
 * <p>H2 2.5.252 fails this (and 2.5.250 lost all 6 commits of a standalone program of the same
 * shape): after a commit lands in reused space, the store header 2.5.x writes still names the chunk
 * before it, and recovery after a kill opens that older version (the commit, and sometimes earlier
 * ones, are gone: this test lost 12 of its 24 commits on 2.5.252, in each of two runs). The deploy
 * module's KillNineTest writes without pause into a new file, so H2 never reuses space there and it
 * cannot see this.
 *
 * <p>H2 frees a dead chunk's space for reuse only after its retention time, 45 s by default. The
 * test sets 1 s ({@code RETENTION_TIME=1000}) so that the reuse a quiet site reaches after 45 s
 * happens within seconds; everything else is the shipped URL.
 */
class H2CrashRecoveryTest {

  static final int EVENT_BYTES = 2_000;
  static final int FILL_ROWS = 1_500;
  static final int CYCLES = 8;

  /** Between one writer's commits: more than the retention time, so each may reuse space. */
  static final long PAUSE_MILLIS = 1_200;

  /**
   * How much the file may grow over the test while it reuses space: -8 KB and +36 KB in runs here;
   * without reuse ({@code REUSE_SPACE=FALSE}) it grew by 840 KB.
   */
  static final long REUSE_MARGIN_BYTES = 256 * 1024;

  /** Commits per writer before it is killed. */
  static final int COMMITS_PER_WRITER = 3;

  @Test
  @org.junit.jupiter.api.Timeout(value = 5, unit = TimeUnit.MINUTES)
  void everyCommitSurvivesKillNineAfterSpaceIsReused(@TempDir Path tmp) throws Exception {
    String url = shippedUrl(tmp.resolve("data")) + ";RETENTION_TIME=1000";
    fill(url);
    Path file = tmp.resolve("data").resolve("quire.mv.db");
    long filled = java.nio.file.Files.size(file);
    List<String> acked = new ArrayList<>();
    for (int cycle = 0; cycle < CYCLES; cycle++) {
      String prefix = "Durable|" + cycle;
      Process writer =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-Xmx128m",
                  "-cp",
                  System.getProperty("java.class.path"),
                  H2CrashWriter.class.getName(),
                  url,
                  prefix,
                  String.valueOf(PAUSE_MILLIS))
              .redirectError(tmp.resolve("writer-" + cycle + ".log").toFile())
              .start();
      try (BufferedReader out =
          new BufferedReader(
              new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8))) {
        for (int n = 0; n < COMMITS_PER_WRITER; n++) {
          String line = out.readLine();
          assertThat(line).as("writer %d answered; see writer-%d.log", cycle, cycle).isNotNull();
          assertThat(line).isEqualTo("ACK " + prefix + "-" + n);
          acked.add(prefix + "-" + n);
        }
        // Killed while quiet, between commits.
        Thread.sleep(PAUSE_MILLIS / 2);
        new ProcessBuilder("kill", "-9", String.valueOf(writer.pid())).start().waitFor();
        assertThat(writer.waitFor(30, TimeUnit.SECONDS)).isTrue();
      } finally {
        // A writer left by a failed assertion would commit on for ever.
        writer.destroyForcibly();
      }
      assertThat(writer.exitValue()).as("killed by signal 9").isEqualTo(137);
    }
    List<String> lost = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url, "quire", "");
        PreparedStatement s =
            c.prepareStatement(
                "select (select count(*) from journal where pid = ?),"
                    + " (select count(*) from read_model where id = ?)")) {
      for (String key : acked) {
        s.setString(1, key);
        s.setString(2, key);
        try (ResultSet rs = s.executeQuery()) {
          rs.next();
          if (rs.getInt(1) != 1 || rs.getInt(2) != 1) {
            lost.add(key);
          }
        }
      }
    }
    long after = java.nio.file.Files.size(file);
    System.out.printf(
        "H2 kill -9 after space reuse: %d commits acknowledged, %d lost; file %d bytes after the"
            + " fill, %d after the kills%n",
        acked.size(), lost.size(), filled, after);
    assertThat(lost).as("committed writes lost to kill -9").isEmpty();
    // The commits went into reused space (the file did not grow by their chunks): else this test
    // no longer tests what it is for. Each cycle writes at least a few 4 KB blocks.
    assertThat(after)
        .as("file size after the kills against after the fill: space was reused")
        .isLessThanOrEqualTo(filled + REUSE_MARGIN_BYTES);
  }

  /** The database URL the product uses for a site in {@code dataDir}. */
  static String shippedUrl(Path dataDir) {
    return ConfigFactory.parseMap(Map.of("quire.data-dir", dataDir.toAbsolutePath().toString()))
        .withFallback(ConfigFactory.defaultReferenceUnresolved())
        .resolve()
        .getString("quire.db.url");
  }

  /** A site's worth of rows, so that later commits have freed space to go into. */
  static void fill(String url) throws Exception {
    try (Connection c = DriverManager.getConnection(url, "quire", "");
        Statement st = c.createStatement()) {
      st.execute(
          "create table journal(ordering bigint auto_increment primary key, pid varchar(255),"
              + " seq bigint, payload varbinary(100000), unique(pid, seq))");
      st.execute("create table read_model(id varchar(255) primary key, html varchar(1000000))");
      st.execute("create table offsets(name varchar(64) primary key, off bigint)");
      c.setAutoCommit(false);
      Random random = new Random(1);
      byte[] payload = new byte[EVENT_BYTES];
      try (PreparedStatement j =
              c.prepareStatement("insert into journal(pid, seq, payload) values (?, ?, ?)");
          PreparedStatement m = c.prepareStatement("merge into read_model key(id) values (?, ?)")) {
        for (int i = 0; i < FILL_ROWS; i++) {
          random.nextBytes(payload);
          j.setString(1, "Content|" + i);
          j.setLong(2, 1);
          j.setBytes(3, payload);
          j.executeUpdate();
          m.setString(1, "Content|" + i);
          m.setString(2, "<p>" + "word ".repeat(EVENT_BYTES / 5) + i + "</p>");
          m.executeUpdate();
          if (i % 100 == 99) {
            c.commit();
          }
        }
      }
      c.commit();
    }
  }
}
