package dev.quire.gateway.crawl;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.entity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quire.gateway.api.ApiJson;
import dev.quire.gateway.content.Asks;
import dev.quire.gateway.http.HttpError;
import dev.quire.gateway.http.JsonResponses;
import dev.quire.gateway.module.ApiCaller;
import dev.quire.gateway.module.CmsModule;
import dev.quire.gateway.module.ModuleContext;
import dev.quire.protocol.CrawlJobCommand;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * {@code /api/v1/crawls}: start a site audit (with citation checks if asked), follow it, read its
 * report, cancel it. The jobs are journaled by the crawler role ({@code CrawlJobs}); this module
 * only asks.
 */
public final class CrawlsModule implements CmsModule {

  private static final List<String> FIELDS = List.of("url", "maxPages", "verifyCitations");

  private ActorSystem<?> system;
  private ObjectMapper json;
  private Duration timeout;

  @Override
  public String id() {
    return "crawls";
  }

  /** The site's zone, for the times admin pages show. */
  private java.time.ZoneId zone;

  @Override
  public void start(ModuleContext ctx) {
    this.system = ctx.system();
    this.zone = ctx.zone();
    this.json = ctx.json();
    this.timeout = ctx.config().getDuration("quire.gateway.ask-timeout");
  }

  @Override
  public Optional<Route> apiRoutes(ModuleContext ctx) {
    Route list =
        pathEndOrSingleSlash(
            () ->
                concat(
                    get(
                        () ->
                            completeWithFuture(
                                this.<CrawlJobCommand.Jobs>ask(
                                    CrawlJobCommand.ListJobs::new, this::jobs))),
                    post(
                        () ->
                            entity(
                                Unmarshaller.entityToString(),
                                body -> ApiCaller.of(c -> completeWithFuture(start(c, body)))))));
    Route one =
        path(
            PathMatchers.segment(),
            id ->
                get(
                    () ->
                        completeWithFuture(
                            this.<CrawlJobCommand.Job>ask(
                                r -> new CrawlJobCommand.Get(id, r),
                                j -> job(j, StatusCodes.OK)))));
    Route cancel =
        path(
            PathMatchers.segment().slash("cancel"),
            id ->
                post(
                    () ->
                        ApiCaller.of(
                            c ->
                                completeWithFuture(
                                    this.<CrawlJobCommand.Job>ask(
                                        r -> new CrawlJobCommand.Cancel(id, c.actor(), r),
                                        j -> job(j, StatusCodes.OK))))));
    return Optional.of(pathPrefix("crawls", () -> concat(list, cancel, one)));
  }

  private CompletionStage<HttpResponse> start(ApiCaller caller, String body) {
    JsonNode n;
    try {
      n = body.isBlank() ? json.createObjectNode() : json.readTree(body);
    } catch (Exception e) {
      throw HttpError.badRequest("", "the body is not valid JSON");
    }
    if (!n.isObject()) {
      throw HttpError.badRequest("", "the body must be a JSON object");
    }
    n.fieldNames()
        .forEachRemaining(
            f -> {
              if (!FIELDS.contains(f)) {
                throw HttpError.badRequest(f, "unknown field '" + f + "'");
              }
            });
    // Taken as sent: "ten" or 4294967297 pages were once read as 0 (the maximum) and 1.
    String url = Objects.requireNonNullElse(ApiJson.text(n, "url", ""), "");
    int maxPages = Objects.requireNonNullElse(ApiJson.whole(n, "maxPages", ""), 0);
    boolean citations = Objects.requireNonNullElse(ApiJson.bool(n, "verifyCitations", ""), false);
    return this.<CrawlJobCommand.Job>ask(
        r -> new CrawlJobCommand.Start(url, maxPages, citations, caller.actor(), r),
        j -> job(j, StatusCodes.ACCEPTED));
  }

  // ---------------------------------------------------------------- admin

  @Override
  public List<dev.quire.gateway.module.Admin.Link> adminLinks() {
    return List.of(
        new dev.quire.gateway.module.Admin.Link(
            "Site audit", "/admin/audits/", dev.quire.protocol.Role.Permission.PUBLISH));
  }

