package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.quire.content.render.MarkdownRenderer;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentRules;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MarkdownFolderTest {

  static final ContentRules RULES = MarkdownRenderer.contentRules(ConfigFactory.load());
  final MarkdownFolder folder = new MarkdownFolder(RULES, 10_000);

  @TempDir Path dir;

  MarkdownFolder.Result read(String... nameAndText) throws Exception {
    for (int i = 0; i < nameAndText.length; i += 2) {
      Files.writeString(dir.resolve(nameAndText[i]), nameAndText[i + 1]);
    }
    return folder.read(dir);
  }

  List<String> problems(MarkdownFolder.Result r) {
    return r.problems().stream()
        .map(p -> dir.relativize(p.file()) + ":" + p.line() + ": " + p.field() + ": " + p.message())
        .toList();
  }

  /** A YAML tag beyond YAML's plain kinds was read as its text: refused, naming the line. */
  @Test
  void aValueWithAYamlTagIsAProblemNotItsText() throws Exception {
    var r =
        read(
            "tagged.md",
            "---\ntitle: !!str Plainly fine\ndescription: !!binary aGVsbG8=\n"
                + "tags: [a, !custom b]\ndate: 2026-05-06\n---\nBody.\n");
    assertThat(problems(r))
        .containsExactly(
            "tagged.md:3: description: the YAML tag tag:yaml.org,2002:binary is not read (its"
                + " value would be taken as plain text): leave the tag out",
            "tagged.md:4: tags: the YAML tag !custom is not read (its value would be taken as"
                + " plain text): leave the tag out");
  }

  /** A control character in a body is named by the line of the file it is on, and its column. */
  @Test
  void aControlCharacterInABodyIsNamedByItsLineInTheFile() throws Exception {
    var r = read("nul.md", "---\ntitle: T\n---\nline one\nline two \u0000\n");
    assertThat(problems(r))
        .containsExactly(
            "nul.md:5: body: has a control character (U+0000) at column 10; only text, tabs and"
                + " line breaks are kept");
  }

  /** A link to a file outside the folder is not read; one to a file inside it is. */
  @Test
  void aLinkOutOfTheFolderIsAProblemAndItsTargetIsNotRead(@TempDir Path elsewhere)
      throws Exception {
    Path secret =
        Files.writeString(
            elsewhere.resolve("secret.md"), "---\ntitle: Secret outside\n---\nTOP SECRET\n");
    Files.createSymbolicLink(dir.resolve("link.md"), secret);
    Path own = Files.writeString(dir.resolve("own.txt"), "---\ntitle: Own\n---\nMine\n");
    Files.createSymbolicLink(dir.resolve("inside.md"), own);
    var r = folder.read(dir);
    assertThat(problems(r))
        .singleElement()
        .satisfies(
            p ->
                assertThat(p)
                    .startsWith("link.md:1: file: is a link to " + secret.toRealPath())
                    .contains("copy the file into the folder"));
    assertThat(r.entries()).extracting(e -> e.fields().title()).containsExactly("Own");
  }

  @Test
  void readsTheSeedFormatWithBothTagStyles() throws Exception {
    var r =
        read(
            "a.md",
            "---\ntitle: Rewriting my blog in Rust\nslug: rewriting-my-blog-in-rust\ndate: 2026-05-06\n"
                + "publish_date: 2026-05-06\ntags: rust, webdev, performance\n"
                + "description: One line.\ncover_image: rust.webp\n---\n\nBody *here*.\n",
            "b.md",
            "\uFEFF---\r\ntitle: Page\r\nkind: page\r\ntags:\r\n  - one\r\n  - two\r\ndraft: true\r\n---\r\nText\r\n");
    assertThat(r.problems()).isEmpty();
    var a = r.entries().get(0);
    assertThat(a.fields().tags()).containsExactly("rust", "webdev", "performance");
    assertThat(a.fields().date()).isEqualTo(Instant.parse("2026-05-06T00:00:00Z"));
    assertThat(a.fields().body()).isEqualTo("Body *here*.\n");
    assertThat(a.fields().coverImage()).isEqualTo("rust.webp");
    var b = r.entries().get(1);
    assertThat(b.kind()).isEqualTo(ContentKind.PAGE);
    assertThat(b.fields().slug()).as("slug made from the title").isEqualTo("page");
    assertThat(b.fields().tags()).containsExactly("one", "two");
    assertThat(b.draft()).isTrue();
    assertThat(b.fields().body()).isEqualTo("Text\n");
  }

  @Test
  void oldMacLineEndsAreLinesToo() throws Exception {
    var r = read("mac.md", "---\rtitle: Classic\rslug: classic\r---\rOne\rTwo\r");
    assertThat(r.problems()).isEmpty();
    assertThat(r.entries().get(0).fields().body()).isEqualTo("One\nTwo\n");
    assertThat(r.entries().get(0).slugLine()).isEqualTo(3);
  }

  @Test
  void reportsEveryProblemWithFileLineAndField() throws Exception {
    var r =
        read(
            "1.md", "---\ntitle: Ok\nslug: Not OK\n---\nx",
            "2.md", "---\nslug: no-title\ndraft: maybe\n---\nx",
            "3.md", "no front matter",
            "4.md", "---\ntitle: [unclosed\n---\nx",
            "5.md", "---\ntitle: Dup\nslug: same\n---\n",
            "6.md", "---\ntitle: Dup again\nslug: same\n---\n",
            "7.md", "---\ntitle: Big\n---\n" + "x".repeat(10_000),
            "8.md", "---\ntitle: Tabs\n\tslug: tabbed\n---\nx");
    assertThat(problems(r))
        .contains(
            "1.md:3: slug: 'Not OK' must be lowercase letters a-z, digits and single hyphens (e.g. my-first-post)",
            "2.md:3: draft: must be true or false, was 'maybe'",
            "2.md:1: title: is required",
            "3.md:1: front matter: the file must start with a '---' line",
            "6.md:3: slug: 'same' is also used by " + dir.resolve("5.md"))
        .anyMatch(p -> p.startsWith("4.md:") && p.contains("front matter: is not valid YAML"))
        // What is wrong, not only what the parser was doing ("while scanning for the next token").
        .anyMatch(
            p ->
                p.startsWith("8.md:3: front matter: is not valid YAML: found character")
                    && p.contains("TAB")
                    && p.contains("while scanning for the next token"))
        .anyMatch(p -> p.startsWith("7.md:1: file: is 100") && p.contains("at most 10000 allowed"));
    assertThat(r.entries())
        .extracting(e -> e.file().getFileName().toString())
        .containsExactly("5.md");
  }

  /**
   * Fence lines with trailing spaces or tabs; two spellings of one tag read as the item will hold
   * them (one), so a re-import of the file is not an edit each time.
   */
  @Test
  void fencesMayEndInSpacesAndOneTagSpelledTwiceIsOne() throws Exception {
    var r =
        read(
            "f.md",
            "--- \ntitle: Fenced\ntags: [Event Sourcing, event-sourcing, rust]\n---\t\n\nBody\n---\nafter a rule\n");
    assertThat(r.problems()).isEmpty();
    var e = r.entries().get(0);
    assertThat(e.fields().title()).isEqualTo("Fenced");
    assertThat(e.fields().tags()).containsExactly("Event Sourcing", "rust");
    assertThat(e.fields().body()).isEqualTo("Body\n---\nafter a rule\n");
  }

  /** Dates and times as other generators write them; a time with no zone is the site's. */
  @Test
  void datesWithTimesInTheFormsOtherToolsWrite() throws Exception {
    String[][] cases = {
      {"2026-05-06T09:30:00Z", "2026-05-06T09:30:00Z"},
      {"2026-05-06T09:30:00+02:00", "2026-05-06T07:30:00Z"},
      {"2026-05-06 09:30:00 +0200", "2026-05-06T07:30:00Z"},
      {"2026-05-06T09:30:00", "2026-05-06T09:30:00Z"},
      {"2026-05-06 09:30", "2026-05-06T09:30:00Z"},
      {"2026-05-06T09:30:00.250Z", "2026-05-06T09:30:00.250Z"},
    };
    for (String[] c : cases) {
      var r = read("d.md", "---\ntitle: Dated\ndate: \"" + c[0] + "\"\n---\nx");
      assertThat(r.problems()).as(c[0]).isEmpty();
      assertThat(r.entries().get(0).fields().date()).as(c[0]).isEqualTo(Instant.parse(c[1]));
    }
    assertThat(problems(read("bad.md", "---\ntitle: Bad\ndate: 2026-05-06 nine\n---\nx")))
        .anyMatch(p -> p.contains("date: '2026-05-06 nine' is not a date"));
    assertThat(problems(read("feb.md", "---\ntitle: Feb\ndate: \"2026-02-31T10:00Z\"\n---\nx")))
        .anyMatch(p -> p.contains("date: '2026-02-31T10:00Z' is not a date"));
  }

  /** A title longer than a slug may be, and no slug: the slug made from it is cut to fit. */
  @Test
  void aLongTitleWithoutASlugGetsOneThatFits() throws Exception {
    String title = "Notes on building an event sourced content system ".repeat(3).strip();
    var r = read("long.md", "---\ntitle: " + title + "\n---\nx");
    assertThat(r.problems()).isEmpty();
    assertThat(r.entries().get(0).fields().slug())
        .hasSizeLessThanOrEqualTo(120)
        .startsWith("notes-on-building")
        .doesNotEndWith("-");
  }

  /**
   * Titles in other scripts without a slug get one spelled from them; every one of them was
   * "untitled" before (two in a folder refused, one matched to whatever item held the slug). A
   * title with nothing to spell takes the file's name.
   */
  @Test
  void titlesInOtherScriptsGetTheirOwnSlugsAndEmojiTheFilesName() throws Exception {
    var r =
        read(
            "ru.md", "---\ntitle: \u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440\n---\nx",
            "he.md", "---\ntitle: \u05e9\u05dc\u05d5\u05dd\n---\nx",
            "party-time.md", "---\ntitle: \"\ud83c\udf89\ud83c\udf89\"\n---\nx",
            "untitled-one.md", "---\ntitle: Untitled\n---\nx");
    assertThat(problems(r)).isEmpty();
    assertThat(r.entries().stream().map(e -> e.fields().slug()))
        .containsExactlyInAnyOrder("privet-mir", "slwm", "party-time", "untitled");
  }

  /** Markdown the import does not read (a subfolder's, a .MD) is named, not passed over. */
  @Test
  void markdownInSubfoldersIsNamedAsNotRead() throws Exception {
    Files.createDirectories(dir.resolve("post/hello"));
    Files.writeString(dir.resolve("post/hello/index.md"), "---\ntitle: Nested\n---\nx");
    var r = read("top.md", "---\ntitle: Top\n---\nx");
    assertThat(r.entries()).hasSize(1);
    assertThat(r.warnings())
        .singleElement()
        .satisfies(
            w ->
                assertThat(w.message())
                    .startsWith("1 Markdown file(s) are not read (e.g. post/hello/index.md)"));
  }

  /** A missing title is one problem, not also an empty title and an empty slug made from it. */
  @Test
  void aMissingTitleIsOneProblem() throws Exception {
    assertThat(problems(read("t.md", "---\ndescription: no title, no slug\n---\nx")))
        .containsExactly("t.md:1: title: is required");
    // A title given as no value: one problem, on its line.
    assertThat(
            problems(read("u.md", "---\ntitle: ~\nslug: given\n---\nx")).stream()
                .filter(p -> p.startsWith("u.md")))
        .containsExactly("u.md:2: title: must not be empty");
  }

  /** A character YAML does not allow is reported on its own line, and named. */
  @Test
  void aControlCharacterIsNamedOnItsLine() throws Exception {
    var r =
        read(
            "c.md",
            "---\ntitle: Fine \uD83D\uDE00\nslug: fine\ndescription: Don\u0092t panic\n---\nx");
    assertThat(problems(r))
        .singleElement()
        .asString()
        .startsWith("c.md:4: front matter: is not valid YAML: U+0092 is not allowed here");
  }

  /** A plain null or ~ (as PyYAML writes None) is no value; a quoted "null" is text. */
  @Test
  void plainNullsAreNoValue() throws Exception {
    var r =
        read(
            "n.md",
            "---\ntitle: Nulls\nslug: null\ndescription: null\ncover_image: ~\ntags: null\n"
                + "date: ~\ndraft: Null\nauthor: \"null\"\n---\nx");
    assertThat(r.problems()).isEmpty();
    var e = r.entries().get(0);
    assertThat(e.fields().slug()).isEqualTo("null");
    assertThat(e.fields().description()).isEmpty();
    assertThat(e.fields().coverImage()).isEmpty();
    assertThat(e.fields().tags()).isEmpty();
    assertThat(e.fields().date()).isNull();
    assertThat(e.fields().author()).isEqualTo("null");
  }

  /** Titles and authors are one line, as the site keeps them, so a re-import changes nothing. */
  @Test
  void aTitleWrittenOnTwoLinesIsReadAsOne() throws Exception {
    var r = read("t.md", "---\ntitle: |\n  Two\n  lines\nauthor: \"Ada\\n Lovelace\"\n---\nx");
    assertThat(r.problems()).isEmpty();
    assertThat(r.entries().get(0).fields().title()).isEqualTo("Two lines");
    assertThat(r.entries().get(0).fields().author()).isEqualTo("Ada Lovelace");
  }

  /** The folder is held whole while it is checked: over its limit, nothing is read. */
  @Test
  void aFolderOverItsLimitIsRefusedBeforeItIsRead() throws Exception {
    read("a.md", "---\ntitle: A\n---\n" + "x".repeat(600), "b.md", "---\ntitle: B\n---\nx");
    var r = new MarkdownFolder(RULES, 10_000, 500).read(dir);
    assertThat(problems(r))
        .containsExactly(
            ":1: folder: holds 635 bytes of Markdown in 2 files, at most 500 allowed"
                + " (quire.cli.max-folder-bytes; raise it with the heap, QUIRE_HEAP)");
    assertThat(r.entries()).isEmpty();
    assertThat(new MarkdownFolder(RULES, 10_000, 635).read(dir).entries()).hasSize(2);
  }

  @Test
  void aFileThatIsNotUtf8IsNamedWithTheLineOfItsFirstBadByte() throws Exception {
    Files.write(
        dir.resolve("latin1.md"),
        "---\ntitle: Caf\u00e9\n---\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    var r = read("ok.md", "---\ntitle: Fine\n---\nx");
    assertThat(problems(r))
        .containsExactly(
            "latin1.md:2: file: is not UTF-8 text (byte 15 is not valid UTF-8; save the file as"
                + " UTF-8 and import again)");
    assertThat(r.entries()).extracting(e -> e.fields().title()).containsExactly("Fine");
  }

  /** What the site could not store or render is refused before the import writes anything. */
  @Test
  void datesOutsideTheYearsTheSiteWritesAndTooDeepBodiesAreNamedWithTheirLine() throws Exception {
    var r =
        read(
            "far.md", "---\ntitle: Far\ndate: +10000-01-01T00:00:00Z\n---\nx",
            "early.md", "---\ntitle: Early\npublish_date: \"-0001-01-01T00:00:00Z\"\n---\nx",
            "deep.md", "---\ntitle: Deep\n---\n\nintro\n\n" + ">".repeat(500) + " x\n");
    assertThat(problems(r))
        .containsExactlyInAnyOrder(
            "far.md:3: date: must be in the years 0001 to 9999, was +10000-01-01T00:00:00Z",
            "early.md:3: publish_date: must be in the years 0001 to 9999, was -0001-01-01T00:00:00Z",
            "deep.md:4: body: nests quotes, lists, links or emphasis 502 levels deep (line 3 of the"
                + " body); at most 100 allowed");
    assertThat(r.entries()).isEmpty();
  }

  @Test
  void aFileWithOtherProblemsStillHasItsDuplicateSlugReported() throws Exception {
    var r =
        read(
            "a.md", "---\ntitle: A\nslug: same\n---\nx",
            "b.md", "---\ntitle: B\nslug: same\ndate: bad\n---\nx");
    assertThat(problems(r))
        .containsExactlyInAnyOrder(
            "b.md:4: date: 'bad' is not a date (use 2026-05-06, 2026-05-06T09:30 in the site's zone, or 2026-05-06T09:30:00Z)",
            "b.md:3: slug: 'same' is also used by " + dir.resolve("a.md"));
  }

  @Test
  void anIdIsReadBackAndAWrongOrRepeatedOneIsAProblem() throws Exception {
    var r =
        read(
            "a.md", "---\ntitle: A\nslug: a\nid: 0190-abc\n---\nx",
            "b.md", "---\ntitle: B\nslug: b\nid: 0190-abc\n---\nx",
            "c.md", "---\ntitle: C\nslug: c\nid: ../x\n---\nx");
    assertThat(r.entries())
        .singleElement()
        .satisfies(e -> assertThat(e.id()).isEqualTo("0190-abc"));
    assertThat(problems(r))
        .containsExactlyInAnyOrder(
            "b.md:4: id: '0190-abc' is also the id in " + dir.resolve("a.md"),
            "c.md:4: id: '../x' is not an item id (letters, digits and hyphens, as an export writes)");
    var e = r.entries().get(0);
    Files.writeString(
        dir.resolve("a.md"),
        MarkdownFolder.format(e.id(), e.kind(), e.fields(), false, e.publishAt()));
    Files.delete(dir.resolve("b.md"));
    Files.delete(dir.resolve("c.md"));
    assertThat(folder.read(dir).entries()).singleElement().isEqualTo(e);
  }

  @Test
  void aKeyGivenTwiceIsAProblemNotTheLastOneWinning() throws Exception {
    var r = read("a.md", "---\ntitle: One\nslug: a\ntitle: Two\n---\nx");
    assertThat(problems(r)).containsExactly("a.md:4: title: is given twice (first on line 2)");
    assertThat(r.entries()).isEmpty();
  }

  @Test
  void textYamlReadsAsALineBreakComesBackTheSame() throws Exception {
    var r = read("a.md", "---\ntitle: T\nslug: t\n---\nx");
    var e = r.entries().get(0);
    String odd = "one\u2028two\u2029three\u0085four\u007fend";
    var fields =
        new dev.quire.protocol.ContentFields(
            odd, "t", "x", odd, List.of("a tag"), "", odd, e.fields().date(), "");
    Files.writeString(
        dir.resolve("a.md"), MarkdownFolder.format(e.kind(), fields, false, e.publishAt()));
    var again = folder.read(dir);
    assertThat(again.problems()).isEmpty();
    assertThat(again.entries().get(0).fields()).isEqualTo(fields);
  }

  @Test
  void unknownKeysAreWarningsNotErrors() throws Exception {
    var r = read("a.md", "---\ntitle: T\nlayout: post\n---\nx");
    assertThat(r.problems()).isEmpty();
    assertThat(r.warnings())
        .singleElement()
        .satisfies(
            w -> {
              assertThat(w.field()).isEqualTo("layout");
              assertThat(w.line()).isEqualTo(3);
            });
  }

  @Test
  void formatReadsBackToTheSameFields() throws Exception {
    var r =
        read(
            "a.md",
            "---\ntitle: \"Quotes \\\" and: colons # too\"\nslug: q\ndate: 2026-01-02T03:04:05Z\n"
                + "tags: [a b, c]\ndescription: d\nauthor: Ann\n---\n\nBody\n\n  indented\n");
    var e = r.entries().get(0);
    Files.delete(dir.resolve("a.md"));
    Files.writeString(
        dir.resolve("q.md"), MarkdownFolder.format(e.kind(), e.fields(), false, e.publishAt()));
    var again = folder.read(dir).entries().get(0);
    assertThat(again.fields()).isEqualTo(e.fields());
    assertThat(again.publishAt()).isEqualTo(e.publishAt());
  }

  /**
   * A date without a time is the site's midnight: at midnight UTC, a site in New York showed a post
   * dated 2024-03-05 as of 4 March. Written back as the date alone, and read back the same.
   */
  @Test
  void aDateWithoutATimeIsMidnightInTheSitesZone() throws Exception {
    java.time.ZoneId newYork = java.time.ZoneId.of("America/New_York");
    MarkdownFolder there = new MarkdownFolder(RULES, 10_000, Long.MAX_VALUE, newYork);
    Files.writeString(dir.resolve("d.md"), "---\ntitle: D\nslug: d\ndate: 2024-03-05\n---\n\nx\n");
    var e = there.read(dir).entries().get(0);
    assertThat(e.fields().date()).isEqualTo(java.time.Instant.parse("2024-03-05T05:00:00Z"));
    String written = MarkdownFolder.format(null, e.kind(), e.fields(), false, null, newYork);
    assertThat(written).contains("date: 2024-03-05\n");
    Files.writeString(dir.resolve("d.md"), written);
    assertThat(there.read(dir).entries().get(0).fields()).isEqualTo(e.fields());
    // In UTC (the default zone) as before.
    assertThat(folder.read(dir).entries().get(0).fields().date())
        .isEqualTo(java.time.Instant.parse("2024-03-05T00:00:00Z"));
  }
}
