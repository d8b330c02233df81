package dev.quire.gateway.site;

import dev.quire.protocol.RedirectRule;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The published site at one read-model seq, immutable apart from its page memo: pages rendered from
 * this snapshot are kept with it and die with it, so a cached page can never be staler than the
 * snapshot that serves it.
 */
public final class SiteSnapshot {

  public record NavLink(String title, String url) {}

  /**
   * A rendered page, memoised per snapshot: the complete response is built once, so serving it
   * again copies nothing ({@code HttpResponse} is immutable). {@code gzip}, when not null, is the
   * same page compressed, for clients that accept it.
   */
  public record Rendered(
      int status,
      String etag,
      org.apache.pekko.http.javadsl.model.HttpResponse response,
      org.apache.pekko.http.javadsl.model.HttpResponse gzip,
      boolean keep) {

    public Rendered(
        int status, String etag, org.apache.pekko.http.javadsl.model.HttpResponse response) {
      this(status, etag, response, null, true);
    }

    /** The same page, served this once but not memoised (a part of it was not ready). */
    public Rendered once() {
      return new Rendered(status, etag, response, gzip, false);
    }

    /**
     * The copy for {@code req}: compressed if it accepts gzip and there is such a copy; a 304 when
     * a 200's tag matches its If-None-Match. Each copy has its own tag (the compressed one's ends
     * in {@code Compression.GZIP_ETAG_SUFFIX}); a 304 repeats the headers the 200 would carry that
     * caches key on (RFC 9110 15.4.5): the tag, {@code cache} and Vary.
     */
    public org.apache.pekko.http.javadsl.model.HttpResponse answer(
        org.apache.pekko.http.javadsl.model.HttpRequest req,
        org.apache.pekko.http.javadsl.model.HttpHeader cache) {
      boolean compressed = gzip != null && dev.quire.gateway.http.Compression.acceptsGzip(req);
      if (status == 200) {
        String tag = compressed ? etag + dev.quire.gateway.http.Compression.GZIP_ETAG_SUFFIX : etag;
        if (dev.quire.gateway.http.Compression.noneMatchHits(req, tag)) {
          var notModified = notModified(tag, cache);
          return gzip == null
              ? notModified
              : notModified.addHeader(dev.quire.gateway.http.Compression.VARY);
        }
      }
      return compressed ? gzip : response;
    }

    /** A 304 for {@code tag}, repeating {@code cache} as the 200 would carry it. */
    public static org.apache.pekko.http.javadsl.model.HttpResponse notModified(
        String tag, org.apache.pekko.http.javadsl.model.HttpHeader cache) {
      return org.apache.pekko.http.javadsl.model.HttpResponse.create()
          .withStatus(org.apache.pekko.http.javadsl.model.StatusCodes.NOT_MODIFIED)
          .addHeader(
              org.apache.pekko.http.javadsl.model.headers.ETag.create(
                  org.apache.pekko.http.javadsl.model.headers.EntityTag.create(tag, false)))
          .addHeader(cache);
    }
  }

  /**
   * One item's move between snapshots: {@code before} is its published version in the snapshot
   * being changed (null if it was not published), {@code after} its published version now (null if
   * it is no longer published).
   */
  public record Change(ItemView before, ItemView after) {

    /**
     * This change and then {@code later} to the same item, as one: the first before, the last
     * after.
     */
    public Change then(Change later) {
      return new Change(before, later.after());
    }
  }

  /** Posts, newest first; the id breaks ties, so the order is total. */
  static final Comparator<ItemView> NEWEST_FIRST =
      Comparator.comparing(ItemView::sortDate).reversed().thenComparing(ItemView::id);

  /** Pages in the navigation, by title. */
  static final Comparator<ItemView> BY_TITLE =
      Comparator.comparing(ItemView::title, String.CASE_INSENSITIVE_ORDER)
          .thenComparing(ItemView::id);

