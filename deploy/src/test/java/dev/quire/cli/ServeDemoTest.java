package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quire serve --demo} on an empty data directory, run as {@code quire} runs it, in a JVM of
 * its own, without the embedding role: {@code /healthz} says ready only once the site it serves
 * holds the demo (it once answered 200 for the empty site for about half a second, while the demo
 * was still being written); the site's search then matches words alone and says so, on the page and
 * live in a real browser ({@link LiveSearchBrowser}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServeDemoTest {

  @TempDir static Path demoDir;
  static Process serve;
  static String base;

  /** The same demo served with the templates' indentation kept (the default drops it). */
  static Process indented;

  static String indentedBase;
  static final HttpClient HTTP =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(2))
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();

  @BeforeAll
  static void start() throws Exception {
    int port = EmbeddingRoleClusterTest.freePort();
    serve =
        TestJvm.serveDemo(
            demoDir,
            port,
            Map.of(
                "QUIRE_API_TOKEN",
                "demo-test-token-0123456789",
                "QUIRE_EMBEDDING_ENABLED",
                "false",
                // One address for both servers, whose pages are compared below.
                "QUIRE_BASE_URL",
                "http://localhost:8080"));
    base = "http://127.0.0.1:" + port;
    Path indentedDir = Files.createDirectories(indentedDir());
    int indentedPort = EmbeddingRoleClusterTest.freePort();
    indented =
        TestJvm.serveDemo(
            indentedDir,
            indentedPort,
            Map.of(
                "QUIRE_API_TOKEN",
                "demo-test-token-0123456789",
                "QUIRE_EMBEDDING_ENABLED",
                "false",
                "QUIRE_TRIM_TEMPLATE_INDENTATION",
                "false",
                "QUIRE_BASE_URL",
                "http://localhost:8080"));
    indentedBase = "http://127.0.0.1:" + indentedPort;
  }

  @AfterAll
  static void stop() throws Exception {
    for (Process p : new Process[] {serve, indented}) {
      if (p == null) {
        continue; // start() failed before it: its error is the one to read
      }
      p.destroy();
      p.waitFor(60, TimeUnit.SECONDS);
    }
  }

  @Test
  @Order(1)
  void healthzIsReadyOnlyOnceTheDemoIsServed() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (status(HTTP, base + "/healthz") != 200) {
      assertThat(serve.isAlive()).as("serve exited early; see serve.log").isTrue();
      assertThat(System.nanoTime()).as("never ready").isLessThan(deadline);
      Thread.sleep(10);
    }
    // The first moment it says ready, the demo is there.
    assertThat(status(HTTP, base + "/posts/welcome-to-quire/")).isEqualTo(200);
    assertThat(Files.readString(demoDir.resolve("serve.log"))).contains("Demo content: ");
    // The demo's files are copied to a temporary folder for the importer, which is gone once
    // they are in (each start left one behind until 2026-12-07).
    try (var left = Files.list(TestJvm.tempDir(demoDir))) {
      assertThat(left.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("quire-demo")))
          .isEmpty();
    }
  }

  @Test
  @Order(2)
  void withSemanticSearchTurnedOffSearchMatchesWordsWithoutANotice() throws Exception {
    ready();
    String page = body("/search/?q=markdown");
    // QUIRE_EMBEDDING_ENABLED=false: the site chose words alone, so nothing is said to be
    // missing (a site expecting the embedding role and not reaching it says so: SearchModuleTest).
    assertThat(page)
        .contains("href=\"/posts/writing-in-markdown/\"")
        .contains("href=\"/markdown-style-guide/\"")
        .contains("Matches your words")
        .doesNotContain("Close in meaning")
        .doesNotContain("search by meaning");
    assertThat(body("/search/?q=xyzzy")).contains("Nothing found for “xyzzy”.");
    // A word only the text of a post holds (its first paragraph: "...before the tunnel."), found
    // without the search by meaning.
    assertThat(body("/search/?q=tunnel"))
        .contains("href=\"/posts/fast-pages/\"")
        .contains("Matches your words");
    // A page is found like a post; a draft is not found at all.
    assertThat(body("/search/?q=about")).contains("href=\"/about/\"");
    // More than a page of results: the page says how many were found, shows the first ten and
    // links to the rest (it said "10 results" where more matched, with no way to the others).
    String first = body("/search/?q=the");
    var found = java.util.regex.Pattern.compile("(\\d+) results for").matcher(first);
    assertThat(found.find()).as(first).isTrue();
    int total = Integer.parseInt(found.group(1));
    assertThat(total).isGreaterThan(10);
    assertThat(first.split("class=\"search-result\"", -1)).hasSize(11);
    assertThat(first).contains("href=\"/search/?q=the&amp;page=2\" rel=\"next\"");
    String second = body("/search/?q=the&page=2");
    assertThat(second).contains(total + " results for").contains("start=\"11\"");
    assertThat(second.split("class=\"search-result\"", -1)).hasSize(1 + Math.min(10, total - 10));
    assertThat(second).contains("href=\"/search/?q=the\" rel=\"prev\"");
    assertThat(status(HTTP, base + "/search/?q=the&page=0")).isEqualTo(400);
    assertThat(status(HTTP, base + "/search/?q=the&page=x")).isEqualTo(400);
    // Past the last page, as the blog's: a 404 (a page far past it overflowed into a 500).
    assertThat(status(HTTP, base + "/search/?q=the&page=" + (total / 10 + 2))).isEqualTo(404);
    assertThat(status(HTTP, base + "/search/?q=the&page=2147483647")).isEqualTo(404);
    assertThat(status(HTTP, base + "/search/?q=&page=2147483647")).isEqualTo(404);
    assertThat(body("/search/?q=" + "reader+survey")).doesNotContain("/posts/reader-survey/");
  }

  @Test
  @Order(2)
  void eachPostLinksToTheNextNewerAndOlderPost() throws Exception {
    ready();
    // fast-pages (2026-08-25) sits between accessibility-checklist and moving-from-wordpress.
    assertThat(body("/posts/fast-pages/"))
        .contains("<nav class=\"post-nav\" aria-label=\"More posts\">")
        .contains("class=\"post-nav__older\" href=\"/posts/accessibility-checklist/\"")
        .contains("class=\"post-nav__newer\" href=\"/posts/moving-from-wordpress/\"");
    // The newest has no newer post, the oldest no older one; pages have neither.
    assertThat(body("/posts/welcome-to-quire/"))
        .contains("class=\"post-nav__older\" href=\"/posts/from-edit-to-page/\"")
        .doesNotContain("post-nav__newer");
    assertThat(body("/posts/event-sourcing-in-sql/"))
        .contains("class=\"post-nav__newer\" href=\"/posts/backups-you-can-read/\"")
        .doesNotContain("post-nav__older");
    assertThat(body("/about/")).doesNotContain("post-nav");
  }

  @Test
  @Order(2)
  void theDemosAuthorsHaveTheirPagesAndItsTagsAnIndex() throws Exception {
    ready();
    assertThat(body("/posts/fast-pages/"))
        .contains(
            "<a href=\"/authors/mira-quill/\" rel=\"author\" class=\"meta__author\">Mira Quill</a>");
    String mira = body("/authors/mira-quill/");
    assertThat(mira)
        .contains("Posts by Mira Quill")
        .contains("href=\"/posts/fast-pages/\"")
        .contains("href=\"/posts/backups-you-can-read/\"")
        .doesNotContain("href=\"/posts/welcome-to-quire/\"");
    assertThat(body("/tags/"))
        .contains(
            "<a href=\"/tags/backups/\">backups</a> <span class=\"tag-index__count\">1 post</span>")
        .contains("<a href=\"/tags/quire/\">quire</a>");
    assertThat(body("/authors/"))
        .contains(
            "<a href=\"/authors/mira-quill/\">Mira Quill</a> <span class=\"tag-index__count\">2"
                + " posts</span>")
        .contains("<a href=\"/authors/the-quire-team/\">The Quire team</a>");
    // The archive of the demo's months, linked from the blog.
    assertThat(body("/blog/")).contains("<a href=\"/archive/\" id=\"archive-link\">Archive</a>");
    assertThat(body("/archive/"))
        .contains("id=\"y2026\"")
        .contains("<a href=\"/archive/2026/11/\">November</a>")
        .contains("<a href=\"/archive/2026/04/\">April</a>")
        .doesNotContain("2099");
    assertThat(body("/archive/2026/11/"))
        .contains("<title>November 2026 · ")
        .contains("href=\"/posts/welcome-to-quire/\"");
  }

  @Test
  @Order(2)
  void theDefaultThemeNamesEachPagesOwnCard() throws Exception {
    ready();
    // Search landmarks are named: the header's on every page, the search page's own there.
    assertThat(org.jsoup.Jsoup.parse(body("/")).select("[role=search]").eachAttr("aria-label"))
        .containsExactly("Search");
    assertThat(
            org.jsoup.Jsoup.parse(body("/search/?q=markdown"))
                .select("[role=search]")
                .eachAttr("aria-label"))
        .containsExactly("Search posts and pages");
    assertThat(body("/about/"))
        .contains(
            "<meta property=\"og:image\" content=\"http://localhost:8080/og/pages/about.png\">");
    var card =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/og/pages/about.png"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(card.statusCode()).isEqualTo(200);
    assertThat(javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(card.body())).getWidth())
        .isEqualTo(1200);
  }

  /**
   * Dropping the built-in theme's indentation ({@code quire.gateway.trim-template-indentation}, on
   * by default) changes no page a reader sees: the same elements with the same attributes, the same
   * text with the same spaces between words, and preformatted text, scripts and styles byte for
   * byte, on the public pages and the sign-in form, against the same demo served with the
   * indentation kept. And the pages are smaller.
   */
  @Test
  @Order(2)
  void pagesWithoutTheTemplatesIndentationShowTheSame() throws Exception {
    ready();
    ready(indentedBase);
    long trimmed = 0;
    long kept = 0;
    for (String path :
        List.of(
            "/",
            "/blog/",
            "/blog/page/2/",
            "/posts/welcome-to-quire/",
            "/markdown-style-guide/",
            "/about/",
            "/tags/markdown/",
            "/archive/",
            "/archive/2026/11/",
            "/search/?q=markdown",
            "/search/?q=xyzzy",
            "/no-such-page/",
            "/admin/login")) {
      int status = path.equals("/no-such-page/") ? 404 : 200;
      String a = page(base, path, status);
      String b = page(indentedBase, path, status);
      assertSameShown(path, a, b);
      trimmed += a.length();
      kept += b.length();
    }
    assertThat(trimmed).as("bytes without indentation").isLessThan(kept * 9 / 10);
    // The admin's pages, signed in on each: those with text areas and the body's line diff too,
    // after the same edit on both.
    AdminForms[] admins = {signedIn(base, demoDir), signedIn(indentedBase, indentedDir())};
    String[] edits = new String[2];
    for (int i = 0; i < 2; i++) {
      var list = admins[i].get("/admin/content/");
      var link = org.jsoup.Jsoup.parse(list.body()).selectFirst("a:containsOwn(Welcome to Quire)");
      assertThat(link).as(list.body()).isNotNull();
      edits[i] = link.attr("href");
      String id = edits[i].replaceAll(".*/content/([^/]+)/.*", "$1");
      String at = i == 0 ? base : indentedBase;
      String itemPath = "/api/v1/content/" + id;
      var json =
          new com.fasterxml.jackson.databind.ObjectMapper()
              .readTree(
                  EndToEndTest.apiAt(at, "GET", itemPath, null, "demo-test-token-0123456789")
                      .body());
      var edit =
          EndToEndTest.apiAt(
              at,
              "PUT",
              itemPath,
              "{\"revision\":"
                  + json.get("revision").asInt()
                  + ",\"tags\":[\"quire\",\"news\"]"
                  + ",\"date\":\"2026-11-03T09:00:00Z\""
                  + ",\"body\":"
                  + new com.fasterxml.jackson.databind.ObjectMapper()
                      .writeValueAsString(json.get("body").asText() + "\n\n    indented line\n")
                  + "}",
              "demo-test-token-0123456789");
      assertThat(edit.statusCode()).as(edit.body()).isEqualTo(200);
    }
    for (String path :
        List.of(
            // (The content list is left out: items the demo wrote in the same millisecond come
            // in either order.)
            "/admin/menus/",
            "/admin/settings/",
            "/admin/media/",
            "/admin/redirects/",
            "/admin/users/",
            "/admin/account",
            "{edit}",
            "{edit}history",
            "{edit}diff?from=1")) {
      var a = admins[0].get(path.replace("{edit}", edits[0]));
      var b = admins[1].get(path.replace("{edit}", edits[1]));
      assertThat(a.statusCode()).as(path).isEqualTo(200);
      assertThat(b.statusCode()).as(path).isEqualTo(200);
      assertSameShown(path, a.body(), b.body());
      if (path.startsWith("{edit}diff")) {
        var diff = org.jsoup.Jsoup.parse(a.body());
        assertThat(diff.select("pre.diff").text())
            .as("the body's line diff was compared")
            .contains("indented line");
        // Fields as the edit form shows them: named in words, tags listed, a date in the site's
        // zone.
        assertThat(diff.select("#field-changes").text())
            .contains("Tags quire, announcements quire, news")
            .contains("Date 2026-11-02 2026-11-03");
      }
      if (path.equals("{edit}")) {
        assertThat(org.jsoup.Jsoup.parse(a.body()).select("textarea[name=body]").text())
            .contains("indented line");
      }
      if (path.equals("/admin/users/")) {
        // The admin's last sign-in, as the admin shows times (it once showed the raw instant).
        assertThat(org.jsoup.Jsoup.parse(a.body()).select("td time").text())
            .matches(AdminEndToEndTest.ADMIN_TIME);
      }
    }
  }

  /**
   * The same in a real browser: each public page, drawn whole by chromium in a window 1200 pixels
   * wide, is the same picture pixel for pixel from both servers (skipped, and said so, without a
   * browser). Stricter than the text in one way and looser in another: with the space after a tag
   * dropped, the search page's text reads "Page· Matches" (the test above fails) but looks the same
   * (its line is a flex row, where spaces between items are not drawn).
   */
  @Test
  @Order(2)
  void pagesWithoutTheTemplatesIndentationLookTheSameInABrowser() throws Exception {
    ready();
    ready(indentedBase);
    LiveSearchBrowser.withBrowser(
        driver -> {
          // The pictures are of the pages: two pages differ.
          assertThat(pixels(driver, base + "/")).isNotEqualTo(pixels(driver, base + "/blog/"));
          for (String path :
              List.of(
                  "/",
                  "/blog/",
                  "/posts/welcome-to-quire/",
                  "/markdown-style-guide/",
                  "/blog/page/2/",
                  "/about/",
                  "/tags/markdown/",
                  "/search/?q=markdown",
                  "/search/?q=xyzzy",
                  "/no-such-page/")) {
            int[] a = pixels(driver, base + path);
            int[] b = pixels(driver, indentedBase + path);
            assertThat(a).as(path).isEqualTo(b);
          }
        });
  }

  /** The whole page at {@code url} as chromium draws it, once its fonts are in. */
  private static int[] pixels(org.openqa.selenium.WebDriver driver, String url) {
    driver.get(url);
    var js = (org.openqa.selenium.JavascriptExecutor) driver;
    js.executeAsyncScript(
        "const done = arguments[arguments.length - 1]; document.fonts.ready.then(() => done())");
    long width = (Long) js.executeScript("return document.documentElement.clientWidth");
    long height = (Long) js.executeScript("return document.documentElement.scrollHeight");
    // The page beyond the window too (a screenshot is of the window alone).
    var shot =
        ((org.openqa.selenium.chromium.ChromiumDriver) driver)
            .executeCdpCommand(
                "Page.captureScreenshot",
                Map.of(
                    "format",
                    "png",
                    "captureBeyondViewport",
                    true,
                    "clip",
                    Map.of("x", 0, "y", 0, "width", width, "height", height, "scale", 1)));
    byte[] png = java.util.Base64.getDecoder().decode((String) shot.get("data"));
    try {
      var image = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
      assertThat(image.getHeight()).as("the whole page: " + url).isEqualTo((int) height);
      return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static Path indentedDir() {
    return demoDir.resolve("indented");
  }

  private static AdminForms signedIn(String at, Path dir) throws Exception {
    AdminForms admin = new AdminForms(at);
    String password = Files.readString(dir.resolve("data/admin-password")).strip();
    assertThat(admin.signIn("admin", password).statusCode()).as(at).isEqualTo(303);
    return admin;
  }

  /** Fails naming the first element or text that differs, with both sides of it. */
  private static void assertSameShown(String path, String a, String b) {
    List<String> x = shown(a);
    List<String> y = shown(b);
    for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
      assertThat(x.get(i)).as(path + ", item " + i).isEqualTo(y.get(i));
    }
    assertThat(x).as(path).hasSameSizeAs(y);
  }

  /**
   * What a browser shows of a page: every element with its attributes (a sign-in form's CSRF token
   * and an item's modification time left out: each server makes its own), the text as a browser
   * spaces it, and the verbatim text of {@code pre}, {@code textarea}, {@code script} and {@code
   * style}.
   */
  private static final String UUID_TEXT =
      "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

  private static List<String> shown(String html) {
    var doc = org.jsoup.Jsoup.parse(html);
    doc.select("input[name=_csrf]").remove();
    // When each server wrote its demo, and the items' ids it made.
    doc.select("meta[property=article:modified_time]").attr("content", "");
    // The structured data's dateModified, likewise (kept as the script's data, still compared).
    for (var j : doc.select("script[type=application/ld+json]")) {
      String data = j.data().replaceAll("\"dateModified\":\"[^\"]*\"", "\"dateModified\":\"\"");
      j.empty().appendChild(new org.jsoup.nodes.DataNode(data));
    }
    doc.select("input[name=at]").attr("value", "");
    doc.select("time").forEach(t -> t.text("").removeAttr("datetime"));
    doc.getAllElements()
        .forEach(
            e ->
                e.attributes()
                    .forEach(at -> at.setValue(at.getValue().replaceAll(UUID_TEXT, "<id>"))));
    List<String> out = new java.util.ArrayList<>();
    out.add("text: " + doc.text());
    for (var e : doc.getAllElements()) {
      StringBuilder b = new StringBuilder(e.tagName());
      e.attributes().asList().stream()
          .sorted(java.util.Comparator.comparing(org.jsoup.nodes.Attribute::getKey))
          .forEach(a -> b.append(' ').append(a.getKey()).append("=\"").append(a.getValue()));
      if (e.is("pre, textarea")) {
        b.append(" | ").append(e.wholeText());
      } else if (e.is("script, style")) {
        b.append(" | ").append(e.data());
      }
      out.add(b.toString());
    }
    return out;
  }

  private static String page(String at, String path, int status) throws Exception {
    var r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(at + path)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(at + path).isEqualTo(status);
    return r.body();
  }

  /**
   * Fenced code that names its language is coloured by highlight.js (from its WebJar) in a real
   * browser; a page without such code loads no script for it.
   */
  @Test
  @Order(3)
  void fencedCodeThatNamesItsLanguageIsColouredInARealBrowser() throws Exception {
    ready();
    var guide = org.jsoup.Jsoup.parse(page(base, "/markdown-style-guide/", 200));
    List<String> scripts = guide.select("script[src]").eachAttr("src");
    String hl =
        scripts.stream()
            .filter(s -> s.matches("/assets/js/highlight\\.[0-9a-f]{10}\\.js"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no highlight.js in " + scripts));
    assertThat(scripts).anyMatch(s -> s.matches("/assets/js/code\\.[0-9a-f]{10}\\.js"));
    var served =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(base + hl)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(served.statusCode()).isEqualTo(200);
    assertThat(served.body()).contains("Highlight.js v11.");
    assertThat(served.headers().firstValue("Cache-Control").orElse(""))
        .contains("max-age=31536000");
    assertThat(
            org.jsoup.Jsoup.parse(page(base, "/posts/welcome-to-quire/", 200))
                .select("script[src]"))
        .as("a post without fenced code")
        .noneMatch(s -> s.attr("src").contains("highlight"));
    assertThat(org.jsoup.Jsoup.parse(page(base, "/about/", 200)).select("script[src]"))
        .as("a page without fenced code")
        .noneMatch(s -> s.attr("src").contains("highlight"));
    assertThat(
            org.jsoup.Jsoup.parse(page(base, "/posts/from-edit-to-page/", 200))
                .select("script[src]")
                .eachAttr("src"))
        .as("a post with fenced Java")
        .contains(hl)
        .anyMatch(s -> s.matches("/assets/js/code\\.[0-9a-f]{10}\\.js"));

    LiveSearchBrowser.withBrowser(
        driver -> {
          driver.get(base + "/markdown-style-guide/");
          var keywords =
              new org.openqa.selenium.support.ui.WebDriverWait(driver, Duration.ofSeconds(15))
                  .until(
                      d -> {
                        var found =
                            d.findElements(
                                org.openqa.selenium.By.cssSelector(
                                    "code.language-java span[class*='hljs-']"));
                        return found.isEmpty() ? null : found;
                      });
          var code =
              driver.findElement(org.openqa.selenium.By.cssSelector("pre > code.language-java"));
          assertThat(keywords.get(0).getCssValue("color"))
              .as("a token is drawn in its own colour")
              .isNotEqualTo(code.getCssValue("color"));
          assertThat(code.getText()).as("the code's text is unchanged").contains("record");
        });
  }

  @Test
  @Order(3)
  void searchResultsFollowTheTypingInARealBrowser() throws Exception {
    ready();
    LiveSearchBrowser.check(base);
  }

  @Test
  @Order(4)
  void theFirstAdminSignsInWritesAndPublishesInARealBrowser() throws Exception {
    ready();
    // Printed once the user is added (the password file is written just before).
    EndToEndTest.await(
        () ->
            Files.readString(demoDir.resolve("serve.log"))
                .contains(
                    "Created the admin user 'admin'; its password is in "
                        + demoDir.resolve("data")),
        Duration.ofSeconds(20));
    AdminBrowser.check(base, demoDir.resolve("data"), "demo-test-token-0123456789");
  }

  /** After the admin's own test, so that it finds the post, the upload and the backup it made. */
  @Test
  @Order(5)
  void theSiteAndTheAdminPassAxesChecksInARealBrowser() throws Exception {
    ready();
    AccessibilityBrowser.check(base, demoDir.resolve("data"));
  }

  private static void ready() throws Exception {
    ready(base);
  }

  private static void ready(String at) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (status(HTTP, at + "/healthz") != 200) {
      assertThat(System.nanoTime()).as("never ready").isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private static String body(String path) throws Exception {
    var r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(path).isEqualTo(200);
    return r.body();
  }

  @Test
  void aTakenPortOrABadOneIsOneLineAndLeavesNoUnshownToken(@TempDir Path tmp) throws Exception {
    try (var taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Path data = tmp.resolve("data");
      Path logFile = tmp.resolve("serve.log");
      Process serve =
          TestJvm.quire(
              tmp,
              logFile,
              logFile,
              Map.of(),
              "serve",
              "--port",
              String.valueOf(taken.getLocalPort()),
              "--data",
              data.toString());
      assertThat(serve.waitFor(90, TimeUnit.SECONDS)).as("gave up").isTrue();
      String log = Files.readString(tmp.resolve("serve.log"));
      assertThat(serve.exitValue()).as(log).isEqualTo(1);
      assertThat(log)
          .contains("error: cannot serve HTTP: ")
          .contains(String.valueOf(taken.getLocalPort()))
          .doesNotContain("Created the API token")
          .doesNotContain("\tat ");
      assertThat(data.resolve("api-token")).as("no token that was never shown").doesNotExist();
    }
    Path badLog = tmp.resolve("bad.log");
    Process badPort =
        TestJvm.quire(
            tmp,
            badLog,
            badLog,
            Map.of(),
            "serve",
            "--port",
            "99999",
            "--data",
            tmp.resolve("d2").toString());
    assertThat(badPort.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(badPort.exitValue()).isEqualTo(2);
    assertThat(Files.readString(tmp.resolve("bad.log")))
        .isEqualTo("error: --port must be a port from 0 to 65535, was 99999\n");
    assertThat(tmp.resolve("d2")).as("refused before anything was written").doesNotExist();
    // The same from the environment, and a host that is no address: checked before the site
    // starts (they failed at the bind, the host with a 53-line stack trace).
    // So are the database pools' settings, named in full (HikariCP's own message named none).
    Map<Map<String, String>, String> refusals =
        Map.of(
            Map.of("QUIRE_PORT", "99999"),
            "error: quire.gateway.http.port (--port, QUIRE_PORT) must be a port from 0 to 65535,"
                + " was 99999",
            Map.of("QUIRE_HOST", "999.1.1.1", "QUIRE_PORT", "0"),
            "error: quire.gateway.http.host (--host, QUIRE_HOST) '999.1.1.1' is neither",
            Map.of("QUIRE_DB_READ_POOL", "0", "QUIRE_PORT", "0"),
            "error: quire.db.read-model-pool-size must be at least 1, was 0",
            Map.of("QUIRE_DB_CONNECTION_TIMEOUT", "1ms", "QUIRE_PORT", "0"),
            "error: quire.db.connection-timeout must be at least 250 ms, was 1 ms");
    for (var refusal : refusals.entrySet()) {
      Path envLog = tmp.resolve("env.log");
      Process bad =
          TestJvm.quire(
              tmp,
              envLog,
              envLog,
              refusal.getKey(),
              "serve",
              "--data",
              tmp.resolve("d4").toString());
      assertThat(bad.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String said = Files.readString(envLog);
      assertThat(bad.exitValue()).as(said).isEqualTo(2);
      assertThat(said).contains(refusal.getValue()).doesNotContain("\tat ");
      assertThat(tmp.resolve("d4")).as("refused before anything was written").doesNotExist();
    }
    // A setting the configuration cannot read is an error line naming it, its value and where it
    // came from, not a stack trace.
    Path badSetting = tmp.resolve("bad-setting.log");
    Process badDuration =
        TestJvm.quire(
            tmp,
            badSetting,
            badSetting,
            Map.of("QUIRE_ADMIN_SESSION_IDLE_TIMEOUT", "soon", "QUIRE_EMBEDDING_ENABLED", "false"),
            "serve",
            "--port",
            "0",
            "--data",
            tmp.resolve("d3").toString());
    assertThat(badDuration.waitFor(90, TimeUnit.SECONDS)).isTrue();
    String said = Files.readString(badSetting);
    assertThat(badDuration.exitValue()).as(said).isEqualTo(2);
    assertThat(said)
        .contains("error: env variables: Invalid value at 'session-idle-timeout'")
        .contains("soon")
        .doesNotContain("\tat ");
  }

  static int status(HttpClient http, String url) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception e) {
      return -1; // not listening yet
    }
  }
}
