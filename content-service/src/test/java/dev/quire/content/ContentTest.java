package dev.quire.content;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.quire.content.render.MarkdownRenderer;
import dev.quire.protocol.ContentCommand;
import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentReply;
import dev.quire.protocol.ContentRules;
import dev.quire.protocol.ContentStatus;
import dev.quire.protocol.ErrorCode;
import dev.quire.protocol.HistoryStep;
import dev.quire.protocol.SlugCommand;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Content aggregate against real SlugClaim entities (in-memory journal), with Pekko's
 * serialization checks on for every command, event and state.
 */
class ContentTest {

  static final ActorTestKit KIT =
      ActorTestKit.create(
          EventSourcedBehaviorTestKit.config()
              .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
              .withFallback(ConfigFactory.load()));

  static final Instant NOW = Instant.parse("2026-11-20T10:00:00Z");

  /** A clock the test moves forward. */
  static final class TestClock extends Clock {
    volatile Instant now = NOW;

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  static final TestClock CLOCK = new TestClock();
  static final ContentRules RULES = MarkdownRenderer.contentRules(ConfigFactory.load());
  static final Content.Settings SETTINGS = new Content.Settings(RULES, Duration.ofSeconds(3), 100);

  /** Real entities on both sides, spawned locally instead of through sharding. */
  static final class LocalRegistry implements SlugRegistry {
    final Map<String, ActorRef<SlugCommand>> slugs = new ConcurrentHashMap<>();
    final Map<String, ActorRef<ContentCommand>> contents = new ConcurrentHashMap<>();

    @Override
    public RecipientRef<SlugCommand> slug(String slug) {
      return slugs.computeIfAbsent(
          slug,
          s ->
              KIT.spawn(
                  SlugClaim.create(s, Duration.ofSeconds(3), this),
                  "slug-" + s + "-" + System.nanoTime()));
    }

    @Override
    public RecipientRef<ContentCommand> content(String id) {
      return contents.computeIfAbsent(id, i -> KIT.spawn(Content.create(i, SETTINGS, this, CLOCK)));
    }
  }

  LocalRegistry registry;
  EventSourcedBehaviorTestKit<ContentCommand, Content.Event, Content.State> kit;

  @BeforeEach
  void setUp() {
    PersistenceTestKit.create(KIT.system()).clearAll();
    CLOCK.now = NOW;
    registry = new LocalRegistry();
    kit = newKit("c1");
  }

  EventSourcedBehaviorTestKit<ContentCommand, Content.Event, Content.State> newKit(String id) {
    return EventSourcedBehaviorTestKit.create(
        KIT.system(), Content.create(id, SETTINGS, registry, CLOCK));
  }

  @AfterAll
  static void tearDown() {
    KIT.shutdownTestKit();
  }

  static ContentFields fields(String title, String slug) {
    return new ContentFields(
        title, slug, "Hello *world*", "d", List.of("a", "b"), "", "me", null, "");
  }

  ContentReply.Accepted accepted(
      CommandResultWithReply<ContentCommand, Content.Event, Content.State, ContentReply> r) {
    assertThat(r.reply()).isInstanceOf(ContentReply.Accepted.class);
    return (ContentReply.Accepted) r.reply();
  }

  ContentReply.Rejected rejected(
      CommandResultWithReply<ContentCommand, Content.Event, Content.State, ContentReply> r) {
    assertThat(r.reply()).isInstanceOf(ContentReply.Rejected.class);
    return (ContentReply.Rejected) r.reply();
  }

  CommandResultWithReply<ContentCommand, Content.Event, Content.State, ContentReply> create(
      EventSourcedBehaviorTestKit<ContentCommand, Content.Event, Content.State> k, String slug) {
    return k.<ContentReply>runCommand(
        r ->
            new ContentCommand.Create(
                ContentKind.POST, fields("T", slug), ContentCommand.Initially.DRAFT, "ed", r));
  }

  @Test
  void createsADraftAtRevisionOne() {
    var r = create(kit, "first");
    var s = accepted(r).content();
    assertThat(s.status()).isEqualTo(ContentStatus.DRAFT);
    assertThat(s.revision()).isEqualTo(1);
    assertThat(r.event()).isInstanceOf(Content.DraftCreated.class);
  }

