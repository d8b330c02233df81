package dev.quire.gateway.og;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.reject;

import dev.quire.gateway.http.Compression;
import dev.quire.gateway.http.HttpError;
import dev.quire.gateway.module.CmsModule;
import dev.quire.gateway.module.ModuleContext;
import dev.quire.gateway.render.MadeOnDemand;
import dev.quire.gateway.site.ItemView;
import dev.quire.gateway.site.SiteModule;
import dev.quire.gateway.site.SiteSettings;
import dev.quire.gateway.site.SiteSnapshot;
import dev.quire.gateway.site.SiteState;
import io.pebbletemplates.pebble.extension.AbstractExtension;
import io.pebbletemplates.pebble.extension.Extension;
import io.pebbletemplates.pebble.extension.Function;
import io.pebbletemplates.pebble.template.EvaluationContext;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
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
 * Generated Open Graph images: the card a shared link shows, for every published post at {@code
 * /og/posts/<slug>.png}, page at {@code /og/pages/<slug>.png}, and the site itself at {@code
 * /og/site.png} (home, blog, tags, search). The theme's pages name them in {@code og:image} through
 * the {@code ogImage(item)} function (a post's own cover image comes first), with {@code
 * twitter:card} {@code summary_large_image}.
 *
 * <p>A card is drawn by {@link CardRenderer} from what it shows (site name, title, description,
 * date, reading time, host) and named by the ETag of that and the style, the same on every node and
 * after a restart: a revalidation is a 304 without drawing. Cards are drawn at the first request
 * after what they show changed, once however many ask, on the blocking dispatcher, at most {@code
 * max-concurrent} at once, and kept up to {@code cache-bytes} (see {@link MadeOnDemand}).
 */
public final class OgImageModule implements CmsModule {

  private static final ContentType PNG = ContentTypes.create(MediaTypes.IMAGE_PNG);
  private static final HttpHeader NOSNIFF = RawHeader.create("X-Content-Type-Options", "nosniff");
  private static final String SITE = "/og/site.png";

  /** What may name a card: a slug (ContentRules' form) under /og/posts/ or /og/pages/. */
  private static final Pattern PATH =
      Pattern.compile("^/og/(posts|pages)/([a-z0-9]+(-[a-z0-9]+)*)\\.png$");

  /**
   * The card's address on the blog this project grew from, {@code /og/<slug>.svg}: answered with a
   * 301 to the item's card, so links shared from a site moved here keep their image. (Quire draws
   * PNG: the sites that show link previews do not take SVG.)
   */
  private static final Pattern SVG = Pattern.compile("^/og/([a-z0-9]+(-[a-z0-9]+)*)\\.svg$");

  /**
   * {@code ogImages} in templates: defined only when this module runs, with the cards' size (set at
   * start) for {@code og:image:width} and {@code og:image:height}.
   */
  public static final class Images {
    private volatile int width;
    private volatile int height;

    public int getWidth() {
      return width;
    }

    public int getHeight() {
      return height;
    }
  }

  private final Images images = new Images();
  private SiteState site;
  private dev.quire.gateway.site.LiveSettings live;
  private CardRenderer renderer;
  private dev.quire.gateway.render.ThemeWords words;
  private MadeOnDemand drawn;
  private HttpHeader cacheControl;

  /** An old slug's 301 is kept a while only: another item may take the slug later. */
  private HttpHeader movedCache;

  @Override
  public String id() {
    return "og";
  }

