package dev.quire.content.project;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.content.Content;
import dev.quire.content.render.MarkdownRenderer;
import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentQuery;
import dev.quire.protocol.ContentRules;
import dev.quire.protocol.ContentStatus;
import dev.quire.protocol.ReadItem;
import java.sql.Connection;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The projection handler and read-model queries against a real (in-memory) H2 database. */
class ReadModelTest {

  static final Instant T0 = Instant.parse("2026-03-04T05:06:07Z");
  JdbcDataSource ds;
  Connection keepAlive;
  ReadModel rm = new ReadModel(SqlDialect.H2, new MarkdownRenderer());

  @BeforeEach
  void setUp() throws Exception {
    ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:rm" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
    keepAlive = ds.getConnection();
    ReadModelSchema.migrate(ds, SqlDialect.H2);
    ReadModelSchema.migrate(ds, SqlDialect.H2); // runs at every start: nothing pending then
    // On H2 (the default database) too, a start then skips Flyway.
    org.assertj.core.api.Assertions.assertThat(ReadModelSchema.upToDate(ds)).isTrue();
  }

  @AfterEach
  void tearDown() throws Exception {
    keepAlive.close();
  }

  static ContentFields fields(String slug, String body, List<String> tags) {
    return new ContentFields("Title " + slug, slug, body, "desc", tags, "", "ann", null, "");
  }

  void project(Content.Event... events) throws Exception {
    project(ds, rm, events);
  }

  static void project(javax.sql.DataSource ds, ReadModel rm, Content.Event... events)
      throws Exception {
    AtomicLong notified = new AtomicLong();
    var handler = new ContentProjectionHandler(rm, notified::set);
    TransactionalSession session = new TransactionalSession(ds);
    handler.process(
        session,
        java.util.Arrays.stream(events)
            .map(
                e ->
                    org.apache.pekko.projection.eventsourced.EventEnvelope.create(
                        org.apache.pekko.persistence.query.Sequence.apply(1),
                        "Content|" + e.contentId(),
                        e.revision(),
                        e,
                        0L))
            .toList());
    assertThat(notified.get()).as("no notification before commit").isZero();
    session.commit();
    session.close();
    assertThat(notified.get()).as("subscribers hear the new seq after commit").isPositive();
  }

  @Test
  void aCoversDescriptionIsKeptAndFollowsEdits() throws Exception {
    keepsCoverDescriptions(ds, rm);
  }

  /** Also run on PostgreSQL ({@link ReadModelSchemaTest}). */
  static void keepsCoverDescriptions(javax.sql.DataSource ds, ReadModel rm) throws Exception {
    ContentFields first =
        new ContentFields("Lit", "lit", "b", "", List.of(), "/c.webp", "", null, "A lamp");
    project(
        ds,
        rm,
        new Content.DraftCreated("alt", 1, ContentKind.POST, first, T0, "ed"),
        new Content.Edited(
            "alt",
            2,
            new ContentFields("Lit", "lit", "b", "", List.of(), "/c.webp", "", null, "A lit lamp"),
            null,
            null,
            T0.plusSeconds(1),
            "ed"));
    try (Connection c = ds.getConnection()) {
      ReadItem item = rm.changesSince(c, 0, 10, Long.MAX_VALUE).items().get(0);
      assertThat(item.coverAlt()).isEqualTo("A lit lamp");
    }
    // Fields from before there was one: empty, not null.
    project(
        ds,
        rm,
        new Content.Edited(
            "alt",
            3,
            new ContentFields("Lit", "lit", "b", "", List.of(), "/c.webp", "", null, ""),
            null,
            null,
            T0.plusSeconds(2),
            "ed"));
    try (Connection c = ds.getConnection()) {
      assertThat(rm.changesSince(c, 0, 10, Long.MAX_VALUE).items().get(0).coverAlt()).isEmpty();
    }
  }

