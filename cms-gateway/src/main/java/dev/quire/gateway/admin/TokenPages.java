package dev.quire.gateway.admin;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.entity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.optionalCookie;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quire.gateway.api.ApiJson;
import dev.quire.gateway.api.UserTokens;
import dev.quire.gateway.http.HttpError;
import dev.quire.gateway.http.JsonResponses;
import dev.quire.gateway.module.Admin;
import dev.quire.gateway.module.Admin.Editor;
import dev.quire.gateway.module.ApiCaller;
import dev.quire.protocol.ContentReply;
import dev.quire.protocol.Role.Permission;
import dev.quire.protocol.UserCommand;
import dev.quire.protocol.UserCommand.TokenReply;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * Users' own API tokens ({@link UserTokens}): every editor makes and revokes theirs on their
 * account page, an admin sees and revokes anyone's from the users page, and the API ({@code
 * /api/v1/users/<name>/tokens}, admins) does the same for scripts. A token is shown once, in the
 * answer that made it; after that only its name, id and dates are.
 */
final class TokenPages {

  private final AdminModule admin;
  private final UserTokens tokens;
  private final java.time.ZoneId zone;
  private final Expiry expiry;

  TokenPages(AdminModule admin, UserTokens tokens, java.time.ZoneId zone, Expiry expiry) {
    this.admin = admin;
    this.tokens = tokens;
    this.zone = zone;
    this.expiry = expiry;
  }

  /**
   * What the account page offers for a new token's life, in days ({@code
   * quire.gateway.admin.token-expiry-days}), and which is chosen first; "never" besides.
   */
  record Expiry(List<Integer> days, int defaultDays) {
    Expiry {
      days = List.copyOf(days);
      if (days.isEmpty() || days.stream().anyMatch(d -> d < 1) || !days.contains(defaultDays)) {
        throw new IllegalArgumentException(
            "quire.gateway.admin.token-expiry-days must be whole days of 1 or more, among them"
                + " token-expiry-default-days ("
                + defaultDays
                + "), was "
                + days);
      }
    }

    static Expiry fromConfig(com.typesafe.config.Config admin) {
      return new Expiry(
          admin.getIntList("token-expiry-days"), admin.getInt("token-expiry-default-days"));
    }

    /** The form's value: a number of days offered, or "never" (null); anything else refused. */
    java.util.Optional<java.time.Instant> parse(String value, java.time.Instant now) {
      if ("never".equals(value)) {
        return java.util.Optional.empty();
      }
      for (int d : days) {
        if (String.valueOf(d).equals(value)) {
          return java.util.Optional.of(
              now.plus(java.time.Duration.ofDays(d))
                  .truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        }
      }
      throw new IllegalArgumentException("choose one of " + days + " days, or never");
    }
  }

  /** What {@code POST /api/v1/users/<name>/tokens} takes; {@code expiresAt} null: never. */
  record TokenInput(String name, java.time.Instant expiresAt) {}

  // ------------------------------------------------------------------ admin pages

  /** {@code /admin/account/tokens}: the signed-in editor's own tokens. */
  Route ownRoutes() {
    return concat(
        path(
            PathMatchers.segment("account").slash("tokens"),
            () -> admin.signedIn(null, e -> concat(listed(e, e.username()), makeRoute(e)))),
        path(
            PathMatchers.segment("account")
                .slash("tokens")
                .slash(PathMatchers.segment())
                .slash("revoke"),
            id ->
                admin.signedIn(
                    null, e -> revokeRoute(e, e.username(), id, "/admin/account/tokens"))));
  }

  /** {@code /admin/users/<name>/tokens}: an admin's view of a user's tokens, to revoke them. */
  Route userRoutes() {
    return concat(
        path(
            PathMatchers.segment("users").slash(PathMatchers.segment()).slash("tokens"),
            name -> admin.signedIn(Permission.MANAGE_USERS, e -> listed(e, name))),
        path(
            PathMatchers.segment("users")
                .slash(PathMatchers.segment())
                .slash("tokens")
                .slash(PathMatchers.segment())
                .slash("revoke"),
            (name, id) ->
                admin.signedIn(
                    Permission.MANAGE_USERS,
                    e -> revokeRoute(e, name, id, "/admin/users/" + name + "/tokens"))));
  }

  /** GET: {@code owner}'s tokens page, saying so after a revocation ({@code ?done=revoked}). */
  private Route listed(Editor e, String owner) {
    return get(
        () ->
            parameterOptional(
                "done",
                done ->
                    onSuccess(
                        page(
                            e,
                            owner,
                            StatusCodes.OK,
                            done.map(d -> "Token revoked: it no longer works.").orElse(null),
                            null,
                            Map.of()),
                        r -> complete(r))));
  }

  /** POST, CSRF-checked: revokes {@code owner}'s token {@code id}, then back to {@code back}. */
  private Route revokeRoute(Editor e, String owner, String id, String back) {
    return post(() -> admin.form(e, f -> onSuccess(revoke(e, owner, id, back), r -> complete(r))));
  }

