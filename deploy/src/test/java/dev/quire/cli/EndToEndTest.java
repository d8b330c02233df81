package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The all-in-one server on a free port, driven over loopback HTTP the way users drive it: the
 * {@code quire} command imports a folder into the running site, the API edits and publishes, and
 * the public pages show it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EndToEndTest {

  static final String TOKEN = "e2e-token-0123456789";
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP =
      HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  @TempDir static Path tmp;
  static QuireNode node;
  static String base;

  private static final io.micrometer.core.instrument.simple.SimpleMeterRegistry METRICS =
      new io.micrometer.core.instrument.simple.SimpleMeterRegistry();

  @BeforeAll
  static void start() throws Exception {
    // The node exports metrics only with a management port; this registry lets the test read them.
    io.micrometer.core.instrument.Metrics.addRegistry(METRICS);
    // A theme directory overriding one template of the built-in theme.
    Path theme = Files.createDirectories(tmp.resolve("theme/templates/site"));
    Files.writeString(
        theme.resolve("page.peb"),
        "{% extends \"site/layout.peb\" %}{% block content %}"
            + "<div class=\"my-theme\">{{ page.html | raw }}</div>{% endblock %}");
    Map<String, Object> settings = new java.util.HashMap<>();
    settings.put("quire.data-dir", tmp.resolve("data").toString());
    settings.put("quire.gateway.http.port", 0);
    settings.put("quire.content.scheduler.interval", "200ms");
    settings.put("quire.gateway.strict-templates", true);
    settings.put("quire.gateway.theme-dir", tmp.resolve("theme").toString());
    settings.put("quire.crawler.allow-hosts", List.of("127.0.0.1"));
    settings.put("quire.crawler.politeness-delay", "0ms");
    // Short, so the test sees the model unloaded and loaded again (and every search here may find
    // it either way).
    settings.put("quire.embedding.unload-idle-model-after", "4s");
    // A search may come while the model is loading again on a busy CI machine: the site search
    // waits for it rather than falling back to words alone.
    settings.put("quire.gateway.search.meaning-timeout", "10s");
    // Short and few, so that trickling uploads are cut off and refused within the test.
    settings.put("quire.media.upload-max-duration", "5s");
    settings.put("quire.media.max-concurrent-uploads", 2);
    // Small, so that a history of long bodies comes in several answers (see the revisions test).
    settings.put("quire.content.query.max-reply-bytes", "64k");
    settings.put("quire.gateway.api.revisions-max-chars", 100_000);
    var config = QuireNode.config(settings);
    node = QuireNode.start(config, true, System.out, TOKEN);
    base = "http://127.0.0.1:" + node.gateway().binding().localAddress().getPort();
    await(() -> get("/healthz").statusCode() == 200, Duration.ofSeconds(20));
  }

  @AfterAll
  static void stop() throws Exception {
    io.micrometer.core.instrument.Metrics.removeRegistry(METRICS);
    node.close();
  }

  /**
   * Every answer carries nosniff, a Content-Security-Policy and a Referrer-Policy unless its module
   * sets its own: the public pages had only nosniff (and feeds, the sitemap and error pages none)
   * while the admin had all three.
   */
  @Test
  @Order(1)
  void publicAnswersCarryTheSecurityHeadersAndTheAdminKeepsItsOwn() throws Exception {
    for (String path :
        new String[] {
          "/", "/?from=feed", "/feed.xml", "/sitemap.xml", "/robots.txt", "/no-such-page/"
        }) {
      var r = get(path);
      assertThat(r.headers().firstValue("X-Content-Type-Options")).as(path).hasValue("nosniff");
      assertThat(r.headers().firstValue("Content-Security-Policy"))
          .as(path)
          .hasValueSatisfying(
              v -> assertThat(v).contains("default-src 'self'").contains("frame-ancestors 'self'"));
      assertThat(r.headers().firstValue("Referrer-Policy"))
          .as(path)
          .hasValue("strict-origin-when-cross-origin");
      assertThat(r.headers().allValues("Content-Security-Policy")).as(path).hasSize(1);
    }
    var admin = get("/admin/login");
    assertThat(admin.headers().allValues("Content-Security-Policy"))
        .singleElement()
        .satisfies(v -> assertThat(v).contains("frame-ancestors 'none'"));
    assertThat(admin.headers().firstValue("Referrer-Policy")).hasValue("same-origin");
    // The site has no post yet: its feed was updated when the gateway started (Atom requires a
    // time; it said 1970).
    String empty = get("/feed.xml").body();
    assertThat(empty).doesNotContain("<entry>").doesNotContain("1970-01-01");
    var updated = java.util.regex.Pattern.compile("<updated>([^<]+)</updated>").matcher(empty);
    assertThat(updated.find()).as(empty).isTrue();
    assertThat(java.time.Instant.parse(updated.group(1)))
        .isBetween(java.time.Instant.now().minus(Duration.ofMinutes(10)), java.time.Instant.now());
    // On plain HTTP no Strict-Transport-Security (SecurityHeadersTest: an https site sends it).
    assertThat(get("/").headers().firstValue("Strict-Transport-Security")).isEmpty();
    // An API answer is the caller's alone: no cache keeps it (drafts, a new token's secret).
    for (String path : new String[] {"/api/v1/content", "/api/v1/no-such", "/api/nope"}) {
      var api = api("GET", path, null);
      assertThat(api.headers().firstValue("Cache-Control")).as(path).hasValue("no-store");
    }
  }

  @Test
  @Order(1)
  void theDataDirectoryIsItsOwnersOnly() throws Exception {
    // The journal in it holds the users' password hashes; H2 makes its file with the umask.
    assertThat(
            java.nio.file.attribute.PosixFilePermissions.toString(
                java.nio.file.Files.getPosixFilePermissions(tmp.resolve("data"))))
        .isEqualTo("rwx------");
  }

  @Test
  @Order(12)
  void theShutdownFindsTheReadModelsKeepAlivePinger() throws Exception {
    // ContentProjection stops this pinger by its path before the cluster shuts down: a ping that
    // landed after the hand-off held the stop for 10 s. A Pekko that renamed the pinger would bring
    // that back silently, and only now and then; this fails at once instead.
    var pinger =
        node.system()
            .classicSystem()
            .actorSelection(dev.quire.content.project.ContentProjection.KEEP_ALIVE_PATH)
            .resolveOne(Duration.ofSeconds(3))
            .toCompletableFuture()
            .get();
    assertThat(pinger.path().toStringWithoutAddress())
        .isEqualTo(dev.quire.content.project.ContentProjection.KEEP_ALIVE_PATH);
  }

  @Test
  @Order(13)
  void pagesAndAssetsAreSentGzippedToClientsThatAskAndHeadIsAnswered() throws Exception {
    // Related posts under a post arrive in the background and change the page once: wait until
    // the page is settled, so that the two copies below come from the same rendering.
    await(
        () ->
            java.util.Arrays.equals(
                gunzip(bytes("/posts/second/", Map.of("Accept-Encoding", "gzip")).body()),
                bytes("/posts/second/", Map.of()).body()),
        Duration.ofSeconds(10));
    var plain = bytes("/posts/second/", Map.of());
    var gz = bytes("/posts/second/", Map.of("Accept-Encoding", "gzip, deflate, br"));
    assertThat(gz.statusCode()).isEqualTo(200);
    assertThat(gz.headers().firstValue("Content-Encoding")).hasValue("gzip");
    assertThat(gz.headers().firstValue("Vary")).hasValue("Accept-Encoding");
    assertThat(plain.headers().firstValue("Vary")).hasValue("Accept-Encoding");
    assertThat(plain.headers().firstValue("Content-Encoding")).isEmpty();
    assertThat(gunzip(gz.body())).isEqualTo(plain.body());
    assertThat(gz.body().length).isLessThan(plain.body().length / 2);
    // Each copy has its own entity tag, and a revalidation answers 304 only for the same copy.
    String plainTag = plain.headers().firstValue("ETag").orElseThrow();
    String gzTag = gz.headers().firstValue("ETag").orElseThrow();
    assertThat(gzTag).isEqualTo(plainTag.substring(0, plainTag.length() - 1) + "-gz\"");
    var notModified =
        bytes("/posts/second/", Map.of("Accept-Encoding", "gzip", "If-None-Match", gzTag));
    assertThat(notModified.statusCode()).isEqualTo(304);
    assertThat(notModified.headers().firstValue("ETag")).hasValue(gzTag);
    assertThat(notModified.headers().firstValue("Vary")).hasValue("Accept-Encoding");
    assertThat(notModified.headers().firstValue("Cache-Control")).hasValue("no-cache");
    assertThat(
            bytes("/posts/second/", Map.of("Accept-Encoding", "gzip", "If-None-Match", plainTag))
                .statusCode())
        .isEqualTo(200);
    assertThat(bytes("/posts/second/", Map.of("If-None-Match", plainTag)).statusCode())
        .isEqualTo(304);
    // Theme assets too.
    String css =
        get("/").body().replaceAll("(?s).*href=\"(/assets/css/site\\.[0-9a-f]+\\.css)\".*", "$1");
    var cssGz = bytes(css, Map.of("Accept-Encoding", "gzip"));
    assertThat(cssGz.headers().firstValue("Content-Encoding")).hasValue("gzip");
    assertThat(cssGz.headers().firstValue("Cache-Control"))
        .hasValue("public, max-age=31536000, immutable");
    assertThat(new String(gunzip(cssGz.body()), java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo(get(css).body());
    // HEAD: the GET's status and headers, no body.
    var getTimer =
        METRICS
            .find("quire.http.requests")
            .tags("method", "GET", "route", "posts", "status", "200")
            .timer();
    long getsBefore = getTimer == null ? 0 : getTimer.count();
    var head =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/posts/second/"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    assertThat(head.headers().firstValue("Content-Length"))
        .hasValue(Integer.toString(plain.body().length));
    assertThat(head.headers().firstValue("ETag")).hasValue(plainTag);
    // ... and the request metrics count it as a HEAD, not as a GET.
    var headTimer =
        METRICS
            .find("quire.http.requests")
            .tags("method", "HEAD", "route", "posts", "status", "200")
            .timer();
    assertThat(headTimer).isNotNull();
    assertThat(headTimer.count()).isGreaterThanOrEqualTo(1);
    assertThat(getTimer == null ? 0 : getTimer.count()).isEqualTo(getsBefore);
  }

  @Test
  @Order(14)
  void tagPagesArePagedLikeTheBlog() throws Exception {
    // 12 posts with one tag: 10 (quire.site.page-size) on /tags/paged/, 2 on its page 2.
    for (int i = 1; i <= 12; i++) {
      var created =
          api(
              "POST",
              "/api/v1/content",
              JSON.writeValueAsString(
                  Map.of(
                      "kind",
                      "post",
                      "title",
                      "Paged post " + i,
                      "slug",
                      "paged-" + i,
                      "body",
                      "Post " + i + " of a long tag.",
                      "tags",
                      List.of("Paged"),
                      "status",
                      "published")));
      assertThat(created.statusCode()).isEqualTo(201);
    }
    Pattern card = Pattern.compile("href=\"/posts/paged-\\d+/\"");
    // Each publish reaches the site on its own: wait until all 12 have.
    await(
        () -> card.matcher(get("/tags/paged/page/2/").body()).results().count() == 2,
        Duration.ofSeconds(5));
    var first = get("/tags/paged/");
    assertThat(card.matcher(first.body()).results().count()).isEqualTo(10);
    assertThat(first.body()).contains("href=\"/tags/paged/page/2/\"").contains("Page 1 of 2");
    var second = get("/tags/paged/page/2/");
    assertThat(card.matcher(second.body()).results().count()).isEqualTo(2);
    assertThat(second.body()).contains("href=\"/tags/paged/\"").contains("Page 2 of 2");
    var one = get("/tags/paged/page/1/");
    assertThat(one.statusCode()).isEqualTo(301);
    assertThat(one.headers().firstValue("Location")).hasValue("/tags/paged/");
    assertThat(get("/tags/paged/page/3/").statusCode()).isEqualTo(404);
    assertThat(get("/tags/paged/page/0/").statusCode()).isEqualTo(404);
    assertThat(get("/tags/paged/page/x/").statusCode()).isEqualTo(404);
    // One URL per page: a zero-padded number answers 301 to the page's own URL.
    assertThat(get("/tags/paged/page/02/").headers().firstValue("Location"))
        .hasValue("/tags/paged/page/2/");
    assertThat(get("/tags/paged/page/03/").statusCode()).isEqualTo(404);
    // Answered, not kept: any number of zeros (or spellings of a tag) must not fill the page memo.
    assertThat(node.gateway().site().snapshot().memoised("/tags/paged/page/02/")).isFalse();
    assertThat(get("/tags/paged/page/01/").headers().firstValue("Location"))
        .hasValue("/tags/paged/");
    assertThat(node.gateway().site().snapshot().memoised("/tags/paged/page/01/")).isFalse();
    assertThat(node.gateway().site().snapshot().memoised("/tags/paged/page/2/")).isTrue();
    assertThat(get("/tags/nope/page/2/").statusCode()).isEqualTo(404);

    // The index of tags lists this one with its count, and each tag page links to it.
    var index = get("/tags/");
    assertThat(index.statusCode()).isEqualTo(200);
    assertThat(index.body())
        .contains(
            "<a href=\"/tags/paged/\">Paged</a> <span class=\"tag-index__count\">12 posts</span>");
    assertThat(first.body()).contains("<a href=\"/tags/\" id=\"all-tags\">All tags</a>");
    assertThat(get("/sitemap.xml").body()).contains("<loc>http://localhost:8080/tags/</loc>");
    assertThat(get("/tags").headers().firstValue("Location")).hasValue("/tags/");
    // A post may have the slug "tags" (only pages may not): it does not hide the index.
    var tagsPost =
        api(
            "POST",
            "/api/v1/content",
            JSON.writeValueAsString(
                Map.of(
                    "kind",
                    "post",
                    "title",
                    "On tags",
                    "slug",
                    "tags",
                    "body",
                    "Tags.",
                    "status",
                    "published")));
    assertThat(tagsPost.statusCode()).as(tagsPost.body()).isEqualTo(201);
    await(() -> get("/posts/tags/").statusCode() == 200, Duration.ofSeconds(5));
    assertThat(get("/tags/").body()).contains("id=\"tag-index\"");

    // An author's page: their posts, whatever case or spacing each spells the name with.
    for (String[] p : new String[][] {{"by-ann-1", "Ann Lee"}, {"by-ann-2", "ann  lee"}}) {
      var byAnn =
          api(
              "POST",
              "/api/v1/content",
              JSON.writeValueAsString(
                  Map.of(
                      "kind",
                      "post",
                      "title",
                      "Written by " + p[1],
                      "slug",
                      p[0],
                      "body",
                      "Hi.",
                      "author",
                      p[1],
                      "status",
                      "published")));
      assertThat(byAnn.statusCode()).as(byAnn.body()).isEqualTo(201);
    }
    await(
        () -> get("/authors/ann-lee/").body().contains("/posts/by-ann-2/"), Duration.ofSeconds(5));
    var ann = get("/authors/ann-lee/");
    assertThat(ann.body()).contains("href=\"/posts/by-ann-1/\"").contains("Posts by ann  lee");
    assertThat(get("/posts/by-ann-1/").body())
        .contains(
            "<a href=\"/authors/ann-lee/\" rel=\"author\" class=\"meta__author\">Ann Lee</a>");
    assertThat(get("/sitemap.xml").body())
        .contains("<loc>http://localhost:8080/authors/ann-lee/</loc>");
    assertThat(get("/authors/nobody/").statusCode()).isEqualTo(404);
    // Its own description (every list page had the site's), the title escaped once.
    assertThat(ann.body())
        .contains(
            "<meta name=\"description\" content=\"Posts by ann  lee · Quire. A site made with"
                + " Quire.\">")
        .doesNotContain("&amp;amp;");
    // The name as written in the byline, folded as a tag is: 301 to the one URL.
    var byName = get("/authors/Ann-Lee/");
    assertThat(byName.statusCode()).isEqualTo(301);
    assertThat(byName.headers().firstValue("Location")).hasValue("/authors/ann-lee/");
    assertThat(get("/authors/ann-lee/page/2/").statusCode()).isEqualTo(404);
    assertThat(ann.body()).contains("<a href=\"/authors/\" id=\"all-authors\">All authors</a>");
    assertThat(get("/authors/").body())
        .contains(
            "<a href=\"/authors/ann-lee/\">ann  lee</a> <span class=\"tag-index__count\">2"
                + " posts</span>");
    assertThat(get("/sitemap.xml").body()).contains("<loc>http://localhost:8080/authors/</loc>");
    // The archive: posts by the month of their date, a page per month.
    for (String[] p :
        new String[][] {
          {"spring-2019-a", "2019-03-10T12:00:00Z"},
          {"spring-2019-b", "2019-03-20T12:00:00Z"},
          {"summer-2018", "2018-07-01T12:00:00Z"}
        }) {
      var dated =
          api(
              "POST",
              "/api/v1/content",
              JSON.writeValueAsString(
                  Map.of(
                      "kind",
                      "post",
                      "title",
                      "Dated " + p[0],
                      "slug",
                      p[0],
                      "body",
                      "Then.",
                      "date",
                      p[1],
                      "status",
                      "published")));
      assertThat(dated.statusCode()).as(dated.body()).isEqualTo(201);
    }
    await(
        () -> get("/archive/2018/07/").body().contains("/posts/summer-2018/"),
        Duration.ofSeconds(5));
    String archive = get("/archive/").body();
    assertThat(archive)
        .contains("id=\"y2019\"", "id=\"y2018\"")
        .contains(
            "<a href=\"/archive/2019/03/\">March</a> <span class=\"archive__count\">2 posts</span>")
        .contains(
            "<a href=\"/archive/2018/07/\">July</a> <span class=\"archive__count\">1 post</span>");
    assertThat(archive.indexOf("id=\"y2019\""))
        .as("newest year first")
        .isLessThan(archive.indexOf("id=\"y2018\""));
    var march = get("/archive/2019/03/");
    assertThat(march.statusCode()).isEqualTo(200);
    assertThat(march.body())
        .contains("<title>March 2019 · ")
        .contains("href=\"/posts/spring-2019-a/\"", "href=\"/posts/spring-2019-b/\"")
        .doesNotContain("/posts/summer-2018/");
    assertThat(march.body().indexOf("/posts/spring-2019-b/"))
        .as("newest first")
        .isLessThan(march.body().indexOf("/posts/spring-2019-a/"));
    assertThat(get("/posts/spring-2019-a/").body())
        .as("a post's date links to its month")
        .contains(
            "<a href=\"/archive/2019/03/\" class=\"meta__date\"><time datetime=\"2019-03-10\">");
    assertThat(get("/archive/2019/").headers().firstValue("Location")).hasValue("/archive/#y2019");
    assertThat(get("/archive/2019/?utm_source=x").headers().firstValue("Location"))
        .as("the query before the fragment")
        .hasValue("/archive/?utm_source=x#y2019");
    assertThat(march.body()).contains("<a href=\"/archive/#y2019\">");
    assertThat(get("/archive/2019/03/page/1/").headers().firstValue("Location"))
        .hasValue("/archive/2019/03/");
    for (String none :
        List.of(
            "/archive/2019/3/",
            "/archive/2019/13/",
            "/archive/2017/01/",
            "/archive/2017/",
            "/archive/19/03/",
            "/archive/2019/03/page/2/",
            "/archive/..%2F..%2Fapi-token/01/")) {
      assertThat(get(none).statusCode()).as(none).isEqualTo(404);
    }
    assertThat(get("/sitemap.xml").body())
        .contains("<loc>http://localhost:8080/archive/</loc>")
        .contains("<loc>http://localhost:8080/archive/2019/03/</loc>");
    // A 404 names no canonical URL (it named /nothere/ for /nothere).
    var missing = get("/nothere");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("noindex").doesNotContain("rel=\"canonical\"");
    // A tag may hold any letter: its page answers at the percent-encoded path browsers ask for
    // (it was a 404: the path reaches the site still encoded), and so do its redirects.
    var cafe =
        api(
            "POST",
            "/api/v1/content",
            JSON.writeValueAsString(
                Map.of(
                    "kind", "post",
                    "title", "Coffee",
                    "slug", "coffee",
                    "body", "On coffee.",
                    "tags", List.of("Café"),
                    "status", "published")));
    assertThat(cafe.statusCode()).isEqualTo(201);
    await(() -> get("/tags/caf%C3%A9/").statusCode() == 200, Duration.ofSeconds(5));
    var cafeOne = get("/tags/caf%C3%A9/page/1/");
    assertThat(cafeOne.statusCode()).isEqualTo(301);
    assertThat(cafeOne.headers().firstValue("Location")).hasValue("/tags/caf%C3%A9/");
    assertThat(get("/tags/caf%C3%A9/").body()).contains("Posts tagged “Café”");
    var cafeNoSlash = get("/tags/caf%C3%A9");
    assertThat(cafeNoSlash.statusCode()).isEqualTo(301);
    assertThat(cafeNoSlash.headers().firstValue("Location")).hasValue("/tags/caf%C3%A9/");
    // A tag as written on a post ("Café", "Event Sourcing") answers 301 to its one URL.
    var asWritten = get("/tags/Caf%C3%A9/");
    assertThat(asWritten.statusCode()).isEqualTo(301);
    assertThat(asWritten.headers().firstValue("Location")).hasValue("/tags/caf%C3%A9/");
    // And decomposed: e and a combining acute accent, as macOS and some keyboards write it.
    var decomposed = get("/tags/cafe%CC%81/");
    assertThat(decomposed.statusCode()).isEqualTo(301);
    assertThat(decomposed.headers().firstValue("Location")).hasValue("/tags/caf%C3%A9/");
    var decomposedFeed = get("/tags/cafe%CC%81/feed.xml");
    assertThat(decomposedFeed.statusCode()).isEqualTo(301);
    assertThat(decomposedFeed.headers().firstValue("Location"))
        .hasValue("/tags/caf%C3%A9/feed.xml");
    assertThat(get("/tags/PAGED/page/2/").headers().firstValue("Location"))
        .hasValue("/tags/paged/page/2/");
    // Without the slash too: each spelling answers, none is kept (the memo holds 5,000 pages, and
    // once full nothing new is kept until the next change).
    var spelled = get("/tags/Caf%C3%A9");
    assertThat(spelled.statusCode()).isEqualTo(301);
    assertThat(spelled.headers().firstValue("Location"))
        .as("in one hop, not by way of /tags/Caf%C3%A9/")
        .hasValue("/tags/caf%C3%A9/");
    assertThat(get("/tags/PAGED/page/02").statusCode()).isEqualTo(301);
    assertThat(node.gateway().site().snapshot().memoised("/tags/Caf%C3%A9")).isFalse();
    assertThat(node.gateway().site().snapshot().memoised("/tags/PAGED/page/02")).isFalse();
    assertThat(node.gateway().site().snapshot().memoised("/tags/caf%C3%A9")).isTrue();
    assertThat(get("/tags/Nope/").statusCode()).isEqualTo(404);
    // A redirect keeps the query it was asked with.
    assertThat(get("/tags/caf%C3%A9?utm_source=feed&x=1").headers().firstValue("Location"))
        .hasValue("/tags/caf%C3%A9/?utm_source=feed&x=1");
    // Tags that share a URL are one tag: two spellings of it are kept once, as first written.
    var twice =
        api(
            "POST",
            "/api/v1/content",
            "{\"kind\":\"post\",\"title\":\"T\",\"tags\":[\"Event Sourcing\",\"event_sourcing\",\"Java\"]}");
    assertThat(twice.statusCode()).isEqualTo(201);
    assertThat(JSON.readTree(twice.body()).get("tags").toString())
        .isEqualTo("[\"Event Sourcing\",\"Java\"]");
  }

  /**
   * A null tag is refused naming the field (it was a 500), and a time sent to publish, unpublish or
   * archive is refused rather than ignored (a publish "at" a time went live at once).
   */
  @Test
  @Order(40)
  void aNullTagAndATimeForAnActionThatTakesNoneAreRefusedByName() throws Exception {
    var nullTag =
        api(
            "POST",
            "/api/v1/content",
            "{\"kind\":\"post\",\"title\":\"Null tag\",\"tags\":[null, \"kept\"]}");
    assertThat(nullTag.statusCode()).as(nullTag.body()).isEqualTo(201);
    assertThat(JSON.readTree(nullTag.body()).get("tags").toString()).isEqualTo("[\"kept\"]");
    var made =
        api("POST", "/api/v1/content", "{\"kind\":\"post\",\"title\":\"Timed\",\"body\":\"x\"}");
    assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
    String id = JSON.readTree(made.body()).get("id").asText();
    var publishAt =
        api("POST", "/api/v1/content/" + id + "/publish", "{\"at\":\"2030-01-01T00:00:00Z\"}");
    assertThat(publishAt.statusCode()).as(publishAt.body()).isEqualTo(400);
    assertThat(JSON.readTree(publishAt.body()).at("/error/field").asText()).isEqualTo("at");
    assertThat(
            JSON.readTree(api("GET", "/api/v1/content/" + id, null).body()).get("status").asText())
        .isEqualTo("draft");
  }

  static HttpResponse<byte[]> bytes(String path, Map<String, String> headers) throws Exception {
    var b = HttpRequest.newBuilder(URI.create(base + path));
    headers.forEach(b::header);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static byte[] gunzip(byte[] gz) throws Exception {
    try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
      return in.readAllBytes();
    }
  }

  static Path folder() throws Exception {
    return writeFolder(Files.createDirectories(tmp.resolve("md")));
  }

  /** Four Markdown files: two posts, a page and a draft, with the front matter editors write. */
  static Path writeFolder(Path dir) throws Exception {
    Files.writeString(
        dir.resolve("a.md"),
        """
        ---
        title: Rewriting my blog in Rust
        slug: rewriting-my-blog-in-rust
        date: 2026-05-06
        publish_date: 2026-05-06
        tags: rust, webdev, performance
        description: A single 3.5 MB binary.
        cover_image: rust.webp
        cover_alt: "A crab on <rocks> & sand"
        ---

        Hello **world**. <script>alert(1)</script>

        | a | b |
        |---|---|
        | 1 | 2 |
        """);
    Files.writeString(
        dir.resolve("b.md"),
        """
        ---
        title: Second post
        slug: second
        date: 2026-05-01
        tags: [rust, notes]
        ---

        Second body.
        """);
    Files.writeString(
        dir.resolve("about.md"),
        """
        ---
        title: About
        slug: about
        kind: page
        ---

        About us.
        """);
    Files.writeString(
        dir.resolve("draft.md"),
        """
        ---
        title: Not yet
        slug: not-yet
        draft: true
        ---

        Secret.
        """);
    return dir;
  }

  @Test
  @Order(1)
  void importsIntoTheRunningSiteThroughTheCommand() throws Exception {
    Path dir = folder();
    assertThat(
            Main.run(
                "import", "markdown", dir.toString(), "--data", tmp.resolve("data").toString()))
        .as("the data directory is locked by the running server")
        .isEqualTo(3);
    assertThat(Main.run("import", "markdown", dir.toString(), "--server", base, "--token", TOKEN))
        .isZero();
    // Both posts and the page: the projection may take them in different batches, and the site
    // follows it (a CI run once read /about/ before the batch that held it).
    await(
        () ->
            get("/posts/second/").statusCode() == 200
                && get("/posts/rewriting-my-blog-in-rust/").statusCode() == 200
                && get("/about/").statusCode() == 200,
        Duration.ofSeconds(5));

    String home = get("/").body();
    assertThat(home).contains("Rewriting my blog in Rust").contains("Second post");
    assertThat(home).doesNotContain("Not yet");
    String post = get("/posts/rewriting-my-blog-in-rust/").body();
    assertThat(post).contains("<strong>world</strong>").doesNotContain("<script>alert");
    assertThat(post).contains("<table tabindex=\"0\">").contains("href=\"/tags/rust/\"");
    assertThat(post).contains("content=\"" + "http://localhost:8080/rust.webp\"");
    // The cover's description is its alt text, and the preview cards', escaped.
    assertThat(post)
        .contains("<img src=\"/rust.webp\" alt=\"A crab on &lt;rocks&gt; &amp; sand\"")
        .contains(
            "<meta property=\"og:image:alt\" content=\"A crab on &lt;rocks&gt; &amp; sand\">");
    var item =
        JSON.readTree(api("GET", "/api/v1/content?slug=rewriting-my-blog-in-rust", null).body());
    assertThat(item.at("/items/0/coverAlt").asText()).isEqualTo("A crab on <rocks> & sand");
    var longAlt =
        api(
            "POST",
            "/api/v1/content",
            "{\"kind\": \"post\", \"title\": \"Alt\", \"coverAlt\": \"" + "x".repeat(501) + "\"}");
    assertThat(longAlt.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(longAlt.body()).at("/error/field").asText()).isEqualTo("coverAlt");
    assertThat(JSON.readTree(longAlt.body()).at("/error/message").asText())
        .startsWith("coverAlt: ");
    assertThat(get("/about/").body())
        .as("the theme directory overrides page.peb; the rest is the built-in theme")
        .contains("<div class=\"my-theme\"><p>About us.</p>")
        .contains("class=\"site-header\"");
    assertThat(get("/About/").headers().firstValue("Location")).hasValue("/about/");
    // The draft is absent because it is a draft, not because the site has not got to it yet.
    awaitSiteFollowed("not-yet", "draft");
    assertThat(get("/not-yet/").statusCode()).isEqualTo(404);
    assertThat(get("/posts/not-yet/").statusCode()).isEqualTo(404);
    assertThat(get("/tags/rust/").body()).contains("Second post").contains("Rewriting");

    // Re-importing the same folder changes nothing.
    var before = api("GET", "/api/v1/content?slug=second", null).body();
    assertThat(Main.run("import", "markdown", dir.toString(), "--server", base, "--token", TOKEN))
        .isZero();
    assertThat(api("GET", "/api/v1/content?slug=second", null).body()).isEqualTo(before);

    // A cover's description taken out of the file is taken off the item too (the server has the
    // field, so the import sends it empty), and put back.
    Path described = dir.resolve("a.md");
    String withAlt = Files.readString(described);
    Files.writeString(described, withAlt.replace("cover_alt: \"A crab on <rocks> & sand\"\n", ""));
    assertThat(Main.run("import", "markdown", dir.toString(), "--server", base, "--token", TOKEN))
        .isZero();
    await(
        () ->
            JSON.readTree(api("GET", "/api/v1/content?slug=rewriting-my-blog-in-rust", null).body())
                .at("/items/0/coverAlt")
                .asText()
                .isEmpty(),
        Duration.ofSeconds(5));
    Files.writeString(described, withAlt);
    assertThat(Main.run("import", "markdown", dir.toString(), "--server", base, "--token", TOKEN))
        .isZero();

    // A date given in a file and then taken out again is taken off the item too: the import
    // sends "date": null, which clears it (a date left out of a PUT keeps its value).
    Path draft = dir.resolve("draft.md");
    String undated = Files.readString(draft);
    Files.writeString(draft, undated.replace("draft: true\n", "draft: true\ndate: 2026-04-01\n"));
    assertThat(Main.run("import", "markdown", dir.toString(), "--server", base, "--token", TOKEN))
        .isZero();
    assertThat(draftDate()).isEqualTo("2026-04-01T00:00:00Z");
    Files.writeString(draft, undated);
    assertThat(Main.run("import", "markdown", dir.toString(), "--server", base, "--token", TOKEN))
        .isZero();
    assertThat(draftDate()).isNull();
    // A wrong token on export is one line naming it (it was a stack trace).
    var denied =
        EmbeddingRoleClusterTest.runCli(
            "export",
            "markdown",
            dir.resolveSibling("denied-export").toString(),
            "--server",
            base,
            "--token",
            "not-the-token-0123456789");
    assertThat(denied.code()).isEqualTo(1);
    assertThat(denied.err())
        // Contains, not starts with: the node's own log (the same stderr) may come first.
        .contains("error: could not read the site's items: ")
        .contains("not valid")
        .doesNotContain("\tat ");
  }

  /** The imported draft's date as the API gives it, or null. */
  private static String draftDate() throws Exception {
    JsonNode item =
        JSON.readTree(api("GET", "/api/v1/content?slug=not-yet", null).body()).at("/items/0");
    assertThat(item.path("slug").asText()).isEqualTo("not-yet");
    JsonNode date = item.get("date");
    return date == null || date.isNull() ? null : date.asText();
  }

  @Test
  @Order(2)
  void badFilesAreAllReportedAndNothingIsImported() throws Exception {
    Path bad = Files.createDirectories(tmp.resolve("bad"));
    Files.writeString(bad.resolve("one.md"), "---\ntitle: Fine\nslug: Bad Slug\n---\nx\n");
    Files.writeString(
        bad.resolve("two.md"), "---\ntitle: Also fine\nslug: good-one\ndate: 2026-13-45\n---\nx\n");
    var err = new java.io.ByteArrayOutputStream();
    var old = System.err;
    System.setErr(new java.io.PrintStream(err, true));
    int code;
    try {
      code = Main.run("import", "markdown", bad.toString(), "--server", base, "--token", TOKEN);
    } finally {
      System.setErr(old);
    }
    assertThat(code).isEqualTo(2);
    assertThat(err.toString())
        .contains("one.md:3: slug: 'Bad Slug' must be lowercase")
        .contains("two.md:4: date: '2026-13-45' is not a date");
    assertThat(api("GET", "/api/v1/content?slug=good-one", null).body()).contains("\"total\":0");
  }

  @Test
  @Order(3)
  void legacyUrlsRedirectsAndErrors() throws Exception {
    var legacy = get("/blog/second/");
    assertThat(legacy.statusCode()).isEqualTo(301);
    assertThat(legacy.headers().firstValue("Location")).hasValue("/posts/second/");
    // A redirect whose target may change (an old slug another item may take) is kept for
    // quire.gateway.moved-max-age only: a bare 301 is kept by browsers for good.
    assertThat(legacy.headers().firstValue("Cache-Control")).hasValue("public, max-age=300");
    // A fixed one carries none.
    assertThat(get("/blog/page/1/").headers().firstValue("Cache-Control")).isEmpty();
    assertThat(get("/posts/second").statusCode()).isEqualTo(301);
    var missing = get("/posts/nope/");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("<html").contains("Page not found");
    assertThat(get("/blog/").body()).contains("Second post");
    assertThat(get("/blog/page/1/").statusCode()).isEqualTo(301);
    assertThat(get("/blog/page/9/").statusCode()).isEqualTo(404);
    // A post's address cut back to its folder: the posts' list.
    var folder = get("/posts/");
    assertThat(folder.statusCode()).isEqualTo(301);
    assertThat(folder.headers().firstValue("Location")).hasValue("/blog/");
    assertThat(get("/posts").headers().firstValue("Location")).hasValue("/blog/");
    // Assets: fingerprinted and cached for a year.
    String css =
        get("/").body().replaceAll("(?s).*href=\"(/assets/css/site\\.[0-9a-f]+\\.css)\".*", "$1");
    var asset = get(css);
    assertThat(asset.statusCode()).isEqualTo(200);
    assertThat(asset.headers().firstValue("Cache-Control"))
        .hasValue("public, max-age=31536000, immutable");
    assertThat(get("/assets/../../etc/passwd").statusCode()).isEqualTo(404);
  }

  @Test
  @Order(4)
  void apiWritesArePublishedWithinASecondAndConflictsAreRefused() throws Exception {
    assertThat(api("GET", "/api/v1/content", null, "wrong").statusCode()).isEqualTo(401);
    // The token is compared as sent: a Unicode space after it is not stripped away (sent raw:
    // the HTTP client refuses such header values).
    assertThat(
            raw(
                "GET /api/v1/content HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + TOKEN
                    + "\u2003\r\n"))
        .startsWith("HTTP/1.1 401");
    assertThat(
            raw(
                "GET /api/v1/content HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + TOKEN
                    + "\r\n"))
        .startsWith("HTTP/1.1 200");
    var noApi = api("GET", "/api/content", null);
    assertThat(noApi.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(noApi.body()).at("/error/code").asText()).isEqualTo("not_found");
    var created =
        api(
            "POST",
            "/api/v1/content",
            "{\"kind\":\"post\",\"title\":\"Fresh\",\"slug\":\"fresh\",\"body\":\"Fresh body\",\"tags\":[\"new\"]}");
    assertThat(created.statusCode()).isEqualTo(201);
    JsonNode item = JSON.readTree(created.body());
    String id = item.get("id").asText();
    assertThat(java.util.UUID.fromString(id).version())
        .as("a time-ordered id, so the indexes keyed by it grow at their right edge")
        .isEqualTo(7);
    assertThat(item.get("revision").asLong()).isEqualTo(1);
    assertThat(item.get("status").asText()).isEqualTo("draft");

    var taken =
        api("POST", "/api/v1/content", "{\"kind\":\"post\",\"title\":\"Dup\",\"slug\":\"fresh\"}");
    assertThat(taken.statusCode()).isEqualTo(409);
    assertThat(JSON.readTree(taken.body()).at("/error/field").asText()).isEqualTo("slug");

    var badType = api("POST", "/api/v1/content", "{\"kind\":\"post\",\"title\":\"x\",\"tags\":5}");
    assertThat(badType.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(badType.body()).at("/error/field").asText()).isEqualTo("tags");
    var unknown =
        api("POST", "/api/v1/content", "{\"kind\":\"post\",\"title\":\"x\",\"colour\":1}");
    assertThat(JSON.readTree(unknown.body()).at("/error/message").asText()).contains("colour");

    var edited = api("PUT", "/api/v1/content/" + id, "{\"revision\":1,\"title\":\"Fresher\"}");
    assertThat(edited.statusCode()).isEqualTo(200);
    var stale = api("PUT", "/api/v1/content/" + id, "{\"revision\":1,\"title\":\"Lost update\"}");
    assertThat(stale.statusCode()).isEqualTo(409);
    assertThat(JSON.readTree(stale.body()).at("/error/code").asText()).isEqualTo("stale_revision");

    long t0 = System.nanoTime();
    assertThat(api("POST", "/api/v1/content/" + id + "/publish", "{\"revision\":2}").statusCode())
        .isEqualTo(200);
    await(() -> get("/posts/fresh/").statusCode() == 200, Duration.ofSeconds(1));
    long visibleMs = (System.nanoTime() - t0) / 1_000_000;
    System.out.println("publish visible on the site after " + visibleMs + " ms");
    assertThat(get("/posts/fresh/").body()).contains("Fresher");

    // A published slug that changes keeps answering with a redirect.
    assertThat(
            api("PUT", "/api/v1/content/" + id, "{\"revision\":3,\"slug\":\"fresh-2\"}")
                .statusCode())
        .isEqualTo(200);
    await(() -> get("/posts/fresh-2/").statusCode() == 200, Duration.ofSeconds(2));
    var old = get("/posts/fresh/");
    assertThat(old.statusCode()).isEqualTo(301);
    assertThat(old.headers().firstValue("Location")).hasValue("/posts/fresh-2/");
    // Without the slash: one hop to the new URL, not two.
    assertThat(get("/posts/fresh").headers().firstValue("Location")).hasValue("/posts/fresh-2/");

    var revisions = JSON.readTree(api("GET", "/api/v1/content/" + id + "/revisions", null).body());
    assertThat(revisions.get("items")).hasSize(4);
    assertThat(revisions.get("items").get(0).get("event").asText()).isEqualTo("edited");

    var archive = JSON.readTree(api("GET", "/api/v1/archive", null).body()).get("months");
    assertThat(archive.get(0).get("posts").asInt()).isPositive();
    assertThat(archive.findValuesAsText("month")).contains("5");
    var list = JSON.readTree(api("GET", "/api/v1/content?status=published&size=2", null).body());
    assertThat(list.get("total").asInt()).isGreaterThanOrEqualTo(3);
    assertThat(list.get("items")).hasSize(2);
    assertThat(list.at("/items/0").has("body")).as("lists leave the body out").isFalse();
    assertThat(list.at("/items/0").has("title")).isTrue();
  }

  /** The slug of the item {@code body} creates (201). */
  private static String createdSlug(String body) throws Exception {
    var r = api("POST", "/api/v1/content", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return JSON.readTree(r.body()).get("slug").asText();
  }

  /**
   * A create sent again with its Idempotency-Key (a client that timed out and retried) answers with
   * the item the first one made, instead of a second item (without a slug) or a 409 (with one);
   * also when the title's slug was taken and the first try made a numbered one.
   */
  @Test
  @Order(4)
  void aCreateSentAgainWithItsIdempotencyKeyMakesOneItem() throws Exception {
    String post = "{\"kind\":\"post\",\"title\":\"Retried create\"}";
    var first = keyed("k-retried-1", post);
    assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
    String id = JSON.readTree(first.body()).get("id").asText();
    assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
    // Sent again, and again as the draft standard writes it (a quoted string).
    for (String key : List.of("k-retried-1", "\"k-retried-1\"")) {
      var again = keyed(key, post);
      assertThat(again.statusCode()).as(again.body()).isEqualTo(201);
      assertThat(JSON.readTree(again.body()).get("id").asText()).isEqualTo(id);
      assertThat(JSON.readTree(again.body()).get("slug").asText()).isEqualTo("retried-create");
      assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
    }
    // A title whose slug another item holds: the first try made the numbered slug, and so does
    // the one sent again, as the same item.
    assertThat(createdSlug("{\"kind\":\"post\",\"title\":\"Keyed taken\"}"))
        .isEqualTo("keyed-taken");
    String taken = "{\"kind\":\"post\",\"title\":\"Keyed taken\"}";
    var numbered = keyed("k-taken", taken);
    assertThat(JSON.readTree(numbered.body()).get("slug").asText()).isEqualTo("keyed-taken-2");
    var numberedAgain = keyed("k-taken", taken);
    assertThat(numberedAgain.statusCode()).as(numberedAgain.body()).isEqualTo(201);
    assertThat(JSON.readTree(numberedAgain.body()).get("id").asText())
        .isEqualTo(JSON.readTree(numbered.body()).get("id").asText());
    // Also once the title's slug is free again (its holder renamed): a try per number under an id
    // of its own made a second item here, as "keyed-taken".
    JsonNode holder =
        JSON.readTree(api("GET", "/api/v1/content?slug=keyed-taken", null).body()).at("/items/0");
    var renamed =
        api(
            "PUT",
            "/api/v1/content/" + holder.get("id").asText(),
            "{\"revision\":" + holder.get("revision").asLong() + ",\"slug\":\"keyed-elsewhere\"}");
    assertThat(renamed.statusCode()).as(renamed.body()).isEqualTo(200);
    var afterRename = keyed("k-taken", taken);
    assertThat(afterRename.statusCode()).as(afterRename.body()).isEqualTo(201);
    assertThat(JSON.readTree(afterRename.body()).get("id").asText())
        .isEqualTo(JSON.readTree(numbered.body()).get("id").asText());
    assertThat(JSON.readTree(afterRename.body()).get("slug").asText()).isEqualTo("keyed-taken-2");
    // A slug given: the retry is the item, not a 409 naming it.
    String slugged = "{\"kind\":\"page\",\"title\":\"Keyed\",\"slug\":\"keyed-page\"}";
    var page = keyed("k-page", slugged);
    assertThat(page.statusCode()).as(page.body()).isEqualTo(201);
    assertThat(keyed("k-page", slugged).body()).isEqualTo(page.body());
    for (String slug :
        List.of("retried-create-2", "retried-create-3", "keyed-taken", "keyed-taken-3")) {
      assertThat(
              JSON.readTree(api("GET", "/api/v1/content?slug=" + slug, null).body())
                  .get("total")
                  .asInt())
          .as(slug)
          .isZero();
    }
    // A key sent with another kind of create is the client's mistake: said, nothing made.
    var reused = keyed("k-retried-1", "{\"kind\":\"page\",\"title\":\"Retried create\"}");
    assertThat(reused.statusCode()).as(reused.body()).isEqualTo(422);
    assertThat(JSON.readTree(reused.body()).at("/error/code").asText()).isEqualTo("key_reused");
    assertThat(JSON.readTree(reused.body()).at("/error/field").asText())
        .isEqualTo("Idempotency-Key");
    // Keys are bounded.
    for (String bad : List.of("\"\"", "k".repeat(256))) {
      var refused = keyed(bad, post);
      assertThat(refused.statusCode()).as(bad + ": " + refused.body()).isEqualTo(400);
      assertThat(JSON.readTree(refused.body()).at("/error/field").asText())
          .isEqualTo("Idempotency-Key");
    }
  }

  /** {@code POST /api/v1/content} with {@code body} and an Idempotency-Key header. */
  private static HttpResponse<String> keyed(String key, String body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(base + "/api/v1/content"))
            .header("Authorization", "Bearer " + TOKEN)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * A slug made from a title, none given: spelled in Latin letters from any script (every Japanese
   * or Russian title was "untitled" before, so the second was refused, naming a slug nobody typed),
   * and numbered while another item holds it. A slug that was given is refused when taken, as ever.
   */
  @Test
  @Order(4)
  void aSlugMadeFromATitleIsSpelledInLatinAndNumberedWhenTaken() throws Exception {
    assertThat(
            createdSlug(
                "{\"kind\":\"post\",\"title\":\"\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440\"}"))
        .isEqualTo("privet-mir");
    assertThat(
            createdSlug(
                "{\"kind\":\"post\",\"title\":\"\u65e5\u672c\u8a9e\u306e\u30bf\u30a4\u30c8\u30eb\"}"))
        .isEqualTo("ri-ben-yunotaitoru");
    assertThat(createdSlug("{\"kind\":\"post\",\"title\":\"Same title\"}")).isEqualTo("same-title");
    assertThat(createdSlug("{\"kind\":\"post\",\"title\":\"Same title\"}"))
        .isEqualTo("same-title-2");
    assertThat(createdSlug("{\"kind\":\"page\",\"title\":\"Same  title!\"}"))
        .isEqualTo("same-title-3");
    // A page whose title makes a slug the site's own pages answer at starts numbered.
    assertThat(createdSlug("{\"kind\":\"page\",\"title\":\"Archive\"}")).isEqualTo("archive-2");
    var given =
        api(
            "POST",
            "/api/v1/content",
            "{\"kind\":\"post\",\"title\":\"x\",\"slug\":\"same-title\"}");
    assertThat(given.statusCode()).isEqualTo(409);
    assertThat(JSON.readTree(given.body()).at("/error/code").asText()).isEqualTo("slug_taken");
    // The refusal says which item holds the slug, by title as well as by id.
    assertThat(JSON.readTree(given.body()).at("/error/message").asText())
        .startsWith("'same-title' is already used by the post \"Same title\" (content ");
    // Half an emoji, as a client that cut a string inside one sends it, is refused by field.
    var half =
        api(
            "POST",
            "/api/v1/content",
            "{\"kind\":\"post\",\"title\":\"Party \\ud83c\\udf89 time \\ud83d\"}");
    assertThat(half.statusCode()).as(half.body()).isEqualTo(400);
    assertThat(JSON.readTree(half.body()).at("/error/field").asText()).isEqualTo("title");
    assertThat(JSON.readTree(half.body()).at("/error/message").asText())
        .contains("half of a character (U+D83D")
        .contains("at character 14");
    // Every numbered try that was refused left nothing behind: one item per slug.
    assertThat(
            JSON.readTree(api("GET", "/api/v1/content?slug=same-title-3", null).body())
                .get("total")
                .asInt())
        .isEqualTo(1);
  }

  @Test
  @Order(4)
  void everyRevisionCanBeReadComparedAndRevertedTo() throws Exception {
    String first = "line one\nline two\nline three\n";
    var created =
        JSON.readTree(
            api(
                    "POST",
                    "/api/v1/content",
                    "{\"kind\":\"post\",\"title\":\"History\",\"slug\":\"history-post\","
                        + "\"tags\":[\"a\"],\"body\":"
                        + JSON.writeValueAsString(first)
                        + "}")
                .body());
    String id = created.get("id").asText();
    String base = "/api/v1/content/" + id;
    assertThat(
            api(
                    "PUT",
                    base,
                    "{\"revision\":1,\"title\":\"History, revised\",\"tags\":[\"a\",\"b\"],"
                        + "\"body\":\"line one\\nline 2\\nline three\\nline four\\n\"}")
                .statusCode())
        .isEqualTo(200);
    assertThat(api("POST", base + "/publish", "{\"revision\":2}").statusCode()).isEqualTo(200);

    // One revision, replayed from the journal: every field as it was, and the event that made it.
    JsonNode r1 = JSON.readTree(api("GET", base + "/revisions/1", null).body());
    assertThat(r1.get("event").asText()).isEqualTo("draft-created");
    assertThat(r1.get("actor").asText()).isEqualTo("api");
    assertThat(r1.get("latestRevision").asLong()).isEqualTo(3);
    assertThat(r1.at("/item/revision").asLong()).isEqualTo(1);
    assertThat(r1.at("/item/title").asText()).isEqualTo("History");
    assertThat(r1.at("/item/body").asText()).isEqualTo(first);
    assertThat(r1.at("/item/status").asText()).isEqualTo("draft");
    assertThat(r1.at("/item/tags").toString()).isEqualTo("[\"a\"]");
    JsonNode r3 = JSON.readTree(api("GET", base + "/revisions/3", null).body());
    assertThat(r3.get("event").asText()).isEqualTo("published");
    assertThat(r3.at("/item/status").asText()).isEqualTo("published");
    assertThat(r3.at("/item/title").asText()).isEqualTo("History, revised");
    var beyond = api("GET", base + "/revisions/4", null);
    assertThat(beyond.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(beyond.body()).at("/error/field").asText()).isEqualTo("revision");
    assertThat(JSON.readTree(beyond.body()).at("/error/message").asText())
        .contains("revision 4 does not exist")
        .contains("at revision 3");
    // One address per revision: not also +1, 01 or another script's digit one (%D9%A1).
    for (String bad : List.of("0", "x", "-1", "%2B1", "01", "%D9%A1")) {
      var r = api("GET", base + "/revisions/" + bad, null);
      assertThat(r.statusCode()).as(bad).isEqualTo(400);
      assertThat(JSON.readTree(r.body()).at("/error/field").asText()).isEqualTo("revision");
    }
    var nobody = api("GET", "/api/v1/content/no-such-item/revisions/1", null);
    assertThat(nobody.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(nobody.body()).at("/error/field").asText()).isEqualTo("id");

    // What changed, field by field, and the body as a unified line diff; "to" is the newest.
    JsonNode diff = JSON.readTree(api("GET", base + "/diff?from=1", null).body());
    assertThat(diff.get("to").asLong()).isEqualTo(3);
    assertThat(diff.get("changes").findValuesAsText("field"))
        .containsExactly("status", "title", "tags", "body");
    JsonNode body = diff.get("changes").get(3);
    assertThat(body.get("added").asInt()).isEqualTo(2);
    assertThat(body.get("removed").asInt()).isEqualTo(1);
    assertThat(body.get("unified").asText())
        .startsWith("--- revision 1\n+++ revision 3\n@@ -1,3 +1,4 @@")
        .contains("\n-line two\n+line 2\n")
        .endsWith("\n+line four");
    assertThat(diff.at("/changes/0/from").asText()).isEqualTo("draft");
    assertThat(diff.at("/changes/0/to").asText()).isEqualTo("published");
    JsonNode same = JSON.readTree(api("GET", base + "/diff?from=2&to=3", null).body());
    assertThat(same.get("changes").findValuesAsText("field")).containsExactly("status");
    assertThat(api("GET", base + "/diff", null).statusCode()).isEqualTo(400);
    var diffBeyond = api("GET", base + "/diff?from=1&to=9", null);
    assertThat(diffBeyond.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(diffBeyond.body()).at("/error/field").asText()).isEqualTo("to");
    var fromBeyond = api("GET", base + "/diff?from=9", null);
    assertThat(fromBeyond.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(fromBeyond.body()).at("/error/field").asText()).isEqualTo("from");

    // Reverting is an edit like any other: from a stale revision it is refused, and otherwise
    // the old fields come back as a new revision while the item stays published.
    var stale = api("POST", base + "/revert", "{\"to\":1,\"revision\":2}");
    assertThat(stale.statusCode()).isEqualTo(409);
    assertThat(JSON.readTree(stale.body()).at("/error/code").asText()).isEqualTo("stale_revision");
    var noTarget = api("POST", base + "/revert", "{\"revision\":3}");
    assertThat(noTarget.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(noTarget.body()).at("/error/field").asText()).isEqualTo("to");
    var reverted = api("POST", base + "/revert", "{\"to\":1,\"revision\":3}");
    assertThat(reverted.statusCode()).isEqualTo(200);
    JsonNode now = JSON.readTree(reverted.body());
    assertThat(now.get("revision").asLong()).isEqualTo(4);
    assertThat(now.get("status").asText()).isEqualTo("published");
    assertThat(now.get("title").asText()).isEqualTo("History");
    assertThat(now.get("body").asText()).isEqualTo(first);
    await(() -> get("/posts/history-post/").body().contains("line two"), Duration.ofSeconds(2));
    JsonNode back = JSON.readTree(api("GET", base + "/diff?from=1&to=4", null).body());
    assertThat(back.get("changes").findValuesAsText("field")).containsExactly("status");
    // Two revisions before the newest, read from the journal, compared either way round.
    JsonNode older = JSON.readTree(api("GET", base + "/diff?from=3&to=1", null).body());
    assertThat(older.get("latestRevision").asLong()).isEqualTo(4);
    assertThat(older.get("changes").findValuesAsText("field"))
        .containsExactly("status", "title", "tags", "body");
    assertThat(older.at("/changes/0/from").asText()).isEqualTo("published");
    assertThat(older.at("/changes/0/to").asText()).isEqualTo("draft");
    JsonNode list = JSON.readTree(api("GET", base + "/revisions", null).body());
    assertThat(list.at("/items/0/revision").asLong()).isEqualTo(4);
    // The revert says what it was, and which revision it wrote back; the edits before it do not.
    assertThat(list.at("/items/0/event").asText()).isEqualTo("reverted");
    assertThat(list.at("/items/0/revertedTo").asLong()).isEqualTo(1);
    assertThat(list.get("items").get(1).has("revertedTo")).isFalse();

    // The history read straight after a save holds the save: the list is the read model's, which
    // trails the journal, and it lacked the newest revision in 4 of 5 such reads.
    long rev = list.at("/items/0/revision").asLong();
    for (int i = 0; i < 5; i++) {
      var saved = api("PUT", base, "{\"revision\":" + rev + ",\"title\":\"History " + i + "\"}");
      assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);
      rev = JSON.readTree(saved.body()).get("revision").asLong();
      JsonNode history = JSON.readTree(api("GET", base + "/revisions?bodies=false", null).body());
      assertThat(history.at("/items/0/revision").asLong())
          .as("read after save " + i)
          .isEqualTo(rev);
    }
  }

  @Test
  @Order(5)
  void scheduledContentAppearsOnItsOwn() throws Exception {
    var created =
        JSON.readTree(
            api(
                    "POST",
                    "/api/v1/content",
                    "{\"kind\":\"post\",\"title\":\"Later\",\"slug\":\"later\"}")
                .body());
    String id = created.get("id").asText();
    String at = Instant.now().plusSeconds(2).toString();
    assertThat(
            api("POST", "/api/v1/content/" + id + "/schedule", "{\"at\":\"" + at + "\"}")
                .statusCode())
        .isEqualTo(200);
    // Absent because it is scheduled, not because the site has not got to it yet; and only
    // while its time has not come (a slow machine may be past it by now).
    awaitSiteFollowed("later", "scheduled");
    int later = get("/posts/later/").statusCode();
    if (Instant.now().isBefore(Instant.parse(at))) {
      assertThat(later).isEqualTo(404);
    }

    // Or in one call: created scheduled (or published) in a single journal write.
    String soon = Instant.now().plusSeconds(2).toString();
    var born =
        api(
            "POST",
            "/api/v1/content",
            "{\"kind\":\"post\",\"title\":\"Born later\",\"slug\":\"born-later\","
                + "\"status\":\"scheduled\",\"at\":\""
                + soon
                + "\"}");
    assertThat(born.statusCode()).isEqualTo(201);
    assertThat(JSON.readTree(born.body()).get("status").asText()).isEqualTo("scheduled");
    assertThat(JSON.readTree(born.body()).get("revision").asLong()).isEqualTo(2);
    var live =
        api(
            "POST",
            "/api/v1/content",
            "{\"kind\":\"post\",\"title\":\"Born live\",\"slug\":\"born-live\","
                + "\"status\":\"published\"}");
    assertThat(live.statusCode()).isEqualTo(201);
    assertThat(JSON.readTree(live.body()).get("status").asText()).isEqualTo("published");
    await(() -> get("/posts/born-live/").statusCode() == 200, Duration.ofSeconds(2));
    // Not yet public, while its time has not come (a slow machine may be past it by now).
    int bornLater = get("/posts/born-later/").statusCode();
    if (Instant.now().isBefore(Instant.parse(soon))) {
      assertThat(bornLater).isEqualTo(404);
    }
    await(() -> get("/posts/later/").statusCode() == 200, Duration.ofSeconds(8));
    await(() -> get("/posts/born-later/").statusCode() == 200, Duration.ofSeconds(8));

    // A start status that cannot be is refused naming the field, and nothing is created.
    for (String[] bad :
        new String[][] {
          {"{\"status\":\"archived\"}", "status"},
          {"{\"status\":\"scheduled\"}", "at"},
          {"{\"status\":\"scheduled\",\"at\":\"2001-01-01T00:00:00Z\"}", "at"},
          {"{\"status\":\"published\",\"at\":\"2099-01-01T00:00:00Z\"}", "at"},
        }) {
      String body = bad[0].replace("{", "{\"kind\":\"post\",\"title\":\"Nope\",\"slug\":\"nope\",");
      var refused = api("POST", "/api/v1/content", body);
      assertThat(refused.statusCode()).as(body).isEqualTo(400);
      assertThat(JSON.readTree(refused.body()).at("/error/field").asText())
          .as(body)
          .isEqualTo(bad[1]);
    }
    assertThat(api("GET", "/api/v1/content?slug=nope", null).body()).contains("\"items\":[]");
    String bornId = JSON.readTree(born.body()).get("id").asText();
    var statusByPut =
        api("PUT", "/api/v1/content/" + bornId, "{\"revision\":2,\"status\":\"draft\"}");
    assertThat(statusByPut.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(statusByPut.body()).at("/error/field").asText()).isEqualTo("status");

    // Its revision list says when the schedule was for (once the read model has the revisions).
    await(
        () ->
            api("GET", "/api/v1/content/" + bornId + "/revisions?bodies=false", null)
                .body()
                .contains("publish-scheduled"),
        Duration.ofSeconds(5));
    JsonNode revisions =
        JSON.readTree(
            api("GET", "/api/v1/content/" + bornId + "/revisions?bodies=false", null).body());
    JsonNode scheduledStep = null;
    for (JsonNode r : revisions.get("items")) {
      if (r.get("event").asText().equals("publish-scheduled")) {
        scheduledStep = r;
      }
    }
    assertThat(scheduledStep).isNotNull();
    assertThat(Instant.parse(scheduledStep.get("publishAt").asText()))
        .isEqualTo(Instant.parse(soon).truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
  }

  @Test
  @Order(6)
  void exportWritesTheFolderFormatBack() throws Exception {
    Path out = tmp.resolve("export");
    assertThat(Main.run("export", "markdown", out.toString(), "--server", base, "--token", TOKEN))
        .isZero();
    String a = Files.readString(out.resolve("rewriting-my-blog-in-rust.md"));
    assertThat(a)
        .contains("tags: [\"rust\", \"webdev\", \"performance\"]")
        .contains("date: 2026-05-06");
    assertThat(Files.readString(out.resolve("not-yet.md"))).contains("draft: true");
    // Reading the export back gives the same fields as the original files.
    var rules =
        new dev.quire.protocol.ContentRules(
            dev.quire.protocol.ContentRules.Limits.fromConfig(node.system().settings().config()));
    var original = new MarkdownFolder(rules, 1 << 20).read(tmp.resolve("md"));
    var exported = new MarkdownFolder(rules, 1 << 20).read(out);
    for (var e : original.entries()) {
      var match =
          exported.entries().stream()
              .filter(x -> x.fields().slug().equals(e.fields().slug()))
              .findFirst()
              .orElseThrow();
      assertThat(match.fields()).isEqualTo(e.fields());
      assertThat(match.kind()).isEqualTo(e.kind());
      assertThat(match.draft()).isEqualTo(e.draft());
    }
    // The export names each item's id: imported back over the API, a file with a new slug
    // renames its item (found by id) instead of making a second one.
    Path second = out.resolve("second.md");
    String secondText = Files.readString(second);
    assertThat(secondText).containsPattern("(?m)^id: [0-9a-f-]{36}$");
    Path rename = Files.createDirectories(tmp.resolve("rename"));
    Files.writeString(
        rename.resolve("second.md"), secondText.replace("slug: second\n", "slug: second-post\n"));
    assertThat(
            Main.run("import", "markdown", rename.toString(), "--server", base, "--token", TOKEN))
        .isZero();
    await(() -> get("/posts/second-post/").statusCode() == 200, Duration.ofSeconds(5));
    assertThat(get("/posts/second/").statusCode()).as("the old URL redirects").isEqualTo(301);
    var oldPdf = get("/posts/second.pdf");
    assertThat(oldPdf.statusCode()).as("and so does its PDF's").isEqualTo(301);
    assertThat(oldPdf.headers().firstValue("Location")).hasValue("/posts/second-post.pdf");
    // Kept a while only, as the page's: renamed back below, a 301 kept for good would loop.
    assertThat(oldPdf.headers().firstValue("Cache-Control")).hasValue("public, max-age=300");
    // A slug is lower case: another spelling of the address answers 301 to the item's.
    var spelled = get("/posts/Second-Post/");
    assertThat(spelled.statusCode()).isEqualTo(301);
    assertThat(spelled.headers().firstValue("Location")).hasValue("/posts/second-post/");
    assertThat(get("/posts/SECOND/").headers().firstValue("Location"))
        .as("an old slug's spelling, in one hop")
        .hasValue("/posts/second-post/");
    assertThat(get("/posts/Nothing-Here/").statusCode()).isEqualTo(404);
    var oldCard = get("/og/posts/second.png");
    assertThat(oldCard.statusCode()).as("and its card's").isEqualTo(301);
    assertThat(oldCard.headers().firstValue("Location")).hasValue("/og/posts/second-post.png");
    assertThat(oldCard.headers().firstValue("Cache-Control")).hasValue("public, max-age=300");
    var legacyCard = get("/og/second.svg");
    assertThat(legacyCard.statusCode()).isEqualTo(301);
    assertThat(legacyCard.headers().firstValue("Cache-Control")).hasValue("public, max-age=300");
    Files.writeString(rename.resolve("second.md"), secondText);
    assertThat(
            Main.run("import", "markdown", rename.toString(), "--server", base, "--token", TOKEN))
        .as("and back")
        .isZero();
    await(() -> get("/posts/second/").statusCode() == 200, Duration.ofSeconds(5));
  }

  @Test
  @Order(7)
  void semanticSearchRelatedPostsAndUnpublishLeavesTheIndex() throws Exception {
    String aboutTag = get("/about/").headers().firstValue("ETag").orElseThrow();
    String bread1 =
        publishNew(
            "sourdough-basics",
            "Sourdough basics",
            "Feed the starter, mix flour and water, let the dough rise overnight and bake the loaf"
                + " in a hot oven until the crust is dark.");
    String bread2 =
        publishNew(
            "rye-loaf",
            "A dense rye loaf",
            "Rye flour makes a heavy dough; knead it briefly, proof it in a basket and bake the"
                + " bread slowly.");
    String db =
        publishNew(
            "index-tuning",
            "Tuning database indexes",
            "A B-tree index speeds up range queries; check the query plan before adding another"
                + " index to a table.");
    // Without a description of its own, a post's meta and Open Graph descriptions are the opening
    // of its text (every such post had the site's one), cut at a word's end.
    await(() -> get("/posts/rye-loaf/").statusCode() == 200, Duration.ofSeconds(5));
    String rye = get("/posts/rye-loaf/").body();
    String lede =
        "Rye flour makes a heavy dough; knead it briefly, proof it in a basket and bake the bread"
            + " slowly.";
    assertThat(rye)
        .contains("<meta name=\"description\" content=\"" + lede + "\">")
        .contains("<meta property=\"og:description\" content=\"" + lede + "\">");

    // Embedded within seconds of publishing (the real model, in this JVM's embedding role).
    await(
        () -> {
          var r = api("GET", "/api/v1/search/semantic?q=baking+bread+at+home&k=3", null);
          if (r.statusCode() != 200) {
            return false;
          }
          String first = JSON.readTree(r.body()).at("/items/0/id").asText();
          var indexes = api("GET", "/api/v1/search/semantic?q=query+plans+and+indexes&k=2", null);
          return (first.equals(bread1) || first.equals(bread2))
              && JSON.readTree(indexes.body()).at("/items/0/id").asText().equals(db);
        },
        Duration.ofSeconds(30));
    var search =
        JSON.readTree(
            api("GET", "/api/v1/search/semantic?q=query+plans+and+indexes&k=2", null).body());
    assertThat(search.at("/items/0/id").asText()).isEqualTo(db);
    assertThat(search.at("/items/0/slug").asText()).isEqualTo("index-tuning");
    assertThat(search.at("/items/0/title").asText()).isEqualTo("Tuning database indexes");
    assertThat(search.at("/items/0/score").asDouble())
        .isGreaterThan(search.at("/items/1/score").asDouble());
    assertThat(search.get("model").asText()).isEqualTo("all-minilm-l6-v2-q");

    // Passages: the best-matching chunk with its text (what the crawler checks citations with).
    var passages =
        JSON.readTree(
            api("GET", "/api/v1/search/passages?q=proof+rye+dough+in+a+basket&k=2", null).body());
    assertThat(passages.at("/items/0/id").asText()).isEqualTo(bread2);
    assertThat(passages.at("/items/0/text").asText()).contains("proof it in a basket");
    assertThat(passages.at("/items/0/chunk").isInt()).isTrue();
    assertThat(api("GET", "/api/v1/search/passages?k=2", null).statusCode()).isEqualTo(400);

    var related =
        JSON.readTree(api("GET", "/api/v1/content/" + bread1 + "/related?k=1", null).body());
    assertThat(related.at("/items/0/id").asText()).isEqualTo(bread2);

    // The site and the embedding index follow the read model apart: the index holding the posts
    // does not prove the site does. Wait on the site itself (not by asking for a page, which
    // would start the related-posts fetch that the first copy below must not have yet).
    await(
        () ->
            List.of("sourdough-basics", "rye-loaf", "index-tuning").stream()
                .allMatch(slug -> node.gateway().site().snapshot().bySlug(slug) != null),
        Duration.ofSeconds(10));
    siteSearchFindsWordsAndMeaning();

    // The post page shows related posts once the background fetch answered. Its first request
    // starts that fetch and is answered without them; the page that has them is another copy,
    // so it has another ETag, and a client holding the first copy gets the new one, not a 304.
    var first = get("/posts/sourdough-basics/");
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.body()).doesNotContain(RELATED_RYE);
    String firstTag = first.headers().firstValue("ETag").orElseThrow();
    await(
        () -> get("/posts/sourdough-basics/").body().contains(RELATED_RYE), Duration.ofSeconds(10));
    String settledTag = get("/posts/sourdough-basics/").headers().firstValue("ETag").orElseThrow();
    assertThat(settledTag).isNotEqualTo(firstTag);
    var revalidated = get("/posts/sourdough-basics/", Map.of("If-None-Match", firstTag));
    assertThat(revalidated.statusCode()).isEqualTo(200);
    assertThat(revalidated.body()).contains(RELATED_RYE);
    assertThat(get("/posts/sourdough-basics/", Map.of("If-None-Match", settledTag)).statusCode())
        .isEqualTo(304);
    // A page whose bytes did not change keeps its ETag across the publishes above, so clients
    // and caches revalidating it get a 304 instead of the whole page again.
    assertThat(get("/about/").headers().firstValue("ETag")).hasValue(aboutTag);
    assertThat(get("/about/", Map.of("If-None-Match", aboutTag)).statusCode()).isEqualTo(304);

    // Bad input names the field; unknown items are 404.
    var badK = api("GET", "/api/v1/search/semantic?q=x&k=500", null);
    assertThat(badK.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(badK.body()).at("/error/field").asText()).isEqualTo("k");
    assertThat(api("GET", "/api/v1/search/semantic?k=3", null).statusCode()).isEqualTo(400);
    assertThat(api("GET", "/api/v1/content/nope/related", null).statusCode()).isEqualTo(404);
    assertThat(api("GET", "/api/v1/search/semantic?q=x", null, "wrong").statusCode())
        .isEqualTo(401);

    // Unpublished content leaves the index.
    long rev =
        JSON.readTree(api("GET", "/api/v1/content/" + bread2, null).body())
            .get("revision")
            .asLong();
    assertThat(
            api("POST", "/api/v1/content/" + bread2 + "/unpublish", "{\"revision\":" + rev + "}")
                .statusCode())
        .isEqualTo(200);
    // Once the site has let it go, no post links to it as related, not even the first view after
    // the change (which showed the related list from before, with a link that answered 404).
    await(
        () -> node.gateway().site().snapshot().bySlug("rye-loaf") == null, Duration.ofSeconds(10));
    assertThat(get("/posts/sourdough-basics/").body()).doesNotContain(RELATED_RYE);
    await(
        () -> api("GET", "/api/v1/content/" + bread2 + "/related", null).statusCode() == 404,
        Duration.ofSeconds(30));

    var status = JSON.readTree(api("GET", "/api/v1/embeddings/status", null).body());
    assertThat(status.get("model").asText()).isEqualTo("all-minilm-l6-v2-q");
    assertThat(status.get("documents").asLong()).isGreaterThanOrEqualTo(2);
    assertThat(status.get("chunks").asLong())
        .isGreaterThanOrEqualTo(status.get("documents").asLong());

    // Unused for a while, the model is unloaded (its memory freed); related items need no model,
    // and the next search loads it again and answers as before.
    await(
        () ->
            !JSON.readTree(api("GET", "/api/v1/embeddings/status", null).body())
                .get("modelLoaded")
                .asBoolean(),
        Duration.ofSeconds(30));
    assertThat(
            JSON.readTree(api("GET", "/api/v1/content/" + bread1 + "/related?k=1", null).body())
                .at("/items/0/id")
                .asText())
        .isNotEmpty();
    assertThat(
            JSON.readTree(api("GET", "/api/v1/embeddings/status", null).body())
                .get("modelLoaded")
                .asBoolean())
        .as("related items loaded no model")
        .isFalse();
    var again =
        JSON.readTree(
            api("GET", "/api/v1/search/semantic?q=query+plans+and+indexes&k=2", null).body());
    assertThat(again.at("/items/0/id").asText()).isEqualTo(db);
    var loaded = JSON.readTree(api("GET", "/api/v1/embeddings/status", null).body());
    assertThat(loaded.get("modelLoaded").asBoolean()).isTrue();
    assertThat(loaded.get("modelLoadMillis").asLong()).isPositive();
  }

  @Test
  @Order(14)
  void postsAndPagesArePrintedAsPdf() throws Exception {
    var pdf =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/posts/rewriting-my-blog-in-rust.pdf"))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(pdf.statusCode()).isEqualTo(200);
    assertThat(pdf.headers().firstValue("Content-Type")).hasValue("application/pdf");
    assertThat(pdf.headers().firstValue("Content-Disposition"))
        .hasValue("inline; filename=\"rewriting-my-blog-in-rust.pdf\"");
    // The page is the canonical copy, not this duplicate of it.
    assertThat(pdf.headers().firstValue("Link"))
        .hasValue("<http://localhost:8080/posts/rewriting-my-blog-in-rust/>; rel=\"canonical\"");
    try (var doc = org.apache.pdfbox.Loader.loadPDF(pdf.body())) {
      String text = textOf(doc);
      assertThat(text)
          .contains("Rewriting my blog in Rust")
          .contains("Hello world.")
          .contains("A single 3.5 MB binary.")
          .contains("http://localhost:8080/posts/rewriting-my-blog-in-rust/")
          .doesNotContain("alert(1)");
      assertThat(doc.getDocumentInformation().getTitle())
          .isEqualTo("Rewriting my blog in Rust · Quire");
    }
    // Kept once made: the same bytes, and a reader revalidating gets a 304.
    String tag = pdf.headers().firstValue("ETag").orElseThrow();
    assertThat(
            get("/posts/rewriting-my-blog-in-rust.pdf", Map.of("If-None-Match", tag)).statusCode())
        .isEqualTo(304);
    // The post page links it; a page prints at its own address, and nothing else prints.
    assertThat(get("/posts/rewriting-my-blog-in-rust/").body())
        .contains("<a href=\"/posts/rewriting-my-blog-in-rust.pdf\" type=\"application/pdf\">");
    assertThat(get("/about.pdf").statusCode()).isEqualTo(200);
    assertThat(get("/posts/about.pdf").statusCode()).isEqualTo(404);
    assertThat(get("/rewriting-my-blog-in-rust.pdf").statusCode()).isEqualTo(404);
    var draft = get("/posts/not-yet.pdf");
    assertThat(draft.statusCode()).isEqualTo(404);
    assertThat(draft.body()).contains("class=\"error\"").doesNotContain("Secret");
    assertThat(get("/posts/nothing-here.pdf").statusCode()).isEqualTo(404);
    assertThat(get("/posts/a/b.pdf").statusCode()).isEqualTo(404);

    // The theme's document asks for the Unicode font after its own: Greek, Cyrillic and Polish
    // letters print as themselves, not as '#'.
    String words =
        "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac \u0420\u0443\u0441\u0441\u043a\u0438\u0439 Za\u017c\u00f3\u0142\u0107";
    assertThat(
            api(
                    "POST",
                    "/api/v1/content",
                    "{\"kind\":\"page\",\"title\":\"\u0391\u03b8\u03ae\u03bd\u03b1\",\"slug\":\"athina\","
                        + "\"status\":\"published\",\"body\":\""
                        + words
                        + "\"}")
                .statusCode())
        .isEqualTo(201);
    await(() -> get("/athina/").statusCode() == 200, Duration.ofSeconds(5));
    var unicode =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/athina.pdf")).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(unicode.statusCode()).isEqualTo(200);
    try (var doc = org.apache.pdfbox.Loader.loadPDF(unicode.body())) {
      String text = textOf(doc);
      assertThat(text)
          .contains("\u0391\u03b8\u03ae\u03bd\u03b1")
          .contains(words)
          .doesNotContain("#");
    }

    // A table of 300 by 300 cells (182 KB of Markdown, within the body's limit) took the whole
    // heap to lay out, and the server with it, at one anonymous request: past
    // quire.gateway.pdf.max-elements it is not printed, its page offers no PDF, and its PDF
    // address says why.
    StringBuilder table = new StringBuilder();
    for (int row = 0; row < 302; row++) {
      table.append(row == 1 ? "|-".repeat(300) : "|a".repeat(300)).append("|\n");
    }
    publishNew("big-table", "Big table", table.toString());
    await(() -> get("/posts/big-table/").statusCode() == 200, Duration.ofSeconds(5));
    assertThat(get("/posts/big-table/").body()).doesNotContain("big-table.pdf");
    var refused = get("/posts/big-table.pdf");
    assertThat(refused.statusCode()).isEqualTo(422);
    assertThat(refused.body()).contains("too large to print as a PDF").contains("at most 15000");
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  @Order(14)
  void sharedLinksShowACoverOrAGeneratedCard() throws Exception {
    // A post with a cover image shows it; one without gets its generated card, 1200x630.
    String withCover = get("/posts/rewriting-my-blog-in-rust/").body();
    assertThat(withCover)
        .contains("<meta property=\"og:image\" content=\"http://localhost:8080/rust.webp\">")
        .doesNotContain("/og/posts/")
        .contains("<meta name=\"twitter:card\" content=\"summary_large_image\">");
    String plain = get("/posts/second/").body();
    assertThat(plain)
        .contains(
            "<meta property=\"og:image\" content=\"http://localhost:8080/og/posts/second.png\">")
        .contains("<meta property=\"og:image:width\" content=\"1200\">")
        .contains("<meta property=\"og:image:alt\" content=\"Second post\">");
    // Structured data for search engines: the post as a schema.org BlogPosting, with its image.
    JsonNode covered = jsonLd(withCover);
    assertThat(covered.get("@type").asText()).isEqualTo("BlogPosting");
    assertThat(covered.get("headline").asText()).isEqualTo("Rewriting my blog in Rust");
    assertThat(covered.get("url").asText())
        .isEqualTo("http://localhost:8080/posts/rewriting-my-blog-in-rust/");
    assertThat(covered.get("image").asText()).isEqualTo("http://localhost:8080/rust.webp");
    assertThat(covered.get("datePublished").asText()).isNotBlank();
    assertThat(covered.at("/publisher/name").asText()).isNotBlank();
    assertThat(jsonLd(plain).get("image").asText())
        .isEqualTo("http://localhost:8080/og/posts/second.png");
    // A post without an author is the site's, as its feed entry says: never without one.
    JsonNode plainLd = jsonLd(plain);
    assertThat(plainLd.at("/author/name").asText()).as(plainLd.toString()).isNotBlank();
    assertThat(get("/").body())
        .contains("<meta property=\"og:image\" content=\"http://localhost:8080/og/site.png\">");
    assertThat(get("/about/").body())
        .as("this site's theme overrides page.peb from before the ogImage block: no site card")
        .doesNotContain("og:image");

    var card =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/og/posts/second.png")).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(card.statusCode()).isEqualTo(200);
    assertThat(card.headers().firstValue("Content-Type")).hasValue("image/png");
    var image = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(card.body()));
    assertThat(image.getWidth()).isEqualTo(1200);
    assertThat(image.getHeight()).isEqualTo(630);
    String tag = card.headers().firstValue("ETag").orElseThrow();
    assertThat(get("/og/posts/second.png", Map.of("If-None-Match", tag)).statusCode())
        .isEqualTo(304);
    for (String path : List.of("/og/site.png", "/og/pages/about.png")) {
      var other =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(base + path)).build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(other.statusCode()).as(path).isEqualTo(200);
      assertThat(javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(other.body())))
          .as(path)
          .isNotNull();
    }
    // Only published items have cards, each under its own kind; an old slug moves with its item.
    assertThat(get("/og/posts/not-yet.png").statusCode()).isEqualTo(404);
    assertThat(get("/og/pages/second.png").statusCode()).isEqualTo(404);
    assertThat(get("/og/posts/nothing-here.png").statusCode()).isEqualTo(404);
    assertThat(get("/og/posts/Second.png").statusCode()).isEqualTo(404);
    var moved = get("/og/posts/fresh.png");
    assertThat(moved.statusCode()).isEqualTo(301);
    assertThat(moved.headers().firstValue("Location")).hasValue("/og/posts/fresh-2.png");
    // The card addresses of the blog Quire grew from, /og/<slug>.svg, lead to the item's card:
    // a post, a page, an old slug; nothing else.
    for (var svg :
        Map.of(
                "/og/second.svg", "/og/posts/second.png",
                "/og/about.svg", "/og/pages/about.png",
                "/og/fresh.svg", "/og/posts/fresh-2.png")
            .entrySet()) {
      var r = get(svg.getKey());
      assertThat(r.statusCode()).as(svg.getKey()).isEqualTo(301);
      assertThat(r.headers().firstValue("Location")).as(svg.getKey()).hasValue(svg.getValue());
    }
    assertThat(get("/og/not-yet.svg").statusCode()).isEqualTo(404);
    assertThat(get("/og/nothing-here.svg").statusCode()).isEqualTo(404);
  }

  @Test
  @Order(14)
  void readersGetAnAtomFeedAndSearchEnginesASitemap() throws Exception {
    // The newest published post as the read model has it; the site follows the read model, so
    // wait until the site holds it too before reading the feed.
    JsonNode newestItem =
        JSON.readTree(api("GET", "/api/v1/content?kind=post&status=published&size=1", null).body())
            .at("/items/0");
    String newest = newestItem.get("title").asText();
    String newestSlug = newestItem.get("slug").asText();
    await(
        () -> node.gateway().site().snapshot().bySlug(newestSlug) != null, Duration.ofSeconds(10));
    var feed = get("/feed.xml");
    assertThat(feed.statusCode()).isEqualTo(200);
    assertThat(feed.headers().firstValue("Content-Type").orElseThrow())
        .startsWith("application/atom+xml");
    var dbf = javax.xml.parsers.DocumentBuilderFactory.newInstance();
    dbf.setNamespaceAware(true);
    var doc =
        dbf.newDocumentBuilder()
            .parse(
                new java.io.ByteArrayInputStream(
                    feed.body().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    var titles = new java.util.ArrayList<String>();
    var entries = doc.getElementsByTagNameNS("http://www.w3.org/2005/Atom", "entry");
    for (int i = 0; i < entries.getLength(); i++) {
      titles.add(
          ((org.w3c.dom.Element) entries.item(i))
              .getElementsByTagNameNS("http://www.w3.org/2005/Atom", "title")
              .item(0)
              .getTextContent());
    }
    // The newest published posts, as the home page lists them (the feed holds up to 20).
    assertThat(titles).isNotEmpty().contains(newest);
    assertThat(get("/").body()).contains("<link rel=\"alternate\" type=\"application/atom+xml\"");
    // Readers poll: an unchanged feed is a 304.
    String tag = feed.headers().firstValue("ETag").orElseThrow();
    assertThat(get("/feed.xml", Map.of("If-None-Match", tag)).statusCode()).isEqualTo(304);

    // Each tag has a feed of its own, linked from its page; only the tag's own URL has one.
    var tagged =
        node.gateway().site().snapshot().posts().stream()
            .filter(p -> !p.tags().isEmpty())
            .findFirst()
            .orElseThrow();
    var tagRef = tagged.tags().get(0);
    var tagFeed = get(tagRef.url() + "feed.xml");
    assertThat(tagFeed.statusCode()).isEqualTo(200);
    assertThat(tagFeed.headers().firstValue("Content-Type").orElseThrow())
        .startsWith("application/atom+xml");
    assertThat(tagFeed.body())
        .contains(": " + tagRef.name().replace("&", "&amp;").replace("<", "&lt;") + "</title>")
        .contains("/feed.xml\"");
    int tagEntries = tagFeed.body().split("<entry>", -1).length - 1;
    assertThat(tagEntries)
        .isEqualTo(Math.min(20, node.gateway().site().snapshot().tagged(tagRef.key()).size()));
    assertThat(get(tagRef.url()).body())
        .contains("type=\"application/atom+xml\"")
        .contains("href=\"" + tagRef.url() + "feed.xml\"");
    var noFeed = get("/tags/no-such-tag-at-all/feed.xml");
    assertThat(noFeed.statusCode()).isEqualTo(404);
    // The site's 404 page, not an empty body a browser shows blank.
    assertThat(noFeed.body()).contains("<html").contains("there is no feed here");
    assertThat(get("/tags/feed.xml").statusCode()).isEqualTo(404);
    // Another spelling of the same tag answers 301 to the key's feed, as the tag's page does.
    String spelled = "/tags/" + tagRef.key().toUpperCase(java.util.Locale.ROOT) + "/feed.xml";
    assertThat(tagRef.key()).isNotEqualTo(tagRef.key().toUpperCase(java.util.Locale.ROOT));
    var spelledFeed = get(spelled);
    assertThat(spelledFeed.statusCode()).isEqualTo(301);
    assertThat(spelledFeed.headers().firstValue("Location")).hasValue(tagRef.url() + "feed.xml");

    var sitemap = get("/sitemap.xml");
    assertThat(sitemap.statusCode()).isEqualTo(200);
    assertThat(sitemap.body())
        .contains("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"")
        .contains("<loc>http://localhost:8080/posts/second/</loc><lastmod>")
        .contains("<loc>http://localhost:8080/about/</loc>")
        .contains("<loc>http://localhost:8080/tags/rust/</loc>");
    assertThat(get("/sitemap-2.xml").statusCode()).as("one file is enough here").isEqualTo(404);
    assertThat(get("/sitemap-2.xml").body()).contains("<html");
    var robots = get("/robots.txt");
    assertThat(robots.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
    assertThat(robots.body()).contains("Sitemap: http://localhost:8080/sitemap.xml");
  }

  @Test
  @Order(8)
  void redirectTableAnswersOldPermalinksAndRefusesOpenRedirects() throws Exception {
    var put =
        api(
            "POST",
            "/api/v1/redirects",
            "{\"redirects\":[{\"from\":\"/2014/05/old-post/\",\"to\":\"/posts/second/\"},"
                + "{\"from\":\"/?p=12\",\"to\":\"/about/\",\"status\":302},"
                + "{\"from\":\"/apidocs/\",\"to\":\"/about/\"}]}");
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    // A path that only starts with "api" is the site's, not the API's: once its 404 took them.
    assertThat(get("/apidocs/").headers().firstValue("Location")).hasValue("/about/");
    var apiDocs =
        api(
            "POST",
            "/api/v1/content",
            "{\"kind\":\"page\",\"title\":\"API docs\",\"slug\":\"api-docs\","
                + "\"status\":\"published\",\"body\":\"How to use the API.\"}");
    assertThat(apiDocs.statusCode()).as(apiDocs.body()).isEqualTo(201);
    await(() -> get("/api-docs/").statusCode() == 200, Duration.ofSeconds(10));
    assertThat(get("/api-docs/").body()).contains("How to use the API.");
    assertThat(get("/api/").statusCode()).isEqualTo(404);
    assertThat(get("/api/v2/content").statusCode()).isEqualTo(404);
    var moved = get("/2014/05/old-post/");
    assertThat(moved.statusCode()).isEqualTo(301);
    assertThat(moved.headers().firstValue("Location")).hasValue("/posts/second/");
    // Without the trailing slash too, and a query-string permalink (WordPress's ?p=N).
    assertThat(get("/2014/05/old-post").statusCode()).isEqualTo(301);
    var byQuery = get("/?p=12");
    assertThat(byQuery.statusCode()).isEqualTo(302);
    assertThat(byQuery.headers().firstValue("Location")).hasValue("/about/");
    // A path's rule keeps the query it was asked with; a rule that matched the query does not.
    assertThat(get("/2014/05/old-post/?utm_source=feed").headers().firstValue("Location"))
        .hasValue("/posts/second/?utm_source=feed");
    assertThat(get("/").statusCode()).isEqualTo(200);

    // A path in other scripts than ASCII is kept percent-encoded, as a URL carries it: the raw
    // 'é' once made every request for the rule answer 500 (no such Location header can be sent).
    var accented = postRedirect("/ancien-café/", "/café/");
    assertThat(accented.statusCode()).as(accented.body()).isEqualTo(200);
    var movedAccented = get("/ancien-caf%C3%A9/");
    assertThat(movedAccented.statusCode()).isEqualTo(301);
    assertThat(movedAccented.headers().firstValue("Location")).hasValue("/caf%C3%A9/");
    // A 'from' with an escape the server decodes before it looks for a rule (%2D is '-') is met
    // by a request sent either way; it was kept as typed and never met.
    var escaped = postRedirect("/old%2Dname/", "/about/");
    assertThat(escaped.statusCode()).as(escaped.body()).isEqualTo(200);
    assertThat(get("/old%2Dname/").headers().firstValue("Location")).hasValue("/about/");
    assertThat(get("/old-name/").headers().firstValue("Location")).hasValue("/about/");
    assertThat(api("DELETE", "/api/v1/redirects?from=%2Fold%252Dname%2F", null).statusCode())
        .isEqualTo(200);

    for (String evil :
        new String[] {"https://evil.example/", "//evil.example/", "/\\evil", "/.//evil.example/"}) {
      var refused = postRedirect("/x/", evil);
      assertThat(refused.statusCode()).as(evil).isEqualTo(400);
      assertThat(JSON.readTree(refused.body()).at("/error/field").asText()).isEqualTo("to");
    }
    // A rule that loops took a live page down: /about to /about/ (the rule answers for the other
    // slash too), or two rules that send a visitor back and forth. Both refused, the page intact.
    var slash = postRedirect("/about", "/about/");
    assertThat(slash.statusCode()).as(slash.body()).isEqualTo(400);
    assertThat(JSON.readTree(slash.body()).at("/error/message").asText()).contains("leads back");
    assertThat(JSON.readTree(slash.body()).at("/error/field").asText()).isEqualTo("to");
    assertThat(get("/about/").statusCode()).isEqualTo(200);
    // A page the site has kept (answered without the routes) still gives way to a rule that
    // moves it, at once, and comes back when the rule goes.
    assertThat(get("/about/").statusCode()).isEqualTo(200);
    var aboutRule = postRedirect("/about/", "/posts/second/");
    assertThat(aboutRule.statusCode()).as(aboutRule.body()).isEqualTo(200);
    var aboutMoved = get("/about/");
    assertThat(aboutMoved.statusCode()).isEqualTo(301);
    assertThat(aboutMoved.headers().firstValue("Location")).hasValue("/posts/second/");
    assertThat(api("DELETE", "/api/v1/redirects?from=%2Fabout%2F", null).statusCode())
        .isEqualTo(200);
    assertThat(get("/about/").statusCode()).isEqualTo(200);
    assertThat(postRedirect("/ping/", "/pong/").statusCode()).isEqualTo(200);
    var back = postRedirect("/pong/", "/ping");
    assertThat(back.statusCode()).as(back.body()).isEqualTo(400);
    assertThat(JSON.readTree(back.body()).at("/error/message").asText())
        .contains("/pong/ -> /ping/");
    // Rules no request would meet: under the site's own addresses, or with a dot segment.
    for (String never : new String[] {"/admin/old/", "/api/v1/content", "/healthz", "/x/../y/"}) {
      var refused = postRedirect(never, "/about/");
      assertThat(refused.statusCode()).as(never).isEqualTo(400);
      assertThat(JSON.readTree(refused.body()).at("/error/field").asText()).isEqualTo("from");
    }
    assertThat(api("DELETE", "/api/v1/redirects?from=%2Fping%2F", null).statusCode())
        .isEqualTo(200);
    var list = JSON.readTree(api("GET", "/api/v1/redirects", null).body());
    assertThat(list.get("total").asInt()).isEqualTo(4);
    assertThat(
            api("DELETE", "/api/v1/redirects?from=%2F2014%2F05%2Fold-post%2F", null).statusCode())
        .isEqualTo(200);
    assertThat(get("/2014/05/old-post/").statusCode()).isEqualTo(404);
    // The accented rule, named as typed (the query decodes to /ancien-café/).
    assertThat(api("DELETE", "/api/v1/redirects?from=%2Fancien-caf%C3%A9%2F", null).statusCode())
        .isEqualTo(200);
    assertThat(get("/ancien-caf%C3%A9/").statusCode()).isEqualTo(404);

    // A rule that loops through the site's own redirects: from a post's address to one of its old
    // slugs (which the site sends back to it), or from a tag's page to another spelling of the tag
    // (which the site folds back). Both took the page off the site; both refused now.
    var made =
        JSON.readTree(
            api(
                    "POST",
                    "/api/v1/content",
                    "{\"kind\":\"post\",\"title\":\"Loop check\",\"slug\":\"loop-one\","
                        + "\"tags\":[\"LoopTag\"],\"status\":\"published\"}")
                .body());
    var renamed =
        api(
            "PUT",
            "/api/v1/content/" + made.get("id").asText(),
            "{\"revision\":"
                + made.get("revision").asLong()
                + ",\"title\":\"Loop check\",\"slug\":\"loop-two\",\"tags\":[\"LoopTag\"]}");
    assertThat(renamed.statusCode()).as(renamed.body()).isEqualTo(200);
    await(() -> get("/posts/loop-one/").statusCode() == 301, Duration.ofSeconds(10));
    var throughOldSlug = postRedirect("/posts/loop-two/", "/posts/loop-one/");
    assertThat(throughOldSlug.statusCode()).as(throughOldSlug.body()).isEqualTo(400);
    assertThat(JSON.readTree(throughOldSlug.body()).at("/error/field").asText()).isEqualTo("to");
    assertThat(JSON.readTree(throughOldSlug.body()).at("/error/message").asText())
        .contains("/posts/loop-one/ (which the site sends to /posts/loop-two/)");
    var throughTag = postRedirect("/tags/looptag/", "/tags/LoopTag/");
    assertThat(throughTag.statusCode()).as(throughTag.body()).isEqualTo(400);
    var throughTagFeed = postRedirect("/tags/looptag/feed.xml", "/tags/LoopTag/feed.xml");
    assertThat(throughTagFeed.statusCode()).as(throughTagFeed.body()).isEqualTo(400);
    // Through a slug spelled with capitals, which the site sends back to the rule's address.
    var throughCapitals = postRedirect("/posts/loop-two/", "/posts/Loop-Two/");
    assertThat(throughCapitals.statusCode()).as(throughCapitals.body()).isEqualTo(400);
    assertThat(get("/posts/loop-two/").statusCode()).isEqualTo(200);
    assertThat(get("/tags/looptag/").statusCode()).isEqualTo(200);
    // A delete that names no rule is the caller's mistake, named as the API names others.
    var noFrom = api("DELETE", "/api/v1/redirects", null);
    assertThat(noFrom.statusCode()).as(noFrom.body()).isEqualTo(400);
    assertThat(JSON.readTree(noFrom.body()).at("/error/field").asText()).isEqualTo("from");
  }

  @Test
  @Order(9)
  void mediaIsStoredOnceByContentAndServedSafely() throws Exception {
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 1, 2, 3, 4};
    var up1 = upload(png, "image/png", "My%20Photo.png");
    assertThat(up1.statusCode()).as(up1.body()).isEqualTo(201);
    JsonNode m = JSON.readTree(up1.body());
    String sha = m.get("sha256").asText();
    assertThat(sha)
        .isEqualTo(
            java.util.HexFormat.of()
                .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(png)));
    assertThat(m.get("filename").asText()).isEqualTo("My-Photo.png");
    // The same bytes again are the same blob.
    assertThat(JSON.readTree(upload(png, "image/png", "again.png").body()).get("sha256").asText())
        .isEqualTo(sha);
    var served =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(base + m.get("url").asText())).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(served.statusCode()).isEqualTo(200);
    assertThat(served.body()).isEqualTo(png);
    assertThat(served.headers().firstValue("Content-Type")).hasValue("image/png");
    assertThat(served.headers().firstValue("Cache-Control"))
        .hasValue("public, max-age=31536000, immutable");
    // An uploaded HTML file is a download in a sandbox, never a page on the site's origin.
    var html =
        JSON.readTree(upload("<script>alert(1)</script>".getBytes(), "text/html", "x.html").body());
    var h = get(html.get("url").asText());
    assertThat(h.headers().firstValue("Content-Disposition").orElse("")).startsWith("attachment");
    assertThat(h.headers().firstValue("Content-Security-Policy").orElse("")).contains("sandbox");
    // A script or stylesheet is served as bytes: a <script src> on the site's own origin (which
    // the admin's policy allows) ignores the download headers, nosniff refuses this type.
    var js =
        JSON.readTree(
            upload("alert(1)".getBytes(), "text/javascript; charset=utf-8", "x.js").body());
    assertThat(js.get("contentType").asText()).isEqualTo("text/javascript");
    var jsServed = get(js.get("url").asText());
    assertThat(jsServed.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
    assertThat(jsServed.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(get("/media/" + "0".repeat(64) + "/x.png").statusCode()).isEqualTo(404);
    assertThat(get("/media/..%2F..%2Fquire.mv.db/x").statusCode()).isEqualTo(404);
    // A file sent as an image must be one (a text file named .jpg was served as image/jpeg), an
    // empty file is refused, and an image sent as another is stored as what it is.
    var fake = upload("just text".getBytes(), "image/jpeg", "fake.jpg");
    assertThat(fake.statusCode()).as(fake.body()).isEqualTo(422);
    assertThat(JSON.readTree(fake.body()).at("/error/field").asText()).isEqualTo("file");
    assertThat(JSON.readTree(fake.body()).at("/error/message").asText())
        .contains("sent as image/jpeg but its bytes are not that image");
    var empty = upload(new byte[0], "image/png", "empty.png");
    assertThat(empty.statusCode()).as(empty.body()).isEqualTo(422);
    assertThat(JSON.readTree(empty.body()).at("/error/message").asText()).contains("empty");
    byte[] otherPng = {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 9, 9};
    var mislabelled = upload(otherPng, "image/jpeg", "really-a-png.jpg");
    assertThat(mislabelled.statusCode()).as(mislabelled.body()).isEqualTo(201);
    assertThat(JSON.readTree(mislabelled.body()).get("contentType").asText())
        .isEqualTo("image/png");
    var whole = JSON.readTree(api("GET", "/api/v1/media", null).body());
    assertThat(whole.get("total").asInt()).isEqualTo(4);
    assertThat(whole.get("items")).hasSize(4);
    assertThat(whole.has("page")).as("the whole list, as before paging").isFalse();
    // A page at a time, oldest first, as the whole list orders them.
    var second = JSON.readTree(api("GET", "/api/v1/media?page=2&size=3", null).body());
    assertThat(second.get("page").asInt()).isEqualTo(2);
    assertThat(second.get("size").asInt()).isEqualTo(3);
    assertThat(second.get("total").asInt()).isEqualTo(4);
    assertThat(second.get("items")).hasSize(1);
    assertThat(second.at("/items/0/sha256").asText())
        .isEqualTo(whole.at("/items/3/sha256").asText());
    var first = JSON.readTree(api("GET", "/api/v1/media?size=3", null).body());
    assertThat(first.get("page").asInt()).isEqualTo(1);
    assertThat(first.get("items")).hasSize(3);
    assertThat(first.at("/items/0/sha256").asText())
        .isEqualTo(whole.at("/items/0/sha256").asText());
    var defaults = JSON.readTree(api("GET", "/api/v1/media?page=1", null).body());
    assertThat(defaults.get("size").asInt()).as("the API's default page size").isEqualTo(20);
    assertThat(defaults.get("items")).hasSize(4);
    var tooBig = api("GET", "/api/v1/media?size=201", null);
    assertThat(tooBig.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(tooBig.body()).at("/error/field").asText()).isEqualTo("size");
    assertThat(JSON.readTree(tooBig.body()).at("/error/message").asText())
        .contains("between 1 and 200");
    var notANumber = api("GET", "/api/v1/media?page=x", null);
    assertThat(notANumber.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(notANumber.body()).at("/error/field").asText()).isEqualTo("page");
  }

  @Test
  @Order(10)
  void aWordPressExportIsImportedIntoTheRunningSiteOverItsApi() throws Exception {
    Path wxr = tmp.resolve("wp.xml");
    try (var in = EndToEndTest.class.getResourceAsStream("/wordpress/export.xml")) {
      Files.copy(in, wxr);
    }
    Path uploads =
        Files.createDirectories(tmp.resolve("wp-uploads/2024/05")).getParent().getParent();
    Files.write(uploads.resolve("2024/05/cat.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, 9});
    var r =
        EmbeddingRoleClusterTest.runCli(
            "import",
            "wordpress",
            wxr.toString(),
            "--media",
            uploads.toString(),
            "--server",
            base,
            "--token",
            TOKEN);
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("1 media file(s), ");
    // Old permalinks, pretty and ?p=ID, answer with the new address; the cover image is served.
    var old = get("/2024/05/hello-world/");
    assertThat(old.statusCode()).isEqualTo(301);
    assertThat(old.headers().firstValue("Location").orElse("")).endsWith("/posts/hello-world/");
    assertThat(get("/?p=1").headers().firstValue("Location").orElse(""))
        .endsWith("/posts/hello-world/");
    await(() -> get("/posts/hello-world/").statusCode() == 200, Duration.ofSeconds(5));
    String page = get("/posts/hello-world/").body();
    assertThat(page).contains("Hello &amp; welcome").contains("<strong>the new</strong>");
    Matcher cover = Pattern.compile("/media/[0-9a-f]{64}/cat\\.jpg").matcher(page);
    assertThat(cover.find()).as(page).isTrue();
    assertThat(get(cover.group()).statusCode()).isEqualTo(200);
  }

  @Test
  @Order(11)
  void aSiteAuditRunsThroughTheApiAndItsReportIsKept() throws Exception {
    var started = api("POST", "/api/v1/crawls", "{\"url\": \"" + base + "/\", \"maxPages\": 40}");
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    String id = JSON.readTree(started.body()).get("id").asText();
    JsonNode[] job = new JsonNode[1];
    await(
        () -> {
          job[0] = JSON.readTree(api("GET", "/api/v1/crawls/" + id, null).body());
          return job[0].get("state").asText().equals("finished");
        },
        Duration.ofSeconds(60));
    JsonNode report = job[0].get("report");
    assertThat(report.get("pages").asInt()).isGreaterThan(3);
    assertThat(job[0].get("pages").asInt()).isEqualTo(report.get("pages").asInt());
    assertThat(report.get("findings").isArray()).isTrue();
    for (JsonNode f : report.get("findings")) {
      assertThat(f.get("page").asText()).startsWith(base);
      assertThat(f.get("severity").asText()).isIn("error", "warning", "info");
    }
    // The theme's pages carry their metadata: no page of the site misses a title.
    assertThat(report.get("findings").toString()).doesNotContain("missing-title");
    JsonNode list = JSON.readTree(api("GET", "/api/v1/crawls", null).body());
    assertThat(list.get("items").toString()).contains(id);
    assertThat(list.get("items").get(0).has("report")).as("lists leave reports out").isFalse();

    var bad = api("POST", "/api/v1/crawls", "{\"url\": \"ftp://example.org/\"}");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("\"field\":\"url\"");
    assertThat(api("POST", "/api/v1/crawls", "{\"depth\": 3}").body())
        .contains("unknown field 'depth'");
    assertThat(api("GET", "/api/v1/crawls/no-such-job", null).statusCode()).isEqualTo(404);
    // Only the site's host and allowed hosts may be private: the API cannot open the others.
    var inside = api("POST", "/api/v1/crawls", "{\"url\": \"http://10.0.0.1/\", \"maxPages\": 1}");
    String insideId = JSON.readTree(inside.body()).get("id").asText();
    await(
        () -> {
          job[0] = JSON.readTree(api("GET", "/api/v1/crawls/" + insideId, null).body());
          return job[0].get("state").asText().equals("finished");
        },
        Duration.ofSeconds(30));
    assertThat(job[0].get("report").get("findings").toString())
        .contains("start-unreachable")
        .contains("blocked")
        .as("nothing is said of a site that was not seen")
        .doesNotContain("missing-sitemap");
  }

  /**
   * A history of long bodies comes in answers bounded by their text (revisions-max-chars 100,000
   * here), continued with ?before=; without bodies, the whole list at once.
   */
  @Test
  @Order(31)
  void aLongHistoryComesInBoundedAnswersAndAListWithoutBodiesComesWhole() throws Exception {
    String body = "A long page. ".repeat(3_000); // 39,000 characters
    var created =
        api(
            "POST",
            "/api/v1/content",
            JSON.writeValueAsString(
                Map.of("kind", "page", "title", "Changelog", "slug", "changelog", "body", body)));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String id = JSON.readTree(created.body()).get("id").asText();
    for (int rev = 1; rev < 6; rev++) {
      var edited =
          api(
              "PUT",
              "/api/v1/content/" + id,
              JSON.writeValueAsString(Map.of("revision", rev, "body", body + rev)));
      assertThat(edited.statusCode()).as(edited.body()).isEqualTo(200);
    }
    // The list is the read model's, which follows the journal.
    await(
        () ->
            JSON.readTree(
                        api("GET", "/api/v1/content/" + id + "/revisions?bodies=false", null)
                            .body())
                    .get("items")
                    .size()
                == 6,
        Duration.ofSeconds(5));
    JsonNode first = JSON.readTree(api("GET", "/api/v1/content/" + id + "/revisions", null).body());
    assertThat(first.get("items").findValuesAsText("revision")).containsExactly("6", "5", "4");
    assertThat(first.get("more").asBoolean()).isTrue();
    assertThat(first.get("next").asLong()).isEqualTo(4);
    assertThat(first.at("/items/0/body").asText()).isEqualTo(body + 5);
    JsonNode rest =
        JSON.readTree(api("GET", "/api/v1/content/" + id + "/revisions?before=4", null).body());
    assertThat(rest.get("items").findValuesAsText("revision")).containsExactly("3", "2", "1");
    assertThat(rest.get("more").asBoolean()).isFalse();
    assertThat(rest.has("next")).isFalse();
    JsonNode listed =
        JSON.readTree(api("GET", "/api/v1/content/" + id + "/revisions?bodies=false", null).body());
    assertThat(listed.get("items")).hasSize(6);
    assertThat(listed.at("/items/0").has("body")).isFalse();
    assertThat(listed.get("more").asBoolean()).isFalse();
    var bad = api("GET", "/api/v1/content/" + id + "/revisions?bodies=no", null);
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(bad.body()).at("/error/field").asText()).isEqualTo("bodies");
  }

  @Test
  @Order(30)
  void aPostsImagesComeWithTheirSizeAndNarrowerCopiesForSmallScreens() throws Exception {
    java.awt.image.BufferedImage photo =
        new java.awt.image.BufferedImage(1800, 1200, java.awt.image.BufferedImage.TYPE_INT_RGB);
    var out = new java.io.ByteArrayOutputStream();
    javax.imageio.ImageIO.write(photo, "jpg", out);
    var up = upload(out.toByteArray(), "image/jpeg", "harbour.jpg");
    assertThat(up.statusCode()).as(up.body()).isEqualTo(201);
    String url = JSON.readTree(up.body()).get("url").asText();
    String sha = JSON.readTree(up.body()).get("sha256").asText();
    var created =
        api(
            "POST",
            "/api/v1/content",
            JSON.writeValueAsString(
                Map.of(
                    "kind", "post",
                    "title", "The harbour",
                    "slug", "the-harbour",
                    "coverImage", url,
                    "body", "Morning light.\n\n![The harbour at dawn](" + url + ")\n",
                    "status", "published")));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    await(() -> get("/posts/the-harbour/").statusCode() == 200, Duration.ofSeconds(5));
    var img =
        org.jsoup.Jsoup.parse(get("/posts/the-harbour/").body())
            .selectFirst("img[alt=The harbour at dawn]");
    assertThat(img).isNotNull();
    assertThat(img.attr("width")).isEqualTo("1800");
    assertThat(img.attr("height")).isEqualTo("1200");
    assertThat(img.hasAttr("loading")).as("the post's first image loads at once").isFalse();
    assertThat(img.attr("decoding")).isEqualTo("async");
    assertThat(img.attr("sizes")).isNotBlank();
    String w800 = "/media/" + sha + "/w800/harbour.jpg";
    assertThat(img.attr("srcset"))
        .contains(w800 + " 800w")
        .contains("/w1600/harbour.jpg 1600w")
        .endsWith(url + " 1800w");

    // The cover too, on the post and on its card on the home page (the newest post's card is
    // shown full width there). (/blog/ is redirected by a rule of an earlier test.)
    var cover =
        org.jsoup.Jsoup.parse(get("/posts/the-harbour/").body()).selectFirst(".post__cover img");
    assertThat(cover.attr("width")).isEqualTo("1800");
    // Decorative: the title is the heading right above it, and was read out twice.
    assertThat(cover.hasAttr("alt")).isTrue();
    assertThat(cover.attr("alt")).isEmpty();
    assertThat(cover.attr("srcset")).contains(w800 + " 800w");
    String home = get("/").body();
    var card =
        org.jsoup.Jsoup.parse(home).selectFirst("a.card__media[href=\"/posts/the-harbour/\"] img");
    assertThat(card).as(home).isNotNull();
    assertThat(card.attr("srcset")).contains("/w480/harbour.jpg 480w");
    assertThat(card.attr("sizes")).contains("44rem");

    // The copy a phone asks for: made at the first request, an image that wide.
    var copy =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(base + w800)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(copy.statusCode()).isEqualTo(200);
    assertThat(copy.headers().firstValue("Content-Type")).hasValue("image/jpeg");
    assertThat(copy.headers().firstValue("Cache-Control"))
        .hasValue("public, max-age=31536000, immutable");
    var shown = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(copy.body()));
    assertThat(shown.getWidth()).isEqualTo(800);
    assertThat(shown.getHeight()).isEqualTo(533);
    // Kept, it is served as the originals are: a part of it, and a 304 for the copy a browser has.
    var part =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(base + w800)).header("Range", "bytes=0-99").build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(part.statusCode()).isEqualTo(206);
    assertThat(part.body()).isEqualTo(java.util.Arrays.copyOf(copy.body(), 100));
    assertThat(part.headers().firstValue("Content-Range"))
        .hasValue("bytes 0-99/" + copy.body().length);
    String tag = copy.headers().firstValue("ETag").orElseThrow();
    var again =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(base + w800)).header("If-None-Match", tag).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(again.statusCode()).isEqualTo(304);
    // An image no wider than a copy is its own copy, for good; a width that is not one of the
    // configured ones, or what the store does not hold, is a 404.
    var small = new java.io.ByteArrayOutputStream();
    javax.imageio.ImageIO.write(
        new java.awt.image.BufferedImage(300, 200, java.awt.image.BufferedImage.TYPE_INT_RGB),
        "png",
        small);
    String smallUrl =
        JSON.readTree(upload(small.toByteArray(), "image/png", "icon.png").body())
            .get("url")
            .asText();
    var notWider = get(smallUrl.replace("/icon.png", "/w480/icon.png"));
    assertThat(notWider.statusCode()).isEqualTo(301);
    assertThat(notWider.headers().firstValue("Location")).hasValue(smallUrl);
    assertThat(get("/media/" + sha + "/w700/harbour.jpg").statusCode()).isEqualTo(404);
    assertThat(get("/media/" + "0".repeat(64) + "/w800/x.jpg").statusCode()).isEqualTo(404);
    assertThat(get("/media/" + sha + "/w800/..%2F..%2Fquire.mv.db").statusCode()).isEqualTo(404);
    assertThat(get("/media/" + sha + "/w99999999/harbour.jpg").statusCode()).isEqualTo(404);
  }

  @Test
  @Order(14)
  void uploadsThatTrickleAreCutOffAndHoldUpNoMediaReader() throws Exception {
    var stored = upload("GIF89a, read while uploads trickle".getBytes(), "image/gif", "t.gif");
    assertThat(stored.statusCode()).as(stored.body()).isEqualTo(201);
    String url = JSON.readTree(stored.body()).get("url").asText();
    int before = JSON.readTree(api("GET", "/api/v1/media", null).body()).get("total").asInt();
    // Five uploads, each sending a byte now and then, so the stall limit (30 s) never trips; this
    // server receives two at once (quire.media.max-concurrent-uploads) and cuts one off after 5 s
    // (upload-max-duration). Before uploads had a limit on the whole and threads of their own,
    // four such uploads held every media thread for as long as they went on, and a reader of
    // the site's images waited for them.
    int port = URI.create(base).getPort();
    List<java.net.Socket> uploads = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      java.net.Socket s = new java.net.Socket("127.0.0.1", port);
      s.setSoTimeout(30_000);
      s.getOutputStream()
          .write(
              ("POST /api/v1/media?filename=slow-"
                      + i
                      + ".bin HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      + "Authorization: Bearer "
                      + TOKEN
                      + "\r\n"
                      + "Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n")
                  .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      uploads.add(s);
    }
    java.util.concurrent.ScheduledExecutorService trickle =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    trickle.scheduleAtFixedRate(
        () ->
            uploads.forEach(
                s -> {
                  try {
                    s.getOutputStream().write('x');
                  } catch (java.io.IOException closed) {
                    // answered and closed by the server: nothing more to send
                  }
                }),
        0,
        200,
        java.util.concurrent.TimeUnit.MILLISECONDS);
    try {
      Thread.sleep(500);
      var read = get(url);
      assertThat(read.statusCode()).isEqualTo(200);
      long receiving = 0;
      for (java.net.Socket s : uploads) {
        receiving += s.getInputStream().available() == 0 ? 1 : 0;
      }
      assertThat(receiving)
          .as("uploads still being received when the stored image was read")
          .isGreaterThanOrEqualTo(2);
      List<String> answers = new java.util.ArrayList<>();
      for (java.net.Socket s : uploads) {
        answers.add(response(s));
      }
      assertThat(answers.stream().filter(a -> a.startsWith("HTTP/1.1 408")))
          .as("the two received, cut off at their limit: %s", answers)
          .hasSize(2)
          .allSatisfy(a -> assertThat(a).contains("quire.media.upload-max-duration (PT5S)"));
      assertThat(answers.stream().filter(a -> a.startsWith("HTTP/1.1 503")))
          .as("the other three, refused at once: %s", answers)
          .hasSize(3)
          .allSatisfy(
              a ->
                  assertThat(a)
                      .containsIgnoringCase("retry-after:")
                      .contains("quire.media.max-concurrent-uploads (2)"));
    } finally {
      trickle.shutdownNow();
      for (java.net.Socket s : uploads) {
        s.close();
      }
    }
    assertThat(JSON.readTree(api("GET", "/api/v1/media", null).body()).get("total").asInt())
        .as("nothing of them stored")
        .isEqualTo(before);
  }

  /** One HTTP/1.1 response read off {@code s}: its head and its Content-Length of body. */
  static String response(java.net.Socket s) throws java.io.IOException {
    var in = s.getInputStream();
    var out = new java.io.ByteArrayOutputStream();
    byte[] buf = new byte[1024];
    int headEnd = -1;
    int length = 0;
    while (headEnd < 0 || out.size() < headEnd + length) {
      int n = in.read(buf);
      if (n < 0) {
        break;
      }
      out.write(buf, 0, n);
      String text = out.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
      if (headEnd < 0 && text.contains("\r\n\r\n")) {
        headEnd = text.indexOf("\r\n\r\n") + 4;
        Matcher m =
            Pattern.compile("(?im)^content-length: *(\\d+)").matcher(text.substring(0, headEnd));
        length = m.find() ? Integer.parseInt(m.group(1)) : 0;
      }
    }
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  static HttpResponse<String> upload(byte[] bytes, String type, String name) throws Exception {
    return upload(base, TOKEN, bytes, type, name);
  }

  /** {@code POST /api/v1/media} of {@code bytes} as {@code type} to the site at {@code base}. */
  static HttpResponse<String> upload(
      String base, String token, byte[] bytes, String type, String name) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(base + "/api/v1/media?filename=" + name))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", type)
            .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @Order(20)
  void h2KeepsEventPayloadsAndPageTextInTheRow() throws Exception {
    // H2 sends BLOB/CLOB values over 256 bytes to a separate LOB store by default: a copy per
    // insert and a cleaner thread, ~40% of the write throughput in bench/writes.sh. The content
    // role raises the limit at every start; this fails if that stops happening.
    assertThat(h2Setting("MAX_LENGTH_INPLACE_LOB"))
        .isEqualTo(
            String.valueOf(
                node.system().settings().config().getInt("quire.db.h2-inplace-lob-bytes")));
  }

  @Test
  @Order(20)
  void h2WritesEveryCommitAtOnceSkipsCompactionAtCloseAndKeepsASmallCache() throws Exception {
    // The embedded default's URL: WRITE_DELAY=0 is what makes an acknowledged write durable (see
    // KillNineTest), and MAX_COMPACT_TIME=0 saves ~0.4 s at every stop (reference.conf).
    assertThat(h2Setting("WRITE_DELAY")).isEqualTo("0");
    assertThat(h2Setting("MAX_COMPACT_TIME")).isEqualTo("0");
    // The page cache the content role sets at every start (H2 reports it in MB).
    assertThat(h2Setting("info.CACHE_MAX_SIZE"))
        .isEqualTo(
            String.valueOf(
                node.system().settings().config().getInt("quire.db.h2-cache-kb") / 1024));
  }

  /** A setting of the running H2 database, as INFORMATION_SCHEMA.SETTINGS reports it. */
  private static String h2Setting(String name) throws Exception {
    try (var c = node.content().dataSource().getConnection();
        var st =
            c.prepareStatement(
                "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = ?")) {
      st.setString(1, name);
      try (var rs = st.executeQuery()) {
        assertThat(rs.next()).as("H2 setting " + name).isTrue();
        return rs.getString(1);
      }
    }
  }

  private static String publishNew(String slug, String title, String body) throws Exception {
    var created =
        api(
            "POST",
            "/api/v1/content",
            JSON.writeValueAsString(
                Map.of("kind", "post", "title", title, "slug", slug, "body", body)));
    assertThat(created.statusCode()).isEqualTo(201);
    String id = JSON.readTree(created.body()).get("id").asText();
    assertThat(api("POST", "/api/v1/content/" + id + "/publish", "{\"revision\":1}").statusCode())
        .isEqualTo(200);
    return id;
  }

  /**
   * The rye loaf among a post's related posts ({@code semantic/related.peb}'s list), not in the
   * links to the next newer and older post under it, which name it too.
   */
  static final String RELATED_RYE = "<li><a href=\"/posts/rye-loaf/\">";

  /** The JSON of a page's one {@code application/ld+json} script. */
  static JsonNode jsonLd(String page) throws Exception {
    var m =
        java.util.regex.Pattern.compile(
                "<script type=\"application/ld\\+json\">(.*?)</script>",
                java.util.regex.Pattern.DOTALL)
            .matcher(page);
    assertThat(m.find()).as("structured data in the page").isTrue();
    JsonNode node = JSON.readTree(m.group(1));
    assertThat(m.find()).as("one script of it").isFalse();
    return node;
  }

  /**
   * The site's search page and its API, on the bread and index posts above, with the real model:
   * meaning finds what no word of an item does, words find prefixes, and the page says which found
   * each result.
   */
  private static void siteSearchFindsWordsAndMeaning() throws Exception {
    // No title, tag, description or text holds "baking" or "home": only meaning can find the
    // bread.
    String byMeaning = get("/search/?q=" + query("baking bread at home")).body();
    assertThat(byMeaning)
        .containsAnyOf("href=\"/posts/sourdough-basics/\"", "href=\"/posts/rye-loaf/\"")
        .contains("Close in meaning")
        .doesNotContain("href=\"/posts/index-tuning/\"")
        .doesNotContain("search-results__notice");
    // A word's start, as a reader types it.
    String byWords = get("/search/?q=tun").body();
    assertThat(byWords).contains("href=\"/posts/index-tuning/\"").contains("Matches your words");
    // The results alone, as the page's script asks for them as the reader types: the same
    // results region and the page's title, without the rest of the page.
    var live = get("/search/live/?q=tun");
    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(live.headers().firstValue("X-Robots-Tag")).hasValue("noindex");
    assertThat(live.body())
        .contains("<section id=\"search-results\">")
        .contains("href=\"/posts/index-tuning/\"")
        .contains("Matches your words")
        .contains("<title>Search: tun")
        .doesNotContain("<form")
        .doesNotContain("<footer")
        .hasSizeLessThan(byWords.length() / 2);
    var liveMoved = get("/search/live?q=tun");
    assertThat(liveMoved.statusCode()).isEqualTo(301);
    assertThat(liveMoved.headers().firstValue("Location")).hasValue("/search/live/?q=tun");
    // A draft is not on the site, so not in its search either.
    assertThat(get("/search/?q=" + query("Not yet")).body()).doesNotContain("not-yet");

    var api = JSON.readTree(api("GET", "/api/v1/search?q=sourdough&k=3", null).body());
    assertThat(api.at("/items/0/slug").asText()).isEqualTo("sourdough-basics");
    assertThat(api.at("/items/0/url").asText()).isEqualTo("/posts/sourdough-basics/");
    assertThat(api.at("/items/0/matched/0").asText()).isEqualTo("words");
    assertThat(api.get("meaning").asBoolean()).isTrue();
    assertThat(api.has("notice")).isFalse();
    var tooMany = api("GET", "/api/v1/search?q=x&k=51", null);
    assertThat(tooMany.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(tooMany.body()).at("/error/field").asText()).isEqualTo("k");

    // What the reader typed comes back escaped, in the box and in the summary.
    String typed = get("/search/?q=" + query("<b>bold</b> \"quoted\"")).body();
    // Its search landmarks (the page's; the header's where the theme has one) are named, apart.
    var landmarks = org.jsoup.Jsoup.parse(typed).select("[role=search]");
    assertThat(landmarks).isNotEmpty();
    assertThat(landmarks.eachAttr("aria-label"))
        .hasSameSizeAs(landmarks)
        .doesNotHaveDuplicates()
        .doesNotContain("");
    assertThat(typed)
        .contains("value=\"&lt;b&gt;bold&lt;/b&gt; &quot;quoted&quot;\"")
        .doesNotContain("<b>bold</b>");
    // A NUL (an HTML parse error) or an escape comes back as a space.
    String nul = get("/search/?q=a%00b%1Bc").body();
    assertThat(nul).contains("value=\"a b c\"").doesNotContain("\u0000").doesNotContain("\u001b");
    var tooLong = get("/search/?q=" + "a".repeat(201));
    assertThat(tooLong.statusCode()).isEqualTo(400);
    assertThat(tooLong.body()).contains("q: at most 200 characters, was 201 characters");
    // A query that is not valid percent-encoding: the theme's 400, never a 500 (sent raw: the
    // client refuses it). Pekko's request parser refuses it before any route; the search reads
    // its query defensively as well.
    for (String bad : List.of("100%", "%ZZ")) {
      String answer = raw("GET /search/?q=" + bad + " HTTP/1.1\r\nHost: x\r\n");
      assertThat(answer).startsWith("HTTP/1.1 400").contains("class=\"error\"");
    }
    var moved = get("/search?q=tun");
    assertThat(moved.statusCode()).isEqualTo(301);
    assertThat(moved.headers().firstValue("Location")).hasValue("/search/?q=tun");
    var page = get("/search/");
    assertThat(page.headers().firstValue("X-Robots-Tag")).hasValue("noindex");
    assertThat(page.body()).contains("data-live-search=").contains("/assets/js/search.");
    // Every page has the box.
    assertThat(get("/").body()).contains("<form class=\"site-search\" action=\"/search/\"");
  }

  private static String query(String text) {
    return java.net.URLEncoder.encode(text, java.nio.charset.StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------- helpers

  /** Posts one redirect rule through the API. */
  static HttpResponse<String> postRedirect(String from, String to) throws Exception {
    return api(
        "POST", "/api/v1/redirects", JSON.writeValueAsString(Map.of("from", from, "to", to)));
  }

  static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(base + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(String path, Map<String, String> headers) throws Exception {
    var b = HttpRequest.newBuilder(URI.create(base + path));
    headers.forEach(b::header);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The newest post unpublished: the feed and the blog's sitemap entry do not go back in time. */
  @Test
  void aFeedsUpdatedTimeDoesNotGoBackWhenItsNewestPostLeaves() throws Exception {
    var created =
        api(
            "POST",
            "/api/v1/content",
            "{\"kind\":\"post\",\"title\":\"Here and gone\",\"slug\":\"here-and-gone\","
                + "\"status\":\"published\"}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String id = JSON.readTree(created.body()).get("id").asText();
    awaitSiteFollowed("here-and-gone", "published");
    Instant before = feedUpdated();
    var gone = api("POST", "/api/v1/content/" + id + "/unpublish", "{\"revision\":2}");
    assertThat(gone.statusCode()).as(gone.body()).isEqualTo(200);
    awaitSiteFollowed("here-and-gone", "draft");
    assertThat(get("/posts/here-and-gone/").statusCode()).isEqualTo(404);
    assertThat(feedUpdated()).as("changed when the post left, not before").isAfter(before);
    var home =
        java.util.regex.Pattern.compile(
                "<loc>http://localhost:8080/</loc><lastmod>([^<]+)</lastmod>")
            .matcher(get("/sitemap.xml").body());
    assertThat(home.find()).isTrue();
    assertThat(java.time.OffsetDateTime.parse(home.group(1)).toInstant())
        .as("the home page's lastmod too")
        .isAfter(before);
  }

  /** The newest post of a tag loses it: the tag's feed and sitemap entry do not go back. */
  @Test
  void aTagsFeedAndSitemapEntryDoNotGoBackWhenItsNewestPostLosesTheTag() throws Exception {
    for (String slug : List.of("tag-stays", "tag-goes")) {
      var created =
          api(
              "POST",
              "/api/v1/content",
              "{\"kind\":\"post\",\"title\":\""
                  + slug
                  + "\",\"slug\":\""
                  + slug
                  + "\",\"tags\":[\"Left Behind\"],\"status\":\"published\"}");
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
      awaitSiteFollowed(slug, "published");
    }
    String goes =
        JSON.readTree(api("GET", "/api/v1/content?q=tag-goes", null).body())
            .at("/items/0/id")
            .asText();
    Instant before = feedUpdated("/tags/left-behind/feed.xml");
    var edited = api("PUT", "/api/v1/content/" + goes, "{\"revision\":2,\"tags\":[]}");
    assertThat(edited.statusCode()).as(edited.body()).isEqualTo(200);
    await(
        () -> !get("/tags/left-behind/").body().contains("/posts/tag-goes/"),
        Duration.ofSeconds(10));
    assertThat(feedUpdated("/tags/left-behind/feed.xml"))
        .as("changed when the post left the tag, not when the one left under it was published")
        .isAfter(before);
    var tag =
        java.util.regex.Pattern.compile(
                "<loc>http://localhost:8080/tags/left-behind/</loc><lastmod>([^<]+)</lastmod>")
            .matcher(get("/sitemap.xml").body());
    assertThat(tag.find()).isTrue();
    assertThat(java.time.OffsetDateTime.parse(tag.group(1)).toInstant()).isAfter(before);
  }

  private static Instant feedUpdated() throws Exception {
    return feedUpdated("/feed.xml");
  }

  private static Instant feedUpdated(String path) throws Exception {
    String feed = get(path).body();
    var m = java.util.regex.Pattern.compile("<updated>([^<]+)</updated>").matcher(feed);
    assertThat(m.find()).isTrue();
    return Instant.parse(m.group(1));
  }

  @Test
  void theApiSaysTheLimitsItsItemsAreCheckedAgainst() throws Exception {
    var limits = api("GET", "/api/v1/limits", null);
    assertThat(limits.statusCode()).isEqualTo(200);
    JsonNode c = JSON.readTree(limits.body()).get("content");
    var configured =
        dev.quire.protocol.ContentRules.Limits.fromConfig(node.system().settings().config());
    assertThat(c.get("titleChars").asInt()).isEqualTo(configured.maxTitle());
    assertThat(c.get("bodyChars").asInt()).isEqualTo(configured.maxBody());
    assertThat(c.get("markdownNesting").asInt()).isEqualTo(configured.maxNesting());
    assertThat(api("GET", "/api/v1/limits", null, "wrong").statusCode()).isEqualTo(401);
  }

  /** CRLF from a Windows client is stored as the admin and the import store it: LF. */
  @Test
  void aBodySentWithCarriageReturnsIsStoredWithLineFeeds() throws Exception {
    var created =
        api(
            "POST",
            "/api/v1/content",
            "{\"kind\":\"post\",\"title\":\"Windows\",\"slug\":\"windows-line-ends\","
                + "\"body\":\"one\\r\\ntwo\\rthree\\n\"}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode item = JSON.readTree(created.body());
    assertThat(item.get("body").asText()).isEqualTo("one\ntwo\nthree\n");
    var edited =
        api(
            "PUT",
            "/api/v1/content/" + item.get("id").asText(),
            "{\"revision\":1,\"body\":\"one\\r\\ntwo\\r\\nthree\\r\\n\"}");
    assertThat(edited.statusCode()).as(edited.body()).isEqualTo(200);
    assertThat(JSON.readTree(edited.body()).get("revision").asLong())
        .as("the same text with other line ends is no change")
        .isEqualTo(1);
  }

  @Test
  @Order(12)
  void aBodyOfTheWrongShapeIsTurnedAwayNamingTheFieldInTheApisWords() throws Exception {
    Map<String, String[]> cases = new java.util.LinkedHashMap<>();
    cases.put(
        "{\"kind\":\"post\",\"title\":\"T\",\"tags\":\"a,b\"}",
        new String[] {"tags", "must be a list of strings"});
    cases.put(
        "{\"kind\":\"post\",\"title\":\"T\",\"tags\":[1]}",
        new String[] {"tags", "must be a list of strings"});
    cases.put("[]", new String[] {"", "the body must be a JSON object"});
    cases.put("null", new String[] {"", "the body must be a JSON object"});
    cases.put(
        "{\"kind\":\"post\",\"title\":\"T\",\"status\":\"scheduled\",\"at\":\"garbage\"}",
        new String[] {"at", "must be an ISO-8601 instant"});
    cases.put("{\"kind\":\"post\",\"title\":123}", new String[] {"title", "must be a string"});
    // Numbers are taken as sent too: text, a fraction or a number of seconds are refused.
    cases.put(
        "{\"kind\":\"post\",\"title\":\"T\",\"revision\":\"6\"}",
        new String[] {"revision", "must be a whole number"});
    cases.put(
        "{\"kind\":\"post\",\"title\":\"T\",\"revision\":5.9}",
        new String[] {"revision", "must be a whole number"});
    cases.put(
        "{\"kind\":\"post\",\"title\":\"T\",\"status\":\"scheduled\",\"at\":1893456000000}",
        new String[] {"at", "must be an ISO-8601 instant"});
    cases.put(
        "{\"kind\":\"post\",\"title\":\"One\",\"title\":\"Two\"}",
        new String[] {"", "the key 'title' is given twice"});
    cases.put(
        "{\"kind\":\"post\",\"title\":\"T\",\"coverImage\":\"javascript:alert(1)\"}",
        new String[] {"coverImage", "coverImage: must be a relative path"});
    for (var c : cases.entrySet()) {
      var r = api("POST", "/api/v1/content", c.getKey());
      assertThat(r.statusCode()).as(c.getKey()).isEqualTo(400);
      JsonNode error = JSON.readTree(r.body()).get("error");
      assertThat(error.get("field").asText()).as(c.getKey()).isEqualTo(c.getValue()[0]);
      assertThat(error.get("message").asText())
          .as(c.getKey())
          .contains(c.getValue()[1])
          .doesNotContain("java.")
          .doesNotContain("dev.quire")
          .doesNotContain("Exception");
    }
    // The modules that read their bodies as trees take values as sent too.
    String[][] others = {
      {"/api/v1/crawls", "{\"maxPages\":\"ten\"}", "maxPages", "must be a whole number"},
      {"/api/v1/crawls", "{\"maxPages\":4294967297}", "maxPages", "is out of range"},
      {
        "/api/v1/crawls",
        "{\"verifyCitations\":\"yes\"}",
        "verifyCitations",
        "must be true or false"
      },
      {"/api/v1/crawls", "{\"url\":7}", "url", "must be a string"},
      {
        "/api/v1/redirects",
        "{\"from\":\"/a/\",\"to\":\"/b/\",\"status\":\"301\"}",
        "status",
        "must be a whole number"
      },
      {
        "/api/v1/redirects",
        "{\"redirects\":[{\"from\":\"/a/\",\"to\":7}]}",
        "redirects[0].to",
        "must be a string"
      },
      {"/api/v1/redirects", "{\"redirects\":[],\"status\":302}", "status", "unknown field"},
    };
    for (String[] c : others) {
      var r = api("POST", c[0], c[1]);
      assertThat(r.statusCode()).as(c[1]).isEqualTo(400);
      JsonNode error = JSON.readTree(r.body()).get("error");
      assertThat(error.get("field").asText()).as(c[1]).isEqualTo(c[2]);
      assertThat(error.get("message").asText()).as(c[1]).contains(c[3]);
    }
    // Deeper in a body: a break in the JSON is named by line and column (it was called a value
    // of the wrong type), a value by its whole path, and a list of objects is not "of strings".
    String[][] nested = {
      {
        "PUT",
        "/api/v1/menus/test",
        "{\"links\":[{\"label\":\"L\",\"url\":\"/a/\"x}]}",
        "",
        "not valid JSON at line 1"
      },
      {
        "POST",
        "/api/v1/content",
        "{\"kind\":\"post\",\"title\":\"ok\",\"tags\":[\"a\" \"b\"]}",
        "",
        "not valid JSON at line 1"
      },
      {"PUT", "/api/v1/menus/test", "{\"links\":[1]}", "links[0]", "must be an object"},
      {"PUT", "/api/v1/menus/test", "{\"links\":\"x\"}", "links", "must be a list"},
      {
        "PUT",
        "/api/v1/menus/test",
        "{\"links\":[{\"label\":\"L\",\"url\":\"/a/\",\"x\":1}]}",
        "links[0].x",
        "unknown field 'x'"
      },
    };
    for (String[] c : nested) {
      var r = api(c[0], c[1], c[2]);
      assertThat(r.statusCode()).as(c[2]).isEqualTo(400);
      JsonNode error = JSON.readTree(r.body()).get("error");
      assertThat(error.get("field").asText()).as(c[2]).isEqualTo(c[3]);
      assertThat(error.get("message").asText())
          .as(c[2])
          .contains(c[4])
          .doesNotContain("list of strings");
    }
    // A number too large for its field is the field's fault, not a break in the JSON.
    var tooBig = api("PUT", "/api/v1/settings", "{\"homePosts\": 3000000000}");
    assertThat(tooBig.statusCode()).as(tooBig.body()).isEqualTo(400);
    assertThat(JSON.readTree(tooBig.body()).at("/error/field").asText()).isEqualTo("homePosts");
    assertThat(JSON.readTree(tooBig.body()).at("/error/message").asText())
        .doesNotContain("not valid JSON");
    // A method the path does not take: 405, and Allow names HEAD too (answered as GET).
    // A URL the HTTP parser cannot read gets the theme's page too (sent raw: the client refuses
    // it).
    String unreadable = raw("GET /%ZZ/ HTTP/1.1\r\nHost: x\r\n");
    assertThat(unreadable).startsWith("HTTP/1.1 400").contains("text/html");
    assertThat(unreadable).contains("The address could not be read").contains("class=\"error\"");
    // Under the API, the same refusal in the API's JSON.
    String apiUnreadable = raw("GET /api/v1/search?q=a%2 HTTP/1.1\r\nHost: x\r\n");
    assertThat(apiUnreadable)
        .startsWith("HTTP/1.1 400")
        .contains("Content-Type: application/json")
        .contains(
            "{\"error\":{\"code\":\"invalid\",\"field\":\"url\","
                + "\"message\":\"The address could not be read");
    var emptySlug = api("GET", "/api/v1/content?slug=", null);
    assertThat(emptySlug.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(emptySlug.body()).at("/error/field").asText()).isEqualTo("slug");
    var notAllowed = api("DELETE", "/api/v1/content", null);
    assertThat(notAllowed.statusCode()).isEqualTo(405);
    assertThat(notAllowed.headers().firstValue("Allow").orElseThrow()).contains("GET, HEAD");
    // Outside the API too, as the theme's error page.
    var posted = api("POST", "/", "{}");
    assertThat(posted.statusCode()).isEqualTo(405);
    assertThat(posted.headers().firstValue("Allow").orElseThrow()).isEqualTo("GET, HEAD");
    assertThat(posted.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/html");
    assertThat(posted.body()).contains("This address answers GET, HEAD only.");
    // Several fields at fault: each is listed with its own message, in the API's names.
    var several =
        api(
            "POST",
            "/api/v1/content",
            "{\"kind\":\"post\",\"title\":\"\",\"coverImage\":\"javascript:alert(1)\"}");
    assertThat(several.statusCode()).isEqualTo(400);
    JsonNode severalError = JSON.readTree(several.body()).get("error");
    assertThat(severalError.get("field").asText()).isEqualTo("title");
    assertThat(severalError.get("errors").findValuesAsText("field"))
        .containsExactly("title", "coverImage");
    // The server answers 413 on the declared length and closes the connection without reading
    // the rest; a client still writing the body may then lose the answer to the reset (seen once
    // in CI: "header parser received no bytes"). A transport race, not the server's answer: tried
    // again, up to three times. (JDK 17's client waiting for "100 Continue" hung instead.)
    HttpResponse<String> huge = null;
    for (int attempt = 1; huge == null; attempt++) {
      try {
        huge =
            api(
                "POST",
                "/api/v1/content",
                JSON.writeValueAsString(Map.of("kind", "post", "title", "x".repeat(1_100_000))));
      } catch (java.io.IOException reset) {
        if (attempt == 3) {
          throw reset;
        }
      }
    }
    assertThat(huge.statusCode()).isEqualTo(413);
    JsonNode tooLarge = JSON.readTree(huge.body()).get("error");
    assertThat(tooLarge.get("field").asText()).isEqualTo("body");
    assertThat(tooLarge.get("message").asText())
        .isEqualTo(
            "is larger than the limit of 1048576 bytes (the whole request as sent, its JSON"
                + " escapes included)");
  }

  /** The whole answer to a request written to the socket as given, without a body. */
  static String raw(String head) throws Exception {
    var uri = URI.create(base);
    try (var socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout(10_000);
      socket
          .getOutputStream()
          .write(
              (head + "Connection: close\r\n\r\n")
                  .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return new String(
          socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  static HttpResponse<String> api(String method, String path, String body) throws Exception {
    return api(method, path, body, TOKEN);
  }

  static HttpResponse<String> api(String method, String path, String body, String token)
      throws Exception {
    return apiAt(base, method, path, body, token);
  }

  /** An API call with {@code token} to the server at {@code at} (another test's server). */
  static HttpResponse<String> apiAt(
      String at, String method, String path, String body, String token) throws Exception {
    var b =
        HttpRequest.newBuilder(URI.create(at + path)).header("Authorization", "Bearer " + token);
    if (body != null) {
      b.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Waits until the read model holds {@code slug} in {@code status} and the site has followed the
   * read model at least that far: from then on, what the site does not show, it does not show on
   * purpose.
   */
  static void awaitSiteFollowed(String slug, String status) throws Exception {
    long[] seq = {-1};
    await(
        () -> {
          try (var c = node.content().dataSource().getConnection();
              var ps =
                  c.prepareStatement(
                      "SELECT seq FROM content_item WHERE slug = ? AND status = ?")) {
            ps.setString(1, slug);
            ps.setString(2, status);
            try (var rs = ps.executeQuery()) {
              if (!rs.next()) {
                return false;
              }
              seq[0] = rs.getLong(1);
              return true;
            }
          }
        },
        Duration.ofSeconds(10));
    await(() -> node.gateway().site().snapshot().seq() >= seq[0], Duration.ofSeconds(10));
  }

  /** A PDF's text in reading order (a bold run is another font's, written after its line). */
  static String textOf(org.apache.pdfbox.pdmodel.PDDocument doc) throws java.io.IOException {
    var stripper = new org.apache.pdfbox.text.PDFTextStripper();
    stripper.setSortByPosition(true);
    return stripper.getText(doc);
  }

  interface Check {
    boolean ok() throws Exception;
  }

  static void await(Check check, Duration within) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      if (check.ok()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not true within " + within);
      }
      Thread.sleep(20);
    }
  }
}
