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
import dev.quire.gateway.content.Asks;
import dev.quire.gateway.http.HttpError;
import dev.quire.gateway.http.JsonResponses;
import dev.quire.gateway.module.CmsModule;
import dev.quire.gateway.module.ModuleContext;
import dev.quire.protocol.CrawlJobCommand;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

  @Override
  public void start(ModuleContext ctx) {
    this.system = ctx.system();
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
                                body -> completeWithFuture(start(body))))));
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
                        completeWithFuture(
                            this.<CrawlJobCommand.Job>ask(
                                r -> new CrawlJobCommand.Cancel(id, "api", r),
                                j -> job(j, StatusCodes.OK)))));
    return Optional.of(pathPrefix("crawls", () -> concat(list, cancel, one)));
  }

  private CompletionStage<HttpResponse> start(String body) {
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
    String url = n.path("url").asText("");
    int maxPages = n.path("maxPages").asInt(0);
    boolean citations = n.path("verifyCitations").asBoolean(false);
    return this.<CrawlJobCommand.Job>ask(
        r -> new CrawlJobCommand.Start(url, maxPages, citations, "api", r),
        j -> job(j, StatusCodes.ACCEPTED));
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