  @Test
  void remembersWhoStartedTheItemThroughOthersChangesAndARestart() {
    create(kit, "started");
    var edited =
        accepted(
                kit.<ContentReply>runCommand(
                    r -> new ContentCommand.Edit(1, fields("T2", "started"), "someone-else", r)))
            .content();
    assertThat(edited.createdBy()).isEqualTo("ed");
    assertThat(edited.startedBy("ed")).isTrue();
    assertThat(edited.startedBy("someone-else")).isFalse();
    assertThat(kit.restart().state().snapshot("c1").createdBy()).isEqualTo("ed");
    // A state from before it was kept knows no one: any author may work on it, as then.
    assertThat(Content.State.empty().snapshot("x").startedBy("anyone")).isTrue();
  }

  @Test
  void rejectsInvalidFieldsNamingTheField() {
    var r =
        kit.<ContentReply>runCommand(
            ref ->
                new ContentCommand.Create(
                    ContentKind.POST,
                    fields(" ", "Bad Slug"),
                    ContentCommand.Initially.DRAFT,
                    "ed",
                    ref));
    var rej = rejected(r);
    assertThat(rej.code()).isEqualTo(ErrorCode.INVALID);
    assertThat(rej.field()).isEqualTo("title");
    assertThat(rej.message()).contains("slug").contains("lowercase");
    assertThat(r.hasNoEvents()).isTrue();
  }

  @Test
  void rejectsOversizeBody() {
    String big = "x".repeat(RULES.limits().maxBody() + 1);
    var f = new ContentFields("T", "big", big, "", List.of(), "", "", null, "");
    var rej =
        rejected(
            kit.<ContentReply>runCommand(
                r ->
                    new ContentCommand.Create(
                        ContentKind.POST, f, ContentCommand.Initially.DRAFT, "ed", r)));
    assertThat(rej.field()).isEqualTo("body");
    assertThat(rej.message()).contains("at most " + RULES.limits().maxBody());
  }

  /**
   * A body stored before the nesting limit (here: by an entity with a higher one) is not read again
   * when an edit leaves it as it is: its title can still be changed. A changed body is.
   */
  @Test
  void anEditThatKeepsTheBodyDoesNotCheckItsNestingAgain() {
    int max = RULES.limits().maxNesting();
    String deep = ">".repeat(max + 10) + " x\n";
    ContentFields stored =
        new ContentFields("T", "old-deep", deep, "", List.of(), "", "", null, "");
    var now = newKit("old");
    now.initialize(new Content.DraftCreated("old", 1, ContentKind.POST, stored, NOW, "ed"));
    assertThat(now.getState().fields().body()).isEqualTo(deep);
    var retitled =
        accepted(
            now.runCommand(
                r ->
                    new ContentCommand.Edit(
                        1L,
                        new ContentFields(
                            "Retitled", "old-deep", deep, "", List.of(), "", "", null, ""),
                        "ed",
                        r)));
    assertThat(retitled.content().fields().title()).isEqualTo("Retitled");
    var rebodied =
        rejected(
            now.runCommand(
                r ->
                    new ContentCommand.Edit(
                        2L,
                        new ContentFields(
                            "Retitled",
                            "old-deep",
                            deep + "more\n",
                            "",
                            List.of(),
                            "",
                            "",
                            null,
                            ""),
                        "ed",
                        r)));
    assertThat(rebodied.field()).isEqualTo("body");
    assertThat(rebodied.message()).contains("at most " + max);
  }

  /**
   * What the projection could not render or store stops at the entity: a body nested deeper than
   * the limit (200,000 ">" fit the length limit and overflowed the renderer's stack), and dates
   * outside the years 0001-9999 (the read model's millisecond columns overflowed).
   */
  @Test
  void refusesWhatTheSiteCouldNotRenderOrStoreNamingTheField() {
    int max = RULES.limits().maxNesting();
    String deep = "intro\n\n" + ">".repeat(200_000) + " x\n";
    var tooDeep =
        rejected(
            kit.<ContentReply>runCommand(
                r ->
                    new ContentCommand.Create(
                        ContentKind.POST,
                        new ContentFields("T", "deep", deep, "", List.of(), "", "", null, ""),
                        ContentCommand.Initially.DRAFT,
                        "ed",
                        r)));
    assertThat(tooDeep.field()).isEqualTo("body");
    assertThat(tooDeep.message())
        .contains("200002 levels deep (line 3 of the body)", "at most " + max);

    Instant farOff = Instant.parse("+300000000-01-01T00:00:00Z");
    var badDate =
        rejected(
            kit.runCommand(
                r ->
                    new ContentCommand.Create(
                        ContentKind.POST,
                        new ContentFields("T", "dated", "x", "", List.of(), "", "", farOff, ""),
                        ContentCommand.Initially.DRAFT,
                        "ed",
                        r)));
    assertThat(badDate.field()).isEqualTo("date");
    assertThat(badDate.message()).contains("0001 to 9999", farOff.toString());
    var badSchedule =
        rejected(
            createAs(
                "later",
                ContentCommand.Initially.scheduled(Instant.parse("+10000-01-01T00:00:00Z"))));
    assertThat(badSchedule.field()).isEqualTo("at");
    assertThat(badSchedule.message()).contains("0001 to 9999");
    var badPublished =
        rejected(
            createAs(
                "earlier",
                new ContentCommand.Initially(
                    ContentStatus.PUBLISHED, Instant.parse("-300000000-01-01T00:00:00Z"))));
    assertThat(badPublished.field()).isEqualTo("at");
    // Under the document: max - 2 quotes, a paragraph, its text: as deep as allowed.
    String deepEnough = ">".repeat(max - 2) + " x";
    accepted(
        kit.runCommand(
            r ->
                new ContentCommand.Create(
                    ContentKind.POST,
                    new ContentFields("T", "ok", deepEnough, "", List.of(), "", "", null, ""),
                    ContentCommand.Initially.DRAFT,
                    "ed",
                    r)));
  }

