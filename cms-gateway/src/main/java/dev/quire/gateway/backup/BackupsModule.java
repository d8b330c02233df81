package dev.quire.gateway.backup;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.entity;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.getFromFile;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.respondWithHeaders;
import static org.apache.pekko.http.javadsl.server.Directives.withSizeLimit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import dev.quire.bundle.BundleWriter;
import dev.quire.gateway.api.ApiJson;
import dev.quire.gateway.http.HttpError;
import dev.quire.gateway.http.JsonResponses;
import dev.quire.gateway.media.MediaModule;
import dev.quire.gateway.media.MediaStore;
import dev.quire.gateway.module.Admin;
import dev.quire.gateway.module.ApiCaller;
import dev.quire.gateway.module.CmsModule;
import dev.quire.gateway.module.ModuleContext;
import dev.quire.protocol.Role;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * Backups of the running site, without stopping it: {@code /api/v1/backups} starts one, follows it,
 * lists, downloads and deletes them; {@code /admin/backups/} does the same for admins; {@code quire
 * bundle export --server} is a client of the API. Each backup is a bundle file ({@code
 * bundle-format}), as {@code quire bundle export} writes from a stopped site, so {@code quire
 * bundle import} restores it. Made by {@link SiteBackup} on the blocking dispatcher, kept by {@link
 * Backups} under {@code quire.gateway.backups.dir}.
 */
public final class BackupsModule implements CmsModule {

  private static final List<String> FIELDS = List.of("history", "users");

  /** The settings a bundle carries, in the order {@code quire bundle export} writes them. */
  private static final List<String> SETTINGS =
      List.of(
          "title",
          "description",
          "base-url",
          "language",
          "author",
          "time-zone",
          "home-posts",
          "page-size",
          "home-page",
          "icon");

  private Backups backups;
  private Imports imports;
  private long importMax;
  private Duration importStall;
  private Duration importMaxDuration;
  private org.apache.pekko.stream.Materializer materializer;
  private ObjectMapper json;
  private scala.concurrent.ExecutionContextExecutor blocking;
  private ZoneId zone;

  /**
   * Whether backups carry the admin's accounts unless asked otherwise ({@code
   * quire.gateway.backups.with-users}): the schedule's always, the API's and the admin's form's by
   * default.
   */
  private boolean withUsers;

  @Override
  public String id() {
    return "backups";
  }