  /**
   * {@code /admin/audits/}: the audits run so far (newest first) with a form to start one, and each
   * audit's report: findings, most severe first, and the citations checked. Editors and admins.
   */
  @Override
  public Optional<Route> adminRoutes(ModuleContext ctx, dev.quire.gateway.module.Admin admin) {
    String base = ctx.config().getString("quire.site.base-url");
    int defaultPages = ctx.config().getInt("quire.gateway.audits.default-max-pages");
    return Optional.of(
        pathPrefix(
            "audits",
            () ->
                admin.signedIn(
                    dev.quire.protocol.Role.Permission.PUBLISH,
                    e ->
                        concat(
                            pathEndOrSingleSlash(
                                () ->
                                    concat(
                                        get(
                                            () ->
                                                completeWithFuture(
                                                    listPage(admin, e, base, defaultPages, null))),
                                        post(
                                            () ->
                                                admin.form(
                                                    e,
                                                    f ->
                                                        completeWithFuture(
                                                            startFromForm(
                                                                admin,
                                                                e,
                                                                f,
                                                                base,
                                                                defaultPages)))))),
                            path(
                                PathMatchers.segment().slash("cancel"),
                                id ->
                                    post(
                                        () ->
                                            admin.form(
                                                e,
                                                f ->
                                                    completeWithFuture(
                                                        this.<CrawlJobCommand.Job>askJob(
                                                                r ->
                                                                    new CrawlJobCommand.Cancel(
                                                                        id, e.username(), r))
                                                            .thenApply(
                                                                j ->
                                                                    admin.seeOther(
                                                                        "/admin/audits/"
                                                                            + j.id())))))),
                            path(
                                PathMatchers.segment(),
                                id ->
                                    get(
                                        () ->
                                            completeWithFuture(
                                                this.<CrawlJobCommand.Job>askJob(
                                                        r -> new CrawlJobCommand.Get(id, r))
                                                    .thenApply(j -> jobPage(admin, e, j)))))))));
  }

  private CompletionStage<HttpResponse> listPage(
      dev.quire.gateway.module.Admin admin,
      dev.quire.gateway.module.Admin.Editor e,
      String base,
      int defaultPages,
      String error) {
    return this.<CrawlJobCommand.Jobs>askJob(CrawlJobCommand.ListJobs::new)
        .thenApply(
            jobs -> {
              List<Map<String, Object>> items = new java.util.ArrayList<>();
              jobs.items().stream()
                  .sorted(
                      java.util.Comparator.comparing(
                              CrawlJobCommand.Job::queuedAt,
                              java.util.Comparator.nullsLast(java.util.Comparator.naturalOrder()))
                          .reversed())
                  .forEach(j -> items.add(summary(j)));
              Map<String, Object> vars = new LinkedHashMap<>();
              vars.put("jobs", items);
              vars.put("base", base);
              vars.put("maxPages", defaultPages);
              if (error != null) {
                vars.put("error", error);
              }
              return admin.page(
                  e,
                  error == null ? StatusCodes.OK : StatusCodes.BAD_REQUEST,
                  "crawls/admin.peb",
                  vars);
            });
  }

  private CompletionStage<HttpResponse> startFromForm(
      dev.quire.gateway.module.Admin admin,
      dev.quire.gateway.module.Admin.Editor e,
      Map<String, String> f,
      String base,
      int defaultPages) {
    String url = f.getOrDefault("url", "").strip();
    int pages;
    try {
      pages = Integer.parseInt(f.getOrDefault("maxPages", String.valueOf(defaultPages)).strip());
    } catch (NumberFormatException ex) {
      return listPage(admin, e, base, defaultPages, "Pages: must be a whole number.");
    }
    boolean citations =
        "on".equals(f.get("verifyCitations")) || "true".equals(f.get("verifyCitations"));
    // The crawler's own guard lets the start address through whatever it is: an editor may start
    // only at this site, so the admin cannot be used to make the server fetch an inner address
    // (the API's token, and an admin here, may start anywhere).
    if (!e.may(dev.quire.protocol.Role.Permission.MANAGE_USERS) && !sameOrigin(url, base)) {
      return listPage(
          admin, e, base, defaultPages, "An editor audits this site only: start at " + base + ".");
    }
    return this.<CrawlJobCommand.Job>askJob(
            r -> new CrawlJobCommand.Start(url, pages, citations, e.username(), r))
        .thenCompose(
            j ->
                j.error() != null
                    ? listPage(admin, e, base, defaultPages, j.message())
                    : java.util.concurrent.CompletableFuture.completedFuture(
                        admin.seeOther("/admin/audits/" + j.id())));
  }

