package dev.quire.gateway.admin;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.parameterMap;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import dev.quire.gateway.api.Revisions;
import dev.quire.gateway.content.ContentClient;
import dev.quire.gateway.http.ErrorMapper;
import dev.quire.gateway.http.HttpError;
import dev.quire.gateway.module.Admin;
import dev.quire.gateway.module.Admin.Editor;
import dev.quire.gateway.module.ModuleContext;
import dev.quire.protocol.ContentCommand;
import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentIds;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentQuery;
import dev.quire.protocol.ContentReply;
import dev.quire.protocol.ContentRules;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.ContentStatus;
import dev.quire.protocol.ErrorCode;
import dev.quire.protocol.FieldError;
import dev.quire.protocol.ReadItem;
import dev.quire.protocol.Role.Permission;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The admin's content pages: the list, a new post or page, the edit form with its actions (publish,
 * schedule, unpublish, archive), the history with diffs and reverts. Writes are the same commands
 * the API sends, by the signed-in editor's name. A refused save shows the form again with what the
 * editor wrote, so nothing typed is lost; a save that meets a newer revision says so and offers to
 * compare or to save over it.
 */
final class ContentPages {

  private static final DateTimeFormatter DATE = DateTimeFormatter.ISO_LOCAL_DATE;
  private static final DateTimeFormatter LOCAL = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm");
  private static final DateTimeFormatter LOCAL_SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");

  /** A datetime-local field's value: seconds when its step allows them. */
  private static final DateTimeFormatter LOCAL_SECONDS_OPTIONAL =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm[:ss]");

  private static final int PAGE_SIZE = 25;
  private static final String NEW = "/admin/content/new";

  /** The new-item form's hidden field with the item's key, and what a key may be (a UUID's). */
  private static final String CREATE_KEY = "createKey";

  private static final java.util.regex.Pattern KEY =
      java.util.regex.Pattern.compile("[0-9a-f-]{36}");

  /** Every field the edit form shows, so that a template never meets a missing one. */
  private static final List<String> FORM_FIELDS =
      List.of(
          "kind",
          "title",
          "slug",
          "description",
          "tags",
          "coverImage",
          "coverAlt",
          "author",
          "date",
          "dateWas",
          CREATE_KEY,
          "body",
          "revision");

  private final ContentClient content;
  private final Revisions revisions;
  private final List<dev.quire.gateway.module.CmsModule> modules;
  private final Admin admin;
  private final ZoneId zone;
  private final String baseUrl;
  private final int maxSlug;

  /** quire.gateway.slug-from-title-attempts: numbered slugs tried for a new item's title. */
  private final int slugFromTitleAttempts;

  /** The site's settings and the site as served: which page is the home. */
  private final dev.quire.gateway.site.LiveSettings settings;

  private final dev.quire.gateway.site.SiteState site;

  ContentPages(ModuleContext ctx, Admin admin, ZoneId zone) {
    this.settings = ctx.settings();
    this.site = ctx.site();
    this.content = ctx.content();
    this.revisions = ctx.revisions();
    this.modules = ctx.modules();
    this.admin = admin;
    this.zone = zone;
    this.baseUrl = ctx.config().getString("quire.site.base-url");
    this.maxSlug = ctx.config().getInt("quire.content.limits.slug-chars");
    this.slugFromTitleAttempts =
        dev.quire.protocol.ConfigChecks.atLeastOne(
            ctx.config(), "quire.gateway.slug-from-title-attempts");
    this.diffWordChars = ctx.config().getInt("quire.gateway.admin.diff-word-chars");
    this.diffWordLineChars = ctx.config().getInt("quire.gateway.admin.diff-word-line-chars");
  }

  private final int diffWordChars;
  private final int diffWordLineChars;

  Route routes() {
    return pathPrefix(
        "content",
        () ->
            concat(
                pathEndOrSingleSlash(
                    () ->
                        get(
                            () ->
                                admin.signedIn(
                                    Permission.WRITE_DRAFTS,
                                    e ->
                                        parameterMap(
                                            q -> onSuccess(list(e, q), r -> complete(r)))))),
                path(
                    "new",
                    () ->
                        admin.signedIn(
                            Permission.WRITE_DRAFTS,
                            e ->
                                concat(
                                    get(
                                        () ->
                                            parameterMap(
                                                q -> complete(blank(e, kindOf(q.get("kind")))))),
                                    post(
                                        () ->
                                            admin.form(
                                                e,
                                                f -> onSuccess(create(e, f), r -> complete(r))))))),
                pathPrefix(
                    PathMatchers.segment(),
                    id ->
                        admin.signedIn(
                            Permission.WRITE_DRAFTS,
                            e ->
                                concat(
                                    pathEndOrSingleSlash(
                                        () ->
                                            concat(
                                                get(
                                                    () ->
                                                        parameterMap(
                                                            q ->
                                                                onSuccess(
                                                                    edit(e, id, q.get("done")),
                                                                    r -> complete(r)))),
                                                post(
                                                    () ->
                                                        admin.form(
                                                            e,
                                                            f ->
                                                                onSuccess(
                                                                    save(e, id, f),
                                                                    r -> complete(r)))))),
                                    formPost(e, "page-preview", f -> pagePreview(e, id, f)),
                                    action(e, id, "publish"),
                                    action(e, id, "schedule"),
                                    action(e, id, "unpublish"),
                                    action(e, id, "archive"),
                                    path(
                                        "history",
                                        () ->
                                            get(() -> onSuccess(history(e, id), r -> complete(r)))),
                                    path(
                                        "diff",
                                        () ->
                                            get(
                                                () ->
                                                    parameterMap(
                                                        q ->
                                                            onSuccess(
                                                                diff(e, id, q),
                                                                r -> complete(r))))),
                                    formPost(e, "revert", f -> revert(e, id, f)))))));
  }

