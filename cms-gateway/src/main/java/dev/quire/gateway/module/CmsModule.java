package dev.quire.gateway.module;

import io.pebbletemplates.pebble.extension.Extension;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * How every feature plugs into the gateway, the built-in ones included. A module is found with
 * {@link java.util.ServiceLoader} but runs only when its {@link #id()} is listed in {@code
 * quire.gateway.modules}; the list's order is the order its routes are tried. Its templates live
 * under its own namespace, {@code templates/<id>/} in the theme.
 */
public interface CmsModule {

  /** Lowercase, unique; also the module's template namespace. */
  String id();

  /** Called once before any route is asked for. */
  default void start(ModuleContext context) {}

  /** Routes on the public site, tried in module order. */
  default Optional<Route> publicRoutes(ModuleContext context) {
    return Optional.empty();
  }

  /** Routes under {@code /api/v1}; the gateway applies the API's size limit and error format. */
  default Optional<Route> apiRoutes(ModuleContext context) {
    return Optional.empty();
  }

  /**
   * The paths under {@code /api/v1} (by their first segment, such as {@code "content"}) that a
   * user's own API token may reach when its role is below admin, each with the permission it needs
   * at least; the module's routes check finer rights themselves with {@link ApiCaller}. A path no
   * module names here answers such a token 403 before any route runs: a module that adds API routes
   * and says nothing keeps them to admins and the site's token.
   */
  default java.util.Map<String, dev.quire.protocol.Role.Permission> apiAccess() {
    return java.util.Map.of();
  }

  /**
   * Pages of the admin, under {@code /admin/} behind its sign-in; each route asks {@code admin} for
   * the permission it needs. Only called when the admin module is enabled.
   */
  default Optional<Route> adminRoutes(ModuleContext context, Admin admin) {
    return Optional.empty();
  }

  /** This module's entries in the admin's navigation, in order. */
  default List<Admin.Link> adminLinks() {
    return List.of();
  }

  /**
   * A piece of a site page contributed by a module: one of its own templates, which sees {@code
   * vars} as the variable {@code vars}. {@code complete} false means "not ready yet" (say, still
   * being fetched): the page is served with it but not memoised, so a later request renders it
   * again.
   */
  record Fragment(String template, java.util.Map<String, Object> vars, boolean complete) {}

  /**
   * Fragments for a slot of a site page, in module order. Called while the page renders, so it must
   * answer at once from memory (start any fetch in the background). Slots: {@code "post.after"}
   * (after a post's body), with the post's {@code ItemView} as {@code item}.
   */
  default List<Fragment> fragments(String slot, Object item, long siteSeq) {
    return List.of();
  }

  /**
   * {@code item}, which is not on the site, as the site would show it: the admin's "preview as
   * page". Nothing is stored or kept. Null from a module that does not show items.
   */
  default byte[] previewPage(dev.quire.protocol.ReadItem item) {
    return null;
  }

  /**
   * The response deadline for {@code request}, when this module answers it and it needs another
   * than {@code quire.gateway.http.response-timeout} by its nature (an upload streams its body
   * while the route runs); empty otherwise. Asked for every request before its route runs, in
   * module order, the first answer winning: decide from the method and path alone, at once.
   */
  default Optional<java.time.Duration> responseDeadline(
      org.apache.pekko.http.javadsl.model.HttpRequest request) {
    return Optional.empty();
  }

  /**
   * The answer this module holds ready for {@code request}, given at once without the routes: null
   * when it has none, {@link #ROUTES} when the routes must answer it (no later module's ready
   * answer may be given instead), or the response its routes would give. The gateway asks for GET
   * requests without a query only, every module in module order, before any route runs; routing
   * took ~15% of the CPU of a page served from memory. A module whose routes would answer such a
   * request for a path a later module holds ready must say {@link #ROUTES} for it. Decide from
   * memory, at once: this runs on the connection's thread for every such request.
   */
  default org.apache.pekko.http.javadsl.model.HttpResponse ready(
      org.apache.pekko.http.javadsl.model.HttpRequest request) {
    return null;
  }

  /** What {@link #ready} answers for a request its routes must answer: never sent. */
  org.apache.pekko.http.javadsl.model.HttpResponse ROUTES =
      org.apache.pekko.http.javadsl.model.HttpResponse.create();

  /**
   * Where this module's routes send a GET of {@code path} (a local path as the server hands it to
   * routes, without a query) with a redirect they make themselves (an old slug to the item's
   * address, a tag's other spelling to its one); empty when they answer it otherwise or not at all.
   * Decided from memory, rendering nothing: the redirects module asks it for every hop of every
   * rule it is sent (thousands in a WordPress import), to refuse one that would loop.
   */
  default Optional<String> movedTo(String path) {
    return Optional.empty();
  }

  /**
   * Why a GET of {@code path}, a post's or page's address, would not show the site's page there
   * because this module answers it first (a redirect rule from it, which the redirects module
   * answers before the site), said for an editor ("a redirect rule sends visitors to /blog/");
   * empty when it does not. The admin shows it on the item's page, where a page published or
   * renamed onto such an address was hidden without a word. Decided from memory, at once.
   */
  default Optional<String> takesOver(String path) {
    return Optional.empty();
  }

  /** Pebble functions, filters and globals this module's templates need. */
  default List<Extension> pebbleExtensions() {
    return List.of();
  }

  /** An extension that only adds {@code vars} as global variables of every template. */
  static Extension globals(java.util.Map<String, Object> vars) {
    java.util.Map<String, Object> copy = java.util.Map.copyOf(vars);
    return new io.pebbletemplates.pebble.extension.AbstractExtension() {
      @Override
      public java.util.Map<String, Object> getGlobalVariables() {
        return copy;
      }
    };
  }
}