  /**
   * A history from before NULs were refused (2026-12-06) may hold one in any text; PostgreSQL's
   * text holds none, and the projection stopped at such an item for good. Shown as U+FFFD, as
   * CommonMark shows a NUL.
   */
  static void takesTextWithANul(javax.sql.DataSource ds, ReadModel rm) throws Exception {
    ContentFields nul =
        new ContentFields(
            "Odd\0title", "odd", "a \0 body", "de\0sc", List.of(), "", "a\0uthor", null, "");
    project(
        ds,
        rm,
        new Content.DraftCreated("nul", 1, ContentKind.POST, nul, T0, "ed"),
        new Content.Edited(
            "nul",
            2,
            new ContentFields(
                "Odd\0title", "odd", "still \0 odd", "", List.of(), "", "", null, "x\0y"),
            null,
            null,
            T0.plusSeconds(1),
            "ed"));
    try (Connection c = ds.getConnection()) {
      ReadItem item = rm.changesSince(c, 0, 10, Long.MAX_VALUE).items().get(0);
      assertThat(item.title()).isEqualTo("Odd\uFFFDtitle");
      assertThat(item.html()).isEqualTo("<p>still \uFFFD odd</p>\n");
      assertThat(item.coverAlt()).isEqualTo("x\uFFFDy");
      assertThat(item.revision()).isEqualTo(2);
    }
  }

  @Test
  void textWithANulIsTakenIn() throws Exception {
    takesTextWithANul(ds, rm);
  }

  @Test
  void itemsAreFoundByWhatTheirTitleSlugOrDescriptionContains() throws Exception {
    findsByTitleSlugOrDescription(ds, rm);
  }

  /** Also run on PostgreSQL ({@link ReadModelSchemaTest}). */
  static void findsByTitleSlugOrDescription(javax.sql.DataSource ds, ReadModel rm)
      throws Exception {
    project(
        ds,
        rm,
        new Content.DraftCreated(
            "f1",
            1,
            ContentKind.POST,
            new ContentFields(
                "Caf\u00e9 Notes", "cafe-notes", "b", "Weekly", List.of(), "", "ann", null, ""),
            T0,
            "ed"),
        new Content.DraftCreated(
            "f2",
            1,
            ContentKind.PAGE,
            new ContentFields(
                "About", "about_us", "b", "100% of us", List.of(), "", "ann", null, ""),
            T0.plusSeconds(1),
            "ed"),
        new Content.DraftCreated(
            "f3",
            1,
            ContentKind.POST,
            new ContentFields("Aboutness", "aboutness", "b", "x", List.of(), "", "ann", null, ""),
            T0.plusSeconds(2),
            "ed"),
        new Content.DraftCreated(
            "f4",
            1,
            ContentKind.POST,
            new ContentFields("Tour", "tour", "b", "y", List.of(), "", "ann", null, ""),
            T0.plusSeconds(3),
            "ed"));
    try (Connection c = ds.getConnection()) {
      java.util.function.Function<String, List<String>> find =
          text -> {
            try {
              return rm.list(c, null, null, null, text, 1, 10).items().stream()
                  .map(ReadItem::id)
                  .toList();
            } catch (java.sql.SQLException e) {
              throw new IllegalStateException(e);
            }
          };
      assertThat(find.apply("CAF\u00c9")).as("title, any case").containsExactly("f1");
      assertThat(find.apply("weekly")).as("description").containsExactly("f1");
      assertThat(find.apply("about")).as("newest first").containsExactly("f3", "f2");
      assertThat(find.apply("t_u"))
          .as("_ is a character, not a wildcard (which would match Tour)")
          .containsExactly("f2");
      assertThat(find.apply("100%")).containsExactly("f2");
      assertThat(find.apply("0%o")).as("% is a character too").isEmpty();
      assertThat(find.apply("  ")).as("blank: any").hasSize(4);
      assertThat(rm.list(c, ContentKind.POST, null, null, "about", 1, 10).total()).isEqualTo(1);
    }
  }

  @Test
  void itemsOfAnyStatusAreFoundByTheTextTheirBodyOrCoverHolds() throws Exception {
    findsItemsUsingText(ds, rm);
  }

