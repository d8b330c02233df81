package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.quire.content.users.Users;
import dev.quire.gateway.admin.FirstAdmin;
import dev.quire.gateway.admin.PasswordHasher;
import dev.quire.protocol.UserCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first admin when the answer to its add is lost and the add lands only after the next try has
 * found no users: the retry must add the same password, so that the file on disk opens the {@code
 * admin} the directory holds. The real {@link Users} entity answers, behind a stand-in for the
 * network that holds the first add back and drops its answer (a lost reply cannot be made to happen
 * on demand with a real network).
 */
class FirstAdminRetryTest {

  @TempDir Path tmp;
  ActorTestKit kit;

  @AfterEach
  void stop() {
    if (kit != null) {
      kit.shutdownTestKit();
    }
  }

  @Test
  void aRetryAfterALostAnswerLeavesTheFileThatOpensTheAdminTheDirectoryHolds() throws Exception {
    kit =
        ActorTestKit.create(
            "first-admin",
            ConfigFactory.parseString(
                    "pekko.actor.provider = cluster\n"
                        + "pekko.remote.artery.canonical.hostname = \"127.0.0.1\"\n"
                        + "pekko.remote.artery.canonical.port = 0\n"
                        + "pekko.cluster.seed-nodes = []\n"
                        + "pekko.persistence.journal.plugin = \"pekko.persistence.journal.inmem\"\n"
                        + "pekko.persistence.snapshot-store.plugin ="
                        + " \"pekko.persistence.snapshot-store.local\"\n"
                        + "pekko.persistence.snapshot-store.local.dir = \""
                        + tmp.resolve("snapshots")
                        + "\"\n"
                        + "quire.gateway.ask-timeout = 1s\n"
                        + "quire.gateway.modules = [admin]\n"
                        + "quire.gateway.admin.first-admin = true\n"
                        + "quire.gateway.admin.argon2.memory = 1m\n"
                        + "quire.gateway.admin.argon2.iterations = 1\n")
                .withFallback(ConfigFactory.load()));
    Cluster.get(kit.system())
        .manager()
        .tell(Join.create(Cluster.get(kit.system()).selfMember().address()));
    Users.Settings settings =
        new Users.Settings(
            10, 5, Duration.ofMinutes(15), 50, 10, Duration.ofDays(90), 3, Duration.ofHours(1));
    ClusterSharding.get(kit.system())
        .init(
            Entity.of(
                UserCommand.ENTITY_KEY,
                ctx ->
                    losingTheFirstAddsAnswer(
                        Users.create(ctx.getEntityId(), settings, Clock.systemUTC()))));

    Optional<Path> file =
        FirstAdmin.ensure(kit.system(), tmp.resolve("data"))
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);

    assertThat(file).hasValue(tmp.resolve("data").resolve(FirstAdmin.FILE));
    String password = Files.readString(file.get()).strip();
    var ticket =
        ClusterSharding.get(kit.system())
            .entityRefFor(UserCommand.ENTITY_KEY, UserCommand.SITE)
            .<UserCommand.LoginTicket>ask(
                r -> new UserCommand.BeginLogin(FirstAdmin.USERNAME, r), Duration.ofSeconds(5))
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    assertThat(ticket.passwordHash()).isNotNull();
    PasswordHasher hasher =
        new PasswordHasher(
            PasswordHasher.Params.fromConfig(
                kit.system().settings().config().getConfig("quire.gateway.admin.argon2")));
    assertThat(hasher.verify(password, ticket.passwordHash()))
        .as("the file's password opens the admin the directory holds")
        .isTrue();
  }

  /**
   * Holds the first {@link UserCommand.Add} back, unanswered, until a second arrives; then delivers
   * it (its answer dropped) before the second, as a slow network could.
   */
  private static Behavior<UserCommand> losingTheFirstAddsAnswer(Behavior<UserCommand> real) {
    return Behaviors.setup(
        ctx -> {
          ActorRef<UserCommand> users = ctx.spawn(real, "users");
          ActorRef<UserCommand.UserReply> nowhere = ctx.spawn(Behaviors.ignore(), "lost-answers");
          UserCommand.Add[] held = new UserCommand.Add[1];
          boolean[] seenAdd = new boolean[1];
          return Behaviors.receiveMessage(
              cmd -> {
                if (cmd instanceof UserCommand.Add add) {
                  if (!seenAdd[0]) {
                    seenAdd[0] = true;
                    held[0] = add;
                    return Behaviors.same();
                  }
                  if (held[0] != null) {
                    UserCommand.Add first = held[0];
                    held[0] = null;
                    users.tell(
                        new UserCommand.Add(
                            first.username(),
                            first.displayName(),
                            first.role(),
                            first.passwordHash(),
                            first.actor(),
                            nowhere));
                  }
                }
                users.tell(cmd);
                return Behaviors.same();
              });
        });
  }
}