  @Test
  void staleRevisionIsAConflictNotAnOverwrite() {
    create(kit, "post");
    var edit1 =
        kit.<ContentReply>runCommand(r -> new ContentCommand.Edit(1, fields("T2", "post"), "a", r));
    assertThat(accepted(edit1).content().revision()).isEqualTo(2);
    var stale =
        rejected(
            kit.<ContentReply>runCommand(
                r -> new ContentCommand.Edit(1, fields("T3", "post"), "b", r)));
    assertThat(stale.code()).isEqualTo(ErrorCode.STALE_REVISION);
    assertThat(stale.field()).isEqualTo("revision");
    assertThat(kit.getState().fields().title()).isEqualTo("T2");
  }

  @Test
  void lifecycleTransitionsAndInvalidOnes() {
    create(kit, "life");
    assertThat(
            rejected(kit.<ContentReply>runCommand(r -> new ContentCommand.Unpublish(null, "a", r)))
                .code())
        .isEqualTo(ErrorCode.INVALID_TRANSITION);
    var pub =
        accepted(kit.<ContentReply>runCommand(r -> new ContentCommand.Publish(1L, "a", r)))
            .content();
    assertThat(pub.status()).isEqualTo(ContentStatus.PUBLISHED);
    assertThat(pub.publishedAt()).isEqualTo(NOW);
    assertThat(
            rejected(kit.<ContentReply>runCommand(r -> new ContentCommand.Publish(null, "a", r)))
                .message())
        .contains("cannot publish an item that is published");
    accepted(kit.<ContentReply>runCommand(r -> new ContentCommand.Archive(null, "a", r)));
    assertThat(
            rejected(
                    kit.<ContentReply>runCommand(
                        r -> new ContentCommand.Edit(3, fields("x", "life"), "a", r)))
                .code())
        .isEqualTo(ErrorCode.INVALID_TRANSITION);
  }

  @Test
  void saveAndUnpublishOrArchiveTakeAPublishedItemOffTheSiteBeforeTheEditInOneWrite() {
    create(kit, "withdrawn");
    accepted(kit.<ContentReply>runCommand(r -> new ContentCommand.Publish(1L, "a", r)));
    var off =
        kit.<ContentReply>runCommand(
            r ->
                new ContentCommand.EditAndWithdraw(
                    2, fields("New text", "withdrawn"), ContentStatus.DRAFT, "a", r));
    assertThat(off.events())
        .satisfiesExactly(
            e -> assertThat(e).isInstanceOf(Content.Unpublished.class),
            e -> assertThat(e).isInstanceOf(Content.Edited.class));
    var draft = accepted(off).content();
    assertThat(draft.status()).isEqualTo(ContentStatus.DRAFT);
    assertThat(draft.revision()).isEqualTo(4);
    assertThat(draft.fields().title()).isEqualTo("New text");

    // A draft: the edit, then the archive; unchanged fields add no edit.
    var archived =
        kit.<ContentReply>runCommand(
            r ->
                new ContentCommand.EditAndWithdraw(
                    4, fields("New text", "withdrawn"), ContentStatus.ARCHIVED, "a", r));
    assertThat(archived.events())
        .satisfiesExactly(e -> assertThat(e).isInstanceOf(Content.Archived.class));
    assertThat(accepted(archived).content().revision()).isEqualTo(5);

    // Published again, then archived with a new slug: unpublished, edited (old slug an alias),
    // archived; and the state survives a restart.
    accepted(kit.<ContentReply>runCommand(r -> new ContentCommand.Publish(5L, "a", r)));
    var moved =
        kit.<ContentReply>runCommand(
            r ->
                new ContentCommand.EditAndWithdraw(
                    6, fields("Moved", "moved-away"), ContentStatus.ARCHIVED, "a", r));
    assertThat(moved.events())
        .satisfiesExactly(
            e -> assertThat(e).isInstanceOf(Content.Unpublished.class),
            e -> assertThat(e).isInstanceOf(Content.Edited.class),
            e -> assertThat(e).isInstanceOf(Content.Archived.class));
    assertThat(accepted(moved).content().aliases()).containsExactly("withdrawn");
    assertThat(kit.restart().state().revision()).isEqualTo(9);
  }

