package dev.quire.gateway.api;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.entity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByName;
import static org.apache.pekko.http.javadsl.server.Directives.parameterMap;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.put;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quire.gateway.content.ContentClient;
import dev.quire.gateway.http.HttpError;
import dev.quire.gateway.http.JsonResponses;
import dev.quire.gateway.module.ApiCaller;
import dev.quire.gateway.module.CmsModule;
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
import dev.quire.protocol.Role.Permission;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * {@code /api/v1/archive} and {@code /api/v1/content}: create, read, list, edit (with the revision
 * the editor started from), publish, schedule, unpublish, archive and the revision list. A 2xx
 * answer to a write means the event is in the journal.
 */
public final class ContentApiModule implements CmsModule {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(ContentApiModule.class);

  private ContentClient content;
  private ObjectMapper json;
  private int defaultPageSize;
  private int maxPageSize;
  private long revisionsMaxChars;
  private Revisions history;

  @Override
  public String id() {
    return "api";
  }

  /** quire.content.limits.slug-chars: a slug made from a title is cut to it. */
  private int maxSlug;

  /** quire.gateway.slug-from-title-attempts: numbered slugs tried for a new item's title. */
  private int slugFromTitleAttempts;

  /** {@code GET /api/v1/limits}: this node's {@code quire.content.limits}, as JSON. */
  private byte[] limitsJson;

  @Override
  public void start(ModuleContext ctx) {
    this.content = ctx.content();
    this.json = ctx.json();
    this.defaultPageSize = ctx.config().getInt("quire.gateway.api.default-page-size");
    this.maxPageSize = ctx.config().getInt("quire.gateway.api.max-page-size");
    ContentRules.Limits limits = ContentRules.Limits.fromConfig(ctx.config());
    this.maxSlug = limits.maxSlug();
    this.slugFromTitleAttempts =
        dev.quire.protocol.ConfigChecks.atLeastOne(
            ctx.config(), "quire.gateway.slug-from-title-attempts");
    this.limitsJson = limitsJson(limits);
    this.revisionsMaxChars = ctx.config().getLong("quire.gateway.api.revisions-max-chars");
    this.maxKeyChars =
        dev.quire.protocol.ConfigChecks.atLeastOne(
            ctx.config(), "quire.gateway.api.idempotency-key-chars");
    if (maxPageSize < 1 || defaultPageSize < 1 || defaultPageSize > maxPageSize) {
      // A 0 made every list request fail (a division by it), a default above the maximum every
      // request that left the size out.
      throw new IllegalArgumentException(
          "quire.gateway.api: max-page-size ("
              + maxPageSize
              + ") must be at least 1, and default-page-size ("
              + defaultPageSize
              + ") between 1 and it");
    }
    this.history = ctx.revisions();
  }

  /** Every role may read and write drafts here; publishing and reverting need more. */
  @Override
  public Map<String, Permission> apiAccess() {
    return Map.of(
        "content", Permission.WRITE_DRAFTS,
        "limits", Permission.WRITE_DRAFTS,
        "archive", Permission.WRITE_DRAFTS);
  }

