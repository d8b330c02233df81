package dev.quire.content.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentQuery;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.ContentStatus;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The messages of a revision read cross the cluster between a gateway and a content node: each
 * survives Pekko's Jackson serialization as the same value, with an item and without one.
 */
class RevisionMessagesSerializationTest {

  static ActorTestKit kit;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("revision-messages");
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void aRevisionAskedForAndAnsweredRoundTrips() {
    SerializationTestKit serialization = new SerializationTestKit(kit.system());
    TestProbe<ContentQuery.RevisionState> probe = kit.createTestProbe();
    Instant t = Instant.parse("2026-12-04T10:15:30.123456Z");
    serialization.verifySerialization(new ContentQuery.RevisionAt("id-1", 7, probe.ref()), true);
    ContentSnapshot item =
        new ContentSnapshot(
            "id-1",
            ContentKind.POST,
            ContentStatus.PUBLISHED,
            7,
            new ContentFields(
                "T\u00edtulo", "slug", "b\u00f6dy\n", "d", List.of("a", "b"), "/c.png", "A", t),
            t,
            t,
            t,
            null,
            List.of("old-slug"));
    var answered = new ContentQuery.RevisionState("id-1", item, "edited", t, "api");
    assertThat(serialization.verifySerialization(answered, true)).isEqualTo(answered);
    var none = new ContentQuery.RevisionState("id-1", null, null, null, null);
    assertThat(serialization.verifySerialization(none, true)).isEqualTo(none);
  }
}
