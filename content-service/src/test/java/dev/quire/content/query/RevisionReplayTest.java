package dev.quire.content.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.content.Content;
import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentQuery;
import dev.quire.protocol.ContentStatus;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An item's events folded up to one revision, as the RevisionAt query answers. */
class RevisionReplayTest {

  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  private static ContentFields fields(String title, String slug) {
    return new ContentFields(title, slug, "body of " + title, "", List.of("t"), "", "", null, "");
  }

  private static final List<Content.Event> HISTORY =
      List.of(
          new Content.DraftCreated("i", 1, ContentKind.POST, fields("One", "one"), T, "api"),
          new Content.Edited("i", 2, fields("Two", "two"), null, "one", T.plusSeconds(1), "ed"),
          new Content.Published("i", 3, T.plusSeconds(2), "api"),
          new Content.Edited("i", 4, fields("Four", "four"), "two", null, T.plusSeconds(3), "x"));

  private static ContentQueries.Replay upTo(long revision) {
    ContentQueries.Replay r = ContentQueries.Replay.START;
    for (Content.Event e : HISTORY) {
      r = r.next(e, revision);
    }
    return r;
  }

  @Test
  void eachRevisionIsTheItemAsItStoodThenWithTheEventThatMadeIt() {
    ContentQuery.RevisionState two = upTo(2).answer("i", 2);
    assertThat(two.item().revision()).isEqualTo(2);
    assertThat(two.item().fields().title()).isEqualTo("Two");
    assertThat(two.item().status()).isEqualTo(ContentStatus.DRAFT);
    assertThat(two.event()).isEqualTo("edited");
    assertThat(two.actor()).isEqualTo("ed");
    assertThat(two.at()).isEqualTo(T.plusSeconds(1));

    assertThat(upTo(1).answer("i", 1).event())
        .as("named as in the revision list")
        .isEqualTo("draft-created");
    ContentQuery.RevisionState three = upTo(3).answer("i", 3);
    assertThat(three.item().status()).isEqualTo(ContentStatus.PUBLISHED);
    assertThat(three.item().fields().title()).isEqualTo("Two");
    assertThat(three.event()).isEqualTo("published");

    ContentQuery.RevisionState four = upTo(4).answer("i", 4);
    assertThat(four.item().fields().slug()).isEqualTo("four");
    assertThat(four.item().aliases()).containsExactly("two");
  }

  @Test
  void aRevisionPastTheNewestOrOfNoItemHasNoItem() {
    ContentQuery.RevisionState beyond = upTo(5).answer("i", 5);
    assertThat(beyond.item()).isNull();
    assertThat(beyond.event()).isNull();
    ContentQuery.RevisionState none = ContentQueries.Replay.START.answer("nobody", 1);
    assertThat(none.item()).isNull();
  }
}
