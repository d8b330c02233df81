package dev.quire.gateway.module;

import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;

import dev.quire.gateway.http.HttpError;
import dev.quire.protocol.Role;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.AttributeKey;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Whom an API request acts for, as the gateway found it from the bearer token before any module's
 * API route runs: the site's token ({@link #SITE}: everything an admin may, recorded as {@code
 * "api"}), or a user's own token, acting with that user's role as it is now and recorded under
 * their name. A module reads it with {@link #of} and checks finer rights with {@link #require}; the
 * gateway has already held a user's token below admin to the paths the modules open to it ({@link
 * CmsModule#apiAccess}).
 *
 * @param username the user the token belongs to; null for the site's token
 * @param displayName that user's name as shown; null for the site's token
 * @param role what the token may do: the user's role, {@code ADMIN} for the site's token
 * @param tokenId the user's token's id; null for the site's token
 */
public record ApiCaller(String username, String displayName, Role role, String tokenId) {

  /** The site's token ({@code QUIRE_API_TOKEN} or {@code <data>/api-token}). */
  public static final ApiCaller SITE = new ApiCaller(null, null, Role.ADMIN, null);

  /** The request attribute the gateway sets; it cannot come from the wire. */
  public static final AttributeKey<ApiCaller> KEY =
      AttributeKey.create("quire-api-caller", ApiCaller.class);

  public boolean site() {
    return username == null;
  }

  /** Who a change made with this token is recorded as: the user, or {@code "api"}. */
  public String actor() {
    return site() ? "api" : username;
  }

  public boolean may(Role.Permission p) {
    return role.may(p);
  }

  /**
   * {@code inner} with the request's caller. Module API routes are reached only through the
   * gateway's authorisation, which always sets it; a route reached any other way (mounted among the
   * public or admin routes by mistake) fails closed, a 500, rather than acting for anyone.
   */
  public static Route of(Function<ApiCaller, Route> inner) {
    return extractRequest(
        r ->
            inner.apply(
                r.getAttribute(KEY)
                    .orElseThrow(
                        () ->
                            new IllegalStateException(
                                "an API route was reached without the gateway's authorisation: "
                                    + r.getUri().path()))));
  }

  /** {@code inner} when the caller's role has {@code need}, else a 403 saying what is missing. */
  public static Route require(Role.Permission need, String what, Function<ApiCaller, Route> inner) {
    return of(
        caller -> {
          if (!caller.may(need)) {
            throw forbidden(caller, what);
          }
          return inner.apply(caller);
        });
  }

  /** The 403 for a caller whose role may not do {@code what} ("publish", "delete media"). */
  public static HttpError forbidden(ApiCaller caller, String what) {
    return new HttpError(
        403,
        "forbidden",
        "Authorization",
        "this token acts for '"
            + caller.username()
            + "', whose role ("
            + caller.role().id()
            + ") may not "
            + what
            + "; someone whose role may has to do it (the roles: docs/api.md)");
  }
}
