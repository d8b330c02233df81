package dev.quire.gateway.site;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
  }

  private final long seq;
  private final List<ItemView> posts;
  private final Map<String, ItemView> bySlug;
  private final Map<String, ItemView> byAlias;
  private final Map<String, List<ItemView>> byTag;
  private final Map<String, String> tagNames;
  private final List<NavLink> nav;
  private final int memoLimit;
  private final ConcurrentHashMap<String, Rendered> memo = new ConcurrentHashMap<>();

  public SiteSnapshot(long seq, Collection<ItemView> items, int memoLimit) {
    this.seq = seq;
    this.memoLimit = memoLimit;
    List<ItemView> postList = new ArrayList<>();
    List<ItemView> pages = new ArrayList<>();
    Map<String, ItemView> slugs = new HashMap<>();
    Map<String, ItemView> aliases = new HashMap<>();
    Map<String, List<ItemView>> tags = new HashMap<>();
    Map<String, String> names = new HashMap<>();
    for (ItemView i : items) {
      (i.isPost() ? postList : pages).add(i);
      slugs.put(i.slug(), i);
      i.aliases().forEach(a -> aliases.put(a, i));
    }
    postList.sort(Comparator.comparing(ItemView::sortDate).reversed().thenComparing(ItemView::id));
    for (ItemView p : postList) {
      for (ItemView.TagRef t : p.tags()) {
        tags.computeIfAbsent(t.key(), k -> new ArrayList<>()).add(p);
        names.putIfAbsent(t.key(), t.name());
      }
    }
    pages.sort(Comparator.comparing(ItemView::title, String.CASE_INSENSITIVE_ORDER));
    this.posts = List.copyOf(postList);
    this.bySlug = Map.copyOf(slugs);
    this.byAlias = Map.copyOf(aliases);
    tags.replaceAll((k, v) -> List.copyOf(v));
    this.byTag = Map.copyOf(tags);
    this.tagNames = Map.copyOf(names);
    this.nav = pages.stream().map(p -> new NavLink(p.title(), p.url())).toList();
  }

  public static SiteSnapshot empty(int memoLimit) {
    return new SiteSnapshot(0, List.of(), memoLimit);
  }

  public long seq() {
    return seq;
  }

  /** Published posts, newest first. */
  public List<ItemView> posts() {
    return posts;
  }

  public ItemView bySlug(String slug) {
    return bySlug.get(slug);
  }

  /** The item an old slug now redirects to. */
  public ItemView byAlias(String slug) {
    return byAlias.get(slug);
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
    memo.clear();
  }

  /** The memoised page for {@code key}, rendering it once if absent (bounded by count). */
  public Rendered page(String key, java.util.function.Supplier<Rendered> render) {
    Rendered r = memo.get(key);
    if (r != null) {
      return r;
    }
    r = render.get();
    // 404s are not kept: arbitrary paths must not crowd out real pages.
    if (r.keep() && r.status() != 404 && memo.size() < memoLimit) {
      memo.putIfAbsent(key, r);
    }
    return r;
  }
}
