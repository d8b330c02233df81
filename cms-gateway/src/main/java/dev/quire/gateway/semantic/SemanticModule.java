package dev.quire.gateway.semantic;

import static org.apache.pekko.http.javadsl.server.Directives.*;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quire.gateway.http.HttpError;
import dev.quire.gateway.http.JsonResponses;
import dev.quire.gateway.module.CmsModule;
import dev.quire.gateway.module.ModuleContext;
import dev.quire.gateway.site.ItemView;
import dev.quire.gateway.site.SiteSnapshot;
import dev.quire.gateway.site.SiteState;
import dev.quire.protocol.EmbeddingQuery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Semantic search and related content, answered by the embedding service over cluster messages:
 *
 * <ul>
 *   <li>{@code GET /api/v1/search/semantic?q=TEXT&k=N} and {@code GET
 *       /api/v1/content/<id>/related?k=N}, each {@code {"items": [{"id", "slug", "title",
 *       "score"}], "model"}} best first;
 *   <li>{@code GET /api/v1/search/passages?q=TEXT&k=N}: the best-matching chunks of published
 *       items, with their text;
 *   <li>{@code GET /api/v1/embeddings/status} and {@code POST /api/v1/embeddings/reindex};
 *   <li>"Related posts" under each post page. The page never waits for them: they come from a
 *       per-site-version cache filled in the background (bounded by a timeout from config), and a
 *       page rendered before they arrive is served but not memoised.
 * </ul>
 */
public final class SemanticModule implements CmsModule {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(SemanticModule.class);

  private EmbeddingClient client;
  private ObjectMapper json;
  private SiteState site;
  private int defaultK;
  private int relatedPosts;
  private Duration relatedTimeout;
  private int cacheEntries;

  /** Related items per content id, for the site version (seq) they were fetched at. */
  private record Related(long seq, List<ItemView> items) {}

  private final ConcurrentHashMap<String, Related> related = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Long> fetching = new ConcurrentHashMap<>();

  @Override
  public String id() {
    return "semantic";
  }

  @Override
  public void start(ModuleContext ctx) {
    var c = ctx.config().getConfig("quire.gateway.semantic");
    this.client = new EmbeddingClient(ctx.system(), c.getDuration("timeout"));
    this.json = ctx.json();
    this.site = ctx.site();
    this.defaultK = c.getInt("default-k");
    this.relatedPosts = c.getInt("related-posts");
    this.relatedTimeout = c.getDuration("related-timeout");
    this.cacheEntries = c.getInt("related-cache-entries");
    // A post page rendered while the service was unreachable is complete without related posts
    // and memoised; when the service comes (back), such pages must render again to gain them.
    // Without this, the posts visited in the seconds before the model loaded after a start kept
    // no related posts until the next content change.
    client.whenReachable(() -> site.snapshot().forgetPages());
  }

  @Override
  public java.util.Map<String, dev.quire.protocol.Role.Permission> apiAccess() {
    // Searches and an item's related items read only; the index's status and reindex are admins'.
    return java.util.Map.of("search", dev.quire.protocol.Role.Permission.WRITE_DRAFTS);
  }

  @Override
  public Optional<Route> apiRoutes(ModuleContext ctx) {
    Route search =
        path(
            segment("search").slash("semantic"),
            () ->
                get(
                    () ->
                        parameterOptional(
                            "q",
                            q ->
                                parameterOptional(
                                    "k",
                                    k ->
                                        completeWithFuture(
                                            hits(client.similar(q.orElse(""), parseK(k))))))));
    Route passages =
        path(
            segment("search").slash("passages"),
            () ->
                get(
                    () ->
                        parameterOptional(
                            "q",
                            q ->
                                parameterOptional(
                                    "k",
                                    k ->
                                        completeWithFuture(
                                            client
                                                .passages(q.orElse(""), parseK(k))
                                                .thenApply(
                                                    h ->
                                                        respond(
                                                            StatusCodes.OK, passageBody(h))))))));
    Route relatedRoute =
        path(
            segment("content").slash(segment()).slash("related"),
            id ->
                get(
                    () ->
                        parameterOptional(
                            "k",
                            k ->
                                completeWithFuture(
                                    client
                                        .related(id, parseK(k), relatedTimeout.multipliedBy(10))
                                        .thenApply(
                                            h -> {
                                              if (!h.found()) {
                                                throw HttpError.notFound(
                                                    "content "
                                                        + id
                                                        + " is not in the semantic index (not"
                                                        + " published, or not embedded yet)");
                                              }
                                              return respond(StatusCodes.OK, body(h));
                                            })))));
    Route status =
        path(
            segment("embeddings").slash("status"),
            () ->
                get(
                    () ->
                        completeWithFuture(
                            client.status().thenApply(s -> respond(StatusCodes.OK, s)))));
    Route reindex =
        path(
            segment("embeddings").slash("reindex"),
            () ->
                post(
                    () ->
                        completeWithFuture(
                            client.reindex().thenApply(s -> respond(StatusCodes.ACCEPTED, s)))));
    return Optional.of(concat(search, passages, relatedRoute, status, reindex));
  }