  /** A POST of a form at {@code name}, its CSRF token checked, answered by {@code handle}. */
  private Route formPost(
      Editor e,
      String name,
      java.util.function.Function<Map<String, String>, CompletionStage<HttpResponse>> handle) {
    return path(
        name, () -> post(() -> admin.form(e, f -> onSuccess(handle.apply(f), r -> complete(r)))));
  }

  private Route action(Editor e, String id, String name) {
    return path(
        name,
        () ->
            post(
                () ->
                    e.may(Permission.PUBLISH)
                        ? admin.form(e, f -> onSuccess(act(e, id, name, f), r -> complete(r)))
                        : complete(notAllowed(e, name))));
  }

  // ------------------------------------------------------------------ list

  /** The query parameter {@code name} parsed, null when absent or empty; a bad one is a 400. */
  private static <T> T optional(
      Map<String, String> q, String name, java.util.function.Function<String, T> parse) {
    String value = q.get(name);
    if (value == null || value.isEmpty()) {
      return null;
    }
    try {
      return parse.apply(value);
    } catch (IllegalArgumentException ex) {
      throw HttpError.badRequest(name, ex.getMessage());
    }
  }

  private CompletionStage<HttpResponse> list(Editor e, Map<String, String> q) {
    ContentStatus status = optional(q, "status", ContentStatus::parse);
    int page = HttpError.pageNumber("page", q.getOrDefault("page", "1"));
    ContentKind kind = optional(q, "kind", ContentKind::parse);
    String find = q.getOrDefault("q", "").strip();
    if (find.length() > ContentQuery.MAX_FIND_TEXT) {
      throw HttpError.badRequest(
          "q",
          "The search is "
              + find.length()
              + " characters long; at most "
              + ContentQuery.MAX_FIND_TEXT
              + " are looked for.");
    }
    ContentStatus shown = status;
    ContentKind shownKind = kind;
    int current = page;
    return content
        .list(kind, status, null, find.isEmpty() ? null : find, page, PAGE_SIZE)
        .thenApply(
            p -> {
              Map<String, Object> vars = new HashMap<>();
              vars.put(
                  "items",
                  p.items().stream()
                      .map(
                          i -> {
                            Map<String, Object> m = new HashMap<>();
                            m.put("id", i.id());
                            m.put("title", i.title());
                            m.put("kind", i.kind().id());
                            m.put("status", i.status().id());
                            m.put("slug", i.slug());
                            m.put("revision", i.revision());
                            m.put("updated", shown(i.updatedAt()));
                            m.put(
                                "updatedIso",
                                dev.quire.gateway.module.Admin.timeAttribute(i.updatedAt()));
                            return m;
                          })
                      .toList());
              vars.put("status", shown == null ? "" : shown.id());
              vars.put("kind", shownKind == null ? "" : shownKind.id());
              vars.put("q", find);
              vars.put("page", current);
              vars.put("pages", Math.max(1, (p.total() + PAGE_SIZE - 1) / PAGE_SIZE));
              vars.put("total", p.total());
              return admin.page(e, StatusCodes.OK, "admin/content-list.peb", vars);
            });
  }

  // ------------------------------------------------------------------ create and edit

  private static ContentKind kindOf(String kind) {
    try {
      return kind == null ? ContentKind.POST : ContentKind.parse(kind);
    } catch (IllegalArgumentException ex) {
      throw HttpError.badRequest("kind", ex.getMessage());
    }
  }

  private HttpResponse blank(Editor e, ContentKind kind) {
    Map<String, Object> form = new HashMap<>();
    form.put("kind", kind.id());
    form.put("author", e.displayName());
    // The new item's key: the form sent twice (a double click, a browser sending it again after
    // the answer was lost) makes one item.
    form.put(CREATE_KEY, java.util.UUID.randomUUID().toString());
    return formPage(e, StatusCodes.OK, null, form, Map.of(), null);
  }

  private CompletionStage<HttpResponse> create(Editor e, Map<String, String> f) {
    ContentKind kind = kindOf(f.get("kind"));
    Map<String, String> errors = new LinkedHashMap<>();
    ContentFields fields = fields(f, errors);
    if (!errors.isEmpty()) {
      return done(formPage(e, StatusCodes.BAD_REQUEST, null, new HashMap<>(f), errors, null));
    }
    if (f.containsKey("preview")) {
      return preview(e, null, NEW, new HashMap<>(f), fields.body());
    }
    // The form's key makes the item's id (ContentIds.forKey), as an API create's
    // Idempotency-Key does: sent again (a double click, a browser sending it again after the
    // answer was lost), the form meets the item it made. A form without one (a theme's own)
    // creates as before.
    String key = f.get(CREATE_KEY);
    String keyed =
        key != null && KEY.matcher(key).matches() ? ContentIds.forKey(e.username(), key) : null;
    CompletionStage<ContentReply> created =
        createItem(e, kind, fields, f, keyed)
            .thenCompose(
                reply ->
                    keyed != null
                            && reply instanceof ContentReply.Rejected rej
                            && rej.code() == dev.quire.protocol.ErrorCode.ALREADY_EXISTS
                        ? sentBefore(e, kind, fields, f, keyed)
                        : CompletableFuture.completedFuture(reply));
    return kept(
        e,
        null,
        NEW,
        new HashMap<>(f),
        created.thenApply(
            reply -> {
              if (reply instanceof ContentReply.Rejected rej) {
                return formPage(e, status(rej), null, new HashMap<>(f), errorsOf(rej), null);
              }
              String id = ((ContentReply.Accepted) reply).content().id();
              return admin.seeOther("/admin/content/" + id + "/?done=created");
            }));
  }

