package dev.quire.gateway.admin;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.extractUnmatchedPath;
import static org.apache.pekko.http.javadsl.server.Directives.extractUri;
import static org.apache.pekko.http.javadsl.server.Directives.formFieldMap;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.handleRejections;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.optionalCookie;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.reject;
import static org.apache.pekko.http.javadsl.server.Directives.respondWithDefaultHeaders;
import static org.apache.pekko.http.javadsl.server.Directives.withSizeLimit;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.typesafe.config.Config;
import dev.quire.gateway.http.ErrorMapper;
import dev.quire.gateway.http.HttpError;
import dev.quire.gateway.module.Admin;
import dev.quire.gateway.module.CmsModule;
import dev.quire.gateway.module.ModuleContext;
import dev.quire.protocol.Role;
import dev.quire.protocol.SessionCommand;
import dev.quire.protocol.UserCommand;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpCookie;
import org.apache.pekko.http.javadsl.model.headers.HttpCookiePair;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.SameSite;
import org.apache.pekko.http.javadsl.model.headers.SetCookie;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.Rejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The admin, under {@code /admin/}: sign-in and sign-out, the shell every module's admin pages run
 * in (see {@link Admin}), and its own pages: content, users and the editor's account. Sessions are
 * sharded entities, so a sign-in on one gateway node holds on all and a sign-out anywhere ends it
 * everywhere. Passwords are Argon2id hashes, checked on the blocking dispatcher, a bounded number
 * at once; sign-ins are limited per account (in the user directory) and per client address (here).
 * Every form carries a CSRF token derived from the session's secret.
 */
