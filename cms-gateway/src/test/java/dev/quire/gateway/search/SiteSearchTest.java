package dev.quire.gateway.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.gateway.site.ItemView;
import dev.quire.gateway.site.SiteSnapshot;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Word matching and the fusion of the two rankings, on a real in-memory site. */
public class SiteSearchTest {

  public static ItemView item(
      String id, String kind, String title, String description, String date, String... tags) {
    String slug = "s-" + id;
    return new ItemView(
        id,
        kind,
        title,
        slug,
        kind.equals("post") ? "/posts/" + slug + "/" : "/" + slug + "/",
        description,
        java.util.Arrays.stream(tags)
            .map(t -> new ItemView.TagRef(t, t.toLowerCase(), "/tags/" + t.toLowerCase() + "/"))
            .toList(),
        "",
        "",
        date,
        date,
        date + "T00:00:00Z",
        "<p>body</p>",
        1,
        Instant.parse(date + "T00:00:00Z"),
        List.of(),
        "");
  }

  public static final ItemView RUST =
      item("1", "post", "Rewriting my blog in Rust", "A 3.5 MB binary.", "2026-01-01", "rust");
  public static final ItemView CAFE =
      item("2", "post", "Notes from a café", "Coffee and code.", "2026-02-01", "Life");
  public static final ItemView TAGGED =
      item("3", "post", "Borrow checker stories", "Lifetimes, mostly.", "2026-03-01", "Rust");
  public static final ItemView DESCRIBED =
      item("4", "post", "Why I left Go", "And moved to Rust.", "2026-04-01");
  public static final ItemView ABOUT =
      item("5", "page", "About", "Who writes this blog.", "2026-01-01");

  static SiteSearch.Index index() {
    SiteSnapshot snap =
        SiteSnapshot.of(7, List.of(RUST, CAFE, TAGGED, DESCRIBED, ABOUT), 100).with(8, List.of());
    return SiteSearch.Index.of(snap);
  }

  @Test
  void wordsAreFoldedAndCapped() {
    assertThat(SiteSearch.words("  Café, CAFÉ & Crème-brûlée!  ", 10))
        .containsExactly("cafe", "creme", "brulee");
    assertThat(SiteSearch.words("a b c d", 2)).containsExactly("a", "b");
    // Short words drop out beside a longer one, and stay alone.
    assertThat(SiteSearch.words("speed of a page", 10)).containsExactly("speed", "page");
    assertThat(SiteSearch.words("Go", 10)).containsExactly("go");
    assertThat(SiteSearch.words("one two three four", 2)).containsExactly("one", "two");
    assertThat(SiteSearch.words(" \t ?! ", 5)).isEmpty();
    assertThat(SiteSearch.fold("Rust's 3.5 MB")).isEqualTo(" rust s 3 5 mb");
  }

  @Test
  void everyWordMustStartAWordAndTitlesCountMost() {
    SiteSearch.Index idx = index();
    assertThat(idx.size()).as("posts and pages").isEqualTo(5);
    // Title beats tag beats description; within a weight, newer first.
    assertThat(SiteSearch.byWords(idx, List.of("rust"), 10))
        .containsExactly(RUST, TAGGED, DESCRIBED);
    // A prefix, as the reader types.
    assertThat(SiteSearch.byWords(idx, List.of("ru"), 10)).containsExactly(RUST, TAGGED, DESCRIBED);
    // Inside a word is not the start of one: "ust" finds nothing.
    assertThat(SiteSearch.byWords(idx, List.of("ust"), 10)).isEmpty();
    // Accents folded both ways.
    assertThat(SiteSearch.byWords(idx, List.of("cafe"), 10)).containsExactly(CAFE);
    // All words must match, each in any field.
    assertThat(SiteSearch.byWords(idx, List.of("rust", "blog"), 10)).containsExactly(RUST);
    assertThat(SiteSearch.byWords(idx, List.of("rust", "coffee"), 10)).isEmpty();
    // Pages are found too.
    assertThat(SiteSearch.byWords(idx, List.of("who"), 10)).containsExactly(ABOUT);
    assertThat(SiteSearch.byWords(idx, List.of("rust"), 2)).containsExactly(RUST, TAGGED);
  }