  private final long seq;
  private final List<ItemView> posts;
  private final List<ItemView> pages;
  private final Map<String, ItemView> bySlug;
  private final Map<String, ItemView> byAlias;
  private final Map<String, List<ItemView>> byTag;
  private final Map<String, String> tagNames;
  private final List<NavLink> nav;
  private final int memoLimit;
  private final ConcurrentHashMap<String, Rendered> memo;

  /** How many times the pages were forgotten ({@link #forgetPages}). */
  private final java.util.concurrent.atomic.AtomicLong forgotten;

  private final Instant postsLeftAt;
  private final Map<String, Instant> tagsLeftAt;

  /**
   * {@code memo} and {@code forgotten}: shared with a snapshot of the same published site; {@code
   * postsLeftAt} and {@code tagsLeftAt}: see {@link #postsLeftAt} and {@link #tagLeftAt}.
   */
  private SiteSnapshot(
      long seq,
      List<ItemView> posts,
      List<ItemView> pages,
      Map<String, ItemView> bySlug,
      Map<String, ItemView> byAlias,
      Map<String, List<ItemView>> byTag,
      Map<String, String> tagNames,
      int memoLimit,
      ConcurrentHashMap<String, Rendered> memo,
      java.util.concurrent.atomic.AtomicLong forgotten,
      Instant postsLeftAt,
      Map<String, Instant> tagsLeftAt) {
    this.postsLeftAt = postsLeftAt;
    this.tagsLeftAt = tagsLeftAt;
    this.memo = memo;
    this.forgotten = forgotten;
    this.seq = seq;
    this.posts = posts;
    this.pages = pages;
    this.bySlug = bySlug;
    this.byAlias = byAlias;
    this.byTag = byTag;
    this.tagNames = tagNames;
    this.nav = pages.stream().map(p -> new NavLink(p.title(), p.url())).toList();
    this.memoLimit = memoLimit;
  }

  public static SiteSnapshot empty(int memoLimit) {
    return new SiteSnapshot(
        0,
        List.of(),
        List.of(),
        Map.of(),
        Map.of(),
        Map.of(),
        Map.of(),
        memoLimit,
        new ConcurrentHashMap<>(),
        new java.util.concurrent.atomic.AtomicLong(),
        null,
        Map.of());
  }

  /**
   * This published site at {@code seq}, with {@code postsLeftAt} and {@code tagsLeftAt}: the same
   * pages, one memo.
   */
  private SiteSnapshot samePages(long seq, Instant postsLeftAt, Map<String, Instant> tagsLeftAt) {
    return new SiteSnapshot(
        seq,
        posts,
        pages,
        bySlug,
        byAlias,
        byTag,
        tagNames,
        memoLimit,
        memo,
        forgotten,
        postsLeftAt,
        tagsLeftAt);
  }

  /** The site made of {@code items} (all published), at {@code seq}. */
  public static SiteSnapshot of(long seq, Collection<ItemView> items, int memoLimit) {
    return empty(memoLimit).with(seq, items.stream().map(i -> new Change(null, i)).toList());
  }

