package dev.quire.gateway.redirect;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.entity;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.reject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quire.gateway.api.ApiJson;
import dev.quire.gateway.content.FollowedTable;
import dev.quire.gateway.http.HttpError;
import dev.quire.gateway.http.JsonResponses;
import dev.quire.gateway.module.Admin;
import dev.quire.gateway.module.ApiCaller;
import dev.quire.gateway.module.CmsModule;
import dev.quire.gateway.module.ModuleContext;
import dev.quire.protocol.RedirectCommand;
import dev.quire.protocol.RedirectReply;
import dev.quire.protocol.RedirectRule;
import dev.quire.protocol.Role;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * Moved URLs. The site's redirect table is journaled by the content role's {@code SiteRedirects}
 * entity; this module keeps a copy in memory (checked every {@code
 * quire.gateway.redirects.refresh-interval}, at once after a change made here) and answers a GET
 * for a {@code from} path with its redirect before any other public route. {@code
 * /api/v1/redirects} lists, adds and removes rules.
 */
public final class RedirectsModule implements CmsModule {

  /** The table as this gateway last saw it. */
  private record Table(long version, Map<String, RedirectRule> byFrom) {}

  private final AtomicReference<Table> table = new AtomicReference<>(new Table(-1, Map.of()));
  private FollowedTable<RedirectCommand, RedirectCommand.RedirectTable> followed;
  private ActorSystem<?> system;
  private ObjectMapper json;
  // Asks wait as long as the content client says: shorter while a content node is unreachable.
  private dev.quire.gateway.content.ContentClient content;

  @Override
  public String id() {
    return "redirects";
  }

  /** {@code Cache-Control} of a rule's answer: {@code quire.gateway.moved-max-age}. */
  private org.apache.pekko.http.javadsl.model.HttpHeader cache;

  private dev.quire.gateway.site.SiteState site;
  private List<CmsModule> modules = List.of();

  @Override
  public void start(ModuleContext ctx) {
    this.site = ctx.site();
    this.modules = ctx.modules();
    this.cache = dev.quire.gateway.site.SiteModule.movedCache(ctx.config());
    this.system = ctx.system();
    this.json = ctx.json();
    this.content = ctx.content();
    this.followed =
        new FollowedTable<>(
            system,
            content,
            RedirectCommand.ENTITY_KEY,
            RedirectCommand.SITE,
            "the redirect table",
            new FollowedTable.Reads<RedirectCommand, RedirectCommand.RedirectTable>() {
              @Override
              public RedirectCommand get(
                  long knownVersion, ActorRef<RedirectCommand.RedirectTable> replyTo) {
                return new RedirectCommand.Get(knownVersion, replyTo);
              }

              @Override
              public long version(RedirectCommand.RedirectTable answer) {
                return answer.version();
              }

              @Override
              public Integer next(RedirectCommand.RedirectTable answer) {
                return answer.unchanged() ? null : answer.next();
              }

              @Override
              public RedirectCommand page(
                  int offset, ActorRef<RedirectCommand.RedirectTable> replyTo) {
                return new RedirectCommand.Get(-1, offset, replyTo);
              }

              @Override
              public RedirectCommand.RedirectTable join(List<RedirectCommand.RedirectTable> pages) {
                List<RedirectRule> all = new ArrayList<>();
                pages.forEach(p -> all.addAll(p.rules()));
                return new RedirectCommand.RedirectTable(
                    pages.get(0).version(), false, List.copyOf(all));
              }
            },
            this::install);
    followed.follow(
        ctx.config().getDuration("quire.gateway.redirects.refresh-interval"),
        "stop-redirect-refresh");
  }

  /** Fetches the table unless a fetch is under way; only a changed table is sent. */
  void refresh() {
    followed.refresh();
  }

  private void install(RedirectCommand.RedirectTable t) {
    if (!t.unchanged()) {
      Map<String, RedirectRule> byFrom = new HashMap<>();
      t.rules().forEach(r -> byFrom.put(r.from(), r));
      Table next = new Table(t.version(), Map.copyOf(byFrom));
      // Fetches may overlap (the timer's and a write's): never go back to an older one.
      table.accumulateAndGet(next, (held, n) -> n.version() > held.version() ? n : held);
    }
  }