  /** {@code v} with {@code html} as its text. */
  static ItemView withHtml(ItemView v, String html) {
    return new ItemView(
        v.id(),
        v.kind(),
        v.title(),
        v.slug(),
        v.url(),
        v.description(),
        v.tags(),
        v.coverImage(),
        v.author(),
        v.dateIso(),
        v.dateDisplay(),
        v.updatedIso(),
        html,
        v.readingMinutes(),
        v.sortDate(),
        v.aliases(),
        v.coverAlt());
  }

  @Test
  void theTextIsSearchedTooAndCountsLeast() {
    ItemView borrow =
        withHtml(
            TAGGED,
            "<h2 id=\"x\">Ownership</h2><p>The compiler&#39;s <em>borrow</em>"
                + " checker&nbsp;rejects it.</p><pre><code class=\"language-rust\">fn"
                + " main() { let élan = 1; }</code></pre><ul><li>first</li><li>second</li></ul>");
    ItemView why = withHtml(DESCRIBED, "<p>Rust compiles slowly; Go does not.</p>");
    SiteSnapshot snap = SiteSnapshot.of(7, List.of(RUST, CAFE, borrow, why, ABOUT), 100);
    SiteSearch.Index idx = SiteSearch.Index.of(snap);
    // Words of headings, paragraphs, code and lists; entities decoded, accents folded.
    assertThat(SiteSearch.byWords(idx, List.of("ownership"), 10)).containsExactly(borrow);
    assertThat(SiteSearch.byWords(idx, List.of("compiler"), 10)).containsExactly(borrow);
    assertThat(SiteSearch.byWords(idx, List.of("checker", "rejects"), 10)).containsExactly(borrow);
    assertThat(SiteSearch.byWords(idx, List.of("elan"), 10)).containsExactly(borrow);
    assertThat(SiteSearch.byWords(idx, List.of("main"), 10)).containsExactly(borrow);
    assertThat(SiteSearch.byWords(idx, List.of("second"), 10)).containsExactly(borrow);
    // Markup is not text: no tag or attribute name is a word of it.
    assertThat(SiteSearch.byWords(idx, List.of("language"), 10)).isEmpty();
    assertThat(SiteSearch.byWords(idx, List.of("nbsp"), 10)).isEmpty();
    assertThat(SiteSearch.byWords(idx, List.of("pre"), 10)).isEmpty();
    // A prefix of a word of the text; within a weight, the newer item first.
    assertThat(SiteSearch.byWords(idx, List.of("compil"), 10)).containsExactly(why, borrow);
    // Title, then tag, then description, then text: "rust" is in all four.
    assertThat(SiteSearch.byWords(idx, List.of("rust"), 10)).containsExactly(RUST, borrow, why);
    assertThat(SiteSearch.byWords(idx, List.of("slowly"), 10)).containsExactly(why);
    assertThat(SiteSearch.textWords("<p>b a b</p><p>a</p>")).isEqualTo(" a b");
    assertThat(SiteSearch.textWords("")).isEqualTo(" ");
  }

