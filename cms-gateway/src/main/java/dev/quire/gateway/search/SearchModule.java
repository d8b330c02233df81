package dev.quire.gateway.search;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.reject;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import dev.quire.gateway.http.Compression;
import dev.quire.gateway.http.HttpError;
import dev.quire.gateway.http.JsonResponses;
import dev.quire.gateway.http.Locations;
import dev.quire.gateway.module.CmsModule;
import dev.quire.gateway.module.ModuleContext;
import dev.quire.gateway.semantic.EmbeddingClient;
import dev.quire.gateway.site.ItemView;
import dev.quire.gateway.site.PageRenderer;
import dev.quire.gateway.site.SiteSnapshot;
import dev.quire.gateway.site.SiteState;
import dev.quire.protocol.EmbeddingQuery;
import io.pebbletemplates.pebble.extension.Extension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The site's search ({@link SiteSearch}: words and meaning, fused): a page at {@code /search/?q=}
 * that works without JavaScript and updates as the reader types with it (the theme's {@code
 * js/search.js} fetches the same page and swaps its results in), a search box in every page's
 * header, and {@code GET /api/v1/search?q=&k=} for the API.
 *
 * <p>Words are matched in the gateway's memory. Meaning comes from the embedding service, bounded
 * by a timeout and by a number of queries in flight; when it is not running, too slow or busy, the
 * results come from words alone and the page says so. Results are never memoised (any text is a
 * query); the page is marked {@code noindex}.
 */