  @Test
  void aRevertIsAnEditThatNamesTheRevisionItWroteBack() {
    create(kit, "reverting");
    accepted(
        kit.<ContentReply>runCommand(
            r -> new ContentCommand.Edit(1, fields("Second", "reverting"), "a", r)));
    var back =
        kit.<ContentReply>runCommand(
            r -> new ContentCommand.Edit(2, fields("T", "reverting"), "a", r, 1L));
    assertThat(back.events())
        .singleElement()
        .satisfies(e -> assertThat(((Content.Edited) e).revertedTo()).isEqualTo(1L));
    assertThat(accepted(back).content().fields().title()).isEqualTo("T");
    // Through export and restore too: the step carries it.
    assertThat(Content.step(back.events().get(0)).revertedTo()).isEqualTo(1L);
    // A revision the item does not have yet, or none, is refused, and nothing is stored.
    for (long to : new long[] {0, 4}) {
      var bad =
          kit.<ContentReply>runCommand(
              r -> new ContentCommand.Edit(3, fields("x", "reverting"), "a", r, to));
      assertThat(rejected(bad).field()).isEqualTo("to");
      assertThat(bad.events()).isEmpty();
    }
    assertThat(kit.restart().state().revision()).isEqualTo(3);
  }

  @Test
  void saveAndArchiveOfANeverPublishedItemReleasesItsOldSlug() {
    createVia("never-out", "first-name");
    send(
        "never-out",
        r ->
            new ContentCommand.EditAndWithdraw(
                1, fields("T", "second-name"), ContentStatus.ARCHIVED, "a", r));
    // Never public: no alias keeps the old slug, and another item may take it.
    assertThat(createVia("other", "first-name")).isInstanceOf(ContentReply.Accepted.class);
  }

  @Test
  void saveAndUnpublishStoresNothingWhenAnyPartIsRefused() {
    create(kit, "kept");
    accepted(kit.<ContentReply>runCommand(r -> new ContentCommand.Publish(1L, "a", r)));
    // A refused field: not unpublished either.
    var bad =
        kit.<ContentReply>runCommand(
            r ->
                new ContentCommand.EditAndWithdraw(
                    2, fields(" ", "kept"), ContentStatus.DRAFT, "a", r));
    assertThat(rejected(bad).field()).isEqualTo("title");
    assertThat(bad.events()).isEmpty();
    // A stale revision, and a target that is not a withdrawal.
    assertThat(
            rejected(
                    kit.<ContentReply>runCommand(
                        r ->
                            new ContentCommand.EditAndWithdraw(
                                1, fields("x", "kept"), ContentStatus.DRAFT, "a", r)))
                .code())
        .isEqualTo(ErrorCode.STALE_REVISION);
    assertThat(
            rejected(
                    kit.<ContentReply>runCommand(
                        r ->
                            new ContentCommand.EditAndWithdraw(
                                2, fields("x", "kept"), ContentStatus.PUBLISHED, "a", r)))
                .field())
        .isEqualTo("to");
    // A slug another item holds: refused after the claim, nothing stored.
    createVia("other", "taken");
    var taken =
        kit.<ContentReply>runCommand(
            r ->
                new ContentCommand.EditAndWithdraw(
                    2, fields("x", "taken"), ContentStatus.DRAFT, "a", r));
    assertThat(rejected(taken).code()).isEqualTo(ErrorCode.SLUG_TAKEN);
    assertThat(kit.getState().status()).isEqualTo(ContentStatus.PUBLISHED);
    assertThat(kit.getState().revision()).isEqualTo(2);
  }

