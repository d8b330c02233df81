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
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.put;
import static org.apache.pekko.http.javadsl.server.Directives.redirect;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quire.gateway.api.ApiJson;
import dev.quire.gateway.http.HttpError;
import dev.quire.gateway.module.Admin.Editor;
import dev.quire.gateway.module.ApiCaller;
import dev.quire.protocol.ContentReply;
import dev.quire.protocol.Role;
import dev.quire.protocol.Role.Permission;
import dev.quire.protocol.UserCommand;
import dev.quire.protocol.UserCommand.UserReply;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpCookiePair;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * Users: the admin's users page (admins only: add, change role, disable, set a password), every
 * editor's own account page (change one's password), and the same writes in the JSON API under
 * {@code /api/v1/users} for scripts, behind the API token.
 */
final class UserPages {

  private final AdminModule admin;
  private final AdminClient client;

  private final java.time.ZoneId zone;

  UserPages(AdminModule admin, AdminClient client, java.time.ZoneId zone) {
    this.zone = zone;
    this.admin = admin;
    this.client = client;
  }

  /** What the API takes: every field optional on a change; null means "as it is". */
  record UserInput(
      String username, String displayName, String role, Boolean disabled, String password) {}

  Route routes() {
    return concat(
        pathPrefix(
            "users",
            () ->
                admin.signedIn(
                    Permission.MANAGE_USERS,
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
                                                        onSuccess(
                                                            usersPage(
                                                                e,
                                                                StatusCodes.OK,
                                                                done.map(UserPages::notice)
                                                                    .orElse(null),
                                                                Map.of(),
                                                                Map.of()),
                                                            r -> complete(r)))),
                                        post(
                                            () ->
                                                admin.form(
                                                    e,
                                                    f -> onSuccess(add(e, f), r -> complete(r)))))),
                            path(
                                PathMatchers.segment(),
                                name ->
                                    post(
                                        () ->
                                            admin.form(
                                                e,
                                                f ->
                                                    onSuccess(
                                                        change(e, name, f), r -> complete(r)))))))),
        // "Sign out everywhere else": every session of the editor ends, this one is opened anew.
        path(
            PathMatchers.segment("account").slash("sessions"),
            () ->
                admin.signedIn(
                    null, e -> ownForm(e, (f, device, ends) -> endOtherSessions(e, device, ends)))),
        // The other pages' addresses end in a slash: this one's with it leads here, not to a 404.
        path(
            PathMatchers.segment("account").slash(),
            () ->
                get(
                    () ->
                        redirect(
                            org.apache.pekko.http.javadsl.model.Uri.create("/admin/account"),
                            StatusCodes.MOVED_PERMANENTLY))),
        path(
            "account",
            () ->
                admin.signedIn(
                    null,
                    e ->
                        concat(
                            get(
                                () ->
                                    parameterOptional(
                                        "done",
                                        done ->
                                            complete(
                                                accountPage(
                                                    e,
                                                    StatusCodes.OK,
                                                    done.map(
                                                            d ->
                                                                "sessions".equals(d)
                                                                    ? "You are signed out"
                                                                        + " everywhere else."
                                                                    : "Your password is changed.")
                                                        .orElse(null),
                                                    null)))),
                            ownForm(e, (f, device, ends) -> changeOwn(e, f, device, ends))))));
  }

  // ------------------------------------------------------------------ users page

  private CompletionStage<HttpResponse> usersPage(
      Editor e,
      StatusCode status,
      String notice,
      Map<String, String> errors,
      Map<String, String> form) {
    return client
        .<UserCommand.UserList>users(UserCommand.ListUsers::new)
        .thenApply(
            list -> {
              Map<String, Object> vars = new HashMap<>();
              vars.put("users", list.users());
              Map<String, String> lastLogins = new HashMap<>();
              list.users()
                  .forEach(
                      u ->
                          lastLogins.put(
                              u.username(),
                              dev.quire.gateway.module.Admin.shownTime(u.lastLogin(), zone)));
              vars.put("lastLogins", lastLogins);
              vars.put("roles", List.of("author", "editor", "admin"));
              vars.put("errors", errors);
              vars.put("form", form);
              if (notice != null) {
                vars.put("notice", notice);
              }
              return admin.page(e, status, "admin/users.peb", vars);
            });
  }

  private CompletionStage<HttpResponse> add(Editor e, Map<String, String> f) {
    String username = f.getOrDefault("username", "").strip().toLowerCase(java.util.Locale.ROOT);
    // Every problem of the form at once (one at a time took a try per field).
    Map<String, String> problems = new java.util.LinkedHashMap<>();
    String shape = UserCommand.usernameShapeProblem(username);
    if (shape != null) {
      problems.put("username", shape);
    }
    Role role = null;
    try {
      role = Role.parse(f.getOrDefault("role", ""));
    } catch (IllegalArgumentException ex) {
      problems.put("role", ex.getMessage());
    }
    String problem = admin.passwordProblem(f.get("password"), null);
    if (problem != null) {
      problems.put("password", problem);
    }
    if (!problems.isEmpty()) {
      return usersPage(e, StatusCodes.BAD_REQUEST, null, problems, keep(f));
    }
    Role chosen = role;
    return admin
        .hash(f.get("password"))
        .thenCompose(
            hash ->
                client.<UserReply>users(
                    r ->
                        new UserCommand.Add(
                            username, f.get("displayName"), chosen, hash, e.username(), r)))
        .thenCompose(
            reply ->
                reply instanceof UserReply.Refused no
                    ? usersPage(e, statusOf(no), null, Map.of(no.field(), no.message()), keep(f))
                    : done(admin.seeOther("/admin/users/?done=added")));
  }

  /** One user's row: a change of name, role or disabled, or a new password (one form each). */
  private CompletionStage<HttpResponse> change(Editor e, String name, Map<String, String> f) {
    String password = f.get("password");
    CompletionStage<UserReply> reply;
    if (password != null && name.equals(e.username())) {
      // Here no current password is asked for: a stolen session could take the account over.
      return usersPage(
          e,
          StatusCodes.FORBIDDEN,
          null,
          Map.of(
              "password:" + name,
              "change your own password on your account page, which asks for the current one"),
          Map.of());
    }
    if (password != null) {
      String problem = admin.passwordProblem(password, null);
      if (problem != null) {
        return usersPage(
            e, StatusCodes.BAD_REQUEST, null, Map.of("password:" + name, problem), Map.of());
      }
      reply =
          admin
              .hash(password)
              .thenCompose(
                  hash ->
                      client.users(r -> new UserCommand.SetPassword(name, hash, e.username(), r)));
    } else {
      Role role;
      try {
        role = f.get("role") == null ? null : Role.parse(f.get("role"));
      } catch (IllegalArgumentException ex) {
        return usersPage(
            e, StatusCodes.BAD_REQUEST, null, Map.of("role:" + name, ex.getMessage()), Map.of());
      }
      Boolean disabled = f.get("disabled") == null ? null : "true".equals(f.get("disabled"));
      reply =
          client.users(
              r ->
                  new UserCommand.Change(
                      name, f.get("displayName"), role, disabled, e.username(), r));
    }
    return reply.thenCompose(
        r ->
            r instanceof UserReply.Refused no
                ? usersPage(
                    e, statusOf(no), null, Map.of(no.field() + ":" + name, no.message()), Map.of())
                : done(afterChange(name, password != null)));
  }

  private HttpResponse afterChange(String name, boolean newPassword) {
    if (newPassword) {
      admin.forgetFirstPassword(name);
    }
    return admin.seeOther("/admin/users/?done=changed");
  }

  // ------------------------------------------------------------------ own account

  private HttpResponse accountPage(
      Editor e, StatusCode status, String notice, Map<String, String> errors) {
    Map<String, Object> vars = new HashMap<>();
    vars.put("errors", errors == null ? Map.of() : errors);
    if (notice != null) {
      vars.put("notice", notice);
    }
    return admin.page(e, status, "admin/account.peb", vars);
  }

  /** What a form about the editor's own account does. */
  @FunctionalInterface
  private interface OwnWork {
    /**
     * {@code device}: the browser's device secret (or null); {@code sessionEnds}: when the session
     * the form came in ends at the latest (a session opened for this browser after the change ends
     * no later: else "sign out everywhere else", which asks for no password, would let a stolen
     * session live on for ever).
     */
    CompletionStage<HttpResponse> apply(
        Map<String, String> fields, String device, java.time.Instant sessionEnds);
  }

  /**
   * A form the signed-in editor sends about their own account, its CSRF token checked; {@code work}
   * gets its fields, the browser's device secret (or null) and when its session ends.
   */
  private Route ownForm(Editor e, OwnWork work) {
    return post(
        () ->
            optionalCookie(
                AdminModule.DEVICE_COOKIE,
                device ->
                    optionalCookie(
                        AdminModule.SESSION_COOKIE,
                        session ->
                            admin.form(
                                e,
                                f ->
                                    onSuccess(
                                        admin
                                            .sessionEnds(
                                                session.map(HttpCookiePair::value).orElse(null))
                                            .thenCompose(
                                                ends ->
                                                    work.apply(
                                                        f,
                                                        device
                                                            .map(HttpCookiePair::value)
                                                            .orElse(null),
                                                        ends)),
                                        r -> complete(r))))));
  }

  /**
   * Ends every session of the editor (and every browser's trust), then opens a session for this
   * browser, trusted again with a new device secret: it stays signed in.
   */
  private CompletionStage<HttpResponse> endOtherSessions(
      Editor e, String device, java.time.Instant sessionEnds) {
    return client
        .<UserReply>users(r -> new UserCommand.EndSessions(e.username(), e.username(), r))
        .thenCompose(
            reply -> {
              if (reply instanceof UserReply.Refused no) {
                throw HttpError.of(
                    new ContentReply.Rejected(no.code(), no.field(), no.message(), List.of()));
              }
              return signedInAgain(
                  ((UserReply.Done) reply).user(),
                  device,
                  "/admin/account?done=sessions",
                  sessionEnds);
            });
  }

  /**
   * After the editor's own change that ended all their sessions and trusted browsers: this browser
   * is trusted again with a new device secret and gets a new session (under {@code now}'s
   * credentials count) that ends no later than {@code sessionEnds}, then goes to {@code next}.
   */
  private CompletionStage<HttpResponse> signedInAgain(
      UserCommand.UserView now, String device, String next, java.time.Instant sessionEnds) {
    return admin
        .trustThisBrowser(now.username(), device)
        .thenCompose(
            deviceCookie ->
                admin
                    .openSession(now.username(), now.credentials(), sessionEnds)
                    .thenApply(
                        secret -> {
                          HttpResponse r =
                              admin
                                  .seeOther(next)
                                  .addHeader(admin.sessionCookie(secret, sessionEnds));
                          return deviceCookie.isEmpty() ? r : r.addHeader(deviceCookie.get());
                        }));
  }

  /**
   * A new password for the signed-in editor, once the current one is given (a stolen session alone
   * cannot change it). Every session of theirs ends, this one too; they get a new one at once.
   */
  private CompletionStage<HttpResponse> changeOwn(
      Editor e, Map<String, String> f, String device, java.time.Instant sessionEnds) {
    String problem = admin.passwordProblem(f.get("password"), f.get("repeat"));
    if (problem != null) {
      return done(accountPage(e, StatusCodes.BAD_REQUEST, null, Map.of("password", problem)));
    }
    return admin
        .checkPassword(e.username(), f.getOrDefault("current", ""), device)
        .thenCompose(
            right -> {
              if (!right) {
                return done(
                    accountPage(
                        e,
                        StatusCodes.FORBIDDEN,
                        null,
                        Map.of("current", "is not your current password")));
              }
              return admin
                  .hash(f.get("password"))
                  .thenCompose(
                      hash ->
                          client.<UserReply>users(
                              r ->
                                  new UserCommand.SetPassword(e.username(), hash, e.username(), r)))
                  .thenCompose(
                      reply -> {
                        if (reply instanceof UserReply.Refused no) {
                          throw HttpError.of(
                              new ContentReply.Rejected(
                                  no.code(), no.field(), no.message(), List.of()));
                        }
                        UserCommand.UserView now = ((UserReply.Done) reply).user();
                        admin.forgetFirstPassword(now.username());
                        // The new password trusts no browser of before; this one, where it was
                        // typed, is trusted again at once, as after a sign-in.
                        return signedInAgain(now, device, "/admin/account?done=1", sessionEnds);
                      });
            });
  }

  // ------------------------------------------------------------------ API

  Route apiRoutes(ObjectMapper json) {
    return ApiCaller.of(caller -> apiRoutes(json, caller));
  }

  private Route apiRoutes(ObjectMapper json, ApiCaller caller) {
    return pathPrefix(
        "users",
        () ->
            concat(
                pathEndOrSingleSlash(
                    () ->
                        concat(
                            get(
                                () ->
                                    onSuccess(
                                        client.<UserCommand.UserList>users(
                                            UserCommand.ListUsers::new),
                                        list ->
                                            complete(
                                                ok(json, 200, Map.of("items", list.users()))))),
                            post(
                                () ->
                                    entity(
                                        Unmarshaller.entityToString(),
                                        body ->
                                            onSuccess(
                                                apiAdd(json, caller, body), r -> complete(r)))))),
                // Signs the user out everywhere (their password and all else unchanged).
                path(
                    PathMatchers.segment().slash("sessions"),
                    name ->
                        delete(
                            () ->
                                onSuccess(
                                    client.<UserReply>users(
                                        r -> new UserCommand.EndSessions(name, caller.actor(), r)),
                                    r -> complete(answer(json, 200, r))))),
                path(
                    PathMatchers.segment(),
                    name ->
                        concat(
                            get(
                                () ->
                                    onSuccess(
                                        client.<UserReply>users(
                                            r -> new UserCommand.GetUser(name, r)),
                                        r -> complete(answer(json, 200, r)))),
                            put(
                                () ->
                                    entity(
                                        Unmarshaller.entityToString(),
                                        body ->
                                            onSuccess(
                                                apiChange(json, caller, name, body),
                                                r -> complete(r))))))));
  }

  private CompletionStage<HttpResponse> apiAdd(ObjectMapper json, ApiCaller caller, String body) {
    UserInput in = ApiJson.parse(json, body, UserInput.class);
    // Every problem of the request at once (one at a time took a try per field).
    List<dev.quire.protocol.FieldError> problems = new java.util.ArrayList<>();
    if (in.username() == null || in.username().isBlank()) {
      problems.add(new dev.quire.protocol.FieldError("username", "is required"));
    } else {
      String shape = UserCommand.usernameShapeProblem(in.username());
      if (shape != null) {
        problems.add(new dev.quire.protocol.FieldError("username", shape));
      }
    }
    Role role = null;
    try {
      role = Role.parse(in.role() == null ? "" : in.role());
    } catch (IllegalArgumentException e) {
      problems.add(new dev.quire.protocol.FieldError("role", e.getMessage()));
    }
    String problem = admin.passwordProblem(in.password(), null);
    if (problem != null) {
      problems.add(new dev.quire.protocol.FieldError("password", problem));
    }
    if (problems.size() == 1) {
      throw HttpError.badRequest(problems.get(0).field(), problems.get(0).message());
    }
    if (!problems.isEmpty()) {
      throw HttpError.of(ContentReply.Rejected.invalid(problems));
    }
    if (in.disabled() != null) {
      throw HttpError.badRequest("disabled", "is set on a change only");
    }
    Role chosenRole = role;
    return admin
        .hash(in.password())
        .thenCompose(
            hash ->
                client.<UserReply>users(
                    r ->
                        new UserCommand.Add(
                            in.username(), in.displayName(), chosenRole, hash, caller.actor(), r)))
        .thenApply(r -> answer(json, 201, r));
  }

  private CompletionStage<HttpResponse> apiChange(
      ObjectMapper json, ApiCaller caller, String name, String body) {
    UserInput in = ApiJson.parse(json, body, UserInput.class);
    if (in.username() != null && !in.username().equals(name)) {
      throw HttpError.badRequest("username", "cannot change; add a new user instead");
    }
    Role role = in.role() == null ? null : role(in.role());
    if (in.password() != null) {
      String problem = admin.passwordProblem(in.password(), null);
      if (problem != null) {
        throw HttpError.badRequest("password", problem);
      }
    }
    // No current password is asked: /users is an admin's, and an admin's token may make another
    // admin and set any password with that one's token, so asking would protect nothing (tried in
    // the sixteenth 2026-12-06 session, and dropped). An admin's token is as secret as the
    // admin's password.
    return change(json, caller, name, in, role);
  }

  private CompletionStage<HttpResponse> change(
      ObjectMapper json, ApiCaller caller, String name, UserInput in, Role role) {
    CompletionStage<UserReply> changed =
        in.displayName() == null && role == null && in.disabled() == null
            ? client.users(r -> new UserCommand.GetUser(name, r))
            : client.users(
                r ->
                    new UserCommand.Change(
                        name, in.displayName(), role, in.disabled(), caller.actor(), r));
    return changed
        .thenCompose(
            r -> {
              if (r instanceof UserReply.Refused || in.password() == null) {
                return done(r);
              }
              return admin
                  .hash(in.password())
                  .thenCompose(
                      hash ->
                          client.<UserReply>users(
                              x -> new UserCommand.SetPassword(name, hash, caller.actor(), x)))
                  .thenApply(
                      x -> {
                        if (x instanceof UserReply.Done) {
                          admin.forgetFirstPassword(name);
                        }
                        return x;
                      });
            })
        .thenApply(r -> answer(json, 200, r));
  }

  private static Role role(String value) {
    try {
      return Role.parse(value);
    } catch (IllegalArgumentException e) {
      throw HttpError.badRequest("role", e.getMessage());
    }
  }

  private static HttpResponse answer(ObjectMapper json, int status, UserReply reply) {
    if (reply instanceof UserReply.Refused no) {
      throw HttpError.of(new ContentReply.Rejected(no.code(), no.field(), no.message(), List.of()));
    }
    return ok(json, status, ((UserReply.Done) reply).user());
  }

  private static HttpResponse ok(ObjectMapper json, int status, Object body) {
    try {
      return HttpResponse.create()
          .withStatus(status)
          .withEntity(
              HttpEntities.create(ContentTypes.APPLICATION_JSON, json.writeValueAsBytes(body)));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------ helpers

  private static StatusCode statusOf(UserReply.Refused no) {
    return StatusCodes.get(
        HttpError.of(new ContentReply.Rejected(no.code(), no.field(), no.message(), List.of()))
            .status());
  }

  /** The add form's fields to show again: never the password. */
  private static Map<String, String> keep(Map<String, String> f) {
    Map<String, String> form = new HashMap<>(f);
    form.remove("password");
    form.remove("_csrf");
    return form;
  }

  private static String notice(String done) {
    return switch (done) {
      case "added" -> "User added.";
      case "changed" ->
          "Saved. The user's sessions have ended if their role, state or password changed.";
      default -> null;
    };
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }
}
