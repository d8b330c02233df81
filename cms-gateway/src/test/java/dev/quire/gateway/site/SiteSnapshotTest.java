package dev.quire.gateway.site;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.protocol.ContentRules;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A snapshot changed step by step must be the site a full rebuild makes of the same items. The
 * reference below is the rebuild the gateway did before snapshots were updated in place: filter,
 * sort and index everything.
 */
class SiteSnapshotTest {

  private static final List<String> TAGS =
      List.of("Event Sourcing", "event-sourcing", "Java", "Rust", "a b", "a-b", "Pekko", "web");
  private static final int IDS = 120;
  private static final int SLUGS = 160;
  private static final int ALIASES = 40;

  @Test
  void changesAppliedStepByStepGiveTheSiteAFullRebuildGives() {
    for (long seed = 1; seed <= 20; seed++) {
      Random random = new Random(seed);
      Map<String, ItemView> published = new HashMap<>();
      Set<String> everSlug = new LinkedHashSet<>();
      Set<String> everAlias = new LinkedHashSet<>();
      Set<String> everTag = new LinkedHashSet<>();
      SiteSnapshot snapshot = SiteSnapshot.empty(10);
      for (int batch = 1; batch <= 60; batch++) {
        // As SiteState collects them over the pages of one catch-up: the first "before" and
        // the last "after" of each id.
        Map<String, SiteSnapshot.Change> pending = new LinkedHashMap<>();
        int size = 1 + random.nextInt(batch % 10 == 0 ? 80 : 8);
        for (int i = 0; i < size; i++) {
          String id = "id-" + random.nextInt(IDS);
          ItemView before = published.get(id);
          ItemView after =
              random.nextInt(5) == 0 ? null : randomVersion(random, id, before, published);
          if (after == null) {
            published.remove(id);
          } else {
            published.put(id, after);
            everSlug.add(after.slug());
            everAlias.addAll(after.aliases());
            after.tags().forEach(t -> everTag.add(t.key()));
          }
          pending.merge(id, new SiteSnapshot.Change(before, after), SiteSnapshot.Change::then);
        }
        SiteSnapshot previous = snapshot;
        List<ItemView> postsBefore = List.copyOf(previous.posts());
        // The previous snapshot's neighbours are asked first, so that its places are made
        // before the change: the new one must not use them.
        postsBefore.forEach(previous::newer);
        snapshot = previous.with(batch, pending.values());
        List<ItemView> postsNow = snapshot.posts();
        for (int i = 0; i < postsNow.size(); i++) {
          ItemView p = postsNow.get(i);
          assertThat(snapshot.newer(p)).isSameAs(i == 0 ? null : postsNow.get(i - 1));
          assertThat(snapshot.older(p))
              .isSameAs(i + 1 == postsNow.size() ? null : postsNow.get(i + 1));
        }
        for (ItemView gone : postsBefore) {
          if (!published.containsKey(gone.id()) || !published.get(gone.id()).isPost()) {
            assertThat(snapshot.newer(gone)).isNull();
            assertThat(snapshot.older(gone)).isNull();
          }
        }
        for (ItemView page : snapshot.pages()) {
          assertThat(snapshot.newer(page)).isNull();
        }

        String where = "seed " + seed + ", batch " + batch;
        assertSameSite(snapshot, published, everSlug, everAlias, everTag, where);
        assertThat(snapshot.seq()).isEqualTo(batch);
        assertThat(previous.posts())
            .as("the previous snapshot is unchanged")
            .isEqualTo(postsBefore);
      }
      // A fresh build of the same items is the same site too.
      assertSameSite(
          SiteSnapshot.of(99, published.values(), 10),
          published,
          everSlug,
          everAlias,
          everTag,
          "seed " + seed + ", built at once");
    }
  }

