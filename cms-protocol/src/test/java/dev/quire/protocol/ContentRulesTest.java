package dev.quire.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The rules' small helpers, where a file, a form and the API must agree to the character. */
class ContentRulesTest {

  @Test
  void oneLineStripsAndFoldsEachLineBreakWithItsSpacesIntoOneSpace() {
    assertThat(ContentRules.oneLine("Two\nlines")).isEqualTo("Two lines");
    assertThat(ContentRules.oneLine("Two \r\n\t lines\n")).isEqualTo("Two lines");
    assertThat(ContentRules.oneLine("  padded  ")).isEqualTo("padded");
    assertThat(ContentRules.oneLine("a\n\nb\rc")).isEqualTo("a b c");
    // Only breaks: nothing left, which the rules then refuse as an empty title.
    assertThat(ContentRules.oneLine("\r")).isEmpty();
    assertThat(ContentRules.oneLine(null)).isNull();
    // Folding twice changes nothing (a re-import compares what it folded with what was stored).
    String once = ContentRules.oneLine(" x \n y ");
    assertThat(ContentRules.oneLine(once)).isEqualTo(once).isEqualTo("x y");
  }

  /** A slug made from a long title is cut at a word's end within the limit. */
  @Test
  void aSlugFromALongTitleIsCutAtAWordsEnd() {
    String title = "A very long title about event sourcing ".repeat(6).strip();
    String slug = ContentRules.slugify(title, 120);
    assertThat(slug)
        .hasSizeLessThanOrEqualTo(120)
        .doesNotEndWith("-")
        .startsWith("a-very-long-title");
    assertThat(ContentRules.slugify(title).startsWith(slug + "-")).isTrue();
    assertThat(ContentRules.slugify("x".repeat(200), 120)).isEqualTo("x".repeat(120));
    assertThat(ContentRules.slugify("Hello, World!", 120)).isEqualTo("hello-world");
  }

  @Test
  void aCoversDescriptionIsOneLineBoundedAsADescriptionAndNamedCoverAlt() {
    var rules =
        new ContentRules(ContentRules.Limits.of(new int[] {200, 200, 1000, 20, 5, 40, 500, 80, 8}));
    ContentFields ok =
        new ContentFields(
            "T", "t", "", "", java.util.List.of(), "/c.webp", "", null, "  A crab\n on rocks ");
    assertThat(ok.coverAlt()).as("one line, as it is read out").isEqualTo("A crab on rocks");
    assertThat(rules.validate(ContentKind.POST, ok)).isEmpty();
    ContentFields tooLong =
        new ContentFields("T", "t", "", "", java.util.List.of(), "", "", null, "x".repeat(21));
    assertThat(rules.validate(ContentKind.POST, tooLong))
        .singleElement()
        .satisfies(e -> assertThat(e.field()).isEqualTo("cover_alt"));
    ContentFields control =
        new ContentFields("T", "t", "", "", java.util.List.of(), "", "", null, "a\u0007b");
    assertThat(rules.validate(ContentKind.POST, control))
        .singleElement()
        .satisfies(e -> assertThat(e.message()).contains("control characters"));
    assertThat(
            new ContentFields("T", "t", "", "", java.util.List.of(), "", "", null, null).coverAlt())
        .as("none given (events stored before there was one): empty, never null")
        .isEmpty();
  }
}
