package dev.quire.gateway.admin;

import com.github.difflib.DiffUtils;
import com.github.difflib.patch.AbstractDelta;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The diff page's lines, with the words that changed marked: a removed line followed by its added
 * one (runs of the same length, line by line) are compared word by word (java-diff-utils, as the
 * line diff), so "feel real." against "feel unreal." shows which word, not two lines that look the
 * same. The comparison costs up to the product of the two lines' words, so a line longer than
 * {@code lineChars} is shown whole, and at most {@code budgetChars} of lines are compared on one
 * page; the rest are shown whole.
 */
final class WordDiff {

  /** Words, runs of spaces, and each other character on its own (punctuation). */
  private static final Pattern TOKEN =
      Pattern.compile("\\w+|\\s+|.", Pattern.UNICODE_CHARACTER_CLASS);

  private WordDiff() {}

  /**
   * {@code lines}: each {@code {"text", "kind"}} as the page shows it; answers them with {@code
   * "parts"} ({@code {"text", "changed"}}) added to the removed and added lines compared.
   */
  static List<Map<String, Object>> marked(
      List<Map<String, String>> lines, int budgetChars, int lineChars) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map<String, String> l : lines) {
      out.add(new java.util.HashMap<>(l));
    }
    int budget = budgetChars;
    int i = 0;
    while (i < out.size()) {
      if (!"removed".equals(out.get(i).get("kind"))) {
        i++;
        continue;
      }
      int j = i;
      while (j < out.size() && "removed".equals(out.get(j).get("kind"))) {
        j++;
      }
      int k = j;
      while (k < out.size() && "added".equals(out.get(k).get("kind"))) {
        k++;
      }
      if (j - i == k - j) {
        for (int t = 0; t < j - i; t++) {
          Map<String, Object> was = out.get(i + t);
          Map<String, Object> now = out.get(j + t);
          String a = (String) was.get("text");
          String b = (String) now.get("text");
          if (a.length() > lineChars || b.length() > lineChars) {
            continue;
          }
          budget -= a.length() + b.length();
          if (budget < 0) {
            return out;
          }
          compare(was, now);
        }
      }
      i = k;
    }
    return out;
  }

  /** Marks the words of a removed line and its added one that differ. */
  private static void compare(Map<String, Object> was, Map<String, Object> now) {
    String a = (String) was.get("text");
    String b = (String) now.get("text");
    // The first character is diff -u's '-' or '+'.
    List<String> ta = tokens(a.substring(1));
    List<String> tb = tokens(b.substring(1));
    boolean[] ca = new boolean[ta.size()];
    boolean[] cb = new boolean[tb.size()];
    for (AbstractDelta<String> d : DiffUtils.diff(ta, tb).getDeltas()) {
      for (int p = 0; p < d.getSource().size(); p++) {
        ca[d.getSource().getPosition() + p] = true;
      }
      for (int p = 0; p < d.getTarget().size(); p++) {
        cb[d.getTarget().getPosition() + p] = true;
      }
    }
    was.put("parts", parts(a.substring(0, 1), ta, ca));
    now.put("parts", parts(b.substring(0, 1), tb, cb));
  }

  private static List<String> tokens(String s) {
    List<String> out = new ArrayList<>();
    var m = TOKEN.matcher(s);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  /** Runs of tokens alike in being changed or not, after the line's sign. */
  private static List<Map<String, Object>> parts(
      String sign, List<String> tokens, boolean[] changed) {
    List<Map<String, Object>> out = new ArrayList<>();
    out.add(Map.of("text", sign, "changed", false));
    StringBuilder run = new StringBuilder();
    boolean runChanged = false;
    for (int p = 0; p < tokens.size(); p++) {
      if (run.length() > 0 && changed[p] != runChanged) {
        out.add(Map.of("text", run.toString(), "changed", runChanged));
        run.setLength(0);
      }
      runChanged = changed[p];
      run.append(tokens.get(p));
    }
    if (run.length() > 0) {
      out.add(Map.of("text", run.toString(), "changed", runChanged));
    }
    return out;
  }
}