  /** Also run on PostgreSQL ({@link ReadModelSchemaTest}). */
  static void findsItemsUsingText(javax.sql.DataSource ds, ReadModel rm) throws Exception {
    String file = "/media/" + "ab".repeat(32) + "/";
    project(
        ds,
        rm,
        new Content.DraftCreated(
            "u1",
            1,
            ContentKind.POST,
            new ContentFields(
                "In body",
                "in-body",
                "See ![](" + file + "a.png).",
                "",
                List.of(),
                "",
                "",
                null,
                ""),
            T0,
            "ed"),
        new Content.DraftCreated(
            "u2",
            1,
            ContentKind.PAGE,
            new ContentFields(
                "As cover", "as-cover", "Text.", "", List.of(), file + "c.png", "", null, ""),
            T0.plusSeconds(1),
            "ed"),
        new Content.DraftCreated(
            "u3",
            1,
            ContentKind.POST,
            new ContentFields(
                "Another file",
                "another",
                "![](/media/" + "cd".repeat(32) + "/b.png)",
                "Mentions " + file + " in its description only",
                List.of(),
                "",
                "",
                null,
                ""),
            T0.plusSeconds(2),
            "ed"));
    // u2 is published, so that the statuses can be asked for.
    project(ds, rm, new Content.Published("u2", 2, T0.plusSeconds(5), "ed"));
    try (Connection c = ds.getConnection()) {
      List<ContentStatus> any = List.of();
      var found = rm.referencing(c, file, any, 10);
      assertThat(found.items())
          .extracting(ReadItem::id)
          .as("newest first")
          .containsExactly("u2", "u1");
      assertThat(found.total()).isEqualTo(2);
      assertThat(found.items().get(0).body()).as("lists carry no bodies").isNullOrEmpty();
      var first = rm.referencing(c, file, any, 1);
      assertThat(first.items()).extracting(ReadItem::id).containsExactly("u2");
      assertThat(first.total()).as("all are counted").isEqualTo(2);
      assertThat(rm.referencing(c, "/MEDIA/", any, 10).total()).as("as written").isZero();
      assertThat(rm.referencing(c, "%", any, 10).total()).as("% is a character").isZero();
      assertThat(rm.referencing(c, "a_png", any, 10).total()).as("_ is a character").isZero();
      assertThat(rm.referencing(c, "  ", any, 10).total()).as("blank: none").isZero();
      var drafts =
          rm.referencing(c, file, List.of(ContentStatus.DRAFT, ContentStatus.SCHEDULED), 10);
      assertThat(drafts.items()).extracting(ReadItem::id).containsExactly("u1");
      assertThat(drafts.total()).isEqualTo(1);
      assertThat(rm.referencing(c, file, List.of(ContentStatus.PUBLISHED), 10).items())
          .extracting(ReadItem::id)
          .containsExactly("u2");
      assertThat(rm.referencing(c, file, List.of(ContentStatus.ARCHIVED), 10).total()).isZero();
      assertThat(rm.referencedBefore(c, file, 10).total())
          .as("every item using it uses it now")
          .isZero();
    }
    // u1's text lets the file go, and u2's cover is changed (a status change between the two
    // edits copies the revision's cover along); u3 never used it.
    project(
        ds,
        rm,
        new Content.Edited(
            "u1",
            2,
            new ContentFields(
                "In body", "in-body", "No image now.", "", List.of(), "", "", null, ""),
            null,
            null,
            T0.plusSeconds(6),
            "ed"),
        new Content.Unpublished("u2", 3, T0.plusSeconds(7), "ed"),
        new Content.Edited(
            "u2",
            4,
            new ContentFields(
                "As cover", "as-cover", "Text.", "", List.of(), "/other.png", "", null, ""),
            null,
            null,
            T0.plusSeconds(8),
            "ed"));
    try (Connection c = ds.getConnection()) {
      assertThat(rm.referencing(c, file, List.of(), 10).total()).isZero();
      var before = rm.referencedBefore(c, file, 10);
      assertThat(before.items()).extracting(ReadItem::id).containsExactly("u2", "u1");
      assertThat(before.total()).isEqualTo(2);
      var one = rm.referencedBefore(c, file, 1);
      assertThat(one.items()).extracting(ReadItem::id).containsExactly("u2");
      assertThat(one.total()).as("all are counted").isEqualTo(2);
      assertThat(rm.referencedBefore(c, "%", 10).total()).as("% is a character").isZero();
      assertThat(rm.referencedBefore(c, " ", 10).total()).as("blank: none").isZero();
    }
  }