  /**
   * This site with {@code changes} applied, at {@code seq}; this snapshot is left as it is. The
   * work grows with the number of posts (lists and maps are copied, not sorted again) plus the
   * changes: a gateway following a busy site, or catching up with a large import, no longer sorts
   * and hashes the whole site for every page of changes (9 ms at 10,000 posts in bench/snapshot.sh,
   * against 0.6 ms this way).
   */
  public SiteSnapshot with(long seq, Collection<Change> changes) {
    Set<String> changed = new HashSet<>();
    List<ItemView> addedPosts = new ArrayList<>();
    List<ItemView> addedPages = new ArrayList<>();
    Set<String> tagsTouched = new HashSet<>();
    for (Change c : changes) {
      if (c.before() == null && c.after() == null) {
        continue;
      }
      changed.add(c.before() != null ? c.before().id() : c.after().id());
      for (ItemView v : new ItemView[] {c.before(), c.after()}) {
        if (v != null && v.isPost()) {
          tagsTouched.addAll(tagKeys(v));
        }
      }
      if (c.after() != null) {
        (c.after().isPost() ? addedPosts : addedPages).add(c.after());
      }
    }
    if (changed.isEmpty()) {
      // Nothing published changed (a draft was saved, a schedule set): the same pages, so the same
      // rendered ones. A new memo made every saved draft render the whole site again.
      return samePages(seq, postsLeftAt, tagsLeftAt);
    }
    addedPosts.sort(NEWEST_FIRST);
    addedPages.sort(BY_TITLE);

    // Every old slug and alias first, then the new ones: within one batch an item may take over a
    // slug another gave up.
    Map<String, ItemView> slugs = new HashMap<>(bySlug);
    Map<String, ItemView> aliases = new HashMap<>(byAlias);
    for (Change c : changes) {
      ItemView b = c.before();
      if (b != null) {
        removeIfOwnedBy(slugs, b.slug(), b.id());
        b.aliases().forEach(a -> removeIfOwnedBy(aliases, a, b.id()));
      }
    }
    for (Change c : changes) {
      ItemView a = c.after();
      if (a != null) {
        slugs.put(a.slug(), a);
        a.aliases().forEach(alias -> aliases.put(alias, a));
      }
    }

    Map<String, List<ItemView>> addedByTag = new HashMap<>();
    for (ItemView p : addedPosts) { // newest first, so each tag's list is too
      for (String key : tagKeys(p)) {
        addedByTag.computeIfAbsent(key, k -> new ArrayList<>()).add(p);
      }
    }
    Map<String, List<ItemView>> tags = new HashMap<>(byTag);
    Map<String, String> names = new HashMap<>(tagNames);
    for (String key : tagsTouched) {
      List<ItemView> list =
          merge(
              byTag.getOrDefault(key, List.of()),
              changed,
              addedByTag.getOrDefault(key, List.of()),
              NEWEST_FIRST);
      if (list.isEmpty()) {
        tags.remove(key);
        names.remove(key);
      } else {
        tags.put(key, list);
        names.put(key, nameOf(list.get(0), key)); // as the newest post carrying it spells it
      }
    }
    return new SiteSnapshot(
        seq,
        merge(posts, changed, addedPosts, NEWEST_FIRST),
        merge(pages, changed, addedPages, BY_TITLE),
        Collections.unmodifiableMap(slugs),
        Collections.unmodifiableMap(aliases),
        Collections.unmodifiableMap(tags),
        Collections.unmodifiableMap(names),
        memoLimit,
        new ConcurrentHashMap<>(),
        new java.util.concurrent.atomic.AtomicLong(),
        postsLeftAt,
        tagsLeftAt);
  }

  /**
   * The last time a post that had been published stopped being so (unpublished or archived: its
   * row's last change), or null. The blog's lists and feed changed then, whatever the posts left in
   * them say: their {@code lastmod} and {@code <updated>} take the later of the two, so they never
   * go back in time when a newer post goes. After a restart the gateway takes the last change of
   * each post that had been published and is not now (the read model keeps no earlier time), which
   * may say a list changed later than it did: the safe side for a crawler.
   */
  public Instant postsLeftAt() {
    return postsLeftAt;
  }

  /**
   * The last time a post that had been published left the tag {@code key} (lost it in an edit, or
   * stopped being published with it), or null: the tag's page and feed changed then, whatever the
   * posts left under it say, so their {@code lastmod} and {@code <updated>} are never before it.
   * After a restart, as for {@link #postsLeftAt}, from the present tags of posts that had been
   * published and are not now (see {@code SiteState.tagsLeft}).
   */
  public Instant tagLeftAt(String key) {
    return tagsLeftAt.get(key);
  }

  /**
   * This site with {@link #postsLeftAt} at {@code posts} and {@link #tagLeftAt} as {@code tags}
   * says (the same pages: the memo is shared).
   */
  public SiteSnapshot withLeftAt(Instant posts, Map<String, Instant> tags) {
    if (java.util.Objects.equals(posts, postsLeftAt) && tags.equals(tagsLeftAt)) {
      return this;
    }
    return samePages(seq, posts, Map.copyOf(tags));
  }

