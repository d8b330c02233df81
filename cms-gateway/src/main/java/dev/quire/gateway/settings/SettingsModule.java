package dev.quire.gateway.settings;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.entity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.put;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quire.gateway.api.ApiJson;
import dev.quire.gateway.content.FollowedTable;
import dev.quire.gateway.http.HttpError;
import dev.quire.gateway.http.JsonResponses;
import dev.quire.gateway.module.Admin;
import dev.quire.gateway.module.ApiCaller;
import dev.quire.gateway.module.CmsModule;
import dev.quire.gateway.module.ModuleContext;
import dev.quire.gateway.site.LiveSettings;
import dev.quire.gateway.site.SiteSettings;
import dev.quire.protocol.ContentCommand;
import dev.quire.protocol.ContentReply;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.FieldError;
import dev.quire.protocol.ProfileCommand;
import dev.quire.protocol.ProfileCommand.ProfileReply;
import dev.quire.protocol.ProfileCommand.ProfileTable;
import dev.quire.protocol.Role;
import dev.quire.protocol.SiteProfile;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * The site's settings as its admins set them: title, description, author, language and how many
 * posts a page lists, kept by the content role's {@code SiteProfile} entity (so every gateway shows
 * the same, a change is journaled with who made it, and a bundle carries it) and shown over the
 * configuration's {@code quire.site.*}, which stay the defaults. A gateway follows the entity
 * (every {@code quire.gateway.settings.refresh-interval}, and at once after a write through it),
 * and serves no page before it knows the settings; a change drops the memoised pages. A setting
 * whose environment variable is set on a gateway ({@code QUIRE_SITE_TITLE}, ...) is that
 * operator's: the admin shows it and leaves it alone. Edited at {@code /admin/settings/} and
 * through {@code /api/v1/settings}.
 */
public final class SettingsModule implements CmsModule {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(SettingsModule.class);

  private FollowedTable<ProfileCommand, ProfileTable> followed;
  private LiveSettings live;
  private dev.quire.gateway.render.ThemeWords words;

  /** The server's fonts for letters Quire's own lack: the Settings page says when there is none. */
  private dev.quire.gateway.render.FallbackFonts fallbackFonts;

  /**
   * Scripts (ISO 15924, {@code TextDirection.script}) whose letters only the fallback fonts have,
   * each with the letters a font must map for them: a Chinese, a Japanese kana, a Korean syllable;
   * for Arabic, alef and one of the joining forms that ICU's shaping writes and PDFs and cards
   * draw.
   */
  private static final Map<String, List<Integer>> NEEDS_FALLBACK_FONT =
      Map.of(
          "Hani", List.of(0x4E2D),
          "Hans", List.of(0x4E2D),
          "Hant", List.of(0x4E2D),
          "Jpan", List.of(0x3042),
          "Kore", List.of(0xAC00),
          "Arab", List.of(0x0627, 0xFE8E));

  private ObjectMapper json;

  @Override
  public String id() {
    return "settings";
  }

  /** The site's zone, for the times admin pages show. */
  private java.time.ZoneId zone;

  /** The site as the gateway serves it: which pages a home page may be. */
  private dev.quire.gateway.site.SiteState site;

  /** The content role: a page published a moment ago, which the site does not show yet. */
  private dev.quire.gateway.content.ContentClient content;

  /** The site's media, which the icon is one of; read on {@link #blocking}. */
  private dev.quire.gateway.media.MediaStore media;

  private java.util.concurrent.Executor blocking;

  /** The most images the form offers as the icon, newest first. */
  private int iconChoicesMax;

  /**
   * The media types browsers show as a site's icon, with the extension the icon's address ends
   * with: pages and phones decide by it (an SVG uploaded as "logo.png" is named logo.svg).
   */
  static final Map<String, String> ICON_EXTENSIONS =
      Map.of(
          "image/png", ".png",
          "image/x-icon", ".ico",
          "image/vnd.microsoft.icon", ".ico",
          "image/svg+xml", ".svg",
          "image/gif", ".gif",
          "image/jpeg", ".jpg",
          "image/webp", ".webp");

  /** The longest name in a media address (MediaStore.safeName's limit). */
  private static final int MAX_NAME = 100;