  @Override
  public void start(ModuleContext ctx) {
    var c = ctx.config().getConfig("quire.gateway.og");
    this.site = ctx.site();
    this.movedCache = dev.quire.gateway.site.SiteModule.movedCache(ctx.config());
    this.live = ctx.settings();
    this.words = ctx.templates().words();
    var fallbackFonts = dev.quire.gateway.render.FallbackFonts.fromConfig(ctx.config());
    this.renderer =
        new CardRenderer(
            CardRenderer.Style.fromConfig(ctx.config()),
            fallbackFonts,
            c.getInt("fallback-glyph-cache"));
    this.drawn =
        new MadeOnDemand(
            c.getBytes("cache-bytes"),
            c.getInt("max-concurrent"),
            !ctx.config().getBoolean("quire.gateway.dev-mode"),
            ctx.system().dispatchers().lookup(DispatcherSelector.blocking()),
            "Images are being drawn for other readers; try again in a moment.");
    images.width = renderer.style().width();
    images.height = renderer.style().height();
    Duration maxAge = c.getDuration("max-age");
    this.cacheControl =
        CacheControl.create(CacheDirectives.PUBLIC, CacheDirectives.MAX_AGE(maxAge.toSeconds()));
  }

  /** The card's path of a post or page, or of the site when {@code item} is not one. */
  public static String imagePath(Object item) {
    if (item instanceof ItemView v) {
      return "/og/" + (v.isPost() ? "posts/" : "pages/") + v.slug() + ".png";
    }
    return SITE;
  }

  @Override
  public List<Extension> pebbleExtensions() {
    Function ogImage =
        new Function() {
          @Override
          public List<String> getArgumentNames() {
            return List.of("item");
          }

          @Override
          public Object execute(
              Map<String, Object> args, PebbleTemplate self, EvaluationContext ctx, int line) {
            return imagePath(args.get("item"));
          }
        };
    return List.of(
        new AbstractExtension() {
          @Override
          public Map<String, Function> getFunctions() {
            return Map.of("ogImage", ogImage);
          }

          @Override
          public Map<String, Object> getGlobalVariables() {
            // The layout names a generated card only when this module runs.
            return Map.of("ogImages", images);
          }
        });
  }

  @Override
  public Optional<Route> publicRoutes(ModuleContext ctx) {
    return Optional.of(
        get(
            () ->
                extractRequest(
                    req -> {
                      String path = req.getUri().path();
                      if (!path.startsWith("/og/")) {
                        return reject();
                      }
                      var svg = SVG.matcher(path);
                      if (svg.matches()) {
                        return completeWithFuture(fromSvg(svg.group(1)));
                      }
                      return path.equals(SITE) || PATH.matcher(path).matches()
                          ? completeWithFuture(answer(req, path))
                          : reject();
                    })));
  }

  /** What a card shows for the site. */
  CardRenderer.Card siteCard() {
    SiteSettings settings = live.get();
    String about = settings.description().isBlank() ? settings.title() : settings.description();
    return new CardRenderer.Card(
        settings.title(), about, "", "", host(), settings.direction().equals("rtl"));
  }

  /** What a card shows for a post or page. */
  CardRenderer.Card card(ItemView item) {
    SiteSettings settings = live.get();
    String meta = "";
    if (item.isPost()) {
      meta =
          postMeta(
              item,
              dev.quire.gateway.render.DisplayDate.locale(settings.language()),
              words,
              renderer);
    }
    return new CardRenderer.Card(
        settings.title(),
        item.title(),
        item.description(),
        meta,
        host(),
        settings.direction().equals("rtl"));
  }

  /**
   * A post card's line under its title: its day and the theme's reading time ({@code
   * post.readingTime}) in {@code locale}, and its author. The card's font (Liberation Sans) has no
   * CJK, Arabic or Indic letters: a day or reading time it cannot draw is drawn in English rather
   * than as empty boxes.
   */
  static String postMeta(
      ItemView item,
      java.util.Locale locale,
      dev.quire.gateway.render.ThemeWords words,
      CardRenderer renderer) {
    String date = dev.quire.gateway.render.DisplayDate.longDate(item.localDate(), locale);
    String reading = readingTime(words, item.readingMinutes(), locale);
    String meta =
        (renderer.canDraw(date) ? date : item.dateDisplay())
            + " \u00b7 "
            + (renderer.canDraw(reading)
                ? reading
                : readingTime(words, item.readingMinutes(), java.util.Locale.ENGLISH));
    return item.author().isBlank() ? meta : meta + " \u00b7 " + item.author();
  }