  /**
   * Creates the item of a new-item form as a draft, under {@code id} (null: a new one); a slug left
   * empty is made from the title, numbered while another item holds it.
   */
  private CompletionStage<ContentReply> createItem(
      Editor e, ContentKind kind, ContentFields fields, Map<String, String> f, String id) {
    return content.create(
        kind,
        fields,
        ContentCommand.Initially.DRAFT,
        e.username(),
        f.getOrDefault("slug", "").isBlank(),
        slugFromTitleAttempts,
        maxSlug,
        id);
  }

  /**
   * A new-item form whose key made item {@code id} before: that item, when it holds what the form
   * sends (the same form sent again), so one item is made; otherwise (the editor went back to the
   * sent form, changed it and saved it as another item) a new item under a new id, so what they
   * typed is not lost.
   */
  private CompletionStage<ContentReply> sentBefore(
      Editor e, ContentKind kind, ContentFields fields, Map<String, String> f, String id) {
    return content
        .command(id, ContentCommand.Get::new)
        .thenCompose(
            got -> {
              if (!(got instanceof ContentReply.Accepted a)) {
                // Not read (a timeout, a node failing over): said, rather than a second item.
                return CompletableFuture.completedFuture(got);
              }
              return a.content().kind() == kind
                      && same(a.content().fields(), fields, f.getOrDefault("slug", "").isBlank())
                  ? CompletableFuture.completedFuture(got)
                  : createItem(e, kind, fields, f, null);
            });
  }

  /**
   * Whether a stored item holds what a form sends (line ends and surrounding spaces aside; the slug
   * when the form gave one): any field changed after going back makes another item.
   */
  private static boolean same(ContentFields stored, ContentFields sent, boolean slugMade) {
    return lines(stored.title()).equals(lines(sent.title()))
        && lines(stored.body()).equals(lines(sent.body()))
        && lines(stored.description()).equals(lines(sent.description()))
        && stored.tags().stream()
            .map(t -> t.toLowerCase(java.util.Locale.ROOT))
            .toList()
            .equals(sent.tags().stream().map(t -> t.toLowerCase(java.util.Locale.ROOT)).toList())
        && lines(stored.coverImage()).equals(lines(sent.coverImage()))
        && lines(stored.coverAlt()).equals(lines(sent.coverAlt()))
        && lines(stored.author()).equals(lines(sent.author()))
        && java.util.Objects.equals(stored.date(), sent.date())
        && (slugMade || lines(stored.slug()).equals(lines(sent.slug())));
  }

  private static String lines(String s) {
    return s == null ? "" : s.replace("\r\n", "\n").strip();
  }

  /**
   * The form shown with the rendered body under it: nothing is stored, and the fields stay as
   * typed. A preview that cannot be made says so, with the text kept.
   */
  private CompletionStage<HttpResponse> preview(
      Editor e, ContentSnapshot item, String action, Map<String, Object> form, String body) {
    form.remove("preview");
    return content
        .preview(body)
        .handle(
            (html, failure) -> {
              Map<String, Object> extra = new HashMap<>();
              extra.put("action", action);
              if (failure != null) {
                extra.put("previewError", ErrorMapper.httpError(failure).getMessage());
              } else {
                extra.put("preview", html.html());
              }
              return formPage(e, StatusCodes.OK, item, form, Map.of(), null, extra);
            });
  }

  /**
   * "Preview as page" (the form's button opens it in a new tab): what the form holds, shown by the
   * site's own templates in the site's layout as it is now, with a preview banner. Nothing is
   * stored. {@code id} is "new" for an item not created yet. A field that cannot be read shows the
   * form with the error instead.
   */
  private CompletionStage<HttpResponse> pagePreview(Editor e, String id, Map<String, String> f) {
    Map<String, String> errors = new LinkedHashMap<>();
    ContentFields fields = fields(f, errors);
    CompletionStage<ContentSnapshot> current =
        id.equals("new") ? done(null) : revisions.current(id);
    return current.thenCompose(
        now -> {
          if (!errors.isEmpty()) {
            Map<String, Object> form = new HashMap<>(f);
            return done(formPage(e, StatusCodes.BAD_REQUEST, now, form, errors, null));
          }
          return content
              .preview(fields.body())
              .thenApply(
                  rendered -> {
                    Instant at = Instant.now();
                    ReadItem item =
                        new ReadItem(
                            now == null ? "preview" : now.id(),
                            now == null ? kindOf(f.get("kind")) : now.kind(),
                            now == null ? ContentStatus.DRAFT : now.status(),
                            now == null ? 0 : now.revision(),
                            fields.slug(),
                            fields.title(),
                            fields.description(),
                            fields.tags(),
                            fields.coverImage(),
                            fields.coverAlt(),
                            fields.author(),
                            fields.date(),
                            now == null ? at : now.createdAt(),
                            at,
                            now == null ? null : now.publishedAt(),
                            null,
                            fields.body(),
                            rendered.html(),
                            rendered.wordCount(),
                            List.of(),
                            0);
                    byte[] page =
                        modules.stream()
                            .map(m -> m.previewPage(item))
                            .filter(java.util.Objects::nonNull)
                            .findFirst()
                            .orElse(null);
                    if (page == null) {
                      throw HttpError.notFound(
                          "no enabled module shows items (is the \"site\" module enabled?)");
                    }
                    return HttpResponse.create()
                        .withEntity(
                            org.apache.pekko.http.javadsl.model.ContentTypes.TEXT_HTML_UTF8, page)
                        .addHeader(RawHeader.create("X-Robots-Tag", "noindex"))
                        // The admin's policy, but images from anywhere https, as the public page
                        // shows them (a cover or an image in the body on another host).
                        .addHeader(
                            RawHeader.create(
                                "Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data: https:;"
                                    + " frame-ancestors 'none'; form-action 'self'; base-uri"
                                    + " 'none'"));
                  });
        });
  }