  /** A path a rule moved is the routes' to answer: never a page the site holds ready for it. */
  @Override
  public HttpResponse ready(org.apache.pekko.http.javadsl.model.HttpRequest req) {
    return table.get().byFrom().isEmpty() || match(req.getUri().path(), Optional.empty()).isEmpty()
        ? null
        : ROUTES;
  }

  /** A rule from an item's address sends its visitors elsewhere: redirects come before pages. */
  @Override
  public Optional<String> takesOver(String path) {
    return match(path, Optional.empty())
        .map(
            r ->
                "a redirect rule ("
                    + r.status()
                    + ") sends them from "
                    + r.from()
                    + " to "
                    + r.to()
                    + "; delete it under Redirects to show it");
  }

  /** The rule for a request: path with query first, then the path alone, then the other slash. */
  Optional<RedirectRule> match(String path, Optional<String> query) {
    return Optional.ofNullable(RedirectRule.match(table.get().byFrom(), path, query.orElse(null)));
  }

  @Override
  public Optional<Route> publicRoutes(ModuleContext ctx) {
    return Optional.of(
        extractRequest(
            req -> {
              if (req.method() != HttpMethods.GET && req.method() != HttpMethods.HEAD) {
                return reject();
              }
              Optional<String> query = req.getUri().rawQueryString();
              Optional<RedirectRule> rule = match(req.getUri().path(), query);
              return rule.map(r -> complete(redirect(r, query.orElse(""))))
                  .orElseGet(() -> reject());
            }));
  }

  /**
   * A rule of a path keeps the request's query (a campaign's ?utm_source=..., a search), as the
   * site's own 301s do; a rule that matched a query (WordPress's /?p=12) or whose target has one of
   * its own answers with its target as stored.
   */
  private HttpResponse redirect(RedirectRule r, String query) {
    boolean keepQuery = !r.from().contains("?") && !r.to().contains("?");
    return HttpResponse.create()
        .withStatus(StatusCodes.get(r.status()))
        .addHeader(dev.quire.gateway.http.Locations.withQuery(r.to(), keepQuery ? query : ""))
        .addHeader(cache);
  }

  @Override
  public java.util.Map<String, dev.quire.protocol.Role.Permission> apiAccess() {
    // As in the admin: editors and admins change the redirects.
    return java.util.Map.of("redirects", dev.quire.protocol.Role.Permission.PUBLISH);
  }

  @Override
  public Optional<Route> apiRoutes(ModuleContext ctx) {
    return Optional.of(
        pathPrefix(
            "redirects",
            () ->
                pathEndOrSingleSlash(
                    () ->
                        concat(
                            get(() -> completeWithFuture(list())),
                            post(
                                () ->
                                    ApiCaller.of(
                                        c ->
                                            entity(
                                                Unmarshaller.entityToString(),
                                                body -> completeWithFuture(put(c, body))))),
                            delete(
                                () ->
                                    ApiCaller.of(
                                        c ->
                                            parameterOptional(
                                                "from",
                                                from ->
                                                    completeWithFuture(
                                                        remove(
                                                            c,
                                                            from.orElseThrow(
                                                                () ->
                                                                    HttpError.badRequest(
                                                                        "from",
                                                                        "is required: the rule's"
                                                                            + " from, as a query"
                                                                            + " parameter")))))))))));
  }

  private CompletionStage<HttpResponse> list() {
    return current()
        .thenApply(
            t -> {
              Map<String, Object> out = new LinkedHashMap<>();
              out.put("version", t.version());
              out.put("total", t.rules().size());
              out.put("items", t.rules());
              return JsonResponses.of(json, StatusCodes.OK, out);
            });
  }