  /**
   * The tokens page of {@code owner}; {@code made}: a token just made, shown this once (the page is
   * never cached: the admin's pages are no-store).
   */
  private CompletionStage<HttpResponse> page(
      Editor e,
      String owner,
      StatusCode status,
      String notice,
      Map<String, String> made,
      Map<String, String> errors) {
    return tokens
        .<TokenReply>ask(r -> new UserCommand.ListTokens(owner, r))
        .thenApply(
            reply -> {
              if (reply instanceof TokenReply.Refused no) {
                throw refusal(no);
              }
              TokenReply.Tokens t = (TokenReply.Tokens) reply;
              Map<String, Object> vars = new HashMap<>();
              vars.put("owner", t.user());
              vars.put("own", owner.equals(e.username()));
              vars.put("tokens", t.tokens());
              Map<String, String> shown = new HashMap<>();
              t.tokens().forEach(k -> shown.put(k.id(), Admin.shownTime(k.createdAt(), zone)));
              vars.put("createdShown", shown);
              java.time.Instant now = java.time.Instant.now();
              Map<String, String> expires = new HashMap<>();
              t.tokens()
                  .forEach(
                      k ->
                          expires.put(
                              k.id(),
                              k.expiresAt() == null
                                  ? "never"
                                  : (k.expired(now) ? "expired " : "")
                                      + Admin.shownTime(k.expiresAt(), zone)));
              vars.put("expiresShown", expires);
              Map<String, String> used = new HashMap<>();
              t.tokens().forEach(k -> used.put(k.id(), Admin.shownTime(k.lastUsed(), zone)));
              vars.put("usedShown", used);
              vars.put("expiryDays", expiry.days());
              vars.put("expiryDefault", expiry.defaultDays());
              vars.put("errors", errors);
              // The make form's one-off value: sent again (a reload re-posting it), it asks for
              // the token it made the first time, which the directory does not make twice.
              vars.put("formId", UserTokens.newId());
              if (made != null) {
                vars.put("made", made);
              }
              if (notice != null) {
                vars.put("notice", notice);
              }
              return admin.page(e, status, "admin/tokens.peb", vars);
            });
  }

  /** The form that makes a token: its CSRF token checked, the browser's device cookie read. */
  private Route makeRoute(Editor e) {
    return post(
        () ->
            optionalCookie(
                AdminModule.DEVICE_COOKIE,
                device ->
                    admin.form(
                        e,
                        f ->
                            onSuccess(
                                make(
                                    e,
                                    f,
                                    f.getOrDefault("current", ""),
                                    device.map(c -> c.value()).orElse(null)),
                                r -> complete(r)))));
  }

  /**
   * A new token of the editor's own, shown on the page this once, once their current password is
   * given: a token outlives the sessions, so a stolen session alone must not be able to make one.
   */
  private CompletionStage<HttpResponse> make(
      Editor e, Map<String, String> form, String current, String device) {
    java.time.Instant expiresAt;
    try {
      expiresAt =
          expiry
              .parse(
                  form.getOrDefault("expires", String.valueOf(expiry.defaultDays())),
                  java.time.Instant.now())
              .orElse(null);
    } catch (IllegalArgumentException ex) {
      return page(
          e, e.username(), StatusCodes.BAD_REQUEST, null, null, Map.of("expires", ex.getMessage()));
    }
    String name = form.get("name");
    String formId = form.get("form");
    boolean once = formId != null && UserCommand.TOKEN_ID.matcher(formId).matches();
    String id = once ? UserTokens.idFor(e.username(), formId) : UserTokens.newId();
    return admin
        .checkPassword(e.username(), current, device)
        .thenCompose(
            right ->
                right
                    ? issue(e, id, once, name, expiresAt)
                    : page(
                        e,
                        e.username(),
                        StatusCodes.FORBIDDEN,
                        null,
                        null,
                        Map.of("current", "is not your current password")));
  }

  /**
   * Issues the token {@code id}; {@code once}: the id came from the form's one-off value, so the
   * directory refusing it as taken means this very form was sent before.
   */
  private CompletionStage<HttpResponse> issue(
      Editor e, String id, boolean once, String name, java.time.Instant expiresAt) {
    UserTokens.Made made = UserTokens.make(id);
    return tokens
        .<TokenReply>ask(
            r ->
                new UserCommand.IssueToken(
                    e.username(), made.id(), name, made.secretHash(), expiresAt, e.username(), r))
        .thenCompose(
            reply -> {
              if (reply instanceof TokenReply.Refused no
                  && once
                  && no.code() == dev.quire.protocol.ErrorCode.ALREADY_EXISTS
                  && "id".equals(no.field())) {
                return page(
                    e,
                    e.username(),
                    StatusCodes.CONFLICT,
                    null,
                    null,
                    Map.of(
                        "token",
                        "This form was sent before (a reload sends it again). The token it made"
                            + " is in the list below (unless it was revoked since: a token is never made"
                            + " again), and was shown once, when it was made; it is"
                            + " not made twice. If you did not copy it, revoke it and make"
                            + " another."));
              }
              if (reply instanceof TokenReply.Refused no) {
                return page(
                    e,
                    e.username(),
                    statusOf(no),
                    null,
                    null,
                    Map.of("name".equals(no.field()) ? "name" : "token", no.message()));
              }
              TokenReply.Tokens t = (TokenReply.Tokens) reply;
              return page(
                  e,
                  e.username(),
                  StatusCodes.OK,
                  null,
                  Map.of("id", made.id(), "name", t.issued().name(), "token", made.token()),
                  Map.of());
            });
  }