  @Test
  void catchUpPagesAreBoundedByTheirTextAsWellAsTheirCount() throws Exception {
    // Five items of ~20 KB of HTML each (pages carry no Markdown body): a 50 KB budget takes two
    // per page, a count of three cuts first only when the budget is larger; an item larger than
    // the budget still comes, alone, so a follower always moves on.
    String big = "word ".repeat(4_000); // 20,000 chars of body, about as much HTML
    for (int i = 1; i <= 5; i++) {
      project(
          new Content.DraftCreated(
              "i" + i, 1, ContentKind.POST, fields("item-" + i, big, List.of()), T0, "ed"));
    }
    try (Connection c = ds.getConnection()) {
      ReadItem first = rm.changesSince(c, 0, 1, Long.MAX_VALUE).items().get(0);
      assertThat(first.body()).isNull();
      assertThat(first.html()).startsWith("<p>word word");
      assertThat(ReadModel.textBytes(first)).isBetween(20_000L, 22_000L);
      List<String> seen = new java.util.ArrayList<>();
      long after = 0;
      List<Integer> pageSizes = new java.util.ArrayList<>();
      while (true) {
        ContentQuery.Changes page = rm.changesSince(c, after, 100, 50_000);
        page.items().forEach(it -> seen.add(it.id()));
        pageSizes.add(page.items().size());
        long text = page.items().stream().mapToLong(ReadModel::textBytes).sum();
        assertThat(text).isLessThanOrEqualTo(50_000);
        after = page.lastSeq();
        if (!page.more()) {
          break;
        }
      }
      assertThat(seen).containsExactly("i1", "i2", "i3", "i4", "i5");
      assertThat(pageSizes).containsExactly(2, 2, 1);
      assertThat(rm.changesSince(c, 0, 3, 10_000_000).items()).hasSize(3);
      assertThat(rm.changesSince(c, 0, 3, 10_000_000).more()).isTrue();
      ContentQuery.Changes tiny = rm.changesSince(c, 0, 100, 10);
      assertThat(tiny.items()).extracting(ReadItem::id).containsExactly("i1");
      assertThat(tiny.more()).isTrue();
    }
    assertThat(ReadModel.utf8("aé€😀")).isEqualTo(1 + 2 + 3 + 4);
  }

  @Test
  void revisionListsArePagedByTheirTextNewestFirst() throws Exception {
    String big = "word ".repeat(4_000); // 20,000 chars per revision's body
    project(
        new Content.DraftCreated("r", 1, ContentKind.POST, fields("r", big, List.of()), T0, "ed"));
    for (int rev = 2; rev <= 5; rev++) {
      project(
          new Content.Edited(
              "r", rev, fields("r", big + rev, List.of()), null, null, T0.plusSeconds(rev), "ed"));
    }
    try (Connection c = ds.getConnection()) {
      List<Long> seen = new java.util.ArrayList<>();
      List<Integer> sizes = new java.util.ArrayList<>();
      long before = 0;
      while (true) {
        ContentQuery.RevisionList page = rm.revisions(c, "r", before, 45_000, false);
        page.revisions().forEach(e -> seen.add(e.revision()));
        sizes.add(page.revisions().size());
        if (!page.more()) {
          break;
        }
        before = page.revisions().get(page.revisions().size() - 1).revision();
      }
      assertThat(seen).containsExactly(5L, 4L, 3L, 2L, 1L);
      assertThat(sizes).containsExactly(2, 2, 1);
      // Without a budget (an asker in the same JVM): every revision in one answer.
      ContentQuery.RevisionList all = rm.revisions(c, "r", 0, Long.MAX_VALUE, false);
      assertThat(all.revisions()).hasSize(5);
      assertThat(all.more()).isFalse();
      // A budget smaller than one revision still gives one, so the asker moves on.
      ContentQuery.RevisionList one = rm.revisions(c, "r", 3, 10, false);
      assertThat(one.revisions()).extracting(e -> e.revision()).containsExactly(2L);
      assertThat(one.more()).isTrue();
      // Without bodies (a list to show): all five fit the budget that took three pages above.
      ContentQuery.RevisionList listed = rm.revisions(c, "r", 0, 45_000, true);
      assertThat(listed.revisions()).hasSize(5).allSatisfy(e -> assertThat(e.body()).isEmpty());
      assertThat(listed.revisions().get(0).title()).isEqualTo("Title r");
      assertThat(listed.more()).isFalse();
    }
  }