  @Test
  void schedulingNeedsAFutureTimeAndPublishesWhenDue() {
    create(kit, "later");
    var past =
        rejected(
            kit.<ContentReply>runCommand(
                r -> new ContentCommand.Schedule(null, NOW.minusSeconds(1), "a", r)));
    assertThat(past.field()).isEqualTo("at");
    var s =
        accepted(
            kit.<ContentReply>runCommand(
                r -> new ContentCommand.Schedule(null, NOW.plusSeconds(60), "a", r)));
    assertThat(s.content().status()).isEqualTo(ContentStatus.SCHEDULED);
    // Not yet due at NOW.
    assertThat(rejected(kit.<ContentReply>runCommand(ContentCommand.PublishDue::new)).code())
        .isEqualTo(ErrorCode.INVALID_TRANSITION);
    // An hour late: the site was down when it was due.
    CLOCK.now = NOW.plusSeconds(3600);
    // A restarted incarnation replays the schedule from the journal and publishes when due.
    kit.restart();
    assertThat(kit.getState().status()).isEqualTo(ContentStatus.SCHEDULED);
    var published = accepted(kit.<ContentReply>runCommand(ContentCommand.PublishDue::new));
    assertThat(published.content().status()).isEqualTo(ContentStatus.PUBLISHED);
    // Dated as scheduled, not when the late run got to it: the site's order and dates do not
    // depend on how long it was down. The write itself is dated now.
    assertThat(published.content().publishedAt()).isEqualTo(NOW.plusSeconds(60));
    assertThat(published.content().updatedAt()).isEqualTo(NOW.plusSeconds(3600));
  }

  // ---- slug uniqueness: real Content and SlugClaim entities talking to each other ----

  CommandResultWithReply<ContentCommand, Content.Event, Content.State, ContentReply> createAs(
      String slug, ContentCommand.Initially then) {
    return kit.<ContentReply>runCommand(
        r -> new ContentCommand.Create(ContentKind.POST, fields("T", slug), then, "ed", r));
  }

  @Test
  void createsPublishedInOneAtomicWrite() {
    var r = createAs("born-public", ContentCommand.Initially.PUBLISHED);
    var s = accepted(r).content();
    assertThat(s.status()).isEqualTo(ContentStatus.PUBLISHED);
    assertThat(s.revision()).isEqualTo(2);
    assertThat(s.publishedAt()).isEqualTo(NOW);
    assertThat(r.events())
        .hasSize(2)
        .satisfiesExactly(
            e -> assertThat(e).isInstanceOf(Content.DraftCreated.class),
            e -> assertThat(e).isInstanceOf(Content.Published.class));
    // The history shows both steps, as if created then published.
    assertThat(kit.restart().state().revision()).isEqualTo(2);
  }

  @Test
  void anImportedPostCountsAsPublishedSinceItsPastPublishDate() {
    Instant since = NOW.minusSeconds(86_400 * 400);
    var r = createAs("old-post", ContentCommand.Initially.publishedSince(since));
    var s = accepted(r).content();
    assertThat(s.status()).isEqualTo(ContentStatus.PUBLISHED);
    assertThat(s.publishedAt()).isEqualTo(since);
    assertThat(s.updatedAt()).as("the write itself happened now").isEqualTo(NOW);
    assertThat(((Content.Published) r.events().get(1)).publishedAt()).isEqualTo(since);
    assertThat(kit.restart().state().publishedAt()).as("replayed").isEqualTo(since);
    // Its history step carries the time, so a bundle of it keeps it too.
    var step = Content.step(r.events().get(1));
    assertThat(Content.replay("x", List.of(Content.step(r.events().get(0)), step)).publishedAt())
        .isEqualTo(since);
  }

  @Test
  void createsScheduledAndPublishesWhenDue() {
    Instant at = NOW.plusSeconds(3600);
    var r = createAs("born-later", ContentCommand.Initially.scheduled(at));
    var s = accepted(r).content();
    assertThat(s.status()).isEqualTo(ContentStatus.SCHEDULED);
    assertThat(s.scheduledAt()).isEqualTo(at);
    assertThat(r.events()).hasSize(2);
    assertThat(r.events().get(1)).isInstanceOf(Content.PublishScheduled.class);
  }

  @Test
  void refusesAStartStatusThatCannotBe() {
    var past = rejected(createAs("past", ContentCommand.Initially.scheduled(NOW.minusSeconds(1))));
    assertThat(past.code()).isEqualTo(ErrorCode.INVALID);
    assertThat(past.field()).isEqualTo("at");
    assertThat(past.message()).contains("future");
    var noTime = rejected(createAs("no-time", ContentCommand.Initially.scheduled(null)));
    assertThat(noTime.field()).isEqualTo("at");
    var archived =
        rejected(createAs("arch", new ContentCommand.Initially(ContentStatus.ARCHIVED, null)));
    assertThat(archived.field()).isEqualTo("status");
    var publishedLater =
        rejected(createAs("pub-at", ContentCommand.Initially.publishedSince(NOW.plusSeconds(1))));
    assertThat(publishedLater.field()).isEqualTo("at");
    assertThat(publishedLater.message()).contains("not in the future", "status scheduled");
    var draftAt =
        rejected(createAs("draft-at", new ContentCommand.Initially(ContentStatus.DRAFT, NOW)));
    assertThat(draftAt.field()).isEqualTo("at");
    // Nothing was written, and the slugs were not claimed: another item can take them.
    assertThat(kit.getState().exists()).isFalse();
    assertThat(createVia("other", "past")).isInstanceOf(ContentReply.Accepted.class);
  }

