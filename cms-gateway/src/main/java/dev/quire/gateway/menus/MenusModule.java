package dev.quire.gateway.menus;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.entity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.put;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quire.gateway.api.ApiJson;
import dev.quire.gateway.content.ContentClient;
import dev.quire.gateway.content.FollowedTable;
import dev.quire.gateway.http.HttpError;
import dev.quire.gateway.http.JsonResponses;
import dev.quire.gateway.module.Admin;
import dev.quire.gateway.module.ApiCaller;
import dev.quire.gateway.module.CmsModule;
import dev.quire.gateway.module.ModuleContext;
import dev.quire.gateway.site.SiteState;
import dev.quire.protocol.ContentReply;
import dev.quire.protocol.ErrorCode;
import dev.quire.protocol.FieldError;
import dev.quire.protocol.MenuCommand;
import dev.quire.protocol.MenuCommand.MenuReply;
import dev.quire.protocol.Role;
import dev.quire.protocol.SiteMenu;
import io.pebbletemplates.pebble.extension.Extension;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * The site's navigation menus: kept by the content role's {@code Menus} entity, followed here
 * (every {@code quire.gateway.menus.refresh-interval}, and at once after a write through this
 * gateway) and given to templates as the global {@code menus} (name to links); the default theme's
 * header shows {@code main} when there is one, else the Blog and the site's pages. A change drops
 * the memoised pages, so the next request for each shows it. Edited at {@code /admin/menus/} and
 * through {@code /api/v1/menus}.
 */
public final class MenusModule implements CmsModule {

  /** What templates see: menu name to its links; replaced whole, never half-updated. */
  private final Map<String, List<SiteMenu.Link>> shown = new ConcurrentHashMap<>();

  private final AtomicLong version = new AtomicLong(-1);
  private FollowedTable<MenuCommand, MenuCommand.MenuTable> followed;
  private ActorSystem<?> system;
  private ContentClient content;
  private SiteState site;
  private ObjectMapper json;

  @Override
  public String id() {
    return "menus";
  }

  @Override
  public List<Extension> pebbleExtensions() {
    return List.of(
        CmsModule.globals(Map.of("menus", java.util.Collections.unmodifiableMap(shown))));
  }

  @Override
  public void start(ModuleContext ctx) {
    this.system = ctx.system();
    this.content = ctx.content();
    this.site = ctx.site();
    this.json = ctx.json();
    this.followed =
        new FollowedTable<>(
            system,
            content,
            MenuCommand.ENTITY_KEY,
            MenuCommand.SITE,
            "the menus",
            new FollowedTable.Reads<MenuCommand, MenuCommand.MenuTable>() {
              @Override
              public MenuCommand get(long knownVersion, ActorRef<MenuCommand.MenuTable> replyTo) {
                return new MenuCommand.Get(knownVersion, replyTo);
              }

              @Override
              public long version(MenuCommand.MenuTable answer) {
                return answer.version();
              }
            },
            this::install);
    followed.follow(
        ctx.config().getDuration("quire.gateway.menus.refresh-interval"), "stop-menu-refresh");
  }

  private synchronized void install(MenuCommand.MenuTable t) {
    if (t.unchanged() || t.version() <= version.get()) {
      return;
    }
    Map<String, List<SiteMenu.Link>> next = new LinkedHashMap<>();
    t.menus().forEach(m -> next.put(m.name(), m.links()));
    shown.keySet().retainAll(next.keySet());
    shown.putAll(next);
    version.set(t.version());
    if (site.snapshot() != null) {
      site.snapshot().forgetPages();
    }
  }

  /** Every menu from the entity, by name. */
  private CompletionStage<List<SiteMenu>> current() {
    return followed.current().thenApply(MenuCommand.MenuTable::menus);
  }

  /** A change, answered once this gateway shows it (others follow on their refresh). */
  private CompletionStage<MenuReply> send(
      java.util.function.Function<ActorRef<MenuReply>, MenuCommand> make) {
    return followed.send(make, reply -> !(reply instanceof MenuReply.Refused));
  }

  // ---------------------------------------------------------------- API

  /** {@code version}, when given: the menus' version the change started from (409 if stale). */
  record MenuInput(List<SiteMenu.Link> links, Long version) {}

  @Override
  public Map<String, dev.quire.protocol.Role.Permission> apiAccess() {
    // As in the admin: editors and admins change the menus.
    return Map.of("menus", dev.quire.protocol.Role.Permission.PUBLISH);
  }