  /**
   * {@code page}, or, when it failed (a content node unreachable, a timeout), the form again with
   * what the editor typed and why it was not saved: a failed save never costs the text.
   */
  private CompletionStage<HttpResponse> kept(
      Editor e,
      ContentSnapshot item,
      String action,
      Map<String, Object> form,
      CompletionStage<HttpResponse> page) {
    return page.handle(
        (done, failure) -> {
          if (failure == null) {
            return done;
          }
          HttpError error = ErrorMapper.httpError(failure);
          Map<String, Object> extra = new HashMap<>();
          extra.put("action", action);
          // A save that timed out may still land (its message waits for the item): saying "not
          // saved" would have the editor save again, and meet their own save as a conflict.
          String message =
              error instanceof dev.quire.gateway.content.Asks.ChangeMayStillApply
                  ? "Perhaps not saved: the site did not confirm this save in time, and it may"
                      + " still be stored. Your text is below: look at "
                      + (action.endsWith("/new") ? "the content list" : "this item's history")
                      + " in another tab before saving again."
                  : "Not saved: " + error.getMessage() + " Your text is below.";
          return formPage(
              e, StatusCodes.get(error.status()), item, form, Map.of("form", message), null, extra);
        });
  }

  private CompletionStage<HttpResponse> edit(Editor e, String id, String done) {
    return revisions
        .current(id)
        .thenApply(
            item -> {
              if (!readable(e, item)) {
                return notReadable(e, item);
              }
              Map<String, Object> form = formOf(item);
              return formPage(e, StatusCodes.OK, item, form, Map.of(), notice(done));
            });
  }

  private CompletionStage<HttpResponse> save(Editor e, String id, Map<String, String> f) {
    String action = "/admin/content/" + id + "/";
    if (f.containsKey("preview")) {
      Map<String, String> errors = new LinkedHashMap<>();
      ContentFields typed = fields(f, errors);
      return kept(
          e,
          null,
          action,
          new HashMap<>(f),
          revisions
              .current(id)
              .thenCompose(
                  now ->
                      preview(
                          e,
                          now,
                          action,
                          withRevision(f, revisionOf(f.get("revision"))),
                          typed.body())));
    }
    return kept(e, null, action, new HashMap<>(f), saved(e, id, f));
  }

  private CompletionStage<HttpResponse> saved(Editor e, String id, Map<String, String> f) {
    return saved(e, id, f, now -> done(admin.seeOther("/admin/content/" + id + "/?done=saved")));
  }

  /**
   * Saves the form's fields, then {@code then} with the item as saved. The form's revision must be
   * the item's: checked here, before anything is sent, so that a role allowed to edit drafts only
   * cannot slip an edit in as the item is published (every change of status is a new revision, so
   * the entity refuses the edit if one came between), and again by the entity.
   */
  private CompletionStage<HttpResponse> saved(
      Editor e,
      String id,
      Map<String, String> f,
      java.util.function.Function<ContentSnapshot, CompletionStage<HttpResponse>> then) {
    return sent(
        e,
        id,
        f,
        (fields, revision) -> r -> new ContentCommand.Edit(revision, fields, e.username(), r),
        then);
  }

  /**
   * The form checked against the item as it is now (the editor's role, the revision, the fields),
   * then {@code command}, made of the form's fields and revision, sent; {@code then} with the item
   * as the entity answered. A refusal shows the form again with the text kept: a stale revision as
   * a conflict, anything else naming the field.
   */
  private CompletionStage<HttpResponse> sent(
      Editor e,
      String id,
      Map<String, String> f,
      java.util.function.BiFunction<
              ContentFields,
              Long,
              java.util.function.Function<
                  org.apache.pekko.actor.typed.ActorRef<ContentReply>, ContentCommand>>
          command,
      java.util.function.Function<ContentSnapshot, CompletionStage<HttpResponse>> then) {
    return revisions
        .current(id)
        .thenCompose(
            now -> {
              String readOnly = readOnlyBecause(e, now);
              if (readOnly != null) {
                // Published (or scheduled) since the form was opened, perhaps, or another
                // author's draft: the text comes back, read-only, to copy, as on any other
                // refusal.
                return done(
                    formPage(
                        e,
                        StatusCodes.FORBIDDEN,
                        now,
                        withRevision(f, revisionOf(f.get("revision"))),
                        Map.of(
                            "form",
                            "Not saved: "
                                + readOnly
                                + (now.status() == ContentStatus.DRAFT
                                    ? ""
                                    : " This item is " + now.status().id() + ".")
                                + " Your text is below, to copy."),
                        null));
              }
              Map<String, String> errors = new LinkedHashMap<>();
              ContentFields fields = keepUnsent(fields(f, errors), f, now.fields());
              long revision = revisionOf(f.get("revision"));
              if (revision != now.revision()) {
                return conflict(e, now, f, revision);
              }
              if (!errors.isEmpty()) {
                return done(
                    formPage(
                        e, StatusCodes.BAD_REQUEST, now, withRevision(f, revision), errors, null));
              }
              return content
                  .command(id, command.apply(fields, revision))
                  .thenCompose(
                      reply -> {
                        if (reply instanceof ContentReply.Rejected rej) {
                          if (rej.code() == ErrorCode.STALE_REVISION) {
                            // Saved by someone else since the check: say where it is now.
                            return revisions
                                .current(id)
                                .thenCompose(latest -> conflict(e, latest, f, revision));
                          }
                          return done(
                              formPage(
                                  e,
                                  status(rej),
                                  now,
                                  withRevision(f, revision),
                                  errorsOf(rej),
                                  null));
                        }
                        return then.apply(((ContentReply.Accepted) reply).content());
                      });
            });
  }

