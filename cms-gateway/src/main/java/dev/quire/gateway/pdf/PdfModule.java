package dev.quire.gateway.pdf;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.reject;

import com.typesafe.config.Config;
import dev.quire.gateway.http.HttpError;
import dev.quire.gateway.media.MediaStore;
import dev.quire.gateway.module.CmsModule;
import dev.quire.gateway.module.ModuleContext;
import dev.quire.gateway.site.ItemView;
import dev.quire.gateway.site.PageRenderer;
import dev.quire.gateway.site.SiteModule;
import dev.quire.gateway.site.SiteSettings;
import dev.quire.gateway.site.SiteSnapshot;
import dev.quire.gateway.site.SiteState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * PDF export: every published post at {@code /posts/<slug>.pdf} and page at {@code /<slug>.pdf},
 * printed from the theme's {@code pdf/document.peb} by {@link PdfRenderer}, with a "Download as
 * PDF" link under each post. A PDF is rendered at its first request after the item changed, on the
 * blocking dispatcher and at most {@code max-concurrent} at a time (past that a 503 with
 * Retry-After), then kept, keyed by the item's id and its last change, up to {@code cache-entries}.
 * Answers carry an ETag, so a reader revalidating gets a 304.
 */
public final class PdfModule implements CmsModule {

  private static final ContentType PDF = ContentTypes.create(MediaTypes.APPLICATION_PDF);
  private static final HttpHeader NO_CACHE = CacheControl.create(CacheDirectives.NO_CACHE);
  private static final HttpHeader NOSNIFF = RawHeader.create("X-Content-Type-Options", "nosniff");
  private static final String SUFFIX = ".pdf";

  /** {@code quire.gateway.pdf}. */
  record Settings(int cacheEntries, int maxConcurrent) {
    static Settings fromConfig(Config config) {
      Config c = config.getConfig("quire.gateway.pdf");
      Settings s = new Settings(c.getInt("cache-entries"), c.getInt("max-concurrent"));
      if (s.cacheEntries < 0 || s.maxConcurrent < 1) {
        throw new IllegalArgumentException(
            "quire.gateway.pdf: cache-entries must be at least 0 and max-concurrent at least 1");
      }
      return s;
    }
  }

  private record Kept(String etag, HttpResponse response) {}

  private final ConcurrentHashMap<String, Kept> kept = new ConcurrentHashMap<>();
  private Settings settings;
  private SiteState site;
  private SiteSettings siteSettings;
  private PageRenderer pages;
  private PdfRenderer renderer;
  private Executor blocking;
  private Semaphore rendering;
  private boolean devMode;

  @Override
  public String id() {
    return "pdf";
  }

  @Override
  public void start(ModuleContext ctx) {
    this.settings = Settings.fromConfig(ctx.config());
    this.site = ctx.site();
    this.siteSettings = SiteSettings.fromConfig(ctx.config());
    this.pages = ctx.pages();
    this.devMode = ctx.config().getBoolean("quire.gateway.dev-mode");
    this.renderer =
        new PdfRenderer(
            siteSettings.baseUrl(),
            new MediaStore(Path.of(ctx.config().getString("quire.media.dir")), Clock.systemUTC()));
    this.blocking = ctx.system().dispatchers().lookup(DispatcherSelector.blocking());
    this.rendering = new Semaphore(settings.maxConcurrent());
  }

  /** The PDF's URL of a post or page: its URL without the trailing slash, plus ".pdf". */
  static String pdfUrl(ItemView item) {
    return item.url().substring(0, item.url().length() - 1) + SUFFIX;
  }

  @Override
  public List<Fragment> fragments(String slot, Object item, long siteSeq) {
    if (!slot.equals("post.after") || !(item instanceof ItemView post)) {
      return List.of();
    }
    return List.of(new Fragment("pdf/link.peb", Map.of("url", pdfUrl(post)), true));
  }

  @Override
  public Optional<Route> publicRoutes(ModuleContext ctx) {
    return Optional.of(
        get(
            () ->
                extractRequest(
                    req -> {
                      String path = req.getUri().path();
                      return path.endsWith(SUFFIX)
                          ? completeWithFuture(answer(req, path))
                          : reject();
                    })));
  }

  /** The published item {@code path} names: {@code /posts/<slug>.pdf} or {@code /<slug>.pdf}. */
  static ItemView itemFor(SiteSnapshot snap, String path) {
    String stem = path.substring(0, path.length() - SUFFIX.length());
    boolean post = stem.startsWith("/posts/");
    String slug = post ? stem.substring("/posts/".length()) : stem.substring(1);
    if (slug.isEmpty() || slug.contains("/")) {
      return null;
    }
    ItemView item = snap.bySlug(slug);
    return item != null && item.isPost() == post ? item : null;
  }

  private CompletionStage<HttpResponse> answer(HttpRequest req, String path) {
    SiteSnapshot snap = site.snapshot();
    ItemView item = site.ready() ? itemFor(snap, path) : null;
    if (item == null) {
      return CompletableFuture.failedFuture(
          HttpError.notFound("There is no published post or page to print at this address."));
    }
    String key = item.id() + "@" + item.updatedIso();
    Kept k = devMode ? null : kept.get(key);
    if (k != null) {
      return CompletableFuture.completedFuture(answer(req, k));
    }
    if (!rendering.tryAcquire()) {
      return CompletableFuture.failedFuture(
          HttpError.unavailable("PDFs are being made for other readers; try again in a moment."));
    }
    return CompletableFuture.supplyAsync(
            () -> {
              try {
                byte[] html =
                    pages.render(snap, "pdf/document.peb", item.url(), Map.of("item", item));
                byte[] pdf = renderer.render(new String(html, StandardCharsets.UTF_8));
                String etag = SiteModule.etagOf(pdf);
                HttpResponse response =
                    HttpResponse.create()
                        .addHeader(NO_CACHE)
                        .addHeader(NOSNIFF)
                        .addHeader(
                            RawHeader.create(
                                "Content-Disposition",
                                "inline; filename=\"" + item.slug() + SUFFIX + "\""))
                        .addHeader(
                            org.apache.pekko.http.javadsl.model.headers.ETag.create(
                                org.apache.pekko.http.javadsl.model.headers.EntityTag.create(
                                    etag, false)))
                        .withEntity(HttpEntities.create(PDF, pdf));
                Kept made = new Kept(etag, response);
                if (!devMode && settings.cacheEntries() > 0) {
                  if (kept.size() >= settings.cacheEntries()) {
                    kept.clear();
                  }
                  kept.put(key, made);
                }
                return made;
              } finally {
                rendering.release();
              }
            },
            blocking)
        .thenApply(made -> answer(req, made));
  }

  private static HttpResponse answer(HttpRequest req, Kept k) {
    return new SiteSnapshot.Rendered(200, k.etag(), k.response()).answer(req, NO_CACHE);
  }
}