  /**
   * {@code kept} without the items in {@code drop}, merged with {@code added}; both lists are in
   * {@code order}, and so is the result.
   */
  private static List<ItemView> merge(
      List<ItemView> kept, Set<String> drop, List<ItemView> added, Comparator<ItemView> order) {
    List<ItemView> out = new ArrayList<>(kept.size() + added.size());
    int next = 0;
    for (ItemView k : kept) {
      if (drop.contains(k.id())) {
        continue;
      }
      while (next < added.size() && order.compare(added.get(next), k) < 0) {
        out.add(added.get(next++));
      }
      out.add(k);
    }
    while (next < added.size()) {
      out.add(added.get(next++));
    }
    return Collections.unmodifiableList(out);
  }

  private static void removeIfOwnedBy(Map<String, ItemView> map, String key, String id) {
    ItemView owner = map.get(key);
    if (owner != null && owner.id().equals(id)) {
      map.remove(key);
    }
  }

  /** A post's tag keys, each once ("a b" and "a-b" are one tag). */
  private static Set<String> tagKeys(ItemView post) {
    Set<String> keys = new LinkedHashSet<>();
    post.tags().forEach(t -> keys.add(t.key()));
    return keys;
  }

  private static String nameOf(ItemView post, String key) {
    for (ItemView.TagRef t : post.tags()) {
      if (t.key().equals(key)) {
        return t.name();
      }
    }
    throw new IllegalStateException(post.id() + " is listed under a tag it does not carry: " + key);
  }

  public long seq() {
    return seq;
  }

  /** Each post's place in {@link #posts}, made at its first use (a post page's links). */
  private volatile Map<String, Integer> postPlaces;

  /**
   * The post published after {@code post} (the next newer), or null for the newest or an item that
   * is not a published post here. With {@link #older}, the links under a post: a change to what is
   * published renders every page again, so a page never links to a neighbour it no longer has.
   */
  public ItemView newer(ItemView post) {
    Integer i = postPlaces().get(post.id());
    return i == null || i == 0 ? null : posts.get(i - 1);
  }

  /** The post published before {@code post} (the next older), or null. */
  public ItemView older(ItemView post) {
    Integer i = postPlaces().get(post.id());
    return i == null || i + 1 >= posts.size() ? null : posts.get(i + 1);
  }

  private Map<String, Integer> postPlaces() {
    Map<String, Integer> places = postPlaces;
    if (places == null) {
      places = new HashMap<>(posts.size() * 2);
      for (int i = 0; i < posts.size(); i++) {
        places.put(posts.get(i).id(), i);
      }
      postPlaces = places; // made the same by any thread that races here
    }
    return places;
  }

  /**
   * Published posts by author key ({@link ItemView#authorKey}), newest first; made at first use.
   */
  private volatile Map<String, List<ItemView>> byAuthor;

  /** The published posts of the author with {@code key}, newest first (none for an unknown key). */
  public List<ItemView> byAuthor(String key) {
    return authors().getOrDefault(key, List.of());
  }

  private Map<String, List<ItemView>> authors() {
    Map<String, List<ItemView>> authors = byAuthor;
    if (authors == null) {
      Map<String, List<ItemView>> made = new HashMap<>();
      for (ItemView p : posts) { // newest first, so each author's list is too
        if (!p.authorKey().isEmpty()) {
          made.computeIfAbsent(p.authorKey(), k -> new ArrayList<>()).add(p);
        }
      }
      made.replaceAll((k, v) -> List.copyOf(v));
      authors = Map.copyOf(made);
      byAuthor = authors; // made the same by any thread that races here
    }
    return authors;
  }

  /** Every author key a published post has, for the sitemap. */
  public java.util.Set<String> authorKeys() {
    return authors().keySet();
  }

