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
                "T\u00edtulo", "slug", "b\u00f6dy\n", "d", List.of("a", "b"), "/c.png", "A", t, ""),
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

  /**
   * What 2026-12-04 added to the messages that cross between a gateway and a content node: a
   * revert's revision on the edit command, in the revision list and in an exported history step;
   * the atomic save-and-withdraw command; the preview's word count. Each survives as the same
   * value, with the new field set and without it.
   */
  @Test
  void revertsWithdrawalsAndPreviewsRoundTrip() {
    SerializationTestKit serialization = new SerializationTestKit(kit.system());
    TestProbe<dev.quire.protocol.ContentReply> replies = kit.createTestProbe();
    Instant t = Instant.parse("2026-12-04T10:15:30Z");
    ContentFields f = new ContentFields("T", "slug", "body", "d", List.of("a"), "", "A", null, "");
    for (var cmd :
        List.of(
            new dev.quire.protocol.ContentCommand.Edit(3, f, "ann", replies.ref(), 1L),
            new dev.quire.protocol.ContentCommand.Edit(3, f, "ann", replies.ref()),
            new dev.quire.protocol.ContentCommand.EditAndWithdraw(
                3, f, ContentStatus.ARCHIVED, "ann", replies.ref()))) {
      assertThat(serialization.verifySerialization(cmd, true)).isEqualTo(cmd);
    }
    var reverted =
        new dev.quire.protocol.RevisionEntry(
            4, "reverted", t, "ann", ContentStatus.DRAFT, "T", "slug", "body", 1L, null);
    var plain =
        new dev.quire.protocol.RevisionEntry(
            3, "edited", t, "ann", ContentStatus.DRAFT, "T", "slug", "body");
    var scheduled =
        new dev.quire.protocol.RevisionEntry(
            5,
            "publish-scheduled",
            t,
            "ann",
            ContentStatus.SCHEDULED,
            "T",
            "slug",
            "",
            null,
            t.plusSeconds(3_600));
    var list = new ContentQuery.RevisionList("id-1", List.of(scheduled, reverted, plain));
    assertThat(serialization.verifySerialization(list, true)).isEqualTo(list);
    var step =
        new dev.quire.protocol.HistoryStep(4, "edited", t, "ann", null, f, null, null, null, 1L);
    assertThat(serialization.verifySerialization(step, true)).isEqualTo(step);
    var rendered = new ContentQuery.Rendered("<p>x</p>", 1);
    assertThat(serialization.verifySerialization(rendered, true)).isEqualTo(rendered);
  }
}