  @Override
  public Optional<Route> apiRoutes(ModuleContext ctx) {
    return Optional.of(
        pathPrefix(
            "menus",
            () ->
                concat(
                    pathEndOrSingleSlash(
                        () ->
                            get(
                                () ->
                                    completeWithFuture(
                                        followed
                                            .current()
                                            .thenApply(
                                                table ->
                                                    JsonResponses.of(
                                                        json,
                                                        StatusCodes.OK,
                                                        Map.of(
                                                            "items",
                                                            table.menus(),
                                                            "version",
                                                            table.version())))))),
                    path(
                        PathMatchers.segment(),
                        name ->
                            concat(
                                put(
                                    () ->
                                        ApiCaller.of(
                                            c ->
                                                entity(
                                                    Unmarshaller.entityToString(),
                                                    body ->
                                                        completeWithFuture(
                                                            apiPut(c, name, body))))),
                                delete(
                                    () ->
                                        ApiCaller.of(
                                            c ->
                                                parameterOptional(
                                                    "version",
                                                    v ->
                                                        completeWithFuture(
                                                            apiRemove(
                                                                c, name, v.orElse(null)))))))))));
  }

  /** Versions count changes from 0: a negative one is a mistake, not a stale start. */
  private static void checkVersion(Long version) {
    if (version != null && version < 0) {
      throw HttpError.badRequest("version", "must be 0 or more, was " + version);
    }
  }

  /** {@code ?version=}, when given: the menus' version the removal started from (409 if stale). */
  private CompletionStage<HttpResponse> apiRemove(ApiCaller caller, String name, String version) {
    Long expected;
    try {
      expected = version == null ? null : Long.parseLong(version);
    } catch (NumberFormatException e) {
      throw HttpError.badRequest("version", "must be a whole number, was '" + version + "'");
    }
    checkVersion(expected);
    return send(r -> new MenuCommand.Remove(name, expected, caller.actor(), r))
        .thenApply(this::apiAnswer);
  }

  private CompletionStage<HttpResponse> apiPut(ApiCaller caller, String name, String body) {
    MenuInput in = ApiJson.parse(json, body, MenuInput.class);
    checkVersion(in.version());
    SiteMenu menu = new SiteMenu(name, in.links());
    return send(r -> new MenuCommand.Put(menu, in.version(), caller.actor(), r))
        .thenApply(this::apiAnswer);
  }

  private HttpResponse apiAnswer(MenuReply reply) {
    if (reply instanceof MenuReply.Refused no) {
      throw HttpError.of(new ContentReply.Rejected(no.code(), no.field(), no.message(), List.of()));
    }
    return JsonResponses.of(
        json, StatusCodes.OK, Map.of("version", ((MenuReply.Stored) reply).version()));
  }

  // ---------------------------------------------------------------- admin

  @Override
  public List<Admin.Link> adminLinks() {
    return List.of(new Admin.Link("Menus", "/admin/menus/", Role.Permission.PUBLISH));
  }