  /**
   * Whether no page holds {@code slug}, nor held it (its old slug redirects): a page answers at
   * {@code /<slug>/}, a post's slug there does not.
   */
  private boolean noPageHolds(String slug) {
    ItemView at = bySlug(slug);
    ItemView was = byAlias(slug);
    return (at == null || at.isPost()) && (was == null || was.isPost());
  }

  /**
   * An entry of an index page (of tags, of authors): its name as written, its key, its page and how
   * many published posts it has.
   */
  public record IndexEntry(String name, String key, String url, int posts) {}

  /** {@code groups}' entries by name (ignoring case), then key: an index page's order. */
  private static List<IndexEntry> sortedIndex(
      Map<String, List<ItemView>> groups,
      java.util.function.BiFunction<String, List<ItemView>, String> name,
      java.util.function.BiFunction<String, List<ItemView>, String> url) {
    List<IndexEntry> all = new ArrayList<>(groups.size());
    groups.forEach(
        (key, posts) ->
            all.add(
                new IndexEntry(name.apply(key, posts), key, url.apply(key, posts), posts.size())));
    all.sort(
        Comparator.comparing(IndexEntry::name, String.CASE_INSENSITIVE_ORDER)
            .thenComparing(IndexEntry::key));
    return List.copyOf(all);
  }

  /** Every author of a published post, by name, made at its first use. */
  private volatile List<IndexEntry> authorIndex;

  /**
   * Whether {@code /authors/} is the index of authors: posts name authors, and no page holds (or
   * held) the slug "authors", which a site may have given a page of its own (it is not reserved).
   */
  public boolean servesAuthorIndex() {
    return !authors().isEmpty() && noPageHolds("authors");
  }

  /**
   * The index of authors ({@code /authors/}): each author's name as their newest post spells it,
   * their page and how many published posts they have, by name.
   */
  public List<IndexEntry> authorIndex() {
    List<IndexEntry> index = authorIndex;
    if (index == null) {
      index =
          sortedIndex(
              authors(),
              (key, theirs) -> theirs.get(0).author().strip(),
              (key, theirs) -> theirs.get(0).authorUrl());
      authorIndex = index; // made the same by any thread that races here
    }
    return index;
  }

  /** Every tag of a published post, by name (ignoring case), made at its first use. */
  private volatile List<IndexEntry> tagIndex;

  /**
   * Whether {@code /tags/} is the index of tags: there are tags, and no page holds (or held) the
   * slug "tags" (reserved for pages now; one a site kept from before wins). A post's slug there
   * does not hide it: only a page answers at {@code /<slug>/}.
   */
  public boolean servesTagIndex() {
    return !tagIndex().isEmpty() && noPageHolds("tags");
  }

  /** The index of tags ({@code /tags/}): every tag a published post carries, by name. */
  public List<IndexEntry> tagIndex() {
    List<IndexEntry> index = tagIndex;
    if (index == null) {
      index =
          sortedIndex(
              byTag,
              (key, tagged) -> tagNames.getOrDefault(key, key),
              (key, tagged) -> RedirectRule.encoded("/tags/" + key + "/"));
      tagIndex = index; // made the same by any thread that races here
    }
    return index;
  }

  /**
   * A month of the archive: the month, its URL ({@code /archive/2026/12/}) and how many published
   * posts it holds.
   */
  public record MonthCount(java.time.YearMonth month, String url, int posts) {}

  /** The months of the archive with their posts, newest first; made at first use. */
  private volatile Map<java.time.YearMonth, List<ItemView>> byMonth;

  private Map<java.time.YearMonth, List<ItemView>> months() {
    Map<java.time.YearMonth, List<ItemView>> months = byMonth;
    if (months == null) {
      // Posts are newest first by date, so months come in order and each month's list is too.
      Map<java.time.YearMonth, List<ItemView>> made = new java.util.LinkedHashMap<>();
      for (ItemView p : posts) {
        made.computeIfAbsent(java.time.YearMonth.from(p.localDate()), k -> new ArrayList<>())
            .add(p);
      }
      made.replaceAll((k, v) -> List.copyOf(v));
      months = Collections.unmodifiableMap(made);
      byMonth = months; // made the same by any thread that races here
    }
    return months;
  }