  private CompletionStage<HttpResponse> revoke(Editor e, String owner, String id, String back) {
    return tokens
        .<TokenReply>ask(r -> new UserCommand.RevokeToken(owner, id, e.username(), r))
        .thenCompose(
            reply ->
                reply instanceof TokenReply.Refused no
                    ? page(e, owner, statusOf(no), null, null, Map.of("token", no.message()))
                    : java.util.concurrent.CompletableFuture.completedFuture(
                        admin.seeOther(back + "?done=revoked")));
  }

  // ------------------------------------------------------------------ API

  /** Under {@code /api/v1/users/<name>/tokens}: admins and the site's token only (not opened). */
  Route apiRoutes(ObjectMapper json) {
    return concat(
        path(
            PathMatchers.segment().slash("tokens"),
            name ->
                concat(
                    get(
                        () ->
                            onSuccess(
                                tokens.<TokenReply>ask(r -> new UserCommand.ListTokens(name, r)),
                                r -> complete(tokenList(json, r)))),
                    post(
                        () ->
                            ApiCaller.of(
                                c ->
                                    entity(
                                        Unmarshaller.entityToString(),
                                        body ->
                                            onSuccess(
                                                apiMake(json, c, name, body),
                                                r -> complete(r))))))),
        path(
            PathMatchers.segment().slash("tokens").slash(PathMatchers.segment()),
            (name, id) ->
                delete(
                    () ->
                        ApiCaller.of(
                            c ->
                                onSuccess(
                                    tokens.<TokenReply>ask(
                                        r -> new UserCommand.RevokeToken(name, id, c.actor(), r)),
                                    r -> {
                                      if (r instanceof TokenReply.Refused no) {
                                        throw refusal(no);
                                      }
                                      return complete(
                                          HttpResponse.create().withStatus(StatusCodes.NO_CONTENT));
                                    })))));
  }

  /** {@code GET /api/v1/me}: whom the token acts for; every token may ask. */
  Route meRoute(ObjectMapper json) {
    return path(
        "me",
        () ->
            get(
                () ->
                    ApiCaller.of(
                        c -> {
                          Map<String, Object> me = new LinkedHashMap<>();
                          me.put("site", c.site());
                          me.put("username", c.username());
                          me.put("displayName", c.displayName());
                          me.put("role", c.role().id());
                          me.put("tokenId", c.tokenId());
                          return complete(JsonResponses.of(json, StatusCodes.OK, me));
                        })));
  }

  private CompletionStage<HttpResponse> apiMake(
      ObjectMapper json, ApiCaller caller, String owner, String body) {
    TokenInput in = ApiJson.parse(json, body, TokenInput.class);
    UserTokens.Made made = UserTokens.make();
    return tokens
        .<TokenReply>ask(
            r ->
                new UserCommand.IssueToken(
                    owner,
                    made.id(),
                    in.name(),
                    made.secretHash(),
                    in.expiresAt(),
                    caller.actor(),
                    r))
        .thenApply(
            reply -> {
              if (reply instanceof TokenReply.Refused no) {
                throw refusal(no);
              }
              UserCommand.TokenView t = ((TokenReply.Tokens) reply).issued();
              Map<String, Object> out = new LinkedHashMap<>();
              out.put("id", t.id());
              out.put("name", t.name());
              out.put("createdAt", t.createdAt());
              out.put("createdBy", t.createdBy());
              out.put("expiresAt", t.expiresAt());
              out.put("username", owner);
              out.put("token", made.token());
              return JsonResponses.of(json, StatusCodes.CREATED, out);
            });
  }

  private static HttpResponse tokenList(ObjectMapper json, TokenReply reply) {
    if (reply instanceof TokenReply.Refused no) {
      throw refusal(no);
    }
    TokenReply.Tokens t = (TokenReply.Tokens) reply;
    return JsonResponses.of(
        json, StatusCodes.OK, Map.of("username", t.user().username(), "items", t.tokens()));
  }

  private static HttpError refusal(TokenReply.Refused no) {
    return HttpError.of(new ContentReply.Rejected(no.code(), no.field(), no.message(), List.of()));
  }

  private static StatusCode statusOf(TokenReply.Refused no) {
    return StatusCodes.get(refusal(no).status());
  }
}
