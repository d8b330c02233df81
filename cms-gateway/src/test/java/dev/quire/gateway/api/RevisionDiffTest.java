package dev.quire.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.ContentStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The diff between two revisions: fields that differ, and the body as a bounded line diff. */
class RevisionDiffTest {

  private static final RevisionDiff.Limits LIMITS =
      new RevisionDiff.Limits(10_000, Duration.ofSeconds(5), 3);

  private static ContentSnapshot at(long revision, ContentStatus status, ContentFields f) {
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    return new ContentSnapshot("id", ContentKind.POST, status, revision, f, t, t, null, null, null);
  }

  private static ContentFields fields(String title, String body, List<String> tags) {
    return new ContentFields(title, "slug", body, "", tags, "", "", null, "");
  }

  @Test
  void onlyTheFieldsThatDifferAreListedInReadingOrder() {
    var a = at(1, ContentStatus.DRAFT, fields("A", "same\n", List.of("x")));
    var b = at(2, ContentStatus.PUBLISHED, fields("B", "same\n", List.of("x", "y")));
    List<Map<String, Object>> changes = RevisionDiff.changes(a, b, LIMITS);
    assertThat(changes).extracting(m -> m.get("field")).containsExactly("status", "title", "tags");
    assertThat(changes.get(1)).containsEntry("from", "A").containsEntry("to", "B");
    assertThat(changes.get(2)).containsEntry("to", List.of("x", "y"));
    assertThat(RevisionDiff.changes(a, a, LIMITS)).isEmpty();
  }

  @Test
  void theBodyIsAUnifiedDiffWithCounts() {
    var a = at(3, ContentStatus.DRAFT, fields("T", "one\ntwo\nthree\n", List.of()));
    var b = at(5, ContentStatus.DRAFT, fields("T", "one\n2\nthree\nfour", List.of()));
    Map<String, Object> body = RevisionDiff.changes(a, b, LIMITS).get(0);
    assertThat(body)
        .containsEntry("field", "body")
        .containsEntry("fromLines", 3)
        .containsEntry("toLines", 4)
        .containsEntry("added", 2)
        .containsEntry("removed", 1)
        .containsEntry(
            "unified",
            "--- revision 3\n+++ revision 5\n@@ -1,3 +1,4 @@\n one\n-two\n+2\n three\n+four");
  }

  @Test
  void aFinalNewlineDoesNotMakeALineAndAnEmptyBodyHasNone() {
    assertThat(RevisionDiff.lines("a\nb\n")).containsExactly("a", "b");
    assertThat(RevisionDiff.lines("a\n\n")).containsExactly("a", "");
    assertThat(RevisionDiff.lines("")).isEmpty();
    var a = at(1, ContentStatus.DRAFT, fields("T", "", List.of()));
    var b = at(2, ContentStatus.DRAFT, fields("T", "new", List.of()));
    assertThat(RevisionDiff.changes(a, b, LIMITS).get(0))
        .containsEntry("added", 1)
        .containsEntry("removed", 0);
  }

  /** A side with no lines is named by the line before it, 0 at the top, as diff -u writes it. */
  @Test
  void anEmptySideIsWrittenAsDiffWritesIt() {
    var full = at(1, ContentStatus.DRAFT, fields("T", "a\nb", List.of()));
    var empty = at(2, ContentStatus.DRAFT, fields("T", "", List.of()));
    assertThat(RevisionDiff.changes(full, empty, LIMITS).get(0))
        .containsEntry("unified", "--- revision 1\n+++ revision 2\n@@ -1,2 +0,0 @@\n-a\n-b");
    assertThat(RevisionDiff.changes(empty, full, LIMITS).get(0))
        .containsEntry("unified", "--- revision 2\n+++ revision 1\n@@ -0,0 +1,2 @@\n+a\n+b");
    // With no context, lines added after line 3 of the old text (diff -U0 writes -3,0 +4,2).
    assertThat(RevisionDiff.emptyRangeAsDiffWritesIt("@@ -4,0 +4,2 @@"))
        .isEqualTo("@@ -3,0 +4,2 @@");
    assertThat(RevisionDiff.emptyRangeAsDiffWritesIt("@@ -1,3 +1,4 @@"))
        .isEqualTo("@@ -1,3 +1,4 @@");
  }

  @Test
  void bodiesThatDifferOnlyInTheFinalNewlineSaySo() {
    var a = at(1, ContentStatus.DRAFT, fields("T", "one\ntwo\n", List.of()));
    var b = at(2, ContentStatus.DRAFT, fields("T", "one\ntwo", List.of()));
    Map<String, Object> body = RevisionDiff.changes(a, b, LIMITS).get(0);
    assertThat(body).containsEntry("field", "body").containsEntry("unified", null);
    assertThat((String) body.get("omitted")).contains("final newline");
  }

  @Test
  void aBodyPastTheLineLimitIsReportedWithoutALineDiff() {
    var limits = new RevisionDiff.Limits(100, Duration.ofSeconds(5), 3);
    String big = IntStream.range(0, 101).mapToObj(i -> "l" + i).collect(Collectors.joining("\n"));
    var a = at(1, ContentStatus.DRAFT, fields("T", "short", List.of()));
    var b = at(2, ContentStatus.DRAFT, fields("T", big, List.of()));
    Map<String, Object> body = RevisionDiff.changes(a, b, limits).get(0);
    assertThat(body).containsEntry("toLines", 101).containsEntry("unified", null);
    assertThat((String) body.get("omitted"))
        .contains("101 lines")
        .contains("quire.gateway.api.diff.max-lines = 100");
  }

  @Test
  void aDiffPastItsTimeBudgetStopsAndSaysSo() {
    // Two unrelated bodies of 5,000 lines: far more than a nanosecond of work. The budget is
    // watched in the line comparisons, which run from the first step of the search on.
    String x = IntStream.range(0, 5000).mapToObj(i -> "x" + i).collect(Collectors.joining("\n"));
    String y = IntStream.range(0, 5000).mapToObj(i -> "y" + i).collect(Collectors.joining("\n"));
    var limits = new RevisionDiff.Limits(10_000, Duration.ofNanos(1), 3);
    Map<String, Object> body =
        RevisionDiff.changes(
                at(1, ContentStatus.DRAFT, fields("T", x, List.of())),
                at(2, ContentStatus.DRAFT, fields("T", y, List.of())),
                limits)
            .get(0);
    assertThat(body).containsEntry("unified", null);
    assertThat((String) body.get("omitted")).contains("quire.gateway.api.diff.time-budget");
    // The same bodies within the default budget get their diff.
    Map<String, Object> full =
        RevisionDiff.changes(
                at(1, ContentStatus.DRAFT, fields("T", x, List.of())),
                at(2, ContentStatus.DRAFT, fields("T", y, List.of())),
                LIMITS)
            .get(0);
    assertThat(full).containsEntry("added", 5000).containsEntry("removed", 5000);
  }
}
