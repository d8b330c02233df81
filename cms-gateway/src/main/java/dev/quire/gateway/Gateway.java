package dev.quire.gateway;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.extractUnmatchedPath;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.handleRejections;
import static org.apache.pekko.http.javadsl.server.Directives.mapRequest;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByName;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.reject;
import static org.apache.pekko.http.javadsl.server.Directives.respondWithDefaultHeader;
import static org.apache.pekko.http.javadsl.server.Directives.respondWithDefaultHeaders;
import static org.apache.pekko.http.javadsl.server.Directives.withSizeLimit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import dev.quire.gateway.api.ApiToken;
import dev.quire.gateway.content.ContentClient;
import dev.quire.gateway.content.ContentReachability;
import dev.quire.gateway.http.ErrorMapper;
import dev.quire.gateway.http.HttpError;
import dev.quire.gateway.module.ApiCaller;
import dev.quire.gateway.module.CmsModule;
import dev.quire.gateway.module.ModuleContext;
import dev.quire.gateway.module.ModuleRegistry;
import dev.quire.gateway.render.Templates;
import dev.quire.gateway.site.PageRenderer;
import dev.quire.gateway.site.SiteSettings;
import dev.quire.gateway.site.SiteState;
import dev.quire.protocol.ContentCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The gateway role: loads the enabled modules, keeps the published site in memory, and serves HTTP.
 * It reaches content only through cms-protocol messages, so it runs unchanged beside the content
 * role or on a node of its own.
 */
public final class Gateway {

  private Gateway() {}

  /**
   * A started gateway: the HTTP binding, its in-memory site, and {@code firstPage}: completed once
   * it has answered its first request other than {@code /healthz} ({@link
   * dev.quire.gateway.http.FirstPage}).
   */
  public record Started(ServerBinding binding, SiteState site, CompletionStage<Void> firstPage) {}

