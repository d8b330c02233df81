package dev.quire.gateway.pdf;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.reject;

import com.typesafe.config.Config;
import dev.quire.gateway.http.Compression;
import dev.quire.gateway.http.HttpError;
import dev.quire.gateway.media.ImageVariants;
import dev.quire.gateway.media.MediaModule;
import dev.quire.gateway.media.MediaStore;
import dev.quire.gateway.module.CmsModule;
import dev.quire.gateway.module.ModuleContext;
import dev.quire.gateway.render.MadeOnDemand;
import dev.quire.gateway.site.ItemView;
import dev.quire.gateway.site.PageRenderer;
import dev.quire.gateway.site.SiteModule;
import dev.quire.gateway.site.SiteSettings;
import dev.quire.gateway.site.SiteSnapshot;
import dev.quire.gateway.site.SiteState;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.model.headers.ETag;
import org.apache.pekko.http.javadsl.model.headers.EntityTag;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * PDF export: every published post at {@code /posts/<slug>.pdf} and page at {@code /<slug>.pdf} (an
 * old slug answers 301 to the new one's), printed from the theme's {@code pdf/document.peb} by
 * {@link PdfRenderer}, with a "Download as PDF" link under each post.
 *
 * <p>A PDF is named by the ETag of the document it is printed from (the item, the template and the
 * site's settings, all in that HTML), which is the same on every gateway node and across restarts,
 * so a reader revalidating gets a 304 without anything being printed. A PDF is printed at the first
 * request after its document changed, once however many readers ask at that moment, on the blocking
 * dispatcher and at most {@code max-concurrent} at a time (past that a 503 with Retry-After), and
 * kept per item, least recently used going first past {@code cache-bytes}.
 */
public final class PdfModule implements CmsModule {

  private static final ContentType PDF = ContentTypes.create(MediaTypes.APPLICATION_PDF);
  private static final HttpHeader NO_CACHE = CacheControl.create(CacheDirectives.NO_CACHE);
  private static final HttpHeader NOSNIFF = RawHeader.create("X-Content-Type-Options", "nosniff");
  private static final String SUFFIX = ".pdf";

  /** What may name a PDF: a slug (ContentRules' form) under /posts/ or at the root. */
  private static final java.util.regex.Pattern PATH =
      java.util.regex.Pattern.compile("^/(posts/)?[a-z0-9]+(-[a-z0-9]+)*\\.pdf$");

  /** {@code quire.gateway.pdf}. */
  record Settings(
      long cacheBytes, int maxConcurrent, long maxImagePixels, int imageWidth, int maxElements) {
    static Settings fromConfig(Config config) {
      Config c = config.getConfig("quire.gateway.pdf");
      Settings s =
          new Settings(
              c.getBytes("cache-bytes"),
              c.getInt("max-concurrent"),
              c.getLong("max-image-pixels"),
              c.getInt("image-width"),
              c.getInt("max-elements"));
      if (s.cacheBytes < 0 || s.maxConcurrent < 1 || s.maxImagePixels < 1 || s.maxElements < 1) {
        throw new IllegalArgumentException(
            "quire.gateway.pdf: cache-bytes must be at least 0, max-concurrent,"
                + " max-image-pixels and max-elements at least 1");
      }
      List<Integer> widths = config.getIntList("quire.media.images.widths");
      if (!widths.contains(s.imageWidth)) {
        throw new IllegalArgumentException(
            "quire.gateway.pdf.image-width ("
                + s.imageWidth
                + ") must be one of quire.media.images.widths "
                + widths);
      }
      return s;
    }
  }

  private Settings settings;
  private SiteState site;
  private PageRenderer pages;
  private PdfRenderer renderer;
  private MadeOnDemand printed;
  private dev.quire.gateway.site.LiveSettings live;

  /** An old slug's 301 is kept a while only: another item may take the slug later. */
  private HttpHeader movedCache;

  @Override
  public String id() {
    return "pdf";
  }

  @Override
  public void start(ModuleContext ctx) {
    this.settings = Settings.fromConfig(ctx.config());
    this.movedCache = dev.quire.gateway.site.SiteModule.movedCache(ctx.config());
    this.live = ctx.settings();
    this.site = ctx.site();
    this.pages = ctx.pages();
    MediaStore media = MediaModule.store(ctx.config());
    this.renderer =
        new PdfRenderer(
            SiteSettings.fromConfig(ctx.config()).baseUrl(),
            media,
            settings.maxImagePixels(),
            new ImageVariants(media, ImageVariants.Settings.fromConfig(ctx.config())),
            settings.imageWidth(),
            dev.quire.gateway.render.FallbackFonts.fromConfig(ctx.config()));
    this.printed =
        new MadeOnDemand(
            settings.cacheBytes(),
            settings.maxConcurrent(),
            !ctx.config().getBoolean("quire.gateway.dev-mode"),
            ctx.system().dispatchers().lookup(DispatcherSelector.blocking()),
            "PDFs are being made for other readers; try again in a moment.");
  }

  /**
   * Whether {@code item}'s text has more elements than a PDF is printed of ({@code
   * quire.gateway.pdf.max-elements}): the layout holds a box for each, ~3 KB a table cell, and a
   * 300 by 300 table (182 KB of Markdown, within the body's limit) took the whole 256 MB heap and
   * the server with it. Such an item has no PDF link, and its PDF address says why.
   */
  private boolean tooLarge(ItemView item) {
    return PdfRenderer.startTags(item.html()) > settings.maxElements();
  }

  /** The PDF's URL of a post or page: its URL without the trailing slash, plus ".pdf". */
  static String pdfUrl(ItemView item) {
    return item.url().substring(0, item.url().length() - 1) + SUFFIX;
  }

  @Override
  public List<Fragment> fragments(String slot, Object item, long siteSeq) {
    if (!slot.equals("post.after") || !(item instanceof ItemView post) || tooLarge(post)) {
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
                      return path.endsWith(SUFFIX) && PATH.matcher(path).matches()
                          ? completeWithFuture(answer(req, path))
                          : reject();
                    })));
  }

  static boolean isPostPath(String path) {
    return path.startsWith("/posts/");
  }

  static String slugOf(String path) {
    String stem = path.substring(0, path.length() - SUFFIX.length());
    return isPostPath(path) ? stem.substring("/posts/".length()) : stem.substring(1);
  }

  /** The published item {@code path} names: {@code /posts/<slug>.pdf} or {@code /<slug>.pdf}. */
  static ItemView itemFor(SiteSnapshot snap, String path) {
    if (!PATH.matcher(path).matches()) {
      return null;
    }
    return snap.item(slugOf(path), isPostPath(path));
  }

  private CompletionStage<HttpResponse> answer(HttpRequest req, String path) {
    if (!site.ready()) {
      return CompletableFuture.failedFuture(HttpError.unavailable(SiteState.STARTING));
    }
    SiteSnapshot snap = site.snapshot();
    ItemView item = itemFor(snap, path);
    if (item == null) {
      ItemView moved = snap.movedFrom(slugOf(path), isPostPath(path));
      if (moved != null) {
        return CompletableFuture.completedFuture(
            HttpResponse.create()
                .withStatus(StatusCodes.MOVED_PERMANENTLY)
                .addHeader(Location.create(pdfUrl(moved)))
                .addHeader(movedCache));
      }
      return CompletableFuture.failedFuture(
          HttpError.notFound("There is no published post or page to print at this address."));
    }
    if (tooLarge(item)) {
      return CompletableFuture.failedFuture(
          new HttpError(
              422,
              "too_large",
              null,
              "This is too large to print as a PDF here: its text has "
                  + PdfRenderer.startTags(item.html())
                  + " elements (table cells, paragraphs, list items), and a PDF is printed of at"
                  + " most "
                  + settings.maxElements()
                  + ". Read it on its page, or print that page from the browser."));
    }
    byte[] html = pages.render(snap, "pdf/document.peb", item.url(), Map.of("item", item));
    // The same document prints differently once a fallback font is installed: its ETag says so.
    byte[] fonts = renderer.fontsKey().getBytes(StandardCharsets.UTF_8);
    byte[] named = java.util.Arrays.copyOf(html, html.length + fonts.length);
    System.arraycopy(fonts, 0, named, html.length, fonts.length);
    String etag = SiteModule.etagOf(named);
    if (Compression.noneMatchHits(req, etag)) {
      return CompletableFuture.completedFuture(SiteSnapshot.Rendered.notModified(etag, NO_CACHE));
    }
    return printed
        .get(item.id(), etag, () -> renderer.render(new String(html, StandardCharsets.UTF_8)))
        .thenApply(made -> respond(item, made, live.get().baseUrl()));
  }

  /**
   * The PDF, naming its page as the canonical copy ({@code Link: rel="canonical"}): every item
   * links its PDF, so without it search engines could index the PDF as a duplicate of the page.
   */
  private static HttpResponse respond(ItemView item, MadeOnDemand.Kept k, String baseUrl) {
    return HttpResponse.create()
        .addHeader(NO_CACHE)
        .addHeader(NOSNIFF)
        .addHeader(
            RawHeader.create(
                "Link",
                "<"
                    + baseUrl
                    + dev.quire.protocol.RedirectRule.encoded(item.url())
                    + ">;"
                    + " rel=\"canonical\""))
        .addHeader(ETag.create(EntityTag.create(k.etag(), false)))
        .addHeader(
            RawHeader.create(
                "Content-Disposition", "inline; filename=\"" + item.slug() + SUFFIX + "\""))
        .withEntity(HttpEntities.create(PDF, k.bytes()));
  }
}