  /** The icon's address for stored image {@code m}: its name, with the extension its type has. */
  static String iconUrl(dev.quire.gateway.media.MediaStore.Media m) {
    String ext = ICON_EXTENSIONS.get(m.contentType());
    String base =
        dev.quire.gateway.media.MediaStore.safeName(m.filename())
            .replaceFirst("(?i)\\.(png|ico|svg|gif|jpe?g|webp)$", "");
    if (base.length() > MAX_NAME - ext.length()) {
      base = base.substring(0, MAX_NAME - ext.length());
    }
    return "/media/" + m.sha256() + "/" + (base.isEmpty() ? "icon" : base) + ext;
  }

  @Override
  public void start(ModuleContext ctx) {
    this.live = ctx.settings();
    this.fallbackFonts = dev.quire.gateway.render.FallbackFonts.fromConfig(ctx.config());
    this.site = ctx.site();
    this.content = ctx.content();
    this.words = ctx.templates().words();
    this.zone = ctx.zone();
    this.json = ctx.json();
    this.media = dev.quire.gateway.media.MediaModule.store(ctx.config());
    this.iconChoicesMax =
        dev.quire.protocol.ConfigChecks.atLeastOne(
            ctx.config(), "quire.gateway.settings.icon-choices");
    this.blocking =
        ctx.system()
            .dispatchers()
            .lookup(
                org.apache.pekko.actor.typed.DispatcherSelector.fromConfig(
                    "quire.media.dispatcher"));
    this.followed =
        new FollowedTable<>(
            ctx.system(),
            ctx.content(),
            ProfileCommand.ENTITY_KEY,
            ProfileCommand.SITE,
            "the site's settings",
            new FollowedTable.Reads<ProfileCommand, ProfileTable>() {
              @Override
              public ProfileCommand get(long knownVersion, ActorRef<ProfileTable> replyTo) {
                return new ProfileCommand.Get(knownVersion, replyTo);
              }

              @Override
              public long version(ProfileTable answer) {
                return answer.version();
              }
            },
            this::install);
    // No page is served with the configuration's title when the editors set another. Should the
    // entity not answer (a content role older than this gateway), the site opens start-wait
    // after its content loaded, with the configuration's settings until it does.
    java.time.Duration startWait = ctx.config().getDuration("quire.gateway.settings.start-wait");
    CompletableFuture<Void> waited =
        ctx.site()
            .contentLoaded()
            .toCompletableFuture()
            .thenCompose(
                v ->
                    CompletableFuture.runAsync(
                        () -> {},
                        CompletableFuture.delayedExecutor(
                            startWait.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)));
    CompletableFuture<Void> known = live.known().toCompletableFuture();
    waited.thenRun(
        () -> {
          if (!known.isDone()) {
            LOG.warn(
                "the site's settings (the content role's SiteProfile entity) did not answer within"
                    + " quire.gateway.settings.start-wait ({}) of the site loading; pages show the"
                    + " configuration's until they do",
                startWait);
          }
        });
    ctx.site().holdUntil(known.applyToEither(waited, v -> v));
    followed.follow(
        ctx.config().getDuration("quire.gateway.settings.refresh-interval"),
        "stop-settings-refresh");
    // Until the settings are known the site is held: ask as briskly as the site's own first load
    // does, not every refresh-interval (a first ask sent before sharding is up fails).
    org.apache.pekko.actor.Cancellable brisk =
        ctx.system()
            .scheduler()
            .scheduleWithFixedDelay(
                java.time.Duration.ZERO,
                ctx.config().getDuration("quire.gateway.startup-poll"),
                followed::refresh,
                ctx.system().executionContext());
    known.whenComplete((v, e) -> brisk.cancel());
    waited.whenComplete((v, e) -> brisk.cancel());
    // A read sent into a shard region handing off its shards stalls the node's shutdown.
    org.apache.pekko.actor.CoordinatedShutdown.get(ctx.system())
        .addTask(
            org.apache.pekko.actor.CoordinatedShutdown.PhaseBeforeServiceUnbind(),
            "stop-settings-startup-poll",
            () -> {
              brisk.cancel();
              return CompletableFuture.completedFuture(org.apache.pekko.Done.getInstance());
            });
  }

  private void install(ProfileTable t) {
    if (!t.unchanged()) {
      live.install(t.version(), t.profile());
    }
  }

  private CompletionStage<ProfileReply> send(SiteProfile profile, long baseVersion, String actor) {
    return followed.send(
        r -> new ProfileCommand.Put(profile, baseVersion, actor, r),
        reply -> !(reply instanceof ProfileReply.Refused));
  }

  // ---------------------------------------------------------------- API