  @Test
  void aScheduleIsListedWithTheTimeItWasFor() throws Exception {
    Instant at = T0.plusSeconds(3_600);
    project(
        new Content.DraftCreated(
            "sc", 1, ContentKind.POST, fields("one", "first", List.of()), T0, "ed"),
        new Content.PublishScheduled("sc", 2, at, T0.plusSeconds(5), "ed"),
        new Content.Published("sc", 3, at, "scheduler"));
    try (Connection c = ds.getConnection()) {
      var revs = rm.revisions(c, "sc");
      assertThat(revs)
          .extracting(r -> r.event())
          .containsExactly("published", "publish-scheduled", "draft-created");
      assertThat(revs).extracting(r -> r.publishAt()).containsExactly(null, at, null);
    }
  }

  @Test
  void aRevertIsListedAsRevertedWithTheRevisionItWroteBack() throws Exception {
    project(
        new Content.DraftCreated(
            "rv", 1, ContentKind.POST, fields("one", "first", List.of()), T0, "ed"),
        new Content.Edited(
            "rv", 2, fields("one", "second", List.of()), null, null, T0.plusSeconds(5), "ed"),
        new Content.Edited(
            "rv", 3, fields("one", "first", List.of()), null, null, T0.plusSeconds(9), "ann", 1L));
    try (Connection c = ds.getConnection()) {
      var revs = rm.revisions(c, "rv");
      assertThat(revs)
          .extracting(r -> r.event())
          .containsExactly("reverted", "edited", "draft-created");
      assertThat(revs).extracting(r -> r.revertedTo()).containsExactly(1L, null, null);
      assertThat(revs.get(0).body()).isEqualTo("first");
    }
  }

  @Test
  void buildsPublishedContentWithHtmlTagsAliasesAndRevisions() throws Exception {
    project(
        new Content.DraftCreated(
            "a",
            1,
            ContentKind.POST,
            fields("one", "# Hi\n\n*x*", List.of("Java", "Event Sourcing")),
            T0,
            "ed"),
        new Content.Published("a", 2, T0.plusSeconds(10), "ed"),
        new Content.Edited(
            "a",
            3,
            fields("two", "changed", List.of("java")),
            "one",
            null,
            T0.plusSeconds(20),
            "ed"));
    try (Connection c = ds.getConnection()) {
      ContentQuery.Changes changes = rm.changesSince(c, 0, 100, Long.MAX_VALUE);
      assertThat(changes.items()).hasSize(1);
      ReadItem item = changes.items().get(0);
      assertThat(item.status()).isEqualTo(ContentStatus.PUBLISHED);
      assertThat(item.slug()).isEqualTo("two");
      assertThat(item.aliases()).containsExactly("one");
      assertThat(item.html()).isEqualTo("<p>changed</p>\n");
      assertThat(item.publishedAt()).isEqualTo(T0.plusSeconds(10));
      assertThat(item.revision()).isEqualTo(3);
      assertThat(rm.changesSince(c, changes.lastSeq(), 100, Long.MAX_VALUE).items()).isEmpty();

      assertThat(rm.list(c, ContentKind.POST, null, "JAVA", 1, 10).total()).isEqualTo(1);
      assertThat(rm.list(c, null, null, "event-sourcing", 1, 10).total()).isZero();

      var revs = rm.revisions(c, "a");
      assertThat(revs)
          .extracting(r -> r.event())
          .containsExactly("edited", "published", "draft-created");
      assertThat(revs).extracting(r -> r.revertedTo()).containsOnlyNulls();
      assertThat(revs.get(1).body()).isEqualTo("# Hi\n\n*x*");

      assertThat(rm.archive(c)).containsExactly(new ContentQuery.ArchiveMonth(2026, 3, 1));
    }
  }