  /**
   * The published posts dated in {@code month} (a day in the site's time zone, as each post shows
   * it), newest first; none for a month without posts.
   */
  public List<ItemView> inMonth(java.time.YearMonth month) {
    return months().getOrDefault(month, List.of());
  }

  /** The archive ({@code /archive/}): every month with a published post, newest first. */
  public List<MonthCount> archive() {
    List<MonthCount> all = new ArrayList<>();
    months().forEach((m, inIt) -> all.add(new MonthCount(m, archiveUrl(m), inIt.size())));
    return all;
  }

  /** {@code /archive/2026/12/}: a month's page. */
  public static String archiveUrl(java.time.YearMonth month) {
    return String.format(
        java.util.Locale.ROOT, "/archive/%04d/%02d/", month.getYear(), month.getMonthValue());
  }

  /**
   * Whether {@code /archive/} is the archive: there are published posts, and no page holds (or
   * held) the slug "archive", as for {@link #servesTagIndex()}.
   */
  public boolean servesArchive() {
    return !posts.isEmpty() && noPageHolds("archive");
  }

  /** Published posts, newest first. */
  public List<ItemView> posts() {
    return posts;
  }

  /** Published pages, by title. */
  public List<ItemView> pages() {
    return pages;
  }

  public ItemView bySlug(String slug) {
    return bySlug.get(slug);
  }

  /** The item an old slug now redirects to. */
  public ItemView byAlias(String slug) {
    return byAlias.get(slug);
  }

  /** The published post ({@code post}) or page at {@code slug}, or null. */
  public ItemView item(String slug, boolean post) {
    ItemView i = bySlug.get(slug);
    return i != null && i.isPost() == post ? i : null;
  }

  /** The published post ({@code post}) or page that {@code slug} named before, or null. */
  public ItemView movedFrom(String slug, boolean post) {
    ItemView i = byAlias.get(slug);
    return i != null && i.isPost() == post ? i : null;
  }

  public List<ItemView> tagged(String tagKey) {
    return byTag.getOrDefault(tagKey, List.of());
  }

  public String tagName(String tagKey) {
    return tagNames.get(tagKey);
  }

  public List<NavLink> nav() {
    return nav;
  }

  public int size() {
    return bySlug.size();
  }

  /**
   * Drops the memoised pages: each renders again at its next request. For a part of pages that
   * changes without the content changing (related posts once their service is reachable).
   */
  public void forgetPages() {
    forgotten.incrementAndGet();
    memo.clear();
  }

  /** Whether the page for {@code key} is memoised (for diagnostics and tests). */
  public boolean memoised(String key) {
    return memo.containsKey(key);
  }

  /** The page kept for {@code key}, or null: nothing is rendered. */
  public Rendered kept(String key) {
    return memo.get(key);
  }

  /**
   * The memoised page for {@code key}, rendering it once if absent (bounded by count: a full memo
   * starts again empty, so that the pages asked for now are kept whatever filled it before, a
   * crawler's walk through every post say; it used to keep what came first until the published site
   * changed, and every other page rendered at each request).
   */
  public Rendered page(String key, java.util.function.Supplier<Rendered> render) {
    Rendered r = memo.get(key);
    if (r != null) {
      return r;
    }
    long before = forgotten.get();
    r = render.get();
    // 404s are not kept: arbitrary paths must not crowd out real pages.
    if (r.keep() && r.status() != 404) {
      if (memo.size() >= memoLimit) {
        memo.clear();
      }
      // A page rendered while the pages were being forgotten may hold what was forgotten: it is
      // not kept. (Put first, then checked: a forget after the check clears it anyway.)
      if (memo.size() < memoLimit
          && memo.putIfAbsent(key, r) == null
          && forgotten.get() != before) {
        memo.remove(key, r);
      }
    }
    return r;
  }
}
