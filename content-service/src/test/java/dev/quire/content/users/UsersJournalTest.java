package dev.quire.content.users;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.quire.protocol.Role;
import dev.quire.protocol.UserCommand;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The user directory on the real journal (H2, as the embedded default runs it). */
class UsersJournalTest {

  /**
   * Failed sign-ins on a real account are journaled (the lockout holds across gateways and
   * restarts), a row each: events behind the older of the two snapshots kept are deleted as
   * snapshots are taken, so a name guessed all day does not grow the journal for good (~480 rows a
   * day an account until 2026-12-07). The directory a restart recovers still knows the account.
   */
  @Test
  void failedSignInsDoNotGrowTheJournalForGood(@TempDir Path dir) throws Exception {
    Config config =
        ConfigFactory.load(
            ConfigFactory.parseString("quire.data-dir = \"" + dir + "\"")
                .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
                .withFallback(ConfigFactory.parseResourcesAnySyntax("application")));
    ActorTestKit kit = ActorTestKit.create("users-journal", config);
    try {
      SchemaUtils.createIfNotExists(kit.system()).toCompletableFuture().get(30, TimeUnit.SECONDS);
      UsersTest.TestClock clock = new UsersTest.TestClock();
      var users = kit.spawn(Users.create("site", UsersTest.SETTINGS, clock));
      TestProbe<UserCommand.UserReply> added = kit.createTestProbe();
      users.tell(
          new UserCommand.Add(
              "alice", null, Role.AUTHOR, "$argon2id$hash-of-alice", "setup", added.ref()));
      assertThat(added.receiveMessage(Duration.ofSeconds(10)))
          .isInstanceOf(UserCommand.UserReply.Done.class);
      TestProbe<UserCommand.LoginTicket> tickets = kit.createTestProbe();
      int attempts = 300;
      for (int i = 0; i < attempts; i++) {
        clock.now = UsersTest.NOW.plus(Duration.ofMinutes(16L * i)); // a new lockout window
        users.tell(new UserCommand.BeginLogin("alice", tickets.ref()));
        assertThat(tickets.receiveMessage(Duration.ofSeconds(10)).passwordHash())
            .as("attempt " + i + " is counted, not refused")
            .isNotNull();
      }
      // Deleted after each snapshot is stored, in the background: two snapshots' worth of events
      // stay, and the row of the last one deleted (marked so; it keeps the sequence number).
      String pid = UserCommand.ENTITY_KEY.name() + "|site";
      long kept = 2L * UsersTest.SETTINGS.snapshotEvery() + 2;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      long rows = rows(config, pid);
      while (rows > kept && System.nanoTime() < deadline) {
        Thread.sleep(50);
        rows = rows(config, pid);
      }
      assertThat(rows).as("%d events written", attempts + 1).isLessThanOrEqualTo(kept);
      kit.stop(users);
      var again = kit.spawn(Users.create("site", UsersTest.SETTINGS, clock));
      again.tell(new UserCommand.BeginLogin("alice", tickets.ref()));
      assertThat(tickets.receiveMessage(Duration.ofSeconds(10)).user())
          .as("the account, recovered from a snapshot and the events after it")
          .isNotNull();
    } finally {
      kit.shutdownTestKit();
    }
  }

  private static long rows(Config config, String persistenceId) throws Exception {
    try (Connection c =
            DriverManager.getConnection(
                config.getString("quire.db.url"),
                config.getString("quire.db.user"),
                config.getString("quire.db.password"));
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ?")) {
      ps.setString(1, persistenceId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
