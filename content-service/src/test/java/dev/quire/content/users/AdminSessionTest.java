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

  static final Instant EXPIRES = UsersTest.NOW.plusSeconds(3600);

  @AfterAll
  static void stop() {
    KIT.shutdownTestKit();
  }

  @Test
  void aSessionOpensOnceAndEndsAtClose() {
    UsersTest.TestClock clock = new UsersTest.TestClock();
    var kit =
        EventSourcedBehaviorTestKit.<SessionCommand, AdminSession.Event, AdminSession.State>create(
            KIT.system(), AdminSession.create("abc", clock));
    SessionState opened =
        kit.<SessionState>runCommand(r -> new SessionCommand.Open("ann", 7, EXPIRES, r)).reply();
    assertThat(opened.open()).isTrue();
    assertThat(opened.username()).isEqualTo("ann");
    assertThat(opened.credentials()).isEqualTo(7);
    // A second open of the same id (a replayed or colliding secret) is refused.
    var again =
        kit.<SessionState>runCommand(r -> new SessionCommand.Open("mallory", 1, EXPIRES, r));
    assertThat(again.reply().open()).isFalse();
    assertThat(again.hasNoEvents()).isTrue();
    clock.now = EXPIRES.minusSeconds(1);
    assertThat(kit.<SessionState>runCommand(SessionCommand.Check::new).reply().username())
        .isEqualTo("ann");
    kit.restart();
    assertThat(kit.<SessionState>runCommand(SessionCommand.Check::new).reply().open())
        .as("after a restart")
        .isTrue();
    var closed = kit.<SessionState>runCommand(SessionCommand.Close::new);
    assertThat(closed.reply().open()).isFalse();
    assertThat(closed.events()).hasSize(1);
  }

  /**
   * With an idle timeout a session ends once that long passes without a check; a check journals the
   * use at most once per twelfth of it, so a session in use stays open until its lifetime.
   */
  @Test
  void aSessionWithAnIdleTimeoutEndsWhenUnusedThatLong() {
    UsersTest.TestClock clock = new UsersTest.TestClock();
    java.time.Duration idle = java.time.Duration.ofMinutes(120);
    Instant expires = UsersTest.NOW.plus(java.time.Duration.ofHours(12));
    var kit =
        EventSourcedBehaviorTestKit.<SessionCommand, AdminSession.Event, AdminSession.State>create(
            KIT.system(), AdminSession.create("idle", clock));
    assertThat(
            kit.<SessionState>runCommand(r -> new SessionCommand.Open("ann", 1, expires, idle, r))
                .reply()
                .open())
        .isTrue();
    // Used every 9 minutes for 10 hours: open all along; journaled every 10 minutes or so.
    int seen = 0;
    for (int i = 0; i < 66; i++) {
      clock.now = clock.now.plus(java.time.Duration.ofMinutes(9));
      var check = kit.<SessionState>runCommand(SessionCommand.Check::new);
      assertThat(check.reply().open()).as("check at " + clock.now).isTrue();
      seen += check.events().size();
    }
    assertThat(seen).as("uses journaled").isBetween(33, 66);
    kit.restart();
    Instant last = kit.getState().lastSeen();
    assertThat(last).isAfter(clock.now.minus(idle.dividedBy(12)));
    // Unused: still open just before the idle timeout after the last journaled use, closed at it.
    clock.now = last.plus(idle).minusSeconds(1);
    assertThat(kit.<SessionState>runCommand(SessionCommand.Check::new).reply().open()).isTrue();
    clock.now = kit.getState().lastSeen().plus(idle);
    var ended = kit.<SessionState>runCommand(SessionCommand.Check::new);
    assertThat(ended.reply().open()).isFalse();
    assertThat(ended.hasNoEvents()).isTrue();
    // Its lifetime still ends a session in use.
    var busy =
        EventSourcedBehaviorTestKit.<SessionCommand, AdminSession.Event, AdminSession.State>create(
            KIT.system(), AdminSession.create("busy", clock));
    Instant soon = clock.now.plus(java.time.Duration.ofMinutes(30));
    busy.<SessionState>runCommand(r -> new SessionCommand.Open("ann", 1, soon, idle, r));
    clock.now = soon;
    assertThat(busy.<SessionState>runCommand(SessionCommand.Check::new).reply().open()).isFalse();
  }

  /**
   * A session that is not open (never opened: a made-up cookie; closed; expired) answers "closed"
   * and asks to be passivated, so it holds no memory; it is still closed when started again.
   */
  @Test
  void aSessionThatIsNotOpenAnswersClosedAndAsksToBePassivated() {
    UsersTest.TestClock clock = new UsersTest.TestClock();
    java.util.concurrent.atomic.AtomicInteger passivations =
        new java.util.concurrent.atomic.AtomicInteger();
    var kit =
        EventSourcedBehaviorTestKit.<SessionCommand, AdminSession.Event, AdminSession.State>create(
            KIT.system(), AdminSession.create("made-up", clock, passivations::incrementAndGet));
    assertThat(kit.<SessionState>runCommand(SessionCommand.Check::new).reply())
        .isEqualTo(SessionState.CLOSED);
    assertThat(passivations.get()).isEqualTo(1);

    var s =
        EventSourcedBehaviorTestKit.<SessionCommand, AdminSession.Event, AdminSession.State>create(
            KIT.system(), AdminSession.create("expiring", clock, passivations::incrementAndGet));
    assertThat(
            s.<SessionState>runCommand(r -> new SessionCommand.Open("ann", 1, EXPIRES, r))
                .reply()
                .open())
        .isTrue();
    assertThat(s.<SessionState>runCommand(SessionCommand.Check::new).reply().open()).isTrue();
    assertThat(passivations.get()).as("an open session stays").isEqualTo(1);
    clock.now = EXPIRES;
    assertThat(s.<SessionState>runCommand(SessionCommand.Check::new).reply().open())
        .as("at its expiry")
        .isFalse();
    assertThat(passivations.get()).isEqualTo(2);
    var closed = s.<SessionState>runCommand(SessionCommand.Close::new);
    assertThat(closed.events()).as("an expired session is still closed for the record").hasSize(1);
    s.<SessionState>runCommand(SessionCommand.Close::new);
    assertThat(passivations.get()).as("closing a closed session").isEqualTo(3);
    s.restart();
    assertThat(s.<SessionState>runCommand(SessionCommand.Check::new).reply().open()).isFalse();
  }
}