  /** A post is filed under the month of its date in the site's zone, as its page shows it. */
  @Test
  void postsAreFiledUnderTheMonthOfTheSitesZone() throws Exception {
    ReadModel berlin =
        new ReadModel(SqlDialect.H2, new MarkdownRenderer(), java.time.ZoneId.of("Europe/Berlin"));
    // Midnight of 1 March in Berlin, 23:00 on 28 February in UTC.
    Instant firstOfMarch = Instant.parse("2026-02-28T23:00:00Z");
    project(
        ds,
        berlin,
        new Content.DraftCreated(
            "m",
            1,
            ContentKind.POST,
            new ContentFields("M", "m", "x", "", List.of(), "", "", firstOfMarch, ""),
            T0,
            "ed"),
        new Content.Published("m", 2, T0, "ed"));
    try (Connection c = ds.getConnection()) {
      assertThat(berlin.archive(c)).containsExactly(new ContentQuery.ArchiveMonth(2026, 3, 1));
    }
  }

  @Test
  void slugsArePagedByIdWithEachItemsOldSlugs() throws Exception {
    for (String id : List.of("c", "a", "e", "b", "d")) {
      project(
          new Content.DraftCreated(
              id, 1, ContentKind.POST, fields("s-" + id, "x", List.of()), T0, "ed"));
    }
    project(
        new Content.Published("b", 2, T0.plusSeconds(1), "ed"),
        new Content.Edited("b", 3, fields("s-b2", "x", List.of()), "s-b", null, T0, "ed"));
    try (Connection c = ds.getConnection()) {
      List<ContentQuery.SlugEntry> seen = new java.util.ArrayList<>();
      List<Integer> pageSizes = new java.util.ArrayList<>();
      String after = "";
      while (true) {
        ContentQuery.SlugPage page = rm.slugs(c, after, 2);
        seen.addAll(page.items());
        pageSizes.add(page.items().size());
        if (!page.more()) {
          break;
        }
        after = page.items().get(page.items().size() - 1).id();
      }
      assertThat(pageSizes).containsExactly(2, 2, 1);
      assertThat(seen)
          .extracting(ContentQuery.SlugEntry::id)
          .containsExactly("a", "b", "c", "d", "e");
      ContentQuery.SlugEntry b = seen.get(1);
      assertThat(b.slug()).isEqualTo("s-b2");
      assertThat(b.aliases()).containsExactly("s-b");
      assertThat(b.kind()).isEqualTo(ContentKind.POST);
      assertThat(seen.get(0).aliases()).isEmpty();
    }
  }

  @Test
  void editsKeepTagsAndAliasesTheyDoNotChangeAndAnItemCanTakeBackItsOldSlug() throws Exception {
    project(
        new Content.DraftCreated(
            "c", 1, ContentKind.POST, fields("first", "v1", List.of("Java")), T0, "ed"),
        new Content.Published("c", 2, T0.plusSeconds(1), "ed"),
        new Content.Edited(
            "c",
            3,
            fields("second", "v2", List.of("Java")),
            "first",
            null,
            T0.plusSeconds(2),
            "ed"),
        new Content.Edited(
            "c", 4, fields("second", "v3", List.of("Java")), null, null, T0.plusSeconds(3), "ed"));
    try (Connection c = ds.getConnection()) {
      ReadItem item = rm.changesSince(c, 0, 10, Long.MAX_VALUE).items().get(0);
      assertThat(item.html()).isEqualTo("<p>v3</p>\n");
      assertThat(item.aliases()).containsExactly("first");
      assertThat(rm.list(c, null, null, "java", 1, 10).total()).isEqualTo(1);
    }
    project(
        new Content.Edited(
            "c", 5, fields("first", "v4", List.of("Go")), "second", null, T0.plusSeconds(4), "ed"));
    try (Connection c = ds.getConnection()) {
      ReadItem item = rm.changesSince(c, 0, 10, Long.MAX_VALUE).items().get(0);
      assertThat(item.slug()).isEqualTo("first");
      assertThat(item.aliases()).containsExactly("second");
      assertThat(rm.list(c, null, null, "java", 1, 10).total()).isZero();
      assertThat(rm.list(c, null, null, "go", 1, 10).total()).isEqualTo(1);
    }
  }

