package dev.quire.gateway.api;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import com.github.difflib.algorithm.myers.MyersDiffWithLinearSpace;
import com.github.difflib.patch.AbstractDelta;
import com.github.difflib.patch.ChangeDelta;
import com.github.difflib.patch.Chunk;
import com.github.difflib.patch.DeleteDelta;
import com.github.difflib.patch.InsertDelta;
import com.github.difflib.patch.Patch;
import com.typesafe.config.Config;
import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiPredicate;

/**
 * What changed between two revisions of an item: each field that differs, in the order an editor
 * reads them, and the body as a line diff in the unified format ({@code diff -u}, which review
 * tools and diff viewers read), computed by java-diff-utils (Myers' algorithm in linear space).
 *
 * <p>A line diff costs time in the product of the lines and the changes, so it is bounded: a body
 * past {@code maxLines} on either side, or a diff still running after {@code budget}, is reported
 * as changed with its line counts and {@code "unified": null}, and {@code omitted} says why (as it
 * does for two bodies that differ only in a final newline, which a line diff cannot show).
 */
public final class RevisionDiff {

  /** {@code quire.gateway.api.diff}: the bounds above and the context lines around a change. */
  public record Limits(int maxLines, Duration budget, int context) {
    public static Limits fromConfig(Config config) {
      Config c = config.getConfig("quire.gateway.api.diff");
      return new Limits(
          c.getInt("max-lines"), c.getDuration("time-budget"), c.getInt("context-lines"));
    }
  }

  private RevisionDiff() {}

  /** The changes from {@code from} to {@code to}; empty when the two are the same. */
  public static List<Map<String, Object>> changes(
      ContentSnapshot from, ContentSnapshot to, Limits limits) {
    List<Map<String, Object>> out = new ArrayList<>();
    ContentFields a = from.fields();
    ContentFields b = to.fields();
    field(out, "status", from.status().id(), to.status().id());
    field(out, "title", a.title(), b.title());
    field(out, "slug", a.slug(), b.slug());
    field(out, "description", a.description(), b.description());
    field(out, "tags", a.tags(), b.tags());
    field(out, "coverImage", a.coverImage(), b.coverImage());
    field(out, "coverAlt", a.coverAlt(), b.coverAlt());
    field(out, "author", a.author(), b.author());
    field(out, "date", a.date(), b.date());
    if (!Objects.equals(a.body(), b.body())) {
      out.add(body(a.body(), b.body(), from.revision(), to.revision(), limits));
    }
    return out;
  }