public final class SearchModule implements CmsModule {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SearchModule.class);

  static final String PATH = "/search/";

  /**
   * The results alone, for the search page's script (the route of the blog this project grew from):
   * a fraction of the page's bytes per keystroke.
   */
  static final String LIVE_PATH = "/search/live/";

  private static final HttpHeader NO_CACHE = CacheControl.create(CacheDirectives.NO_CACHE);
  private static final HttpHeader NOINDEX = RawHeader.create("X-Robots-Tag", "noindex");
  private static final HttpHeader NOSNIFF = RawHeader.create("X-Content-Type-Options", "nosniff");

  /** {@code quire.gateway.search}. */
  record Settings(
      int results,
      int maxResults,
      int maxQueryChars,
      int maxWords,
      int candidates,
      double minScore,
      Duration meaningTimeout,
      int maxMeaningInFlight,
      int rrfK,
      Duration liveDelay,
      Duration indexAfterLoad) {

    static Settings fromConfig(Config config) {
      Config c = config.getConfig("quire.gateway.search");
      Settings s =
          new Settings(
              c.getInt("results"),
              c.getInt("max-results"),
              c.getInt("max-query-chars"),
              c.getInt("max-words"),
              c.getInt("candidates"),
              c.getDouble("min-score"),
              c.getDuration("meaning-timeout"),
              // Semantic search turned off for this site (quire.embedding.enabled = false): words
              // alone, and no notice that meaning is missing, since that is what was asked for.
              config.hasPath("quire.embedding.enabled")
                      && !config.getBoolean("quire.embedding.enabled")
                  ? 0
                  : c.getInt("max-meaning-in-flight"),
              c.getInt("rrf-k"),
              c.getDuration("live-delay"),
              c.getDuration("index-after-load"));
      if (s.results < 1 || s.maxResults < s.results || s.candidates < s.maxResults) {
        throw new IllegalArgumentException(
            "quire.gateway.search: need 1 <= results <= max-results <= candidates, got "
                + s.results
                + ", "
                + s.maxResults
                + ", "
                + s.candidates);
      }
      if (s.maxQueryChars < 1 || s.maxWords < 1 || s.maxMeaningInFlight < 0 || s.rrfK < 1) {
        throw new IllegalArgumentException(
            "quire.gateway.search: max-query-chars, max-words and rrf-k must be at least 1, and"
                + " max-meaning-in-flight at least 0");
      }
      if (s.meaningTimeout.isNegative()
          || s.meaningTimeout.isZero()
          || s.liveDelay.isNegative()
          || s.indexAfterLoad.isNegative()) {
        throw new IllegalArgumentException(
            "quire.gateway.search: meaning-timeout must be above 0, and live-delay and"
                + " index-after-load at least 0");
      }
      if (s.minScore < -1 || s.minScore > 1) {
        throw new IllegalArgumentException(
            "quire.gateway.search.min-score is a cosine similarity, from -1 to 1; was "
                + s.minScore);
      }
      return s;
    }
  }

  /**
   * What a search found. {@code meaning} says whether the embedding service's ranking is part of
   * it; {@code notice}, when not empty, why it is not (in English, for the API), and {@code
   * noticeWord} the theme word that says it on the search page ({@code search.notice.*}).
   */
  record Outcome(
      String query,
      List<SiteSearch.Result> results,
      boolean meaning,
      String notice,
      String noticeWord) {}

  /** What templates see as {@code search}: the box's target and limit, on every page. */
  public static final class Box {
    private volatile int maxChars = 1;

    public String getLiveUrl() {
      return LIVE_PATH;
    }

    public String getUrl() {
      return PATH;
    }

    public int getMaxChars() {
      return maxChars;
    }
  }

  private final Box box = new Box();
  private final AtomicInteger meaningInFlight = new AtomicInteger();
  private volatile IndexOf index; // written under this
  private IndexOf built; // the last index built; guarded by this
  private Executor blocking;
  private Settings settings;
  private EmbeddingClient client;
  private SiteState site;
  private PageRenderer pages;
  private ObjectMapper json;
  private Compression compression;

  @Override
  public String id() {
    return "search";
  }

  @Override
  public void start(ModuleContext ctx) {
    this.settings = Settings.fromConfig(ctx.config());
    this.client = new EmbeddingClient(ctx.system(), settings.meaningTimeout());
    this.blocking =
        ctx.system()
            .dispatchers()
            .lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking());
    this.site = ctx.site();
    if (site != null && !settings.indexAfterLoad().isZero()) {
      // The word index built ahead of the first search (which would wait for it), but not
      // beside the site's first pages, which share the same cores.
      Executor afterLoad =
          CompletableFuture.delayedExecutor(
              settings.indexAfterLoad().toMillis(), TimeUnit.MILLISECONDS, blocking);
      site.whenLoaded().thenRunAsync(() -> indexOf(site.snapshot()), afterLoad);
    }
    this.pages = ctx.pages();
    this.json = ctx.json();
    this.compression = new Compression(Compression.Settings.fromConfig(ctx.config()));
    box.maxChars = settings.maxQueryChars();
  }

  @Override
  public List<Extension> pebbleExtensions() {
    // The layout shows the search box only when this module runs ("search is defined").
    return List.of(CmsModule.globals(Map.of("search", box)));
  }

  @Override
  public Optional<Route> publicRoutes(ModuleContext ctx) {
    return Optional.of(
        get(
            () ->
                extractRequest(
                    req -> {
                      String path = req.getUri().path();
                      if (path.equals("/search") || path.equals("/search/live")) {
                        return complete(
                            HttpResponse.create()
                                .withStatus(StatusCodes.MOVED_PERMANENTLY)
                                .addHeader(
                                    Locations.withQuery(
                                        path + "/", req.getUri().rawQueryString().orElse(""))));
                      }
                      return path.equals(PATH)
                          ? completeWithFuture(page(req, "search/search.peb"))
                          : path.equals(LIVE_PATH)
                              ? completeWithFuture(page(req, "search/live.peb"))
                              : reject();
                    })));
  }

  @Override
  public java.util.Map<String, dev.quire.protocol.Role.Permission> apiAccess() {
    return java.util.Map.of("search", dev.quire.protocol.Role.Permission.WRITE_DRAFTS);
  }

  @Override
  public Optional<Route> apiRoutes(ModuleContext ctx) {
    return Optional.of(
        path(
            "search",
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
                                            searchNow(q.orElse(""), parseK(k))
                                                .thenApply(this::apiBody)))))));
  }

  private int parseK(Optional<String> k) {
    if (k.isEmpty()) {
      return settings.results();
    }
    int n;
    try {
      n = Integer.parseInt(k.get());
    } catch (NumberFormatException e) {
      throw HttpError.badRequest("k", "must be a whole number, was '" + k.get() + "'");
    }
    if (n < 1 || n > settings.maxResults()) {
      throw HttpError.badRequest("k", "must be between 1 and " + settings.maxResults());
    }
    return n;
  }

  /**
   * {@code q} with each control character (a NUL, an escape) as a space: the page shows the query
   * back in its box and title, where a NUL is an HTML parse error, and no word holds one.
   */
  static String spacedControls(String q) {
    for (int i = 0; i < q.length(); i++) {
      if (Character.isISOControl(q.charAt(i))) {
        StringBuilder b = new StringBuilder(q);
        for (int j = i; j < b.length(); j++) {
          if (Character.isISOControl(b.charAt(j))) {
            b.setCharAt(j, ' ');
          }
        }
        return b.toString();
      }
    }
    return q;
  }

  /** The search page, or with {@code search/live.peb} its results alone. */
  private CompletionStage<HttpResponse> page(HttpRequest req, String template) {
    String q;
    Optional<String> pageParam;
    try {
      // Pekko's request parser (strict URI parsing, the default) refuses a malformed query
      // before any route; should it be relaxed, that is a 400 naming q here, not a 500.
      q = req.getUri().query().get("q").orElse("");
      pageParam = req.getUri().query().get("page");
    } catch (org.apache.pekko.http.scaladsl.model.IllegalUriException e) {
      return CompletableFuture.failedFuture(
          HttpError.badRequest("q", "is not valid percent-encoded text"));
    }
    q = spacedControls(q);
    int pageNo = pageNumber(pageParam);
    // Every result there is (at most max-results), shown results at a time: the page says how
    // many were found and links to the rest. (It said "10 results" where 16 matched, and showed
    // no way to the other six.) The fused ranking does not depend on how many are asked for.
    return searchNow(q, settings.maxResults())
        .thenApply(
            outcome -> {
              List<SiteSearch.Result> all = outcome.results();
              int per = settings.results();
              int pageCount = Math.max(1, (all.size() + per - 1) / per);
              if (pageNo > pageCount) {
                // As the blog's pages past the last: a 404, not "page 7 of 2".
                throw HttpError.notFound(
                    "There is no page " + pageNo + " of results for this search.");
              }
              int from = (pageNo - 1) * per;
              Map<String, Object> paging = new LinkedHashMap<>();
              paging.put("page", pageNo);
              paging.put("totalPages", pageCount);
              paging.put("hasPrev", pageNo > 1);
              paging.put("hasNext", pageNo < pageCount);
              paging.put("prevUrl", pageUrl(outcome.query(), pageNo - 1));
              paging.put("nextUrl", pageUrl(outcome.query(), pageNo + 1));
              Map<String, Object> vars = new LinkedHashMap<>();
              vars.put("query", outcome.query());
              vars.put("results", all.subList(from, Math.min(all.size(), from + per)));
              vars.put("total", all.size());
              vars.put("first", from + 1);
              vars.put("searchPages", paging);
              vars.put("meaning", outcome.meaning());
              vars.put("notice", outcome.notice());
              vars.put("noticeWord", outcome.noticeWord());
              vars.put("liveDelayMs", settings.liveDelay().toMillis());
              byte[] body = pages.render(template, PATH, vars);
              HttpResponse head =
                  HttpResponse.create().addHeader(NO_CACHE).addHeader(NOINDEX).addHeader(NOSNIFF);
              // Rendered for this request alone: compressed only for a client that takes it.
              return Compression.acceptsGzip(req)
                  ? compression.variants(head, ContentTypes.TEXT_HTML_UTF8, body, null).choose(req)
                  : head.addHeader(Compression.VARY)
                      .withEntity(HttpEntities.create(ContentTypes.TEXT_HTML_UTF8, body));
            });
  }

  /** The {@code page} a search page asks for: 1 when not given; a 400 naming it when not one. */
  private static int pageNumber(Optional<String> page) {
    if (page.isEmpty()) {
      return 1;
    }
    try {
      int n = Integer.parseInt(page.get());
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw HttpError.badRequest(
        "page", "must be a whole number from 1, was '" + spacedControls(page.get()) + "'");
  }

  /** The search page's address for {@code query}'s page {@code n}. */
  private static String pageUrl(String query, int n) {
    String q =
        PATH + "?q=" + java.net.URLEncoder.encode(query, java.nio.charset.StandardCharsets.UTF_8);
    return n > 1 ? q + "&page=" + n : q;
  }

  /**
   * {@link #search} of the site as it is now; while it loads, a 503 with Retry-After, as the site's
   * pages answer (an empty site answered "Nothing found", 200).
   */
  private CompletionStage<Outcome> searchNow(String rawQuery, int k) {
    if (!site.ready()) {
      return CompletableFuture.failedFuture(
          HttpError.unavailable(dev.quire.gateway.site.SiteState.STARTING));
    }
    return search(rawQuery, k, site.snapshot());
  }

  /**
   * Searches the site as it is now. A query over the limit is refused naming {@code q}; an empty
   * one finds nothing; the embedding service's part is left out, and the outcome says why, when it
   * is not running, does not answer in time, or has {@code max-meaning-in-flight} queries already.
   */
  CompletionStage<Outcome> search(String rawQuery, int k, SiteSnapshot snap) {
    String q = rawQuery.strip();
    int length = q.codePointCount(0, q.length());
    if (length > settings.maxQueryChars()) {
      return CompletableFuture.failedFuture(
          HttpError.badRequest(
              "q",
              "at most "
                  + settings.maxQueryChars()
                  + " characters, was "
                  + length
                  + " characters"));
    }
    List<String> words = SiteSearch.words(q, settings.maxWords());
    if (words.isEmpty()) {
      return CompletableFuture.completedFuture(new Outcome(q, List.of(), false, "", ""));
    }
    CompletionStage<Meaning> meaning = byMeaning(q, snap);
    return indexOf(snap)
        .thenCombine(
            meaning,
            (index, m) ->
                new Outcome(
                    q,
                    SiteSearch.fuse(
                        SiteSearch.byWords(index, words, settings.candidates()),
                        m.items(),
                        settings.rrfK(),
                        k),
                    m.asked(),
                    m.notice(),
                    m.noticeWord()));
  }

  private record Meaning(List<ItemView> items, boolean asked, String notice, String noticeWord) {}

  private CompletionStage<Meaning> byMeaning(String q, SiteSnapshot snap) {
    if (settings.maxMeaningInFlight() == 0) {
      return CompletableFuture.completedFuture(new Meaning(List.of(), false, "", ""));
    }
    if (!client.reachable()) {
      return CompletableFuture.completedFuture(
          wordsOnly("the search by meaning is not running on this site", "notRunning"));
    }
    if (meaningInFlight.incrementAndGet() > settings.maxMeaningInFlight()) {
      meaningInFlight.decrementAndGet();
      return CompletableFuture.completedFuture(wordsOnly("the search by meaning is busy", "busy"));
    }
    CompletionStage<EmbeddingQuery.Hits> asked;
    try {
      asked = client.similar(q, settings.candidates());
    } catch (RuntimeException e) {
      // Never leave the slot taken: handle() below frees it on every outcome.
      asked = CompletableFuture.failedFuture(e);
    }
    return asked.handle(
        (hits, failure) -> {
          meaningInFlight.decrementAndGet();
          if (failure != null) {
            Throwable cause =
                failure instanceof java.util.concurrent.CompletionException
                        && failure.getCause() != null
                    ? failure.getCause()
                    : failure;
            if (cause instanceof HttpError e && e.status() == 400) {
              // The embedding role refused what this module sent: its limits (max-k, the
              // query's length) are below quire.gateway.search's. A setting to fix, not a
              // passing outage.
              LOG.warn(
                  "the embedding role refused a search ({}: {}); check"
                      + " quire.gateway.search.candidates and max-query-chars against its"
                      + " limits",
                  e.field(),
                  e.getMessage());
            } else {
              LOG.debug("search by meaning failed for a query: {}", cause.toString());
            }
            return wordsOnly("the search by meaning did not answer", "noAnswer");
          }
          return new Meaning(published(hits, snap), true, "", "");
        });
  }

  /** {@code word}: the end of its theme word, {@code search.notice.<word>}. */
  private static Meaning wordsOnly(String why, String word) {
    return new Meaning(
        List.of(),
        false,
        why + ", so these results come from the words alone.",
        "search.notice." + word);
  }

  /** The hits above the minimum similarity that are published in {@code snap}, best first. */
  private List<ItemView> published(EmbeddingQuery.Hits hits, SiteSnapshot snap) {
    List<ItemView> items = new ArrayList<>();
    for (EmbeddingQuery.Hit h : hits.items()) {
      ItemView v = snap.bySlug(h.slug());
      if (h.score() >= settings.minScore() && v != null && v.id().equals(h.id())) {
        items.add(v);
      }
    }
    return items;
  }

  /** A word index (once built) and the published lists it is built from. */
  private record IndexOf(
      List<ItemView> posts, List<ItemView> pages, CompletableFuture<SiteSearch.Index> index) {

    boolean of(SiteSnapshot snap) {
      return posts == snap.posts() && pages == snap.pages();
    }
  }

  /**
   * The word index of {@code snap}'s published items, built again only when they changed: a
   * snapshot keeps its lists when a change publishes nothing (a draft saved), so the lists'
   * identity says whether the index still holds. A build reads the text of each item changed since
   * the last one (all of them at the first search: ~0.55 s for 1,000 posts of ~1,000 words), on the
   * blocking dispatcher, never on the threads that answer requests; searches meanwhile wait for it,
   * and searches of the same lists share it.
   */
  private CompletionStage<SiteSearch.Index> indexOf(SiteSnapshot snap) {
    IndexOf i = index;
    if (i != null && i.of(snap)) {
      return i.index();
    }
    synchronized (this) {
      i = index;
      if (i != null && i.of(snap)) {
        return i.index();
      }
      // The last index built, if any, lends the entries of the items unchanged since.
      IndexOf last = built;
      CompletableFuture<SiteSearch.Index> build =
          CompletableFuture.supplyAsync(
              () -> SiteSearch.Index.of(snap, last == null ? null : last.index().join()), blocking);
      IndexOf next = new IndexOf(snap.posts(), snap.pages(), build);
      index = next;
      build.whenComplete(
          (done, failure) -> {
            synchronized (this) {
              if (failure == null) {
                built = next;
              } else if (index == next) {
                index = null; // the next search tries again
              }
            }
          });
      return build;
    }
  }

  private HttpResponse apiBody(Outcome o) {
    List<Map<String, Object>> items = new ArrayList<>();
    for (SiteSearch.Result r : o.results()) {
      ItemView v = r.item();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", v.id());
      m.put("kind", v.kind());
      m.put("slug", v.slug());
      m.put("title", v.title());
      m.put("url", v.url());
      m.put("description", v.description());
      m.put("date", v.dateIso());
      List<String> matched = new ArrayList<>();
      if (r.words()) {
        matched.add("words");
      }
      if (r.meaning()) {
        matched.add("meaning");
      }
      m.put("matched", matched);
      m.put("score", Math.round(r.score() * 1_000_000) / 1_000_000.0);
      items.add(m);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("query", o.query());
    body.put("items", items);
    body.put("meaning", o.meaning());
    if (!o.notice().isEmpty()) {
      body.put("notice", o.notice());
    }
    return JsonResponses.of(json, StatusCodes.OK, body);
  }
}