  /**
   * The form again with what the editor typed, saying the item moved on since they opened it: who
   * saved the newest revision and when ("Someone" when the journal cannot say at once), so the
   * editor knows whose work a save over it would replace.
   */
  private CompletionStage<HttpResponse> conflict(
      Editor e, ContentSnapshot now, Map<String, String> f, long yours) {
    Map<String, Object> conflict = new HashMap<>();
    conflict.put("yours", yours);
    conflict.put("latest", now.revision());
    return revisions
        .stateAt(now.id(), now.revision(), "revision", now)
        .handle(
            (st, failure) -> {
              if (failure == null && st != null) {
                if (st.actor() != null) {
                  conflict.put("by", st.actor());
                }
                if (st.at() != null) {
                  conflict.put("at", Admin.shownTime(st.at(), zone));
                  conflict.put("atIso", Admin.timeAttribute(st.at()));
                }
              }
              return formPage(
                  e,
                  StatusCodes.CONFLICT,
                  now,
                  withRevision(f, yours),
                  Map.of(),
                  null,
                  Map.of("conflict", conflict));
            });
  }

  /**
   * Publish, schedule, unpublish or archive. Sent from the edit form (its buttons), what the form
   * holds is saved first and the action applies to that revision, so an unsaved edit is never left
   * behind by a publish; sent alone (the API's way, or a form with only a revision), it applies to
   * the revision given.
   */
  private CompletionStage<HttpResponse> act(
      Editor e, String id, String name, Map<String, String> f) {
    boolean fromForm = f.containsKey("title");
    java.time.Instant at = null;
    if (name.equals("schedule")) {
      String when = f.getOrDefault("at", "").strip();
      String problem = null;
      try {
        LocalDateTime local = LocalDateTime.parse(when, LOCAL_SECONDS_OPTIONAL);
        if (zone.getRules().getValidOffsets(local).isEmpty()) {
          // Skipped when the clocks went forward: atZone moved it an hour on without a word.
          problem =
              "is in the hour skipped when clocks go forward in "
                  + zone.getId()
                  + ": choose another time";
        } else if (!local.atZone(zone).toInstant().isAfter(Instant.now())) {
          // Checked before the form's edit is saved: refused after it, the edit was stored and
          // the page showed only the error.
          problem = "must be a time in the future, was " + when + " (" + zone.getId() + ")";
        } else {
          at = local.atZone(zone).toInstant();
        }
      } catch (DateTimeParseException ex) {
        problem = "must be a date and time like 2026-12-31T09:30, was '" + when + "'";
      }
      if (problem != null) {
        Map<String, String> error = Map.of("at", problem);
        return revisions
            .current(id)
            .thenApply(
                now ->
                    formPage(
                        e,
                        StatusCodes.BAD_REQUEST,
                        now,
                        fromForm ? withRevision(f, revisionOf(f.get("revision"))) : formOf(now),
                        error,
                        null));
      }
    }
    Instant scheduleAt = at;
    if (fromForm) {
      return kept(
          e,
          null,
          "/admin/content/" + id + "/",
          new HashMap<>(f),
          name.equals("unpublish") || name.equals("archive")
              ? savedAndWithdrawn(e, id, name, f)
              : saved(e, id, f, now -> apply(e, id, name, now.revision(), scheduleAt)));
    }
    Long revision = f.get("revision") == null ? null : revisionOf(f.get("revision"));
    return apply(e, id, name, revision, scheduleAt);
  }

  /**
   * "Save and unpublish" or "save and archive": one command, so the edit and the withdrawal are
   * stored together or not at all (a refused field or a taken slug leaves the item as it was), and
   * a published item leaves the site before the edit, so text meant to leave with it is never on it
   * ({@link ContentCommand.EditAndWithdraw}).
   */
  private CompletionStage<HttpResponse> savedAndWithdrawn(
      Editor e, String id, String name, Map<String, String> f) {
    ContentStatus to = name.equals("archive") ? ContentStatus.ARCHIVED : ContentStatus.DRAFT;
    return sent(
        e,
        id,
        f,
        (fields, revision) ->
            r -> new ContentCommand.EditAndWithdraw(revision, fields, to, e.username(), r),
        item -> done(admin.seeOther("/admin/content/" + id + "/?done=" + name)));
  }

  private CompletionStage<HttpResponse> apply(
      Editor e, String id, String name, Long revision, Instant scheduleAt) {
    String actor = e.username();
    return content
        .command(
            id,
            r ->
                switch (name) {
                  case "publish" -> new ContentCommand.Publish(revision, actor, r);
                  case "schedule" -> new ContentCommand.Schedule(revision, scheduleAt, actor, r);
                  case "unpublish" -> new ContentCommand.Unpublish(revision, actor, r);
                  default -> new ContentCommand.Archive(revision, actor, r);
                })
        .thenCompose(
            reply -> {
              if (reply instanceof ContentReply.Rejected rej) {
                return revisions
                    .current(id)
                    .thenApply(
                        now ->
                            formPage(
                                e,
                                status(rej),
                                now,
                                formOf(now),
                                Map.of(
                                    rej.field() == null || rej.field().isEmpty()
                                        ? "status"
                                        : rej.field(),
                                    rej.message()),
                                null));
              }
              return done(admin.seeOther("/admin/content/" + id + "/?done=" + name));
            });
  }

  // ------------------------------------------------------------------ history