  @Test
  void aSlugGivenUpAndTakenInOneBatchBelongsToItsNewOwner() {
    ItemView a = view("a", "post", "old-home", List.of(), List.of(), Instant.EPOCH, "A");
    ItemView b = view("b", "post", "elsewhere", List.of(), List.of(), Instant.EPOCH, "B");
    SiteSnapshot s = SiteSnapshot.of(1, List.of(a, b), 10);
    ItemView bTakesIt = view("b", "post", "old-home", List.of(), List.of(), Instant.EPOCH, "B");
    ItemView aMoves = view("a", "post", "new-home", List.of(), List.of(), Instant.EPOCH, "A");
    // The taker comes first in the batch: the giver's removal must not undo it.
    SiteSnapshot next =
        s.with(
            2, List.of(new SiteSnapshot.Change(b, bTakesIt), new SiteSnapshot.Change(a, aMoves)));
    assertThat(next.bySlug("old-home")).isSameAs(bTakesIt);
    assertThat(next.bySlug("new-home")).isSameAs(aMoves);
    assertThat(next.bySlug("elsewhere")).isNull();
    assertThat(s.bySlug("old-home")).isSameAs(a);
  }

  @Test
  void aPostWithTwoSpellingsOfOneTagIsListedUnderItOnce() {
    ItemView p =
        view("p", "post", "p", List.of("a b", "a-b"), List.of(), Instant.EPOCH, "Spelled twice");
    SiteSnapshot s = SiteSnapshot.of(1, List.of(p), 10);
    assertThat(s.tagged("a-b")).containsExactly(p);
    assertThat(s.tagName("a-b")).isEqualTo("a b");
  }