  @Test
  void replayingTheSameEventsGivesTheSameRows() throws Exception {
    Content.Event created =
        new Content.DraftCreated(
            "b", 1, ContentKind.PAGE, fields("about", "x", List.of()), T0, "ed");
    project(created);
    project(created); // at-least-once delivery after a crash between write and offset
    try (Connection c = ds.getConnection()) {
      assertThat(rm.list(c, null, null, null, 1, 10).total()).isEqualTo(1);
      assertThat(rm.revisions(c, "b")).hasSize(1);
    }
  }

  @Test
  void replayingAnItemsWholeHistoryReplacesItsTagsAliasesAndRevisions() throws Exception {
    Content.Event[] history = {
      new Content.DraftCreated(
          "h", 1, ContentKind.POST, fields("one", "v1", List.of("Java", "Go")), T0, "ed"),
      new Content.Published("h", 2, T0.plusSeconds(1), "ed"),
      new Content.Edited(
          "h", 3, fields("two", "v2", List.of("Java")), "one", null, T0.plusSeconds(2), "ed")
    };
    project(history);
    // A new item's create only inserts; its replay must find and replace every row it wrote.
    project(history);
    try (Connection c = ds.getConnection()) {
      assertThat(rm.list(c, null, null, null, 1, 10).total()).isEqualTo(1);
      assertThat(rm.revisions(c, "h")).hasSize(3);
      assertThat(rm.list(c, null, null, "java", 1, 10).total()).isEqualTo(1);
      assertThat(rm.list(c, null, null, "go", 1, 10).total()).isZero();
      ReadItem item = rm.changesSince(c, 0, 10, Long.MAX_VALUE).items().get(0);
      assertThat(item.slug()).isEqualTo("two");
      assertThat(item.aliases()).containsExactly("one");
      assertThat(item.revision()).isEqualTo(3);
    }
  }

  @Test
  void replayingAnItemsLatestEventsAloneKeepsOneRevisionRowEach() throws Exception {
    Content.Event edited =
        new Content.Edited(
            "r", 2, fields("one", "v2", List.of("Java")), null, null, T0.plusSeconds(1), "ed");
    Content.Event published = new Content.Published("r", 3, T0.plusSeconds(2), "ed");
    project(
        new Content.DraftCreated(
            "r", 1, ContentKind.POST, fields("one", "v1", List.of("Java")), T0, "ed"),
        edited,
        published);
    // Redelivered after a crash between the read model's write and its offset: the rows of
    // revisions at or below the item's must be replaced, not added beside.
    project(edited, published);
    try (Connection c = ds.getConnection()) {
      assertThat(rm.revisions(c, "r")).extracting(r -> r.revision()).containsExactly(3L, 2L, 1L);
      assertThat(rm.list(c, null, null, "java", 1, 10).total()).isEqualTo(1);
      ReadItem item = rm.changesSince(c, 0, 10, Long.MAX_VALUE).items().get(0);
      assertThat(item.revision()).isEqualTo(3);
      assertThat(item.status()).isEqualTo(ContentStatus.PUBLISHED);
    }
  }