  /**
   * {@code /admin/menus/}: each menu as lines of {@code Label | URL}, saved whole; a new menu by
   * name; removing one. Editors and admins: a menu is on every page, as a published item is.
   */
  @Override
  public Optional<Route> adminRoutes(ModuleContext ctx, Admin admin) {
    return Optional.of(
        pathPrefix(
            "menus",
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
                                                            page(
                                                                admin,
                                                                e,
                                                                StatusCodes.OK,
                                                                done.isPresent() ? "Saved." : null,
                                                                Map.of(),
                                                                Map.of())))),
                                        post(
                                            () ->
                                                admin.form(
                                                    e,
                                                    f -> completeWithFuture(save(admin, e, f)))))),
                            path(
                                "remove",
                                () ->
                                    post(
                                        () ->
                                            admin.form(
                                                e,
                                                f -> completeWithFuture(remove(admin, e, f)))))))));
  }

  private CompletionStage<HttpResponse> page(
      Admin admin,
      Admin.Editor e,
      StatusCode status,
      String notice,
      Map<String, String> errors,
      Map<String, String> typed) {
    return followed
        .current()
        .thenApply(
            table -> {
              List<Map<String, Object>> menus = new ArrayList<>();
              for (SiteMenu m : table.menus()) {
                Map<String, Object> v = new LinkedHashMap<>();
                v.put("name", m.name());
                v.put(
                    "lines", typed.containsKey(m.name()) ? typed.get(m.name()) : lines(m.links()));
                menus.add(v);
              }
              Map<String, Object> vars = new LinkedHashMap<>();
              vars.put("menus", menus);
              // What every form sends back: a save from an older page is refused, not applied
              // over a change made since (another editor's link would be lost).
              vars.put("version", table.version());
              vars.put("errors", errors);
              vars.put("newName", typed.getOrDefault("", ""));
              vars.put("newLines", typed.getOrDefault(" ", ""));
              if (notice != null) {
                vars.put("notice", notice);
              }
              return admin.page(e, status, "menus/admin.peb", vars);
            });
  }

  private static String lines(List<SiteMenu.Link> links) {
    StringBuilder b = new StringBuilder();
    links.forEach(l -> b.append(l.label()).append(" | ").append(l.url()).append('\n'));
    return b.toString();
  }

  private CompletionStage<HttpResponse> save(Admin admin, Admin.Editor e, Map<String, String> f) {
    String name = f.getOrDefault("name", "").strip();
    String text = f.getOrDefault("links", "");
    boolean isNew = "1".equals(f.get("new"));
    Long version = version(f);
    Map<String, String> typed = new LinkedHashMap<>();
    if (isNew) {
      typed.put("", name);
      typed.put(" ", text);
    } else {
      typed.put(name, text);
    }
    List<SiteMenu.Link> links = new ArrayList<>();
    String[] rows = text.replace("\r\n", "\n").split("\n");
    for (int i = 0; i < rows.length; i++) {
      String row = rows[i].strip();
      if (row.isEmpty()) {
        continue;
      }
      // At the last " | ", as the page writes each link: a label or URL may hold a '|' of its own
      // (a URL holds no space), and a menu made through the API then saved back unchanged was
      // refused, its URL cut at its own '|'. Without one, at the last '|' ("Label|/url").
      int spaced = row.lastIndexOf(" | ");
      int bar = spaced >= 0 ? spaced + 1 : row.lastIndexOf('|');
      if (bar < 0) {
        return page(
            admin,
            e,
            StatusCodes.BAD_REQUEST,
            null,
            Map.of(errorKey(isNew, name), "line " + (i + 1) + ": write it as Label | URL"),
            typed);
      }
      links.add(new SiteMenu.Link(row.substring(0, bar).strip(), row.substring(bar + 1).strip()));
    }
    SiteMenu menu = new SiteMenu(name, links);
    Optional<FieldError> problem = menu.problem();
    if (problem.isPresent()) {
      return page(
          admin,
          e,
          StatusCodes.BAD_REQUEST,
          null,
          Map.of(errorKey(isNew, name), readable(problem.get())),
          typed);
    }
    return (isNew ? current() : CompletableFuture.completedFuture(List.<SiteMenu>of()))
        .thenCompose(
            list ->
                list.stream().anyMatch(m -> m.name().equals(name))
                    ? page(
                        admin,
                        e,
                        StatusCodes.CONFLICT,
                        null,
                        Map.of("", "there is a menu named " + name + " already: edit it above"),
                        typed)
                    : send(r -> new MenuCommand.Put(menu, version, e.username(), r))
                        .thenCompose(
                            reply ->
                                reply instanceof MenuReply.Refused no
                                    ? refused(admin, e, no, errorKey(isNew, name), typed)
                                    : CompletableFuture.completedFuture(
                                        admin.seeOther("/admin/menus/?done=1"))));
  }

  /** The page again after a refusal, with what was typed; a stale save says what happened. */
  private CompletionStage<HttpResponse> refused(
      Admin admin, Admin.Editor e, MenuReply.Refused no, String key, Map<String, String> typed) {
    boolean stale = no.code() == ErrorCode.STALE_REVISION;
    return page(
        admin,
        e,
        stale ? StatusCodes.CONFLICT : StatusCodes.BAD_REQUEST,
        null,
        Map.of(
            key,
            stale
                ? "Not saved: someone changed the menus after you opened this page. What you"
                    + " typed is below; the other menus show their newest links. Save again to"
                    + " put yours over theirs."
                : no.message()),
        typed);
  }

  /** The version a form was rendered at, or null (a form without one). */
  private static Long version(Map<String, String> f) {
    try {
      String v = f.get("version");
      return v == null || v.isBlank() ? null : Long.parseLong(v.strip());
    } catch (NumberFormatException ex) {
      return null;
    }
  }

  private static String errorKey(boolean isNew, String name) {
    return isNew ? "" : name;
  }

  /** "links[2].url: must be ..." as "line 3, address: must be ...". */
  private static String readable(FieldError e) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("links\\[(\\d+)\\]\\.(\\w+)").matcher(e.field());
    if (m.matches()) {
      return "link "
          + (Integer.parseInt(m.group(1)) + 1)
          + ", "
          + ("url".equals(m.group(2)) ? "address" : m.group(2))
          + ": "
          + e.message();
    }
    return e.field() + ": " + e.message();
  }

  private CompletionStage<HttpResponse> remove(Admin admin, Admin.Editor e, Map<String, String> f) {
    String name = f.getOrDefault("name", "");
    Long version = version(f);
    return send(r -> new MenuCommand.Remove(name, version, e.username(), r))
        .thenCompose(
            reply ->
                reply instanceof MenuReply.Refused no
                    ? no.code() == ErrorCode.STALE_REVISION
                        ? page(
                            admin,
                            e,
                            StatusCodes.CONFLICT,
                            null,
                            Map.of(
                                name,
                                "Not removed: someone changed the menus after you opened this"
                                    + " page. Here they are as they are now."),
                            Map.of())
                        : page(
                            admin,
                            e,
                            StatusCodes.NOT_FOUND,
                            null,
                            Map.of(name, no.message()),
                            Map.of())
                    : CompletableFuture.completedFuture(admin.seeOther("/admin/menus/?done=1")));
  }
}
