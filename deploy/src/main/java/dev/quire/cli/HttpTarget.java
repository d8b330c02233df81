package dev.quire.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.quire.protocol.ContentCommand;
import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.ContentStatus;
import dev.quire.protocol.RedirectRule;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Talks to a running site through {@code /api/v1/content} with its bearer token. */
public final class HttpTarget implements ContentTarget {

  /**
   * Items per page when listing: the API's largest page by default
   * (quire.gateway.api.max-page-size); a server set lower is asked for its own default size
   * instead.
   */
  private static final int API_PAGE = 200;

  private final URI api;
  private final URI base;
  private final String token;
  private final Duration timeout;
  private final HttpClient http;
  private final int listPasses;

  /**
   * The list's page size asked for: ours, or, once a server has refused it (its
   * quire.gateway.api.max-page-size is smaller), none, which is the server's default.
   */
  private volatile String sizeParam = "&size=" + API_PAGE;

  /**
   * Whether the server has items' {@code coverAlt} (it showed the field in an item): an edit then
   * always sends it, so that a description taken out of a file is taken off the item too. A server
   * from before it refuses the field by name, so until then it is sent only when there is one.
   */
  private volatile boolean serverHasCoverAlt;

  /** Items read whole but answered without their text ({@link #withoutText}). */
  private final java.util.Set<String> withoutText =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  @Override
  public java.util.Set<String> withoutText() {
    return java.util.Set.copyOf(withoutText);
  }