  public static CompletionStage<Started> init(ActorSystem<?> system, ApiToken token) {
    Config config = system.settings().config();
    Config g = config.getConfig("quire.gateway");
    if (!Cluster.get(system).selfMember().hasRole("content")) {
      // Not a content node: reach the entities through a sharding proxy.
      for (org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey<?> key :
          List.of(
              ContentCommand.ENTITY_KEY,
              dev.quire.protocol.SlugCommand.ENTITY_KEY,
              dev.quire.protocol.RedirectCommand.ENTITY_KEY,
              dev.quire.protocol.UserCommand.ENTITY_KEY,
              dev.quire.protocol.SessionCommand.ENTITY_KEY,
              dev.quire.protocol.MenuCommand.ENTITY_KEY,
              dev.quire.protocol.ProfileCommand.ENTITY_KEY)) {
        proxy(system, key, "content");
      }
    }
    if (!Cluster.get(system).selfMember().hasRole("crawler")) {
      ClusterSharding.get(system)
          .init(
              Entity.of(dev.quire.protocol.CrawlJobCommand.ENTITY_KEY, ctx -> Behaviors.empty())
                  .withRole("crawler"));
    }
    // Failed sign-ins and failed API tokens, counted for all gateways (the admin and the API).
    dev.quire.gateway.admin.LoginGuard.Settings guards =
        dev.quire.gateway.admin.LoginGuard.Settings.fromConfig(config);
    dev.quire.gateway.admin.LoginGuard.init(system, guards);
    dev.quire.gateway.api.TokenFailures failures =
        new dev.quire.gateway.api.TokenFailures(
            system,
            dev.quire.gateway.http.ClientAddress.fromConfig(config),
            guards,
            g.getDuration("admin.login.guard-timeout"),
            java.time.Clock.systemUTC());
    ContentClient content =
        new ContentClient(
            system,
            new ContentReachability.Timeouts(
                g.getDuration("ask-timeout"),
                g.getDuration("failover-ask-timeout"),
                g.getDuration("failover-after-removal")));
    ZoneId zone = dev.quire.protocol.ConfigChecks.timeZone(config);
    content.watchStore(
        g.getDuration("store-check.interval"),
        g.getDuration("store-check.timeout"),
        g.getDuration("store-check.remember"),
        zone);
    SiteState site =
        SiteState.deferred(
            system,
            content,
            new SiteState.Settings(
                g.getInt("catch-up-page"),
                g.getDuration("catch-up-interval"),
                g.getDuration("startup-poll"),
                g.getDuration("catch-up-retry"),
                g.getInt("page-memo-entries"),
                zone));
    List<CmsModule> modules = ModuleRegistry.enabled(g.getStringList("modules"));
    List<io.pebbletemplates.pebble.extension.Extension> extensions = new ArrayList<>();
    modules.forEach(m -> extensions.addAll(m.pebbleExtensions()));
    String themeDir = g.getString("theme-dir");
    if (!themeDir.isBlank()
        && !(Files.isDirectory(Path.of(themeDir).resolve("templates"))
            || Files.isDirectory(Path.of(themeDir).resolve("assets"))
            || Files.isDirectory(
                Path.of(themeDir).resolve(dev.quire.gateway.render.ThemeWords.DIR)))) {
      // A misspelt path served the built-in theme without a word.
      throw new IllegalArgumentException(
          "quire.gateway.theme-dir (--theme, QUIRE_THEME_DIR) '"
              + themeDir
              + "' holds no templates/, assets/ or i18n/ directory: "
              + (Files.isDirectory(Path.of(themeDir))
                  ? "a theme overrides the built-in one from those"
                  : "there is no such directory"));
    }
    Templates templates =
        new Templates(
            themeDir.isBlank() ? null : Path.of(themeDir),
            g.getBoolean("dev-mode"),
            g.getBoolean("strict-templates"),
            Templates.Trim.parse(g.getString("trim-template-indentation")),
            extensions);
    // Assets the built-in theme takes from WebJars: a build that lost one (a shade filter that
    // no longer matches) fails here, rather than every page that loads it failing to render.
    templates.assets().checkVendored();
    // What editors set in the admin (the "settings" module) goes over the configuration's values.
    dev.quire.gateway.site.LiveSettings settings =
        new dev.quire.gateway.site.LiveSettings(
            SiteSettings.fromConfig(config), SiteSettings.pinned(System::getenv));
    settings.onChange(() -> site.snapshot().forgetPages());
    dev.quire.gateway.site.YearTurn yearTurn =
        new dev.quire.gateway.site.YearTurn(
            zone, java.time.Clock.systemUTC(), () -> site.snapshot().forgetPages());
    java.time.Duration yearCheck = g.getDuration("year-check-interval");
    if (yearCheck.isNegative() || yearCheck.isZero()) {
      throw new IllegalArgumentException(
          "quire.gateway.year-check-interval must be longer than 0, was " + yearCheck);
    }
    system
        .scheduler()
        .scheduleWithFixedDelay(yearCheck, yearCheck, yearTurn::check, system.executionContext());
    PageRenderer pages = new PageRenderer(templates, settings, site, zone);
    dev.quire.gateway.http.ParsingErrorPage.use(
        (status, message) -> pages.errorPage(status, message, "/"));
    ObjectMapper json = dev.quire.gateway.api.ApiJson.mapper();
    ModuleContext ctx =
        new ModuleContext.Of(
            system,
            config,
            content,
            site,
            templates,
            pages,
            json,
            List.copyOf(modules),
            new dev.quire.gateway.api.Revisions(
                content,
                dev.quire.gateway.api.RevisionDiff.Limits.fromConfig(config),
                system
                    .dispatchers()
                    .lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking()),
                g.getInt("api.diff.max-concurrent"),
                config),
            settings);
    modules.forEach(m -> m.start(ctx));
    site.start();
    int retryAfter = g.getInt("retry-after-seconds");
    ErrorMapper errors =
        new ErrorMapper(json, pages, () -> content.reachability().retryAfterSeconds(retryAfter));