  /**
   * A second instance of the projection that is behind this one (on a node the cluster downed
   * mid-batch, still committing) applies older events after newer ones: the item keeps its newer
   * revision instead of rolling back to the older one until its next edit.
   */
  @Test
  void anOlderEventAppliedAfterANewerOneDoesNotRollTheItemBack() throws Exception {
    Content.Event created =
        new Content.DraftCreated(
            "s", 1, ContentKind.POST, fields("one", "v1", List.of("Java")), T0, "ed");
    Content.Event published = new Content.Published("s", 2, T0.plusSeconds(1), "ed");
    Content.Event edited =
        new Content.Edited(
            "s", 3, fields("two", "v3", List.of("Go")), "one", null, T0.plusSeconds(2), "ed");
    project(created, published, edited);
    project(published);
    project(created);
    try (Connection c = ds.getConnection()) {
      ReadItem item = rm.changesSince(c, 0, 10, Long.MAX_VALUE).items().get(0);
      assertThat(item.revision()).isEqualTo(3);
      assertThat(item.slug()).isEqualTo("two");
      assertThat(item.status()).isEqualTo(ContentStatus.PUBLISHED);
      assertThat(rm.list(c, null, null, "go", 1, 10).total()).isEqualTo(1);
      assertThat(rm.revisions(c, "s")).extracting(r -> r.revision()).containsExactly(3L, 2L, 1L);
    }
  }

  /**
   * Events the content rules now refuse, but which a journal written before those checks may hold:
   * the projection goes on past them instead of stopping at them for good.
   */
  @Test
  void anEventStoredBeforeTheRulesCheckedNestingAndDatesStillProjects() throws Exception {
    Instant farOff = Instant.parse("+300000000-01-01T00:00:00Z");
    String deep = ">".repeat(200_000) + " x";
    project(
        new Content.DraftCreated(
            "odd",
            1,
            ContentKind.POST,
            new ContentFields("Odd", "odd", deep, "", List.of(), "", "", farOff, ""),
            T0,
            "ed"),
        new Content.Published("odd", 2, T0.plusSeconds(1), "ed", farOff),
        new Content.DraftCreated(
            "next", 1, ContentKind.POST, fields("next", "after", List.of()), T0, "ed"));
    try (Connection c = ds.getConnection()) {
      List<ReadItem> items = rm.changesSince(c, 0, 10, Long.MAX_VALUE).items();
      assertThat(items).extracting(ReadItem::id).containsExactly("odd", "next");
      assertThat(items.get(0).html()).startsWith("<pre class=\"unrendered\" tabindex=\"0\">");
      assertThat(items.get(0).date()).isEqualTo(ContentRules.LATEST.truncatedTo(ChronoUnit.MILLIS));
      assertThat(items.get(0).publishedAt())
          .isEqualTo(ContentRules.LATEST.truncatedTo(ChronoUnit.MILLIS));
    }
  }

  @Test
  void findsScheduledItemsWhenDueAndDropsUnpublished() throws Exception {
    project(
        new Content.DraftCreated(
            "s", 1, ContentKind.POST, fields("soon", "x", List.of()), T0, "ed"),
        new Content.PublishScheduled("s", 2, T0.plusSeconds(3600), T0, "ed"),
        new Content.DraftCreated(
            "u", 1, ContentKind.POST, fields("gone", "x", List.of()), T0, "ed"),
        new Content.Published("u", 2, T0, "ed"),
        new Content.Unpublished("u", 3, T0.plusSeconds(1), "ed"));
    try (Connection c = ds.getConnection()) {
      assertThat(rm.dueForPublishing(c, T0.plusSeconds(3599), 10, java.time.Duration.ofSeconds(5)))
          .isEmpty();
      assertThat(rm.dueForPublishing(c, T0.plusSeconds(3600), 10, java.time.Duration.ofSeconds(5)))
          .containsExactly("s");
      assertThat(rm.list(c, null, ContentStatus.PUBLISHED, null, 1, 10).total()).isZero();
      assertThat(rm.list(c, null, ContentStatus.DRAFT, null, 1, 10).items())
          .extracting(ReadItem::id)
          .containsExactly("u");
    }
  }
}