  private final ObjectMapper json =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * {@code listPasses}: how many times the site's list may be read again because an item moved
   * while it was read ({@link #listed}).
   */
  public HttpTarget(String server, String token, Duration timeout, int listPasses) {
    if (listPasses < 1) {
      throw new IllegalArgumentException(
          "quire.cli.list-passes must be 1 or more, was " + listPasses);
    }
    this.listPasses = listPasses;
    String s = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
    if (!s.startsWith("http://") && !s.startsWith("https://")) {
      throw new IllegalArgumentException("--server must be an http(s) URL, was " + server);
    }
    this.api = URI.create(s + "/api/v1");
    this.base = URI.create(s + "/api/v1/content");
    this.token = token;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  @Override
  public CompletionStage<Optional<ContentSnapshot>> findBySlug(String slug) {
    return send("GET", "?slug=" + URLEncoder.encode(slug, StandardCharsets.UTF_8), null)
        .thenApply(
            n ->
                n.get("items").isEmpty()
                    ? Optional.empty()
                    : Optional.of(snapshot(n.get("items").get(0))));
  }

  @Override
  public CompletionStage<Optional<ContentSnapshot>> get(String id) {
    return send("GET", "/" + URLEncoder.encode(id, StandardCharsets.UTF_8), null)
        .handle(
            (n, failure) -> {
              if (failure == null) {
                return Optional.of(snapshot(n));
              }
              Throwable c = failure.getCause() != null ? failure.getCause() : failure;
              if (c instanceof Refused r && "id".equals(r.field)) {
                return Optional.<ContentSnapshot>empty(); // the site has no item with this id
              }
              throw failure instanceof java.util.concurrent.CompletionException ce
                  ? ce
                  : new java.util.concurrent.CompletionException(c);
            });
  }

  @Override
  public CompletionStage<ContentSnapshot> create(
      ContentKind kind, ContentFields f, ContentCommand.Initially then) {
    Map<String, Object> body = fields(f);
    body.put("kind", kind.id());
    body.put("status", then.status().id());
    if (then.scheduleAt() != null) {
      body.put("at", then.scheduleAt().toString());
    }
    return send("POST", "", body).thenApply(this::snapshot);
  }

  @Override
  public CompletionStage<ContentSnapshot> edit(String id, long revision, ContentFields f) {
    Map<String, Object> body = fields(f);
    if (serverHasCoverAlt) {
      body.put("coverAlt", f.coverAlt());
    }
    body.put("revision", revision);
    return send("PUT", "/" + id, body).thenApply(this::snapshot);
  }

  @Override
  public CompletionStage<ContentSnapshot> publish(String id, long revision) {
    return send("POST", "/" + id + "/publish", Map.of("revision", revision))
        .thenApply(this::snapshot);
  }

  @Override
  public CompletionStage<ContentSnapshot> schedule(String id, long revision, Instant at) {
    return send("POST", "/" + id + "/schedule", Map.of("revision", revision, "at", at.toString()))
        .thenApply(this::snapshot);
  }

  @Override
  public CompletionStage<ContentSnapshot> unpublish(String id, long revision) {
    return send("POST", "/" + id + "/unpublish", Map.of("revision", revision))
        .thenApply(this::snapshot);
  }

  @Override
  public CompletionStage<List<ContentSnapshot>> all() {
    List<ContentSnapshot> acc = new ArrayList<>();
    return listed(1).thenCompose(items -> fetch(items, 0, acc)).thenApply(v -> acc);
  }

  /** Reads the items {@code items} name, a page's worth at a time, from {@code from} on. */
  private CompletionStage<Void> fetch(List<JsonNode> items, int from, List<ContentSnapshot> acc) {
    if (from >= items.size()) {
      return CompletableFuture.completedFuture(null);
    }
    List<CompletableFuture<ContentSnapshot>> full = new ArrayList<>();
    for (JsonNode item : items.subList(from, Math.min(items.size(), from + API_PAGE))) {
      full.add(
          send("GET", "/" + item.get("id").asText(), null)
              .thenApply(this::snapshot)
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(full.toArray(CompletableFuture[]::new))
        .thenCompose(
            v -> {
              full.forEach(f -> acc.add(f.join()));
              return fetch(items, from + API_PAGE, acc);
            });
  }

  /**
   * Every item of the site's list, each once. The list is paged by offset, newest change first, so
   * an item saved while it is read moves to the front: the item at a page's edge comes twice and
   * the moved one (or a new one) not at all, and an export left it out. A read that meets an item
   * twice is read again, up to {@code quire.cli.list-passes} times: one that meets none missed none
   * (nothing leaves the list; a move or an addition shows as a repeat).
   */
  private CompletionStage<List<JsonNode>> listed(int pass) {
    Map<String, JsonNode> byId = new java.util.LinkedHashMap<>();
    int[] twice = {0};
    return eachPage(
            1,
            0,
            items -> {
              for (JsonNode item : items) {
                if (byId.put(item.get("id").asText(), item) != null) {
                  twice[0]++;
                }
              }
              return CompletableFuture.completedFuture(null);
            })
        .thenCompose(
            v -> {
              if (twice[0] == 0) {
                return CompletableFuture.completedFuture(List.copyOf(byId.values()));
              }
              if (pass >= listPasses) {
                return CompletableFuture.failedFuture(
                    new java.io.IOException(
                        "the site's items kept changing while they were listed ("
                            + pass
                            + " times, quire.cli.list-passes); try again when fewer edits run"));
              }
              return listed(pass + 1);
            });
  }

  @Override
  public CompletionStage<List<SlugUse>> slugUses() {
    List<SlugUse> acc = new ArrayList<>();
    return listed(1)
        .thenApply(
            items -> {
              for (JsonNode item : items) {
                List<String> aliases = new ArrayList<>();
                item.path("aliases").forEach(a -> aliases.add(a.asText()));
                acc.add(
                    new SlugUse(
                        item.get("id").asText(),
                        ContentKind.parse(item.get("kind").asText()),
                        item.get("slug").asText(),
                        aliases,
                        dev.quire.protocol.ContentStatus.parse(item.get("status").asText())));
              }
              return acc;
            });
  }

  /**
   * Hands every page of the site's item list (without bodies) to {@code onPage}, one after the
   * other, from page {@code page} on, {@code seen} items having come before it. The server may
   * answer smaller pages than asked: the pages end when as many items as it counts have come.
   */
  private CompletionStage<Void> eachPage(
      int page, long seen, java.util.function.Function<JsonNode, CompletionStage<Void>> onPage) {
    return send("GET", "?page=" + page + sizeParam, null)
        .exceptionallyCompose(
            e -> {
              Throwable c =
                  e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
              if (c instanceof Refused r && r.field.equals("size") && !sizeParam.isEmpty()) {
                // A server whose quire.gateway.api.max-page-size is under ours: its own size.
                sizeParam = "";
                return send("GET", "?page=" + page, null);
              }
              return CompletableFuture.failedFuture(c);
            })
        .thenCompose(
            n -> {
              JsonNode items = n.get("items");
              long now = seen + items.size();
              return onPage
                  .apply(items)
                  .thenCompose(
                      v ->
                          items.isEmpty() || now >= n.get("total").asLong()
                              ? CompletableFuture.<Void>completedFuture(null)
                              : eachPage(page + 1, now, onPage));
            });
  }

  @Override
  public CompletionStage<String> putMedia(Path file, String contentType, String filename) {
    try {
      HttpRequest request =
          HttpRequest.newBuilder(
                  URI.create(
                      api
                          + "/media?filename="
                          + URLEncoder.encode(filename, StandardCharsets.UTF_8)))
              .timeout(timeout)
              .header("Authorization", "Bearer " + token)
              .header("Accept", "application/json")
              .header(
                  "Content-Type",
                  dev.quire.gateway.media.MediaStore.importedType(file, contentType))
              .POST(HttpRequest.BodyPublishers.ofFile(file))
              .build();
      return exchange(request, "POST /media").thenApply(n -> n.get("url").asText());
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletionStage<Void> addRedirects(List<RedirectRule> rules) {
    try {
      List<Map<String, Object>> list = new ArrayList<>();
      for (RedirectRule r : rules) {
        list.add(Map.of("from", r.from(), "to", r.to(), "status", r.status()));
      }
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(api + "/redirects"))
              .timeout(timeout)
              .header("Authorization", "Bearer " + token)
              .header("Accept", "application/json")
              .header("Content-Type", "application/json")
              .POST(
                  HttpRequest.BodyPublishers.ofByteArray(
                      json.writeValueAsBytes(Map.of("redirects", list))))
              .build();
      return exchange(request, "POST /redirects").thenApply(n -> null);
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** {@code GET /api/v1/me}: an author's token is held to drafts (see {@link #draftsOnly}). */
  @Override
  public CompletionStage<Optional<DraftsOnly>> draftsOnly() {
    return http.sendAsync(getRequest("/me"), HttpResponse.BodyHandlers.ofString())
        .thenApply(
            r -> {
              if (r.statusCode() == 404) {
                return Optional.<DraftsOnly>empty(); // a site older than the path
              }
              if (r.statusCode() != 200) {
                // A refused token, a busy site: importing without knowing whom the token acts
                // for would skip the checks that keep an author's import from failing half-way.
                throw new Refused(
                    "", "GET " + api + "/me answered " + r.statusCode() + ": " + r.body());
              }
              try {
                JsonNode me = json.readTree(r.body());
                dev.quire.protocol.Role role =
                    dev.quire.protocol.Role.parse(me.path("role").asText(""));
                return role.may(dev.quire.protocol.Role.Permission.PUBLISH)
                    ? Optional.<DraftsOnly>empty()
                    : Optional.of(new DraftsOnly(me.path("username").asText(), role.id()));
              } catch (Exception e) {
                // Not an answer this command knows: the writes' own answers will say.
                return Optional.<DraftsOnly>empty();
              }
            });
  }

  /** A GET of the API's {@code path} with the token, asking for JSON. */
  private HttpRequest getRequest(String path) {
    return HttpRequest.newBuilder(URI.create(api + path))
        .timeout(timeout)
        .header("Authorization", "Bearer " + token)
        .header("Accept", "application/json")
        .GET()
        .build();
  }

  /** {@code GET /api/v1/limits}; empty from a site that answers 404 (older than the path). */
  @Override
  public CompletionStage<Optional<dev.quire.protocol.ContentRules.Limits>> limits() {
    return http.sendAsync(getRequest("/limits"), HttpResponse.BodyHandlers.ofString())
        .thenApply(
            r -> {
              if (r.statusCode() == 404) {
                return Optional.<dev.quire.protocol.ContentRules.Limits>empty();
              }
              JsonNode c;
              try {
                c = json.readTree(r.body()).path("content");
              } catch (Exception e) {
                throw new IllegalStateException(
                    "GET " + api + "/limits answered " + r.statusCode() + " without JSON");
              }
              if (r.statusCode() >= 400 || !c.isObject()) {
                throw new Refused(
                    "", "GET " + api + "/limits answered " + r.statusCode() + ": " + r.body());
              }
              List<String> names = dev.quire.protocol.ContentRules.Limits.NAMES;
              int[] v = new int[names.size()];
              for (int i = 0; i < v.length; i++) {
                JsonNode f = c.path(names.get(i));
                if (!f.canConvertToInt() || f.asInt() < 0) {
                  throw new Refused(
                      "",
                      "GET "
                          + api
                          + "/limits answered without a whole number for '"
                          + names.get(i)
                          + "': "
                          + r.body());
                }
                v[i] = f.asInt();
              }
              return Optional.of(dev.quire.protocol.ContentRules.Limits.of(v));
            });
  }

  private static Map<String, Object> fields(ContentFields f) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("title", f.title());
    m.put("slug", f.slug());
    m.put("body", f.body());
    m.put("description", f.description());
    m.put("tags", f.tags());
    m.put("coverImage", f.coverImage());
    // Only when there is one: a server from before it refuses the field by name.
    if (!f.coverAlt().isEmpty()) {
      m.put("coverAlt", f.coverAlt());
    }
    m.put("author", f.author());
    m.put("date", f.date() == null ? null : f.date().toString());
    return m;
  }

  private ContentSnapshot snapshot(JsonNode n) {
    if (n.has("coverAlt")) {
      serverHasCoverAlt = true;
    }
    // One item read whole comes with its text, unless the token's role may not read it.
    if (!n.has("body")) {
      withoutText.add(n.get("id").asText());
    }
    List<String> tags = new ArrayList<>();
    n.get("tags").forEach(t -> tags.add(t.asText()));
    List<String> aliases = new ArrayList<>();
    n.path("aliases").forEach(t -> aliases.add(t.asText()));
    ContentFields f =
        new ContentFields(
            n.get("title").asText(),
            n.get("slug").asText(),
            n.path("body").asText(""),
            n.path("description").asText(""),
            tags,
            n.path("coverImage").asText(""),
            n.path("author").asText(""),
            instant(n.get("date")),
            n.path("coverAlt").asText(""));
    return new ContentSnapshot(
        n.get("id").asText(),
        ContentKind.parse(n.get("kind").asText()),
        ContentStatus.parse(n.get("status").asText()),
        n.get("revision").asLong(),
        f,
        instant(n.get("createdAt")),
        instant(n.get("updatedAt")),
        instant(n.get("publishedAt")),
        instant(n.get("scheduledAt")),
        aliases,
        n.hasNonNull("createdBy") ? n.get("createdBy").asText() : null);
  }

  private static Instant instant(JsonNode n) {
    return n == null || n.isNull() ? null : Instant.parse(n.asText());
  }

  private CompletionStage<JsonNode> send(String method, String path, Object body) {
    try {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create(base + path))
              .timeout(timeout)
              .header("Authorization", "Bearer " + token)
              .header("Accept", "application/json");
      if (body != null) {
        b.header("Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)));
      } else {
        b.method(method, HttpRequest.BodyPublishers.noBody());
      }
      return exchange(b.build(), method + " " + base + path);
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletionStage<JsonNode> exchange(HttpRequest request, String what) {
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .thenApply(
            r -> {
              JsonNode n;
              try {
                n = json.readTree(r.body());
              } catch (Exception e) {
                throw new IllegalStateException(
                    what + " answered " + r.statusCode() + " without JSON");
              }
              if (r.statusCode() >= 400) {
                JsonNode err = n.path("error");
                String field = err.path("field").asText("");
                String message = err.path("message").asText("HTTP " + r.statusCode());
                // 503: the server's database refusing writes (later files would fail too),
                // its own ask timed out (the change may still land), or it is busy; anything
                // else the server refused.
                if (r.statusCode() == 503 && "store_failing".equals(err.path("code").asText())) {
                  storeFailing = message;
                  throw new ContentTarget.StoreFailing(message);
                }
                throw r.statusCode() == 503
                    ? new ContentTarget.Unavailable(field, message)
                    : new Refused(field, message);
              }
              return n;
            });
  }

  /** What the server last said of its database refusing writes; null while it has not. */
  private volatile String storeFailing;

  /** Whether the server has said its database is refusing writes, and its words; else null. */
  String storeFailing() {
    return storeFailing;
  }

  @Override
  public void close() {}
}
