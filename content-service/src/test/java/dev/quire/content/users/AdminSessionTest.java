package dev.quire.content.users;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.quire.protocol.SessionCommand;
import dev.quire.protocol.SessionCommand.SessionState;
import java.time.Instant;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
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
   * A session that is not open (never opened: a made-up cookie; closed; expired) answers "closed"
   * and stops its entity, so it holds no memory; sharding starts it again from the journal for a
   * later message, and it is still closed.
   */
  @Test
  void aSessionThatIsNotOpenAnswersClosedAndStops() {
    UsersTest.TestClock clock = new UsersTest.TestClock();
    TestProbe<SessionState> replies = KIT.createTestProbe();

    ActorRef<SessionCommand> madeUp = KIT.spawn(AdminSession.create("made-up", clock));
    madeUp.tell(new SessionCommand.Check(replies.ref()));
    assertThat(replies.receiveMessage()).isEqualTo(SessionState.CLOSED);
    replies.expectTerminated(madeUp);

    ActorRef<SessionCommand> s = KIT.spawn(AdminSession.create("expiring", clock));
    s.tell(new SessionCommand.Open("ann", 1, EXPIRES, replies.ref()));
    assertThat(replies.receiveMessage().open()).isTrue();
    clock.now = EXPIRES;
    s.tell(new SessionCommand.Check(replies.ref()));
    assertThat(replies.receiveMessage().open()).as("at its expiry").isFalse();
    replies.expectTerminated(s);

    ActorRef<SessionCommand> c = KIT.spawn(AdminSession.create("closing", clock));
    c.tell(new SessionCommand.Open("ann", 1, EXPIRES.plusSeconds(3600), replies.ref()));
    assertThat(replies.receiveMessage().open()).isTrue();
    c.tell(new SessionCommand.Close(replies.ref()));
    assertThat(replies.receiveMessage().open()).isFalse();
    KIT.stop(c);
    ActorRef<SessionCommand> back = KIT.spawn(AdminSession.create("closing", clock));
    back.tell(new SessionCommand.Open("ann", 1, EXPIRES.plusSeconds(3600), replies.ref()));
    assertThat(replies.receiveMessage().open()).as("closed for good").isFalse();
    back.tell(new SessionCommand.Check(replies.ref()));
    assertThat(replies.receiveMessage().open()).isFalse();
    replies.expectTerminated(back);
  }
}
