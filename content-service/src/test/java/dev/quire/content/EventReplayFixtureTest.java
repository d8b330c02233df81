package dev.quire.content;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.quire.protocol.ContentStatus;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Events as they were stored by an earlier version (serializer id, manifest, JSON) must still
 * deserialize and replay to the same state. If this fails, an event's shape changed: add a
 * migration (a Jackson migration class) instead of editing the fixture.
 */
class EventReplayFixtureTest {

  static final ActorTestKit KIT =
      ActorTestKit.create(
          ConfigFactory.parseString("pekko.actor.provider = local")
              .withFallback(ConfigFactory.load()));

  @AfterAll
  static void stop() {
    KIT.shutdownTestKit();
  }

  @Test
  void storedEventsOfVersion2StillReplay() throws Exception {
    // Version 2: Published may carry publishedAt, the time an imported post counts as published.
    List<Content.Event> events = read("content-events-v2.tsv");
    assertThat(events).hasSize(2);
    Content.State state = replay(events);
    assertThat(state.status()).isEqualTo(ContentStatus.PUBLISHED);
    assertThat(state.publishedAt()).isEqualTo(Instant.parse("2025-03-05T10:30:00Z"));
    assertThat(state.updatedAt()).isEqualTo(Instant.parse("2026-06-01T10:00:00Z"));
  }

  @Test
  void storedEventsOfVersion3StillReplay() throws Exception {
    // Version 3: Edited may carry revertedTo, the revision a revert wrote back.
    List<Content.Event> events = read("content-events-v3.tsv");
    assertThat(events).hasSize(3);
    assertThat(((Content.Edited) events.get(1)).revertedTo()).isNull();
    assertThat(((Content.Edited) events.get(2)).revertedTo()).isEqualTo(1L);
    Content.State state = replay(events);
    assertThat(state.revision()).isEqualTo(3);
    assertThat(state.fields().body()).isEqualTo("First words");
    // Events from before revertedTo existed read as plain edits.
    assertThat(
            read("content-events-v1.tsv").stream()
                .filter(e -> e instanceof Content.Edited)
                .map(e -> ((Content.Edited) e).revertedTo()))
        .isNotEmpty()
        .containsOnlyNulls();
  }

  @Test
  void storedEventsOfVersion4StillReplay() throws Exception {
    // Version 4: fields may carry coverAlt, what the cover image shows (its alt text).
    List<Content.Event> events = read("content-events-v4.tsv");
    assertThat(events).hasSize(2);
    Content.State state = replay(events);
    assertThat(state.fields().coverAlt()).isEqualTo("A lit lighthouse at dusk, the sea calm");
    // Events from before coverAlt existed read with an empty one, never null.
    assertThat(
            read("content-events-v3.tsv").stream()
                .filter(e -> e instanceof Content.Edited)
                .map(e -> ((Content.Edited) e).fields().coverAlt()))
        .isNotEmpty()
        .containsOnly("");
  }

  static Content.State replay(List<Content.Event> events) {
    Content.State state = Content.State.empty();
    for (Content.Event e : events) {
      state = state.apply(e);
    }
    return state;
  }

  static List<Content.Event> read(String fixture) throws Exception {
    return StoredEvents.read(KIT.system(), fixture).stream().map(e -> (Content.Event) e).toList();
  }

  @Test
  void storedEventsOfVersion1StillReplay() throws Exception {
    List<Content.Event> events = read("content-events-v1.tsv");
    assertThat(events).hasSize(6);
    Content.State state = replay(events);
    assertThat(state.status()).isEqualTo(ContentStatus.ARCHIVED);
    assertThat(state.revision()).isEqualTo(6);
    assertThat(state.fields().slug()).isEqualTo("hello-again");
    assertThat(state.fields().tags()).containsExactly("java");
    assertThat(state.aliases()).containsExactly("hello");
    assertThat(state.publishedAt()).isEqualTo(Instant.parse("2026-01-02T04:04:05Z"));
    assertThat(state.createdAt()).isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));
    Content.DraftCreated first = (Content.DraftCreated) events.get(0);
    assertThat(first.fields().date()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
    assertThat(first.fields().coverImage()).isEqualTo("/cover.webp");
  }
}