  private CompletionStage<HttpResponse> history(Editor e, String id) {
    return revisions
        .current(id)
        .thenCompose(
            now ->
                !now.historyReadableBy(e.username(), e.may(Permission.PUBLISH))
                    ? CompletableFuture.completedFuture(notReadable(e, now))
                    : revisions
                        .history(id, now.revision(), Long.MAX_VALUE, false)
                        .thenApply(
                            list -> {
                              Map<String, Object> vars = new HashMap<>();
                              vars.put("item", itemVars(now));
                              vars.put(
                                  "revisions",
                                  list.revisions().stream()
                                      .map(
                                          r -> {
                                            Map<String, Object> m = new HashMap<>();
                                            m.put("revision", r.revision());
                                            m.put(
                                                "event",
                                                r.revertedTo() != null
                                                    ? r.event() + " to " + r.revertedTo()
                                                    : r.publishAt() != null
                                                        ? r.event() + " for " + shown(r.publishAt())
                                                        : r.event());
                                            m.put("at", shown(r.at()));
                                            m.put(
                                                "atIso",
                                                dev.quire.gateway.module.Admin.timeAttribute(
                                                    r.at()));
                                            m.put("actor", r.actor());
                                            m.put("status", r.status().id());
                                            m.put("title", r.title());
                                            m.put("slug", r.slug());
                                            return m;
                                          })
                                      .toList());
                              // An archived item cannot be edited, so a revert of it is refused:
                              // not offered (move it to the drafts first).
                              vars.put(
                                  "mayRevert",
                                  now.status() != ContentStatus.ARCHIVED
                                      && e.may(Permission.PUBLISH));
                              return admin.page(e, StatusCodes.OK, "admin/history.peb", vars);
                            }));
  }

  private CompletionStage<HttpResponse> diff(Editor e, String id, Map<String, String> q) {
    if (q.get("from") == null) {
      throw HttpError.badRequest("from", "is required: the revision to compare from");
    }
    long from = Revisions.number("from", q.get("from"));
    Long to =
        q.get("to") == null || q.get("to").isEmpty() ? null : Revisions.number("to", q.get("to"));
    return revisions
        .current(id)
        .thenCompose(
            now ->
                now.historyReadableBy(e.username(), e.may(Permission.PUBLISH))
                    ? revisions.diff(id, from, to, now).thenApply(c -> diffPage(e, c))
                    : CompletableFuture.completedFuture(notReadable(e, now)));
  }

  /** The diff page of a comparison. */
  private HttpResponse diffPage(Editor e, Revisions.Compared c) {
    Map<String, Object> vars = new HashMap<>();
    vars.put("item", itemVars(c.now()));
    vars.put("from", c.from());
    vars.put("to", c.to());
    List<Map<String, Object>> fields = new ArrayList<>();
    Map<String, Object> body = null;
    for (Map<String, Object> change : c.changes()) {
      if ("body".equals(change.get("field"))) {
        body = new HashMap<>(change);
        Object unified = change.get("unified");
        if (unified instanceof String u) {
          body.put(
              "lines",
              WordDiff.marked(
                  Arrays.stream(u.split("\n", -1)).map(ContentPages::diffLine).toList(),
                  diffWordChars,
                  diffWordLineChars));
        }
      } else {
        fields.add(shownChange(change));
      }
    }
    vars.put("fields", fields);
    vars.put("body", body);
    vars.put("same", c.changes().isEmpty());
    return admin.page(e, StatusCodes.OK, "admin/diff.peb", vars);
  }

  private static Map<String, String> diffLine(String line) {
    String kind =
        line.startsWith("+++") || line.startsWith("---")
            ? "file"
            : line.startsWith("@@")
                ? "hunk"
                : line.startsWith("+") ? "added" : line.startsWith("-") ? "removed" : "same";
    return Map.of("text", line, "kind", kind);
  }

  private CompletionStage<HttpResponse> revert(Editor e, String id, Map<String, String> f) {
    long to = Revisions.number("to", f.getOrDefault("to", ""));
    long revision = revisionOf(f.get("revision"));
    return revisions
        .current(id)
        .thenCompose(
            now -> {
              // As through the API: a revert is an editor's (it can bring back text that was
              // published), even of a draft.
              if (!e.may(Permission.PUBLISH)) {
                return done(notAllowed(e, "revert an item"));
              }
              if (revision != now.revision()) {
                return done(
                    admin.page(
                        e,
                        StatusCodes.CONFLICT,
                        "admin/message.peb",
                        Map.of(
                            "heading",
                            "Not reverted",
                            "message",
                            "The item changed since you opened its history (you saw revision "
                                + revision
                                + ", it is now at "
                                + now.revision()
                                + "). Look at the history again before reverting.",
                            "back",
                            "/admin/content/" + id + "/history")));
              }
              return revisions
                  .revert(id, to, revision, e.username())
                  .thenApply(
                      reply -> {
                        if (reply instanceof ContentReply.Rejected rej) {
                          return admin.page(
                              e,
                              status(rej),
                              "admin/message.peb",
                              Map.of(
                                  "heading",
                                  "Not reverted",
                                  "message",
                                  rej.message(),
                                  "back",
                                  "/admin/content/" + id + "/history"));
                        }
                        return admin.seeOther("/admin/content/" + id + "/?done=reverted");
                      });
            });
  }

  // ------------------------------------------------------------------ helpers

  /** Whether {@code e} may read {@code item}'s text and history ({@code readableBy}). */
  private static boolean readable(Editor e, ContentSnapshot item) {
    return item.readableBy(e.username(), e.may(Permission.PUBLISH));
  }

  /**
   * The 403 page for an author opening another's draft, scheduled or archived item, or the history
   * of another's item.
   */
  private HttpResponse notReadable(Editor e, ContentSnapshot item) {
    return notAllowed(
        e,
        "read a "
            + item.status().id()
            + " item "
            + item.createdBy()
            + " started"
            + (item.status() == ContentStatus.PUBLISHED ? " as it stood before" : "")
            + ", only the items you started and published ones as they are");
  }