  ContentReply send(
      String id, java.util.function.Function<ActorRef<ContentReply>, ContentCommand> make) {
    TestProbe<ContentReply> probe = KIT.createTestProbe();
    registry.content(id).tell(make.apply(probe.getRef()));
    return probe.receiveMessage(Duration.ofSeconds(5));
  }

  ContentReply createVia(String id, String slug) {
    return send(
        id,
        r ->
            new ContentCommand.Create(
                ContentKind.POST, fields("T", slug), ContentCommand.Initially.DRAFT, "ed", r));
  }

  @Test
  void slugsAreUniqueAcrossItems() {
    assertThat(createVia("u1", "taken")).isInstanceOf(ContentReply.Accepted.class);
    ContentReply second = createVia("u2", "taken");
    assertThat(second).isInstanceOf(ContentReply.Rejected.class);
    assertThat(((ContentReply.Rejected) second).code()).isEqualTo(ErrorCode.SLUG_TAKEN);
    assertThat(((ContentReply.Rejected) second).message()).contains("u1");
    assertThat(send("u2", ContentCommand.Get::new)).isInstanceOf(ContentReply.Rejected.class);
  }

  @Test
  void aPublishedSlugChangeKeepsTheOldOneAsAliasAndHoldsIt() {
    createVia("p1", "old");
    send("p1", r -> new ContentCommand.Publish(null, "a", r));
    ContentReply moved = send("p1", r -> new ContentCommand.Edit(2, fields("T", "new"), "a", r));
    assertThat(((ContentReply.Accepted) moved).content().aliases()).containsExactly("old");
    // The old slug keeps redirecting to p1: nobody else may take it.
    ContentReply other = createVia("p2", "old");
    assertThat(((ContentReply.Rejected) other).code()).isEqualTo(ErrorCode.SLUG_TAKEN);
  }

  @Test
  void aDraftSlugChangeReleasesTheOldSlug() {
    createVia("d1", "draft-old");
    ContentReply edited =
        send("d1", r -> new ContentCommand.Edit(1, fields("T", "draft-new"), "a", r));
    assertThat(edited).isInstanceOf(ContentReply.Accepted.class);
    ContentReply other = createVia("d2", "draft-old");
    assertThat(other).isInstanceOf(ContentReply.Accepted.class);
    assertThat(((ContentReply.Accepted) other).content().fields().slug()).isEqualTo("draft-old");
  }

  @Test
  void aClaimWhoseItemNeverGotCreatedIsRecovered() {
    // A claim left behind by a create that never persisted (e.g. a crash in between).
    TestProbe<SlugCommand.ClaimReply> probe = KIT.createTestProbe();
    registry.slug("orphan").tell(new SlugCommand.Claim("ghost", probe.getRef()));
    assertThat(probe.receiveMessage().granted()).isTrue();
    // ghost does not exist, so it does not use the slug: the next claim wins it.
    assertThat(createVia("real", "orphan")).isInstanceOf(ContentReply.Accepted.class);
  }

  /**
   * An archived item goes back to the drafts without going live on the way (only publishing it
   * brought it back), keeping its slug; it can then be edited and published as any draft.
   */
  @Test
  void anArchivedItemGoesBackToTheDrafts() {
    create(kit, "kept");
    accepted(kit.runCommand(r -> new ContentCommand.Publish(1L, "ed", r)));
    accepted(kit.runCommand(r -> new ContentCommand.Archive(2L, "ed", r)));
    var back = accepted(kit.runCommand(r -> new ContentCommand.Unpublish(3L, "ed", r)));
    assertThat(back.content().status()).isEqualTo(ContentStatus.DRAFT);
    assertThat(back.content().revision()).isEqualTo(4);
    assertThat(back.content().fields().slug()).isEqualTo("kept");
    var edited =
        accepted(
            kit.runCommand(r -> new ContentCommand.Edit(4L, fields("Again", "kept"), "ed", r)));
    assertThat(edited.content().status()).isEqualTo(ContentStatus.DRAFT);
  }

