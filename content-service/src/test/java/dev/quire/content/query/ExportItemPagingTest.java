package dev.quire.content.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.content.Content;
import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentQuery;
import dev.quire.protocol.HistoryStep;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An item's export in pages, as a gateway on another node reads it for a backup: every page within
 * the reply budget (the item's own text counting on the first), every step once and in order, and
 * each later page ending at the revision the first one named, however many edits came since. The
 * pages are folded here by {@link ContentQueries.ExportFold} over the events the query actor reads
 * for them (the journal's read is the same query the revision reads use, tested with them).
 */
class ExportItemPagingTest {

  static ActorTestKit kit;
  static final Instant T = Instant.parse("2026-12-06T08:00:00Z");

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("export-paging");
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void pagesStayWithinTheBudgetAndTogetherHoldTheWholeHistoryUpToTheFirstPagesRevision() {
    List<Content.Event> events = history(12, 1_000);
    long budget = 3_500;
    List<ContentQuery.ExportPage> pages = read(events, budget, 500);
    ContentQuery.ExportPage first = pages.get(0);
    assertThat(first.item()).isNotNull();
    assertThat(first.item().revision()).isEqualTo(13);
    assertThat(first.upTo()).isEqualTo(13);
    assertThat(first.item().fields().body()).isEqualTo(body(12, 1_000));
    List<Long> revisions = new ArrayList<>();
    pages.forEach(p -> p.steps().forEach(s -> revisions.add(s.revision())));
    assertThat(revisions).containsExactlyElementsOf(range(1, 13));
    assertThat(pages.size()).as("a page of ~1,500 bytes a step holds two").isGreaterThan(5);
    assertThat(pages.subList(0, pages.size() - 1)).allMatch(ContentQuery.ExportPage::more);
    assertThat(pages.get(pages.size() - 1).more()).isFalse();
    assertThat(pages.subList(1, pages.size())).allMatch(p -> p.item() == null);
    assertThat(pages.subList(1, pages.size())).allMatch(p -> !p.steps().isEmpty());
    // Replayed, the pages' steps are the item the first page gave.
    List<HistoryStep> all = new ArrayList<>();
    pages.forEach(p -> all.addAll(p.steps()));
    assertThat(Content.replay("id-1", all)).isEqualTo(first.item());
  }

  @Test
  void editsSavedAfterTheFirstPageAreLeftForTheNextBackup() {
    List<Content.Event> events = history(4, 100);
    ContentQuery.ExportPage first = page(events, 0, 0, 400, 500);
    assertThat(first.upTo()).isEqualTo(5);
    assertThat(first.more()).isTrue();
    // Three more edits land in the journal before the next page is read.
    List<Content.Event> later = history(7, 100);
    List<Long> revisions = new ArrayList<>();
    first.steps().forEach(s -> revisions.add(s.revision()));
    ContentQuery.ExportPage p = first;
    while (p.more()) {
      long after = revisions.isEmpty() ? 0 : revisions.get(revisions.size() - 1);
      p = page(later, after, first.upTo(), 400, 500);
      p.steps().forEach(s -> revisions.add(s.revision()));
    }
    assertThat(revisions).containsExactlyElementsOf(range(1, 5));
  }

  @Test
  void anItemLargerThanTheBudgetComesAloneAndItsStepsOneAPage() {
    List<Content.Event> events = history(2, 5_000);
    List<ContentQuery.ExportPage> pages = read(events, 2_000, 500);
    assertThat(pages.get(0).item()).isNotNull();
    assertThat(pages.get(0).steps()).isEmpty();
    assertThat(pages.get(0).more()).isTrue();
    assertThat(pages.subList(1, pages.size())).allMatch(p -> p.steps().size() == 1);
    assertThat(pages).hasSize(4);
  }

  @Test
  void aPageHoldsAtMostTheLargestPageOfStepsAndNoneAreAskedForWithoutHistory() {
    List<Content.Event> events = history(9, 10);
    List<ContentQuery.ExportPage> pages = read(events, Long.MAX_VALUE, 4);
    assertThat(pages.stream().map(p -> p.steps().size()).toList()).containsExactly(4, 4, 2);
    ContentQuery.ExportPage itemOnly =
        new ContentQueries.ExportFold(Content.State.empty(), new ArrayList<>(), 0, false)
            .page(new ContentQuery.ExportItem("id-1", 0, 0, false, null), true, 100);
    assertThat(itemOnly.item()).isNull();
    ContentQuery.ExportPage noSteps = fold(events, false, 4, Long.MAX_VALUE, true, 0, 0);
    assertThat(noSteps.item().revision()).isEqualTo(10);
    assertThat(noSteps.steps()).isEmpty();
    assertThat(noSteps.more()).isFalse();
  }

  @Test
  void theExportMessagesRoundTripAsTheClusterSendsThem() {
    SerializationTestKit serialization = new SerializationTestKit(kit.system());
    TestProbe<ContentQuery.ExportPage> probe = kit.createTestProbe();
    var ask = new ContentQuery.ExportItem("id-1", 3, 9, true, probe.ref());
    assertThat(serialization.verifySerialization(ask, true)).isEqualTo(ask);
    List<ContentQuery.ExportPage> pages = read(history(3, 20), Long.MAX_VALUE, 500);
    for (var p : pages) {
      assertThat(serialization.verifySerialization(p, true)).isEqualTo(p);
    }
    var later = new ContentQuery.ExportPage("id-1", null, pages.get(0).steps(), 4, true);
    assertThat(serialization.verifySerialization(later, true)).isEqualTo(later);
    TestProbe<ContentQuery.IdPage> ids = kit.createTestProbe();
    var list = new ContentQuery.JournalIds("id-1", 500, ids.ref());
    assertThat(serialization.verifySerialization(list, true)).isEqualTo(list);
    var idPage = new ContentQuery.IdPage(List.of("id-2", "id-3"), true);
    assertThat(serialization.verifySerialization(idPage, true)).isEqualTo(idPage);
  }

  // ---------------------------------------------------------------- helpers

  /** Every page of one item, asked for as a backup asks. */
  static List<ContentQuery.ExportPage> read(List<Content.Event> events, long budget, int maxSteps) {
    List<ContentQuery.ExportPage> pages = new ArrayList<>();
    ContentQuery.ExportPage p = page(events, 0, 0, budget, maxSteps);
    pages.add(p);
    long upTo = p.upTo();
    long after = last(p, 0);
    while (p.more()) {
      p = page(events, after, upTo, budget, maxSteps);
      pages.add(p);
      after = last(p, after);
    }
    return pages;
  }

  private static long last(ContentQuery.ExportPage p, long before) {
    return p.steps().isEmpty() ? before : p.steps().get(p.steps().size() - 1).revision();
  }

  /** One page: the events the query actor reads for it, folded as it folds them. */
  static ContentQuery.ExportPage page(
      List<Content.Event> events, long after, long upTo, long budget, int maxSteps) {
    boolean first = after <= 0 && upTo <= 0;
    return fold(events, true, maxSteps, budget, first, after, upTo);
  }

  static ContentQuery.ExportPage fold(
      List<Content.Event> events,
      boolean withSteps,
      int maxSteps,
      long budget,
      boolean first,
      long after,
      long upTo) {
    List<Content.Event> read =
        first
            ? events
            : events.stream()
                .filter(e -> e.revision() > after && e.revision() <= upTo)
                .limit(maxSteps)
                .toList();
    ContentQueries.ExportFold f =
        new ContentQueries.ExportFold(Content.State.empty(), new ArrayList<>(), 0, false);
    for (Content.Event e : read) {
      f = f.next(e, withSteps, maxSteps, budget);
    }
    return f.page(new ContentQuery.ExportItem("id-1", after, upTo, withSteps, null), first, budget);
  }

  /** Created (revision 1), then {@code edits} edits with bodies of {@code chars} characters. */
  static List<Content.Event> history(int edits, int chars) {
    List<Content.Event> events = new ArrayList<>();
    events.add(new Content.DraftCreated("id-1", 1, ContentKind.POST, fields(0, chars), T, "ann"));
    for (int i = 1; i <= edits; i++) {
      events.add(
          new Content.Edited("id-1", i + 1, fields(i, chars), null, null, T.plusSeconds(i), "ann"));
    }
    return events;
  }

  static ContentFields fields(int version, int chars) {
    return new ContentFields(
        "Title", "slug", body(version, chars), "", List.of(), "", "Ann", null, "");
  }

  static String body(int version, int chars) {
    return (version + " ").repeat(chars).substring(0, chars);
  }

  static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(i);
    }
    return out;
  }
}