  @Override
  public void start(ModuleContext ctx) {
    Config c = ctx.config();
    this.json = ctx.json();
    this.zone = ctx.zone();
    this.withUsers = c.getBoolean("quire.gateway.backups.with-users");
    this.blocking =
        ctx.system()
            .dispatchers()
            .lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking());
    SiteBackup site =
        new SiteBackup(
            ctx.content(),
            MediaModule.store(c),
            ctx.system(),
            c.getDuration("quire.gateway.ask-timeout"),
            c.getInt("quire.gateway.backups.id-page"),
            c.getDuration("quire.gateway.backups.unavailable-wait"));
    this.backups =
        new Backups(
            Path.of(c.getString("quire.gateway.backups.dir")),
            keep(c),
            Clock.systemUTC(),
            blocking,
            (file, history, users, progress) ->
                site.write(
                    file,
                    history,
                    users,
                    settings(ctx),
                    BundleMapping.CREATED_BY,
                    progress,
                    w -> LOG.warn("backup: {}", w)));
    startImports(ctx);
    Duration staleAfter = c.getDuration("quire.gateway.backups.stale-after");
    CompletableFuture.runAsync(
        () -> {
          try {
            backups.sweep(staleAfter);
            sweepUploads(staleAfter);
          } catch (IOException e) {
            LOG.warn("backups: could not sweep unfinished ones: {}", e.toString());
          }
        },
        blocking);
    Duration every = c.getDuration("quire.gateway.backups.every");
    Duration least = c.getDuration("quire.gateway.backups.every-at-least");
    if (every.isNegative() || !every.isZero() && every.compareTo(least) < 0) {
      // 1ms made them back to back, the log filling with "skipped: one is being made".
      throw new IllegalArgumentException(
          "quire.gateway.backups.every (QUIRE_BACKUP_EVERY) must be 0s (only when asked) or at"
              + " least "
              + least.toSeconds()
              + " s (quire.gateway.backups.every-at-least), was "
              + c.getString("quire.gateway.backups.every"));
    }
    if (!every.isZero()) {
      ctx.system()
          .scheduler()
          .scheduleAtFixedRate(every, every, () -> backups.scheduled(withUsers), blocking);
      LOG.info("a backup is made every {}", every);
    }
  }

  /** quire.gateway.backups.keep: 0 (all) or more. */
  private static int keep(com.typesafe.config.Config c) {
    int keep = c.getInt("quire.gateway.backups.keep");
    if (keep < 0) {
      throw new IllegalArgumentException(
          "quire.gateway.backups.keep (QUIRE_BACKUP_KEEP) must be 0 (keep every backup) or more,"
              + " was "
              + keep);
    }
    return keep;
  }

  /**
   * Imports into this running site: each verified, then planned and written through protocol
   * messages ({@link ProtocolImportSite}), recorded as who asked; media into this node's store.
   */
  private void startImports(ModuleContext ctx) {
    Config c = ctx.config();
    this.importMax = c.getBytes("quire.gateway.imports.max-bytes");
    if (importMax < 1) {
      throw new IllegalArgumentException(
          "quire.gateway.imports.max-bytes must be at least 1 byte, was " + importMax);
    }
    dev.quire.protocol.ConfigChecks.atLeastOne(c, "quire.gateway.imports.remembered");
    this.importStall = c.getDuration("quire.gateway.imports.upload-timeout");
    this.importMaxDuration = c.getDuration("quire.gateway.imports.upload-max-duration");
    for (String key :
        List.of(
            "quire.gateway.imports.upload-timeout", "quire.gateway.imports.upload-max-duration")) {
      if (c.getDuration(key).isZero() || c.getDuration(key).isNegative()) {
        throw new IllegalArgumentException(
            key + " must be longer than 0, was " + c.getDuration(key));
      }
    }
    dev.quire.protocol.ConfigChecks.atLeastOne(c, "quire.gateway.imports.parallelism");
    this.materializer = org.apache.pekko.stream.Materializer.createMaterializer(ctx.system());
    Duration askTimeout = c.getDuration("quire.gateway.imports.ask-timeout");
    BundleImport.Settings limits =
        BundleImport.Settings.of(
            c,
            c.getInt("quire.gateway.imports.parallelism"),
            askTimeout,
            dev.quire.protocol.ConfigChecks.atLeastOneLong(
                c, "quire.gateway.imports.max-held-chars"),
            c.getBytes("quire.gateway.imports.max-history-bytes"),
            false,
            "policy");
    MediaStore store = MediaModule.store(c);
    ImportLease.init(ctx.system(), Imports.ABANDONED_AFTER);
    this.imports =
        new Imports(
            Clock.systemUTC(),
            blocking,
            (file, policy, users, by, progress, writing) -> {
              try (dev.quire.bundle.BundleReader bundle =
                  dev.quire.bundle.BundleReader.open(file, dev.quire.bundle.Limits.DEFAULT)) {
                bundle.verify((phase, done, total) -> progress.at("verifying", done, total));
                ProtocolImportSite site = new ProtocolImportSite(ctx.system(), askTimeout, by);
                BundleImport importer =
                    new BundleImport(site, site, store, c, limits, Clock.systemUTC(), progress);
                try {
                  return importer.run(bundle, policy, users);
                } catch (Exception e) {
                  if (importer.writing()) {
                    writing.run();
                  }
                  throw e;
                }
              }
            },
            c.getInt("quire.gateway.imports.remembered"),
            Path.of(c.getString("quire.gateway.backups.dir")).resolve("imports"),
            ImportLease.sharded(ctx.system(), askTimeout));
  }

  /**
   * An import's upload streams its body while the route runs: it answers within {@code
   * quire.gateway.imports.upload-max-duration}, not the response deadline.
   */
  @Override
  public Optional<Duration> responseDeadline(org.apache.pekko.http.javadsl.model.HttpRequest r) {
    String path = r.getUri().path();
    return r.method().name().equals("POST")
            && (path.equals("/api/v1/imports")
                || path.equals("/api/v1/imports/")
                || path.equals(UPLOAD_PATH))
        ? Optional.of(importMaxDuration.plus(importStall))
        : Optional.empty();
  }

  /** The admin's upload of a bundle to import. */
  static final String UPLOAD_PATH = "/admin/backups/import";

  /** The settings a bundle carries: those the site's pages show now, and its address and zone. */
  private static Map<String, String> settings(ModuleContext ctx) {
    Map<String, String> all = new LinkedHashMap<>(ctx.settings().get().profileSettings());
    if (dev.quire.gateway.site.SiteSettings.baseUrlSet(ctx.config())) {
      // Not a default or an address made up for a trial run: see SiteSettings.baseUrlSet.
      all.put("base-url", ctx.config().getString("quire.site.base-url"));
    }
    all.put("time-zone", ctx.config().getString("quire.site.time-zone"));
    Map<String, String> out = new LinkedHashMap<>();
    for (String key : SETTINGS) {
      if (all.get(key) != null) {
        out.put(key, all.get(key));
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- API

  @Override
  public Optional<Route> apiRoutes(ModuleContext ctx) {
    Route list =
        pathEndOrSingleSlash(
            () ->
                concat(
                    get(() -> completeWithFuture(io(() -> listJson()))),
                    post(
                        () ->
                            entity(
                                Unmarshaller.entityToString(),
                                body ->
                                    ApiCaller.of(
                                        c ->
                                            completeWithFuture(
                                                io(() -> startFromApi(c, body))))))));
    Route file = path(PathMatchers.segment().slash("file"), this::download);
    Route one =
        path(
            PathMatchers.segment(),
            name ->
                concat(
                    get(
                        () ->
                            completeWithFuture(
                                io(
                                    () ->
                                        JsonResponses.of(
                                            json, StatusCodes.OK, view(found(name)))))),
                    delete(() -> completeWithFuture(io(() -> deleteFromApi(name))))));
    Route restore =
        path(
            PathMatchers.segment().slash("restore"),
            name ->
                post(
                    () ->
                        entity(
                            Unmarshaller.entityToString(),
                            body ->
                                ApiCaller.of(
                                    c ->
                                        completeWithFuture(
                                            io(() -> restoreFromApi(c, name, body)))))));
    Route importList =
        pathEndOrSingleSlash(
            () ->
                concat(
                    get(
                        () ->
                            completeWithFuture(
                                io(
                                    () ->
                                        JsonResponses.of(
                                            json,
                                            StatusCodes.OK,
                                            Map.of(
                                                "items",
                                                imports.list().stream()
                                                    .map(this::importView)
                                                    .toList(),
                                                "maxBytes",
                                                importMax))))),
                    post(
                        () ->
                            withSizeLimit(
                                importMax,
                                () ->
                                    parameterOptional(
                                        "policy",
                                        policy ->
                                            parameterOptional(
                                                "users",
                                                users ->
                                                    parameterOptional(
                                                        "filename",
                                                        filename ->
                                                            extractRequestEntity(
                                                                entity ->
                                                                    ApiCaller.of(
                                                                        c ->
                                                                            completeWithFuture(
                                                                                uploadFromApi(
                                                                                    c, entity,
                                                                                    policy, users,
                                                                                    filename)))))))))));
    Route importOne =
        path(
            PathMatchers.segment(),
            id ->
                get(
                    () ->
                        completeWithFuture(
                            io(
                                () ->
                                    JsonResponses.of(
                                        json,
                                        StatusCodes.OK,
                                        importView(
                                            imports
                                                .get(id)
                                                .orElseThrow(
                                                    () ->
                                                        HttpError.notFound(
                                                            "no import "
                                                                + id
                                                                + " on this gateway"))))))));
    return Optional.of(
        concat(
            pathPrefix("backups", () -> concat(list, restore, file, one)),
            pathPrefix("imports", () -> concat(importList, importOne))));
  }

  // ---------------------------------------------------------------- imports

  /**
   * {@code fail} (the default), {@code skip} or {@code overwrite}; else 400 naming {@code field}.
   */
  private static BundleImport.Policy policy(Optional<String> value, String field) {
    String v = value.orElse("fail").trim();
    return switch (v) {
      case "fail" -> BundleImport.Policy.FAIL;
      case "skip" -> BundleImport.Policy.SKIP;
      case "overwrite" -> BundleImport.Policy.OVERWRITE;
      default ->
          throw HttpError.badRequest(
              field, "must be fail, skip or overwrite, was '" + clip(v) + "'");
    };
  }

  /** {@code true} or {@code false} (default {@code false}); else 400 naming {@code field}. */
  private static boolean users(Optional<String> value, String field) {
    String v = value.orElse("false").trim();
    if (v.equals("true") || v.equals("false")) {
      return v.equals("true");
    }
    throw HttpError.badRequest(field, "must be true or false, was '" + clip(v) + "'");
  }

  private HttpError busy() {
    return new HttpError(
        409,
        "busy",
        "",
        "an import is running on this gateway: "
            + imports.running().map(Imports.Job::id).orElse("")
            + "; start another once it is done");
  }

  /** {@code POST /api/v1/backups/<name>/restore}: imports one of the site's finished backups. */
  private HttpResponse restoreFromApi(ApiCaller caller, String name, String body)
      throws IOException {
    JsonNode n = jsonObject(body, List.of("policy", "users"));
    JsonNode p = n.get("policy");
    if (p != null && !p.isTextual()) {
      throw HttpError.badRequest("policy", "must be fail, skip or overwrite");
    }
    BundleImport.Policy policy = policy(Optional.ofNullable(p).map(JsonNode::asText), "policy");
    boolean users = Optional.ofNullable(ApiJson.bool(n, "users", "")).orElse(false);
    Imports.Job job = restore(name, policy, users, caller.actor());
    return JsonResponses.of(json, StatusCodes.ACCEPTED, importView(job))
        .addHeader(RawHeader.create("Location", "/api/v1/imports/" + job.id()));
  }

  /** Starts importing a finished backup of this site's; 404 for none, 409 while one runs. */
  private Imports.Job restore(String name, BundleImport.Policy policy, boolean users, String by)
      throws IOException {
    Optional<Path> file =
        Backups.NAME.matcher(name).matches() ? backups.file(name) : Optional.empty();
    if (file.isEmpty()) {
      throw HttpError.notFound("no finished backup " + clip(name));
    }
    return imports
        .start(file.get(), false, "backup " + name, policy, users, by)
        .orElseThrow(this::busy);
  }

  /** {@code POST /api/v1/imports}: the body is a bundle, spooled to disk, then imported. */
  private CompletionStage<HttpResponse> uploadFromApi(
      ApiCaller caller,
      org.apache.pekko.http.javadsl.model.HttpEntity entity,
      Optional<String> policyParam,
      Optional<String> usersParam,
      Optional<String> filename) {
    BundleImport.Policy policy;
    boolean users;
    try {
      policy = policy(policyParam, "policy");
      users = users(usersParam, "users");
      if (imports.running().isPresent()) {
        throw busy();
      }
    } catch (HttpError e) {
      entity.discardBytes(materializer);
      return CompletableFuture.failedFuture(e);
    }
    String source = "upload " + filename.map(BackupsModule::clip).orElse("(unnamed)");
    return spool(entity.getDataBytes())
        .thenApply(
            file -> {
              Optional<Imports.Job> job =
                  imports.start(file, true, source, policy, users, caller.actor());
              if (job.isEmpty()) {
                deleteQuietly(file);
                throw busy();
              }
              return JsonResponses.of(json, StatusCodes.ACCEPTED, importView(job.get()))
                  .addHeader(RawHeader.create("Location", "/api/v1/imports/" + job.get().id()));
            });
  }

  /**
   * Writes an upload's bytes to an owner-only file in the backups directory, within {@code
   * quire.gateway.imports.max-bytes} and its time limits; a refused or broken upload leaves no
   * file.
   */
  private CompletionStage<Path> spool(
      org.apache.pekko.stream.javadsl.Source<org.apache.pekko.util.ByteString, ?> bytes) {
    // One upload at a time per gateway, besides the import that runs: the disk holds at most two
    // bundles' worth of uploads, not one per client that tries.
    if (!receiving.compareAndSet(false, true)) {
      bytes.runWith(org.apache.pekko.stream.javadsl.Sink.ignore(), materializer);
      return CompletableFuture.failedFuture(
          new HttpError(
              409,
              "busy",
              "",
              "this gateway is receiving another bundle; send this one once that import runs"));
    }
    CompletionStage<Path> made =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                Backups.ownersOnly(backups.dir());
                Path file =
                    backups.dir().resolve(UPLOAD_PREFIX + java.util.UUID.randomUUID() + ".quire");
                BundleWriter.ownerOnly(file).close();
                return file;
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            },
            blocking);
    CompletionStage<Path> written =
        made.thenCompose(
            file ->
                bytes
                    .limitWeighted(importMax, b -> (long) b.size())
                    .idleTimeout(importStall)
                    .completionTimeout(importMaxDuration)
                    .runWith(
                        org.apache.pekko.stream.javadsl.FileIO.toPath(
                            file,
                            java.util.Set.of(
                                java.nio.file.StandardOpenOption.WRITE,
                                java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)),
                        materializer)
                    .handleAsync(
                        (done, failure) -> {
                          if (failure == null) {
                            return file;
                          }
                          deleteQuietly(file);
                          throw uploadFailure(failure);
                        },
                        blocking));
    made.exceptionally(
        e -> {
          // No file to write to: the bytes are read and dropped, so the connection stays usable.
          bytes.runWith(org.apache.pekko.stream.javadsl.Sink.ignore(), materializer);
          return null;
        });
    return written.whenComplete((file, failure) -> receiving.set(false));
  }

  /** What an upload that broke off answers: 413 past the limit, 408 past a time limit. */
  private RuntimeException uploadFailure(Throwable failure) {
    Throwable t = failure;
    while (t.getCause() != null && !(t instanceof HttpError)) {
      if (tooLarge(t) || t instanceof java.util.concurrent.TimeoutException) {
        break;
      }
      t = t.getCause();
    }
    if (tooLarge(t)) {
      return new HttpError(
          413,
          "too_large",
          "body",
          "the bundle is larger than quire.gateway.imports.max-bytes ("
              + importMax
              + " bytes); nothing was imported");
    }
    if (t instanceof java.util.concurrent.TimeoutException) {
      return new HttpError(
          408,
          "timeout",
          "body",
          "the upload stalled for quire.gateway.imports.upload-timeout ("
              + importStall
              + ") or took longer than quire.gateway.imports.upload-max-duration ("
              + importMaxDuration
              + "); nothing was imported");
    }
    return failure instanceof java.util.concurrent.CompletionException c
        ? c
        : new java.util.concurrent.CompletionException(failure);
  }

  /** Whether this gateway is receiving an upload now. */
  private final java.util.concurrent.atomic.AtomicBoolean receiving =
      new java.util.concurrent.atomic.AtomicBoolean();

  /** How an upload's file in the backups directory is named, then a random UUID and ".quire". */
  static final String UPLOAD_PREFIX = ".upload-";

  /**
   * Deletes uploads a gateway stopped mid-way left (killed while receiving or importing), once
   * untouched for {@code staleAfter}: none is anyone's any more.
   */
  private void sweepUploads(Duration staleAfter) throws IOException {
    if (!Files.isDirectory(backups.dir())) {
      return;
    }
    java.time.Instant before = java.time.Instant.now().minus(staleAfter);
    try (var files = Files.newDirectoryStream(backups.dir(), UPLOAD_PREFIX + "*.quire")) {
      for (Path f : files) {
        if (Files.getLastModifiedTime(f).toInstant().isBefore(before)) {
          LOG.info("deleting {}, an upload a stopped import left", f.getFileName());
          Files.deleteIfExists(f);
        }
      }
    }
  }

  private static boolean tooLarge(Throwable t) {
    return t instanceof org.apache.pekko.stream.StreamLimitReachedException
        || t instanceof org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
  }

  /** A value from a request, as a message may quote it: short, without control characters. */
  static String clip(String v) {
    String clean = v.replaceAll("\\p{Cntrl}", "?");
    return clean.length() <= MAX_QUOTED ? clean : clean.substring(0, MAX_QUOTED) + "...";
  }

  private static final int MAX_QUOTED = 60;

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.warn("could not delete {}: {}", file, e.toString());
    }
  }

  /** An import as the API shows it. */
  private Map<String, Object> importView(Imports.Job j) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("id", j.id());
    v.put("state", j.state());
    progress(v, j.running(), j.phase(), j.done(), j.total());
    v.put("source", j.source());
    v.put("policy", j.policy().name().toLowerCase(java.util.Locale.ROOT));
    v.put("users", j.users());
    v.put("by", j.by());
    v.put("startedAt", j.startedAt());
    v.put("endedAt", j.endedAt());
    BundleImport.Summary s = j.summary();
    if (s != null) {
      Map<String, Object> sum = new LinkedHashMap<>();
      sum.put("created", s.created());
      sum.put("overwritten", s.overwritten());
      sum.put("skipped", s.skipped());
      sum.put("unchanged", s.unchanged());
      sum.put("mediaAdded", s.mediaAdded());
      sum.put("mediaBytesAdded", s.mediaBytesAdded());
      sum.put("mediaPresent", s.mediaPresent());
      sum.put("redirectsAdded", s.redirectsAdded());
      sum.put("redirectsKept", s.redirectsKept());
      sum.put("settings", s.settings());
      v.put("summary", sum);
      v.put("notes", s.notes());
      v.put("failures", s.failures());
    }
    v.put("reasons", j.reasons());
    v.put("message", j.message());
    v.put("wrote", j.wrote());
    v.put("location", "/api/v1/imports/" + j.id());
    return v;
  }

  private HttpResponse listJson() throws IOException {
    List<Map<String, Object>> items = backups.list().stream().map(this::view).toList();
    return JsonResponses.of(json, StatusCodes.OK, Map.of("items", items, "total", items.size()));
  }

  private HttpResponse startFromApi(ApiCaller caller, String body) throws IOException {
    JsonNode n = jsonObject(body, FIELDS);
    boolean history = Optional.ofNullable(ApiJson.bool(n, "history", "")).orElse(true);
    boolean users = Optional.ofNullable(ApiJson.bool(n, "users", "")).orElse(withUsers);
    Backups.Job job = started(backups.start(caller.actor(), history, users));
    return JsonResponses.of(json, StatusCodes.ACCEPTED, view(job))
        .addHeader(RawHeader.create("Location", "/api/v1/backups/" + job.name()));
  }

  /** A request's JSON object (an empty body: {}), refusing fields other than {@code known}. */
  private JsonNode jsonObject(String body, List<String> known) {
    JsonNode n;
    try {
      n = body.isBlank() ? json.createObjectNode() : json.readTree(body);
    } catch (Exception e) {
      throw HttpError.badRequest("", "the body is not valid JSON");
    }
    if (n == null || !n.isObject()) {
      throw HttpError.badRequest("", "the body must be a JSON object");
    }
    n.fieldNames()
        .forEachRemaining(
            f -> {
              if (!known.contains(f)) {
                throw HttpError.badRequest(f, "unknown field '" + f + "'");
              }
            });
    return n;
  }

  private Backups.Job started(Optional<Backups.Job> job) {
    return job.orElseThrow(
        () ->
            new HttpError(
                409,
                "busy",
                "",
                "a backup is being made: "
                    + backups.running().map(Backups.Job::name).orElse("")
                    + "; start another once it is done"));
  }

  private HttpResponse deleteFromApi(String name) throws IOException {
    try {
      if (!backups.delete(name)) {
        throw HttpError.notFound("no backup " + name);
      }
    } catch (IllegalStateException e) {
      throw new HttpError(409, "running", "", e.getMessage() + "; delete it once it is done");
    }
    return HttpResponse.create().withStatus(StatusCodes.NO_CONTENT);
  }

  private Backups.Job found(String name) throws IOException {
    return backups.get(name).orElseThrow(() -> HttpError.notFound("no backup " + name));
  }

  /**
   * A finished backup's bytes, as an attachment; 404 while it is being made or when there is none.
   */
  private Route download(String name) {
    return get(
        () ->
            onSuccess(
                io(() -> backups.file(name)),
                file -> {
                  if (file.isEmpty()) {
                    throw HttpError.notFound("no finished backup " + name);
                  }
                  return respondWithHeaders(
                      List.of(
                          RawHeader.create(
                              "Content-Disposition", "attachment; filename=\"" + name + "\""),
                          RawHeader.create("Cache-Control", "no-store"),
                          RawHeader.create("X-Content-Type-Options", "nosniff")),
                      () ->
                          getFromFile(
                              file.get().toFile(),
                              ContentTypes.create(MediaTypes.APPLICATION_ZIP)));
                }));
  }

  /** A running job's phase with how far it has come, as the API shows backups and imports. */
  private static void progress(
      Map<String, Object> v, boolean running, String phase, long done, long total) {
    if (running) {
      v.put("phase", phase);
      v.put("done", done);
      v.put("total", total);
    }
  }

  /** A backup as the API shows it. */
  private Map<String, Object> view(Backups.Job j) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("name", j.name());
    v.put("state", j.state());
    progress(v, j.running(), j.phase(), j.done(), j.total());
    v.put("history", j.history());
    v.put("users", j.users());
    v.put("by", j.by());
    v.put("startedAt", j.startedAt());
    v.put("endedAt", j.endedAt());
    if ("complete".equals(j.state())) {
      v.put("size", j.size());
      v.put("counts", j.counts());
      v.put("file", "/api/v1/backups/" + j.name() + "/file");
    }
    v.put("message", j.message());
    return v;
  }

  // ---------------------------------------------------------------- admin

  @Override
  public List<Admin.Link> adminLinks() {
    return List.of(new Admin.Link("Backups", "/admin/backups/", Role.Permission.MANAGE_SITE));
  }

  /**
   * {@code /admin/backups/}: the backups with a form to make one; {@code <name>} downloads one,
   * {@code <name>/delete} asks to confirm and its POST deletes it. Admins only: a backup holds
   * every draft and the site's whole history.
   */
  @Override
  public Optional<Route> adminRoutes(ModuleContext ctx, Admin admin) {
    return Optional.of(
        pathPrefix(
            "backups",
            () ->
                admin.signedIn(
                    Role.Permission.MANAGE_SITE,
                    e ->
                        concat(
                            pathEndOrSingleSlash(
                                () ->
                                    concat(
                                        get(
                                            () ->
                                                parameterOptional(
                                                    "deleted",
                                                    deleted ->
                                                        completeWithFuture(
                                                            io(
                                                                () ->
                                                                    listPage(
                                                                        admin,
                                                                        e,
                                                                        deleted
                                                                            .filter(
                                                                                d ->
                                                                                    Backups.NAME
                                                                                        .matcher(d)
                                                                                        .matches())
                                                                            .map(
                                                                                d -> "Deleted " + d)
                                                                            .orElse(null),
                                                                        null))))),
                                        post(
                                            () ->
                                                admin.form(
                                                    e,
                                                    f ->
                                                        completeWithFuture(
                                                            io(
                                                                () ->
                                                                    startFromForm(
                                                                        admin, e, f))))))),
                            path(
                                PathMatchers.segment().slash("delete"),
                                name ->
                                    concat(
                                        get(
                                            () ->
                                                completeWithFuture(
                                                    io(() -> confirmPage(admin, e, name)))),
                                        post(
                                            () ->
                                                admin.form(
                                                    e,
                                                    f ->
                                                        completeWithFuture(
                                                            io(
                                                                () ->
                                                                    deleteFromForm(
                                                                        admin, e, name))))))),
                            path(
                                "import",
                                () ->
                                    post(
                                        () ->
                                            withSizeLimit(
                                                importMax,
                                                () ->
                                                    entity(
                                                        Unmarshaller.entityToMultipartFormData(),
                                                        form ->
                                                            completeWithFuture(
                                                                uploadFromForm(admin, e, form)))))),
                            path(
                                PathMatchers.segment("imports").slash(PathMatchers.segment()),
                                id ->
                                    get(
                                        () ->
                                            completeWithFuture(
                                                io(() -> importPage(admin, e, id))))),
                            path(
                                PathMatchers.segment().slash("restore"),
                                name ->
                                    concat(
                                        get(
                                            () ->
                                                completeWithFuture(
                                                    io(() -> restorePage(admin, e, name)))),
                                        post(
                                            () ->
                                                admin.form(
                                                    e,
                                                    f ->
                                                        completeWithFuture(
                                                            io(
                                                                () ->
                                                                    restoreFromForm(
                                                                        admin, e, name, f))))))),
                            path(PathMatchers.segment(), this::download)))));
  }

  /** The form to import one of the backups into this site. */
  private HttpResponse restorePage(Admin admin, Admin.Editor e, String name) throws IOException {
    Optional<Backups.Job> job =
        Backups.NAME.matcher(name).matches() ? backups.get(name) : Optional.empty();
    if (job.isEmpty() || !"complete".equals(job.get().state())) {
      return noSuchBackup(admin, e, clip(name));
    }
    Map<String, Object> vars = new LinkedHashMap<>();
    vars.put("backup", row(job.get()));
    imports.running().ifPresent(r -> vars.put("busy", r.id()));
    return admin.page(e, StatusCodes.OK, "backups/restore.peb", vars);
  }

  private HttpResponse restoreFromForm(
      Admin admin, Admin.Editor e, String name, Map<String, String> f) throws IOException {
    BundleImport.Policy policy;
    try {
      policy = policy(Optional.ofNullable(f.get("policy")), "policy");
    } catch (HttpError bad) {
      return listPage(admin, e, null, "Choose how to treat what the site already has.");
    }
    boolean users = "on".equals(f.get("users")) || "true".equals(f.get("users"));
    try {
      Imports.Job job = restore(name, policy, users, e.username());
      return admin.seeOther("/admin/backups/imports/" + job.id());
    } catch (HttpError err) {
      if (err.status() == 404) {
        return noSuchBackup(admin, e, clip(name));
      }
      return listPage(admin, e, null, err.getMessage());
    }
  }

  /**
   * The admin's upload of a bundle: a multipart form whose {@code _csrf}, {@code policy} and {@code
   * users} come before its {@code file}, which is read only once the token matched, and spooled to
   * disk as the API's is.
   */
  private CompletionStage<HttpResponse> uploadFromForm(
      Admin admin, Admin.Editor e, org.apache.pekko.http.javadsl.model.Multipart.FormData form) {
    Map<String, String> fields = new java.util.concurrent.ConcurrentHashMap<>();
    Path[] spooled = {null};
    String[] sent = {null};
    int[] seen = {0};
    return form.getParts()
        .mapAsync(
            1,
            part -> {
              seen[0]++;
              boolean first = seen[0] == 1;
              if (first != "_csrf".equals(part.getName())
                  || seen[0] > MAX_FORM_PARTS
                  || !FORM_PARTS.contains(part.getName())) {
                // The token comes first, once; a part this form does not have is not read.
                part.getEntity().discardBytes(materializer);
                return CompletableFuture.completedFuture(false);
              }
              if (!"file".equals(part.getName())) {
                return part.getEntity()
                    .getDataBytes()
                    .limitWeighted(MAX_FORM_FIELD, b -> (long) b.size())
                    .runFold(
                        org.apache.pekko.util.ByteString.emptyByteString(),
                        org.apache.pekko.util.ByteString::concat,
                        materializer)
                    .thenApply(
                        b -> {
                          fields.putIfAbsent(part.getName(), b.utf8String());
                          return true;
                        });
              }
              if (spooled[0] != null || !Admin.csrfMatches(e, fields.getOrDefault("_csrf", ""))) {
                part.getEntity().discardBytes(materializer);
                return CompletableFuture.completedFuture(false);
              }
              if (imports.running().isPresent()) {
                part.getEntity().discardBytes(materializer);
                throw busy();
              }
              sent[0] = part.getFilename().orElse("");
              return spool(part.getEntity().getDataBytes())
                  .thenApply(
                      file -> {
                        spooled[0] = file;
                        return true;
                      });
            })
        .runWith(org.apache.pekko.stream.javadsl.Sink.ignore(), materializer)
        .<CompletionStage<HttpResponse>>handle(
            (done, failure) -> {
              if (failure != null) {
                if (spooled[0] != null) {
                  deleteQuietly(spooled[0]);
                }
                Throwable t =
                    failure instanceof java.util.concurrent.CompletionException c
                            && c.getCause() != null
                        ? c.getCause()
                        : failure;
                String why = t instanceof HttpError h ? h.getMessage() : "the upload broke off";
                return io(() -> listPage(admin, e, null, "Nothing was imported: " + why + "."));
              }
              if (!Admin.csrfMatches(e, fields.getOrDefault("_csrf", ""))) {
                return CompletableFuture.completedFuture(admin.uploadRefused(e, "/admin/backups/"));
              }
              if (spooled[0] == null || sent[0] == null || sent[0].isEmpty()) {
                if (spooled[0] != null) {
                  deleteQuietly(spooled[0]);
                }
                return io(() -> listPage(admin, e, null, "Choose a bundle file to import."));
              }
              BundleImport.Policy policy;
              try {
                policy = policy(Optional.ofNullable(fields.get("policy")), "policy");
              } catch (HttpError bad) {
                deleteQuietly(spooled[0]);
                return io(
                    () ->
                        listPage(admin, e, null, "Choose how to treat what the site already has."));
              }
              boolean users =
                  "on".equals(fields.get("users")) || "true".equals(fields.get("users"));
              // Started off the stream's thread: the job's file is written as it starts.
              return io(
                  () -> {
                    Optional<Imports.Job> job =
                        imports.start(
                            spooled[0],
                            true,
                            "upload " + clip(sent[0]),
                            policy,
                            users,
                            e.username());
                    if (job.isEmpty()) {
                      deleteQuietly(spooled[0]);
                      return listPage(admin, e, null, busy().getMessage());
                    }
                    return admin.seeOther("/admin/backups/imports/" + job.get().id());
                  });
            })
        .thenCompose(r -> r);
  }

  /** The bytes one field of the upload form (beside its file) may have. */
  private static final long MAX_FORM_FIELD = 4096;

  /** The upload form's parts: its token first, its choices, its file. */
  private static final java.util.Set<String> FORM_PARTS =
      java.util.Set.of("_csrf", "policy", "users", "file");

  /** Parts an upload form may have before the rest is discarded unread. */
  private static final int MAX_FORM_PARTS = 8;

  /** An import as the admin shows it: its state, then what it wrote or why it wrote nothing. */
  private HttpResponse importPage(Admin admin, Admin.Editor e, String id) {
    Optional<Imports.Job> job = imports.get(id);
    if (job.isEmpty()) {
      return admin.page(
          e,
          StatusCodes.NOT_FOUND,
          "admin/message.peb",
          Map.of(
              "heading",
              "No such import",
              "message",
              "There is no import " + clip(id) + " among the latest.",
              "back",
              "/admin/backups/"));
    }
    Map<String, Object> vars = new LinkedHashMap<>(importView(job.get()));
    vars.put("startedAtShown", Admin.shownTime(job.get().startedAt(), zone));
    vars.put("running", job.get().running());
    return admin.page(e, StatusCodes.OK, "backups/import.peb", Map.of("job", vars));
  }

  private HttpResponse listPage(Admin admin, Admin.Editor e, String notice, String error)
      throws IOException {
    List<Backups.Job> all = backups.list();
    Map<String, Object> vars = new LinkedHashMap<>();
    vars.put("backups", all.stream().map(this::row).toList());
    vars.put("running", all.stream().anyMatch(Backups.Job::running));
    vars.put("dir", backups.dir().toString());
    vars.put("withUsers", withUsers);
    vars.put(
        "imports",
        imports.list().stream()
            .map(
                j -> {
                  Map<String, Object> r = new LinkedHashMap<>();
                  r.put("id", j.id());
                  r.put("state", j.state());
                  r.put("source", j.source());
                  r.put("by", j.by() == null ? "" : j.by());
                  r.put("startedAt", Admin.timeAttribute(j.startedAt()));
                  r.put("startedAtShown", Admin.shownTime(j.startedAt(), zone));
                  return r;
                })
            .toList());
    vars.put("importing", imports.running().isPresent());
    vars.put("maxImport", megabytes(importMax));
    vars.put("maxImportBytes", importMax);
    if (notice != null) {
      vars.put("notice", notice);
    }
    if (error != null) {
      vars.put("error", error);
    }
    return admin.page(
        e, error == null ? StatusCodes.OK : StatusCodes.CONFLICT, "backups/admin.peb", vars);
  }

  private HttpResponse startFromForm(Admin admin, Admin.Editor e, Map<String, String> f)
      throws IOException {
    boolean history = "on".equals(f.get("history")) || "true".equals(f.get("history"));
    boolean users = "on".equals(f.get("users")) || "true".equals(f.get("users"));
    Optional<Backups.Job> job = backups.start(e.username(), history, users);
    if (job.isEmpty()) {
      return listPage(
          admin,
          e,
          null,
          "A backup is being made ("
              + backups.running().map(Backups.Job::name).orElse("")
              + "): start another once it is done.");
    }
    return admin.seeOther("/admin/backups/");
  }

  private HttpResponse confirmPage(Admin admin, Admin.Editor e, String name) throws IOException {
    Optional<Backups.Job> job = backups.get(name);
    if (job.isEmpty()) {
      return noSuchBackup(admin, e, name);
    }
    return admin.page(e, StatusCodes.OK, "backups/delete.peb", Map.of("backup", row(job.get())));
  }

  private HttpResponse deleteFromForm(Admin admin, Admin.Editor e, String name) throws IOException {
    try {
      if (!backups.delete(name)) {
        return noSuchBackup(admin, e, name);
      }
    } catch (IllegalStateException ex) {
      return listPage(admin, e, null, "It is being made: delete it once it is done.");
    }
    LOG.info("backup {} deleted by {}", name, e.username());
    return admin.seeOther("/admin/backups/?deleted=" + name);
  }

  private HttpResponse noSuchBackup(Admin admin, Admin.Editor e, String name) {
    return admin.page(
        e,
        StatusCodes.NOT_FOUND,
        "admin/message.peb",
        Map.of("heading", "No such backup", "message", "There is no backup " + name + "."));
  }

  /** A backup as the admin's list shows it. */
  private Map<String, Object> row(Backups.Job j) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("name", j.name());
    v.put("state", j.state());
    v.put("phase", j.phase() == null ? "" : j.phase());
    v.put("done", j.done());
    v.put("total", j.total());
    v.put("by", j.by() == null ? "" : j.by());
    v.put("history", j.history());
    v.put("users", j.users());
    v.put("startedAt", Admin.timeAttribute(j.startedAt()));
    v.put("startedAtShown", Admin.shownTime(j.startedAt(), zone));
    v.put("size", megabytes(j.size()));
    v.put("items", j.counts() == null ? "" : j.counts().items());
    v.put("media", j.counts() == null ? "" : j.counts().media());
    v.put("message", j.message() == null ? "" : j.message());
    return v;
  }

  private static String megabytes(long bytes) {
    return String.format(java.util.Locale.ROOT, "%.1f MB", bytes / 1e6);
  }

  /** File and directory work, off the route's thread. */
  private <T> CompletionStage<T> io(IoWork<T> work) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return work.get();
          } catch (IOException ex) {
            throw new UncheckedIOException(ex);
          }
        },
        blocking);
  }

  private interface IoWork<T> {
    T get() throws IOException;
  }

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(BackupsModule.class);
}
