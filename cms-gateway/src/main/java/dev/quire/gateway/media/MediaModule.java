package dev.quire.gateway.media;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.entity;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.getFromFile;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.parameter;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.respondWithHeaders;
import static org.apache.pekko.http.javadsl.server.Directives.withSizeLimit;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quire.gateway.http.HttpError;
import dev.quire.gateway.http.JsonResponses;
import dev.quire.gateway.module.Admin;
import dev.quire.gateway.module.ApiCaller;
import dev.quire.gateway.module.CmsModule;
import dev.quire.gateway.module.ModuleContext;
import dev.quire.gateway.site.ItemView;
import dev.quire.protocol.ConfigChecks;
import dev.quire.protocol.Role;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.Multipart;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.StreamConverters;

/**
 * Media: {@code /media/<sha256>/<name>} serves a stored blob (cached for a year: the URL names the
 * bytes), {@code POST /api/v1/media?filename=} stores the request body, {@code GET /api/v1/media}
 * lists. Only images, audio, video and PDF are shown inline; anything else is a download, and every
 * answer is {@code nosniff} with a sandboxing CSP, so an uploaded HTML or SVG file cannot run
 * script on the site's origin.
 */
public final class MediaModule implements CmsModule {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MediaModule.class);

  /** {@code w800}: a copy's width, in pixels. */
  private static final java.util.regex.Pattern WIDTH =
      java.util.regex.Pattern.compile("w(\\d{1,5})");

  /** A multipart upload's bytes besides the file: the token, the part headers, the boundaries. */
  private static final long FORM_OVERHEAD_BYTES = 64 * 1024;

  private static final Set<String> INLINE_PREFIXES = Set.of("image/", "audio/", "video/");
  private static final Set<String> INLINE_TYPES = Set.of("application/pdf");

  private MediaStore store;

  /** What the site's pages show of its settings: its icon is one of these files. */
  private dev.quire.gateway.site.LiveSettings siteSettings;

  private org.apache.pekko.actor.typed.ActorSystem<?> system;
  private Duration askTimeout;

  private ImageVariants variants;
  private final ImageVariants.ForTemplates templateImages = new ImageVariants.ForTemplates();
  private java.util.concurrent.Semaphore making;
  private Executor blocking;
  private Materializer materializer;
  private ObjectMapper json;
  private long maxUpload;
  private long keepFree;
  private int adminPageSize;
  private int apiPageSize;
  private int apiMaxPageSize;
  private Duration uploadTimeout;
  private Duration uploadMaxDuration;
  private java.util.concurrent.Executor uploads;
  private int maxConcurrentUploads;
  private java.util.concurrent.Semaphore uploadSlots;
  private dev.quire.gateway.site.SiteState site; // null in a test without a site
  private dev.quire.gateway.content.ContentClient content; // null in a test without content
  private int usersNamed;

  @Override
  public String id() {
    return "media";
  }

  /** The store this node's media lives in ({@code quire.media.dir}). */
  public static MediaStore store(com.typesafe.config.Config config) {
    return new MediaStore(
        Path.of(config.getString("quire.media.dir")),
        Clock.systemUTC(),
        config.getDuration("quire.media.list-settle"));
  }

  @Override
  public void start(ModuleContext ctx) {
    this.store = store(ctx.config());
    this.site = ctx.site();
    this.siteSettings = ctx.settings();
    this.system = ctx.system();
    this.askTimeout = ctx.config().getDuration("quire.gateway.ask-timeout");
    this.content = ctx.content();
    this.usersNamed = ConfigChecks.atLeastOne(ctx.config(), "quire.media.users-named");
    this.blocking =
        ctx.system().dispatchers().lookup(DispatcherSelector.fromConfig("quire.media.dispatcher"));
    this.materializer = Materializer.matFromSystem(ctx.system());
    this.json = ctx.json();
    this.maxUpload = ctx.config().getBytes("quire.media.max-upload-bytes");
    this.keepFree = ctx.config().getBytes("quire.media.keep-free");
    if (keepFree < 0) {
      throw new IllegalArgumentException(
          "quire.media.keep-free must be 0 or more bytes, was " + keepFree);
    }
    this.adminPageSize = ConfigChecks.atLeastOne(ctx.config(), "quire.media.admin-page-size");
    this.apiPageSize = ConfigChecks.atLeastOne(ctx.config(), "quire.gateway.api.default-page-size");
    this.apiMaxPageSize = ConfigChecks.atLeastOne(ctx.config(), "quire.gateway.api.max-page-size");
    this.uploadTimeout = ctx.config().getDuration("quire.media.upload-timeout");
    checkUploadLimits(ctx.config());
    this.uploadMaxDuration = ctx.config().getDuration("quire.media.upload-max-duration");
    Duration longestUpload = uploadMaxDuration.plus(uploadTimeout);
    var log = ctx.system().log();
    java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                return store.removeLeftovers(longestUpload);
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            },
            blocking)
        .thenAccept(
            removed -> {
              if (removed > 0) {
                log.info(
                    "media: removed {} file(s) that uploads which never finished left in {}",
                    removed,
                    store.dir().resolve("tmp"));
              }
            })
        .exceptionally(
            e -> {
              // One message for every failure (an I/O error, one thrown while listing).
              Throwable cause = e.getCause() != null ? e.getCause() : e;
              log.warn("media: cannot remove what unfinished uploads left: {}", cause.getMessage());
              return null;
            });
    this.maxConcurrentUploads = ctx.config().getInt("quire.media.max-concurrent-uploads");
    this.uploadSlots = new java.util.concurrent.Semaphore(maxConcurrentUploads);
    this.uploads =
        ctx.system()
            .dispatchers()
            .lookup(DispatcherSelector.fromConfig("quire.media.upload-dispatcher"));
    this.variants = new ImageVariants(store, ImageVariants.Settings.fromConfig(ctx.config()));
    this.making =
        new java.util.concurrent.Semaphore(
            ctx.config().getInt("quire.media.images.max-concurrent"));
    // Each published item's images get their sizes and narrower copies before the site shows it,
    // and its cover's size is read ahead for the templates (which may not read files).
    ctx.site()
        .transformItems(
            item -> {
              variants.readAhead(dev.quire.gateway.site.ItemView.coverUrl(item.coverImage()));
              String html = variants.rewrite(item.html());
              return html == null || html.equals(item.html()) ? item : item.withHtml(html);
            });
    templateImages.use(variants);
    java.time.Duration unfinished = ctx.config().getDuration("quire.media.images.unfinished-after");
    CompletableFuture.runAsync(
        () -> {
          try {
            int swept = variants.sweepUnfinished(unfinished);
            if (swept > 0) {
              LOG.info("removed {} unfinished image copies left by an earlier stop", swept);
            }
          } catch (IOException | RuntimeException e) {
            LOG.warn("could not look for unfinished image copies: {}", e.toString());
          }
        },
        blocking);
  }

  @Override
  public List<io.pebbletemplates.pebble.extension.Extension> pebbleExtensions() {
    // The stored images' copies and sizes for a theme's own <img> (covers): see ImageVariants.
    return List.of(CmsModule.globals(Map.of("images", templateImages)));
  }

  @Override
  public Optional<Route> publicRoutes(ModuleContext ctx) {
    return Optional.of(
        pathPrefix(
            "media",
            () ->
                pathPrefix(
                    PathMatchers.segment(),
                    sha ->
                        concat(
                            path(PathMatchers.segment(), name -> get(() -> completeOrServe(sha))),
                            pathPrefix(
                                PathMatchers.segment(WIDTH),
                                width ->
                                    path(
                                        PathMatchers.segment(),
                                        name -> get(() -> variantRoute(sha, width, name))))))));
  }

  /**
   * {@code /media/<sha256>/w<width>/<name>}: the image's copy at that width (see {@link
   * ImageVariants}), made at its first request, at most {@code quire.media.images.max-concurrent}
   * at once: past that, and should the making fail, a temporary redirect to the original, which the
   * reader's browser shows scaled (the page gave it its size). A width the image has no copy at
   * (not one of the widths, not narrower than it, not a JPEG or PNG) is a permanent redirect to the
   * original; a file the store does not hold, or a name not as the store makes them, a 404.
   */
  private Route variantRoute(String sha, String widthDigits, String name) {
    return onSuccess(
        variant(sha, widthDigits, name),
        v ->
            v.redirect() != null
                ? complete(v.redirect())
                // Pekko's file route, as for the originals: Range, ETag and Last-Modified with
                // conditional requests, the bytes streamed. Should the file be gone by now (it
                // rejects then), the reader gets the original.
                : concat(
                    respondWithHeaders(
                        servedHeaders(v.media(), true),
                        () ->
                            getFromFile(
                                v.file().toFile(),
                                org.apache.pekko.http.javadsl.model.ContentTypes.parse(
                                    v.media().contentType()))),
                    complete(redirect(StatusCodes.FOUND, "/media/" + sha + "/" + name))));
  }

  /** A copy to serve, or where to send the reader instead. */
  private record Served(MediaStore.Media media, Path file, HttpResponse redirect) {
    static Served to(HttpResponse redirect) {
      return new Served(null, null, redirect);
    }
  }

  private CompletionStage<Served> variant(String sha, String widthDigits, String name) {
    if (!MediaStore.isSha(sha) || !MediaStore.isSafeName(name)) {
      return CompletableFuture.failedFuture(HttpError.notFound("no such media file"));
    }
    int width = Integer.parseInt(widthDigits);
    if (!variants.settings().widths().contains(width)) {
      return CompletableFuture.failedFuture(HttpError.notFound("no copy of that width"));
    }
    String original = "/media/" + sha + "/" + name;
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            Optional<MediaStore.Media> media = store.get(sha);
            if (media.isEmpty()) {
              throw HttpError.notFound("no such media file");
            }
            // The record read once here serves the checks below (a JSON file on disk each time).
            Optional<Path> file = variants.kept(media.get(), width);
            ImageVariants.Copy copy;
            if (file.isPresent()) {
              copy = new ImageVariants.Copy(file.get(), false);
            } else if (!making.tryAcquire()) {
              return Served.to(redirect(StatusCodes.FOUND, original));
            } else {
              try {
                copy = variants.variant(media.get(), width);
              } finally {
                making.release();
              }
            }
            if (copy.file() == null) {
              return Served.to(
                  redirect(
                      copy.permanent() ? StatusCodes.MOVED_PERMANENTLY : StatusCodes.FOUND,
                      original));
            }
            return new Served(media.get(), copy.file(), null);
          } catch (IOException | RuntimeException e) {
            if (e instanceof HttpError) {
              throw (HttpError) e;
            }
            LOG.warn(
                "a copy of media {} at width {} could not be made: {}", sha, width, e.toString());
            return Served.to(redirect(StatusCodes.FOUND, original));
          }
        },
        blocking);
  }

  private static HttpResponse redirect(
      org.apache.pekko.http.javadsl.model.StatusCode status, String path) {
    return HttpResponse.create()
        .withStatus(status)
        .addHeader(org.apache.pekko.http.javadsl.model.headers.Location.create(path))
        .addHeader(
            RawHeader.create(
                "Cache-Control",
                status == StatusCodes.FOUND ? "no-store" : "public, max-age=31536000, immutable"));
  }

  /** The headers every stored file and copy is served with. */
  private static List<HttpHeader> servedHeaders(MediaStore.Media m, boolean inline) {
    return List.of(
        RawHeader.create("Cache-Control", "public, max-age=31536000, immutable"),
        RawHeader.create("X-Content-Type-Options", "nosniff"),
        RawHeader.create("Content-Security-Policy", "default-src 'none'; sandbox"),
        RawHeader.create(
            "Content-Disposition",
            (inline ? "inline" : "attachment") + "; filename=\"" + m.filename() + "\""));
  }

  /** The stored file: its record read on the media dispatcher, its bytes by Pekko's file route. */
  private Route completeOrServe(String sha) {
    if (!MediaStore.isSha(sha)) {
      throw HttpError.notFound("no such media file");
    }
    CompletionStage<Optional<MediaStore.Media>> record =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return store.get(sha);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            },
            blocking);
    return onSuccess(
        record,
        media -> {
          if (media.isEmpty()) {
            throw HttpError.notFound("no such media file");
          }
          return served(sha, media.get());
        });
  }

  private Route served(String sha, MediaStore.Media m) {
    boolean inline =
        INLINE_TYPES.contains(m.contentType())
            || INLINE_PREFIXES.stream().anyMatch(p -> m.contentType().startsWith(p))
                && !m.contentType().equals("image/svg+xml");
    ContentType type =
        org.apache.pekko.http.javadsl.model.ContentTypes.parse(
            MediaStore.servedType(m.contentType()));
    return respondWithHeaders(
        servedHeaders(m, inline), () -> getFromFile(store.blob(sha).toFile(), type));
  }

  /**
   * An upload streams its body while its route runs, so it answers within {@code
   * quire.media.upload-max-duration} instead of the response deadline (20 s: a 64 MB file needed 26
   * Mbit/s to make it). The deadline is that plus {@code upload-timeout}, so that the upload's own
   * limits answer first (408, naming them) and the deadline's 503 only backs them.
   */
  @Override
  public Optional<Duration> responseDeadline(HttpRequest request) {
    return isUpload(request.method().name(), request.getUri().path())
        ? Optional.of(uploadMaxDuration.plus(uploadTimeout))
        : Optional.empty();
  }

  /**
   * Refuses upload limits that would refuse every upload (no slot, no time), naming the setting and
   * its value, before the gateway starts.
   */
  static void checkUploadLimits(com.typesafe.config.Config c) {
    ConfigChecks.atLeastOne(c, "quire.media.max-concurrent-uploads");
    for (String key : List.of("quire.media.upload-max-duration", "quire.media.upload-timeout")) {
      Duration d = c.getDuration(key);
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(key + " must be longer than 0, was " + d);
      }
    }
  }

  /** The editing page's upload: the file's Markdown in JSON, for its script to insert. */
  public static final String INSERT_PATH = "/admin/media/insert";

  /** An upload: a POST to the API's or the admin's media list, or from the editing page. */
  static boolean isUpload(String method, String path) {
    return method.equals("POST")
        && (path.equals("/api/v1/media")
            || path.equals("/api/v1/media/")
            || path.equals("/admin/media")
            || path.equals("/admin/media/")
            || path.equals(INSERT_PATH));
  }

  @Override
  public Optional<Route> apiRoutes(ModuleContext ctx) {
    Route upload =
        withSizeLimit(
            maxUpload,
            () ->
                parameterOptional(
                    "filename",
                    name ->
                        extractRequestEntity(
                            entity ->
                                completeWithFuture(
                                    upload(
                                            entity,
                                            name.orElse("file"),
                                            System.nanoTime() + uploadMaxDuration.toNanos())
                                        .thenApply(
                                            m ->
                                                JsonResponses.of(
                                                    json, StatusCodes.CREATED, view(m)))))));
    Route list =
        get(
            () ->
                parameterOptional(
                    "page",
                    page ->
                        parameterOptional(
                            "size", size -> completeWithFuture(list(listPage(page, size))))));
    return Optional.of(
        pathPrefix(
            "media",
            () ->
                concat(
                    pathEndOrSingleSlash(() -> concat(list, post(() -> upload))),
                    path(
                        PathMatchers.segment(),
                        sha ->
                            delete(
                                () ->
                                    ApiCaller.require(
                                        Role.Permission.PUBLISH,
                                        "delete media",
                                        c ->
                                            completeWithFuture(
                                                remove(sha)
                                                    .thenApply(
                                                        m ->
                                                            HttpResponse.create()
                                                                .withStatus(
                                                                    StatusCodes.NO_CONTENT)))))))));
  }

  /** Every role may list and upload files (the admin's media page too); deleting needs more. */
  @Override
  public java.util.Map<String, Role.Permission> apiAccess() {
    return java.util.Map.of("media", Role.Permission.WRITE_DRAFTS);
  }

  /**
   * The published posts and pages that show stored file {@code sha} (in their text or as their
   * cover), as the site has them now. Drafts and scheduled items are not on the site, so not here.
   */
  List<ItemView> usedBy(String sha) {
    if (site == null) {
      return List.of();
    }
    if (!site.ready()) {
      throw HttpError.unavailable(dev.quire.gateway.site.SiteState.STARTING);
    }
    String ref = "/media/" + sha + "/";
    List<ItemView> using = new java.util.ArrayList<>();
    var snap = site.snapshot();
    for (List<ItemView> items : List.of(snap.posts(), snap.pages())) {
      for (ItemView v : items) {
        if (v.html().contains(ref) || (v.coverImage() != null && v.coverImage().contains(ref))) {
          using.add(v);
        }
      }
    }
    return using;
  }

  /**
   * The items not on the site whose current text or cover uses stored file {@code sha}: drafts and
   * scheduled items, and archived ones, each newest update first (at most {@code
   * quire.media.users-named} of each), from the content role's read model. None without a content
   * role (a test).
   */
  CompletionStage<OffSite> offSiteUsers(String sha) {
    if (content == null || !MediaStore.isSha(sha)) {
      return CompletableFuture.completedFuture(new OffSite(List.of(), 0, List.of(), 0));
    }
    String ref = "/media/" + sha + "/";
    return content
        .referencing(
            ref,
            List.of(
                dev.quire.protocol.ContentStatus.DRAFT, dev.quire.protocol.ContentStatus.SCHEDULED),
            usersNamed)
        .thenCombine(
            content.referencing(
                ref, List.of(dev.quire.protocol.ContentStatus.ARCHIVED), usersNamed),
            (coming, archived) ->
                new OffSite(
                    coming.items(),
                    coming.total() - coming.items().size(),
                    archived.items(),
                    archived.total() - archived.items().size()));
  }

  /**
   * Whether stored file {@code sha} is the site's icon as pages show it (the admin's setting or the
   * configuration's): deleting it would leave every page and feed naming a missing file.
   */
  private boolean isSiteIcon(String sha, String storedIcon) {
    for (String icon :
        new String[] {
          siteSettings.get().icon(),
          siteSettings.configured().icon(),
          storedIcon == null ? "" : storedIcon
        }) {
      var m = dev.quire.protocol.SiteProfile.MEDIA_URL.matcher(icon);
      if (m.matches() && m.group(1).equals(sha)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The icon the site's settings hold now, asked of their entity (this gateway's copy may be a
   * refresh behind one just set on another); empty for none. Fails when the entity does not answer:
   * a delete then waits rather than take the icon's file.
   */
  private CompletionStage<String> storedIcon() {
    return dev.quire.gateway.content.Asks.on(
            org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(system)
                .entityRefFor(
                    dev.quire.protocol.ProfileCommand.ENTITY_KEY,
                    dev.quire.protocol.ProfileCommand.SITE)
                .<dev.quire.protocol.ProfileCommand.ProfileTable>ask(
                    r -> new dev.quire.protocol.ProfileCommand.Get(-1, r), askTimeout),
            system.executionContext())
        .thenApply(t -> t.profile().icon() == null ? "" : t.profile().icon())
        .exceptionally(
            e -> {
              throw HttpError.unavailable(
                  "the site's settings did not answer (is the site's icon this file?); try again");
            });
  }

  /**
   * Drafts and scheduled items that use a file ({@code coming}, and how many more than those named:
   * a delete waits for them all), and archived ones ({@code archived}, and how many more: told, not
   * waited for; one brought back shows a missing file).
   */
  record OffSite(
      List<dev.quire.protocol.ReadItem> coming,
      long moreComing,
      List<dev.quire.protocol.ReadItem> archived,
      long moreArchived) {

    boolean holdsBack() {
      return !coming.isEmpty() || moreComing > 0;
    }
  }

  /**
   * Deletes stored file {@code sha} and the copies made of it, unless a published item shows it or
   * a draft or scheduled item uses it (409 naming them: take it out of them first; archived items
   * do not hold it back). 404 when there is no such file. On the media dispatcher.
   */
  CompletionStage<MediaStore.Media> remove(String sha) {
    return offSiteUsers(sha)
        .thenCombine(storedIcon(), (offSite, icon) -> new Object[] {offSite, icon})
        .thenApplyAsync(p -> removeUnused(sha, (OffSite) p[0], (String) p[1]), blocking);
  }

  private MediaStore.Media removeUnused(String sha, OffSite offSite, String storedIcon) {
    try {
      Optional<MediaStore.Media> media = MediaStore.isSha(sha) ? store.get(sha) : Optional.empty();
      if (media.isEmpty()) {
        throw HttpError.notFound("no such media file");
      }
      List<ItemView> using = usedBy(sha);
      boolean icon = isSiteIcon(sha, storedIcon);
      if (!using.isEmpty() || offSite.holdsBack() || icon) {
        List<String> why = new java.util.ArrayList<>();
        if (icon) {
          why.add("it is the site's icon (settings: icon, /admin/settings/)");
        }
        if (!using.isEmpty()) {
          why.add(
              "shown by "
                  + using.size()
                  + " published item(s): "
                  + String.join(", ", using.stream().limit(5).map(ItemView::url).toList())
                  + (using.size() > 5 ? ", ..." : ""));
        }
        if (offSite.holdsBack()) {
          List<dev.quire.protocol.ReadItem> coming = offSite.coming();
          long all = coming.size() + offSite.moreComing();
          why.add(
              "used by "
                  + all
                  + " draft or scheduled item(s): "
                  + String.join(
                      ", ",
                      coming.stream()
                          .limit(5)
                          .map(i -> "'" + i.title() + "' (/admin/content/" + i.id() + "/)")
                          .toList())
                  + (all > 5 ? ", ..." : ""));
        }
        throw new HttpError(
            409, "in_use", "sha256", String.join("; ", why) + "; take it out of them first");
      }
      store.delete(sha);
      int copies = variants.forget(sha);
      LOG.info(
          "media {} ({}) deleted, with {} resized cop(ies)", sha, media.get().filename(), copies);
      return media.get();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  /**
   * Streams {@code entity} into the store; {@code deadline} ({@link System#nanoTime}) is when the
   * upload, counted from its request, must have arrived whole. At most {@code
   * quire.media.max-concurrent-uploads} are received at once, each holding one upload thread; one
   * more is refused at once (503 with Retry-After) rather than queued, where its time would run out
   * unread.
   */
  private CompletionStage<MediaStore.Media> upload(
      HttpEntity entity, String filename, long deadline) {
    if (!uploadSlots.tryAcquire()) {
      entity.discardBytes(materializer);
      return CompletableFuture.failedFuture(
          HttpError.unavailable(
              "the server is receiving quire.media.max-concurrent-uploads ("
                  + maxConcurrentUploads
                  + ") uploads already; try again shortly"));
    }
    InputStream in;
    try {
      in =
          entity
              .getDataBytes()
              .completionTimeout(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))
              .runWith(StreamConverters.asInputStream(uploadTimeout), materializer);
    } catch (RuntimeException | Error e) {
      uploadSlots.release();
      throw e;
    }
    String type = entity.getContentType().mediaType().toString();
    // A body of unknown length may be as long as the limit.
    long coming = entity.getContentLengthOption().orElse(maxUpload);
    return CompletableFuture.supplyAsync(
        () -> {
          try (in) {
            // Room kept for the site's database on a shared disk: media filling it would leave
            // every edit refused (503 store_failing) until room is made.
            long free = store.usableBytes();
            if (free >= 0 && free - Math.min(coming, maxUpload) < keepFree) {
              throw new HttpError(
                  507,
                  "storage_full",
                  "body",
                  "the server's disk has "
                      + MediaStore.megabytes(free)
                      + " free, and quire.media.keep-free keeps "
                      + MediaStore.megabytes(keepFree)
                      + " of it for the site's database; nothing was stored");
            }
            return store.put(in, type, filename, maxUpload);
          } catch (MediaStore.TooLarge e) {
            throw new HttpError(413, "too_large", "body", e.getMessage());
          } catch (MediaStore.Refused e) {
            throw new HttpError(422, "invalid", "file", e.getMessage());
          } catch (IOException e) {
            if (cause(e, org.apache.pekko.http.scaladsl.model.EntityStreamSizeException.class)) {
              // A body longer than it said, or chunked past the limit: cut off by the size limit
              // as it streamed in (this was a 500).
              throw new HttpError(
                  413,
                  "too_large",
                  "body",
                  new MediaStore.TooLarge(maxUpload).getMessage() + "; nothing was stored");
            }
            if (String.valueOf(e.getMessage()).contains("No space left on device")) {
              throw new HttpError(
                  507, "storage_full", "body", "the server's disk is full; nothing was stored");
            }
            if (timedOut(e)) {
              throw new HttpError(
                  408,
                  "timeout",
                  "body",
                  "the upload stalled for quire.media.upload-timeout ("
                      + uploadTimeout
                      + ") or took longer than quire.media.upload-max-duration ("
                      + uploadMaxDuration
                      + "); nothing was stored");
            }
            throw new UncheckedIOException(e);
          } finally {
            uploadSlots.release();
          }
        },
        uploads);
  }

  /** Whether {@code e}, or one of its causes, is a {@code type}. */
  private static boolean cause(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether reading an upload failed on one of its time limits: the whole upload's (the stream
   * fails with a TimeoutException) or a stall's (the stream's reader gives up waiting).
   */
  static boolean timedOut(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.util.concurrent.TimeoutException
          || t.getMessage() != null && t.getMessage().startsWith("Timeout on waiting")) {
        return true;
      }
    }
    return false;
  }

  /** A page of the API's media list: its number from 1 and how many a page holds. */
  record ListPage(int page, int size) {}

  /**
   * The page {@code GET /media?page=&size=} asks for; null for the whole list, when it names
   * neither (as before paging). A page number or size out of range is a 400 naming it.
   */
  ListPage listPage(Optional<String> page, Optional<String> size) {
    if (page.isEmpty() && size.isEmpty()) {
      return null;
    }
    int s = size.map(v -> HttpError.wholeNumber("size", v, 1, apiMaxPageSize)).orElse(apiPageSize);
    int p =
        page.map(v -> HttpError.wholeNumber("page", v, 1, Integer.MAX_VALUE / apiMaxPageSize))
            .orElse(1);
    return new ListPage(p, s);
  }

  /** The stored files, oldest first: all of them, or one page ({@code page} not null). */
  private CompletionStage<HttpResponse> list(ListPage page) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            List<MediaStore.Media> all = store.list();
            if (page == null) {
              List<Map<String, Object>> items = all.stream().map(MediaModule::view).toList();
              return JsonResponses.of(
                  json, StatusCodes.OK, Map.of("items", items, "total", items.size()));
            }
            List<Map<String, Object>> items =
                all.stream()
                    .skip((long) (page.page() - 1) * page.size())
                    .limit(page.size())
                    .map(MediaModule::view)
                    .toList();
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("items", items);
            out.put("page", page.page());
            out.put("size", page.size());
            out.put("total", all.size());
            return JsonResponses.of(json, StatusCodes.OK, out);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        },
        blocking);
  }

  // ---------------------------------------------------------------- admin

  @Override
  public List<Admin.Link> adminLinks() {
    return List.of(new Admin.Link("Media", "/admin/media/", Role.Permission.WRITE_DRAFTS));
  }

  /**
   * {@code /admin/media/}: the stored files, newest first, {@code quire.media.admin-page-size} a
   * page ({@code ?page=}), with the Markdown that shows each, and an upload form. The upload is
   * multipart: its first part must be the form's CSRF token, checked before the file is read; the
   * file streams to the store as the API's upload does, within the same size limit.
   */
  @Override
  public Optional<Route> adminRoutes(ModuleContext ctx, Admin admin) {
    return Optional.of(
        pathPrefix(
            "media",
            () ->
                concat(
                    pathPrefix("delete", () -> pathEndOrSingleSlash(() -> adminDelete(admin))),
                    path("insert", () -> adminInsert(admin)),
                    adminList(admin))));
  }

  /** A multipart upload form, bounded to the largest upload and its form's other fields. */
  private Route uploadForm(
      java.util.function.Function<org.apache.pekko.http.javadsl.model.Multipart.FormData, Route>
          inner) {
    return withSizeLimit(
        maxUpload + FORM_OVERHEAD_BYTES,
        () -> entity(Unmarshaller.entityToMultipartFormData(), inner));
  }

  /**
   * {@code POST /admin/media/insert}: an upload from the editing page (a file chosen, dropped or
   * pasted into the body), as the media page's form sends it (its first part the CSRF token), for
   * anyone who may write drafts. Answers JSON, for the page's script: 201 with the stored file and
   * the Markdown that shows it, or the error (403 for a form of another session, 400, 408, 413, 503
   * as for the API's uploads) as {@code {"error": {"code", "field", "message"}}}.
   */
  private Route adminInsert(Admin admin) {
    return post(
        () ->
            admin.signedIn(
                Role.Permission.WRITE_DRAFTS,
                e ->
                    uploadForm(
                        form ->
                            completeWithFuture(
                                checkedUpload(
                                        e,
                                        form,
                                        (m, sent) -> {
                                          Map<String, Object> v = view(m);
                                          v.put("markdown", markdown(m));
                                          return JsonResponses.of(json, StatusCodes.CREATED, v);
                                        },
                                        () ->
                                            jsonError(
                                                new HttpError(
                                                    403,
                                                    "forbidden",
                                                    "_csrf",
                                                    "this upload did not come from your"
                                                        + " current session: reload the"
                                                        + " page")))
                                    .exceptionally(
                                        failure -> {
                                          if (dev.quire.gateway.content.Asks.unwrap(failure)
                                              instanceof HttpError h) {
                                            return jsonError(h);
                                          }
                                          throw failure
                                                  instanceof
                                                  java.util.concurrent.CompletionException c
                                              ? c
                                              : new java.util.concurrent.CompletionException(
                                                  failure);
                                        })))));
  }

  private HttpResponse jsonError(HttpError h) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("code", h.code());
    error.put("field", h.field());
    error.put("message", h.getMessage());
    return JsonResponses.of(json, StatusCodes.get(h.status()), Map.of("error", error));
  }

  /** The Markdown that shows a stored file: an image (alt text to write), or a link to it. */
  static String markdown(MediaStore.Media m) {
    return (m.contentType().startsWith("image/") ? "![](" : "[" + m.filename() + "](")
        + m.url()
        + ")";
  }

  /**
   * {@code /admin/media/delete/}: GET {@code ?sha256=} asks to confirm (or says which published
   * items show the file, which must let go of it first); the POST of that form deletes it. Needs
   * the right to publish: a file may be on the site.
   */
  private Route adminDelete(Admin admin) {
    return admin.signedIn(
        Role.Permission.PUBLISH,
        e ->
            concat(
                get(
                    () ->
                        parameter(
                            "sha256",
                            sha -> completeWithFuture(adminConfirm(admin, e, sha, null)))),
                post(
                    () ->
                        admin.form(
                            e,
                            fields ->
                                completeWithFuture(
                                    remove(fields.getOrDefault("sha256", ""))
                                        .handle(
                                            (m, failure) ->
                                                failure == null
                                                    ? CompletableFuture.completedFuture(
                                                        admin.seeOther(
                                                            "/admin/media/?deleted="
                                                                + java.net.URLEncoder.encode(
                                                                    m.filename(),
                                                                    java.nio.charset
                                                                        .StandardCharsets.UTF_8)))
                                                    : adminConfirm(
                                                        admin,
                                                        e,
                                                        fields.getOrDefault("sha256", ""),
                                                        refusal(failure)))
                                        .thenCompose(page -> page))))));
  }

  /**
   * A refused delete (in use, or gone meanwhile), to show on the confirmation page; any other
   * failure (the disk) is thrown on, to the error page with a 500, not shown as a refusal.
   */
  private static HttpError refusal(Throwable failure) {
    if (dev.quire.gateway.content.Asks.unwrap(failure) instanceof HttpError h
        && (h.status() == 409 || h.status() == 404)) {
      return h;
    }
    throw failure instanceof java.util.concurrent.CompletionException c
        ? c
        : new java.util.concurrent.CompletionException(failure);
  }

  /** The confirmation page; {@code failure}, when a delete was refused, says why on it. */
  private CompletionStage<HttpResponse> adminConfirm(
      Admin admin, Admin.Editor e, String sha, HttpError failure) {
    return offSiteUsers(sha)
        .thenCombineAsync(
            historyUsers(sha),
            (offSite, history) -> adminConfirmPage(admin, e, sha, failure, offSite, history),
            blocking);
  }

  /**
   * The items whose older revisions use stored file {@code sha} while their current text does not
   * (at most {@code quire.media.users-named}): a revert to such a revision would show a missing
   * file once it is deleted. Null when the content role could not say (the page then says so), as
   * an older content node that does not know the question answers nothing.
   */
  private CompletionStage<dev.quire.protocol.ContentQuery.Page> historyUsers(String sha) {
    if (content == null || !MediaStore.isSha(sha)) {
      return CompletableFuture.completedFuture(
          new dev.quire.protocol.ContentQuery.Page(List.of(), 1, usersNamed, 0));
    }
    return content
        .referencedBefore("/media/" + sha + "/", usersNamed)
        .exceptionally(
            t -> {
              LOG.warn("could not ask which older revisions use {}: {}", sha, t.toString());
              return null;
            });
  }

  private HttpResponse adminConfirmPage(
      Admin admin,
      Admin.Editor e,
      String sha,
      HttpError failure,
      OffSite offSite,
      dev.quire.protocol.ContentQuery.Page history) {
    Optional<MediaStore.Media> media;
    try {
      media = MediaStore.isSha(sha) ? store.get(sha) : Optional.empty();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    if (media.isEmpty()) {
      return admin.page(
          e,
          StatusCodes.NOT_FOUND,
          "admin/message.peb",
          Map.of("heading", "No such file", "message", "There is no stored file " + sha + "."));
    }
    Map<String, Object> vars = new LinkedHashMap<>(view(media.get()));
    vars.put("image", media.get().contentType().startsWith("image/"));
    vars.put(
        "usedBy",
        usedBy(sha).stream().map(v -> Map.of("title", v.title(), "url", v.url())).toList());
    vars.put("comingBy", offSite.coming().stream().map(MediaModule::adminLink).toList());
    vars.put("moreComing", offSite.moreComing());
    vars.put("siteIcon", isSiteIcon(sha, null));
    vars.put("archivedBy", offSite.archived().stream().map(MediaModule::adminLink).toList());
    vars.put("moreArchived", offSite.moreArchived());
    vars.put("historyKnown", history != null);
    vars.put(
        "historyBy",
        history == null
            ? List.of()
            : history.items().stream().map(i -> adminLink(i, "history")).toList());
    vars.put("moreHistory", history == null ? 0 : history.total() - history.items().size());
    if (failure != null) {
      vars.put("error", failure.getMessage());
    }
    return admin.page(
        e, failure == null ? StatusCodes.OK : StatusCodes.CONFLICT, "media/delete.peb", vars);
  }

  /** An item not on the site as the confirmation page names it: its title, state and edit page. */
  private static Map<String, String> adminLink(dev.quire.protocol.ReadItem i) {
    return adminLink(i, "");
  }

  /** The same, linking to {@code page} of the item's admin pages ("": its edit page). */
  private static Map<String, String> adminLink(dev.quire.protocol.ReadItem i, String page) {
    return Map.of(
        "title",
        i.title(),
        "status",
        i.status().id(),
        "url",
        "/admin/content/" + i.id() + "/" + page);
  }

  private Route adminList(Admin admin) {
    return pathEndOrSingleSlash(
        () ->
            admin.signedIn(
                Role.Permission.WRITE_DRAFTS,
                e ->
                    concat(
                        get(
                            () ->
                                parameterOptional(
                                    "done",
                                    done ->
                                        parameterOptional(
                                            "deleted",
                                            deleted ->
                                                parameterOptional(
                                                    "page",
                                                    page ->
                                                        completeWithFuture(
                                                            adminPage(
                                                                admin,
                                                                e,
                                                                done.map(d -> "Uploaded: " + d)
                                                                    .or(
                                                                        () ->
                                                                            deleted.map(
                                                                                d ->
                                                                                    "Deleted: "
                                                                                        + d))
                                                                    .orElse(null),
                                                                HttpError.pageNumber(
                                                                    "page", page.orElse("1")))))))),
                        post(
                            () ->
                                uploadForm(
                                    form -> completeWithFuture(adminUpload(admin, e, form)))))));
  }

  private CompletionStage<HttpResponse> adminPage(
      Admin admin, Admin.Editor e, String notice, int page) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            List<MediaStore.Media> all = store.list();
            int pages = Math.max(1, (all.size() + adminPageSize - 1) / adminPageSize);
            List<Map<String, Object>> items =
                all.stream()
                    .sorted(java.util.Comparator.comparing(MediaStore.Media::createdAt).reversed())
                    .skip((long) (page - 1) * adminPageSize)
                    .limit(adminPageSize)
                    .map(
                        m -> {
                          Map<String, Object> v = view(m);
                          v.put("image", m.contentType().startsWith("image/"));
                          v.put("markdown", markdown(m));
                          return v;
                        })
                    .toList();
            Map<String, Object> vars = new LinkedHashMap<>();
            vars.put("items", items);
            vars.put("page", page);
            vars.put("pages", pages);
            vars.put("total", all.size());
            vars.put("maxUploadMb", maxUpload / (1024 * 1024));
            vars.put("mayDelete", e.may(Role.Permission.PUBLISH));
            if (notice != null) {
              vars.put("notice", notice);
            }
            return admin.page(e, StatusCodes.OK, "media/admin.peb", vars);
          } catch (IOException ex) {
            throw new UncheckedIOException(ex);
          }
        },
        blocking);
  }

  private CompletionStage<HttpResponse> adminUpload(
      Admin admin, Admin.Editor e, Multipart.FormData form) {
    return checkedUpload(
        e,
        form,
        (m, sent) ->
            admin.seeOther(
                "/admin/media/?done="
                    + java.net.URLEncoder.encode(
                        MediaStore.safeName(sent), java.nio.charset.StandardCharsets.UTF_8)),
        () -> refused(admin, e));
  }

  /**
   * An admin's multipart upload: its first part must be the form's CSRF token, checked before the
   * file is read (else {@code refused}); then its {@code file} part is stored, within the upload's
   * limits, and {@code stored} answers, given the file and the name it was sent with.
   */
  private CompletionStage<HttpResponse> checkedUpload(
      Admin.Editor e,
      Multipart.FormData form,
      java.util.function.BiFunction<MediaStore.Media, String, HttpResponse> stored,
      java.util.function.Supplier<HttpResponse> refused) {
    // The whole form, the parts before the file included, within upload-max-duration.
    long deadline = System.nanoTime() + uploadMaxDuration.toNanos();
    return form.getParts()
        .prefixAndTail(1)
        .runWith(org.apache.pekko.stream.javadsl.Sink.head(), materializer)
        .thenCompose(
            first -> {
              Multipart.FormData.BodyPart token =
                  first.first().isEmpty() ? null : first.first().get(0);
              if (token == null || !"_csrf".equals(token.getName())) {
                first.second().runWith(org.apache.pekko.stream.javadsl.Sink.ignore(), materializer);
                return CompletableFuture.completedFuture(refused.get());
              }
              return token
                  .getEntity()
                  .toStrict(uploadTimeout.toMillis(), materializer)
                  .thenCompose(
                      strict -> {
                        String sent = strict.getData().utf8String();
                        if (!Admin.csrfMatches(e, sent)) {
                          first
                              .second()
                              .runWith(org.apache.pekko.stream.javadsl.Sink.ignore(), materializer);
                          return CompletableFuture.completedFuture(refused.get());
                        }
                        return first
                            .second()
                            .filter(p -> "file".equals(p.getName()))
                            .runWith(
                                org.apache.pekko.stream.javadsl.Sink.headOption(), materializer)
                            .thenCompose(
                                file -> {
                                  if (file.isEmpty()
                                      || file.get().getFilename().orElse("").isEmpty()) {
                                    throw HttpError.badRequest("file", "choose a file to upload");
                                  }
                                  Multipart.FormData.BodyPart part = file.get();
                                  return upload(
                                          part.getEntity(), part.getFilename().get(), deadline)
                                      .thenApply(m -> stored.apply(m, part.getFilename().get()));
                                });
                      });
            });
  }

  private static HttpResponse refused(Admin admin, Admin.Editor e) {
    return admin.uploadRefused(e, "/admin/media/");
  }

  private static Map<String, Object> view(MediaStore.Media m) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("sha256", m.sha256());
    v.put("size", m.size());
    v.put("contentType", m.contentType());
    v.put("filename", m.filename());
    v.put("createdAt", m.createdAt());
    v.put("url", m.url());
    return v;
  }
}