  @Override
  public Optional<Route> apiRoutes(ModuleContext ctx) {
    Route archive = path("archive", () -> get(() -> completeWithFuture(archive())));
    // What the site takes, for a client to check its files against before it writes any: quire
    // import --server.
    Route limits =
        path(
            "limits",
            () ->
                get(
                    () ->
                        org.apache.pekko.http.javadsl.server.Directives.complete(
                            HttpResponse.create()
                                .withEntity(
                                    org.apache.pekko.http.javadsl.model.ContentTypes
                                        .APPLICATION_JSON,
                                    limitsJson))));
    return Optional.of(
        concat(
            archive,
            limits,
            pathPrefix(
                "content",
                () ->
                    concat(
                        pathEndOrSingleSlash(
                            () ->
                                concat(
                                    get(
                                        () ->
                                            ApiCaller.of(
                                                c ->
                                                    parameterMap(
                                                        q -> completeWithFuture(list(c, q))))),
                                    post(
                                        () ->
                                            ApiCaller.of(
                                                c ->
                                                    optionalHeaderValueByName(
                                                        IDEMPOTENCY_KEY,
                                                        k ->
                                                            body(
                                                                b ->
                                                                    completeWithFuture(
                                                                        create(
                                                                            c,
                                                                            b,
                                                                            k.orElse(null))))))))),
                        pathPrefix(
                            PathMatchers.segment(),
                            id ->
                                concat(
                                    pathEndOrSingleSlash(
                                        () ->
                                            concat(
                                                get(
                                                    () ->
                                                        ApiCaller.of(
                                                            c -> completeWithFuture(read(c, id)))),
                                                put(
                                                    () ->
                                                        ApiCaller.of(
                                                            c ->
                                                                body(
                                                                    b ->
                                                                        completeWithFuture(
                                                                            edit(c, id, b))))))),
                                    action(id, "publish"),
                                    action(id, "schedule"),
                                    action(id, "unpublish"),
                                    action(id, "archive"),
                                    path(
                                        "revisions",
                                        () ->
                                            get(
                                                () ->
                                                    ApiCaller.of(
                                                        c ->
                                                            parameterMap(
                                                                q ->
                                                                    completeWithFuture(
                                                                        revisions(c, id, q)))))),
                                    path(
                                        PathMatchers.segment("revisions")
                                            .slash(PathMatchers.segment()),
                                        n ->
                                            get(
                                                () ->
                                                    ApiCaller.of(
                                                        c ->
                                                            completeWithFuture(
                                                                revision(c, id, n))))),
                                    path(
                                        "diff",
                                        () ->
                                            get(
                                                () ->
                                                    ApiCaller.of(
                                                        c ->
                                                            parameterMap(
                                                                q ->
                                                                    completeWithFuture(
                                                                        diff(c, id, q)))))),
                                    path(
                                        "revert",
                                        () ->
                                            post(
                                                () ->
                                                    ApiCaller.require(
                                                        Permission.PUBLISH,
                                                        "revert",
                                                        c ->
                                                            body(
                                                                b ->
                                                                    completeWithFuture(
                                                                        revert(c, id, b))))))))))));
  }