  private Map<String, Object> summary(CrawlJobCommand.Job j) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("id", j.id());
    v.put("state", j.state());
    v.put("url", j.url());
    v.put("pages", j.pages());
    v.put("checks", j.checks());
    v.put("queuedAt", dev.quire.gateway.module.Admin.timeAttribute(j.queuedAt()));
    v.put("queuedAtShown", dev.quire.gateway.module.Admin.shownTime(j.queuedAt(), zone));
    v.put("errors", j.counts() == null ? 0 : j.counts().getOrDefault("error", 0L));
    v.put("warnings", j.counts() == null ? 0 : j.counts().getOrDefault("warning", 0L));
    v.put("verifyCitations", j.verifyCitations());
    v.put("message", j.message() == null ? "" : j.message());
    return v;
  }

  @SuppressWarnings("unchecked")
  private HttpResponse jobPage(
      dev.quire.gateway.module.Admin admin,
      dev.quire.gateway.module.Admin.Editor e,
      CrawlJobCommand.Job j) {
    if ("not_found".equals(j.error())) {
      throw HttpError.notFound("There is no audit " + j.id() + ".");
    }
    Map<String, Object> vars = new LinkedHashMap<>();
    vars.put("job", summary(j));
    vars.put("running", "queued".equals(j.state()) || "running".equals(j.state()));
    Map<String, Object> report = Map.of();
    if (j.report() != null) {
      try {
        report = json.readValue(j.report(), Map.class);
      } catch (Exception ex) {
        throw new IllegalStateException("a stored report is not JSON", ex);
      }
    }
    vars.put(
        "findings",
        linked((List<Map<String, Object>>) report.getOrDefault("findings", List.of()), "page"));
    vars.put(
        "citations",
        linked(
            linked((List<Map<String, Object>>) report.getOrDefault("citations", List.of()), "post"),
            "source"));
    vars.put("omittedFindings", report.getOrDefault("omittedFindings", 0));
    vars.put("omittedCitations", report.getOrDefault("omittedCitations", 0));
    vars.put("finished", j.report() != null);
    return admin.page(e, StatusCodes.OK, "crawls/admin-job.peb", vars);
  }

  /** Whether {@code url} is on the same scheme, host and port as {@code base}. */
  static boolean sameOrigin(String url, String base) {
    try {
      java.net.URI u = new java.net.URI(url);
      java.net.URI b = new java.net.URI(base);
      return u.getScheme() != null
          && u.getScheme().equalsIgnoreCase(b.getScheme())
          && u.getHost() != null
          && u.getHost().equalsIgnoreCase(b.getHost())
          && u.getPort() == b.getPort()
          && u.getRawUserInfo() == null;
    } catch (java.net.URISyntaxException ex) {
      return false;
    }
  }

  /**
   * Each row with {@code <key>Link} true when its address may be a link (http or https): a report
   * quotes addresses found on pages, and a {@code javascript:} one is shown as text, never linked.
   */
  private static List<Map<String, Object>> linked(List<Map<String, Object>> rows, String key) {
    List<Map<String, Object>> out = new java.util.ArrayList<>();
    for (Map<String, Object> row : rows) {
      Map<String, Object> r = new LinkedHashMap<>(row);
      String url = String.valueOf(row.getOrDefault(key, ""));
      r.putIfAbsent(key, "");
      r.put(key + "Link", url.startsWith("https://") || url.startsWith("http://"));
      out.add(r);
    }
    return out;
  }

  private <T> CompletionStage<T> askJob(Function<ActorRef<T>, CrawlJobCommand> make) {
    return Asks.unavailableOnTimeout(
        Asks.on(jobs().<T>ask(make::apply, timeout), system.executionContext()), "the crawler");
  }

  private <T> CompletionStage<HttpResponse> ask(
      Function<ActorRef<T>, CrawlJobCommand> make, Function<T, HttpResponse> answer) {
    return Asks.unavailableOnTimeout(
            Asks.on(jobs().<T>ask(make::apply, timeout), system.executionContext()), "the crawler")
        .thenApply(answer);
  }

  private EntityRef<CrawlJobCommand> jobs() {
    return ClusterSharding.get(system)
        .entityRefFor(CrawlJobCommand.ENTITY_KEY, CrawlJobCommand.SITE);
  }

  private HttpResponse jobs(CrawlJobCommand.Jobs jobs) {
    List<Map<String, Object>> items = jobs.items().stream().map(this::view).toList();
    return JsonResponses.of(json, StatusCodes.OK, Map.of("items", items, "total", items.size()));
  }

  private HttpResponse job(
      CrawlJobCommand.Job j, org.apache.pekko.http.javadsl.model.StatusCode ok) {
    if ("not_found".equals(j.error())) {
      throw HttpError.notFound("no crawl " + j.id());
    }
    if ("busy".equals(j.error())) {
      throw new HttpError(429, "busy", "", j.message());
    }
    if ("invalid".equals(j.error())) {
      String m = j.message() == null ? "invalid" : j.message();
      int colon = m.indexOf(':');
      throw HttpError.badRequest(
          colon > 0 ? m.substring(0, colon) : "", colon > 0 ? m.substring(colon + 1).strip() : m);
    }
    return JsonResponses.of(json, ok, view(j));
  }

  private Map<String, Object> view(CrawlJobCommand.Job j) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("id", j.id());
    v.put("state", j.state());
    v.put("url", j.url());
    v.put("maxPages", j.maxPages());
    v.put("verifyCitations", j.verifyCitations());
    v.put("queuedAt", j.queuedAt());
    v.put("startedAt", j.startedAt());
    v.put("endedAt", j.endedAt());
    v.put("pages", j.pages());
    v.put("checks", j.checks());
    v.put("counts", j.counts());
    v.put("message", j.message());
    if (j.report() != null) {
      try {
        v.put("report", json.readTree(j.report()));
      } catch (Exception e) {
        throw new IllegalStateException("a stored report is not JSON", e);
      }
    }
    return v;
  }
}