  /** A {@code PUT}'s body: the whole profile (a missing field is not set), and the version. */
  record SettingsInput(
      String title,
      String description,
      String author,
      String language,
      Integer homePosts,
      Integer pageSize,
      String homePage,
      String icon,
      Long version) {}

  @Override
  public Optional<Route> apiRoutes(ModuleContext ctx) {
    return Optional.of(
        pathPrefix(
            "settings",
            () ->
                pathEndOrSingleSlash(
                    () ->
                        concat(
                            get(
                                () ->
                                    completeWithFuture(
                                        followed.current().thenApply(this::apiView))),
                            put(
                                () ->
                                    entity(
                                        Unmarshaller.entityToString(),
                                        body ->
                                            ApiCaller.of(
                                                c -> completeWithFuture(apiPut(c, body)))))))));
  }

  private HttpResponse apiView(ProfileTable t) {
    SiteProfile p = t.profile();
    Map<String, Object> set = new LinkedHashMap<>();
    set.put("title", p.title());
    set.put("description", p.description());
    set.put("author", p.author());
    set.put("language", p.language());
    set.put("homePosts", p.homePosts());
    set.put("pageSize", p.pageSize());
    set.put("homePage", p.homePage());
    set.put("icon", p.icon());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("version", t.version());
    body.put("settings", view(live.configured().with(p, live.pinned())));
    body.put("set", set);
    body.put("configured", view(live.configured()));
    body.put("pinned", live.pinned().stream().map(SettingsModule::camel).sorted().toList());
    body.put("changedBy", t.changedBy());
    body.put("changedAt", t.changedAt());
    return JsonResponses.of(json, StatusCodes.OK, body);
  }

  private static Map<String, Object> view(SiteSettings s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("title", s.title());
    m.put("description", s.description());
    m.put("author", s.author());
    m.put("language", s.language());
    m.put("homePosts", s.homePosts());
    m.put("pageSize", s.pageSize());
    m.put("homePage", s.homePage());
    m.put("icon", s.icon());
    m.put("baseUrl", s.baseUrl());
    return m;
  }

  /** {@code home-posts} as the API names it: {@code homePosts}. */
  private static String camel(String setting) {
    int dash = setting.indexOf('-');
    return dash < 0
        ? setting
        : setting.substring(0, dash)
            + Character.toUpperCase(setting.charAt(dash + 1))
            + setting.substring(dash + 2);
  }

  private CompletionStage<HttpResponse> apiPut(ApiCaller caller, String body) {
    SettingsInput in = ApiJson.parse(json, body, SettingsInput.class);
    SiteProfile profile =
        new SiteProfile(
            in.title(),
            in.description(),
            in.author(),
            in.language(),
            in.homePosts(),
            in.pageSize(),
            in.homePage(),
            in.icon());
    Optional<FieldError> problem = profile.problem();
    if (problem.isPresent()) {
      throw HttpError.badRequest(camel(problem.get().field()), problem.get().message());
    }
    long base = in.version() == null ? ProfileCommand.ANY_VERSION : in.version();
    return checked(profile)
        .thenCompose(
            c -> {
              if (c.problem().isPresent()) {
                throw HttpError.badRequest(
                    camel(c.problem().get().field()), c.problem().get().message());
              }
              return send(c.profile(), base, caller.actor());
            })
        .thenCompose(
            reply -> {
              if (reply instanceof ProfileReply.Refused no) {
                throw HttpError.of(
                    new ContentReply.Rejected(
                        no.code(), camel(no.field()), no.message(), List.of()));
              }
              // Stored: should the read that follows fail, the answer says only that.
              long version = ((ProfileReply.Stored) reply).version();
              return followed
                  .current()
                  .thenApply(this::apiView)
                  .exceptionally(
                      e ->
                          JsonResponses.of(
                              json, StatusCodes.OK, Map.of("version", version, "stored", true)));
            });
  }