  private static boolean mayWrite(Editor e, ContentSnapshot item) {
    return readOnlyBecause(e, item) == null;
  }

  /**
   * Why {@code e} may not change {@code item}, or null when they may: editors and admins change any
   * item; an author the drafts they started (as the API allows: {@code
   * ContentApiModule.authorMayNotEdit}).
   */
  static String readOnlyBecause(Editor e, ContentSnapshot item) {
    if (e.may(Permission.PUBLISH)) {
      return null;
    }
    if (!e.may(Permission.WRITE_DRAFTS) || item.status() != ContentStatus.DRAFT) {
      return "Your role may edit drafts only.";
    }
    return item.startedBy(e.username())
        ? null
        : "Your role may edit the drafts you started; " + item.createdBy() + " started this one.";
  }

  private HttpResponse notAllowed(Editor e, String what) {
    return admin.page(
        e,
        StatusCodes.FORBIDDEN,
        "admin/message.peb",
        Map.of(
            "heading",
            "Not allowed",
            "message",
            "Your role (" + e.role().id() + ") may not " + what + ". Ask an editor or an admin."));
  }

  /**
   * The form's fields as the entity wants them. A browser sends a textarea's line ends as CRLF;
   * they are stored as LF, else every save would change every line. A date left as the form showed
   * it keeps the time it had ({@code dateWas}), so opening and saving changes nothing.
   */
  private ContentFields fields(Map<String, String> f, Map<String, String> errors) {
    String title = f.getOrDefault("title", "").strip();
    String slug = f.getOrDefault("slug", "").strip();
    if (slug.isEmpty() && !title.isEmpty()) {
      slug = ContentRules.suggestSlug(title, maxSlug);
    }
    List<String> tags =
        Arrays.stream(f.getOrDefault("tags", "").split(","))
            .map(String::strip)
            .filter(t -> !t.isEmpty())
            .toList();
    Instant date = null;
    String shownDate = f.getOrDefault("date", "").strip();
    String was = f.getOrDefault("dateWas", "");
    if (!shownDate.isEmpty()) {
      try {
        Instant previous = was.isEmpty() ? null : Instant.parse(was);
        if (previous != null && DATE.format(previous.atZone(zone)).equals(shownDate)) {
          date = previous;
        } else {
          date = LocalDate.parse(shownDate, DATE).atStartOfDay(zone).toInstant();
        }
      } catch (DateTimeParseException ex) {
        errors.put("date", "must be a date like 2026-12-31, was '" + shownDate + "'");
      }
    }
    return new ContentFields(
        title,
        slug,
        lineFeeds(f.getOrDefault("body", "")),
        // A text area sends CRLF: as stored (LF), so an unchanged form saves nothing.
        lineFeeds(f.getOrDefault("description", "")).strip(),
        tags,
        f.getOrDefault("coverImage", "").strip(),
        f.getOrDefault("author", "").strip(),
        date,
        f.getOrDefault("coverAlt", "").strip());
  }

  /**
   * {@code typed} with what the form did not send kept as stored: a theme's copy of the edit
   * template from before the cover's description existed would otherwise clear it at every save.
   */
  private static ContentFields keepUnsent(
      ContentFields typed, Map<String, String> form, ContentFields stored) {
    if (form.containsKey("coverAlt") || typed.coverAlt().equals(stored.coverAlt())) {
      return typed;
    }
    return new ContentFields(
        typed.title(),
        typed.slug(),
        typed.body(),
        typed.description(),
        typed.tags(),
        typed.coverImage(),
        typed.author(),
        typed.date(),
        stored.coverAlt());
  }

  private Map<String, Object> formOf(ContentSnapshot item) {
    ContentFields f = item.fields();
    Map<String, Object> form = new HashMap<>();
    form.put("kind", item.kind().id());
    form.put("title", f.title());
    form.put("slug", f.slug());
    form.put("description", f.description());
    form.put("tags", String.join(", ", f.tags()));
    form.put("coverImage", f.coverImage());
    form.put("coverAlt", f.coverAlt());
    form.put("author", f.author());
    form.put("date", f.date() == null ? "" : DATE.format(f.date().atZone(zone)));
    form.put("dateWas", f.date() == null ? "" : f.date().toString());
    form.put("body", f.body());
    form.put("revision", item.revision());
    return form;
  }

  private static Map<String, Object> withRevision(Map<String, String> f, long revision) {
    Map<String, Object> form = new HashMap<>(f);
    form.put("revision", revision);
    return form;
  }

  private Map<String, Object> itemVars(ContentSnapshot item) {
    Map<String, Object> m = new HashMap<>();
    m.put("id", item.id());
    m.put("kind", item.kind().id());
    m.put("status", item.status().id());
    m.put("revision", item.revision());
    m.put("title", item.fields().title());
    m.put("slug", item.fields().slug());
    if (item.createdBy() != null) {
      m.put("createdBy", item.createdBy());
    }
    m.put("updated", shown(item.updatedAt()));
    m.put("updatedIso", dev.quire.gateway.module.Admin.timeAttribute(item.updatedAt()));
    m.put("scheduledAt", shown(item.scheduledAt()));
    m.put("scheduledAtIso", dev.quire.gateway.module.Admin.timeAttribute(item.scheduledAt()));
    m.put("publishedAt", shown(item.publishedAt()));
    var home = dev.quire.gateway.site.SiteModule.homePage(site.snapshot(), settings.get());
    boolean isHome = home != null && home.id().equals(item.id());
    String address =
        isHome
            ? "/"
            : (item.kind() == ContentKind.POST ? "/posts/" : "/") + item.fields().slug() + "/";
    if (item.status() == ContentStatus.PUBLISHED) {
      m.put("url", address);
      if (isHome) {
        m.put("home", true);
      }
    }
    if (item.status() != ContentStatus.ARCHIVED) {
      // A module that answers the item's address before the site (a redirect rule from it).
      for (var module : modules) {
        java.util.Optional<String> why = module.takesOver(address);
        if (why.isPresent()) {
          m.put("address", address);
          m.put("takenOver", why.get());
          break;
        }
      }
    }
    return m;
  }