  // ---- restore: an item's history written back as another Quire journaled it ----

  static List<HistoryStep> movedAndPublishedHistory() {
    Instant t = Instant.parse("2019-03-01T08:00:00Z");
    return List.of(
        new HistoryStep(
            1, "created", t, "ann", ContentKind.POST, fields("T", "was"), null, null, null),
        new HistoryStep(2, "published", t.plusSeconds(60), "ann", null, null, null, null, null),
        new HistoryStep(
            3, "edited", t.plusSeconds(120), "bob", null, fields("T2", "now"), null, "was", null));
  }

  @Test
  void restoreWritesTheHistoryAsGivenAndClaimsSlugAndAliases() {
    ContentReply r = send("r1", ref -> new ContentCommand.Restore(movedAndPublishedHistory(), ref));
    var s = ((ContentReply.Accepted) r).content();
    assertThat(s.revision()).isEqualTo(3);
    assertThat(s.status()).isEqualTo(ContentStatus.PUBLISHED);
    assertThat(s.createdAt()).isEqualTo(Instant.parse("2019-03-01T08:00:00Z"));
    assertThat(s.publishedAt()).isEqualTo(Instant.parse("2019-03-01T08:01:00Z"));
    assertThat(s.fields().slug()).isEqualTo("now");
    assertThat(s.aliases()).containsExactly("was");
    // Both the slug and the old slug are held: nobody else may take them.
    assertThat(((ContentReply.Rejected) createVia("x1", "now")).code())
        .isEqualTo(ErrorCode.SLUG_TAKEN);
    assertThat(((ContentReply.Rejected) createVia("x2", "was")).code())
        .isEqualTo(ErrorCode.SLUG_TAKEN);
    // Restoring over an existing item is refused: import never overwrites by accident.
    ContentReply again =
        send("r1", ref -> new ContentCommand.Restore(movedAndPublishedHistory(), ref));
    assertThat(((ContentReply.Rejected) again).code()).isEqualTo(ErrorCode.ALREADY_EXISTS);
  }

  @Test
  void restoreRefusesAnImpossibleHistoryNamingTheStepAndWritesNothing() {
    List<HistoryStep> gap = new java.util.ArrayList<>(movedAndPublishedHistory());
    gap.remove(1);
    var r1 = rejected(kit.<ContentReply>runCommand(ref -> new ContentCommand.Restore(gap, ref)));
    assertThat(r1.field()).isEqualTo("history[1].revision");
    List<HistoryStep> badTransition =
        List.of(
            movedAndPublishedHistory().get(0),
            new HistoryStep(2, "unpublished", NOW, "a", null, null, null, null, null));
    var r2 =
        rejected(
            kit.<ContentReply>runCommand(ref -> new ContentCommand.Restore(badTransition, ref)));
    assertThat(r2.code()).isEqualTo(ErrorCode.INVALID_TRANSITION);
    // Who made a step is a name as long as an author's at most: a longer one stopped the read
    // model's projection for good.
    String longName = "a".repeat(RULES.limits().maxAuthor() + 1);
    List<HistoryStep> longActor =
        List.of(
            new HistoryStep(
                1, "created", NOW, longName, ContentKind.POST, fields("T", "t"), null, null, null));
    var tooLong =
        rejected(kit.<ContentReply>runCommand(ref -> new ContentCommand.Restore(longActor, ref)));
    assertThat(tooLong.field()).isEqualTo("history[0].actor");
    assertThat(r2.message()).contains("unpublished").contains("draft");
    List<HistoryStep> badFields =
        List.of(
            new HistoryStep(
                1,
                "created",
                NOW,
                "a",
                ContentKind.POST,
                fields("T", "Bad Slug"),
                null,
                null,
                null));
    var r3 =
        rejected(kit.<ContentReply>runCommand(ref -> new ContentCommand.Restore(badFields, ref)));
    assertThat(r3.field()).isEqualTo("history[0].fields.slug");
    assertThat(kit.getState().exists()).isFalse();
  }

  @Test
  void restoreLosesToAnItemThatHoldsTheSlug() {
    assertThat(createVia("holder", "now")).isInstanceOf(ContentReply.Accepted.class);
    ContentReply r = send("r2", ref -> new ContentCommand.Restore(movedAndPublishedHistory(), ref));
    assertThat(((ContentReply.Rejected) r).code()).isEqualTo(ErrorCode.SLUG_TAKEN);
    assertThat(send("r2", ContentCommand.Get::new)).isInstanceOf(ContentReply.Rejected.class);
  }