  @Test
  void theIndexOfTagsListsEachTagByNameWithItsPostsAndFollowsChanges() {
    ItemView a = view("a", "post", "a", List.of("Zebra", "apple"), List.of(), Instant.EPOCH, "A");
    ItemView b = view("b", "post", "b", List.of("apple", "Éclair"), List.of(), Instant.EPOCH, "B");
    ItemView page = view("p", "page", "about", List.of("ignored"), List.of(), Instant.EPOCH, "P");
    SiteSnapshot s = SiteSnapshot.of(1, List.of(a, b, page), 10);
    assertThat(s.tagIndex())
        .extracting(SiteSnapshot.IndexEntry::name, SiteSnapshot.IndexEntry::posts)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("apple", 2),
            org.assertj.core.groups.Tuple.tuple("Zebra", 1),
            org.assertj.core.groups.Tuple.tuple("Éclair", 1));
    assertThat(s.tagIndex().get(0).url()).isEqualTo("/tags/apple/");
    assertThat(s.tagIndex().get(2).url()).isEqualTo("/tags/%C3%A9clair/");
    // b loses "apple": the next snapshot's index says so; this one's stays as it was.
    ItemView b2 = view("b", "post", "b", List.of("Éclair"), List.of(), Instant.EPOCH, "B");
    SiteSnapshot next = s.with(2, List.of(new SiteSnapshot.Change(b, b2)));
    assertThat(next.tagIndex())
        .extracting(SiteSnapshot.IndexEntry::name, SiteSnapshot.IndexEntry::posts)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("apple", 1),
            org.assertj.core.groups.Tuple.tuple("Zebra", 1),
            org.assertj.core.groups.Tuple.tuple("Éclair", 1));
    assertThat(s.tagIndex().get(0).posts()).isEqualTo(2);
  }

  @Test
  void postsAreGroupedByTheirAuthorsNameFoldedAsATagsIs() {
    ItemView a = view("a", "post", "a", List.of(), List.of(), Instant.EPOCH.plusSeconds(2), "A");
    ItemView b = view("b", "post", "b", List.of(), List.of(), Instant.EPOCH.plusSeconds(1), "B");
    ItemView c = view("c", "post", "c", List.of(), List.of(), Instant.EPOCH, "C");
    a = withAuthor(a, "Ann Lee");
    b = withAuthor(b, "ann  lee");
    c = withAuthor(c, "AC/DC");
    SiteSnapshot s = SiteSnapshot.of(1, List.of(a, b, c), 10);
    assertThat(s.byAuthor("ann-lee")).containsExactly(a, b);
    assertThat(a.authorUrl()).isEqualTo("/authors/ann-lee/");
    assertThat(c.authorKey()).isEqualTo("ac-dc");
    assertThat(s.byAuthor("ac-dc")).containsExactly(c);
    assertThat(s.authorKeys()).containsExactlyInAnyOrder("ann-lee", "ac-dc");
    assertThat(s.byAuthor("nobody")).isEmpty();
    assertThat(withAuthor(a, " ").authorUrl()).isEmpty();
    // The index of authors: each by name as their newest post spells it, with their posts.
    assertThat(s.authorIndex())
        .extracting(
            SiteSnapshot.IndexEntry::name,
            SiteSnapshot.IndexEntry::url,
            SiteSnapshot.IndexEntry::posts)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("AC/DC", "/authors/ac-dc/", 1),
            org.assertj.core.groups.Tuple.tuple("Ann Lee", "/authors/ann-lee/", 2));
    assertThat(s.servesAuthorIndex()).isTrue();
    // A page of the site's own at /authors/ (the slug is not reserved) keeps it; no authors, none.
    ItemView page = view("p", "page", "authors", List.of(), List.of(), Instant.EPOCH, "Our team");
    assertThat(SiteSnapshot.of(1, List.of(a, b, c, page), 10).servesAuthorIndex()).isFalse();
    ItemView nobody = view("n", "post", "n", List.of(), List.of(), Instant.EPOCH, "N");
    assertThat(SiteSnapshot.of(1, List.of(nobody), 10).servesAuthorIndex()).isFalse();
  }

  @Test
  void theArchiveGroupsPostsByTheMonthOfTheDayTheyShowNewestFirst() {
    ItemView a =
        dated(
            view("a", "post", "a", List.of(), List.of(), Instant.EPOCH, "A"),
            "2026-12-05T10:00:00Z",
            "2026-12-05");
    // Published at 00:30 UTC on 1 December, in a site's zone west of UTC still 30 November: the
    // day the post shows is what counts.
    ItemView b =
        dated(
            view("b", "post", "b", List.of(), List.of(), Instant.EPOCH, "B"),
            "2026-12-01T00:30:00Z",
            "2026-11-30");
    ItemView c =
        dated(
            view("c", "post", "c", List.of(), List.of(), Instant.EPOCH, "C"),
            "2025-03-10T00:00:00Z",
            "2025-03-10");
    ItemView d =
        dated(
            view("d", "post", "d", List.of(), List.of(), Instant.EPOCH, "D"),
            "2025-03-01T00:00:00Z",
            "2025-03-01");
    ItemView page =
        dated(
            view("p", "page", "about", List.of(), List.of(), Instant.EPOCH, "P"),
            "2026-10-01T00:00:00Z",
            "2026-10-01");
    SiteSnapshot s = SiteSnapshot.of(1, List.of(c, page, a, d, b), 10);
    assertThat(s.archive())
        .extracting(
            SiteSnapshot.MonthCount::month,
            SiteSnapshot.MonthCount::url,
            SiteSnapshot.MonthCount::posts)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                java.time.YearMonth.of(2026, 12), "/archive/2026/12/", 1),
            org.assertj.core.groups.Tuple.tuple(
                java.time.YearMonth.of(2026, 11), "/archive/2026/11/", 1),
            org.assertj.core.groups.Tuple.tuple(
                java.time.YearMonth.of(2025, 3), "/archive/2025/03/", 2));
    assertThat(s.inMonth(java.time.YearMonth.of(2025, 3))).containsExactly(c, d);
    assertThat(s.inMonth(java.time.YearMonth.of(2026, 10))).as("pages are not in it").isEmpty();
    assertThat(s.servesArchive()).isTrue();
    // b unpublished: the next snapshot's archive has no November; this one's keeps it.
    SiteSnapshot next = s.with(2, List.of(new SiteSnapshot.Change(b, null)));
    assertThat(next.archive())
        .extracting(SiteSnapshot.MonthCount::month)
        .containsExactly(java.time.YearMonth.of(2026, 12), java.time.YearMonth.of(2025, 3));
    assertThat(s.inMonth(java.time.YearMonth.of(2026, 11))).containsExactly(b);
    // No posts, or a page a site kept from before at /archive/: no archive there.
    assertThat(SiteSnapshot.of(1, List.of(page), 10).servesArchive()).isFalse();
    ItemView kept =
        view("k", "page", "archive", List.of(), List.of(), Instant.EPOCH, "Old archive");
    assertThat(SiteSnapshot.of(1, List.of(a, kept), 10).servesArchive()).isFalse();
  }

  private static ItemView dated(ItemView v, String at, String day) {
    return with(v, v.author(), day, Instant.parse(at));
  }

  private static ItemView withAuthor(ItemView v, String author) {
    return with(v, author, v.dateIso(), v.sortDate());
  }

  private static ItemView with(ItemView v, String author, String dateIso, Instant sortDate) {
    return new ItemView(
        v.id(),
        v.kind(),
        v.title(),
        v.slug(),
        v.url(),
        v.description(),
        v.tags(),
        v.coverImage(),
        author,
        dateIso,
        v.dateDisplay(),
        v.updatedIso(),
        v.html(),
        v.readingMinutes(),
        sortDate,
        v.aliases(),
        v.coverAlt());
  }

  private static void assertSameSite(
      SiteSnapshot s,
      Map<String, ItemView> published,
      Set<String> everSlug,
      Set<String> everAlias,
      Set<String> everTag,
      String where) {
    Comparator<ItemView> newestFirst =
        Comparator.comparing(ItemView::sortDate).reversed().thenComparing(ItemView::id);
    List<ItemView> posts =
        published.values().stream().filter(ItemView::isPost).sorted(newestFirst).toList();
    List<ItemView> pages =
        published.values().stream()
            .filter(v -> !v.isPost())
            .sorted(
                Comparator.comparing(ItemView::title, String.CASE_INSENSITIVE_ORDER)
                    .thenComparing(ItemView::id))
            .toList();
    assertThat(s.posts()).as(where).containsExactlyElementsOf(posts);
    assertThat(s.nav())
        .as(where)
        .containsExactlyElementsOf(
            pages.stream().map(p -> new SiteSnapshot.NavLink(p.title(), p.url())).toList());
    assertThat(s.size()).as(where).isEqualTo(published.size());
    for (String slug : everSlug) {
      ItemView owner =
          published.values().stream().filter(v -> v.slug().equals(slug)).findFirst().orElse(null);
      assertThat(s.bySlug(slug)).as(where + ", slug " + slug).isEqualTo(owner);
    }
    for (String alias : everAlias) {
      ItemView owner =
          published.values().stream()
              .filter(v -> v.aliases().contains(alias))
              .findFirst()
              .orElse(null);
      assertThat(s.byAlias(alias)).as(where + ", alias " + alias).isEqualTo(owner);
    }
    for (String key : everTag) {
      List<ItemView> tagged =
          posts.stream().filter(p -> p.tags().stream().anyMatch(t -> t.key().equals(key))).toList();
      assertThat(s.tagged(key)).as(where + ", tag " + key).containsExactlyElementsOf(tagged);
      String name =
          tagged.isEmpty()
              ? null
              : tagged.get(0).tags().stream()
                  .filter(t -> t.key().equals(key))
                  .findFirst()
                  .orElseThrow()
                  .name();
      assertThat(s.tagName(key)).as(where + ", name of tag " + key).isEqualTo(name);
    }
  }

  /**
   * A new published version of {@code id}: a slug and aliases no other published item holds (as the
   * slug claims guarantee), a few tags, one of a few dates (so that ties happen).
   */
  private static ItemView randomVersion(
      Random random, String id, ItemView before, Map<String, ItemView> published) {
    Set<String> takenSlugs = new java.util.HashSet<>();
    Set<String> takenAliases = new java.util.HashSet<>();
    published.forEach(
        (other, v) -> {
          if (!other.equals(id)) {
            takenSlugs.add(v.slug());
            takenAliases.addAll(v.aliases());
          }
        });
    String slug = before != null && random.nextBoolean() ? before.slug() : null;
    while (slug == null || takenSlugs.contains(slug)) {
      slug = "s" + random.nextInt(SLUGS);
    }
    List<String> aliases = new ArrayList<>();
    for (int i = random.nextInt(3); i > 0; i--) {
      String a = "a" + random.nextInt(ALIASES);
      if (!takenAliases.contains(a) && !aliases.contains(a)) {
        aliases.add(a);
      }
    }
    List<String> tags = new ArrayList<>();
    for (int i = random.nextInt(4); i > 0; i--) {
      String t = TAGS.get(random.nextInt(TAGS.size()));
      if (tags.stream().noneMatch(x -> x.equalsIgnoreCase(t))) {
        tags.add(t);
      }
    }
    String kind = before != null ? before.kind() : random.nextInt(6) == 0 ? "page" : "post";
    Instant date = Instant.ofEpochSecond(86_400L * random.nextInt(15));
    return view(id, kind, slug, tags, aliases, date, "Title " + (char) ('a' + random.nextInt(6)));
  }

  private static ItemView view(
      String id,
      String kind,
      String slug,
      List<String> tags,
      List<String> aliases,
      Instant date,
      String title) {
    List<ItemView.TagRef> refs =
        tags.stream()
            .map(
                t ->
                    new ItemView.TagRef(
                        t, ContentRules.tagKey(t), "/tags/" + ContentRules.tagKey(t) + "/"))
            .toList();
    String url = kind.equals("post") ? "/posts/" + slug + "/" : "/" + slug + "/";
    return new ItemView(
        id,
        kind,
        title,
        slug,
        url,
        "",
        refs,
        "",
        "",
        "",
        "",
        "",
        "<p>" + id + "</p>",
        1,
        date,
        List.copyOf(aliases),
        "");
  }

  @Test
  void aPageRenderedWhileThePagesAreForgottenIsServedButNotKept() {
    SiteSnapshot snap = SiteSnapshot.empty(100);
    var response = org.apache.pekko.http.javadsl.model.HttpResponse.create();
    // The pages are forgotten (related posts became reachable) while this one renders.
    SiteSnapshot.Rendered during =
        snap.page(
            "/a/",
            () -> {
              snap.forgetPages();
              return new SiteSnapshot.Rendered(200, "e1", response);
            });
    assertThat(during.etag()).isEqualTo("e1");
    assertThat(snap.memoised("/a/")).isFalse();
    // Rendered after that, it is kept as usual.
    snap.page("/a/", () -> new SiteSnapshot.Rendered(200, "e2", response));
    assertThat(snap.memoised("/a/")).isTrue();
    assertThat(snap.page("/a/", () -> new SiteSnapshot.Rendered(200, "e3", response)).etag())
        .isEqualTo("e2");
  }

  @Test
  void aChangeToNothingPublishedKeepsTheRenderedPagesAndAPublishedChangeDropsThem() {
    ItemView a = view("1", "post", "a", List.of("x"), List.of(), Instant.EPOCH, "A");
    SiteSnapshot first = SiteSnapshot.of(1, List.of(a), 100);
    var response = org.apache.pekko.http.javadsl.model.HttpResponse.create();
    first.page("/", () -> new SiteSnapshot.Rendered(200, "home-1", response));
    // A draft saved: the read model moved on, nothing published did.
    SiteSnapshot draftSaved = first.with(2, List.of(new SiteSnapshot.Change(null, null)));
    assertThat(draftSaved.seq()).isEqualTo(2);
    assertThat(draftSaved.memoised("/")).as("the same site, the same pages").isTrue();
    assertThat(
            draftSaved.page("/", () -> new SiteSnapshot.Rendered(200, "home-2", response)).etag())
        .isEqualTo("home-1");
    // Forgetting the pages of one forgets those of the other: they are one set.
    draftSaved.forgetPages();
    assertThat(first.memoised("/")).isFalse();
    draftSaved.page("/", () -> new SiteSnapshot.Rendered(200, "home-3", response));
    // A published change: the pages render again.
    ItemView b =
        view("2", "post", "b", List.of("x"), List.of(), Instant.EPOCH.plusSeconds(60), "B");
    SiteSnapshot published = draftSaved.with(3, List.of(new SiteSnapshot.Change(null, b)));
    assertThat(published.memoised("/")).isFalse();
    assertThat(draftSaved.memoised("/")).as("the snapshot before keeps its own").isTrue();
  }

  @Test
  void aFullMemoStartsAgainSoThatThePagesAskedForNowAreKept() {
    SiteSnapshot snap = SiteSnapshot.empty(2);
    var response = org.apache.pekko.http.javadsl.model.HttpResponse.create();
    snap.page("/a/", () -> new SiteSnapshot.Rendered(200, "a", response));
    snap.page("/b/", () -> new SiteSnapshot.Rendered(200, "b", response));
    assertThat(snap.memoised("/a/")).isTrue();
    assertThat(snap.memoised("/b/")).isTrue();
    snap.page("/c/", () -> new SiteSnapshot.Rendered(200, "c", response));
    assertThat(snap.memoised("/c/")).as("kept, though the memo was full").isTrue();
    assertThat(snap.memoised("/a/")).isFalse();
  }
}
