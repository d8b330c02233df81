package dev.quire.gateway.module;

import dev.quire.protocol.Role;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * What a module's admin pages get from the admin (module "admin"): the signed-in editor, checked
 * against the permission a route needs; forms checked for their CSRF token; pages in the admin's
 * layout. Every admin path is under {@code /admin/}.
 */
public interface Admin {

  /**
   * A time as every admin page shows it, "5 Dec 2026, 14:03" in the site's zone ({@code
   * quire.site.time-zone}); "" for none. A page puts it in {@code <time datetime="<instant>">}.
   */
  static String shownTime(java.time.Instant t, java.time.ZoneId zone) {
    return t == null ? "" : SHOWN_TIME.format(t.atZone(zone));
  }

  /**
   * The instant for the {@code <time datetime>} around a {@link #shownTime}; "" for none. Templates
   * given an {@code Instant} write it with the filter {@code datetime}, which gives the same.
   */
  static String timeAttribute(java.time.Instant t) {
    return dev.quire.gateway.render.DisplayDate.attribute(t);
  }

  /** The pattern of {@link #shownTime}. */
  java.time.format.DateTimeFormatter SHOWN_TIME =
      java.time.format.DateTimeFormatter.ofPattern("d MMM yyyy, HH:mm", java.util.Locale.ENGLISH);

  /** An entry of the admin's navigation, shown to editors whose role has {@code permission}. */
  record Link(String label, String path, Role.Permission permission) {}

  /** Who is signed in; {@code csrf} goes into every form as the field {@code _csrf}. */
  record Editor(String username, String displayName, Role role, String csrf) {
    public boolean may(Role.Permission p) {
      return role.may(p);
    }
  }

  /**
   * {@code inner} for a signed-in editor whose role has {@code need}; without a session the sign-in
   * page (coming back here after), with a role that lacks it a 403 page.
   */
  Route signedIn(Role.Permission need, Function<Editor, Route> inner);

  /**
   * A POSTed form's fields, bounded in size, once its {@code _csrf} field matches the editor's
   * session; otherwise a 403 page and {@code inner} does not run. Line ends are as sent.
   */
  Route form(Editor editor, Function<Map<String, String>, Route> inner);

  /** A page in the admin's layout: {@code template} sees {@code vars} and {@code editor}. */
  HttpResponse page(Editor editor, StatusCode status, String template, Map<String, Object> vars);

  /** 303 to {@code path}, which must be an admin path ({@code /admin/...}). */
  HttpResponse seeOther(String path);

  /**
   * The 403 page for a multipart upload whose {@code _csrf} part did not match the session (what
   * {@link #form} answers for an ordinary form), with a link {@code back}.
   */
  default HttpResponse uploadRefused(Editor editor, String back) {
    return page(
        editor,
        org.apache.pekko.http.javadsl.model.StatusCodes.FORBIDDEN,
        "admin/message.peb",
        Map.of(
            "heading",
            "Form expired",
            "message",
            "This upload did not come from your current session. Reload the page and try again.",
            "back",
            back));
  }

  /**
   * Whether {@code token} is the editor's CSRF token, compared in constant time: for a form the
   * module reads itself (a file upload, whose first part carries the token).
   */
  static boolean csrfMatches(Editor editor, String token) {
    return token != null
        && java.security.MessageDigest.isEqual(
            token.getBytes(java.nio.charset.StandardCharsets.UTF_8),
            editor.csrf().getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