  /** {@code {"content": {<each of ContentRules.Limits.NAMES>: n}}}. */
  private byte[] limitsJson(ContentRules.Limits l) {
    Map<String, Object> content = new LinkedHashMap<>();
    List<Integer> values = l.values();
    for (int i = 0; i < values.size(); i++) {
      content.put(ContentRules.Limits.NAMES.get(i), values.get(i));
    }
    try {
      return json.writeValueAsBytes(Map.of("content", content));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private Route body(java.util.function.Function<String, Route> inner) {
    return entity(Unmarshaller.entityToString(), inner::apply);
  }

  private Route action(String id, String name) {
    return path(
        name,
        () ->
            post(
                () ->
                    ApiCaller.require(
                        Permission.PUBLISH,
                        name,
                        c -> body(b -> completeWithFuture(act(c, id, name, b))))));
  }

  // ---------------------------------------------------------------- handlers

  /**
   * The header that makes a create safe to send again (as in the IETF's draft "The Idempotency-Key
   * HTTP Header Field", and Stripe's API): creates sent with the same key by the same user make one
   * item.
   */
  static final String IDEMPOTENCY_KEY = "Idempotency-Key";

  /** quire.gateway.api.idempotency-key-chars: the longest key taken. */
  private int maxKeyChars;

  /**
   * The key a create was sent with: the header's value, a quoted string's contents (the draft
   * writes it as a structured-field string), or a 400 naming the header when it is empty, longer
   * than {@link #maxKeyChars} or holds anything but printable ASCII. Null without the header.
   */
  private String idempotencyKey(String header) {
    if (header == null) {
      return null;
    }
    String key = header.strip();
    if (key.length() >= 2 && key.startsWith("\"") && key.endsWith("\"")) {
      key = key.substring(1, key.length() - 1);
    }
    if (key.isEmpty() || key.length() > maxKeyChars) {
      throw HttpError.badRequest(
          IDEMPOTENCY_KEY, "must be 1 to " + maxKeyChars + " characters, was " + key.length());
    }
    for (int i = 0; i < key.length(); i++) {
      char ch = key.charAt(i);
      if (ch < 0x20 || ch > 0x7e) {
        throw HttpError.badRequest(
            IDEMPOTENCY_KEY,
            "may hold printable ASCII only (a UUID is a good key); character "
                + (i + 1)
                + " is not");
      }
    }
    return key;
  }

  private CompletionStage<HttpResponse> create(ApiCaller caller, String body, String keyHeader) {
    String key = idempotencyKey(keyHeader);
    ContentInput in = parse(body, ContentInput.class);
    ContentKind kind;
    try {
      kind = ContentKind.parse(in.kind());
    } catch (IllegalArgumentException e) {
      throw HttpError.badRequest("kind", e.getMessage());
    }
    boolean fromTitle = (in.slug() == null || in.slug().isBlank()) && in.title() != null;
    String slug =
        fromTitle
            ? ContentRules.suggestSlug(in.title(), maxSlug)
            : (in.slug() == null || in.slug().isBlank() ? null : in.slug());
    ContentFields fields = fields(in, slug);
    ContentCommand.Initially then = initially(in);
    if (then.status() != ContentStatus.DRAFT && !caller.may(Permission.PUBLISH)) {
      throw ApiCaller.forbidden(caller, "create an item " + then.status().id());
    }
    // With a key, the item's id is the key's (see ContentIds.forKey): a refusal as existing is
    // the first create's item. A slug the caller did not choose gets a number while another item
    // holds it.
    String keyed = key == null ? null : ContentIds.forKey(caller.actor(), key);
    return content
        .create(
            kind, fields, then, caller.actor(), fromTitle, slugFromTitleAttempts, maxSlug, keyed)
        .thenCompose(
            reply ->
                keyed != null
                        && reply instanceof ContentReply.Rejected r
                        && r.code() == dev.quire.protocol.ErrorCode.ALREADY_EXISTS
                    ? replayed(keyed, kind)
                    : CompletableFuture.completedFuture(item(reply, StatusCodes.CREATED)));
  }

  /**
   * The answer to a create sent again with its idempotency key: the item the first one made (as it
   * stands now; it may have been edited since), 201 as the first answer was, marked {@code
   * Idempotent-Replayed: true}. A key used before for an item of the other kind is a 422: the
   * client sent two different creates with one key.
   */
  private CompletionStage<HttpResponse> replayed(String id, ContentKind kind) {
    return content
        .command(id, ContentCommand.Get::new)
        .thenApply(
            reply -> {
              if (reply instanceof ContentReply.Accepted a && a.content().kind() != kind) {
                throw new HttpError(
                    422,
                    "key_reused",
                    IDEMPOTENCY_KEY,
                    "was sent before with the create of the "
                        + a.content().kind().id()
                        + " \""
                        + a.content().fields().title()
                        + "\" (content "
                        + id
                        + "); send each create with a key of its own");
              }
              return item(reply, StatusCodes.CREATED)
                  .addHeader(RawHeader.create("Idempotent-Replayed", "true"));
            });
  }

  /**
   * The status a created item starts in: {@code status} (draft when left out) and, when scheduled,
   * {@code at}. Whether the two fit together is the entity's to say (Content refuses naming the
   * field), so the API and an import are held to the same rules.
   */
  private static ContentCommand.Initially initially(ContentInput in) {
    try {
      ContentStatus status =
          in.status() == null ? ContentStatus.DRAFT : ContentStatus.parse(in.status());
      return new ContentCommand.Initially(status, in.at());
    } catch (IllegalArgumentException e) {
      throw HttpError.badRequest(
          "status", "must be draft, published or scheduled, was '" + in.status() + "'");
    }
  }

  private CompletionStage<HttpResponse> edit(ApiCaller caller, String id, String body) {
    ContentInput in = parse(body, ContentInput.class);
    if (in.status() != null || in.at() != null) {
      throw HttpError.badRequest(
          in.status() != null ? "status" : "at",
          "is set on create only; use the publish, schedule, unpublish and archive actions");
    }
    if (in.revision() == null) {
      throw HttpError.badRequest(
          "revision", "is required: send the revision you started editing from");
    }
    if (in.kind() != null) {
      throw HttpError.badRequest("kind", "cannot change after creation");
    }
    return current(id)
        .thenCompose(
            current -> {
              if (!caller.may(Permission.PUBLISH)) {
                if (current.status() != ContentStatus.DRAFT) {
                  throw ApiCaller.forbidden(
                      caller, "edit an item that is " + current.status().id() + ", only drafts");
                }
                if (!current.startedBy(caller.actor())) {
                  throw ApiCaller.forbidden(
                      caller,
                      "edit a draft "
                          + current.createdBy()
                          + " started, only the drafts they started themselves");
                }
                if (current.revision() != in.revision()) {
                  // Checked against this revision: a newer one may be a publish.
                  throw HttpError.of(
                      new ContentReply.Rejected(
                          dev.quire.protocol.ErrorCode.STALE_REVISION,
                          "revision",
                          "the item is at revision "
                              + current.revision()
                              + ", not "
                              + in.revision()
                              + "; read it again",
                          List.of()));
                }
              }
              // Fields left out of the body keep their current values.
              ContentFields now = current.fields();
              ContentFields merged =
                  new ContentFields(
                      or(in.title(), now.title()),
                      or(in.slug(), now.slug()),
                      or(in.body(), now.body()),
                      or(in.description(), now.description()),
                      in.tags() != null ? in.tags() : now.tags(),
                      or(in.coverImage(), now.coverImage()),
                      or(in.author(), now.author()),
                      in.date() != null || sendsNull(body, "date") ? in.date() : now.date(),
                      or(in.coverAlt(), now.coverAlt()));
              return content.command(
                  id, r -> new ContentCommand.Edit(in.revision(), merged, caller.actor(), r));
            })
        .thenApply(reply -> item(reply, StatusCodes.OK));
  }

  private CompletionStage<HttpResponse> act(ApiCaller caller, String id, String name, String body) {
    ActionInput in = body.isBlank() ? ActionInput.NONE : parse(body, ActionInput.class);
    Long rev = in.revision();
    if (in.at() != null && !name.equals("schedule")) {
      // Ignored, a publish "at" a time went live at once: the opposite of what was meant.
      throw HttpError.badRequest("at", "is only taken by .../schedule; " + name + " happens now");
    }
    java.util.function.Function<org.apache.pekko.actor.typed.ActorRef<ContentReply>, ContentCommand>
        make =
            switch (name) {
              case "publish" -> r -> new ContentCommand.Publish(rev, caller.actor(), r);
              case "unpublish" -> r -> new ContentCommand.Unpublish(rev, caller.actor(), r);
              case "archive" -> r -> new ContentCommand.Archive(rev, caller.actor(), r);
              case "schedule" -> {
                if (in.at() == null) {
                  throw HttpError.badRequest(
                      "at", "is required: an ISO-8601 instant such as 2030-01-01T09:00:00Z");
                }
                yield r -> new ContentCommand.Schedule(rev, in.at(), caller.actor(), r);
              }
              default -> throw new IllegalArgumentException(name);
            };
    return content.command(id, make).thenApply(reply -> item(reply, StatusCodes.OK));
  }

  private CompletionStage<HttpResponse> read(ApiCaller caller, String id) {
    return content
        .command(id, ContentCommand.Get::new)
        .thenApply(
            r ->
                r instanceof ContentReply.Accepted a
                    ? respond(StatusCodes.OK, shown(caller, a.content()))
                    : item(r, StatusCodes.OK));
  }

  /**
   * {@code s} as {@code caller} may see it: without its text for an author reading another's draft,
   * scheduled or archived item ({@link ContentSnapshot#readableBy}). Its title, slug, status and
   * who started it stay, as lists show them, so that an author's import can tell that a file would
   * change another's draft.
   */
  private static ApiItem shown(ApiCaller caller, ContentSnapshot s) {
    ApiItem item = ApiItem.of(s);
    return s.readableBy(caller.actor(), caller.may(Permission.PUBLISH)) ? item : item.withoutBody();
  }

  /** A 403 unless {@code caller} may read {@code s}'s history ({@code historyReadableBy}). */
  private static ContentSnapshot readable(ApiCaller caller, ContentSnapshot s) {
    if (!s.historyReadableBy(caller.actor(), caller.may(Permission.PUBLISH))) {
      throw ApiCaller.forbidden(
          caller,
          "read the history of a "
              + s.status().id()
              + " item "
              + s.createdBy()
              + " started, only of the items they started");
    }
    return s;
  }

  private CompletionStage<HttpResponse> list(ApiCaller caller, Map<String, String> q) {
    String slug = q.get("slug");
    if (slug != null && slug.isEmpty()) {
      throw HttpError.badRequest("slug", "must not be empty");
    }
    if (slug != null) {
      // Answered by the slug registry and the entity, so an import can trust it right away.
      return content
          .slugOwner(slug)
          .thenCompose(
              owner ->
                  owner.isEmpty()
                      ? CompletableFuture.completedFuture(
                          ok(Map.of("items", List.of(), "page", 1, "size", 1, "total", 0)))
                      : content
                          .command(owner, ContentCommand.Get::new)
                          .thenApply(
                              r -> {
                                // Only an item that answers to the slug: the registry can name
                                // an owner that has let it go meanwhile (its release is sent
                                // after the rename is stored).
                                boolean holds =
                                    r instanceof ContentReply.Accepted a
                                        && (a.content().fields().slug().equals(slug)
                                            || a.content().aliases().contains(slug));
                                return ok(
                                    Map.of(
                                        "items",
                                        holds
                                            ? List.of(
                                                shown(
                                                    caller, ((ContentReply.Accepted) r).content()))
                                            : List.of(),
                                        "page",
                                        1,
                                        "size",
                                        1,
                                        "total",
                                        holds ? 1 : 0));
                              }));
    }
    ContentKind kind = enumParam(q, "kind", ContentKind::parse);
    ContentStatus status = enumParam(q, "status", ContentStatus::parse);
    int page = intParam(q, "page", 1, 1, Integer.MAX_VALUE / maxPageSize);
    int size = intParam(q, "size", defaultPageSize, 1, maxPageSize);
    String text = q.get("q");
    if (text != null && text.length() > ContentQuery.MAX_FIND_TEXT) {
      throw HttpError.badRequest(
          "q", "is " + text.length() + " characters; at most " + ContentQuery.MAX_FIND_TEXT);
    }
    return content
        .list(kind, status, q.get("tag"), text, page, size)
        .thenApply(
            p -> {
              Map<String, Object> out = new LinkedHashMap<>();
              out.put("items", p.items().stream().map(ApiItem::of).toList());
              out.put("page", p.page());
              out.put("size", p.size());
              out.put("total", p.total());
              return ok(out);
            });
  }

  /** Published posts per month, newest first: the archive read model. */
  private CompletionStage<HttpResponse> archive() {
    return content.archive().thenApply(a -> ok(Map.of("months", a.months())));
  }

  // ------------------------------------------- one revision, diffs and reverts (from the journal)

  /**
   * {@code GET .../revisions/<n>}: the item as it stood at revision n, with the event that made
   * that revision.
   */
  private CompletionStage<HttpResponse> revision(ApiCaller caller, String id, String n) {
    long rev = revisionNumber("revision", n);
    return current(id)
        .thenApply(now -> readable(caller, now))
        .thenCompose(
            now ->
                stateAt(id, rev, "revision", now)
                    .thenApply(
                        st -> {
                          Map<String, Object> out = new LinkedHashMap<>();
                          out.put("id", id);
                          out.put("revision", rev);
                          out.put("event", st.event());
                          out.put("at", st.at());
                          out.put("actor", st.actor());
                          out.put("latestRevision", now.revision());
                          out.put("item", ApiItem.of(st.item()));
                          return ok(out);
                        }));
  }

  /**
   * {@code GET .../diff?from=n&to=m}: what changed from revision n to revision m ({@code to}
   * defaults to the newest, which the entity holds, so only revision n is read from the journal).
   */
  private CompletionStage<HttpResponse> diff(ApiCaller caller, String id, Map<String, String> q) {
    String fromParam = q.get("from");
    if (fromParam == null) {
      throw HttpError.badRequest("from", "is required: the revision to compare from");
    }
    long from = revisionNumber("from", fromParam);
    Long to = q.get("to") == null ? null : revisionNumber("to", q.get("to"));
    return current(id)
        .thenApply(now -> readable(caller, now))
        .thenCompose(now -> history.diff(id, from, to, now))
        .thenApply(
            c -> {
              Map<String, Object> out = new LinkedHashMap<>();
              out.put("id", id);
              out.put("from", c.from());
              out.put("to", c.to());
              out.put("latestRevision", c.now().revision());
              out.put("changes", c.changes());
              return ok(out);
            });
  }

  /**
   * {@code POST .../revert} {@code {"to": n, "revision": m}}: the fields of revision n come back as
   * a new revision, made like any edit (the same rules, the slug claimed again, a stale {@code
   * revision} refused); the item's status stays as it is.
   */
  private CompletionStage<HttpResponse> revert(ApiCaller caller, String id, String body) {
    RevertInput in = parse(body, RevertInput.class);
    if (in.to() == null) {
      throw HttpError.badRequest("to", "is required: the revision to go back to");
    }
    if (in.to() < 1) {
      throw HttpError.badRequest("to", "must be a revision number, 1 or more, was " + in.to());
    }
    if (in.revision() == null) {
      throw HttpError.badRequest(
          "revision", "is required: send the revision you are reverting from");
    }
    return history
        .revert(id, in.to(), in.revision(), caller.actor())
        .thenApply(reply -> item(reply, StatusCodes.OK));
  }

  private CompletionStage<ContentSnapshot> current(String id) {
    return history.current(id);
  }

  private CompletionStage<ContentQuery.RevisionState> stateAt(
      String id, long rev, String param, ContentSnapshot now) {
    return history.stateAt(id, rev, param, now);
  }

  private static long revisionNumber(String field, String value) {
    return Revisions.number(field, value);
  }

  /**
   * {@code ?before=n}: revisions older than n; {@code ?bodies=false}: without bodies. One answer
   * holds revisions until their text passes {@code revisions-max-chars}; then {@code more} is true
   * and {@code next} is the {@code before} to ask with.
   */
  private CompletionStage<HttpResponse> revisions(
      ApiCaller caller, String id, Map<String, String> q) {
    long before = q.containsKey("before") ? revisionNumber("before", q.get("before")) : 0;
    String bodiesParam = q.getOrDefault("bodies", "true");
    if (!bodiesParam.equals("true") && !bodiesParam.equals("false")) {
      throw HttpError.badRequest("bodies", "must be true or false, was '" + bodiesParam + "'");
    }
    boolean bodies = bodiesParam.equals("true");
    return current(id)
        .thenApply(now -> readable(caller, now))
        .thenCompose(
            now ->
                before == 0
                    ? history.history(id, now.revision(), revisionsMaxChars, bodies)
                    : content.revisions(id, before, revisionsMaxChars, bodies))
        .thenApply(list -> ok(revisionPage(id, list, bodies)));
  }

  private static Map<String, Object> revisionPage(
      String id, ContentQuery.RevisionList list, boolean bodies) {
    Map<String, Object> page = new LinkedHashMap<>();
    page.put("id", id);
    page.put(
        "items",
        list.revisions().stream()
            .map(
                e -> {
                  Map<String, Object> m = new LinkedHashMap<>();
                  m.put("revision", e.revision());
                  m.put("event", e.event());
                  m.put("at", e.at());
                  m.put("actor", e.actor());
                  m.put("status", e.status().id());
                  m.put("title", e.title());
                  m.put("slug", e.slug());
                  if (bodies) {
                    m.put("body", e.body());
                  }
                  if (e.revertedTo() != null) {
                    m.put("revertedTo", e.revertedTo());
                  }
                  if (e.publishAt() != null) {
                    m.put("publishAt", e.publishAt());
                  }
                  return m;
                })
            .toList());
    page.put("more", list.more());
    if (list.more()) {
      page.put("next", list.revisions().get(list.revisions().size() - 1).revision());
    }
    return page;
  }

  // ---------------------------------------------------------------- helpers

  private static ContentFields fields(ContentInput in, String slug) {
    return new ContentFields(
        in.title(),
        slug,
        in.body(),
        in.description(),
        in.tags(),
        in.coverImage(),
        in.author(),
        in.date(),
        in.coverAlt());
  }

  private HttpResponse item(ContentReply reply, StatusCode success) {
    if (reply instanceof ContentReply.Rejected r) {
      throw HttpError.of(r);
    }
    return respond(success, ApiItem.of(((ContentReply.Accepted) reply).content()));
  }

  private HttpResponse ok(Object body) {
    return respond(StatusCodes.OK, body);
  }

  private HttpResponse respond(StatusCode status, Object body) {
    return JsonResponses.of(json, status, body);
  }

  /**
   * Whether the (already parsed, so valid) JSON object {@code body} gives {@code field} as {@code
   * null}: on an edit, a date left out keeps its value and a null one clears it (text fields are
   * cleared with "", tags with []).
   */
  private boolean sendsNull(String body, String field) {
    try {
      JsonNode v = json.readTree(body).get(field);
      return v != null && v.isNull();
    } catch (java.io.IOException e) {
      throw new IllegalStateException("read once already", e);
    }
  }

  private <T> T parse(String body, Class<T> type) {
    return ApiJson.parse(json, body, type);
  }

  private static String or(String value, String fallback) {
    return value != null ? value : fallback;
  }

  private static <E> E enumParam(
      Map<String, String> q, String name, java.util.function.Function<String, E> parse) {
    String v = q.get(name);
    if (v == null) {
      return null;
    }
    try {
      return parse.apply(v);
    } catch (IllegalArgumentException e) {
      throw HttpError.badRequest(name, e.getMessage());
    }
  }

  private static int intParam(Map<String, String> q, String name, int dflt, int min, int max) {
    String v = q.get(name);
    return v == null ? dflt : HttpError.wholeNumber(name, v, min, max);
  }
}