  /**
   * A home page is one of the site's published pages. One set before, since unpublished, is kept
   * (the home shows the latest posts meanwhile), so that saving other settings does not need it. A
   * page this gateway's site does not show yet (published a moment ago) is asked of its slug's
   * entity and its own, which are never stale.
   */
  private CompletionStage<Optional<FieldError>> homePageProblem(SiteProfile profile) {
    String slug = profile.homePage();
    if (slug == null
        || slug.equals(live.profile().homePage())
        || dev.quire.gateway.site.SiteModule.pageOf(site.snapshot(), slug) != null) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return content
        .slugOwner(slug)
        .thenCompose(
            id ->
                id == null || id.isEmpty() // a slug no item claims
                    ? CompletableFuture.completedFuture((ContentSnapshot) null)
                    : content
                        .command(id, ContentCommand.Get::new)
                        .thenApply(
                            reply -> reply instanceof ContentReply.Accepted a ? a.content() : null))
        .thenApply(
            item -> {
              if (item != null
                  && item.kind() == dev.quire.protocol.ContentKind.PAGE
                  && item.status() == dev.quire.protocol.ContentStatus.PUBLISHED) {
                return Optional.<FieldError>empty();
              }
              String what =
                  item == null
                      ? ""
                      : item.kind() == dev.quire.protocol.ContentKind.POST
                          ? " (a post has it; the home shows a page)"
                          : " (that page is " + item.status().id() + ")";
              return Optional.of(
                  new FieldError(
                      "home-page",
                      "no published page has the slug '"
                          + slug
                          + "'"
                          + what
                          + ": publish the page first"));
            });
  }

  /** What the icon's check found: a problem, or the address to store (its canonical form). */
  record IconCheck(Optional<FieldError> problem, String url) {}

  /** A profile checked against the site: its problem, or the profile to store. */
  record Checked(Optional<FieldError> problem, SiteProfile profile) {}

  /** The home page's and the icon's checks of {@code profile}, which the store's need the site. */
  private CompletionStage<Checked> checked(SiteProfile profile) {
    return homePageProblem(profile)
        .thenCombine(
            iconCheck(profile),
            (home, icon) ->
                new Checked(
                    home.or(icon::problem),
                    icon.url() == null ? profile : profile.withIcon(icon.url())));
  }

  /**
   * An icon is an image stored in the site's media, of a type browsers show as one; its address is
   * stored in its canonical form ({@link #iconUrl}). One set before is kept as it is (so other
   * settings still save should its file have gone from this node's media directory). On the media
   * dispatcher.
   */
  private CompletionStage<IconCheck> iconCheck(SiteProfile profile) {
    var sha = profile.iconSha();
    if (sha.isEmpty() || java.util.Objects.equals(profile.icon(), live.profile().icon())) {
      return CompletableFuture.completedFuture(new IconCheck(Optional.empty(), null));
    }
    return CompletableFuture.supplyAsync(
        () -> {
          Optional<dev.quire.gateway.media.MediaStore.Media> file;
          try {
            file = media.get(sha.get());
          } catch (java.io.IOException ex) {
            throw new java.io.UncheckedIOException(ex);
          }
          if (file.isEmpty()) {
            return new IconCheck(
                Optional.of(
                    new FieldError(
                        "icon",
                        "the site's media has no file "
                            + sha.get()
                            + ": upload the image first (Media, or POST /api/v1/media)")),
                null);
          }
          if (!ICON_EXTENSIONS.containsKey(file.get().contentType())) {
            return new IconCheck(
                Optional.of(
                    new FieldError(
                        "icon",
                        "'"
                            + file.get().filename()
                            + "' is "
                            + file.get().contentType()
                            + "; an icon is a PNG, ICO, SVG, GIF, JPEG or WebP image")),
                null);
          }
          return new IconCheck(Optional.empty(), iconUrl(file.get()));
        },
        blocking);
  }

  /** The images the form offers as the icon, and whether the site has more than those. */
  record IconChoices(List<Map<String, String>> choices, boolean capped) {}

  /**
   * The images of the site's media that may be its icon, newest first (at most {@code
   * quire.gateway.settings.icon-choices}), by name and address, with {@code current} among them
   * (said to be missing when its file is gone). On the media dispatcher.
   */
  private CompletionStage<IconChoices> iconChoices(String current) {
    return CompletableFuture.supplyAsync(
        () -> {
          List<dev.quire.gateway.media.MediaStore.Media> all;
          try {
            all = media.list();
          } catch (java.io.IOException ex) {
            LOG.warn("could not list the site's media for the icon's choices: {}", ex.toString());
            all = List.of();
          }
          List<Map<String, String>> choices = new ArrayList<>();
          boolean listed = current == null || current.isEmpty();
          int images = 0;
          for (int i = all.size() - 1; i >= 0; i--) {
            var m = all.get(i);
            if (ICON_EXTENSIONS.containsKey(m.contentType()) && ++images <= iconChoicesMax) {
              String url = iconUrl(m);
              choices.add(Map.of("url", url, "title", m.filename()));
              listed |= url.equals(current);
            }
          }
          if (!listed) {
            var sha = SiteProfile.NONE.withIcon(current).iconSha();
            Optional<dev.quire.gateway.media.MediaStore.Media> file = Optional.empty();
            try {
              file = sha.isPresent() ? media.get(sha.get()) : Optional.empty();
            } catch (java.io.IOException ex) {
              LOG.warn("could not read the icon's file {}: {}", current, ex.toString());
            }
            choices.add(
                0,
                Map.of(
                    "url",
                    current,
                    "title",
                    file.map(f -> f.filename()).orElse(current + " (not in this server's media)")));
          }
          return new IconChoices(choices, images > iconChoicesMax);
        },
        blocking);
  }