  private static void field(List<Map<String, Object>> out, String name, Object a, Object b) {
    if (!Objects.equals(a, b)) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("field", name);
      m.put("from", a);
      m.put("to", b);
      out.add(m);
    }
  }

  /** Lines as an editor counts them: a final newline does not start another line. */
  static List<String> lines(String text) {
    if (text == null || text.isEmpty()) {
      return List.of();
    }
    String t = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    return Arrays.asList(t.split("\n", -1));
  }

  static Map<String, Object> body(
      String before, String after, long fromRevision, long toRevision, Limits limits) {
    List<String> a = lines(before);
    List<String> b = lines(after);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("field", "body");
    m.put("fromLines", a.size());
    m.put("toLines", b.size());
    if (a.size() > limits.maxLines() || b.size() > limits.maxLines()) {
      return omitted(
          m,
          "the body has "
              + Math.max(a.size(), b.size())
              + " lines, more than a line diff is made for"
              + " (quire.gateway.api.diff.max-lines = "
              + limits.maxLines()
              + ")");
    }
    if (a.equals(b)) {
      // The texts differ in a final newline only, which a line diff does not show.
      return omitted(m, "the bodies differ only in a final newline");
    }
    Patch<String> patch;
    try {
      patch =
          DiffUtils.diff(a, b, new MyersDiffWithLinearSpace<>(equalUntil(limits.budget())), null);
    } catch (OverBudget e) {
      return omitted(
          m,
          "the line diff took longer than quire.gateway.api.diff.time-budget ("
              + limits.budget().toMillis()
              + " ms)");
    }
    patch = joined(patch);
    int added = 0;
    int removed = 0;
    for (AbstractDelta<String> d : patch.getDeltas()) {
      removed += d.getSource().size();
      added += d.getTarget().size();
    }
    m.put("added", added);
    m.put("removed", removed);
    m.put(
        "unified",
        String.join(
            "\n",
            UnifiedDiffUtils.generateUnifiedDiff(
                    "revision " + fromRevision,
                    "revision " + toRevision,
                    a,
                    patch,
                    limits.context())
                .stream()
                .map(RevisionDiff::emptyRangeAsDiffWritesIt)
                .toList()));
    return m;
  }

  /**
   * The linear-space algorithm reports a replaced line as an insertion and a deletion side by side,
   * sometimes the insertion first; {@code diff -u} shows the old lines, then the new. Deltas that
   * touch in both texts are joined into one change, which the unified format prints that way.
   */
  static Patch<String> joined(Patch<String> patch) {
    List<AbstractDelta<String>> deltas = new ArrayList<>(patch.getDeltas());
    deltas.sort(
        java.util.Comparator.<AbstractDelta<String>>comparingInt(d -> d.getSource().getPosition())
            .thenComparingInt(d -> d.getTarget().getPosition()));
    Patch<String> out = new Patch<>();
    int i = 0;
    while (i < deltas.size()) {
      AbstractDelta<String> first = deltas.get(i);
      List<String> source = new ArrayList<>(first.getSource().getLines());
      List<String> target = new ArrayList<>(first.getTarget().getLines());
      int sourceEnd = first.getSource().getPosition() + source.size();
      int targetEnd = first.getTarget().getPosition() + target.size();
      int j = i + 1;
      while (j < deltas.size()
          && deltas.get(j).getSource().getPosition() == sourceEnd
          && deltas.get(j).getTarget().getPosition() == targetEnd) {
        source.addAll(deltas.get(j).getSource().getLines());
        target.addAll(deltas.get(j).getTarget().getLines());
        sourceEnd += deltas.get(j).getSource().size();
        targetEnd += deltas.get(j).getTarget().size();
        j++;
      }
      Chunk<String> s = new Chunk<>(first.getSource().getPosition(), source);
      Chunk<String> t = new Chunk<>(first.getTarget().getPosition(), target);
      out.addDelta(
          source.isEmpty()
              ? new InsertDelta<>(s, t)
              : target.isEmpty() ? new DeleteDelta<>(s, t) : new ChangeDelta<>(s, t));
      i = j;
    }
    return out;
  }

  private static final java.util.regex.Pattern HUNK =
      java.util.regex.Pattern.compile("^@@ -(\\d+),(\\d+) \\+(\\d+),(\\d+) @@(.*)$");

  /**
   * A hunk header as diff -u writes it: a side with no lines is named by the line before it (0 at
   * the top), where java-diff-utils names the line after ({@code @@ -1,2 +1,0 @@} for a body
   * emptied, which diff writes {@code @@ -1,2 +0,0 @@}); tools that apply patches read the start.
   */
  static String emptyRangeAsDiffWritesIt(String line) {
    java.util.regex.Matcher h = HUNK.matcher(line);
    if (!h.matches() || !h.group(2).equals("0") && !h.group(4).equals("0")) {
      return line;
    }
    long from = Long.parseLong(h.group(1));
    long to = Long.parseLong(h.group(3));
    return "@@ -"
        + (h.group(2).equals("0") ? Math.max(0, from - 1) : from)
        + ","
        + h.group(2)
        + " +"
        + (h.group(4).equals("0") ? Math.max(0, to - 1) : to)
        + ","
        + h.group(4)
        + " @@"
        + h.group(5);
  }

  private static Map<String, Object> omitted(Map<String, Object> m, String why) {
    m.put("unified", null);
    m.put("omitted", why);
    return m;
  }

  /** Thrown from the algorithm's progress callback once the time budget is spent. */
  private static final class OverBudget extends RuntimeException {
    OverBudget() {
      super(null, null, false, false);
    }
  }

  /**
   * Line equality that also watches the clock: the algorithm compares lines throughout, also in its
   * first and longest search, where its progress callback is not called; every {@code CHECK_EVERY}
   * comparisons the time is looked at, and past the budget the diff stops.
   */
  private static BiPredicate<String, String> equalUntil(Duration budget) {
    long end = System.nanoTime() + budget.toNanos();
    int[] compared = {0};
    return (x, y) -> {
      if (++compared[0] % CHECK_EVERY == 0 && System.nanoTime() > end) {
        throw new OverBudget();
      }
      return x.equals(y);
    };
  }

  private static final int CHECK_EVERY = 1024;
}