  /**
   * Chinese, Japanese and Korean are written without spaces between words: a word inside a run of
   * their letters is found (as pairs of letters), a single letter too, and a query of them keeps
   * its short words. Before, the whole run was one word: "ホーム" did not find "駅のホームには".
   */
  @Test
  void wordsInsideTextWrittenWithoutSpacesAreFound() {
    assertThat(SiteSearch.fold("東京都")).isEqualTo(" 東京 京都 都 ");
    assertThat(SiteSearch.foldQuery("東京都")).isEqualTo(" 東京 京都 ");
    assertThat(SiteSearch.fold("Tokyo東京, ok")).isEqualTo(" tokyo 東京 京 ok");
    assertThat(SiteSearch.fold("ガス")).as("voicing kept").isEqualTo(" ガス ス ");
    assertThat(SiteSearch.fold("한국어")).as("syllables kept whole").isEqualTo(" 한국 국어 어 ");
    assertThat(SiteSearch.words("東京 ホーム", 10)).containsExactly("東京", "ホー", "ーム");
    assertThat(SiteSearch.words("京", 10)).containsExactly("京");
    ItemView tokyo =
        withHtml(item("6", "post", "東京の朝", "散歩の記録", "2026-05-01"), "<p>東京の朝は早い。駅のホームには人が並ぶ。</p>");
    ItemView osaka =
        withHtml(
            item("7", "post", "大阪の夜", "食べ歩き", "2026-05-02"), "<p>한국어 문장도 있습니다. カスタードを食べた。</p>");
    SiteSearch.Index idx = SiteSearch.Index.of(SiteSnapshot.of(7, List.of(tokyo, osaka), 100));
    assertThat(SiteSearch.byWords(idx, SiteSearch.words("ホーム", 10), 10)).containsExactly(tokyo);
    assertThat(SiteSearch.byWords(idx, SiteSearch.words("駅 ホーム", 10), 10)).containsExactly(tokyo);
    assertThat(SiteSearch.byWords(idx, SiteSearch.words("朝", 10), 10)).containsExactly(tokyo);
    assertThat(SiteSearch.byWords(idx, SiteSearch.words("の", 10), 10))
        .containsExactlyInAnyOrder(tokyo, osaka);
    assertThat(SiteSearch.byWords(idx, SiteSearch.words("문장", 10), 10)).containsExactly(osaka);
    assertThat(SiteSearch.byWords(idx, SiteSearch.words("ガスター", 10), 10))
        .as("カスタード is not ガス")
        .isEmpty();
    assertThat(SiteSearch.byWords(idx, SiteSearch.words("カスタード", 10), 10)).containsExactly(osaka);
    assertThat(SiteSearch.byWords(idx, SiteSearch.words("東京 大阪", 10), 10)).isEmpty();
  }

  @Test
  void aNewIndexReadsOnlyTheItemsThatChanged() {
    SiteSnapshot first = SiteSnapshot.of(7, List.of(RUST, CAFE, TAGGED), 100);
    SiteSearch.Index before = SiteSearch.Index.of(first);
    ItemView edited = withHtml(CAFE, "<p>Espresso, then code.</p>");
    SiteSnapshot second = SiteSnapshot.of(8, List.of(RUST, edited, TAGGED), 100);
    SiteSearch.Index after = SiteSearch.Index.of(second, before);
    assertThat(SiteSearch.byWords(after, List.of("espresso"), 10)).containsExactly(edited);
    assertThat(SiteSearch.byWords(before, List.of("espresso"), 10)).isEmpty();
    // The unchanged items' entries are the very same objects; the edited one's is new.
    assertThat(after.entry(RUST.id())).isSameAs(before.entry(RUST.id()));
    assertThat(after.entry(TAGGED.id())).isSameAs(before.entry(TAGGED.id()));
    assertThat(after.entry(CAFE.id())).isNotSameAs(before.entry(CAFE.id()));
    // An item gone from the site is gone from the index.
    SiteSearch.Index third = SiteSearch.Index.of(SiteSnapshot.of(9, List.of(RUST), 100), after);
    assertThat(third.size()).isEqualTo(1);
    assertThat(SiteSearch.byWords(third, List.of("espresso"), 10)).isEmpty();
  }

  @Test
  void bothKindsOfSearchAreFusedByRank() {
    // CAFE is second by words and first by meaning; RUST first by words only; ABOUT by meaning
    // only.
    List<SiteSearch.Result> r = SiteSearch.fuse(List.of(RUST, CAFE), List.of(CAFE, ABOUT), 60, 10);
    assertThat(r).extracting(SiteSearch.Result::item).containsExactly(CAFE, RUST, ABOUT);
    assertThat(r.get(0).words()).isTrue();
    assertThat(r.get(0).meaning()).isTrue();
    assertThat(r.get(0).score()).isEqualTo(1.0 / 62 + 1.0 / 61);
    assertThat(r.get(1).words()).isTrue();
    assertThat(r.get(1).meaning()).isFalse();
    assertThat(r.get(2).words()).isFalse();
    assertThat(r.get(2).meaning()).isTrue();
    // The same rank in one list each: the one words found first.
    assertThat(SiteSearch.fuse(List.of(TAGGED), List.of(DESCRIBED), 60, 10))
        .extracting(SiteSearch.Result::item)
        .containsExactly(TAGGED, DESCRIBED);
    assertThat(SiteSearch.fuse(List.of(RUST, CAFE), List.of(ABOUT), 60, 2)).hasSize(2);
    assertThat(SiteSearch.fuse(List.of(), List.of(), 60, 10)).isEmpty();
  }
}