  /** The whole table from its entity, rules sorted by {@code from}. */
  private CompletionStage<RedirectCommand.RedirectTable> current() {
    return followed
        .current()
        .thenApply(
            t -> {
              List<RedirectRule> rules = new ArrayList<>(t.rules());
              rules.sort(Comparator.comparing(RedirectRule::from));
              return new RedirectCommand.RedirectTable(t.version(), false, List.copyOf(rules));
            });
  }

  /** Body: one rule {@code {"from","to","status"}} or {@code {"redirects":[...]}}. */
  private CompletionStage<HttpResponse> put(ApiCaller caller, String body) {
    List<RedirectRule> rules = parseRules(body);
    // One rule sent alone is named as it was sent: "to", not "redirects[0].to".
    boolean alone = !body.contains("\"redirects\"");
    loopWithTheSite(rules, alone ? "" : "redirects[%d].")
        .ifPresent(
            p -> {
              throw HttpError.badRequest(p.field(), p.message());
            });

    return write(r -> new RedirectCommand.Put(rules, caller.actor(), r), alone);
  }

  private CompletionStage<HttpResponse> remove(ApiCaller caller, String from) {
    return write(r -> new RedirectCommand.Remove(from, caller.actor(), r), false);
  }

  private CompletionStage<HttpResponse> write(
      java.util.function.Function<ActorRef<RedirectReply>, RedirectCommand> make, boolean alone) {
    return send(make)
        .thenApply(
            reply -> {
              if (reply instanceof RedirectReply.Refused f) {
                String field =
                    alone && f.field().startsWith("redirects[0].")
                        ? f.field().substring("redirects[0].".length())
                        : f.field();
                throw HttpError.of(
                    dev.quire.protocol.ContentReply.Rejected.of(f.code(), field, f.message()));
              }
              RedirectReply.Stored stored = (RedirectReply.Stored) reply;
              return JsonResponses.of(
                  json,
                  StatusCodes.OK,
                  Map.of("version", stored.version(), "total", stored.count()));
            });
  }

  /**
   * The first of {@code rules} that would send visitors round through the site's own redirects (an
   * old slug to its item's address, a tag's other spelling to its one), with the table as this
   * gateway holds it: the content role checks loops among rules alone, and a rule from a post's
   * address to one of its old slugs passed, taking the post off the site. {@code where}: the
   * field's prefix, with %d for the rule's index.
   */
  private Optional<dev.quire.protocol.FieldError> loopWithTheSite(
      List<RedirectRule> rules, String where) {
    Map<String, RedirectRule> after = new java.util.HashMap<>(table.get().byFrom());
    rules.forEach(r -> after.put(r.from(), r));
    java.util.function.UnaryOperator<String> siteSends =
        path -> {
          for (CmsModule m : modules) {
            try {
              Optional<String> to = m.movedTo(path);
              if (to.isPresent()) {
                return to.get();
              }
            } catch (RuntimeException e) {
              // A module that cannot say moves nothing here; the rule is checked as before.
            }
          }
          return null;
        };
    for (int i = 0; i < rules.size(); i++) {
      Optional<String> loop = RedirectRule.loopFrom(after, rules.get(i), siteSends);
      if (loop.isPresent()) {
        return Optional.of(
            new dev.quire.protocol.FieldError(String.format(where, i) + "to", loop.get()));
      }
    }
    return Optional.empty();
  }

  /** Sends a change to the table; a stored one is answered once this gateway holds it. */
  private CompletionStage<RedirectReply> send(
      java.util.function.Function<ActorRef<RedirectReply>, RedirectCommand> make) {
    return followed.send(make, reply -> !(reply instanceof RedirectReply.Refused));
  }

  /** The published posts' and pages' addresses, each with what to call it in a message. */
  private Map<String, String> liveAddresses() {
    var snapshot = site.snapshot();
    Map<String, String> live = new java.util.HashMap<>();
    for (var item : snapshot.posts()) {
      live.put(item.url(), "the published post '" + item.title() + "'");
    }
    for (var item : snapshot.pages()) {
      live.put(item.url(), "the published page '" + item.title() + "'");
    }
    return live;
  }

