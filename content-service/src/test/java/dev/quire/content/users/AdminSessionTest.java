package dev.quire.content.users;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.quire.protocol.SessionCommand;
import dev.quire.protocol.SessionCommand.SessionState;
import java.time.Instant;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** One admin session's life, with Pekko's serialization checks on. */
class AdminSessionTest {

  static final ActorTestKit KIT =
      ActorTestKit.create(
          EventSourcedBehaviorTestKit.config()
              .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
              .withFallback(ConfigFactory.load()));

  @AfterAll
  static void stop() {
    KIT.shutdownTestKit();
  }

  @Test
  void aSessionOpensOnceEndsAtCloseOrExpiryAndNeverOpensAgain() {
    UsersTest.TestClock clock = new UsersTest.TestClock();
    var kit =
        EventSourcedBehaviorTestKit.<SessionCommand, AdminSession.Event, AdminSession.State>create(
            KIT.system(), AdminSession.create("abc", clock));
    assertThat(check(kit).open()).as("never opened").isFalse();

    Instant expires = UsersTest.NOW.plusSeconds(3600);
    SessionState opened =
        kit.<SessionState>runCommand(r -> new SessionCommand.Open("ann", 7, expires, r)).reply();
    assertThat(opened.open()).isTrue();
    assertThat(opened.username()).isEqualTo("ann");
    assertThat(opened.credentials()).isEqualTo(7);
    // A second open of the same id (a replayed or colliding secret) is refused.
    var again =
        kit.<SessionState>runCommand(r -> new SessionCommand.Open("mallory", 1, expires, r));
    assertThat(again.reply().open()).isFalse();
    assertThat(again.hasNoEvents()).isTrue();
    assertThat(check(kit).username()).isEqualTo("ann");

    clock.now = expires;
    assertThat(check(kit).open()).as("at its expiry").isFalse();
    clock.now = expires.minusSeconds(1);
    assertThat(check(kit).open()).isTrue();

    kit.restart();
    assertThat(check(kit).open()).as("after a restart").isTrue();
    var closed = kit.<SessionState>runCommand(SessionCommand.Close::new);
    assertThat(closed.reply().open()).isFalse();
    assertThat(closed.events()).hasSize(1);
    kit.restart();
    assertThat(check(kit).open()).as("closed for good").isFalse();
    assertThat(
            kit.<SessionState>runCommand(r -> new SessionCommand.Open("ann", 7, expires, r))
                .reply()
                .open())
        .isFalse();
  }

  private static SessionState check(
      EventSourcedBehaviorTestKit<SessionCommand, AdminSession.Event, AdminSession.State> kit) {
    return kit.<SessionState>runCommand(SessionCommand.Check::new).reply();
  }
}