  /** The choices of the home page: the site's published pages, by title, and the current value. */
  private List<Map<String, String>> homePageChoices(String current) {
    List<Map<String, String>> choices = new ArrayList<>();
    boolean listed = current == null || current.isEmpty();
    // A page renamed since it was chosen is the same choice (it is still the home).
    var chosen = listed ? null : dev.quire.gateway.site.SiteModule.pageOf(site.snapshot(), current);
    for (var page : site.snapshot().pages()) {
      boolean isChosen = page == chosen;
      choices.add(
          Map.of(
              "slug",
              isChosen ? current : page.slug(),
              "title",
              page.title() + " (/" + page.slug() + "/)"));
      listed |= isChosen || page.slug().equals(current);
    }
    choices.sort(
        java.util.Comparator.comparing((Map<String, String> c) -> c.get("title"))
            .thenComparing(c -> c.get("slug")));
    if (!listed) {
      choices.add(
          Map.of("slug", current, "title", current + " (not published: the home shows the posts)"));
    }
    return choices;
  }

  // ---------------------------------------------------------------- admin

  @Override
  public List<Admin.Link> adminLinks() {
    return List.of(new Admin.Link("Settings", "/admin/settings/", Role.Permission.MANAGE_SITE));
  }

  @Override
  public Optional<Route> adminRoutes(ModuleContext ctx, Admin admin) {
    return Optional.of(
        pathPrefix(
            "settings",
            () ->
                admin.signedIn(
                    Role.Permission.MANAGE_SITE,
                    e ->
                        pathEndOrSingleSlash(
                            () ->
                                concat(
                                    get(
                                        () ->
                                            parameterOptional(
                                                "done",
                                                done ->
                                                    completeWithFuture(
                                                        followed
                                                            .current()
                                                            .thenCompose(
                                                                t ->
                                                                    page(
                                                                        admin,
                                                                        e,
                                                                        StatusCodes.OK,
                                                                        t,
                                                                        done.isPresent()
                                                                            ? "Saved. Every page"
                                                                                + " here shows it"
                                                                                + " now, on other"
                                                                                + " servers within"
                                                                                + " seconds."
                                                                            : null,
                                                                        null,
                                                                        null))))),
                                    post(
                                        () ->
                                            admin.form(
                                                e,
                                                f -> completeWithFuture(save(admin, e, f)))))))));
  }

  private CompletionStage<HttpResponse> save(Admin admin, Admin.Editor e, Map<String, String> f) {
    Map<String, String> typed = new LinkedHashMap<>();
    // A setting the form does not have (a theme's copy of the template from before it existed)
    // keeps its stored value: it is not cleared by a save that never showed it.
    Map<String, String> stored = live.profile().asSettings();
    for (String key : SiteProfile.KEYS) {
      typed.put(key, f.containsKey(key) ? f.get(key) : stored.getOrDefault(key, ""));
    }
    // The description's box wraps; a line break typed in it is a space in a meta tag or a feed.
    typed.put("description", typed.get("description").replaceAll("\\s*[\\r\\n]+\\s*", " "));
    long base;
    try {
      base = Long.parseLong(f.getOrDefault("version", ""));
    } catch (NumberFormatException ex) {
      base = ProfileCommand.ANY_VERSION;
    }
    SiteProfile profile;
    try {
      profile = SiteProfile.fromSettings(typed);
    } catch (IllegalArgumentException ex) {
      String message = ex.getMessage();
      int colon = message.indexOf(": ");
      return refusedPage(
          admin,
          e,
          typed,
          new FieldError(message.substring(0, colon), message.substring(colon + 2)));
    }
    Optional<FieldError> problem = profile.problem();
    if (problem.isPresent()) {
      return refusedPage(admin, e, typed, problem.get());
    }
    long from = base;
    return checked(profile)
        .thenCompose(
            c ->
                c.problem().isPresent()
                    ? refusedPage(admin, e, typed, c.problem().get())
                    : send(c.profile(), from, e.username())
                        .thenCompose(
                            reply ->
                                reply instanceof ProfileReply.Refused no
                                    ? refusedPage(
                                        admin, e, typed, new FieldError(no.field(), no.message()))
                                    : CompletableFuture.completedFuture(
                                        admin.seeOther("/admin/settings/?done=1"))));
  }