  /**
   * Why a rule would hide a published post or page: redirects are answered before the site, so a
   * rule from its address sent every visitor elsewhere, without a word to whoever added it.
   */
  private static Optional<String> hides(RedirectRule rule, Map<String, String> live) {
    String from = RedirectRule.key(rule.from());
    if (from.contains("?")) {
      return Optional.empty();
    }
    String what = live.get(from.endsWith("/") ? from : from + "/");
    return Optional.ofNullable(what)
        .map(
            w ->
                "'"
                    + rule.from()
                    + "' is the address of "
                    + w
                    + ": a redirect from it hides it from every visitor. To move it, change its"
                    + " slug instead (its old address then redirects by itself); to hide it"
                    + " anyway, tick the box and save again.");
  }

  // ---------------------------------------------------------------- admin

  @Override
  public List<Admin.Link> adminLinks() {
    return List.of(new Admin.Link("Redirects", "/admin/redirects/", Role.Permission.PUBLISH));
  }

  /**
   * {@code /admin/redirects/}: the table, a form to add or replace a rule, and a remove button per
   * rule; editors and admins (a redirect changes what visitors reach, as publishing does).
   */
  @Override
  public Optional<Route> adminRoutes(ModuleContext ctx, Admin admin) {
    return Optional.of(
        pathPrefix(
            "redirects",
            () ->
                admin.signedIn(
                    Role.Permission.PUBLISH,
                    e ->
                        concat(
                            pathEndOrSingleSlash(
                                () ->
                                    concat(
                                        get(
                                            () ->
                                                parameterOptional(
                                                    "done",
                                                    done ->
                                                        completeWithFuture(
                                                            adminPage(
                                                                admin,
                                                                e,
                                                                StatusCodes.OK,
                                                                done.map(RedirectsModule::notice)
                                                                    .orElse(null),
                                                                Map.of(),
                                                                Map.of())))),
                                        post(
                                            () ->
                                                admin.form(
                                                    e,
                                                    f ->
                                                        completeWithFuture(
                                                            adminAdd(admin, e, f)))))),
                            path(
                                "remove",
                                () ->
                                    post(
                                        () ->
                                            admin.form(
                                                e,
                                                f ->
                                                    completeWithFuture(
                                                        adminRemove(admin, e, f)))))))));
  }

  private CompletionStage<HttpResponse> adminPage(
      Admin admin,
      Admin.Editor e,
      org.apache.pekko.http.javadsl.model.StatusCode status,
      String notice,
      Map<String, String> errors,
      Map<String, String> form) {
    return current()
        .thenApply(
            t -> {
              Map<String, Object> vars = new LinkedHashMap<>();
              vars.put("rules", t.rules());
              vars.put("statuses", List.of(301, 302, 307, 308));
              vars.put("errors", errors);
              Map<String, String> shown = new LinkedHashMap<>();
              shown.put("from", form.getOrDefault("from", ""));
              shown.put("to", form.getOrDefault("to", ""));
              shown.put("status", form.getOrDefault("status", "301"));
              vars.put("form", shown);
              if (notice != null) {
                vars.put("notice", notice);
              }
              return admin.page(e, status, "redirects/admin.peb", vars);
            });
  }