    List<Route> api = new ArrayList<>();
    List<Route> pub = new ArrayList<>();
    for (CmsModule m : modules) {
      m.apiRoutes(ctx).ifPresent(api::add);
      m.publicRoutes(ctx).ifPresent(pub::add);
    }
    // Routes are built once, here. The inner route a directive is given is evaluated for every
    // request that reaches it, so building the tree inside those lambdas (as this did) rebuilt
    // the concatenation of every module's routes, and an exception handler, on every request.
    Route apiRoutes = anyOf(api);
    java.util.Map<String, dev.quire.protocol.Role.Permission> access = new java.util.HashMap<>();
    for (CmsModule m : modules) {
      m.apiAccess()
          .forEach(
              (segment, need) -> {
                dev.quire.protocol.Role.Permission before = access.putIfAbsent(segment, need);
                if (before != null && before != need) {
                  throw new IllegalStateException(
                      "modules open /api/v1/"
                          + segment
                          + "/ to users' tokens with two permissions, "
                          + before
                          + " and "
                          + need
                          + " (module "
                          + m.id()
                          + ")");
                }
              });
    }
    Route apiAuthorised =
        authorised(
            token,
            new dev.quire.gateway.api.UserTokens(system, content),
            failures,
            java.util.Map.copyOf(access),
            errors,
            () -> apiRoutes);
    Route apiLimited = withSizeLimit(g.getBytes("api.max-body-bytes"), () -> apiAuthorised);
    Route apiRejections = handleRejections(errors.jsonRejections(), () -> apiLimited);
    Route apiRoute = handleExceptions(errors.jsonExceptions(), () -> apiRejections);
    Route health =
        concat(
            path(
                "healthz",
                () ->
                    get(
                        () ->
                            site.ready()
                                ? complete("ok")
                                : complete(StatusCodes.SERVICE_UNAVAILABLE, "loading"))),
            // Whether writes are taken: /healthz stays 200 while the database refuses them (pages
            // are served from memory), so a monitor that alerts on failing writes asks here.
            // From the content nodes' last answer to this gateway's store check (every
            // quire.gateway.store-check.interval).
            path(
                PathMatchers.segment("healthz").slash("writes"),
                () -> get(() -> writesHealth(content.storeTrouble().orElse(null)))));
    List<Route> all = new ArrayList<>();
    all.add(health);
    // "api" and "v1" as whole path segments: pathPrefix("api") matches the text, so it took
    // /api-docs/ (a page) and /apidocs/ (a redirect) and answered them with the API's 404.
    HttpResponse noApiHere =
        errors.toJson(HttpError.notFound("there is no API here; it lives under /api/v1/"));
    // The text match first, so a page's request pays one prefix test, as before.
    // An answer to a request with a token is the caller's alone (drafts, a new token's secret):
    // no cache keeps it unless a route says otherwise.
    Route underApi =
        respondWithDefaultHeader(
            org.apache.pekko.http.javadsl.model.headers.CacheControl.create(
                org.apache.pekko.http.javadsl.model.headers.CacheDirectives.NO_STORE),
            () ->
                concat(pathPrefix("v1", () -> wholeSegment(() -> apiRoute)), complete(noApiHere)));
    all.add(pathPrefix("api", () -> wholeSegment(() -> underApi)));
    all.addAll(pub);
    Route allRoutes = anyOf(all);
    Route htmlRejections = handleRejections(errors.htmlRejections(), () -> allRoutes);
    Route root = handleExceptions(errors.htmlExceptions(), () -> htmlRejections);
    // Added where a module set none of its own (the admin's and the media's are stricter), to
    // every answer of the routes, the response deadline's 503 included.
    List<org.apache.pekko.http.javadsl.model.HttpHeader> security =
        dev.quire.gateway.http.SecurityHeaders.of(system.settings().config());
    java.util.concurrent.CompletableFuture<Void> firstPage =
        new java.util.concurrent.CompletableFuture<>();
    // Made once, at start: the directive below asks its supplier for every request, so a bad
    // response-timeout was read (and failed, 500) at each one, after the server said it served.
    Route deadlined =
        dev.quire.gateway.http.ResponseDeadline.within(
            deadlines(modules, g.getDuration("http.response-timeout")),
            request ->
                errors.forPath(
                    HttpError.unavailable("the server did not answer in time; please try again"),
                    request.getUri().path()),
            system.executionContext(),
            root);
    Route routed =
        dev.quire.gateway.http.HttpMetrics.timed(
            dev.quire.gateway.http.FirstPage.watch(
                firstPage,
                site::ready,
                dev.quire.gateway.http.HeadRequests.answeredAsGet(
                    respondWithDefaultHeaders(security, () -> deadlined))));
    var routes = routed.handler(system);
    List<CmsModule> inOrder = g.getBoolean("http.ready-answers") ? List.copyOf(modules) : List.of();
    var serverSettings = httpSettings(system);
    // As Pekko HTTP's bind(handler) does for HTTP/1.1 (one mapAsync of the pipelining limit),
    // with the connection closed when no request's headers come within the limit, and refused
    // past the open connections one address may have.
    return Http.get(system)
        .newServerAt(g.getString("http.host"), g.getInt("http.port"))
        // HEAD is answered by HeadRequests, so that the metrics see it (the management port
        // keeps Pekko's own conversion, on in quire-http.conf).
        .withSettings(serverSettings)
        .bindFlow(
            dev.quire.gateway.http.ConnectionGuard.around(
                org.apache.pekko.stream.javadsl.Flow.of(
                        org.apache.pekko.http.javadsl.model.HttpRequest.class)
                    .mapAsync(
                        serverSettings.getPipeliningLimit(),
                        request -> {
                          long t0 = System.nanoTime();
                          HttpResponse ready = ready(inOrder, request);
                          if (ready == null) {
                            return routes.apply(request);
                          }
                          dev.quire.gateway.http.HttpMetrics.record(
                              request, ready.status().intValue(), t0);
                          if (!firstPage.isDone() && ready.status().intValue() < 500) {
                            firstPage.complete(null);
                          }
                          return java.util.concurrent.CompletableFuture.completedFuture(ready);
                        }),
                g.getDuration("http.request-header-timeout"),
                new dev.quire.gateway.http.ConnectionGuard.AddressLimit(
                    g.getInt("http.max-connections-per-address"),
                    dev.quire.gateway.http.ClientAddress.anyOf(
                            system.settings().config(), "quire.gateway.http.trusted-proxies")
                        .or(
                            dev.quire.gateway.http.ClientAddress.anyOf(
                                system.settings().config(),
                                "quire.gateway.http.connection-limit-exempt")))))
        .thenApply(binding -> new Started(binding, site, firstPage.minimalCompletionStage()));
  }

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Gateway.class);

  /**
   * The answer a module holds ready for {@code request} ({@link CmsModule#ready}), asked in module
   * order for GET requests without a query; null when the routes answer it.
   */
  static HttpResponse ready(
      List<CmsModule> modules, org.apache.pekko.http.javadsl.model.HttpRequest request) {
    if (request.method() != org.apache.pekko.http.javadsl.model.HttpMethods.GET
        || request.getUri().rawQueryString().isPresent()) {
      return null;
    }
    for (CmsModule m : modules) {
      HttpResponse r;
      try {
        r = m.ready(request);
      } catch (RuntimeException e) {
        // The routes answer it, with the site's error page and the metrics, as without this.
        LOG.warn("module {}: its ready answer failed; the routes answer", m.id(), e);
        return null;
      }
      if (r == CmsModule.ROUTES) {
        return null;
      }
      if (r != null) {
        return r;
      }
    }
    return null;
  }

  /**
   * The gateway port's server settings: HEAD is answered by {@code HeadRequests}, and Pekko's
   * per-request timer is off, {@code ResponseDeadline} bounding the routes instead (the management
   * port keeps both, from quire-http.conf).
   */
  static org.apache.pekko.http.javadsl.settings.ServerSettings httpSettings(ActorSystem<?> system) {
    var settings =
        org.apache.pekko.http.javadsl.settings.ServerSettings.create(system.classicSystem());
    return settings
        .withTransparentHeadRequests(false)
        // ConnectionGuard counts connections per address by it (quire-http.conf sets it too, but
        // that file is the all-in-one's; the limit must not depend on it).
        .withRemoteAddressAttribute(true)
        .withParsingErrorHandler(dev.quire.gateway.http.ParsingErrorPage.class.getName())
        .withTimeouts(
            settings.getTimeouts().withRequestTimeout(scala.concurrent.duration.Duration.Inf()));
  }

  /**
   * Each request's response deadline: the first module's that names one ({@link
   * CmsModule#responseDeadline}), else {@code fallback}. Asked only for a route still working when
   * it returns ({@link dev.quire.gateway.http.ResponseDeadline}): a page served from memory never
   * asks.
   */
  public static java.util.function.Function<
          org.apache.pekko.http.javadsl.model.HttpRequest, java.time.Duration>
      deadlines(List<CmsModule> modules, java.time.Duration fallback) {
    return request -> {
      for (CmsModule m : modules) {
        java.util.Optional<java.time.Duration> d = m.responseDeadline(request);
        if (d.isPresent()) {
          return d.get();
        }
      }
      return fallback;
    };
  }

  /** {@code /healthz/writes}: 200 "ok", or 503 saying why the database refuses writes. */
  private static Route writesHealth(dev.quire.gateway.content.StoreWatch.Trouble trouble) {
    return trouble == null
        ? complete("ok")
        : complete(StatusCodes.SERVICE_UNAVAILABLE, "failing: " + trouble.describe());
  }

  /** {@code inner} if the segment a path prefix just matched ends there, else no match. */
  private static Route wholeSegment(java.util.function.Supplier<Route> inner) {
    return extractUnmatchedPath(
        rest -> rest.isEmpty() || rest.startsWith("/") ? inner.get() : reject());
  }

  private static Route anyOf(List<Route> routes) {
    if (routes.isEmpty()) {
      return org.apache.pekko.http.javadsl.server.Directives.reject();
    }
    return concat(routes.get(0), routes.subList(1, routes.size()).toArray(new Route[0]));
  }

  /**
   * {@code inner} for a request that presents the site's token or a user's own token ({@link
   * dev.quire.gateway.api.UserTokens}), with whom it acts for set as the request's {@link
   * ApiCaller}; 401 for any other. A user's token whose role is below admin reaches only the paths
   * the modules open to it ({@code access}, by first segment, with the permission each needs at
   * least); any other path answers it 403.
   */
  private static Route authorised(
      ApiToken token,
      dev.quire.gateway.api.UserTokens users,
      dev.quire.gateway.api.TokenFailures failures,
      java.util.Map<String, dev.quire.protocol.Role.Permission> access,
      ErrorMapper errors,
      java.util.function.Supplier<Route> inner) {
    return optionalHeaderValueByName(
        "Authorization",
        header -> {
          String presented =
              header
                  .filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
                  // ASCII spaces only (trim): strip() also took Unicode spaces away, so a
                  // header of "Bearer " and an EM SPACE presented an empty token.
                  .map(h -> h.substring(7).trim())
                  .orElse(null);
          if (token.matches(presented)) {
            return as(ApiCaller.SITE, inner);
          }
          if (header.isEmpty()) {
            return complete(denied(errors, true, "the API token is not valid"));
          }
          return extractRequest(
              request -> userToken(presented, request, users, failures, access, errors, inner));
        });
  }

  /**
   * A presented {@code Authorization} that is not the site's token: a user's token, checked unless
   * the client address is turned away for its failures, each failure counted.
   */
  private static Route userToken(
      String presented,
      org.apache.pekko.http.javadsl.model.HttpRequest request,
      dev.quire.gateway.api.UserTokens users,
      dev.quire.gateway.api.TokenFailures failures,
      java.util.Map<String, dev.quire.protocol.Role.Permission> access,
      ErrorMapper errors,
      java.util.function.Supplier<Route> inner) {
    java.time.Instant until = failures.turnedAwayUntil(request);
    if (until != null) {
      long seconds =
          Math.max(1, java.time.Duration.between(java.time.Instant.now(), until).toSeconds() + 1);
      return complete(
          errors
              .toJson(
                  new HttpError(
                      429,
                      "too_many_requests",
                      "Authorization",
                      "too many API tokens that were not valid came from this address; it may try"
                          + " again from "
                          + until.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                          + " (quire.gateway.api.token-failures)"))
              .addHeader(RawHeader.create("Retry-After", String.valueOf(seconds))));
    }
    java.util.Optional<dev.quire.gateway.api.UserTokens.Presented> own =
        dev.quire.gateway.api.UserTokens.parse(presented);
    if (own.isEmpty()) {
      return onSuccess(
          failures.failed(request),
          counted -> complete(denied(errors, false, "the API token is not valid")));
    }
    return onSuccess(
        users.check(presented),
        user -> {
          if (user.isEmpty()) {
            return onSuccess(
                failures.failed(request),
                counted ->
                    complete(
                        denied(
                            errors,
                            false,
                            "the API token is not valid: it expired or was revoked, its"
                                + " user is disabled, or it was never made here")));
          }
          ApiCaller caller =
              new ApiCaller(
                  user.get().username(),
                  user.get().displayName(),
                  user.get().role(),
                  own.get().id());
          if (caller.role() == dev.quire.protocol.Role.ADMIN) {
            return as(caller, inner);
          }
          return extractUnmatchedPath(
              rest -> {
                String segment = rest.startsWith("/") ? rest.substring(1) : rest;
                int slash = segment.indexOf('/');
                segment = slash < 0 ? segment : segment.substring(0, slash);
                dev.quire.protocol.Role.Permission need = access.get(segment);
                if (need == null || !caller.may(need)) {
                  throw ApiCaller.forbidden(caller, "use /api/v1/" + segment);
                }
                return as(caller, inner);
              });
        });
  }

  private static Route as(ApiCaller caller, java.util.function.Supplier<Route> inner) {
    return mapRequest(r -> r.addAttribute(ApiCaller.KEY, caller), inner);
  }

  private static HttpResponse denied(ErrorMapper errors, boolean none, String message) {
    return errors
        .toJson(
            new HttpError(
                401,
                "unauthorized",
                "Authorization",
                none ? "send the API token as 'Authorization: Bearer <token>'" : message))
        .addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"quire\""));
  }

  /** The sharding proxy of entities that run on nodes of {@code role}, not this one. */
  private static <M> void proxy(
      ActorSystem<?> system,
      org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey<M> key,
      String role) {
    ClusterSharding.get(system).init(Entity.of(key, ctx -> Behaviors.<M>empty()).withRole(role));
  }
}