  /**
   * The form again, with what was typed and why it was refused; the latest version to save over.
   */
  private CompletionStage<HttpResponse> refusedPage(
      Admin admin, Admin.Editor e, Map<String, String> typed, FieldError error) {
    return followed
        .current()
        .thenCompose(
            t ->
                page(
                    admin,
                    e,
                    "version".equals(error.field())
                        ? StatusCodes.CONFLICT
                        : StatusCodes.BAD_REQUEST,
                    t,
                    null,
                    typed,
                    error));
  }

  /** The form, with the images that may be the icon (read off the media directory first). */
  private CompletionStage<HttpResponse> page(
      Admin admin,
      Admin.Editor e,
      StatusCode status,
      ProfileTable t,
      String notice,
      Map<String, String> typed,
      FieldError error) {
    String icon =
        typed == null ? t.profile().asSettings().getOrDefault("icon", "") : typed.get("icon");
    // A site in Chinese, Japanese, Korean or Arabic letters without a font that has them: its PDFs
    // print '#'. Looked for on the blocking dispatcher (the fonts are read at the first look), only
    // for those languages.
    String language = live.get().language();
    String script = dev.quire.gateway.render.TextDirection.script(language);
    List<Integer> letters = NEEDS_FALLBACK_FONT.get(script);
    CompletionStage<Boolean> noFont =
        letters != null
            ? CompletableFuture.supplyAsync(
                () -> !letters.stream().allMatch(fallbackFonts::has), blocking)
            : CompletableFuture.completedFuture(false);
    return iconChoices(icon)
        .thenCombine(noFont, java.util.Map::entry)
        .thenApply(
            both -> {
              IconChoices icons = both.getKey();
              Map<String, String> set = t.profile().asSettings();
              Map<String, String> configured = live.configured().profileSettings();
              List<Map<String, Object>> fields = new ArrayList<>();
              for (String key : SiteProfile.KEYS) {
                Map<String, Object> v = new LinkedHashMap<>();
                v.put("key", key);
                v.put("value", typed == null ? set.getOrDefault(key, "") : typed.get(key));
                v.put("configured", configured.get(key));
                String env = SiteSettings.ENVIRONMENT.get(key);
                if (live.pinned().contains(key)) {
                  v.put("pinnedBy", env);
                  v.put("stored", set.getOrDefault(key, ""));
                }
                if (error != null && key.equals(error.field())) {
                  v.put("error", error.message());
                }
                fields.add(v);
              }
              Map<String, Object> vars = new LinkedHashMap<>();
              vars.put("fields", fields);
              vars.put("version", t.version());
              vars.put("changedBy", t.changedBy());
              vars.put("changedAt", t.changedAt());
              vars.put(
                  "changedAtShown",
                  t.changedAt() == null
                      ? null
                      : dev.quire.gateway.module.Admin.shownTime(
                          java.time.Instant.parse(t.changedAt()), zone));
              vars.put("baseUrl", live.configured().baseUrl());
              vars.put(
                  "homePages",
                  homePageChoices(
                      typed == null ? set.getOrDefault("home-page", "") : typed.get("home-page")));
              vars.put("icons", icons.choices());
              vars.put("iconsCapped", icons.capped());
              vars.put("wordLanguages", String.join(", ", words.languages()));
              if (both.getValue()) {
                vars.put(
                    "fontTrouble",
                    java.util.Locale.forLanguageTag(language)
                        .getDisplayLanguage(java.util.Locale.ENGLISH));
                // Debian's and Ubuntu's packages of the default fallback fonts for those letters.
                vars.put(
                    "fontPackages",
                    script.equals("Arab") ? "fonts-noto-core" : "fonts-droid-fallback fonts-nanum");
              }
              if (error != null && !SiteProfile.KEYS.contains(error.field())) {
                vars.put(
                    "problem",
                    error.message()
                        + ("version".equals(error.field())
                            ? ". The form shows what you typed; saving it again replaces that change."
                            : ""));
              }
              if (notice != null) {
                vars.put("notice", notice);
              }
              return admin.page(e, status, "settings/admin.peb", vars);
            });
  }
}