  private static String readingTime(
      dev.quire.gateway.render.ThemeWords words, int minutes, java.util.Locale locale) {
    try {
      return words.format("post.readingTime", locale, minutes).orElse(minutes + " min read");
    } catch (RuntimeException e) {
      // A theme's pattern that does not take a number (dev mode reads files as it goes): the card
      // is still drawn, in English.
      return minutes + " min read";
    }
  }

  private String host() {
    SiteSettings settings = live.get();
    try {
      String h = URI.create(settings.baseUrl()).getHost();
      return h == null ? "" : h;
    } catch (IllegalArgumentException e) {
      return "";
    }
  }

  /** The ETag of a card as drawn in the current style. */
  String etagOf(CardRenderer.Card card) {
    String key =
        String.join(
            "\u0000",
            // Raised when the same card is drawn differently (og-2: right-to-left text in reading
            // order, 2026-12-07), so a card a browser or proxy holds is drawn again.
            "og-2",
            renderer.key(),
            card.site(),
            card.title(),
            card.subtitle(),
            card.meta(),
            card.host(),
            card.rightToLeft() ? "rtl" : "ltr");
    return SiteModule.etagOf(key.getBytes(StandardCharsets.UTF_8));
  }

  /** {@code /og/<slug>.svg}: a 301 to the card of the post, else the page, with that slug now. */
  private CompletionStage<HttpResponse> fromSvg(String slug) {
    if (!site.ready()) {
      return CompletableFuture.failedFuture(HttpError.unavailable(SiteState.STARTING));
    }
    SiteSnapshot snap = site.snapshot();
    // A post, a page, or an item that had this slug (a post first, as the old blog had posts).
    ItemView item = snap.item(slug, true);
    if (item == null) {
      item = snap.item(slug, false);
    }
    if (item == null) {
      item = snap.movedFrom(slug, true);
    }
    if (item == null) {
      item = snap.movedFrom(slug, false);
    }
    if (item == null) {
      return CompletableFuture.failedFuture(
          HttpError.notFound("There is no published post or page with this image."));
    }
    return CompletableFuture.completedFuture(
        HttpResponse.create()
            .withStatus(StatusCodes.MOVED_PERMANENTLY)
            .addHeader(Location.create(imagePath(item)))
            .addHeader(movedCache));
  }

  private CompletionStage<HttpResponse> answer(HttpRequest req, String path) {
    if (!site.ready()) {
      return CompletableFuture.failedFuture(HttpError.unavailable(SiteState.STARTING));
    }
    String id;
    CardRenderer.Card card;
    if (path.equals(SITE)) {
      id = "site";
      card = siteCard();
    } else {
      var m = PATH.matcher(path);
      if (!m.matches()) {
        return CompletableFuture.failedFuture(HttpError.notFound("No such image."));
      }
      boolean post = m.group(1).equals("posts");
      SiteSnapshot snap = site.snapshot();
      ItemView item = snap.item(m.group(2), post);
      if (item == null) {
        ItemView moved = snap.movedFrom(m.group(2), post);
        if (moved != null) {
          return CompletableFuture.completedFuture(
              HttpResponse.create()
                  .withStatus(StatusCodes.MOVED_PERMANENTLY)
                  .addHeader(Location.create(imagePath(moved)))
                  .addHeader(movedCache));
        }
        return CompletableFuture.failedFuture(
            HttpError.notFound("There is no published post or page with this image."));
      }
      id = item.id();
      card = card(item);
    }
    String etag = etagOf(card);
    if (Compression.noneMatchHits(req, etag)) {
      return CompletableFuture.completedFuture(
          SiteSnapshot.Rendered.notModified(etag, cacheControl));
    }
    CardRenderer.Card drawnCard = card;
    return drawn
        .get(id, etag, () -> renderer.render(drawnCard))
        .thenApply(
            made ->
                HttpResponse.create()
                    .addHeader(cacheControl)
                    .addHeader(NOSNIFF)
                    .addHeader(ETag.create(EntityTag.create(made.etag(), false)))
                    .withEntity(HttpEntities.create(PNG, made.bytes())));
  }
}