  private CompletionStage<HttpResponse> adminAdd(
      Admin admin, Admin.Editor e, Map<String, String> f) {
    int status;
    try {
      status = Integer.parseInt(f.getOrDefault("status", "301"));
    } catch (NumberFormatException ex) {
      return adminPage(
          admin,
          e,
          StatusCodes.BAD_REQUEST,
          null,
          Map.of("status", "must be 301, 302, 307 or 308"),
          f);
    }
    RedirectRule rule =
        new RedirectRule(
            f.getOrDefault("from", "").strip(), f.getOrDefault("to", "").strip(), status);
    // A rule may move a published post or page away (the API takes it as sent), but the admin
    // asks first: the form said "Saved" and the post was gone from the site.
    java.util.Optional<dev.quire.protocol.FieldError> problem =
        rule.problem()
            .or(() -> loopWithTheSite(List.of(rule), ""))
            .or(
                () ->
                    "yes".equals(f.get("hide"))
                        ? Optional.empty()
                        : hides(rule, liveAddresses())
                            .map(m -> new dev.quire.protocol.FieldError("hide", m)));
    if (problem.isPresent()) {
      return adminPage(
          admin,
          e,
          StatusCodes.BAD_REQUEST,
          null,
          Map.of(problem.get().field(), problem.get().message()),
          f);
    }
    return send(r -> new RedirectCommand.Put(List.of(rule), e.username(), r))
        .thenCompose(
            reply ->
                reply instanceof RedirectReply.Refused no
                    ? adminPage(
                        admin,
                        e,
                        StatusCodes.BAD_REQUEST,
                        null,
                        Map.of(fieldOf(no.field()), no.message()),
                        f)
                    : CompletableFuture.completedFuture(
                        admin.seeOther("/admin/redirects/?done=added")));
  }

  private CompletionStage<HttpResponse> adminRemove(
      Admin admin, Admin.Editor e, Map<String, String> f) {
    String from = f.getOrDefault("from", "");
    return send(r -> new RedirectCommand.Remove(from, e.username(), r))
        .thenCompose(
            reply ->
                reply instanceof RedirectReply.Refused no
                    ? adminPage(
                        admin,
                        e,
                        StatusCodes.NOT_FOUND,
                        null,
                        Map.of("remove", no.message()),
                        Map.of())
                    : CompletableFuture.completedFuture(
                        admin.seeOther("/admin/redirects/?done=removed")));
  }

  /** "redirects[0].to" as the form's field, "to". */
  private static String fieldOf(String field) {
    return field == null ? "form" : field.substring(field.lastIndexOf('.') + 1);
  }

  private static String notice(String done) {
    return switch (done) {
      case "added" -> "Saved: the redirect answers on every gateway within seconds.";
      case "removed" -> "Removed.";
      default -> null;
    };
  }

  private List<RedirectRule> parseRules(String body) {
    if (body.isBlank()) {
      throw HttpError.badRequest("", "the request needs a JSON body");
    }
    JsonNode root;
    try {
      root = json.readTree(body);
    } catch (Exception e) {
      throw HttpError.badRequest("", "the body is not valid JSON");
    }
    List<RedirectRule> rules = new ArrayList<>();
    if (root.isObject() && root.has("redirects")) {
      root.fieldNames()
          .forEachRemaining(
              f -> {
                if (!f.equals("redirects")) {
                  throw HttpError.badRequest(
                      f, "unknown field '" + f + "' (a list of rules is {\"redirects\": [...]})");
                }
              });
      JsonNode list = root.get("redirects");
      if (!list.isArray()) {
        throw HttpError.badRequest("redirects", "must be an array of {from, to, status}");
      }
      for (int i = 0; i < list.size(); i++) {
        rules.add(rule(list.get(i), "redirects[" + i + "]."));
      }
    } else {
      rules.add(rule(root, ""));
    }
    return rules;
  }

  private static RedirectRule rule(JsonNode n, String where) {
    if (!n.isObject()) {
      throw HttpError.badRequest(where.isEmpty() ? "" : where, "must be an object");
    }
    var names = n.fieldNames();
    while (names.hasNext()) {
      String f = names.next();
      if (!List.of("from", "to", "status").contains(f)) {
        throw HttpError.badRequest(where + f, "unknown field '" + f + "'");
      }
    }
    // Taken as sent: "301" was once read as 301, and a number as a path.
    Integer status = ApiJson.whole(n, "status", where);
    RedirectRule r =
        new RedirectRule(
            ApiJson.text(n, "from", where),
            ApiJson.text(n, "to", where),
            status == null ? 301 : status);
    r.problem()
        .ifPresent(
            p -> {
              throw HttpError.badRequest(where + p.field(), p.message());
            });
    return r;
  }
}