  private HttpResponse formPage(
      Editor e,
      StatusCode status,
      ContentSnapshot item,
      Map<String, ?> form,
      Map<String, String> errors,
      String notice) {
    return formPage(e, status, item, form, errors, notice, null);
  }

  private HttpResponse formPage(
      Editor e,
      StatusCode status,
      ContentSnapshot item,
      Map<String, ?> form,
      Map<String, String> errors,
      String notice,
      Map<String, Object> extra) {
    Map<String, Object> full = new HashMap<>(form);
    for (String key : FORM_FIELDS) {
      full.putIfAbsent(key, "");
    }
    full.remove("_csrf");
    Map<String, Object> vars = new HashMap<>();
    vars.put("form", full);
    vars.put("errors", errors);
    vars.put("mayWrite", item == null || mayWrite(e, item));
    if (item != null && !mayWrite(e, item)) {
      vars.put("readOnly", readOnlyBecause(e, item));
    }
    vars.put("mayPublish", e.may(Permission.PUBLISH));
    if (notice != null) {
      vars.put("notice", notice);
    }
    if (extra != null) {
      vars.putAll(extra);
    }
    vars.putIfAbsent("action", item == null ? NEW : "/admin/content/" + item.id() + "/");
    if (item != null) {
      vars.put("item", itemVars(item));
      // What "Save and schedule" sends unless changed: the time typed when the page comes back
      // refused, else the item's own time when it is scheduled (it was always an hour from now,
      // so saving a typo fix on an embargoed post moved it to within the hour), else an hour on.
      Object typed = form.get("at");
      // (A time already past, its publish not yet done, would be refused: an hour on then.)
      Instant when =
          item.status() == ContentStatus.SCHEDULED
                  && item.scheduledAt() != null
                  && item.scheduledAt().isAfter(Instant.now())
              ? item.scheduledAt()
              : Instant.now().plusSeconds(3600);
      java.time.LocalDateTime local = when.atZone(zone).toLocalDateTime();
      vars.put(
          "scheduleDefault",
          typed instanceof String t && !t.isBlank()
              ? t
              : (local.getSecond() == 0 ? LOCAL : LOCAL_SECONDS).format(local));
      if (local.getSecond() != 0 || typed instanceof String t && t.length() > 16) {
        // A time with seconds (one the API set): the field steps by seconds, or the browser
        // refuses to send it.
        vars.put("scheduleStep", "1");
      }
    }
    vars.put("zone", zone.getId());
    vars.put("baseUrl", baseUrl);
    return admin.page(e, status, "admin/edit.peb", vars);
  }

  private static String notice(String done) {
    if (done == null) {
      return null;
    }
    return switch (done) {
      case "created" -> "Created as a draft.";
      case "saved" -> "Saved.";
      case "publish" -> "Published.";
      case "schedule" -> "Scheduled.";
      case "unpublish" -> "Unpublished: it is a draft again.";
      case "archive" -> "Archived.";
      case "reverted" -> "Reverted: the old text is now the newest revision.";
      default -> null;
    };
  }

  private static long revisionOf(String value) {
    return Revisions.number("revision", value == null ? "" : value);
  }

  private String shown(Instant t) {
    return dev.quire.gateway.module.Admin.shownTime(t, zone);
  }

  /**
   * A field's change as the diff page shows it: a date as the edit form does (in the site's zone),
   * tags as the form lists them; other fields as they are.
   */
  private Map<String, Object> shownChange(Map<String, Object> change) {
    Map<String, Object> shown = new HashMap<>(change);
    shown.put("label", label(String.valueOf(change.get("field"))));
    for (String side : List.of("from", "to")) {
      Object v = change.get(side);
      if (v instanceof Instant t) {
        shown.put(side, DATE.format(t.atZone(zone)));
      } else if (v instanceof java.util.Collection<?> c) {
        shown.put(side, String.join(", ", c.stream().map(String::valueOf).toList()));
      }
    }
    return shown;
  }

  /** A field's name as a person reads it: coverImage is "Cover image", as the form names it. */
  static String label(String field) {
    String known = AdminModule.FIELD_LABELS.get(field);
    if (known != null) {
      return known;
    }
    String words = field.replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase(java.util.Locale.ROOT);
    return words.isEmpty() ? words : Character.toUpperCase(words.charAt(0)) + words.substring(1);
  }

  private static StatusCode status(ContentReply.Rejected r) {
    return StatusCodes.get(HttpError.of(r).status());
  }

  /** The refusal's reasons by the form's field names (cover_image is the coverImage field). */
  private static Map<String, String> errorsOf(ContentReply.Rejected r) {
    Map<String, String> out = new LinkedHashMap<>();
    if (r.errors() != null && !r.errors().isEmpty()) {
      for (FieldError fe : r.errors()) {
        out.putIfAbsent(HttpError.apiName(fe.field()), fe.message());
      }
    } else {
      out.put(
          r.field() == null || r.field().isEmpty() ? "form" : HttpError.apiName(r.field()),
          r.message());
    }
    return out;
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }

  /** A text area's line breaks (CRLF, as browsers send them, or CR) as stored: LF. */
  static String lineFeeds(String text) {
    return text.replace("\r\n", "\n").replace('\r', '\n');
  }
}
