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

  /** A number on a slug keeps it within the limit, cut at a hyphen where there is one. */
  @Test
  void aNumberedSlugStaysWithinTheLimit() {
    assertThat(ContentRules.numbered("notes", 2, 120)).isEqualTo("notes-2");
    assertThat(ContentRules.numbered("x".repeat(120), 2, 120)).isEqualTo("x".repeat(118) + "-2");
    assertThat(ContentRules.numbered("x".repeat(120), 10, 120)).isEqualTo("x".repeat(117) + "-10");
    assertThat(ContentRules.numbered("a".repeat(100) + "-" + "b".repeat(19), 2, 120))
        .isEqualTo("a".repeat(100) + "-2");
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
    assertThat(ContentRules.suggestSlug("The editor's notes, 'quoted'", 120))
        .isEqualTo("the-editors-notes-quoted");
    assertThat(ContentRules.suggestSlug("Don\u2019t panic", 120)).isEqualTo("dont-panic");
    // The importers' spelling stays as it was: files without a slug are matched by it.
    assertThat(ContentRules.slugify("The editor's notes", 120)).isEqualTo("the-editor-s-notes");
  }

  /**
   * A title written in another script gets a slug spelled from it, not "untitled" for all of them
   * (two such posts then met on one slug, and an import matched a file to whichever item held it).
   * What the importers made before for a title with Latin letters stays as it was.
   */
  @Test
  void aTitleInAnotherScriptIsSpelledInLatinLetters() {
    assertThat(ContentRules.slugify("\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440"))
        .isEqualTo("privet-mir");
    assertThat(ContentRules.slugify("\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd"))
        .isEqualTo("slwm-wlm");
    assertThat(ContentRules.slugify("\u65e5\u672c\u8a9e\u306e\u30bf\u30a4\u30c8\u30eb"))
        .isEqualTo("ri-ben-yunotaitoru");
    // A soft sign (and Arabic's ʿayn) inside a word does not split it.
    assertThat(ContentRules.slugify("\u041c\u0430\u043b\u044c\u0447\u0438\u043a"))
        .isEqualTo("malcik");
    assertThat(
            ContentRules.suggestSlug(
                "\u041e\u0431\u044a\u044f\u0432\u043b\u0435\u043d\u0438\u0435", 120))
        .isEqualTo("obavlenie");
    assertThat(ContentRules.slugify("\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac"))
        .isEqualTo("ellenika");
    assertThat(ContentRules.slugify("\ud83c\udf89\ud83c\udf89"))
        .as("nothing to spell")
        .isEqualTo(ContentRules.UNTITLED);
    // Kept for the importers: the Latin letters alone, as before.
    assertThat(ContentRules.slugify("\u5b66\u4e60 Java \u7b14\u8bb0")).isEqualTo("java");
    assertThat(ContentRules.slugify("Stra\u00dfe")).isEqualTo("stra-e");
    // What the admin and the API suggest for a new item spells every letter.
    assertThat(ContentRules.suggestSlug("\u5b66\u4e60 Java \u7b14\u8bb0", 120))
        .isEqualTo("xue-xi-java-bi-ji");
    assertThat(ContentRules.suggestSlug("Stra\u00dfe und \u00c6r\u00f8", 120))
        .isEqualTo("strasse-und-aero");
    assertThat(ContentRules.suggestSlug("Caf\u00e9 cr\u00e8me", 120)).isEqualTo("cafe-creme");
    assertThat(ContentRules.suggestSlug("\u041f\u0440\u0438\u0432\u0435\u0442 ".repeat(40), 20))
        .isEqualTo("privet-privet-privet");
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

  static ContentFields fields(String title, String description, String author) {
    return new ContentFields(
        title, "t", "", description, java.util.List.of(), "", author, null, "");
  }

  /**
   * A NUL, a bell or a terminal's escape in a title, description or author is refused, naming the
   * field and where; tabs and line breaks are text; a value stored before the rule, kept as it is
   * by an edit, is not refused again (an edit of the body of such an item goes through).
   */
  @Test
  void controlCharactersInTitleDescriptionOrAuthorAreRefusedNamingWhere() {
    var rules =
        new ContentRules(ContentRules.Limits.of(new int[] {200, 200, 1000, 20, 5, 40, 500, 80, 8}));
    assertThat(rules.validate(ContentKind.POST, fields("Ctl\u0000 x", "d", "a")))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.field()).isEqualTo("title");
              assertThat(e.message()).contains("U+0000").contains("at character 4");
            });
    assertThat(rules.validate(ContentKind.POST, fields("T", "desc\u0008", "a\u001bb")))
        .extracting(FieldError::field)
        .containsExactly("description", "author");
    assertThat(rules.validate(ContentKind.POST, fields("T", "d", "a\u007f\u0085")))
        .as("DEL and C1 are text, as a Markdown export writes them back")
        .isEmpty();
    assertThat(rules.validate(ContentKind.POST, fields("Tab\there", "Two\r\nlines", "A\tB")))
        .isEmpty();
    ContentFields stored = fields("Old\u0007 title", "d", "a");
    assertThat(rules.validate(ContentKind.POST, fields("Old\u0007 title", "new", "a"), stored))
        .as("the stored title, unchanged")
        .isEmpty();
    assertThat(rules.validate(ContentKind.POST, fields("New\u0007 title", "d", "a"), stored))
        .extracting(FieldError::field)
        .containsExactly("title");
    // A history being restored (a site's own backup of such an item) is taken as it was stored.
    assertThat(rules.validateStored(ContentKind.POST, fields("Old\u0000", "d\u0008", "a\u001b")))
        .isEmpty();
    // In a body, named by line and column: a NUL is text no PostgreSQL column holds.
    ContentFields nulBody =
        new ContentFields("T", "t", "One\ntwo \u0000", "", java.util.List.of(), "", "", null, "");
    assertThat(rules.validate(ContentKind.POST, nulBody))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.field()).isEqualTo("body");
              assertThat(e.message()).contains("U+0000").contains("at line 2, column 5");
            });
    assertThat(rules.validate(ContentKind.POST, nulBody, nulBody)).as("kept as stored").isEmpty();
    assertThat(
            rules.validate(
                ContentKind.POST,
                new ContentFields(
                    "T", "t", "A\ttab\r\nand lines", "", java.util.List.of(), "", "", null, "")))
        .isEmpty();
  }

  /**
   * Half of an emoji (a client that cut a string inside one) is refused where control characters
   * are: pages showed it as '?', and the embedding model's tokenizer failed on it. A cover image's
   * address is held to the same rule (a bell went into the page's img src).
   */
  @Test
  void halfACharacterAndControlsInACoverAreRefusedNamingWhere() {
    var rules =
        new ContentRules(ContentRules.Limits.of(new int[] {200, 200, 1000, 20, 5, 40, 500, 80, 8}));
    assertThat(rules.validate(ContentKind.POST, fields("Party \ud83c\udf89 time \ud83d", "d", "a")))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.field()).isEqualTo("title");
              assertThat(e.message())
                  .contains("half of a character (U+D83D")
                  .contains("at character 14");
            });
    assertThat(rules.validate(ContentKind.POST, fields("Whole \ud83d\ude00", "\ude00 d", "a")))
        .extracting(FieldError::field)
        .containsExactly("description");
    ContentFields body =
        new ContentFields("T", "t", "One\ntwo \ud83d", "", java.util.List.of(), "", "", null, "");
    assertThat(rules.validate(ContentKind.POST, body))
        .singleElement()
        .satisfies(e -> assertThat(e.message()).contains("at line 2, column 5"));
    assertThat(rules.validate(ContentKind.POST, body, body)).as("kept as stored").isEmpty();
    ContentFields cover =
        new ContentFields(
            "T", "t", "", "", java.util.List.of(), "/media/x\u0007.png", "", null, "alt \ud83d");
    assertThat(rules.validate(ContentKind.POST, cover))
        .extracting(FieldError::field)
        .containsExactly("cover_image", "cover_alt");
    assertThat(rules.validateStored(ContentKind.POST, cover)).as("a history restored").isEmpty();
  }

  /**
   * A limit counts UTF-16 units, as a browser's maxlength does; a value with emoji says how many
   * counted twice (150 emoji were "300 characters long", which looked wrong).
   */
  @Test
  void aTooLongValueWithEmojiSaysTheyCountTwice() {
    assertThat(ContentRules.tooLong("title", "x".repeat(199) + "\ud83c\udf89", 200).message())
        .isEqualTo(
            "is 201 characters long (1 of them an emoji or another character outside Unicode's"
                + " first 65,536, which counts as two), at most 200 allowed");
    assertThat(ContentRules.tooLong("title", "\ud83c\udf89".repeat(150), 200).message())
        .isEqualTo(
            "is 300 characters long (150 of them emoji or other characters outside Unicode's"
                + " first 65,536, which count as two), at most 200 allowed");
    assertThat(ContentRules.tooLong("title", "x".repeat(201), 200).message())
        .isEqualTo("is 201 characters long, at most 200 allowed");
    // A tag too long is named, among the item's others.
    ContentRules rules =
        new ContentRules(ContentRules.Limits.of(new int[] {200, 200, 1000, 20, 5, 40, 500, 80, 8}));
    String tag = "t".repeat(rules.limits().maxTag() + 1);
    assertThat(
            rules.validate(
                ContentKind.POST,
                new ContentFields(
                    "T", "t", "", "", java.util.List.of("ok", tag), "", "", null, "")))
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.message())
                    .isEqualTo(
                        "'"
                            + tag
                            + "' is "
                            + tag.length()
                            + " characters long, at most "
                            + rules.limits().maxTag()
                            + " allowed"));
  }

  /** Spellings of one tag fold into the first, case included; an exact repeat is refused. */
  @Test
  void spellingsOfOneTagFoldAndAnExactRepeatIsRefused() {
    assertThat(ContentRules.normaliseTags(java.util.List.of("Java", "java", "JAVA", "x")))
        .containsExactly("Java", "x");
    assertThat(ContentRules.normaliseTags(java.util.List.of("Event Sourcing", "event-sourcing")))
        .containsExactly("Event Sourcing");
    var rules =
        new ContentRules(ContentRules.Limits.of(new int[] {200, 200, 1000, 20, 5, 40, 500, 80, 8}));
    var twice =
        new ContentFields(
            "T",
            "t",
            "",
            "",
            ContentRules.normaliseTags(java.util.List.of("a", "a")),
            "",
            "",
            null,
            "");
    assertThat(rules.validate(ContentKind.POST, twice))
        .singleElement()
        .satisfies(e -> assertThat(e.message()).contains("'a' is listed twice"));

    // "Café" as a Mac often sends it (e and a combining accent): a letter, and the same tag as
    // the composed spelling, kept composed.
    String decomposed = "Cafe\u0301";
    var cafe = new ContentFields("T", "t", "", "", java.util.List.of(decomposed), "", "", null, "");
    assertThat(
            rules.validate(
                ContentKind.POST,
                new ContentFields(
                    "T", "t", "", "", ContentRules.normaliseTags(cafe.tags()), "", "", null, "")))
        .isEmpty();
    // A stored history (a bundle's) is checked as it is: decomposed, it is refused.
    assertThat(rules.validateStored(ContentKind.POST, cafe))
        .singleElement()
        .satisfies(e -> assertThat(e.field()).isEqualTo("tags"));
    // Both spellings are one exact repeat, refused by name as any other.
    assertThat(ContentRules.normaliseTags(java.util.List.of(decomposed, "Caf\u00e9")))
        .containsExactly("Caf\u00e9", "Caf\u00e9");
    assertThat(ContentRules.normaliseTags(java.util.List.of(decomposed, "caf\u00e9")))
        .containsExactly("Caf\u00e9");
  }
}
