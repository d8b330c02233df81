package dev.quire.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WordDiffTest {

  static Map<String, String> line(String kind, String text) {
    return Map.of("kind", kind, "text", text);
  }

  @SuppressWarnings("unchecked")
  static String shown(Map<String, Object> line) {
    StringBuilder out = new StringBuilder();
    for (Map<String, Object> p : (List<Map<String, Object>>) line.get("parts")) {
      String t = (String) p.get("text");
      out.append((Boolean) p.get("changed") ? "[" + t + "]" : t);
    }
    return out.toString();
  }

  @Test
  void aChangedLineAndItsNewOneMarkTheWordsThatDiffer() {
    var out =
        WordDiff.marked(
            List.of(
                line("same", " Before."),
                line("removed", "-It all has to feel real. Then more."),
                line("added", "+It all has to feel unreal. Then more!"),
                line("same", " After.")),
            1_000,
            100);
    assertThat(shown(out.get(1))).isEqualTo("-It all has to feel [real]. Then more[.]");
    assertThat(shown(out.get(2))).isEqualTo("+It all has to feel [unreal]. Then more[!]");
    assertThat(out.get(0)).doesNotContainKey("parts");
    assertThat(out.get(3)).doesNotContainKey("parts");
  }

  @Test
  void unpairedRunsAndLinesPastTheBudgetAreShownWhole() {
    var unpaired =
        WordDiff.marked(
            List.of(line("removed", "-one"), line("removed", "-two"), line("added", "+three")),
            1_000,
            100);
    assertThat(unpaired).allSatisfy(l -> assertThat(l).doesNotContainKey("parts"));
    var over =
        WordDiff.marked(
            List.of(
                line("removed", "-a b"),
                line("added", "+a c"),
                line("removed", "-long line here"),
                line("added", "+long line there")),
            10,
            100);
    assertThat(shown(over.get(1))).isEqualTo("+a [c]");
    assertThat(over.get(3)).doesNotContainKey("parts");
    // A line longer than the line bound is shown whole; the budget goes on to the next pair.
    var longLine =
        WordDiff.marked(
            List.of(
                line("removed", "-" + "word ".repeat(30)),
                line("added", "+" + "word ".repeat(29) + "other"),
                line("removed", "-a b"),
                line("added", "+a c")),
            1_000,
            100);
    assertThat(longLine.get(1)).doesNotContainKey("parts");
    assertThat(shown(longLine.get(3))).isEqualTo("+a [c]");
  }
}