public final class AdminModule implements CmsModule, Admin {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AdminModule.class);

  static final String SESSION_COOKIE = "quire_admin";
  static final String LOGIN_COOKIE = "quire_login";

  /**
   * The browser's device secret, set at a successful sign-in and kept at sign-out: the accounts it
   * signed in to trust it (quire.content.users.trusted-devices), so their lockout does not hold it.
   */
  static final String DEVICE_COOKIE = "quire_device";

  /**
   * Set by a sign-out for the sign-in page it leads to (then cleared): the user whose drafts kept
   * in the browser by the editing page's script are forgotten there.
   */
  static final String SIGNED_OUT_COOKIE = "quire_signed_out";

  private static final Duration SIGNED_OUT_MARK_LIFETIME = Duration.ofMinutes(1);

  /**
   * The editing page may say a session is in use once per this fraction of the idle timeout, as
   * often as the content role journals a use (its AdminSession.SEEN_STEPS).
   */
  private static final int KEEP_ALIVE_STEPS = 12;

  static final String PATH = "/admin";

  private ModuleContext ctx;
  private AdminClient client;
  private PasswordHasher hasher;
  private LoginGuard.Settings guardSettings;
  private Duration guardTimeout;
  private dev.quire.gateway.http.ClientAddress clientAddress;
  private Semaphore hashSlots;
  private Executor blocking;
  private Duration lifetime;

  /** How long a session may go unused; null: no limit but its lifetime. */
  private Duration idleTimeout;

  /** How long a device stays trusted after its last sign-in; null: devices are not trusted. */
  private Duration deviceTrust;

  private boolean secureCookies;
  private long maxFormBytes;

  /** quire.media.max-upload-bytes: what a file over it is told. */
  private long maxUploadBytes;

  private int minPassword;
  private int maxPassword;
  private ZoneId zone;
  private List<Admin.Link> links = List.of();
  private ContentPages contentPages;

  private UserPages userPages;
  private TokenPages tokenPages;

  @Override
  public String id() {
    return "admin";
  }

  @Override
  public void start(ModuleContext context) {
    this.ctx = context;
    Config c = context.config().getConfig("quire.gateway.admin");
    this.client = new AdminClient(context.system(), context.content());
    this.hasher = new PasswordHasher(PasswordHasher.Params.fromConfig(c.getConfig("argon2")));
    // A name that does not exist locks as an account does, so the lockout names no account.
    // (The guard's entities are started by the gateway core: the API counts failed tokens too.)
    this.guardSettings = LoginGuard.Settings.fromConfig(context.config());
    this.guardTimeout = c.getDuration("login.guard-timeout");
    this.clientAddress = dev.quire.gateway.http.ClientAddress.fromConfig(context.config());
    this.hashSlots = new Semaphore(c.getInt("argon2.max-concurrent"));
    this.blocking =
        context
            .system()
            .dispatchers()
            .lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking());
    this.lifetime = c.getDuration("session-lifetime");
    Duration idle = c.getDuration("session-idle-timeout");
    this.idleTimeout = idle.isZero() || idle.isNegative() ? null : idle;
    this.deviceTrust =
        context.config().getInt("quire.content.users.trusted-devices") > 0
            ? context.config().getDuration("quire.content.users.device-trust")
            : null;
    String secure = c.getString("secure-cookies");
    this.secureCookies =
        "auto".equals(secure)
            ? context.config().getString("quire.site.base-url").startsWith("https:")
            : Boolean.parseBoolean(secure);
    this.maxFormBytes = c.getBytes("max-form-bytes");
    this.maxUploadBytes = context.config().getBytes("quire.media.max-upload-bytes");
    this.minPassword = c.getInt("password.min-length");
    this.maxPassword = c.getInt("password.max-length");
    this.zone = context.zone();
    this.contentPages = new ContentPages(context, this, zone);
    this.userPages = new UserPages(this, client, zone);
    this.tokenPages =
        new TokenPages(this, client.userTokens(), zone, TokenPages.Expiry.fromConfig(c));
  }

  @Override
  public List<Admin.Link> adminLinks() {
    return List.of(
        new Admin.Link("Content", "/admin/content/", Role.Permission.WRITE_DRAFTS),
        new Admin.Link("Users", "/admin/users/", Role.Permission.MANAGE_USERS),
        new Admin.Link("Account", "/admin/account", Role.Permission.WRITE_DRAFTS));
  }

  @Override
  public Optional<Route> adminRoutes(ModuleContext context, Admin admin) {
    return Optional.of(
        concat(
            contentPages.routes(),
            tokenPages.ownRoutes(),
            tokenPages.userRoutes(),
            userPages.routes()));
  }

  @Override
  public Optional<Route> apiRoutes(ModuleContext context) {
    return Optional.of(
        concat(
            pathPrefix("users", () -> tokenPages.apiRoutes(context.json())),
            userPages.apiRoutes(context.json()),
            tokenPages.meRoute(context.json())));
  }

  /** Every token may ask whom it acts for ({@code GET /api/v1/me}); the users API is admins'. */
  @Override
  public Map<String, Role.Permission> apiAccess() {
    return Map.of("me", Role.Permission.WRITE_DRAFTS);
  }

  @Override
  public Optional<Route> publicRoutes(ModuleContext context) {
    List<Admin.Link> all = new ArrayList<>();
    List<Route> pages = new ArrayList<>();
    for (CmsModule m : context.modules()) {
      all.addAll(m.adminLinks());
      m.adminRoutes(context, this).ifPresent(pages::add);
    }
    this.links = List.copyOf(all);
    Route home =
        pathEndOrSingleSlash(
            () ->
                get(
                    () ->
                        signedIn(
                            Role.Permission.WRITE_DRAFTS,
                            e -> complete(seeOther("/admin/content/")))));
    List<Route> routes = new ArrayList<>();
    routes.add(path("login", () -> concat(get(this::loginPage), post(this::login))));
    routes.add(
        path(
            "logout",
            () ->
                signedInPost(
                    e ->
                        optionalCookie(
                            SESSION_COOKIE,
                            c ->
                                onSuccess(
                                    logout(c.map(HttpCookiePair::value).orElse(""), e.username()),
                                    r -> complete(r))))));
    // The editing page's script says, while someone types, that the session is in use (the check
    // in signedIn is what counts); nothing else happens.
    routes.add(
        path(
            segment("session").slash("keepalive"),
            () ->
                signedInPost(
                    e -> complete(HttpResponse.create().withStatus(StatusCodes.NO_CONTENT)))));
    // The current session's form token and its user, for an editing page whose sign-in ended and
    // was made again in another tab: its script takes the new token before it saves, if the user
    // is the one the page was opened for (same-origin only: another site cannot read the answer).
    routes.add(
        path(
            segment("session").slash("token"),
            () ->
                get(
                    () ->
                        signedIn(
                            null,
                            e ->
                                complete(
                                    HttpResponse.create()
                                        .withEntity(
                                            org.apache.pekko.http.javadsl.model.ContentTypes
                                                .APPLICATION_JSON,
                                            sessionJson(e)))))));
    routes.add(home);
    routes.addAll(pages);
    Route admin = concat(routes.get(0), routes.subList(1, routes.size()).toArray(new Route[0]));
    ExceptionHandler errors =
        ExceptionHandler.newBuilder()
            .matchAny(
                e -> {
                  Throwable cause = e;
                  while (cause instanceof java.util.concurrent.CompletionException
                      && cause.getCause() != null) {
                    cause = cause.getCause();
                  }
                  if (cause
                      instanceof org.apache.pekko.http.scaladsl.model.EntityStreamSizeException s) {
                    return tooLarge(s.limit());
                  }
                  return complete(errorPage(ErrorMapper.httpError(e)));
                })
            .build();
    // Everything under /admin/ is the admin's to answer: a path no page has is its 404, a form
    // that cannot be read its 400, never the site's pages.
    RejectionHandler rejections =
        RejectionHandler.newBuilder()
            .handleAll(
                MethodRejection.class,
                rs ->
                    complete(
                        errorPage(
                            new HttpError(
                                405,
                                "method_not_allowed",
                                "",
                                "This admin address answers "
                                    + String.join(
                                        ", ",
                                        rs.stream()
                                            .map(r -> r.supported().name())
                                            .distinct()
                                            .toList())
                                    + " only."))))
            .handle(
                Rejection.class,
                r -> {
                  if (r
                          instanceof
                          org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection m
                      && m.getCause()
                          instanceof
                          org.apache.pekko.http.scaladsl.model.EntityStreamSizeException s) {
                    return tooLarge(s.limit());
                  }
                  return complete(
                      errorPage(
                          HttpError.badRequest(
                              "", "The form could not be read. Reload the page and try again.")));
                })
            .handleNotFound(
                extractUri(
                    uri ->
                        complete(
                            errorPage(
                                HttpError.notFound(
                                    "There is no admin page at " + uri.path() + ".")))))
            .build();
    // Defaults: a page that needs another policy (the page preview's images) sets its own.
    Route guarded =
        respondWithDefaultHeaders(
            securityHeaders(),
            () -> handleExceptions(errors, () -> handleRejections(rejections, () -> admin)));
    return Optional.of(
        pathPrefix(
            "admin",
            () ->
                extractUnmatchedPath(
                    rest -> rest.isEmpty() || rest.startsWith("/") ? guarded : reject())));
  }

  /** A form POST by any signed-in editor, its CSRF token checked. */
  private Route signedInPost(Function<Editor, Route> inner) {
    return post(() -> signedIn(null, e -> form(e, f -> inner.apply(e))));
  }

  /** Never cached, never framed, no scripts or styles but the site's own. */
  private static List<HttpHeader> securityHeaders() {
    return List.of(
        RawHeader.create("Cache-Control", "no-store"),
        RawHeader.create(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self';"
                + " base-uri 'none'"),
        RawHeader.create("X-Frame-Options", "DENY"),
        RawHeader.create("X-Content-Type-Options", "nosniff"),
        RawHeader.create("Referrer-Policy", "same-origin"));
  }

  // ------------------------------------------------------------------ Admin, for every module

  @Override
  public Route signedIn(Role.Permission need, Function<Editor, Route> inner) {
    return optionalCookie(
        SESSION_COOKIE,
        cookie ->
            extractUri(
                uri -> {
                  String back = uri.path() + uri.rawQueryString().map(q -> "?" + q).orElse("");
                  if (cookie.isEmpty()) {
                    return away(back, false);
                  }
                  String secret = cookie.get().value();
                  return onSuccess(
                      editor(secret),
                      found -> {
                        if (found.isEmpty()) {
                          return away(back, true);
                        }
                        Editor e = found.get();
                        if (need != null && !e.may(need)) {
                          return complete(
                              page(
                                  e,
                                  StatusCodes.FORBIDDEN,
                                  "admin/message.peb",
                                  Map.of(
                                      "heading",
                                      "Not allowed",
                                      "message",
                                      "Your role ("
                                          + e.role().id()
                                          + ") does not allow this. Ask "
                                          + whoMay(need)
                                          + ".")));
                        }
                        return inner.apply(e);
                      });
                }));
  }

  /**
   * A form or upload over {@code limit}: the admin's form limit, or (any other limit, a media
   * upload's) the media's, named as the Media page names it. It said "the form is larger than
   * 4194304 bytes" for a file over the media's 64 MB. The editing page's upload (its script reads
   * JSON) gets the API's JSON error.
   */
  private Route tooLarge(long limit) {
    HttpError error =
        limit == maxFormBytes
            ? new HttpError(
                413,
                "too_large",
                "",
                "The form is larger than "
                    + maxFormBytes
                    + " bytes (quire.gateway.admin.max-form-bytes).")
            : new HttpError(
                413,
                "too_large",
                "file",
                new dev.quire.gateway.media.MediaStore.TooLarge(maxUploadBytes).getMessage()
                    + "; nothing was stored");
    return extractUri(
        uri ->
            uri.path().equals(dev.quire.gateway.media.MediaModule.INSERT_PATH)
                ? complete(
                    dev.quire.gateway.http.JsonResponses.of(
                        ctx.json(),
                        org.apache.pekko.http.javadsl.model.StatusCodes.PAYLOAD_TOO_LARGE,
                        Map.of(
                            "error",
                            Map.of(
                                "code",
                                error.code(),
                                "field",
                                error.field(),
                                "message",
                                error.getMessage()))))
                : complete(errorPage(error)));
  }

  /**
   * Who to ask for what {@code need} allows: "an editor or an admin" for what editors do (the
   * redirects, the menus, the site audit), "an admin" for the rest. It said "an admin" for all.
   */
  static String whoMay(dev.quire.protocol.Role.Permission need) {
    return java.util.Arrays.stream(dev.quire.protocol.Role.values())
        .filter(r -> r.may(need))
        .map(r -> "an " + r.id())
        .collect(java.util.stream.Collectors.joining(" or "));
  }

  /**
   * Without a valid session: a page load goes to the sign-in page (and back here after); a form
   * sent goes nowhere, and its fields are shown on a page of their own, so what was typed is not
   * lost with the session.
   */
  private Route away(String back, boolean expired) {
    return extractRequest(
        request -> {
          boolean form =
              request.method() == org.apache.pekko.http.javadsl.model.HttpMethods.POST
                  && request
                      .entity()
                      .getContentType()
                      .mediaType()
                      .equals(
                          org.apache.pekko.http.javadsl.model.MediaTypes
                              .APPLICATION_X_WWW_FORM_URLENCODED);
          if (!form) {
            return complete(toLogin(back, expired));
          }
          return withSizeLimit(
              maxFormBytes,
              () ->
                  formFieldMap(
                      f -> {
                        Map<String, Object> vars = new HashMap<>();
                        vars.put("fields", keptFields(f));
                        vars.put("signIn", PATH + "/login?next=" + urlEncoded(safeNext(back)));
                        return complete(
                            page(null, StatusCodes.UNAUTHORIZED, "admin/unsaved.peb", vars));
                      }));
        });
  }

  private String sessionJson(Editor e) {
    try {
      return ctx.json().writeValueAsString(Map.of("user", e.username(), "csrf", e.csrf()));
    } catch (com.fasterxml.jackson.core.JsonProcessingException x) {
      throw new IllegalStateException(x);
    }
  }

  /**
   * What a form that was not saved held, to show back, labelled as the editing page labels it and
   * in its order (other forms' fields after, by name): never its token or a password, nor the
   * fields only the page itself reads (revision, the date it showed, the kind, the button).
   */
  private static Map<String, String> keptFields(Map<String, String> f) {
    Map<String, String> rest = new java.util.TreeMap<>(f);
    for (String hidden :
        List.of(
            "_csrf",
            "password",
            "current",
            "repeat",
            "revision",
            "dateWas",
            "kind",
            "preview",
            "createKey")) {
      rest.remove(hidden);
    }
    Map<String, String> kept = new java.util.LinkedHashMap<>();
    FIELD_LABELS.forEach(
        (name, label) -> {
          String value = rest.remove(name);
          if (value != null) {
            kept.put(label, value);
          }
        });
    kept.putAll(rest);
    return kept;
  }

  /**
   * The editing page's fields as it labels them, in its order (the diff page names them so too).
   */
  static final Map<String, String> FIELD_LABELS = editLabels();

  private static Map<String, String> editLabels() {
    Map<String, String> labels = new java.util.LinkedHashMap<>();
    labels.put("title", "Title");
    labels.put("slug", "Slug");
    labels.put("body", "Body");
    labels.put("description", "Description");
    labels.put("tags", "Tags");
    labels.put("coverImage", "Cover image");
    labels.put("coverAlt", "Cover image description");
    labels.put("author", "Author");
    labels.put("date", "Date");
    labels.put("at", "Publish at");
    return java.util.Collections.unmodifiableMap(labels);
  }

  private static String urlEncoded(String s) {
    return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
  }

  /** A cookie this admin could have set: 256 bits in URL-safe base64, nothing else. */
  private static final java.util.regex.Pattern SECRET =
      java.util.regex.Pattern.compile("[A-Za-z0-9_-]{43}");

  /** The editor a session secret belongs to, if the session is open and the user still valid. */
  private CompletionStage<Optional<Editor>> editor(String secret) {
    // Anything else is not asked about: no entity is started for a made-up cookie.
    if (!SECRET.matcher(secret).matches()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return client
        .session(secret, SessionCommand.Check::new)
        .thenCompose(
            s -> {
              if (!s.open()) {
                return CompletableFuture.completedFuture(Optional.<Editor>empty());
              }
              return client
                  .<UserCommand.UserReply>users(r -> new UserCommand.GetUser(s.username(), r))
                  .thenApply(
                      reply -> {
                        if (reply instanceof UserCommand.UserReply.Done d
                            && !d.user().disabled()
                            && d.user().credentials() == s.credentials()) {
                          return Optional.of(
                              new Editor(
                                  d.user().username(),
                                  d.user().displayName(),
                                  d.user().role(),
                                  Secrets.csrf(secret)));
                        }
                        return Optional.<Editor>empty();
                      });
            });
  }

  @Override
  public Route form(Editor editor, Function<Map<String, String>, Route> inner) {
    return withSizeLimit(
        maxFormBytes,
        () ->
            formFieldMap(
                fields -> {
                  if (!Secrets.same(fields.get("_csrf"), editor.csrf())) {
                    // Most likely a form opened before the editor signed in again (its token is
                    // the old session's): nothing is done, and what it held is shown back, read
                    // only, as for an ended session, so the typing is not lost either.
                    Map<String, Object> vars = new HashMap<>();
                    vars.put("fields", keptFields(fields));
                    vars.put("stale", true);
                    return complete(page(editor, StatusCodes.FORBIDDEN, "admin/unsaved.peb", vars));
                  }
                  return inner.apply(fields);
                }));
  }

  @Override
  public HttpResponse page(
      Editor editor, StatusCode status, String template, Map<String, Object> vars) {
    Map<String, Object> model = new HashMap<>(vars);
    model.put("editor", editor);
    model.put(
        "nav",
        editor == null
            ? List.of()
            : links.stream()
                .filter(l -> l.permission() == null || editor.may(l.permission()))
                .toList());
    model.put("siteTitle", ctx.settings().get().title());
    if (editor != null) {
      ctx.content().storeTrouble().ifPresent(t -> model.put("storeTrouble", t));
    }
    // How often the editing page's script may say the session is in use; 0: no idle timeout.
    model.put("keepAliveMs", idleTimeout == null ? 0L : idleTimeout.toMillis() / KEEP_ALIVE_STEPS);
    return HttpResponse.create()
        .withStatus(status)
        .withEntity(
            HttpEntities.create(
                ContentTypes.TEXT_HTML_UTF8, ctx.templates().renderBytes(template, model)));
  }

  @Override
  public HttpResponse seeOther(String path) {
    if (!path.startsWith(PATH + "/")) {
      throw new IllegalArgumentException("not an admin path: " + path);
    }
    return HttpResponse.create().withStatus(StatusCodes.SEE_OTHER).addHeader(Location.create(path));
  }

  /** The admin's error page heading for {@code status}: what kind of problem, in a few words. */
  static String heading(int status) {
    return switch (status) {
      case 400 -> "Check what was sent";
      case 403 -> "Not allowed";
      case 404 -> "Not found";
      case 405 -> "Not answered here";
      case 409 -> "Changed meanwhile";
      case 413 -> "Too large";
      case 422 -> "Cannot be done";
      case 429 -> "Too many attempts";
      case 408 -> "Took too long";
      case 501 -> "Not supported";
      case 503 -> "Busy: try again in a moment";
      case 507 -> "No storage space left";
      default -> status < 500 ? "This request cannot be answered" : "Something went wrong";
    };
  }

  HttpResponse errorPage(HttpError error) {
    Map<String, Object> vars = new HashMap<>();
    vars.put("heading", heading(error.status()));
    // What was wrong, named: "page: must be a whole number from 1, was '-1'".
    String field = error.field();
    vars.put(
        "message",
        field == null || field.isEmpty() || error.getMessage().startsWith(field)
            ? error.getMessage()
            : field + ": " + error.getMessage());
    HttpResponse r = page(null, StatusCodes.get(error.status()), "admin/message.peb", vars);
    return error.status() == 503 ? r.addHeader(RawHeader.create("Retry-After", "5")) : r;
  }

  // ---------------------------------------------------------------- sign-in and sign-out

  /** Where to go after signing in: an admin path of this site, else the admin's home. */
  static String safeNext(String next) {
    if (next == null
        || !next.startsWith(PATH + "/")
        || next.startsWith(PATH + "/login")
        || next.contains("\\")
        || next.contains("//")
        || next.contains("/..")
        || next.contains("/./")
        // A dot written as an escape: Pekko's Location header decodes "%2e" into ".", so
        // "/admin/%2e%2e/%2e%2e/x" left /admin/ for "/x". Admin paths never need one.
        || next.toLowerCase(java.util.Locale.ROOT).contains("%2e")
        || next.chars().anyMatch(ch -> ch < 0x21 || ch >= 0x7f)
        || badEscape(next)) {
      return PATH + "/";
    }
    return next;
  }

  /** A {@code %} not followed by two hex digits: a Location header could not carry it. */
  private static boolean badEscape(String s) {
    for (int i = s.indexOf('%'); i >= 0; i = s.indexOf('%', i + 1)) {
      if (i + 2 >= s.length()
          || Character.digit(s.charAt(i + 1), 16) < 0
          || Character.digit(s.charAt(i + 2), 16) < 0) {
        return true;
      }
    }
    return false;
  }

  private HttpResponse toLogin(String back, boolean expired) {
    String target =
        PATH
            + "/login?next="
            + java.net.URLEncoder.encode(safeNext(back), java.nio.charset.StandardCharsets.UTF_8)
            + (expired ? "&expired=1" : "");
    HttpResponse r =
        HttpResponse.create().withStatus(StatusCodes.SEE_OTHER).addHeader(Location.create(target));
    return expired ? r.addHeader(SetCookie.create(gone(SESSION_COOKIE))) : r;
  }

  private Route loginPage() {
    return parameterOptional(
        "next",
        next ->
            parameterOptional(
                "expired",
                expired ->
                    parameterOptional(
                        "done",
                        done ->
                            optionalCookie(
                                SIGNED_OUT_COOKIE,
                                signedOut -> {
                                  String token = Secrets.random();
                                  Map<String, Object> vars = new HashMap<>();
                                  vars.put("next", safeNext(next.orElse(null)));
                                  vars.put("loginCsrf", token);
                                  if (expired.isPresent()) {
                                    vars.put(
                                        "notice", "Your session has ended. Please sign in again.");
                                  } else if (done.filter("out"::equals).isPresent()) {
                                    vars.put("notice", "You are signed out.");
                                  }
                                  // Right after a sign-out (its one-time cookie, which a link
                                  // from elsewhere cannot set): what the editing page kept in
                                  // this browser for that user goes with the sign-in.
                                  signedOut
                                      .map(HttpCookiePair::value)
                                      .filter(v -> UserCommand.USERNAME.matcher(v).matches())
                                      .ifPresent(who -> vars.put("signedOut", who));
                                  HttpResponse r =
                                      page(null, StatusCodes.OK, "admin/login.peb", vars)
                                          .addHeader(
                                              SetCookie.create(
                                                  cookie(
                                                      LOGIN_COOKIE, token, Duration.ofHours(1))));
                                  return complete(
                                      signedOut.isPresent()
                                          ? r.addHeader(SetCookie.create(gone(SIGNED_OUT_COOKIE)))
                                          : r);
                                }))));
  }

  private Route login() {
    return optionalCookie(SESSION_COOKIE, before -> login(before.map(HttpCookiePair::value)));
  }

  /**
   * The sign-in; {@code before}: the session cookie the browser came with. A sign-in that opens a
   * new session ends that one (else a copy of the old cookie stayed good until it expired).
   */
  private Route login(Optional<String> before) {
    return withSizeLimit(
        maxFormBytes,
        () ->
            optionalCookie(
                LOGIN_COOKIE,
                loginCookie ->
                    optionalCookie(
                        DEVICE_COOKIE,
                        deviceCookie ->
                            extractRequest(
                                request ->
                                    formFieldMap(
                                        f -> {
                                          // The connection's address, or behind a trusted
                                          // proxy the client's it names (ClientAddress); null
                                          // when unknown, and then not counted.
                                          String address =
                                              clientAddress
                                                  .of(request)
                                                  .map(LoginGuard::address)
                                                  .orElse(null);
                                          return onSuccess(
                                              signIn(
                                                      f,
                                                      loginCookie
                                                          .map(HttpCookiePair::value)
                                                          .orElse(null),
                                                      address,
                                                      deviceCookie
                                                          .map(HttpCookiePair::value)
                                                          .filter(Secrets::wellFormed)
                                                          .orElse(null))
                                                  .thenCompose(r -> endingBefore(r, before)),
                                              r -> complete(r));
                                        })))));
  }

  /** {@code r}, once the session {@code before} has ended if {@code r} opened a new one. */
  private CompletionStage<HttpResponse> endingBefore(HttpResponse r, Optional<String> before) {
    boolean opened = false;
    for (org.apache.pekko.http.javadsl.model.HttpHeader h : r.getHeaders()) {
      opened |=
          h instanceof SetCookie c
              && c.cookie().name().equals(SESSION_COOKIE)
              && !c.cookie().value().isEmpty();
    }
    if (!opened || before.isEmpty() || !SECRET.matcher(before.get()).matches()) {
      return done(r);
    }
    return client
        .session(before.get(), SessionCommand.Close::new)
        .handle(
            (s, e) -> {
              if (e != null) {
                LOG.warn("the session signed in over did not end: {}", e.toString());
              }
              return r;
            });
  }

  private CompletionStage<HttpResponse> signIn(
      Map<String, String> f, String loginCookie, String address, String device) {
    String username = f.getOrDefault("username", "").strip().toLowerCase(java.util.Locale.ROOT);
    String password = f.getOrDefault("password", "");
    String next = safeNext(f.get("next"));
    if (!Secrets.same(f.get("_csrf"), loginCookie)) {
      return done(
          loginAgain(
              StatusCodes.FORBIDDEN,
              username,
              next,
              "The sign-in form expired. Please try again."));
    }
    if (username.isEmpty() || password.isEmpty()) {
      return done(
          loginAgain(StatusCodes.BAD_REQUEST, username, next, "Enter your username and password."));
    }
    boolean tooLong = PasswordRules.longerThan(password, maxPassword) || username.length() > 64;
    // The client address's failures, counted for the whole cluster (see LoginGuard).
    return guard(addressKey(address), LoginGuard.Check::new)
        .thenCompose(
            addressLocked -> {
              if (addressLocked != null) {
                return done(
                    loginAgain(
                        StatusCodes.TOO_MANY_REQUESTS,
                        username,
                        next,
                        "Too many failed sign-ins from your address. Wait a few minutes and try"
                            + " again."));
              }
              if (tooLong) {
                return guard(addressKey(address), LoginGuard.Fail::new)
                    .thenApply(
                        v ->
                            loginAgain(
                                StatusCodes.UNAUTHORIZED,
                                username,
                                next,
                                "Wrong username or password."));
              }
              return checked(username, password, next, address, device);
            });
  }

  /**
   * The sign-in once the client address may try. The user directory counts the attempt against the
   * account (or refuses it, locked); a name that does not exist is counted the same way, in one
   * step, by its guard entity, so that the two cannot be told apart, also by attempts sent at once.
   * A hashing slot first: a busy node answers 503 without counting an attempt against the account
   * of someone who could not even be checked. The slot is given back once the hash is checked,
   * before the session is opened.
   */
  private CompletionStage<HttpResponse> checked(
      String username, String password, String next, String address, String device) {
    return inSlot(
            () ->
                client
                    .<UserCommand.LoginTicket>users(
                        r -> new UserCommand.BeginLogin(username, trustedId(device), r))
                    .thenCompose(
                        ticket -> {
                          if (ticket.lockedUntil() != null) {
                            return done(new Checked(ticket, false, ticket.lockedUntil()));
                          }
                          CompletionStage<Instant> nameLocked =
                              ticket.user() == null
                                  ? guard(nameKey(username), LoginGuard.Attempt::new)
                                  : done(null);
                          return nameLocked.thenCompose(
                              locked ->
                                  locked != null
                                      ? done(new Checked(ticket, false, locked))
                                      : onBlocking(() -> check(ticket, password)));
                        }))
        .thenCompose(
            c ->
                c.lockedUntil() != null
                    ? done(locked(username, next, c.lockedUntil()))
                    : afterCheck(c, username, next, address, device));
  }

  /**
   * Checks {@code password} against the ticket's hash (or spends that time for a name that does not
   * exist). A right password whose hash has older Argon2 parameters than the site's is hashed again
   * here, in the same hashing slot, for the sign-in to store.
   */
  private Checked check(UserCommand.LoginTicket ticket, String password) {
    if (ticket.user() == null) {
      return new Checked(ticket, hasher.verifyNobody(password), null, null);
    }
    boolean right = hasher.verify(password, ticket.passwordHash());
    String rehash = right && hasher.outdated(ticket.passwordHash()) ? hasher.hash(password) : null;
    return new Checked(ticket, right, null, rehash);
  }

  /**
   * A sign-in attempt's ticket and whether the password was right; {@code lockedUntil} set: the
   * account, or the name that does not exist, is locked (nothing was checked). {@code rehash}: the
   * password hashed with the present parameters, when its hash had older ones (else null).
   */
  private record Checked(
      UserCommand.LoginTicket ticket, boolean right, Instant lockedUntil, String rehash) {
    Checked(UserCommand.LoginTicket ticket, boolean right, Instant lockedUntil) {
      this(ticket, right, lockedUntil, null);
    }
  }

  private HttpResponse locked(String username, String next, Instant until) {
    return loginAgain(
        StatusCodes.TOO_MANY_REQUESTS,
        username,
        next,
        "Too many sign-in attempts for this account. Try again after "
            + java.time.format.DateTimeFormatter.ofPattern("HH:mm").withZone(zone).format(until)
            + " ("
            + zone.getId()
            + ").");
  }

  /** The guard's key for a client address (null: unknown, or that limit is off). */
  private String addressKey(String address) {
    return address == null || guardSettings.addressMax() <= 0 ? null : address;
  }

  /** The guard's key for a username that may not exist (null: that limit is off). */
  private String nameKey(String username) {
    return guardSettings.nameMax() <= 0 ? null : LoginGuard.name(username);
  }

  /**
   * Asks the guard entity of {@code key} (null: nothing asked): until when it is locked. A guard
   * that does not answer in time does not keep anyone out (each account's own lockout, in the user
   * directory, still holds), and says so in the log.
   */
  private CompletionStage<Instant> guard(
      String key,
      java.util.function.Function<ActorRef<LoginGuard.Verdict>, LoginGuard.Command> message) {
    if (key == null) {
      return done(null);
    }
    return ClusterSharding.get(ctx.system())
        .entityRefFor(LoginGuard.KEY, key)
        .<LoginGuard.Verdict>ask(message::apply, guardTimeout)
        .thenApply(LoginGuard.Verdict::lockedUntil)
        .exceptionally(
            e -> {
              LOG.warn("the sign-in guard did not answer, not counted: {}", e.toString());
              return null;
            });
  }

  private CompletionStage<HttpResponse> afterCheck(
      Checked checked, String username, String next, String address, String device) {
    UserCommand.LoginTicket ticket = checked.ticket();
    if (!checked.right()) {
      if (ticket.user() != null) {
        // Only existing accounts are logged: a password typed into the name field is not.
        LOG.info("failed sign-in for '{}' from {}", ticket.user().username(), address);
      }
      // (A name that does not exist had its attempt counted before the check, as an account.)
      return guard(addressKey(address), LoginGuard.Fail::new)
          .thenApply(
              a ->
                  loginAgain(
                      StatusCodes.UNAUTHORIZED, username, next, "Wrong username or password."));
    }
    if (ticket.user().disabled()) {
      return done(
          loginAgain(
              StatusCodes.FORBIDDEN, username, next, "This account is disabled. Ask an admin."));
    }
    // The browser gets a new device secret at every sign-in (one per browser: the accounts it
    // signed in to before trust the new one in place of the old), which this account trusts from
    // now on: a secret someone else planted in the browser is never the one trusted. (A sign-in
    // whose answer never reaches the browser leaves it with a secret no longer trusted: it is
    // trusted again at its next sign-in.)
    String rehashFrom = checked.rehash() == null ? null : ticket.passwordHash();
    return trustThisBrowser(username, device, rehashFrom, checked.rehash())
        .thenCompose(
            deviceCookie ->
                openSession(ticket.user().username(), ticket.user().credentials())
                    .thenApply(
                        secret -> {
                          HttpResponse r =
                              seeOther(next)
                                  .addHeader(
                                      SetCookie.create(cookie(SESSION_COOKIE, secret, lifetime)))
                                  .addHeader(SetCookie.create(gone(LOGIN_COOKIE)));
                          return deviceCookie.isEmpty() ? r : r.addHeader(deviceCookie.get());
                        }));
  }

  /**
   * Records a successful sign-in of {@code username} from this browser (it came with the device
   * secret {@code presented}, or none): the account forgets the attempts counted against it, and
   * trusts the new secret whose cookie this answers (empty when devices are not trusted).
   */
  CompletionStage<Optional<HttpHeader>> trustThisBrowser(String username, String presented) {
    return trustThisBrowser(username, presented, null, null);
  }

  /**
   * As {@link #trustThisBrowser(String, String)}, and replaces the account's hash {@code
   * rehashFrom} with {@code rehash}, the same password with the present Argon2 parameters (both
   * null: no change).
   */
  private CompletionStage<Optional<HttpHeader>> trustThisBrowser(
      String username, String presented, String rehashFrom, String rehash) {
    String secret = deviceTrust == null ? null : Secrets.random();
    String via = Secrets.wellFormed(presented) ? trustedId(presented) : null;
    return client
        .<UserCommand.UserReply>users(
            r ->
                new UserCommand.LoginSucceeded(
                    username, deviceId(secret), via, rehashFrom, rehash, r))
        .thenApply(
            reply ->
                secret == null
                    ? Optional.<HttpHeader>empty()
                    : Optional.<HttpHeader>of(
                        SetCookie.create(cookie(DEVICE_COOKIE, secret, deviceTrust))));
  }

  /** What the user directory knows a device by: its secret's hash (null for none). */
  private static String deviceId(String deviceSecret) {
    return deviceSecret == null ? null : Secrets.sessionId(deviceSecret);
  }

  /** The device id to name in a sign-in, when devices are trusted at all (else null). */
  private String trustedId(String deviceSecret) {
    return deviceTrust == null ? null : deviceId(deviceSecret);
  }

  /** Opens a new session for {@code username}; its secret goes into the cookie. */
  CompletionStage<String> openSession(String username, long credentials) {
    return openSession(username, credentials, null);
  }

  /**
   * Opens a new session for {@code username} that ends after the configured lifetime, or at {@code
   * notAfter} when that is sooner (a session opened in place of one that ends then).
   */
  CompletionStage<String> openSession(String username, long credentials, Instant notAfter) {
    String secret = Secrets.random();
    Instant full = Instant.now().plus(lifetime);
    Instant expires = notAfter != null && notAfter.isBefore(full) ? notAfter : full;
    return client
        .session(
            secret, r -> new SessionCommand.Open(username, credentials, expires, idleTimeout, r))
        .thenApply(
            s -> {
              if (!s.open()) {
                throw HttpError.unavailable("could not open a session; please try again");
              }
              return secret;
            });
  }

  /**
   * When the session of {@code secret} ends at the latest (null: no such open session, and no bound
   * from it).
   */
  CompletionStage<Instant> sessionEnds(String secret) {
    if (secret == null || !SECRET.matcher(secret).matches()) {
      return CompletableFuture.completedFuture(null);
    }
    return client
        .session(secret, SessionCommand.Check::new)
        .thenApply(st -> st.open() ? st.expiresAt() : null);
  }

  /** The session cookie for a new secret (after a password change: the old session has ended). */
  HttpHeader sessionCookie(String secret) {
    return sessionCookie(secret, null);
  }

  /** The session cookie for a new secret whose session ends no later than {@code notAfter}. */
  HttpHeader sessionCookie(String secret, Instant notAfter) {
    Duration left = notAfter == null ? lifetime : Duration.between(Instant.now(), notAfter);
    return SetCookie.create(
        cookie(
            SESSION_COOKIE,
            secret,
            left.compareTo(lifetime) > 0 ? lifetime : left.isNegative() ? Duration.ZERO : left));
  }

  /** Ends the session in its entity, so the cookie is worthless on every gateway from now on. */
  private CompletionStage<HttpResponse> logout(String secret, String username) {
    return client
        .session(secret, SessionCommand.Close::new)
        .thenApply(
            s ->
                seeOther(PATH + "/login?done=out")
                    .addHeader(SetCookie.create(gone(SESSION_COOKIE)))
                    .addHeader(
                        SetCookie.create(
                            cookie(SIGNED_OUT_COOKIE, username, SIGNED_OUT_MARK_LIFETIME))));
  }

  private HttpResponse loginAgain(StatusCode status, String username, String next, String error) {
    String token = Secrets.random();
    Map<String, Object> vars = new HashMap<>();
    vars.put("next", next);
    vars.put("username", username);
    vars.put("error", error);
    vars.put("loginCsrf", token);
    return page(null, status, "admin/login.peb", vars)
        .addHeader(SetCookie.create(cookie(LOGIN_COOKIE, token, Duration.ofHours(1))));
  }

  private HttpCookie cookie(String name, String value, Duration maxAge) {
    return HttpCookie.create(name, value)
        .withPath(PATH)
        .withHttpOnly(true)
        .withSecure(secureCookies)
        .withSameSite(SameSite.Strict)
        .withMaxAge(maxAge.toSeconds());
  }

  private HttpCookie gone(String name) {
    return cookie(name, "", Duration.ZERO);
  }

  // ---------------------------------------------------------------- passwords

  /** Hashes {@code password} on the blocking dispatcher (bounded; a 503 past the bound). */
  CompletionStage<String> hash(String password) {
    return inSlot(() -> onBlocking(() -> hasher.hash(password)));
  }

  /**
   * Checks the signed-in editor's password (counted as a sign-in attempt: against {@code device},
   * the browser's device secret, when the account trusts it).
   */
  CompletionStage<Boolean> checkPassword(String username, String password, String device) {
    if (PasswordRules.longerThan(password, maxPassword)) {
      return CompletableFuture.completedFuture(false);
    }
    return inSlot(
        () ->
            client
                .<UserCommand.LoginTicket>users(
                    r ->
                        new UserCommand.BeginLogin(
                            username, Secrets.wellFormed(device) ? trustedId(device) : null, r))
                .thenCompose(
                    t -> {
                      if (t.lockedUntil() != null) {
                        throw new HttpError(
                            429,
                            "locked",
                            "password",
                            "Too many attempts for this account; try again later.");
                      }
                      return onBlocking(
                          () -> t.user() != null && hasher.verify(password, t.passwordHash()));
                    }));
  }

  /** Null when {@code password} is acceptable, else what is wrong with it. */
  String passwordProblem(String password, String repeat) {
    String problem = PasswordRules.problem(password, minPassword, maxPassword);
    if (problem != null) {
      return problem;
    }
    if (repeat != null && !repeat.equals(password)) {
      return "the two passwords differ";
    }
    return null;
  }

  /**
   * {@code work} holding one of the {@code argon2.max-concurrent} hashing slots until it ends; none
   * free: a 503 at once, before anything is asked or counted.
   */
  private <T> CompletionStage<T> inSlot(Supplier<CompletionStage<T>> work) {
    if (!hashSlots.tryAcquire()) {
      return CompletableFuture.failedFuture(
          HttpError.unavailable("The server is busy checking passwords; try again in a moment."));
    }
    CompletionStage<T> running;
    try {
      running = work.get();
    } catch (RuntimeException e) {
      hashSlots.release();
      return CompletableFuture.failedFuture(e);
    }
    return running.whenComplete((v, e) -> hashSlots.release());
  }

  private <T> CompletionStage<T> onBlocking(Supplier<T> work) {
    try {
      return CompletableFuture.supplyAsync(work, blocking);
    } catch (RuntimeException refused) {
      return CompletableFuture.failedFuture(
          HttpError.unavailable("the server is stopping; try again in a moment"));
    }
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }

  /**
   * Once the first admin's password is changed, the file {@link FirstAdmin} wrote no longer opens
   * anything: it goes, so that nobody later mistakes it for a way in. (On another gateway node's
   * disk, it stays until its operator deletes it; it is then only stale.)
   */
  void forgetFirstPassword(String username) {
    if (!FirstAdmin.USERNAME.equals(username)) {
      return;
    }
    java.nio.file.Path file =
        java.nio.file.Path.of(ctx.config().getString("quire.data-dir")).resolve(FirstAdmin.FILE);
    blocking.execute(
        () -> {
          try {
            java.nio.file.Files.deleteIfExists(file);
          } catch (java.io.IOException e) {
            LOG.warn("could not delete {}: {}", file, e.getMessage());
          }
        });
  }
}
