package dev.quire.gateway.site;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;

import dev.quire.gateway.http.Compression;
import dev.quire.gateway.module.CmsModule;
import dev.quire.gateway.module.ModuleContext;
import dev.quire.gateway.render.Assets;
import dev.quire.protocol.ContentRules;
import dev.quire.protocol.RedirectRule;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The public site: home, paginated blog index, posts, pages, tags, legacy {@code /blog/<slug>/}
 * redirects, redirects from old slugs, theme assets and the themed 404. Pages render from the
 * in-memory {@link SiteSnapshot} and are memoised with it, so a request after the first is a map
 * lookup; a publish swaps the snapshot and with it every memoised page.
 */
public final class SiteModule implements CmsModule {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SiteModule.class);

  /** The templates the site's pages are made of, compiled before the first request. */
  static final List<String> TEMPLATES =
      List.of(
          "site/layout.peb",
          "site/home.peb",
          "site/post.peb",
          "site/blog.peb",
          "site/tag.peb",
          "site/page.peb",
          "site/404.peb",
          "site/500.peb",
          "site/post-card.peb",
          "site/pagination.peb");

  private static final HttpHeader PAGE_CACHE = CacheControl.create(CacheDirectives.NO_CACHE);
  private static final HttpHeader LONG_CACHE =
      RawHeader.create("Cache-Control", "public, max-age=31536000, immutable");
  private static final HttpHeader SHORT_CACHE =
      RawHeader.create("Cache-Control", "public, max-age=300");
  private static final HttpHeader NOSNIFF = RawHeader.create("X-Content-Type-Options", "nosniff");

  /** Hex digits of the page's SHA-256 in its ETag: 128 bits, far past any chance of a collision. */
  private static final int ETAG_HEX_CHARS = 32;

  private SiteState state;
  private LiveSettings site;
  private PageRenderer pages;
  private Assets assets;
  private boolean devMode;
  private List<org.apache.pekko.http.javadsl.model.HttpHeader> security = List.of();
  private List<CmsModule> modules;
  private Compression compression;
  private java.time.ZoneId zone;
  private HttpHeader movedCache;
  private final Map<String, Compression.Variants> assetResponses = new ConcurrentHashMap<>();

  @Override
  public String id() {
    return "site";
  }

  @Override
  public void start(ModuleContext ctx) {
    this.state = ctx.site();
    this.site = ctx.settings();
    this.pages = ctx.pages();
    this.assets = ctx.templates().assets();
    this.devMode = ctx.config().getBoolean("quire.gateway.dev-mode");
    // With the page, not added per request: a kept page is answered before the routes.
    this.security = dev.quire.gateway.http.SecurityHeaders.of(ctx.config());
    this.modules = ctx.modules();
    this.zone = ctx.zone();
    this.compression = new Compression(Compression.Settings.fromConfig(ctx.config()));
    this.movedCache = movedCache(ctx.config());
    if (!devMode) {
      warmUp(ctx);
    }
  }

  /**
   * The first visitor should not pay for compiling templates and rendering the home page cold (~390
   * ms on a 1,000-post site): the templates compile while the site loads, and the home page of the
   * loaded site is rendered into its memo, both off the request path. A visitor who comes while
   * that render runs renders the page too, as before.
   */
  private void warmUp(ModuleContext ctx) {
    java.util.concurrent.Executor blocking =
        ctx.system()
            .dispatchers()
            .lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking());
    java.util.concurrent.CompletableFuture.runAsync(
            () ->
                ctx.templates()
                    .precompile(TEMPLATES)
                    .forEach(f -> LOG.warn("a site template does not compile: {}", f)),
            blocking)
        .thenCompose(v -> state.whenLoaded())
        .thenRunAsync(
            () -> {
              SiteSnapshot snap = state.snapshot();
              snap.page("/", () -> resolve(snap, "/"));
            },
            blocking)
        .whenComplete(
            (v, e) -> {
              if (e != null) {
                LOG.warn("rendering the home page before the first request failed", e);
              }
            });
  }

  /**
   * The post or page template with the item, in the layout of the site as it is now (its menus and
   * pages), and {@code preview} set so that the layout says it is a preview and asks robots not to
   * index it. No fragments: related posts and the like are of saved items.
   */
  @Override
  public byte[] previewPage(dev.quire.protocol.ReadItem item) {
    ItemView view = ItemView.of(item, zone);
    Map<String, Object> vars = new java.util.HashMap<>();
    vars.put("preview", true);
    if (view.isPost()) {
      vars.put("post", view);
      vars.put("fragments", List.of());
      return pages.render(state.snapshot(), "site/post.peb", view.url(), vars);
    }
    vars.put("page", view);
    return pages.render(state.snapshot(), "site/page.peb", view.url(), vars);
  }

  @Override
  public Optional<Route> publicRoutes(ModuleContext ctx) {
    return Optional.of(get(() -> extractRequest(req -> complete(handle(req)))));
  }

  /**
   * A page already rendered and kept (every page after its first visitor), answered as {@link
   * #handle} answers it: with its tag, a 304 to a matching {@code If-None-Match}, gzip to a client
   * that takes it. Not a redirect (it may carry the query), nothing in dev mode, nothing to render.
   */
  @Override
  public HttpResponse ready(HttpRequest req) {
    String path = req.getUri().path();
    // The site's pages end with a slash; the snapshot also keeps the feeds' answers (/feed.xml),
    // which are the feeds module's to answer, with its headers.
    if (devMode || !path.endsWith("/") || !state.ready()) {
      return null;
    }
    SiteSnapshot.Rendered page = state.snapshot().kept(path);
    return page == null || page.status() != 200 ? null : page.answer(req, PAGE_CACHE);
  }

  /**
   * The redirects {@link #resolve} makes, decided from the snapshot's maps alone: it renders no
   * page, so a batch of thousands of redirect rules (a WordPress import's) is checked in moments,
   * on the route's thread. Kept in step with {@link #resolve}'s redirects: an old slug to its item,
   * {@code /blog/<slug>/} to the post, a tag's or an author's other spelling to its key, a slug's
   * spelling with capitals to the item, a page shown at the home to {@code /}, and the trailing
   * slash.
   */
  @Override
  public Optional<String> movedTo(String path) {
    if (!state.ready() || !path.startsWith("/")) {
      return Optional.empty();
    }
    SiteSnapshot snap = state.snapshot();
    if (!path.endsWith("/")) {
      return Optional.of(movedTo(path + "/").orElse(path + "/"));
    }
    String[] parts = path.substring(1).split("/", -1);
    int n = parts.length - 1;
    if (n == 1 && parts[0].equals("posts")) {
      return Optional.of("/blog/");
    }
    if (n == 3 && parts[0].equals("blog") && parts[1].equals("page") && parsePage(parts[2]) == 1) {
      return Optional.of("/blog/");
    }
    if (n == 2 && parts[0].equals("blog")) {
      ItemView item = findPost(snap, parts[1]);
      return item == null ? Optional.empty() : Optional.of(item.url());
    }
    if (n == 2 && parts[0].equals("posts")) {
      ItemView item = snap.bySlug(parts[1]);
      if (item != null && item.isPost()) {
        return Optional.empty();
      }
      ItemView moved = item != null ? item : snap.byAlias(parts[1]);
      return moved == null
          ? Optional.ofNullable(spelledTo(snap, parts[1]))
          : Optional.of(moved.url());
    }
    if ((n == 2 || n == 4 && parts[2].equals("page"))
        && (parts[0].equals("tags") || parts[0].equals("authors"))) {
      String key = decodeSegment(parts[1]);
      java.util.function.Function<String, List<ItemView>> listed =
          parts[0].equals("tags") ? snap::tagged : snap::byAuthor;
      List<ItemView> posts = key == null ? List.of() : listed.apply(key);
      SiteSnapshot.Rendered folded =
          folded("/" + parts[0] + "/", key, posts, n == 2 ? 1 : parsePage(parts[3]), listed);
      return folded == null
          ? Optional.empty()
          : folded.response().getHeader(Location.class).map(l -> l.getUri().toString());
    }
    if (n == 1 && !List.of("tags", "authors", "archive").contains(parts[0])) {
      ItemView item = snap.bySlug(parts[0]);
      ItemView home = homePage(snap, site.get());
      if (item != null && !item.isPost()) {
        return item == home ? Optional.of("/") : Optional.empty();
      }
      ItemView moved = item != null ? item : snap.byAlias(parts[0]);
      if (moved != null && moved == home) {
        return Optional.of("/");
      }
      return moved == null
          ? Optional.ofNullable(spelledTo(snap, parts[0]))
          : Optional.of(moved.url());
    }
    return Optional.empty();
  }

  HttpResponse handle(HttpRequest req) {
    String path = req.getUri().path();
    if (path.startsWith(Assets.PREFIX)) {
      return asset(req, path.substring(Assets.PREFIX.length()));
    }
    if (path.equals(FAVICON)) {
      return icon(req, "favicon.ico", true);
    }
    if (TOUCH_ICONS.contains(path)) {
      return icon(req, "apple-touch-icon.png", site.get().iconTouch());
    }
    if (!state.ready()) {
      // Never a blank site while the content is still loading.
      return HttpResponse.create()
          .withStatus(StatusCodes.SERVICE_UNAVAILABLE)
          .addHeader(RawHeader.create("Retry-After", "1"))
          .withEntity(
              HttpEntities.create(
                  ContentTypes.TEXT_HTML_UTF8, pages.errorPage(503, SiteState.STARTING, path)));
    }
    SiteSnapshot snap = state.snapshot();
    SiteSnapshot.Rendered page =
        devMode ? resolve(snap, path) : snap.page(path, () -> resolve(snap, path));
    if (page.status() == 301) {
      String query = req.getUri().rawQueryString().orElse("");
      if (!query.isEmpty()) {
        return withQuery(page.response(), query);
      }
    }
    // In dev mode a page is rendered per request, without a tag to revalidate.
    return devMode ? page.response() : page.answer(req, PAGE_CACHE);
  }

  private SiteSnapshot.Rendered resolve(SiteSnapshot snap, String path) {
    if (!path.endsWith("/")) {
      // /posts/x answers at /posts/x/; anything else without a trailing slash is unknown.
      SiteSnapshot.Rendered withSlash = resolve(snap, path + "/");
      if (withSlash.status() == 404 || withSlash.status() == 301) {
        // A path that moved answers with where it went, in one hop (/posts/old answered
        // /posts/old/, which answered /posts/new/).
        return withSlash;
      }
      // What is not memoised with the slash (a tag's other spellings, /blog/page/02/) is not
      // memoised without it either: any number of them would fill the page memo.
      return withSlash.keep() ? redirect(path + "/") : redirect(path + "/").once();
    }
    String[] parts = path.substring(1).split("/", -1);
    int n = parts.length - 1; // segments before the trailing empty one
    if (path.equals("/")) {
      SiteSettings settings = site.get(); // read once: an admin may change it meanwhile
      ItemView front = homePage(snap, settings);
      if (front != null) {
        return ok(snap, "site/page.peb", path, Map.of("page", front, "front", true));
      }
      List<ItemView> posts = snap.posts();
      int count = Math.min(settings.homePosts(), posts.size());
      // "All posts" goes on from the first post the home page does not show: the blog page that
      // holds it. The two settings are set apart (a link to /blog/page/2/ was a 404 with 5 posts
      // on the home page, 10 a page and 8 in all, and skipped posts with 3 and 10).
      int nextPage = count / settings.pageSize() + 1;
      String allPosts =
          posts.size() > count && nextPage > 1 ? "/blog/page/" + nextPage + "/" : "/blog/";
      return ok(
          snap,
          "site/home.peb",
          path,
          Map.of(
              "posts",
              posts.subList(0, count),
              "hasMore",
              posts.size() > count,
              "allPosts",
              allPosts));
    }
    if (n == 1 && parts[0].equals("blog")) {
      return blogPage(snap, path, 1);
    }
    if (n == 1 && parts[0].equals("posts")) {
      // A post's address cut back to its folder: the posts are listed at /blog/.
      return redirect("/blog/");
    }
    if (n == 3 && parts[0].equals("blog") && parts[1].equals("page")) {
      int page = parsePage(parts[2]);
      if (page == 1) {
        // /blog/page/01/ and the like: not kept (any number of zeros could fill the memo).
        return parts[2].equals("1") ? redirect("/blog/") : redirect("/blog/").once();
      }
      if (page > 1 && !parts[2].equals(Integer.toString(page))) {
        // One URL per page: not also /page/02/. Not kept in the page memo (any number of zeros
        // could fill it), and only for a page that exists.
        return paddedPage(snap, path, snap.posts(), "/blog/", page);
      }
      return page < 1 ? notFound(snap, path) : blogPage(snap, path, page);
    }
    if (n == 2 && parts[0].equals("blog")) {
      // The legacy URL form of a post.
      ItemView item = findPost(snap, parts[1]);
      return item == null ? notFound(snap, path) : moved(item.url());
    }
    if (n == 2 && parts[0].equals("posts")) {
      ItemView item = snap.bySlug(parts[1]);
      if (item != null && item.isPost()) {
        List<CmsModule.Fragment> fragments = new java.util.ArrayList<>();
        boolean complete = true;
        for (CmsModule m : modules) {
          for (CmsModule.Fragment f : m.fragments("post.after", item, snap.seq())) {
            fragments.add(f);
            complete &= f.complete();
          }
        }
        Map<String, Object> vars = new java.util.HashMap<>();
        vars.put("post", item);
        vars.put("fragments", fragments);
        vars.put("newer", snap.newer(item));
        vars.put("older", snap.older(item));
        SiteSnapshot.Rendered page = ok(snap, "site/post.peb", path, vars);
        return complete ? page : page.once();
      }
      ItemView moved = item != null ? item : snap.byAlias(parts[1]);
      if (moved == null) {
        return spelled(snap, path, parts[1]);
      }
      return moved(moved.url());
    }
    if ((n == 2 || n == 4 && parts[2].equals("page")) && parts[0].equals("tags")) {
      // /tags/<tag>/ and /tags/<tag>/page/N/, paged like the blog: a tag on every post would
      // otherwise list the whole site on one page.
      String key = decodeSegment(parts[1]);
      List<ItemView> posts = key == null ? List.of() : snap.tagged(key);
      int page = n == 2 ? 1 : parsePage(parts[3]);
      String first = "/tags/" + parts[1] + "/";
      // "Event Sourcing", "UPPER" or "snake_case" as written on a post: the tag's one URL is its
      // key (ContentRules.tagKey), as the site links it.
      SiteSnapshot.Rendered folded = folded("/tags/", key, posts, page, snap::tagged);
      if (folded != null) {
        return folded;
      }
      return pagedList(
          snap,
          path,
          n == 4 ? parts[3] : null,
          posts,
          page,
          first,
          "site/tag.peb",
          posts.isEmpty()
              ? Map.of()
              : Map.of(
                  "tag", snap.tagName(key), "tagFeed", RedirectRule.encoded(first + "feed.xml")));
    }
    if ((n == 2 || n == 4 && parts[2].equals("page")) && parts[0].equals("authors")) {
      // /authors/<key>/ and /authors/<key>/page/N/: an author's posts, paged like the blog.
      String key = decodeSegment(parts[1]);
      List<ItemView> posts = key == null ? List.of() : snap.byAuthor(key);
      int page = n == 2 ? 1 : parsePage(parts[3]);
      String first = "/authors/" + parts[1] + "/";
      // "Mira-Quill" as typed from the byline: folded as a tag is, to the one URL the site links
      // (it answered 404 where /tags/WEB/ answered 301).
      SiteSnapshot.Rendered folded = folded("/authors/", key, posts, page, snap::byAuthor);
      if (folded != null) {
        return folded;
      }
      // The name as the newest post spells it.
      return pagedList(
          snap,
          path,
          n == 4 ? parts[3] : null,
          posts,
          page,
          first,
          "site/author.peb",
          posts.isEmpty()
              ? Map.of()
              : Map.of("author", posts.get(0).author(), "authorIndex", snap.servesAuthorIndex()));
    }
    if ((n == 3 || n == 5 && parts[3].equals("page")) && parts[0].equals("archive")) {
      // /archive/2026/12/ and /archive/2026/12/page/N/: a month's posts, paged like the blog.
      java.time.YearMonth month = archiveMonth(parts[1], parts[2]);
      List<ItemView> posts = month == null ? List.of() : snap.inMonth(month);
      int page = n == 3 ? 1 : parsePage(parts[4]);
      return pagedList(
          snap,
          path,
          n == 5 ? parts[4] : null,
          posts,
          page,
          month == null ? path : SiteSnapshot.archiveUrl(month),
          "site/month.peb",
          month == null ? Map.of() : Map.of("month", month, "archiveIndex", snap.servesArchive()));
    }
    if (n == 2 && parts[0].equals("archive")) {
      // /archive/2026/: the archive, at that year.
      boolean hasYear =
          YEAR.matcher(parts[1]).matches()
              && snap.servesArchive()
              && snap.archive().stream()
                  .anyMatch(m -> m.month().getYear() == Integer.parseInt(parts[1]));
      return hasYear ? redirect("/archive/#y" + parts[1]) : notFound(snap, path);
    }
    if (n == 1) {
      if (parts[0].equals("tags") && snap.servesTagIndex()) {
        return ok(snap, "site/tags.peb", path, Map.of("tags", snap.tagIndex()));
      }
      if (parts[0].equals("authors") && snap.servesAuthorIndex()) {
        return ok(snap, "site/authors.peb", path, Map.of("authors", snap.authorIndex()));
      }
      if (parts[0].equals("archive") && snap.servesArchive()) {
        return ok(snap, "site/archive.peb", path, Map.of("years", archiveYears(snap)));
      }
      ItemView item = snap.bySlug(parts[0]);
      // The page the home shows has one address: the home's (its old slugs too, in one hop).
      ItemView home = homePage(snap, site.get());
      if (item != null && !item.isPost()) {
        return item == home ? moved("/") : ok(snap, "site/page.peb", path, Map.of("page", item));
      }
      ItemView moved = item != null ? item : snap.byAlias(parts[0]);
      if (moved != null && moved == home) {
        return moved("/");
      }
      return moved == null ? spelled(snap, path, parts[0]) : moved(moved.url());
    }
    return notFound(snap, path);
  }

  /**
   * For an address whose slug names no item: a 301 to the item its lower-case spelling names (a
   * slug is lower case: "/posts/Fast-Pages/" is "/posts/fast-pages/", as WordPress answers), else
   * the 404. Not kept in the page memo: a slug has any number of spellings.
   */
  private SiteSnapshot.Rendered spelled(SiteSnapshot snap, String path, String slug) {
    String to = spelledTo(snap, slug);
    return to == null ? notFound(snap, path) : moved(to).once();
  }

  /**
   * Where a slug spelled with capitals moves, as {@link #spelled} answers it: the address of the
   * item (or the item that held it) its lower-case spelling names; null when there is none.
   */
  private String spelledTo(SiteSnapshot snap, String slug) {
    String lower = slug.toLowerCase(java.util.Locale.ROOT);
    if (lower.equals(slug)) {
      return null;
    }
    ItemView item = snap.bySlug(lower);
    if (item == null) {
      item = snap.byAlias(lower);
    }
    if (item == null) {
      return null;
    }
    return item == homePage(snap, site.get()) ? "/" : item.url();
  }

  /**
   * The published page the home shows ({@code quire.site.home-page}, or the admin's setting), or
   * null for the latest posts: also while no published page has that slug.
   */
  public static ItemView homePage(SiteSnapshot snap, SiteSettings settings) {
    return settings.hasHomePage() ? pageOf(snap, settings.homePage()) : null;
  }

  /**
   * The published page at {@code slug}, or that had it before a rename (the setting names it by the
   * slug it had when chosen), or null.
   */
  public static ItemView pageOf(SiteSnapshot snap, String slug) {
    ItemView item = snap.bySlug(slug);
    if (item == null) {
      item = snap.byAlias(slug);
    }
    return item != null && !item.isPost() ? item : null;
  }

  // Five digits for the year 10000, where a post dated at the very end of 9999 falls in a zone
  // east of UTC.
  private static final java.util.regex.Pattern YEAR = java.util.regex.Pattern.compile("[0-9]{4,5}");

  private static final java.util.regex.Pattern MONTH =
      java.util.regex.Pattern.compile("0[1-9]|1[0-2]");

  /** The month of {@code /archive/<year>/<month>/}, written as the archive links it, or null. */
  static java.time.YearMonth archiveMonth(String year, String month) {
    if (!YEAR.matcher(year).matches() || !MONTH.matcher(month).matches()) {
      return null;
    }
    return java.time.YearMonth.of(Integer.parseInt(year), Integer.parseInt(month));
  }

  /** A year of the archive page: the year and its months with posts, newest first. */
  public record ArchiveYear(int year, List<SiteSnapshot.MonthCount> months, int posts) {}

  private static List<ArchiveYear> archiveYears(SiteSnapshot snap) {
    Map<Integer, List<SiteSnapshot.MonthCount>> byYear = new java.util.LinkedHashMap<>();
    for (SiteSnapshot.MonthCount m : snap.archive()) {
      byYear.computeIfAbsent(m.month().getYear(), y -> new java.util.ArrayList<>()).add(m);
    }
    List<ArchiveYear> years = new java.util.ArrayList<>();
    byYear.forEach(
        (y, months) ->
            years.add(
                new ArchiveYear(
                    y,
                    List.copyOf(months),
                    months.stream().mapToInt(SiteSnapshot.MonthCount::posts).sum())));
    return years;
  }

  private ItemView findPost(SiteSnapshot snap, String slug) {
    ItemView item = snap.bySlug(slug);
    if (item == null) {
      item = snap.byAlias(slug);
    }
    return item != null && item.isPost() ? item : null;
  }

  /**
   * A list of posts at {@code first} ({@code number}: the N of {@code first + "page/N/"} as the
   * path has it, or null at {@code first}; {@code page} N or 1): a 404 for none or a page below 1,
   * page 1's other URLs and zero-padded numbers answered with a 301 to the one URL, else the page.
   */
  private SiteSnapshot.Rendered pagedList(
      SiteSnapshot snap,
      String path,
      String number,
      List<ItemView> posts,
      int page,
      String first,
      String template,
      Map<String, Object> vars) {
    boolean numbered = number != null;
    if (posts.isEmpty() || page < 1) {
      return notFound(snap, path);
    }
    if (numbered && page == 1) {
      return number.equals("1") ? redirect(first) : redirect(first).once();
    }
    if (numbered && !number.equals(Integer.toString(page))) {
      return paddedPage(snap, path, posts, first, page);
    }
    return listPage(snap, path, posts, page, first, template, vars);
  }

  private SiteSnapshot.Rendered blogPage(SiteSnapshot snap, String path, int page) {
    return listPage(
        snap,
        path,
        snap.posts(),
        page,
        "/blog/",
        "site/blog.peb",
        Map.of("archiveIndex", snap.servesArchive()));
  }

  /**
   * Page {@code page} of {@code posts}, {@code quire.site.page-size} to a page: the first at {@code
   * first}, the others at {@code first + "page/N/"}; past the last is a 404.
   */
  private SiteSnapshot.Rendered listPage(
      SiteSnapshot snap,
      String path,
      List<ItemView> posts,
      int page,
      String first,
      String template,
      Map<String, Object> vars) {
    int size = site.get().pageSize(); // read once: an admin may change it meanwhile
    int totalPages = totalPages(posts, size);
    if (page > totalPages) {
      return notFound(snap, path);
    }
    int from = (page - 1) * size;
    Map<String, Object> pagination =
        Map.of(
            "page",
            page,
            "totalPages",
            totalPages,
            "hasPrev",
            page > 1,
            "hasNext",
            page < totalPages,
            "prevUrl",
            page == 2 ? first : first + "page/" + (page - 1) + "/",
            "nextUrl",
            first + "page/" + (page + 1) + "/");
    Map<String, Object> all = new java.util.HashMap<>(vars);
    all.put("posts", posts.subList(from, Math.min(from + size, posts.size())));
    all.put("pagination", pagination);
    return ok(snap, template, path, all);
  }

  /**
   * Page {@code page} asked for with leading zeros: a 301 to its one URL, answered but not kept in
   * the page memo (any number of zeros could fill it), or a 404 past the last page.
   */
  private SiteSnapshot.Rendered paddedPage(
      SiteSnapshot snap, String path, List<ItemView> posts, String first, int page) {
    return page > totalPages(posts, site.get().pageSize())
        ? notFound(snap, path)
        : redirect(first + "page/" + page + "/").once();
  }

  private static int totalPages(List<ItemView> posts, int size) {
    return Math.max(1, (posts.size() + size - 1) / size);
  }

  private SiteSnapshot.Rendered ok(
      SiteSnapshot snap, String template, String path, Map<String, Object> vars) {
    byte[] body = pages.render(snap, template, path, vars);
    return page(200, body, etagOf(body));
  }

  /**
   * A page's ETag names its bytes: a copy that changes without the content changing (related posts
   * arriving, another theme after a restart) gets a new tag, an unchanged page keeps its tag across
   * publishes of other items, and every gateway node gives the same page the same tag.
   */
  public static String etagOf(byte[] body) {
    return Assets.sha256Hex(body, ETAG_HEX_CHARS);
  }

  private SiteSnapshot.Rendered page(int status, byte[] body, String etag) {
    HttpResponse head =
        HttpResponse.create().withStatus(status).addHeader(PAGE_CACHE).addHeaders(security);
    if (status == 200 && !devMode) {
      // Compressed once here, with the page, not on every request that accepts gzip.
      var v = compression.variants(head, ContentTypes.TEXT_HTML_UTF8, body, etag);
      return new SiteSnapshot.Rendered(status, etag, v.identity(), v.gzip(), true);
    }
    return new SiteSnapshot.Rendered(
        status, etag, head.withEntity(HttpEntities.create(ContentTypes.TEXT_HTML_UTF8, body)));
  }

  private SiteSnapshot.Rendered notFound(SiteSnapshot snap, String path) {
    byte[] body =
        pages.render(
            snap,
            "site/404.peb",
            path,
            // No detail line: the page's own words (error.notFound.*, in the site's language) say
            // it.
            Map.of("status", 404, "message", ""));
    return page(404, body, "");
  }

  /**
   * A redirect keeps the request's query (?utm_source=..., a search): pages are kept by path alone,
   * so it is added here, per request. Still a local path: only the query is added.
   */
  private static HttpResponse withQuery(HttpResponse moved, String query) {
    return moved
        .getHeader(Location.class)
        .map(
            l ->
                moved
                    .removeHeader("Location")
                    .addHeader(
                        dev.quire.gateway.http.Locations.withQuery(l.getUri().toString(), query)))
        .orElse(moved);
  }

  /**
   * Where an item's old slug (or the legacy {@code /blog/<slug>/}) went. A browser keeps a 301 with
   * no {@code Cache-Control} for good, so a visitor who once followed one never saw a new item that
   * took the slug later: these may be kept for {@code quire.gateway.moved-max-age} only, as the
   * redirect table's rules are. The site's fixed redirects (the trailing slash, {@code
   * /blog/page/1/}) stay as they are.
   */
  private SiteSnapshot.Rendered moved(String location) {
    SiteSnapshot.Rendered r = redirect(location);
    return new SiteSnapshot.Rendered(
        r.status(), r.etag(), r.response().addHeader(movedCache), r.gzip(), r.keep());
  }

  /** The {@code Cache-Control} of redirects whose target may change (see {@link #moved}). */
  public static HttpHeader movedCache(com.typesafe.config.Config config) {
    java.time.Duration age = config.getDuration("quire.gateway.moved-max-age");
    if (age.isNegative()) {
      throw new IllegalArgumentException(
          "quire.gateway.moved-max-age must be 0 or more, was " + age);
    }
    return RawHeader.create("Cache-Control", "public, max-age=" + age.toSeconds());
  }

  /**
   * For a list under {@code prefix} that {@code key} finds empty: a 301 to its key's spelling
   * ({@link ContentRules#tagKey}) when that one lists posts ({@code listed}), page kept; else null.
   * Not kept in the page memo: a key has any number of spellings.
   */
  private static SiteSnapshot.Rendered folded(
      String prefix,
      String key,
      List<ItemView> posts,
      int page,
      java.util.function.Function<String, List<ItemView>> listed) {
    if (!posts.isEmpty() || key == null || page < 1) {
      return null;
    }
    // Composed first: "zu\u0308rich" (u and a combining mark, as some keyboards and macOS file
    // names write it) is the stored "z\u00fcrich".
    String canonical = ContentRules.tagKey(ContentRules.composed(key));
    if (canonical.equals(key) || listed.apply(canonical).isEmpty()) {
      return null;
    }
    return redirect(
            RedirectRule.encoded(prefix + canonical + "/" + (page > 1 ? "page/" + page + "/" : "")))
        .once();
  }

  /** A 301 to {@code location}, a path on this site. */
  public static SiteSnapshot.Rendered redirect(String location) {
    // Locations are built from validated slugs and the request's own (still percent-encoded)
    // path: always a local path, never another host.
    return new SiteSnapshot.Rendered(
        301,
        "",
        HttpResponse.create()
            .withStatus(StatusCodes.MOVED_PERMANENTLY)
            .addHeader(Location.create(location)));
  }

  /**
   * A path segment as the text it encodes ("caf%C3%A9" is "café"): Pekko gives the path as it came,
   * percent-encoded, and a tag may hold any letter. Null when it does not decode.
   */
  public static String decodeSegment(String segment) {
    if (segment.indexOf('%') < 0) {
      return segment;
    }
    try {
      // A path keeps "+" as itself; URLDecoder (form decoding) would make it a space.
      return java.net.URLDecoder.decode(
          segment.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private Compression.Variants assetVariants(Assets.Lookup l) {
    HttpResponse head =
        HttpResponse.create()
            .addHeader(l.fingerprinted() && !devMode ? LONG_CACHE : SHORT_CACHE)
            .addHeader(NOSNIFF);
    var type = ContentTypes.parse(l.asset().contentType());
    return devMode
        ? new Compression.Variants(
            head.withEntity(HttpEntities.create(type, l.asset().bytes())), null)
        : compression.variants(head, type, l.asset().bytes(), null);
  }

  private static int parsePage(String s) {
    if (s.isEmpty() || s.length() > 6 || !s.chars().allMatch(Character::isDigit)) {
      return -1;
    }
    return Integer.parseInt(s);
  }

  /** Where browsers, feed readers and bookmark tools look for a site's icon without a page. */
  static final String FAVICON = "/favicon.ico";

  /** Where phones look for a home-screen icon without a page (Safari asks for both). */
  static final java.util.Set<String> TOUCH_ICONS =
      java.util.Set.of("/apple-touch-icon.png", "/apple-touch-icon-precomposed.png");

  /**
   * {@code /favicon.ico} and the touch icons: the site's icon (a media image, set in the admin's
   * settings) by a 302 to its address, which names its bytes and so may change, where it serves
   * ({@code siteIconServes}: a phone's home screen takes a PNG or JPEG); else the theme's {@code
   * asset} (a theme directory may hold its own).
   */
  private HttpResponse icon(HttpRequest req, String asset, boolean siteIconServes) {
    SiteSettings settings = site.get();
    if (settings.hasIcon() && siteIconServes) {
      return HttpResponse.create()
          .withStatus(StatusCodes.FOUND)
          .addHeader(Location.create(settings.icon()))
          .addHeader(SHORT_CACHE);
    }
    return asset(req, asset);
  }

  private HttpResponse asset(HttpRequest req, String path) {
    return assets
        .resolve(path)
        .map(
            l ->
                (devMode
                        ? assetVariants(l)
                        // At most two entries per theme asset: Assets resolves only files that
                        // exist.
                        : assetResponses.computeIfAbsent(
                            l.asset().url() + (l.fingerprinted() ? "" : " plain"),
                            k -> assetVariants(l)))
                    .choose(req))
        .orElseGet(
            () ->
                HttpResponse.create()
                    .withStatus(404)
                    .withEntity(
                        HttpEntities.create(
                            ContentTypes.TEXT_HTML_UTF8,
                            pages.errorPage(404, "No such file.", Assets.PREFIX + path))));
  }
}
