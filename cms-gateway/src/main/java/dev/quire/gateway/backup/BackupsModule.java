package dev.quire.gateway.backup;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.entity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.getFromFile;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.respondWithHeaders;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import dev.quire.gateway.api.ApiJson;
import dev.quire.gateway.http.HttpError;
import dev.quire.gateway.http.JsonResponses;
import dev.quire.gateway.media.MediaModule;
import dev.quire.gateway.module.Admin;
import dev.quire.gateway.module.ApiCaller;
import dev.quire.gateway.module.CmsModule;
import dev.quire.gateway.module.ModuleContext;
import dev.quire.protocol.Role;
import java.io.IOException;
import java.io.UncheckedIOException;
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
          "home-page");

  private Backups backups;
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
            c.getInt("quire.gateway.backups.keep"),
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
    Duration staleAfter = c.getDuration("quire.gateway.backups.stale-after");
    CompletableFuture.runAsync(
        () -> {
          try {
            backups.sweep(staleAfter);
          } catch (IOException e) {
            LOG.warn("backups: could not sweep unfinished ones: {}", e.toString());
          }
        },
        blocking);
    Duration every = c.getDuration("quire.gateway.backups.every");
    if (!every.isZero() && !every.isNegative()) {
      ctx.system()
          .scheduler()
          .scheduleAtFixedRate(every, every, () -> backups.scheduled(withUsers), blocking);
      LOG.info("a backup is made every {}", every);
    }
  }

  /** The settings a bundle carries: those the site's pages show now, and its address and zone. */
  private static Map<String, String> settings(ModuleContext ctx) {
    Map<String, String> all = new LinkedHashMap<>(ctx.settings().get().profileSettings());
    all.put("base-url", ctx.config().getString("quire.site.base-url"));
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
    return Optional.of(pathPrefix("backups", () -> concat(list, file, one)));
  }

  private HttpResponse listJson() throws IOException {
    List<Map<String, Object>> items = backups.list().stream().map(this::view).toList();
    return JsonResponses.of(json, StatusCodes.OK, Map.of("items", items, "total", items.size()));
  }

  private HttpResponse startFromApi(ApiCaller caller, String body) throws IOException {
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
              if (!FIELDS.contains(f)) {
                throw HttpError.badRequest(f, "unknown field '" + f + "'");
              }
            });
    boolean history = Optional.ofNullable(ApiJson.bool(n, "history", "")).orElse(true);
    boolean users = Optional.ofNullable(ApiJson.bool(n, "users", "")).orElse(withUsers);
    Backups.Job job = started(backups.start(caller.actor(), history, users));
    return JsonResponses.of(json, StatusCodes.ACCEPTED, view(job))
        .addHeader(RawHeader.create("Location", "/api/v1/backups/" + job.name()));
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

  /** A backup as the API shows it. */
  private Map<String, Object> view(Backups.Job j) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("name", j.name());
    v.put("state", j.state());
    if (j.running()) {
      v.put("phase", j.phase());
      v.put("done", j.done());
      v.put("total", j.total());
    }
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
                            path(PathMatchers.segment(), this::download)))));
  }

  private HttpResponse listPage(Admin admin, Admin.Editor e, String notice, String error)
      throws IOException {
    List<Backups.Job> all = backups.list();
    Map<String, Object> vars = new LinkedHashMap<>();
    vars.put("backups", all.stream().map(this::row).toList());
    vars.put("running", all.stream().anyMatch(Backups.Job::running));
    vars.put("dir", backups.dir().toString());
    vars.put("withUsers", withUsers);
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