  @Test
  void historyStepsRoundTripThroughEvents() {
    var r =
        kit.<ContentReply>runCommand(
            ref -> new ContentCommand.Restore(movedAndPublishedHistory(), ref));
    accepted(r);
    // The events the entity journaled read back (as export reads them) as the very steps given.
    assertThat(r.events().stream().map(Content::step).toList())
        .isEqualTo(movedAndPublishedHistory());
  }

  /** Every slug answered by {@code slugs}, every item by {@code contents}; null: not expected. */
  static SlugRegistry fixedRegistry(
      RecipientRef<SlugCommand> slugs, RecipientRef<ContentCommand> contents) {
    return new SlugRegistry() {
      @Override
      public RecipientRef<SlugCommand> slug(String slug) {
        if (slugs == null) {
          throw new UnsupportedOperationException("no slug claims expected in this test");
        }
        return slugs;
      }

      @Override
      public RecipientRef<ContentCommand> content(String contentId) {
        if (contents == null) {
          throw new UnsupportedOperationException("no owner checks expected in this test");
        }
        return contents;
      }
    };
  }

  /**
   * Sharding stops entities to bound how many are alive (Content.boundedPassivation). A stop that
   * arrives while the entity waits for its slug's answer must wait too: stopped there, the create
   * would never be persisted or answered.
   */
  @Test
  void aStopAskedForDuringASlugClaimWaitsUntilTheCreateIsDone() {
    TestProbe<SlugCommand> slugs = KIT.createTestProbe();
    SlugRegistry probeSlugs = fixedRegistry(slugs.ref(), null);
    ActorRef<ContentCommand> entity =
        KIT.spawn(Content.create("c-stop", SETTINGS, probeSlugs, CLOCK));
    TestProbe<ContentReply> replies = KIT.createTestProbe();
    entity.tell(
        new ContentCommand.Create(
            ContentKind.POST,
            fields("Stopping", "stopping"),
            ContentCommand.Initially.DRAFT,
            "ed",
            replies.ref()));
    SlugCommand.Claim claim = slugs.expectMessageClass(SlugCommand.Claim.class);

    entity.tell(new Content.Passivate());
    replies.expectNoMessage(Duration.ofMillis(200));
    claim.replyTo().tell(new SlugCommand.ClaimReply(true, "c-stop"));

    ContentReply created = replies.receiveMessage(Duration.ofSeconds(5));
    assertThat(created).isInstanceOf(ContentReply.Accepted.class);
    assertThat(((ContentReply.Accepted) created).content().revision()).isEqualTo(1);
    replies.expectTerminated(entity, Duration.ofSeconds(5));
  }

  @Test
  void anIdleEntityStopsWhenAsked() {
    ActorRef<ContentCommand> entity =
        KIT.spawn(Content.create("c-idle", SETTINGS, registry, CLOCK));
    TestProbe<ContentReply> replies = KIT.createTestProbe();
    entity.tell(new ContentCommand.Get(replies.ref()));
    replies.receiveMessage(Duration.ofSeconds(5));
    entity.tell(new Content.Passivate());
    replies.expectTerminated(entity, Duration.ofSeconds(5));
  }

  /** The slug's entity likewise: a stop during an owner check waits for the claim's answer. */
  @Test
  void aSlugStopAskedForDuringAnOwnerCheckWaitsUntilTheClaimIsAnswered() {
    TestProbe<ContentCommand> owners = KIT.createTestProbe();
    SlugRegistry probeOwners = fixedRegistry(null, owners.ref());
    ActorRef<SlugCommand> slug =
        KIT.spawn(SlugClaim.create("held", Duration.ofSeconds(3), probeOwners));
    TestProbe<SlugCommand.ClaimReply> claims = KIT.createTestProbe();
    slug.tell(new SlugCommand.Claim("first", claims.ref()));
    assertThat(claims.receiveMessage(Duration.ofSeconds(5)).granted()).isTrue();

    slug.tell(new SlugCommand.Claim("second", claims.ref()));
    ContentCommand.CheckSlug check = owners.expectMessageClass(ContentCommand.CheckSlug.class);
    slug.tell(new SlugClaim.Passivate());
    claims.expectNoMessage(Duration.ofMillis(200));
    check.replyTo().tell(new SlugCommand.Ownership(false));

    SlugCommand.ClaimReply reply = claims.receiveMessage(Duration.ofSeconds(5));
    assertThat(reply.granted()).isTrue();
    assertThat(reply.owner()).isEqualTo("second");
    claims.expectTerminated(slug, Duration.ofSeconds(5));
  }
}