  private int parseK(Optional<String> k) {
    if (k.isEmpty()) {
      return defaultK;
    }
    try {
      return Integer.parseInt(k.get());
    } catch (NumberFormatException e) {
      throw HttpError.badRequest("k", "must be a whole number");
    }
  }

  private CompletionStage<HttpResponse> hits(CompletionStage<EmbeddingQuery.Hits> hits) {
    return hits.thenApply(h -> respond(StatusCodes.OK, body(h)));
  }

  private static Map<String, Object> passageBody(EmbeddingQuery.PassageHits h) {
    List<Map<String, Object>> items = new ArrayList<>();
    for (EmbeddingQuery.Passage p : h.items()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", p.id());
      m.put("slug", p.slug());
      m.put("title", p.title());
      m.put("chunk", p.chunk());
      m.put("text", p.text());
      m.put("score", Math.round(p.score() * 10_000) / 10_000.0);
      items.add(m);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("items", items);
    body.put("model", h.model());
    return body;
  }

  private static Map<String, Object> body(EmbeddingQuery.Hits h) {
    List<Map<String, Object>> items = new ArrayList<>();
    for (EmbeddingQuery.Hit hit : h.items()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", hit.id());
      m.put("slug", hit.slug());
      m.put("title", hit.title());
      m.put("score", Math.round(hit.score() * 10_000) / 10_000.0);
      items.add(m);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("items", items);
    body.put("model", h.model());
    return body;
  }

  private HttpResponse respond(StatusCode status, Object body) {
    return JsonResponses.of(json, status, body);
  }

  // ---- related posts on the post page ----

  @Override
  public List<Fragment> fragments(String slot, Object item, long siteSeq) {
    if (!slot.equals("post.after") || !(item instanceof ItemView post)) {
      return List.of();
    }
    if (!client.reachable()) {
      // Nothing to wait for: the page is complete without them.
      return List.of(new Fragment("semantic/related.peb", Map.of("related", List.of()), true));
    }
    Related known = related.get(post.id());
    if (known != null && known.seq() == siteSeq) {
      return List.of(new Fragment("semantic/related.peb", Map.of("related", known.items()), true));
    }
    fetch(post.id(), siteSeq);
    // The list from before the site changed, while the new one is fetched: without the items the
    // site no longer shows (a link to one answered 404 until the fetch came back), each as shown
    // now.
    List<ItemView> stale = known == null ? List.of() : stillShown(known.items(), site.snapshot());
    return List.of(new Fragment("semantic/related.peb", Map.of("related", stale), false));
  }

  /**
   * Of {@code items}, those {@code snap} still shows, as it shows them: at their slug, or at the
   * one an item renamed since took.
   */
  static List<ItemView> stillShown(List<ItemView> items, SiteSnapshot snap) {
    List<ItemView> shown = new ArrayList<>(items.size());
    for (ItemView v : items) {
      ItemView now = snap.bySlug(v.slug());
      if (now == null || !now.id().equals(v.id())) {
        now = snap.byAlias(v.slug());
      }
      if (now != null && now.id().equals(v.id())) {
        shown.add(now);
      }
    }
    return shown;
  }

  private void fetch(String id, long seq) {
    if (fetching.putIfAbsent(id, seq) != null) {
      return;
    }
    client
        .related(id, relatedPosts, relatedTimeout)
        .whenComplete(
            (hits, failure) -> {
              fetching.remove(id);
              if (failure != null) {
                LOG.debug("related posts for {} not available: {}", id, failure.toString());
                return;
              }
              SiteSnapshot snap = site.snapshot();
              List<ItemView> views = new ArrayList<>();
              for (EmbeddingQuery.Hit h : hits.items()) {
                ItemView v = snap.bySlug(h.slug());
                if (v != null && v.id().equals(h.id())) {
                  views.add(v);
                }
              }
              if (related.size() >= cacheEntries) {
                related.clear();
              }
              related.put(id, new Related(seq, List.copyOf(views)));
            });
  }
}
