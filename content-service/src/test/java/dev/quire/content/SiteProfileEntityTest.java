package dev.quire.content;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.quire.protocol.ErrorCode;
import dev.quire.protocol.ProfileCommand;
import dev.quire.protocol.ProfileCommand.ProfileReply;
import dev.quire.protocol.ProfileCommand.ProfileTable;
import dev.quire.protocol.SiteProfile;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The site's profile, with Pekko's serialization checks on for every message, event and state. */
class SiteProfileEntityTest {

  static final ActorTestKit KIT =
      ActorTestKit.create(
          EventSourcedBehaviorTestKit.config()
              .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
              .withFallback(ConfigFactory.load()));

  @AfterAll
  static void stop() {
    KIT.shutdownTestKit();
  }

  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-04T10:00:00Z"), ZoneOffset.UTC);

  EventSourcedBehaviorTestKit<ProfileCommand, SiteProfileEntity.Event, SiteProfileEntity.State>
      kit() {
    return EventSourcedBehaviorTestKit.create(
        KIT.system(), SiteProfileEntity.create("site", new SiteProfileEntity.Settings(20), CLOCK));
  }

  @Test
  void theProfileIsSetWholeCheckedAgainstTheVersionAndKeptAcrossARestart() {
    var kit = kit();
    ProfileTable empty = kit.<ProfileTable>runCommand(r -> new ProfileCommand.Get(-1, r)).reply();
    assertThat(empty.version()).isZero();
    assertThat(empty.profile()).isEqualTo(SiteProfile.NONE);
    assertThat(empty.changedBy()).isNull();

    SiteProfile first = new SiteProfile("Field Notes", "  ", null, "en-GB", 5, null);
    assertThat(first.description()).as("blank text is not set").isNull();
    var put = kit.<ProfileReply>runCommand(r -> new ProfileCommand.Put(first, 0, "admin", r));
    assertThat(put.reply()).isEqualTo(new ProfileReply.Stored(1));
    assertThat(put.event())
        .isEqualTo(new SiteProfileEntity.ProfileSet(first, CLOCK.instant(), "admin"));

    // The same profile again: nothing written, also from the version it started from (a save
    // retried after its answer was lost is not a conflict with itself).
    var same = kit.<ProfileReply>runCommand(r -> new ProfileCommand.Put(first, 1, "admin", r));
    assertThat(same.hasNoEvents()).isTrue();
    assertThat(same.reply()).isEqualTo(new ProfileReply.Stored(1));
    var retried = kit.<ProfileReply>runCommand(r -> new ProfileCommand.Put(first, 0, "admin", r));
    assertThat(retried.hasNoEvents()).isTrue();
    assertThat(retried.reply()).isEqualTo(new ProfileReply.Stored(1));

    // An editor who started from version 0 is told another change came first.
    SiteProfile late = new SiteProfile("Other", null, null, null, null, null);
    var stale =
        (ProfileReply.Refused)
            kit.<ProfileReply>runCommand(r -> new ProfileCommand.Put(late, 0, "ed", r)).reply();
    assertThat(stale.code()).isEqualTo(ErrorCode.STALE_REVISION);
    assertThat(stale.field()).isEqualTo("version");
    assertThat(stale.message()).contains("by admin").contains("since version 0");

    // Bad values are refused naming the setting, and nothing is written.
    for (var bad :
        Map.of(
                "title", new SiteProfile("x".repeat(2001), null, null, null, null, null),
                "description", new SiteProfile(null, "a\u0000b", null, null, null, null),
                "language", new SiteProfile(null, null, null, "english please", null, null),
                "home-posts", new SiteProfile(null, null, null, null, 0, null),
                "page-size", new SiteProfile(null, null, null, null, null, 1001))
            .entrySet()) {
      var no = kit.<ProfileReply>runCommand(r -> new ProfileCommand.Put(bad.getValue(), 1, "a", r));
      assertThat(no.hasNoEvents()).isTrue();
      assertThat(((ProfileReply.Refused) no.reply()).field()).isEqualTo(bad.getKey());
    }

    // Without a version check (the API when it sends none), and back to nothing set.
    var any =
        kit.<ProfileReply>runCommand(
            r -> new ProfileCommand.Put(SiteProfile.NONE, ProfileCommand.ANY_VERSION, "api", r));
    assertThat(any.reply()).isEqualTo(new ProfileReply.Stored(2));

    kit.restart();
    ProfileTable after = kit.<ProfileTable>runCommand(r -> new ProfileCommand.Get(-1, r)).reply();
    assertThat(after.version()).isEqualTo(2);
    assertThat(after.profile()).isEqualTo(SiteProfile.NONE);
    assertThat(after.changedBy()).isEqualTo("api");
    assertThat(after.changedAt()).isEqualTo("2026-12-04T10:00:00Z");
    ProfileTable unchanged =
        kit.<ProfileTable>runCommand(r -> new ProfileCommand.Get(2, r)).reply();
    assertThat(unchanged.unchanged()).isTrue();
    assertThat(unchanged.profile()).isNull();
  }

  /** Profile events as version 1 stores them still replay: a shape change needs a migration. */
  @Test
  void storedProfileEventsOfVersion1StillReplay() throws Exception {
    SiteProfileEntity.State state = new SiteProfileEntity.State(0, SiteProfile.NONE, null, null);
    for (Object event : StoredEvents.read(KIT.system(), "profile-events-v1.tsv")) {
      state = state.apply((SiteProfileEntity.Event) event);
    }
    assertThat(state.version()).isEqualTo(2);
    assertThat(state.by()).isEqualTo("ed");
    assertThat(state.profile())
        .isEqualTo(new SiteProfile("Field Notes", null, "Ada", null, null, 20));
  }

  /** Version 2: a home page (2026-12-06) and an icon (2026-12-07). */
  @Test
  void storedProfileEventsOfVersion2StillReplay() throws Exception {
    SiteProfileEntity.State state = new SiteProfileEntity.State(0, SiteProfile.NONE, null, null);
    for (Object event : StoredEvents.read(KIT.system(), "profile-events-v2.tsv")) {
      state = state.apply((SiteProfileEntity.Event) event);
    }
    assertThat(state.version()).isEqualTo(1);
    assertThat(state.profile())
        .isEqualTo(
            new SiteProfile(
                "Field Notes",
                null,
                "Ada",
                "en-GB",
                null,
                20,
                "about",
                "/media/" + "ab".repeat(32) + "/logo.png"));
  }
}
