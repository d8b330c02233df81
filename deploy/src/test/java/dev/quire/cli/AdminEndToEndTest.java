package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
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
 * The admin over HTTP on loopback against the all-in-one server (H2, no embedding role): the first
 * admin's password file, sign-in with its CSRF and cookies, writing, conflicts that keep the
 * editor's text, publishing seen on the site, history, diff and revert, roles, the per-account
 * lockout, and a session that dies at sign-out. The browser's side is {@link AdminBrowser}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdminEndToEndTest {

  /** How admin pages show a time: "5 Dec 2026, 14:03". */
  static final String ADMIN_TIME = "\\d{1,2} [A-Z][a-z]{2} \\d{4}, \\d{2}:\\d{2}";

  static final String TOKEN = "admin-e2e-token-0123456789";
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;
  static QuireNode node;
  static String base;
  static String adminPassword;

  /**
   * An all-in-one node for admin tests in {@code dataDir}: any port, strict templates, no
   * embedding, and cheap password hashes (the same code, less of the CI machine's time); {@code
   * more} on top.
   */
  static com.typesafe.config.Config adminNodeConfig(Path dataDir, Map<String, Object> more) {
    Map<String, Object> values = new java.util.HashMap<>(more);
    values.put("quire.data-dir", dataDir.toString());
    values.put("quire.gateway.http.port", 0);
    values.put("quire.gateway.strict-templates", true);
    values.put("quire.embedding.enabled", false);
    values.put("quire.gateway.admin.argon2.memory", "1m");
    values.put("quire.gateway.admin.argon2.iterations", 1);
    return QuireNode.config(values);
  }

  @BeforeAll
  static void start() throws Exception {
    var config =
        adminNodeConfig(
            tmp.resolve("data"),
            // One file a page, so that the media page's paging shows with two files. No fallback
            // font on this server, whatever the machine has: the Settings page says so for a site
            // in Japanese (the CJK PDF and card tests use a real one, in cms-gateway).
            Map.of(
                "quire.crawler.politeness-delay",
                "0ms",
                "quire.media.admin-page-size",
                1,
                "quire.gateway.fallback-fonts",
                tmp.resolve("no-such-font.ttf").toString()));
    var out = new java.io.ByteArrayOutputStream();
    node = QuireNode.start(config, true, new java.io.PrintStream(out, true), TOKEN);
    base = "http://127.0.0.1:" + node.gateway().binding().localAddress().getPort();
    // Serving: the content role's queries are reachable (in a JVM warmed by earlier tests the
    // first request could come ~0.2 s before they registered, and the admin said 503).
    EndToEndTest.await(
        () ->
            EndToEndTest.HTTP
                    .send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/healthz"))
                            .build(),
                        java.net.http.HttpResponse.BodyHandlers.discarding())
                    .statusCode()
                == 200,
        Duration.ofSeconds(20));
    Path file = tmp.resolve("data/admin-password");
    EndToEndTest.await(() -> Files.exists(file), Duration.ofSeconds(20));
    EndToEndTest.await(
        () -> out.toString().contains("Created the admin user"), Duration.ofSeconds(5));
    assertThat(out.toString()).contains(file.toString()).contains("/admin/");
    assertThat(Files.getPosixFilePermissions(file))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    adminPassword = Files.readString(file).strip();
    assertThat(adminPassword).hasSize(20);
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  @Test
  @Order(1)
  void signInNeedsTheFormsTokenAndTheRightPasswordAndGivesAStrictCookie() throws Exception {
    AdminForms browser = new AdminForms(base);
    var away = browser.get("/admin/content/?status=draft");
    assertThat(away.statusCode()).isEqualTo(303);
    assertThat(AdminForms.location(away))
        .isEqualTo("/admin/login?next=%2Fadmin%2Fcontent%2F%3Fstatus%3Ddraft");

    var page = browser.get("/admin/login");
    assertThat(page.headers().firstValue("Content-Security-Policy").orElse(""))
        .contains("frame-ancestors 'none'");
    assertThat(page.headers().firstValue("X-Frame-Options")).hasValue("DENY");
    assertThat(page.headers().firstValue("Cache-Control")).hasValue("no-store");
    // Without the sign-in form's token (a page of another site posting it): refused.
    var forged =
        browser.post(
            "/admin/login",
            Map.of("_csrf", "forged", "username", "admin", "password", adminPassword));
    assertThat(forged.statusCode()).isEqualTo(403);
    assertThat(forged.headers().allValues("Set-Cookie"))
        .noneMatch(c -> c.startsWith("quire_admin="));

    var wrong = browser.signIn("admin", "not-the-password");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.body()).contains("Wrong username or password.");
    var nobody = browser.signIn("nobody", "not-the-password");
    assertThat(nobody.statusCode()).isEqualTo(401);
    assertThat(nobody.body())
        .as("the same answer as a wrong password")
        .contains("Wrong username or password.");

    var in = browser.signIn("admin", adminPassword);
    assertThat(in.statusCode()).as(in.body()).isEqualTo(303);
    assertThat(AdminForms.location(in)).isEqualTo("/admin/");
    String cookie =
        in.headers().allValues("Set-Cookie").stream()
            .filter(c -> c.startsWith("quire_admin="))
            .findFirst()
            .orElseThrow();
    assertThat(cookie).contains("HttpOnly").contains("SameSite=Strict").contains("Path=/admin");
    var home = browser.get("/admin/content/");
    assertThat(home.statusCode()).isEqualTo(200);
    assertThat(home.body()).contains("Administrator (admin)");
  }

  /**
   * A post whose address a redirect rule already moves elsewhere (redirects are answered before
   * pages) says so on its admin page, before and after it is published: it was hidden without a
   * word.
   */
  @Test
  @Order(2)
  void anItemWhoseAddressARedirectTakesSaysSo() throws Exception {
    var rule =
        api(
            "POST",
            "/api/v1/redirects",
            "{\"redirects\":[{\"from\":\"/posts/taken-by-a-rule/\",\"to\":\"/blog/\"}]}");
    assertThat(rule.statusCode()).as(rule.body()).isEqualTo(200);
    var created =
        api(
            "POST",
            "/api/v1/content",
            "{\"kind\":\"post\",\"title\":\"Taken\",\"slug\":\"taken-by-a-rule\"}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String id = JSON.readTree(created.body()).get("id").asText();
    AdminForms admin = signedIn("admin", adminPassword);
    String page = admin.get("/admin/content/" + id + "/").body();
    assertThat(org.jsoup.Jsoup.parse(page).getElementById("taken-over").text())
        .isEqualTo(
            "Once published, visitors to /posts/taken-by-a-rule/ will not see this post: a"
                + " redirect rule (301) sends them from /posts/taken-by-a-rule/ to /blog/; delete"
                + " it under Redirects to show it.");
    assertThat(api("POST", "/api/v1/content/" + id + "/publish", "{\"revision\": 1}").statusCode())
        .isEqualTo(200);
    assertThat(admin.get("/admin/content/" + id + "/").body())
        .contains("Visitors to /posts/taken-by-a-rule/ do not see this post: a redirect rule");
    assertThat(status("/posts/taken-by-a-rule/")).isEqualTo(301);
    // Without the rule, the page shows, and the admin says nothing.
    assertThat(
            api("DELETE", "/api/v1/redirects?from=%2Fposts%2Ftaken-by-a-rule%2F", null)
                .statusCode())
        .isEqualTo(200);
    assertThat(admin.get("/admin/content/" + id + "/").body()).doesNotContain("taken-over");
    EndToEndTest.await(() -> status("/posts/taken-by-a-rule/") == 200, Duration.ofSeconds(5));
    // An item no rule takes says nothing either.
    assertThat(admin.get("/admin/content/" + firstPublishedId() + "/").body())
        .doesNotContain("taken-over");
  }

  @Test
  @Order(2)
  void editorsWriteSeeConflictsWithoutLosingTextPublishAndRevert() throws Exception {
    AdminForms admin = signedIn("admin", adminPassword);
    var created =
        admin.submit(
            "/admin/content/new?kind=post",
            "/admin/content/new",
            Map.of(
                "kind", "post",
                "title", "Written in the <admin>",
                "tags", "admin, notes",
                "body", "First line\r\nSecond line\r\n"));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(303);
    String location = AdminForms.location(created);
    assertThat(location).matches("/admin/content/[^/]+/\\?done=created");
    String id = location.split("/")[3];
    String edit = "/admin/content/" + id + "/";
    JsonNode stored = item(id);
    assertThat(stored.get("slug").asText()).isEqualTo("written-in-the-admin");
    assertThat(stored.get("body").asText())
        .as("stored with LF")
        .isEqualTo("First line\nSecond line\n");
    assertThat(stored.get("status").asText()).isEqualTo("draft");
    // The list is the read model's, which follows the journal within moments.
    EndToEndTest.await(
        () -> admin.get("/admin/content/").body().contains("Written in the &lt;admin&gt;"),
        Duration.ofSeconds(5));
    assertThat(admin.get("/admin/content/").body()).doesNotContain("<admin>");
    // The same title again, its slug left empty: the slug made from it gets a number.
    var again =
        admin.submit(
            "/admin/content/new?kind=post",
            "/admin/content/new",
            Map.of("kind", "post", "title", "Written in the admin", "body", "Another"));
    assertThat(again.statusCode()).as(again.body()).isEqualTo(303);
    assertThat(item(AdminForms.location(again).split("/")[3]).get("slug").asText())
        .isEqualTo("written-in-the-admin-2");
    // The new-item form sent twice (a double click; a browser sending it again after its answer
    // was lost) makes one item: it carries the item's key. Changed and sent again (the editor
    // went back to it to write another), a second item, with what was typed.
    Map<String, String> twice = hiddenFields(admin.get("/admin/content/new?kind=post").body());
    assertThat(twice.get("createKey")).matches("[0-9a-f-]{36}");
    twice.put("title", "Sent twice");
    twice.put("body", "Once\r\n");
    var sent = admin.post("/admin/content/new", twice);
    var sentAgain = admin.post("/admin/content/new", twice);
    assertThat(sent.statusCode()).as(sent.body()).isEqualTo(303);
    assertThat(sentAgain.statusCode()).as(sentAgain.body()).isEqualTo(303);
    assertThat(AdminForms.location(sentAgain)).isEqualTo(AdminForms.location(sent));
    twice.put("body", "Written after going back");
    var another = admin.post("/admin/content/new", twice);
    assertThat(another.statusCode()).as(another.body()).isEqualTo(303);
    String anotherId = AdminForms.location(another).split("/")[3];
    assertThat(anotherId).isNotEqualTo(AdminForms.location(sent).split("/")[3]);
    assertThat(item(anotherId).get("slug").asText()).isEqualTo("sent-twice-2");
    assertThat(item(anotherId).get("body").asText()).isEqualTo("Written after going back");
    // Any field changed: the tags alone, say.
    twice.put("body", "Once\r\n");
    twice.put("tags", "later");
    var tagged = admin.post("/admin/content/new", twice);
    assertThat(tagged.statusCode()).as(tagged.body()).isEqualTo(303);
    String taggedId = AdminForms.location(tagged).split("/")[3];
    assertThat(taggedId).isNotIn(anotherId, AdminForms.location(sent).split("/")[3]);
    assertThat(item(taggedId).get("tags").get(0).asText()).isEqualTo("later");

    // Open, save unchanged: the date shown as a day keeps its time; the body keeps its lines.
    var saved =
        admin.submit(edit, edit, form(admin, edit, Map.of("title", "Written in the admin")));
    assertThat(saved.statusCode()).as(saved.body()).isEqualTo(303);
    assertThat(item(id).get("revision").asLong()).isEqualTo(2);
    assertThat(item(id).get("body").asText()).isEqualTo("First line\nSecond line\n");

    // A second editor still on revision 1: refused, and the page gives back what they typed.
    Map<String, String> stale = form(admin, edit, Map.of("body", "My late edit"));
    stale.put("revision", "1");
    var conflict = admin.submit(edit, edit, stale);
    assertThat(conflict.statusCode()).isEqualTo(409);
    // Who saved it, and when (it said "Someone"), so the editor knows whose work a save replaces.
    assertThat(conflict.body())
        .contains("<strong id=\"conflict-by\">admin</strong> saved this item after you opened it")
        .containsPattern("after you opened it, at <time datetime=\"[^\"]+\">")
        .contains("Saving yours over it replaces those changes")
        .contains("My late edit")
        .contains("diff?from=1")
        .contains("Save mine over it");
    assertThat(item(id).get("revision").asLong()).isEqualTo(2);
    // Saving over it is a deliberate second step, from the newest revision the page now carries.
    var over = admin.post(edit, hiddenFields(conflict.body()));
    assertThat(over.statusCode()).as(over.body()).isEqualTo(303);
    assertThat(item(id).get("body").asText()).isEqualTo("My late edit");

    // A preview renders what is typed as the site would, and stores nothing.
    Map<String, String> draft =
        form(admin, edit, Map.of("body", "Some *emphasis* and <script>x()</script>"));
    draft.put("preview", "1");
    var preview = admin.submit(edit, edit, draft);
    assertThat(preview.statusCode()).isEqualTo(200);
    assertThat(preview.body())
        .contains("<em>emphasis</em>")
        .doesNotContain("<script>x()")
        .contains("Some *emphasis* and &lt;script&gt;");
    assertThat(item(id).get("body").asText()).isEqualTo("My late edit");
    var newPreview =
        admin.submit(
            "/admin/content/new?kind=page",
            "/admin/content/new",
            Map.of("kind", "page", "title", "Not yet", "body", "# Heading", "preview", "1"));
    assertThat(newPreview.statusCode()).isEqualTo(200);
    assertThat(newPreview.body())
        .contains("<h1")
        .as("the body's h1 goes under the page's title")
        .contains("Heading</h2>")
        .contains("action=\"/admin/content/new\"");
    // A body over the content limit is refused naming the limit, with the text kept, rather than
    // sent to be rendered (a message that size is dropped between nodes).
    var tooLong =
        admin.submit(
            "/admin/content/new?kind=page",
            "/admin/content/new",
            Map.of("kind", "page", "title", "Long", "body", "y".repeat(300_000), "preview", "1"));
    assertThat(tooLong.statusCode()).isEqualTo(200);
    assertThat(tooLong.body())
        .contains("is 300000 characters, at most 262144 allowed")
        .contains("y".repeat(300_000));

    // "Save and schedule" for a time already past: refused before the form's edit is saved (it
    // was saved, and the page showed only the error).
    long before = item(id).get("revision").asLong();
    Map<String, String> past = form(admin, edit, Map.of("description", "Changed meanwhile"));
    past.put("at", "2020-01-01T10:00");
    var pastSchedule = admin.submit(edit, edit + "schedule", past);
    assertThat(pastSchedule.statusCode()).isEqualTo(400);
    assertThat(pastSchedule.body()).contains("must be a time in the future");
    assertThat(item(id).get("revision").asLong()).isEqualTo(before);
    assertThat(item(id).get("description").asText()).isNotEqualTo("Changed meanwhile");
    // The page that comes back offers the time typed, not one nobody chose.
    assertThat(pastSchedule.body()).contains("id=\"schedule-at\" value=\"2020-01-01T10:00\"");

    // An embargoed item's page offers its own time (it offered an hour from now), so a typo fixed
    // and saved with "Save and schedule" as shown keeps the embargo, to the second.
    java.time.Instant embargo =
        java.time.Instant.now()
            .plus(Duration.ofDays(3))
            .truncatedTo(java.time.temporal.ChronoUnit.MINUTES)
            .plusSeconds(30);
    var scheduled =
        api(
            "POST",
            "/api/v1/content",
            "{\"kind\":\"post\",\"title\":\"Embargoed\",\"status\":\"scheduled\",\"at\":\""
                + embargo
                + "\"}");
    assertThat(scheduled.statusCode()).as(scheduled.body()).isEqualTo(201);
    String embargoed = "/admin/content/" + JSON.readTree(scheduled.body()).get("id").asText() + "/";
    String shown =
        java.time.LocalDateTime.ofInstant(embargo, java.time.ZoneOffset.UTC)
            .format(java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss"));
    assertThat(admin.get(embargoed).body())
        .contains("id=\"schedule-at\" value=\"" + shown + "\" step=\"1\"");
    Map<String, String> typoFixed = form(admin, embargoed, Map.of("title", "Embargoed, fixed"));
    assertThat(typoFixed.get("at")).isEqualTo(shown);
    var rescheduled = admin.submit(embargoed, embargoed + "schedule", typoFixed);
    assertThat(rescheduled.statusCode()).as(rescheduled.body()).isEqualTo(303);
    JsonNode kept = item(embargoed.split("/")[3]);
    assertThat(kept.get("title").asText()).isEqualTo("Embargoed, fixed");
    assertThat(kept.get("status").asText()).isEqualTo("scheduled");
    assertThat(java.time.Instant.parse(kept.get("scheduledAt").asText())).isEqualTo(embargo);

    // A form without the session's token changes nothing.
    var forged = admin.post(edit, Map.of("_csrf", "x", "revision", "3", "title", "Forged"));
    assertThat(forged.statusCode()).isEqualTo(403);
    assertThat(item(id).get("title").asText()).isEqualTo("Written in the admin");

    var published = admin.submit(edit, edit + "publish", Map.of("revision", "3"));
    assertThat(published.statusCode()).as(published.body()).isEqualTo(303);
    EndToEndTest.await(() -> status("/posts/written-in-the-admin/") == 200, Duration.ofSeconds(5));
    assertThat(
            EndToEndTest.HTTP
                .send(
                    HttpRequest.newBuilder(URI.create(base + "/posts/written-in-the-admin/"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body())
        .contains("My late edit");

    var history = admin.get(edit + "history");
    assertThat(history.body()).contains("draft-created").contains("published").contains(">admin<");
    // Each revision's address too: a rename alone looked like no change.
    assertThat(history.body()).contains("<code>/posts/written-in-the-admin/</code>");
    var diff = admin.get(edit + "diff?from=1&to=3");
    assertThat(diff.statusCode()).isEqualTo(200);
    assertThat(diff.body())
        .contains("<span class=\"removed\">-First line</span>")
        .contains("<span class=\"added\">+My late edit</span>")
        .contains("Written in the &lt;admin&gt;");
    var reverted =
        admin.submit(edit + "history", edit + "revert", Map.of("to", "1", "revision", "4"));
    assertThat(reverted.statusCode()).as(reverted.body()).isEqualTo(303);
    // The history says it was a revert, and to which revision.
    assertThat(events(id)).first().isEqualTo("reverted");
    JsonNode listed =
        JSON.readTree(api("GET", "/api/v1/content/" + id + "/revisions", null).body())
            .get("items")
            .get(0);
    assertThat(listed.get("revertedTo").asLong()).isEqualTo(1);
    assertThat(admin.get(edit + "history").body()).contains("reverted to 1");
    JsonNode now = item(id);
    assertThat(now.get("title").asText()).isEqualTo("Written in the <admin>");
    assertThat(now.get("status").asText()).isEqualTo("published");
    EndToEndTest.await(
        () ->
            EndToEndTest.HTTP
                .send(
                    HttpRequest.newBuilder(URI.create(base + "/posts/written-in-the-admin/"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body()
                .contains("Second line"),
        Duration.ofSeconds(5));

    var bad =
        admin.submit(edit, edit, form(admin, edit, Map.of("title", "", "date", "31/12/2026")));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("must be a date like 2026-12-31");
  }

  @Test
  @Order(3)
  void anAuthorWritesDraftsOnlyAndUsersAreTheAdminsToManage() throws Exception {
    var added =
        api(
            "POST",
            "/api/v1/users",
            "{\"username\": \"writer\", \"displayName\": \"Wren Writer\", \"role\": \"author\","
                + " \"password\": \"writer-password-1\"}");
    assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
    assertThat(added.body()).doesNotContain("argon2").doesNotContain("writer-password-1");
    var weak =
        api(
            "POST",
            "/api/v1/users",
            "{\"username\": \"w2\", \"role\": \"author\", \"password\": \"short\"}");
    assertThat(weak.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(weak.body()).at("/error/field").asText()).isEqualTo("password");
    // Every problem at once: the username was only named once the password had been mended.
    var several =
        api(
            "POST",
            "/api/v1/users",
            "{\"username\": \"Bob\", \"role\": \"boss\", \"password\": \"short\"}");
    assertThat(several.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(several.body()).at("/error/field").asText()).isEqualTo("username");
    List<String> fields = new ArrayList<>();
    JSON.readTree(several.body())
        .at("/error/errors")
        .forEach(x -> fields.add(x.get("field").asText()));
    assertThat(fields).containsExactly("username", "role", "password");

    AdminForms writer = signedIn("writer", "writer-password-1");
    String published = firstPublishedId();
    var publish =
        writer.submit(
            "/admin/content/new?kind=post", "/admin/content/" + published + "/unpublish", Map.of());
    assertThat(publish.statusCode()).isEqualTo(403);
    var editLive =
        writer.submit(
            "/admin/content/new?kind=post",
            "/admin/content/" + published + "/",
            Map.of(
                "revision", "1", "title", "Changed by an author", "body", "Typed by an author."));
    assertThat(editLive.statusCode()).isEqualTo(403);
    // The item may have been published while the author typed: the text comes back to copy.
    assertThat(editLive.body())
        .contains("Not saved: Your role may edit drafts only. This item is published.")
        .contains("Typed by an author.")
        .contains("value=\"Changed by an author\"");
    assertThat(item(published).get("title").asText()).isNotEqualTo("Changed by an author");
    var users = writer.get("/admin/users/");
    assertThat(users.statusCode()).isEqualTo(403);
    assertThat(users.body()).contains("does not allow this. Ask an admin.");
    var draft =
        writer.submit(
            "/admin/content/new?kind=page",
            "/admin/content/new",
            Map.of("kind", "page", "title", "An author's page", "body", "Draft."));
    assertThat(draft.statusCode()).as(draft.body()).isEqualTo(303);
    String draftId = AdminForms.location(draft).split("/")[3];
    assertThat(item(draftId).get("kind").asText()).isEqualTo("page");
    assertThat(writer.get("/admin/content/" + draftId + "/").body())
        .contains("started by <span id=\"started-by\">writer</span>")
        .contains("id=\"save\"");
    // A revert is an editor's, as through the API, even of her own draft: not offered, refused.
    assertThat(writer.get("/admin/content/" + draftId + "/history").body())
        .doesNotContain("/revert\"");
    var revert =
        writer.submit(
            "/admin/content/" + draftId + "/history",
            "/admin/content/" + draftId + "/revert",
            Map.of("revision", "1", "to", "1"));
    assertThat(revert.statusCode()).isEqualTo(403);
    // Another's draft she may neither read nor change, as in WordPress and Ghost: the page, its
    // history and its diffs say so without its text (until 2026-12-07 any author read every
    // draft's text and every earlier version), and a save sent all the same is refused with her
    // text back to copy.
    var others =
        api(
            "POST",
            "/api/v1/content",
            "{\"kind\": \"post\", \"title\": \"The site's own draft\", \"body\": \"Ours.\"}");
    assertThat(others.statusCode()).as(others.body()).isEqualTo(201);
    String othersId = JSON.readTree(others.body()).get("id").asText();
    for (String path : new String[] {"/", "/history", "/diff?from=1"}) {
      var closed = writer.get("/admin/content/" + othersId + path);
      assertThat(closed.statusCode()).as(path).isEqualTo(403);
      assertThat(closed.body())
          .as(path)
          .contains("may not read a draft item api started, only the items you started")
          .doesNotContain("Ours.")
          .doesNotContain("id=\"save\"");
    }
    var notHers =
        writer.submit(
            "/admin/content/" + draftId + "/",
            "/admin/content/" + othersId + "/",
            Map.of("revision", "1", "title", "Taken over", "body", "Mine."));
    assertThat(notHers.statusCode()).isEqualTo(403);
    assertThat(notHers.body())
        .contains("Not saved: Your role may edit the drafts you started")
        .doesNotContain("Ours.");
    assertThat(item(othersId).get("title").asText()).isEqualTo("The site's own draft");

    // The admin disables the author: the author's session ends at its next request.
    AdminForms admin = signedIn("admin", adminPassword);
    var disabled = admin.submit("/admin/users/", "/admin/users/writer", Map.of("disabled", "true"));
    assertThat(disabled.statusCode()).as(disabled.body()).isEqualTo(303);
    var after = writer.get("/admin/content/");
    assertThat(after.statusCode()).isEqualTo(303);
    assertThat(AdminForms.location(after)).contains("expired=1");
    assertThat(new AdminForms(base).signIn("writer", "writer-password-1").body())
        .contains("This account is disabled.");
  }

  @Test
  @Order(4)
  void repeatedWrongPasswordsLockTheAccountForTheWindow() throws Exception {
    var added =
        api(
            "POST",
            "/api/v1/users",
            "{\"username\": \"target\", \"role\": \"editor\", \"password\": \"target-password-1\"}");
    assertThat(added.statusCode()).isEqualTo(201);
    assertThat(
            api(
                    "POST",
                    "/api/v1/users",
                    "{\"username\": \"target2\", \"role\": \"editor\", \"password\": \"target2-password-1\"}")
                .statusCode())
        .isEqualTo(201);
    AdminForms guesser = new AdminForms(base);
    for (int i = 0; i < 5; i++) {
      assertThat(guesser.signIn("target", "guess-" + i).statusCode()).isEqualTo(401);
    }
    var locked = guesser.signIn("target", "target-password-1");
    assertThat(locked.statusCode()).isEqualTo(429);
    assertThat(locked.body()).contains("Too many sign-in attempts for this account");
    assertThat(locked.headers().allValues("Set-Cookie"))
        .noneMatch(c -> c.startsWith("quire_admin="));

    // The owner of target2 signed in from this browser before: it keeps a device cookie.
    AdminForms owner = new AdminForms(base);
    var first = owner.signIn("target2", "target2-password-1");
    assertThat(first.statusCode()).isEqualTo(303);
    String device =
        first.headers().allValues("Set-Cookie").stream()
            .filter(c -> c.startsWith("quire_device="))
            .findFirst()
            .orElseThrow();
    assertThat(device)
        .contains("HttpOnly")
        .contains("SameSite=Strict")
        .contains("Path=/admin")
        .contains("Max-Age=" + java.time.Duration.ofDays(90).toSeconds());
    assertThat(owner.submit("/admin/content/", "/admin/logout", Map.of()).statusCode())
        .isEqualTo(303);
    assertThat(owner.cookies).doesNotContainKey("quire_admin").containsKey("quire_device");
    // Someone else locks the account ...
    for (int i = 0; i < 5; i++) {
      assertThat(guesser.signIn("target2", "guess-" + i).statusCode()).isEqualTo(401);
    }
    assertThat(guesser.signIn("target2", "target2-password-1").statusCode()).isEqualTo(429);
    // ... also with a device cookie of their own making ...
    AdminForms forger = new AdminForms(base);
    forger.cookies.put("quire_device", "A".repeat(43));
    assertThat(forger.signIn("target2", "target2-password-1").statusCode()).isEqualTo(429);
    // ... but not for the owner's browser, which signs in.
    var again = owner.signIn("target2", "target2-password-1");
    assertThat(again.statusCode()).as(again.body()).isEqualTo(303);
    assertThat(owner.get("/admin/content/").statusCode()).isEqualTo(200);
    String before = device.substring("quire_device=".length(), device.indexOf(';'));
    assertThat(owner.cookies.get("quire_device"))
        .as("a new device secret at every sign-in")
        .hasSize(43)
        .isNotEqualTo(before);
    // The old secret (say, copied from the browser earlier) is trusted no more. The owner's
    // sign-in left the account's count for others as it was: still locked.
    AdminForms copied = new AdminForms(base);
    copied.cookies.put("quire_device", before);
    assertThat(copied.signIn("target2", "target2-password-1").statusCode()).isEqualTo(429);
    // An admin setting a new password unlocks the account for every browser (and trusts none).
    assertThat(
            api("PUT", "/api/v1/users/target2", "{\"password\": \"target2-password-1\"}")
                .statusCode())
        .isEqualTo(200);
    assertThat(new AdminForms(base).signIn("target2", "target2-password-1").statusCode())
        .isEqualTo(303);
  }

  @Test
  @Order(5)
  void signingOutEndsTheSessionForEveryCopyOfItsCookie() throws Exception {
    AdminForms admin = signedIn("admin", adminPassword);
    AdminForms stolen = admin.copyTo(base);
    assertThat(stolen.get("/admin/content/").statusCode()).isEqualTo(200);
    var out = admin.submit("/admin/content/", "/admin/logout", Map.of());
    assertThat(out.statusCode()).isEqualTo(303);
    assertThat(AdminForms.location(out)).isEqualTo("/admin/login?done=out");
    var replay = stolen.get("/admin/content/");
    assertThat(replay.statusCode()).isEqualTo(303);
    assertThat(AdminForms.location(replay)).contains("/admin/login");
    // A form sent after the session ended is not saved, and what it carried is shown back.
    var late =
        stolen.post(
            "/admin/content/new",
            Map.of(
                "_csrf",
                "x",
                "kind",
                "post",
                "title",
                "Late",
                "body",
                "Typed <b>before</b> the end"));
    assertThat(late.statusCode()).isEqualTo(401);
    assertThat(late.body())
        .contains("Not saved: your session has ended")
        .contains("Typed &lt;b&gt;before&lt;/b&gt; the end")
        .doesNotContain("name=\"_csrf\" value=\"x\"")
        // Labelled as the editing page labels them, in its order; the page's own fields left out.
        .containsPattern("(?s)<label>Title\\s*<textarea[^>]*>\\s*Late</textarea>.*<label>Body")
        .doesNotContain("<label>kind");
    // A form opened before signing in again carries the old session's token: nothing is done,
    // and what it held is shown back too, read only, without the token.
    AdminForms again = signedIn("admin", adminPassword);
    Map<String, String> opened = new java.util.HashMap<>();
    opened.put("_csrf", AdminForms.csrf(again.get("/admin/content/new?kind=post").body()));
    opened.putAll(Map.of("kind", "post", "title", "Opened earlier", "body", "Kept <i>text</i>"));
    assertThat(again.signIn("admin", adminPassword).statusCode()).isEqualTo(303);
    var stale = again.post("/admin/content/new", opened);
    assertThat(stale.statusCode()).isEqualTo(403);
    assertThat(stale.body())
        .contains("Not saved: this form is from an earlier session")
        .contains("Kept &lt;i&gt;text&lt;/i&gt;")
        .doesNotContain(opened.get("_csrf"));
    assertThat(again.get("/admin/content/").body()).doesNotContain("Opened earlier");
    // The editing page's script takes the current session's token before saving a form opened in
    // an earlier one; only the session's own page can read it, and only signed in.
    var token = again.get("/admin/session/token");
    assertThat(token.statusCode()).isEqualTo(200);
    var session = new com.fasterxml.jackson.databind.ObjectMapper().readTree(token.body());
    assertThat(session.get("user").asText()).as("whose session it is").isEqualTo("admin");
    assertThat(session.get("csrf").asText())
        .isEqualTo(AdminForms.csrf(again.get("/admin/content/new?kind=post").body()))
        .isNotEqualTo(opened.get("_csrf"));
    assertThat(token.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(new AdminForms(base).get("/admin/session/token").statusCode()).isEqualTo(303);
    // And a sign-in page never sends the editor off the site afterwards.
    var evil = new AdminForms(base).get("/admin/login?next=//evil.example/");
    assertThat(evil.body()).contains("name=\"next\" value=\"/admin/\"");
  }

  @Test
  @Order(6)
  void theFirstAdminChangesThePasswordOthersSessionsEndAndTheFileGoes() throws Exception {
    AdminForms admin = signedIn("admin", adminPassword);
    AdminForms elsewhere = signedIn("admin", adminPassword);
    var wrong =
        admin.submit(
            "/admin/account",
            "/admin/account",
            Map.of(
                "current", "nope", "password", "a-new-password-1", "repeat", "a-new-password-1"));
    assertThat(wrong.statusCode()).isEqualTo(403);
    assertThat(wrong.body()).contains("is not your current password");
    var differ =
        admin.submit(
            "/admin/account",
            "/admin/account",
            Map.of(
                "current",
                adminPassword,
                "password",
                "a-new-password-1",
                "repeat",
                "a-new-password-2"));
    assertThat(differ.statusCode()).isEqualTo(400);
    assertThat(differ.body()).contains("the two passwords differ");

    var changed =
        admin.submit(
            "/admin/account",
            "/admin/account",
            Map.of(
                "current",
                adminPassword,
                "password",
                "a-new-password-1",
                "repeat",
                "a-new-password-1"));
    assertThat(changed.statusCode()).as(changed.body()).isEqualTo(303);
    // This browser got a new session; the other one's ended with the old password.
    assertThat(admin.get("/admin/account?done=1").body()).contains("Your password is changed.");
    assertThat(elsewhere.get("/admin/content/").statusCode()).isEqualTo(303);
    EndToEndTest.await(
        () -> !Files.exists(tmp.resolve("data/admin-password")), Duration.ofSeconds(5));
    assertThat(new AdminForms(base).signIn("admin", adminPassword).statusCode()).isEqualTo(401);
    assertThat(new AdminForms(base).signIn("admin", "a-new-password-1").statusCode())
        .isEqualTo(303);
  }

  @Test
  @Order(7)
  void mediaAndRedirectsHaveTheirOwnAdminPagesThroughTheModuleInterface() throws Exception {
    AdminForms editor = signedIn("target2", "target2-password-1");
    // A PNG's first bytes are enough for the store: it keeps what it is given, by its hash.
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 1, 2, 3, 4};
    String token = AdminForms.csrf(editor.get("/admin/media/").body());
    var forged =
        editor.postMultipart(
            "/admin/media/",
            java.util.List.<String[]>of(new String[] {"_csrf", "forged"}),
            "x.png",
            png);
    assertThat(forged.statusCode()).isEqualTo(403);
    var tokenLast = editor.postMultipart("/admin/media/", java.util.List.of(), "x.png", png);
    assertThat(tokenLast.statusCode()).as("no token before the file").isEqualTo(403);
    var noFile =
        editor.postMultipart(
            "/admin/media/",
            java.util.List.<String[]>of(new String[] {"_csrf", token}),
            null,
            null);
    assertThat(noFile.statusCode()).isEqualTo(400);
    var uploaded =
        editor.postMultipart(
            "/admin/media/",
            java.util.List.<String[]>of(new String[] {"_csrf", token}),
            "diagram.png",
            png);
    assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(303);
    assertThat(AdminForms.location(uploaded)).isEqualTo("/admin/media/?done=diagram.png");
    String page = editor.get("/admin/media/").body();
    var url = java.util.regex.Pattern.compile("/media/[0-9a-f]{64}/diagram\\.png").matcher(page);
    assertThat(url.find()).as(page).isTrue();
    assertThat(page).contains("![](" + url.group() + ")");
    var served =
        AdminForms.HTTP.send(
            HttpRequest.newBuilder(URI.create(base + url.group())).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(served.body()).isEqualTo(png);
    // Newest first, a page at a time (one file a page here).
    byte[] second = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 5, 6, 7, 8};
    assertThat(
            editor
                .postMultipart(
                    "/admin/media/",
                    java.util.List.<String[]>of(
                        new String[] {
                          "_csrf", AdminForms.csrf(editor.get("/admin/media/").body())
                        }),
                    "second.png",
                    second)
                .statusCode())
        .isEqualTo(303);
    String first = editor.get("/admin/media/").body();
    assertThat(first)
        .contains("second.png")
        .doesNotContain("diagram.png")
        .contains("2 in all.")
        .contains("href=\"/admin/media/?page=2\"")
        .doesNotContain("id=\"media-newer\"");
    assertThat(editor.get("/admin/media/?page=2").body())
        .contains("diagram.png")
        .doesNotContain("second.png")
        .contains("href=\"/admin/media/?page=1\"");
    assertThat(editor.get("/admin/media/?page=0").statusCode()).isEqualTo(400);

    // Deleting a file: asked to confirm, then gone, with its address; a forged form deletes
    // nothing; a file that a published item shows is refused, naming the item.
    String diagram = url.group();
    String diagramSha = diagram.substring("/media/".length(), "/media/".length() + 64);
    assertThat(editor.get("/admin/media/?page=2").body())
        .contains("href=\"/admin/media/delete/?sha256=" + diagramSha + "\"");
    String showingId =
        publishedPost(
            "{\"kind\": \"post\", \"title\": \"Shows a diagram\", \"slug\":"
                + " \"shows-a-diagram\", \"body\": \"![]("
                + diagram
                + ")\"}");
    EndToEndTest.await(
        () ->
            editor
                .get("/admin/media/delete/?sha256=" + diagramSha)
                .body()
                .contains("href=\"/posts/shows-a-diagram/\""),
        Duration.ofSeconds(10));
    assertThat(editor.get("/admin/media/delete/?sha256=" + diagramSha).body())
        .contains("id=\"media-used-by\"")
        .doesNotContain("id=\"delete-form\"");
    var inUse =
        editor.post(
            "/admin/media/delete/",
            Map.of(
                "_csrf",
                AdminForms.csrf(editor.get("/admin/media/").body()),
                "sha256",
                diagramSha));
    assertThat(inUse.statusCode()).isEqualTo(409);
    assertThat(inUse.body()).contains("/posts/shows-a-diagram/");
    var apiInUse = api("DELETE", "/api/v1/media/" + diagramSha, null);
    assertThat(apiInUse.statusCode()).isEqualTo(409);
    assertThat(JSON.readTree(apiInUse.body()).at("/error/code").asText()).isEqualTo("in_use");
    assertThat(
            api("POST", "/api/v1/content/" + showingId + "/unpublish", "{\"revision\": 2}")
                .statusCode())
        .isEqualTo(200);
    // Unpublished, it is a draft that still uses the file, and would show a missing one when
    // published again: the delete waits for it too, naming its edit page, until it lets go.
    // Both as this gateway's site shows it (no longer published) and as the content role's read
    // model does (a draft using it): the two follow the journal each at its own pace.
    EndToEndTest.await(
        () -> {
          String confirm = editor.get("/admin/media/delete/?sha256=" + diagramSha).body();
          return confirm.contains("id=\"media-coming-by\"")
              && !confirm.contains("id=\"media-used-by\"");
        },
        Duration.ofSeconds(10));
    assertThat(editor.get("/admin/media/delete/?sha256=" + diagramSha).body())
        .contains("<a href=\"/admin/content/" + showingId + "/\">Shows a diagram</a> (draft)")
        .doesNotContain("id=\"media-used-by\"")
        .doesNotContain("id=\"delete-form\"");
    var draftInUse = api("DELETE", "/api/v1/media/" + diagramSha, null);
    assertThat(draftInUse.statusCode()).as(draftInUse.body()).isEqualTo(409);
    assertThat(JSON.readTree(draftInUse.body()).at("/error/message").asText())
        .contains(
            "used by 1 draft or scheduled item(s): 'Shows a diagram' (/admin/content/"
                + showingId
                + "/)");
    assertThat(status(diagram)).isEqualTo(200);
    var letGo =
        api(
            "PUT",
            "/api/v1/content/" + showingId,
            "{\"revision\": 3, \"body\": \"The diagram went.\"}");
    assertThat(letGo.statusCode()).as(letGo.body()).isEqualTo(200);
    EndToEndTest.await(
        () ->
            editor
                .get("/admin/media/delete/?sha256=" + diagramSha)
                .body()
                .contains("id=\"delete-form\""),
        Duration.ofSeconds(10));
    // Its older revisions still use the file: the page names the item, for its history, since a
    // revert to one of them would show a missing file (told, not waited for).
    assertThat(editor.get("/admin/media/delete/?sha256=" + diagramSha).body())
        .contains("id=\"media-history-by\"")
        .contains(
            "<a href=\"/admin/content/"
                + showingId
                + "/history\">Shows a diagram</a> (draft, its history)");
    var forgedDelete =
        editor.post("/admin/media/delete/", Map.of("_csrf", "forged", "sha256", diagramSha));
    assertThat(forgedDelete.statusCode()).isEqualTo(403);
    assertThat(status(diagram)).isEqualTo(200);
    var deleted =
        editor.submit(
            "/admin/media/delete/?sha256=" + diagramSha,
            "/admin/media/delete/",
            Map.of("sha256", diagramSha));
    assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(303);
    assertThat(AdminForms.location(deleted)).isEqualTo("/admin/media/?deleted=diagram.png");
    assertThat(editor.get("/admin/media/?deleted=diagram.png").body())
        .contains("Deleted: diagram.png")
        .contains("1 in all.");
    assertThat(status(diagram)).isEqualTo(404);
    assertThat(editor.get("/admin/media/delete/?sha256=" + diagramSha).statusCode()).isEqualTo(404);
    // Over the API: 204, then 404 for a file that is not there.
    String secondSha =
        java.util.HexFormat.of()
            .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(second));
    // A file that is a published post's cover is in use too.
    String coveredId =
        publishedPost(
            "{\"kind\": \"post\", \"title\": \"Has a cover\", \"slug\": \"has-a-cover\","
                + " \"body\": \"Text.\", \"coverImage\": \"/media/"
                + secondSha
                + "/second.png\"}");
    EndToEndTest.await(() -> status("/posts/has-a-cover/") == 200, Duration.ofSeconds(10));
    var coverInUse = api("DELETE", "/api/v1/media/" + secondSha, null);
    assertThat(coverInUse.statusCode()).as(coverInUse.body()).isEqualTo(409);
    assertThat(coverInUse.body()).contains("/posts/has-a-cover/");
    // Archived, it no longer holds the file back; the confirmation page says it uses it.
    assertThat(
            api("POST", "/api/v1/content/" + coveredId + "/archive", "{\"revision\": 2}")
                .statusCode())
        .isEqualTo(200);
    EndToEndTest.await(
        () -> editor.get("/admin/media/delete/?sha256=" + secondSha).body().contains("delete-form"),
        Duration.ofSeconds(10));
    assertThat(editor.get("/admin/media/delete/?sha256=" + secondSha).body())
        .contains("id=\"media-archived-by\"")
        .contains("<a href=\"/admin/content/" + coveredId + "/\">Has a cover</a>")
        .as("an item that uses it now is not named again for its history")
        .doesNotContain("id=\"media-history-by\"");
    assertThat(api("DELETE", "/api/v1/media/" + secondSha, null).statusCode()).isEqualTo(204);
    assertThat(api("DELETE", "/api/v1/media/" + secondSha, null).statusCode()).isEqualTo(404);
    assertThat(api("DELETE", "/api/v1/media/not-a-sha", null).statusCode()).isEqualTo(404);

    var bad =
        editor.submit(
            "/admin/redirects/",
            "/admin/redirects/",
            Map.of("from", "//evil.example/", "to", "/x/", "status", "301"));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("field-error");
    var added =
        editor.submit(
            "/admin/redirects/",
            "/admin/redirects/",
            Map.of(
                "from",
                "/2019/old-post.html",
                "to",
                "/posts/written-in-the-admin/",
                "status",
                "301"));
    assertThat(added.statusCode()).as(added.body()).isEqualTo(303);
    var followed =
        AdminForms.HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/2019/old-post.html")).build(),
            HttpResponse.BodyHandlers.discarding());
    assertThat(followed.statusCode()).isEqualTo(301);
    assertThat(AdminForms.location(followed)).endsWith("/posts/written-in-the-admin/");
    assertThat(editor.get("/admin/redirects/").body()).contains("/2019/old-post.html");
    var removed =
        editor.submit(
            "/admin/redirects/", "/admin/redirects/remove", Map.of("from", "/2019/old-post.html"));
    assertThat(removed.statusCode()).isEqualTo(303);
    assertThat(editor.get("/admin/redirects/").body()).doesNotContain("/2019/old-post.html");
    // The account page's address with a slash, as every other admin page has, leads to it.
    var slashed = editor.get("/admin/account/");
    assertThat(slashed.statusCode()).isEqualTo(301);
    assertThat(AdminForms.location(slashed)).isEqualTo("/admin/account");
    // Every admin page starts with a link past its navigation, to the page's content.
    assertThat(editor.get("/admin/redirects/").body())
        .contains("<a class=\"skip-link\" href=\"#main\">")
        .contains("id=\"main\"");
    // A rule from a published post's own address hides it: the admin asks first (it said "Saved"
    // and the post was gone), and takes it once the box is ticked.
    Map<String, String> hiding =
        new java.util.HashMap<>(
            Map.of("from", "/posts/written-in-the-admin/", "to", "/2019/x/", "status", "302"));
    var asked = editor.submit("/admin/redirects/", "/admin/redirects/", hiding);
    assertThat(asked.statusCode()).isEqualTo(400);
    assertThat(asked.body())
        .contains("is the address of the published post")
        .contains("id=\"redirect-hide\"");
    assertThat(status("/posts/written-in-the-admin/")).isEqualTo(200);
    hiding.put("hide", "yes");
    assertThat(editor.submit("/admin/redirects/", "/admin/redirects/", hiding).statusCode())
        .isEqualTo(303);
    assertThat(status("/posts/written-in-the-admin/")).isEqualTo(302);
    assertThat(
            editor
                .submit(
                    "/admin/redirects/",
                    "/admin/redirects/remove",
                    Map.of("from", "/posts/written-in-the-admin/"))
                .statusCode())
        .isEqualTo(303);
    assertThat(status("/posts/written-in-the-admin/")).isEqualTo(200);

    // Redirects are for editors: an author has no such page, and no link to it.
    api(
        "POST",
        "/api/v1/users",
        "{\"username\": \"author2\", \"role\": \"author\", \"password\": \"author2-password\"}");
    AdminForms author = signedIn("author2", "author2-password");
    var notAllowed = author.get("/admin/redirects/");
    assertThat(notAllowed.statusCode()).isEqualTo(403);
    // Who to ask: editors keep the redirects too.
    assertThat(notAllowed.body())
        .contains("Your role (author) does not allow this. Ask an editor or an admin.");
    String nav = author.get("/admin/media/").body();
    assertThat(nav).contains("href=\"/admin/media/\"").doesNotContain("href=\"/admin/redirects/\"");
    // Deleting media is for editors too: an author sees no delete link and cannot ask.
    assertThat(nav).doesNotContain("/admin/media/delete/");
    assertThat(author.get("/admin/media/delete/?sha256=" + secondSha).statusCode()).isEqualTo(403);
  }

  /**
   * The editing page's file insert, over HTTP (its script is {@link AdminBrowser}'s): the upload
   * answers JSON with the Markdown to write, for anyone who writes drafts, and a form of another
   * session or without a file stores nothing.
   */
  @Test
  @Order(17)
  void aFileUploadedFromTheEditingPageAnswersTheMarkdownThatShowsIt() throws Exception {
    var added =
        api(
            "POST",
            "/api/v1/users",
            "{\"username\": \"inserter\", \"role\": \"author\","
                + " \"password\": \"inserter-password-1\"}");
    assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
    AdminForms author = signedIn("inserter", "inserter-password-1");
    var page = author.get("/admin/content/new?kind=post");
    assertThat(page.body())
        .contains("id=\"media-insert\"")
        .contains("data-upload-url=\"/admin/media/insert\"")
        .contains("/assets/js/admin-media.");
    String csrf = AdminForms.csrf(page.body());
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 7, 7, 7, 7};
    int before = JSON.readTree(api("GET", "/api/v1/media", null).body()).path("total").asInt();

    var forged =
        author.postMultipart(
            "/admin/media/insert",
            List.<String[]>of(new String[] {"_csrf", "forged"}),
            "dot.png",
            png);
    assertThat(forged.statusCode()).isEqualTo(403);
    assertThat(JSON.readTree(forged.body()).at("/error/field").asText()).isEqualTo("_csrf");
    var noFile =
        author.postMultipart(
            "/admin/media/insert", List.<String[]>of(new String[] {"_csrf", csrf}), null, null);
    assertThat(noFile.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(noFile.body()).at("/error/field").asText()).isEqualTo("file");
    assertThat(JSON.readTree(api("GET", "/api/v1/media", null).body()).path("total").asInt())
        .as("nothing stored")
        .isEqualTo(before);

    var inserted =
        author.postMultipart(
            "/admin/media/insert",
            List.<String[]>of(new String[] {"_csrf", csrf}),
            "my dot.png",
            png);
    assertThat(inserted.statusCode()).as(inserted.body()).isEqualTo(201);
    JsonNode m = JSON.readTree(inserted.body());
    assertThat(m.path("markdown").asText()).isEqualTo("![](" + m.path("url").asText() + ")");
    assertThat(m.path("url").asText()).matches("/media/[0-9a-f]{64}/my-dot\\.png");
    assertThat(status(m.path("url").asText())).isEqualTo(200);
    var anonymous =
        new AdminForms(base)
            .postMultipart(
                "/admin/media/insert",
                List.<String[]>of(new String[] {"_csrf", csrf}),
                "x.png",
                png);
    assertThat(anonymous.statusCode()).as("no session: to the sign-in").isEqualTo(303);
  }

  /** The menu named {@code name} as the API lists it. */
  static JsonNode menu(String name) throws Exception {
    for (JsonNode m : JSON.readTree(api("GET", "/api/v1/menus", null).body()).get("items")) {
      if (m.get("name").asText().equals(name)) {
        return m;
      }
    }
    throw new AssertionError("no menu " + name);
  }

  @Test
  @Order(8)
  void theMainMenuReplacesTheHeadersPagesOnEveryPageUntilItIsRemoved() throws Exception {
    AdminForms editor = signedIn("target2", "target2-password-1");
    var bad =
        editor.submit(
            "/admin/menus/",
            "/admin/menus/",
            Map.of(
                "new", "1", "name", "main", "links", "Home | /\r\nEvil | javascript:alert(1)\r\n"));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body())
        .contains("link 2, address: must be a path on the site")
        .as("what was typed is kept")
        .contains("Evil | javascript:alert(1)");
    var made =
        editor.submit(
            "/admin/menus/",
            "/admin/menus/",
            Map.of(
                "new", "1",
                "name", "main",
                "links",
                    "Start | /\r\nThe admin post | /posts/written-in-the-admin/\r\nCode | https://example.org/code\r\n"));
    assertThat(made.statusCode()).as(made.body()).isEqualTo(303);
    // Every page shows it at once on this gateway: the memoised pages were dropped.
    String home = publicPage("/");
    assertThat(home)
        .contains("<a href=\"/\" aria-current=\"page\">Start</a>")
        .contains(">The admin post</a>")
        .contains("<a href=\"https://example.org/code\">Code</a>");
    var api = api("GET", "/api/v1/menus", null);
    assertThat(JSON.readTree(api.body()).at("/items/0/links/2/url").asText())
        .isEqualTo("https://example.org/code");
    var put =
        api(
            "PUT",
            "/api/v1/menus/footer",
            "{\"links\": [{\"label\": \"Feed\", \"url\": \"/feed.xml\"}]}");
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    var refused =
        api("PUT", "/api/v1/menus/footer", "{\"links\": [{\"label\": \"\", \"url\": \"/\"}]}");
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(refused.body()).at("/error/field").asText())
        .isEqualTo("links[0].label");
    assertThat(editor.get("/admin/menus/").body()).contains("Feed | /feed.xml");
    // A menu made through the API with a '|' in a label and in a URL saves back unchanged from
    // the admin's text, as the page writes it (the URL was cut at its own '|').
    var piped =
        api(
            "PUT",
            "/api/v1/menus/aside",
            "{\"links\": [{\"label\": \"L | x\", \"url\": \"/a|b/\"}]}");
    assertThat(piped.statusCode()).as(piped.body()).isEqualTo(200);
    JsonNode aside = menu("aside");
    String label = aside.at("/links/0/label").asText();
    String url = aside.at("/links/0/url").asText();
    assertThat(url).as("kept as sent").isEqualTo("/a|b/");
    assertThat(editor.get("/admin/menus/").body()).contains(label + " | " + url);
    var savedBack =
        editor.submit(
            "/admin/menus/",
            "/admin/menus/",
            Map.of("name", "aside", "links", label + " | " + url + "\r\n"));
    assertThat(savedBack.statusCode()).as(savedBack.body()).isEqualTo(303);
    assertThat(menu("aside").get("links")).isEqualTo(aside.get("links"));
    assertThat(
            editor
                .submit("/admin/menus/", "/admin/menus/remove", Map.of("name", "aside"))
                .statusCode())
        .isEqualTo(303);

    // Two editors open the menus page; the second to save is told, not silently overwritten.
    Matcher v =
        Pattern.compile("name=\"version\" value=\"(\\d+)\"")
            .matcher(editor.get("/admin/menus/").body());
    assertThat(v.find()).isTrue();
    String opened = v.group(1);
    var first =
        editor.submit(
            "/admin/menus/",
            "/admin/menus/",
            Map.of(
                "name", "footer", "version", opened, "links", "Feed | /feed.xml\r\nA | /a/\r\n"));
    assertThat(first.statusCode()).as(first.body()).isEqualTo(303);
    var second =
        editor.submit(
            "/admin/menus/",
            "/admin/menus/",
            Map.of(
                "name", "footer", "version", opened, "links", "Feed | /feed.xml\r\nB | /b/\r\n"));
    assertThat(second.statusCode()).isEqualTo(409);
    assertThat(second.body())
        .contains("Not saved: someone changed the menus after you opened this page")
        .as("what was typed is kept")
        .contains("B | /b/");
    assertThat(JSON.readTree(api("GET", "/api/v1/menus", null).body()).toString())
        .contains("/a/")
        .doesNotContain("/b/");
    var newOverOld =
        editor.submit(
            "/admin/menus/",
            "/admin/menus/",
            Map.of("new", "1", "name", "footer", "links", "X | /x/"));
    assertThat(newOverOld.statusCode()).isEqualTo(409);
    assertThat(newOverOld.body()).contains("there is a menu named footer already");
    var staleApi =
        api(
            "PUT",
            "/api/v1/menus/footer",
            "{\"links\": [{\"label\": \"C\", \"url\": \"/c/\"}], \"version\": " + opened + "}");
    assertThat(staleApi.statusCode()).isEqualTo(409);
    assertThat(JSON.readTree(staleApi.body()).at("/error/field").asText()).isEqualTo("version");
    String now = JSON.readTree(api("GET", "/api/v1/menus", null).body()).get("version").asText();
    assertThat(
            api(
                    "PUT",
                    "/api/v1/menus/footer",
                    "{\"links\": [{\"label\": \"C\", \"url\": \"/c/\"}], \"version\": " + now + "}")
                .statusCode())
        .isEqualTo(200);

    // A main menu without links is a header without navigation, not an empty landmark.
    var emptied = api("PUT", "/api/v1/menus/main", "{\"links\": []}");
    assertThat(emptied.statusCode()).as(emptied.body()).isEqualTo(200);
    assertThat(publicPage("/")).doesNotContain("class=\"site-nav\"").doesNotContain(">Start</a>");
    var removed = editor.submit("/admin/menus/", "/admin/menus/remove", Map.of("name", "main"));
    assertThat(removed.statusCode()).isEqualTo(303);
    assertThat(publicPage("/")).doesNotContain(">Start</a>").contains(">Blog</a>");
    var negativePut =
        api(
            "PUT",
            "/api/v1/menus/footer",
            "{\"links\": [{\"label\": \"C\", \"url\": \"/c/\"}], \"version\": -3}");
    assertThat(negativePut.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(negativePut.body()).at("/error/field").asText()).isEqualTo("version");
    var negative = api("DELETE", "/api/v1/menus/footer?version=-3", null);
    assertThat(negative.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(negative.body()).at("/error/message").asText())
        .isEqualTo("must be 0 or more, was -3");
    assertThat(api("DELETE", "/api/v1/menus/footer?version=" + opened, null).statusCode())
        .as("a removal from an older version is refused too")
        .isEqualTo(409);
    assertThat(api("DELETE", "/api/v1/menus/footer", null).statusCode()).isEqualTo(200);
    assertThat(api("DELETE", "/api/v1/menus/footer", null).statusCode()).isEqualTo(404);
  }

  @Test
  @Order(9)
  void publishingFromTheFormSavesWhatIsTypedFirstAndAStaleFormIsAConflict() throws Exception {
    AdminForms editor = signedIn("target2", "target2-password-1");
    var created =
        editor.submit(
            "/admin/content/new?kind=post",
            "/admin/content/new",
            Map.of("kind", "post", "title", "Typed then published", "body", "v1"));
    String id = AdminForms.location(created).split("/")[3];
    String edit = "/admin/content/" + id + "/";
    var published =
        editor.submit(
            edit, edit + "publish", form(editor, edit, Map.of("body", "v2, never saved alone")));
    assertThat(published.statusCode()).as(published.body()).isEqualTo(303);
    JsonNode now = item(id);
    assertThat(now.get("status").asText()).isEqualTo("published");
    assertThat(now.get("body").asText()).isEqualTo("v2, never saved alone");
    assertThat(now.get("revision").asLong()).as("created, edited, published").isEqualTo(3);

    // A form from before the publish is refused as a conflict, before anything is sent.
    Map<String, String> old = form(editor, edit, Map.of("body", "from an old tab"));
    old.put("revision", "1");
    var stale = editor.submit(edit, edit, old);
    assertThat(stale.statusCode()).isEqualTo(409);
    assertThat(stale.body()).contains("from an old tab").contains("it is now at 3");
    var revert =
        editor.submit(edit + "history", edit + "revert", Map.of("to", "1", "revision", "2"));
    assertThat(revert.statusCode()).isEqualTo(409);
    assertThat(revert.body()).contains("The item changed since you opened its history");
    assertThat(item(id).get("revision").asLong()).isEqualTo(3);

    // "Save and unpublish" of a published item takes it off the site before the typed text is
    // stored, so that text is never live: unpublished (4), then edited (5).
    var unpublished =
        editor.submit(edit, edit + "unpublish", form(editor, edit, Map.of("body", "v3, private")));
    assertThat(unpublished.statusCode()).as(unpublished.body()).isEqualTo(303);
    assertThat(events(id)).startsWith("edited", "unpublished", "published");
    now = item(id);
    assertThat(now.get("status").asText()).isEqualTo("draft");
    assertThat(now.get("body").asText()).isEqualTo("v3, private");

    // "Save and archive" the same way: unpublished, edited, archived.
    editor.submit(edit, edit + "publish", form(editor, edit, Map.of()));
    assertThat(item(id).get("status").asText()).isEqualTo("published");
    var archived =
        editor.submit(edit, edit + "archive", form(editor, edit, Map.of("body", "v4, retired")));
    assertThat(archived.statusCode()).as(archived.body()).isEqualTo(303);
    assertThat(events(id)).startsWith("archived", "edited", "unpublished", "published");
    now = item(id);
    assertThat(now.get("status").asText()).isEqualTo("archived");
    assertThat(now.get("body").asText()).isEqualTo("v4, retired");
    // "Move to drafts" takes it off the archive without putting it on the site; "Archive" sends
    // it back (publishing was the only way out, and its text went live on the way).
    assertThat(editor.get(edit).body()).contains("id=\"to-drafts\"");
    var drafted =
        editor.submit(edit, edit + "unpublish", Map.of("revision", now.get("revision").asText()));
    assertThat(drafted.statusCode()).as(drafted.body()).isEqualTo(303);
    assertThat(item(id).get("status").asText()).isEqualTo("draft");
    assertThat(events(id)).startsWith("unpublished", "archived");
    var again =
        editor.submit(edit, edit + "archive", form(editor, edit, Map.of("body", "v4, retired")));
    assertThat(again.statusCode()).as(again.body()).isEqualTo(303);
    assertThat(item(id).get("status").asText()).isEqualTo("archived");
    // An archived item's history offers no revert: it would be refused.
    assertThat(editor.get(edit + "history").body())
        .contains("archived")
        .doesNotContain("Revert to this");

    // A refused field leaves the published item as it was: nothing is sent. (An archived item's
    // page has only "Publish again" and "Move to drafts", which send the revision alone.)
    editor.submit(edit, edit + "publish", Map.of("revision", item(id).get("revision").asText()));
    assertThat(item(id).get("status").asText()).isEqualTo("published");
    long before = item(id).get("revision").asLong();
    var refused = editor.submit(edit, edit + "unpublish", form(editor, edit, Map.of("title", " ")));
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(item(id).get("status").asText()).isEqualTo("published");
    assertThat(item(id).get("revision").asLong()).isEqualTo(before);
  }

  @Test
  @Order(11)
  void previewAsPageShowsTheTypedTextInTheSitesOwnTemplatesAndStoresNothing() throws Exception {
    AdminForms editor = signedIn("target2", "target2-password-1");
    var created =
        editor.submit(
            "/admin/content/new?kind=post",
            "/admin/content/new",
            Map.of("kind", "post", "title", "Preview me", "body", "saved text"));
    String id = AdminForms.location(created).split("/")[3];
    String edit = "/admin/content/" + id + "/";
    assertThat(editor.get(edit).body()).contains("formaction=\"" + edit + "page-preview\"");

    var page =
        editor.submit(
            edit,
            edit + "page-preview",
            form(
                editor,
                edit,
                Map.of("title", "Typed <title>", "body", "Some **bold** words\n\n- one\n")));
    assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
    assertThat(page.headers().firstValue("X-Robots-Tag")).hasValue("noindex");
    assertThat(page.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(page.body())
        .contains("class=\"site-header\"")
        .contains("<h1 class=\"post__title\">Typed &lt;title&gt;</h1>")
        .contains("<strong>bold</strong>")
        .contains("class=\"preview-banner\"")
        .contains("<meta name=\"robots\" content=\"noindex\">");
    JsonNode stored = item(id);
    assertThat(stored.get("title").asText()).isEqualTo("Preview me");
    assertThat(stored.get("revision").asLong()).isEqualTo(1);

    // An item not created yet: a page, in the page template.
    var fresh =
        editor.submit(
            "/admin/content/new?kind=page",
            "/admin/content/new/page-preview",
            Map.of("kind", "page", "title", "About us, drafted", "body", "Hello"));
    assertThat(fresh.statusCode()).as(fresh.body()).isEqualTo(200);
    assertThat(fresh.body()).contains("About us, drafted").contains("class=\"preview-banner\"");

    // Without the form's token nothing is shown; a bad date names the field.
    assertThat(editor.post(edit + "page-preview", Map.of("title", "x")).statusCode())
        .isEqualTo(403);
    var badDate =
        editor.submit(edit, edit + "page-preview", form(editor, edit, Map.of("date", "soon")));
    assertThat(badDate.statusCode()).isEqualTo(400);
    assertThat(badDate.body()).contains("soon");
    // Images from other https hosts are allowed on the preview, as on the site; the rest of the
    // admin keeps its own policy.
    assertThat(page.headers().firstValue("Content-Security-Policy"))
        .hasValueSatisfying(p -> assertThat(p).contains("img-src 'self' data: https:"));
    assertThat(page.headers().allValues("Content-Security-Policy")).hasSize(1);
    assertThat(editor.get(edit).headers().firstValue("Content-Security-Policy"))
        .hasValueSatisfying(p -> assertThat(p).contains("img-src 'self' data:;"));
  }

  /**
   * The events of an item's revisions, newest first, once the revision list (a projection) has the
   * item's current revision (at most 10 s).
   */
  static List<String> events(String id) throws Exception {
    long current = item(id).get("revision").asLong();
    long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    while (true) {
      JsonNode items =
          JSON.readTree(api("GET", "/api/v1/content/" + id + "/revisions", null).body())
              .get("items");
      if (items.size() > 0 && items.get(0).get("revision").asLong() >= current
          || System.nanoTime() > until) {
        List<String> out = new ArrayList<>();
        items.forEach(r -> out.add(r.get("event").asText()));
        return out;
      }
      Thread.sleep(50);
    }
  }

  @Test
  @Order(10)
  void aSiteAuditRunsFromTheAdminAndAnEditorAuditsOnlyThisSite() throws Exception {
    AdminForms editor = signedIn("target2", "target2-password-1");
    // An editor audits this site only (quire.site.base-url, here the default): the admin is not a
    // way to make the server fetch an inner address.
    var inner =
        editor.submit(
            "/admin/audits/",
            "/admin/audits/",
            Map.of("url", "http://169.254.169.254/latest/", "maxPages", "5"));
    assertThat(inner.statusCode()).isEqualTo(400);
    assertThat(inner.body()).contains("An editor audits this site only");
    // An admin may start anywhere the crawler allows; this site runs on a port of its own.
    AdminForms admin = signedIn("admin", "a-new-password-1");
    var bad =
        admin.submit(
            "/admin/audits/", "/admin/audits/", Map.of("url", "ftp://x/", "maxPages", "5"));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("role=\"alert\"");
    var started =
        admin.submit(
            "/admin/audits/", "/admin/audits/", Map.of("url", base + "/", "maxPages", "10"));
    assertThat(started.statusCode()).as(started.body()).isEqualTo(303);
    String job = AdminForms.location(started);
    assertThat(job).matches("/admin/audits/[^/]+");
    EndToEndTest.await(
        () -> admin.get(job).body().contains("<span id=\"audit-state\">finished</span>"),
        Duration.ofSeconds(60));
    String report = admin.get(job).body();
    assertThat(report).contains("<h2>Findings</h2>");
    String audits = admin.get("/admin/audits/").body();
    assertThat(audits).contains(base + "/").contains(">finished<");
    // Queued at: a time as the admin's other pages show it, the instant in its datetime.
    assertThat(org.jsoup.Jsoup.parse(audits).selectFirst("td time").text()).matches(ADMIN_TIME);
    // Authors do not run audits.
    assertThat(signedIn("author2", "author2-password").get("/admin/audits/").statusCode())
        .isEqualTo(403);
  }

  @Test
  @Order(18)
  void aPublishedPageCanBeTheHomeItsOwnAddressLeadsThereAndThePostsStayOnTheBlog()
      throws Exception {
    AdminForms admin = signedIn("admin", "a-new-password-1"); // changed in an earlier test
    String id =
        publishedPost(
            "{\"kind\": \"page\", \"title\": \"Welcome <home>\", \"slug\": \"welcome-home\","
                + " \"body\": \"We write about *things*.\"}");
    EndToEndTest.await(() -> status("/welcome-home/") == 200, Duration.ofSeconds(10));
    String settingsPage = admin.get("/admin/settings/").body();
    assertThat(settingsPage)
        .as("the site's published pages are the choices, escaped")
        .contains("<option value=\"welcome-home\">Welcome &lt;home&gt; (/welcome-home/)</option>")
        .contains("<option value=\"\" selected>The latest posts</option>");

    // Only a published page: not a post, not a page that is not there.
    var none = api("PUT", "/api/v1/settings", "{\"homePage\": \"no-such-page\"}");
    assertThat(none.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(none.body()).at("/error/field").asText()).isEqualTo("homePage");
    assertThat(JSON.readTree(none.body()).at("/error/message").asText())
        .contains("no published page has the slug 'no-such-page'");
    var notASlug = api("PUT", "/api/v1/settings", "{\"homePage\": \"../admin\"}");
    assertThat(notASlug.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(notASlug.body()).at("/error/message").asText())
        .contains("must be the slug of a page");

    long version =
        JSON.readTree(api("GET", "/api/v1/settings", null).body()).get("version").asLong();
    Map<String, String> form = new java.util.HashMap<>();
    for (String key : dev.quire.protocol.SiteProfile.KEYS) {
      form.put(key, "");
    }
    form.put("version", Long.toString(version));
    form.put("home-page", "welcome-home");
    var saved = admin.submit("/admin/settings/", "/admin/settings/", form);
    assertThat(saved.statusCode()).as(saved.body()).isEqualTo(303);
    assertThat(admin.get("/admin/settings/").body())
        .contains(
            "<option value=\"welcome-home\" selected>Welcome &lt;home&gt; (/welcome-home/)</option>");
    assertThat(
            JSON.readTree(api("GET", "/api/v1/settings", null).body())
                .at("/settings/homePage")
                .asText())
        .isEqualTo("welcome-home");
    // Its edit page says so, and its "view on the site" is the home.
    var editPage = org.jsoup.Jsoup.parse(admin.get("/admin/content/" + id + "/").body());
    assertThat(editPage.select("#view-live").attr("href")).isEqualTo("/");
    assertThat(editPage.select("#home-page-note").text()).contains("home page");

    // The home shows the page, at the home's address, under the site's title.
    var home = org.jsoup.Jsoup.parse(publicPage("/"));
    assertThat(home.select("#front-page h1").text()).isEqualTo("Welcome <home>");
    assertThat(home.select("#front-page .prose em").text()).isEqualTo("things");
    assertThat(home.select(".card__title")).as("no list of posts").isEmpty();
    assertThat(home.title()).doesNotContain("Welcome");
    String siteUrl =
        JSON.readTree(api("GET", "/api/v1/settings", null).body()).at("/settings/baseUrl").asText();
    assertThat(home.select("link[rel=canonical]").attr("href")).isEqualTo(siteUrl + "/");
    assertThat(home.select(".site-nav a[href=/welcome-home/]"))
        .as("not a second time in the header")
        .isEmpty();
    // Its own address leads to the home, once (no chain), and the posts stay on the blog.
    var own =
        AdminForms.HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/welcome-home/")).build(),
            HttpResponse.BodyHandlers.discarding());
    assertThat(own.statusCode()).isEqualTo(301);
    assertThat(own.headers().firstValue("Location")).hasValue("/");
    assertThat(org.jsoup.Jsoup.parse(publicPage("/blog/")).select(".card__title")).isNotEmpty();
    assertThat(publicPage("/sitemap.xml"))
        .contains("<loc>" + siteUrl + "/</loc>")
        .doesNotContain("/welcome-home/");

    // Renamed, it is still the home (the setting names the slug it was chosen by), and both its
    // addresses lead to the home in one hop.
    var renamed = api("PUT", "/api/v1/content/" + id, "{\"revision\": 2, \"slug\": \"welcome\"}");
    assertThat(renamed.statusCode()).as(renamed.body()).isEqualTo(200);
    EndToEndTest.await(() -> status("/welcome/") == 301, Duration.ofSeconds(10));
    for (String address : new String[] {"/welcome/", "/welcome-home/"}) {
      var hop =
          AdminForms.HTTP.send(
              HttpRequest.newBuilder(URI.create(base + address)).build(),
              HttpResponse.BodyHandlers.discarding());
      assertThat(hop.statusCode()).as(address).isEqualTo(301);
      assertThat(hop.headers().firstValue("Location")).as(address).hasValue("/");
    }
    assertThat(org.jsoup.Jsoup.parse(publicPage("/")).select("#front-page h1").text())
        .isEqualTo("Welcome <home>");
    assertThat(admin.get("/admin/settings/").body())
        .as("the renamed page is the chosen one")
        .contains(
            "<option value=\"welcome-home\" selected>Welcome &lt;home&gt; (/welcome/)</option>");

    // Unpublished, the home shows the posts again; the setting stays (other settings still save)
    // and the admin says why it does not show.
    assertThat(
            api("POST", "/api/v1/content/" + id + "/unpublish", "{\"revision\": 3}").statusCode())
        .isEqualTo(200);
    EndToEndTest.await(
        () -> !org.jsoup.Jsoup.parse(publicPage("/")).select(".card__title").isEmpty(),
        Duration.ofSeconds(10));
    assertThat(status("/welcome/")).isEqualTo(404);
    assertThat(admin.get("/admin/settings/").body())
        .contains(
            "<option value=\"welcome-home\" selected>welcome-home (not published: the home shows"
                + " the posts)</option>");
    form.put("version", Long.toString(version + 1));
    form.put("title", "Still saves");
    var again = admin.submit("/admin/settings/", "/admin/settings/", form);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(303);
    assertThat(publicPage("/")).contains("<title>Still saves");

    // A page published a moment ago may not be on this gateway's site yet: the content role is
    // asked (which way the answer came depends on timing, so this cannot fail the old way only
    // sometimes; both ways must say yes). A draft page, and a post, are refused saying which.
    publishedPost(
        "{\"kind\": \"page\", \"title\": \"Just out\", \"slug\": \"just-out\", \"body\": \"x\"}");
    var justOut = api("PUT", "/api/v1/settings", "{\"homePage\": \"just-out\"}");
    assertThat(justOut.statusCode()).as(justOut.body()).isEqualTo(200);
    assertThat(
            api(
                    "POST",
                    "/api/v1/content",
                    "{\"kind\": \"page\", \"title\": \"Not yet\", \"slug\": \"not-yet-home\"}")
                .statusCode())
        .isEqualTo(201);
    var draftHome = api("PUT", "/api/v1/settings", "{\"homePage\": \"not-yet-home\"}");
    assertThat(draftHome.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(draftHome.body()).at("/error/message").asText())
        .contains("(that page is draft)");
    publishedPost(
        "{\"kind\": \"post\", \"title\": \"A post\", \"slug\": \"a-post-not-a-page\", \"body\": \"x\"}");
    var postHome = api("PUT", "/api/v1/settings", "{\"homePage\": \"a-post-not-a-page\"}");
    assertThat(postHome.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(postHome.body()).at("/error/message").asText())
        .contains("a post has it");

    var cleared = api("PUT", "/api/v1/settings", "{}");
    assertThat(cleared.statusCode()).as(cleared.body()).isEqualTo(200);
    assertThat(JSON.readTree(cleared.body()).at("/settings/homePage").asText()).isEmpty();
  }

  @Test
  @Order(19)
  void theCoversDescriptionIsWrittenInTheFormAndARefusedOneIsShownAtItsField() throws Exception {
    AdminForms admin = signedIn("admin", "a-new-password-1"); // changed in an earlier test
    var created =
        admin.submit(
            "/admin/content/new?kind=post",
            "/admin/content/new",
            Map.of(
                "kind", "post",
                "title", "A cover described",
                "coverImage", "/media/cover.webp",
                "coverAlt", "A lighthouse at dusk",
                "body", "Text."));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(303);
    String id = AdminForms.location(created).split("/")[3];
    String edit = "/admin/content/" + id + "/";
    assertThat(item(id).get("coverAlt").asText()).isEqualTo("A lighthouse at dusk");
    assertThat(admin.get(edit).body())
        .contains("id=\"field-coverAlt\" value=\"A lighthouse at dusk\"");
    // Refused by the content rules, it is shown at its own field, as the cover's URL is.
    var refused = admin.submit(edit, edit, form(admin, edit, Map.of("coverAlt", "x".repeat(501))));
    assertThat(refused.statusCode()).isEqualTo(400);
    var page = org.jsoup.Jsoup.parse(refused.body());
    assertThat(page.select("#field-coverAlt").attr("aria-invalid")).isEqualTo("true");
    assertThat(page.select("#field-coverAlt + .field-error").text()).contains("500");
    var badCover =
        admin.submit(edit, edit, form(admin, edit, Map.of("coverImage", "javascript:alert(1)")));
    assertThat(badCover.statusCode()).isEqualTo(400);
    assertThat(
            org.jsoup.Jsoup.parse(badCover.body()).select("#field-coverImage").attr("aria-invalid"))
        .isEqualTo("true");
    assertThat(item(id).get("coverAlt").asText())
        .as("nothing stored")
        .isEqualTo("A lighthouse at dusk");
  }

  /**
   * An admin sees another user's API tokens from the users page and revokes one (a form with its
   * CSRF token); only admins reach that page; the revoked token stops working at once.
   */
  @Test
  @Order(20)
  void anAdminRevokesAnotherUsersApiTokenFromTheUsersPage() throws Exception {
    var added =
        api(
            "POST",
            "/api/v1/users",
            "{\"username\": \"tokenowner\", \"role\": \"author\","
                + " \"password\": \"tokenowner-password-1\"}");
    assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
    var made = api("POST", "/api/v1/users/tokenowner/tokens", "{\"name\": \"CI <build>\"}");
    assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
    String token = JSON.readTree(made.body()).get("token").asText();
    String id = JSON.readTree(made.body()).get("id").asText();
    String path = "/admin/users/tokenowner/tokens";

    AdminForms owner = signedIn("tokenowner", "tokenowner-password-1");
    assertThat(owner.get(path).statusCode())
        .as("an author may not see others' tokens")
        .isEqualTo(403);
    var own = owner.get("/admin/account/tokens");
    assertThat(own.body()).contains("CI &lt;build&gt;").contains("quire_" + id + "_");

    // The owner makes one by form; the same form sent again (a reload re-posts it) makes none.
    String formId = org.jsoup.Jsoup.parse(own.body()).select("#make-token input[name=form]").val();
    assertThat(formId).matches("[0-9a-f]{16}");
    Map<String, String> makeForm =
        Map.of(
            "_csrf", AdminForms.csrf(own.body()),
            "form", formId,
            "name", "laptop",
            "expires", "30",
            "current", "tokenowner-password-1");
    var first = owner.post("/admin/account/tokens", makeForm);
    assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
    String shown = org.jsoup.Jsoup.parse(first.body()).select("#new-token").val();
    assertThat(shown).startsWith("quire_");
    assertThat(bearer(shown, "/api/v1/me")).isEqualTo(200);
    var again = owner.post("/admin/account/tokens", makeForm);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(409);
    assertThat(again.body()).contains("This form was sent before").doesNotContain("new-token");
    var listed = JSON.readTree(api("GET", "/api/v1/users/tokenowner/tokens", null).body());
    assertThat(listed.get("items")).as(listed.toString()).hasSize(2);
    assertThat(bearer(shown, "/api/v1/me")).as("the first token still works").isEqualTo(200);
    // Each time the page is shown its form is a new one, and makes a token of its own.
    var fresh = owner.get("/admin/account/tokens").body();
    String nextForm = org.jsoup.Jsoup.parse(fresh).select("#make-token input[name=form]").val();
    assertThat(nextForm).matches("[0-9a-f]{16}").isNotEqualTo(formId);
    Map<String, String> nextMake = new java.util.HashMap<>(makeForm);
    nextMake.put("form", nextForm);
    nextMake.put("name", "desktop");
    var second = owner.post("/admin/account/tokens", nextMake);
    assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
    assertThat(org.jsoup.Jsoup.parse(second.body()).select("#new-token").val())
        .startsWith("quire_")
        .isNotEqualTo(shown);

    AdminForms admin = signedIn("admin", "a-new-password-1"); // changed in an earlier test
    assertThat(admin.get("/admin/users/").body()).contains("href=\"" + path + "\"");
    var page = admin.get(path);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body())
        .contains("CI &lt;build&gt;")
        .doesNotContain("CI <build>")
        .doesNotContain(token.substring(24))
        .doesNotContain("id=\"make-token\"");
    String revoke = path + "/" + id + "/revoke";
    assertThat(admin.post(revoke, Map.of("_csrf", "forged")).statusCode()).isEqualTo(403);
    assertThat(bearer(token, "/api/v1/me")).isEqualTo(200);
    var revoked = admin.submit(path, revoke, Map.of());
    assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(303);
    assertThat(AdminForms.location(revoked)).isEqualTo(path + "?done=revoked");
    assertThat(admin.get(path + "?done=revoked").body()).contains("Token revoked");
    assertThat(bearer(token, "/api/v1/me")).isEqualTo(401);
  }

  static int bearer(String token, String path) throws Exception {
    return AdminForms.HTTP
        .send(
            HttpRequest.newBuilder(URI.create(base + path))
                .header("Authorization", "Bearer " + token)
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  static String publicPage(String path) throws Exception {
    return AdminForms.HTTP
        .send(
            HttpRequest.newBuilder(URI.create(base + path)).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  // ---------------------------------------------------------------- helpers

  @Test
  @Order(12)
  void editorsFindItemsByTitleSlugOrDescriptionAndKind() throws Exception {
    for (String item :
        List.of(
            "{\"kind\": \"post\", \"title\": \"Findable <alpha>\", \"slug\": \"fa\"}",
            "{\"kind\": \"page\", \"title\": \"Beta\", \"slug\": \"findable-beta\"}",
            "{\"kind\": \"post\", \"title\": \"Gamma\", \"description\": \"Not FINDABLE.\"}",
            "{\"kind\": \"post\", \"title\": \"Delta\", \"slug\": \"delta\"}")) {
      assertThat(api("POST", "/api/v1/content", item).statusCode()).isEqualTo(201);
    }
    // The list is the read model: it follows the writes within moments.
    EndToEndTest.await(
        () ->
            JSON.readTree(api("GET", "/api/v1/content?q=findable", null).body())
                    .get("total")
                    .asInt()
                == 3,
        Duration.ofSeconds(10));
    var byKind = JSON.readTree(api("GET", "/api/v1/content?q=FINDABLE&kind=post", null).body());
    assertThat(byKind.get("total").asInt()).isEqualTo(2);
    var tooLong = api("GET", "/api/v1/content?q=" + "x".repeat(201), null);
    assertThat(tooLong.statusCode()).isEqualTo(400);
    assertThat(tooLong.body()).contains("\"field\":\"q\"");

    AdminForms admin = signedIn("target2", "target2-password-1");
    var found = admin.get("/admin/content/?q=findable&kind=post");
    assertThat(found.statusCode()).isEqualTo(200);
    assertThat(found.body())
        .contains("Findable &lt;alpha&gt;")
        .contains(">Gamma<")
        .doesNotContain(">Beta<")
        .doesNotContain(">Delta<")
        .contains("value=\"findable\"")
        .contains("2 in all.");
    var pages = admin.get("/admin/content/?q=findable&kind=page");
    assertThat(pages.body()).contains(">Beta<").doesNotContain(">Gamma<");
    assertThat(admin.get("/admin/content/?q=nothing-like-this").body())
        .contains("Nothing matches.");
    assertThat(admin.get("/admin/content/?kind=video").statusCode()).isEqualTo(400);
    // A page number below 1 is an error naming it, as on the media list, not page 1.
    var below = admin.get("/admin/content/?page=-1");
    assertThat(below.statusCode()).isEqualTo(400);
    assertThat(below.body())
        .contains("Check what was sent")
        .contains("page: must be a whole number from 1, was &#39;-1&#39;");
    // A method the address does not answer: 405, headed as such and naming the ones it does.
    var wrongMethod = admin.send("DELETE", "/admin/content/");
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(wrongMethod.body())
        .contains("Not answered here")
        .contains("answers GET")
        .doesNotContain("Something went wrong");
  }

  @Test
  @Order(13)
  void signingOutEverywhereElseEndsEveryOtherSessionAndKeepsThisOne() throws Exception {
    AdminForms laptop = signedIn("target2", "target2-password-1");
    String before = laptop.cookies.get("quire_admin");
    AdminForms phone = signedIn("target2", "target2-password-1");
    assertThat(phone.get("/admin/content/").statusCode()).isEqualTo(200);
    assertThat(laptop.get("/admin/account").body()).contains("id=\"end-other-sessions\"");
    Thread.sleep(2_000);
    var ended = laptop.submit("/admin/account", "/admin/account/sessions", Map.of());
    assertThat(ended.statusCode()).isEqualTo(303);
    // The new session ends when the one it replaces would have: this form asks for no password,
    // so a stolen session sent it again and again to live on for ever.
    String renewed =
        ended.headers().allValues("Set-Cookie").stream()
            .filter(c -> c.startsWith("quire_admin=") && !c.contains("Max-Age=0"))
            .findFirst()
            .orElseThrow();
    long maxAge = Long.parseLong(renewed.replaceAll("(?i).*Max-Age=([0-9]+).*", "$1"));
    assertThat(maxAge).isLessThanOrEqualTo(Duration.ofHours(12).toSeconds() - 2);
    assertThat(laptop.cookies.get("quire_admin")).isNotEqualTo(before);
    assertThat(AdminForms.location(ended)).isEqualTo("/admin/account?done=sessions");
    assertThat(ended.headers().allValues("Set-Cookie"))
        .as("this browser is trusted again, with a new secret")
        .anyMatch(c -> c.startsWith("quire_device=") && !c.contains("Max-Age=0"));
    assertThat(laptop.get("/admin/account?done=sessions").body())
        .contains("You are signed out everywhere else.");
    var there = phone.get("/admin/content/");
    assertThat(there.statusCode()).isEqualTo(303);
    assertThat(AdminForms.location(there)).contains("/admin/login");
    // Without the form's token: refused, nothing ended.
    assertThat(laptop.post("/admin/account/sessions", Map.of("_csrf", "forged")).statusCode())
        .isEqualTo(403);
    assertThat(laptop.get("/admin/content/").statusCode()).isEqualTo(200);

    // The API ends them all, this one too.
    var viaApi = api("DELETE", "/api/v1/users/target2/sessions", null);
    assertThat(viaApi.statusCode()).as(viaApi.body()).isEqualTo(200);
    assertThat(laptop.get("/admin/content/").statusCode()).isEqualTo(303);
    assertThat(api("DELETE", "/api/v1/users/nobody/sessions", null).statusCode()).isEqualTo(404);
  }

  /**
   * Signing in again ends the session the browser came with (a copy of the old cookie stopped
   * working only when it expired), and an admin's own password is changed only where the current
   * one is asked for (the users page asked for none: a stolen session could take the account).
   */
  @Test
  @Order(16)
  void signingInAgainEndsTheOldSessionAndOnesOwnPasswordNeedsTheCurrentOne() throws Exception {
    var added =
        api(
            "POST",
            "/api/v1/users",
            "{\"username\": \"keeper\", \"role\": \"admin\", \"password\":"
                + " \"keeper-password-1\"}");
    assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
    AdminForms browser = signedIn("keeper", "keeper-password-1");
    AdminForms copy = browser.copyTo(base);
    assertThat(copy.get("/admin/content/").statusCode()).isEqualTo(200);
    var again = browser.signIn("keeper", "keeper-password-1");
    assertThat(again.statusCode()).isEqualTo(303);
    assertThat(browser.get("/admin/content/").statusCode()).isEqualTo(200);
    var old = copy.get("/admin/content/");
    assertThat(old.statusCode()).as("the session signed in over has ended").isEqualTo(303);
    assertThat(AdminForms.location(old)).contains("/admin/login");

    var own =
        browser.submit(
            "/admin/users/", "/admin/users/keeper", Map.of("password", "taken-over-password-1"));
    assertThat(own.statusCode()).isEqualTo(403);
    assertThat(own.body()).contains("change your own password on your account page");
    assertThat(new AdminForms(base).signIn("keeper", "taken-over-password-1").statusCode())
        .isEqualTo(401);
    assertThat(new AdminForms(base).signIn("keeper", "keeper-password-1").statusCode())
        .isEqualTo(303);
  }

  /**
   * An account whose hash was made with weaker Argon2 parameters than the site's now (here: less
   * memory than this test's node uses) gets a hash with the present ones at its next sign-in, and
   * keeps its sessions: the password did not change.
   */
  @Test
  void aSignInHashesAnOlderParametersPasswordAgainAndEndsNoSession() throws Exception {
    String older =
        new dev.quire.gateway.admin.PasswordHasher(
                new dev.quire.gateway.admin.PasswordHasher.Params(64, 1, 1))
            .hash("older-params-password-1");
    var users =
        org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(node.system())
            .entityRefFor(
                dev.quire.protocol.UserCommand.ENTITY_KEY, dev.quire.protocol.UserCommand.SITE);
    var added =
        users
            .<dev.quire.protocol.UserCommand.UserReply>ask(
                r ->
                    new dev.quire.protocol.UserCommand.Add(
                        "veteran", null, dev.quire.protocol.Role.EDITOR, older, "test", r),
                Duration.ofSeconds(5))
            .toCompletableFuture()
            .get();
    assertThat(added).isInstanceOf(dev.quire.protocol.UserCommand.UserReply.Done.class);

    AdminForms first = signedIn("veteran", "older-params-password-1");
    String now =
        users
            .<dev.quire.protocol.UserCommand.LoginTicket>ask(
                r -> new dev.quire.protocol.UserCommand.BeginLogin("veteran", r),
                Duration.ofSeconds(5))
            .toCompletableFuture()
            .get()
            .passwordHash();
    assertThat(now)
        .as("this node's parameters: 1 MiB, 1 pass")
        .startsWith("$argon2id$v=19$m=1024,t=1,p=1$");
    assertThat(first.get("/admin/content/").statusCode()).as("the session goes on").isEqualTo(200);
    // The same password opens the account (a second browser: the first keeps its session).
    AdminForms second = new AdminForms(base);
    assertThat(second.signIn("veteran", "older-params-password-1").statusCode()).isEqualTo(303);
    assertThat(new AdminForms(base).signIn("veteran", "other-password-1").statusCode())
        .isEqualTo(401);
  }

  @Test
  @Order(15)
  void aDescriptionsLineBreaksSurviveASaveFromTheForm() throws Exception {
    var created =
        api(
            "POST",
            "/api/v1/content",
            "{\"kind\": \"post\", \"title\": \"Two lines\", \"description\": \"line one\\nline"
                + " two\", \"body\": \"x\"}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String id = JSON.readTree(created.body()).get("id").asText();
    AdminForms editor = signedIn("target2", "target2-password-1");
    var form = editor.get("/admin/content/" + id + "/");
    assertThat(form.body())
        .as("a one-line input would drop the line break on the next save")
        .contains(
            "<textarea name=\"description\" id=\"field-description\" rows=\"3\" dir=\"auto\">\nline one\nline two</textarea>");
    var saved =
        editor.submit(
            "/admin/content/" + id + "/",
            "/admin/content/" + id + "/",
            Map.of(
                "revision",
                "1",
                "title",
                "Two lines",
                "description",
                "line one\nline two",
                "body",
                "y"));
    assertThat(saved.statusCode()).as(saved.body()).isEqualTo(303);
    assertThat(item(id).get("description").asText()).isEqualTo("line one\nline two");
    // Browsers send a text area's line breaks as CRLF: stored as LF, so the same form saved
    // again is no change (it wrote a revision, and \r reached meta tags and feeds).
    long revision = item(id).get("revision").asLong();
    var again =
        editor.submit(
            "/admin/content/" + id + "/",
            "/admin/content/" + id + "/",
            Map.of(
                "revision",
                String.valueOf(revision),
                "title",
                "Two lines",
                "description",
                "line one\r\nline two",
                "body",
                "y"));
    assertThat(again.statusCode()).as(again.body()).isEqualTo(303);
    assertThat(item(id).get("description").asText()).isEqualTo("line one\nline two");
    assertThat(item(id).get("revision").asLong()).isEqualTo(revision);
    // A title is one line wherever it shows: a line break (and the spaces around it) is folded
    // into one space, not refused, so items stored with one before still edit and restore.
    var twoLineTitle =
        api(
            "POST",
            "/api/v1/content",
            "{\"kind\": \"post\", \"title\": \"Two \\n lines\", \"slug\": \"folded\","
                + " \"body\": \"x\"}");
    assertThat(twoLineTitle.statusCode()).as(twoLineTitle.body()).isEqualTo(201);
    assertThat(JSON.readTree(twoLineTitle.body()).get("title").asText()).isEqualTo("Two lines");
  }

  @Test
  @Order(14)
  void adminsSetTheSitesTitleAndPagingOverTheConfigurationAndEveryPageShowsIt() throws Exception {
    AdminForms admin = signedIn("admin", "a-new-password-1"); // changed in an earlier test
    var page = admin.get("/admin/settings/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body())
        .as("an empty field shows the configuration's value")
        .contains("placeholder=\"Quire\"")
        .contains("name=\"version\" value=\"0\"");
    assertThat(signedIn("target2", "target2-password-1").get("/admin/settings/").statusCode())
        .as("an editor may not")
        .isEqualTo(403);
    String before = publicPage("/");
    assertThat(before).contains("<title>Quire");
    // Dates in the language's own long form: the configuration's "en" writes the month first.
    java.time.LocalDate shown = firstDate(before);
    assertThat(before)
        .contains(
            ">"
                + shown
                    .getMonth()
                    .getDisplayName(java.time.format.TextStyle.FULL, java.util.Locale.ENGLISH)
                + " "
                + shown.getDayOfMonth()
                + ", "
                + shown.getYear()
                + "</time>");
    int posts =
        JSON.readTree(api("GET", "/api/v1/content?status=published&kind=post", null).body())
            .get("total")
            .asInt();
    assertThat(posts).as("published posts, for the paging checks").isBetween(2, 10);
    String lastPage = "/blog/page/" + posts + "/";
    assertThat(status(lastPage)).as("ten posts a page: one page").isEqualTo(404);

    Map<String, String> form =
        new java.util.HashMap<>(
            Map.of(
                "version", "0",
                "title", "Field <Notes> & co",
                "description", "Notes from the field.",
                "author", "",
                "language", "en-GB",
                "home-posts", "2",
                "page-size", "1"));
    var bad = new java.util.HashMap<>(form);
    bad.put("page-size", "0");
    var refused = admin.submit("/admin/settings/", "/admin/settings/", bad);
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(refused.body())
        .contains("0 is not between 1 and 1000")
        .as("what was typed is kept")
        .contains("value=\"Field &lt;Notes&gt; &amp; co\"");
    bad.put("page-size", "many");
    assertThat(admin.submit("/admin/settings/", "/admin/settings/", bad).body())
        .contains("&#39;many&#39; is not a whole number");
    assertThat(admin.post("/admin/settings/", Map.of("_csrf", "forged")).statusCode())
        .isEqualTo(403);

    var saved = admin.submit("/admin/settings/", "/admin/settings/", form);
    assertThat(saved.statusCode()).as(saved.body()).isEqualTo(303);
    assertThat(AdminForms.location(saved)).isEqualTo("/admin/settings/?done=1");
    // Every page shows it at once on this gateway (the memoised pages were dropped), escaped.
    String home = publicPage("/");
    java.time.LocalDate day = firstDate(home);
    assertThat(home)
        .as("en-GB: the day first")
        .contains(
            ">"
                + day.getDayOfMonth()
                + " "
                + day.getMonth()
                    .getDisplayName(java.time.format.TextStyle.FULL, java.util.Locale.ENGLISH)
                + " "
                + day.getYear()
                + "</time>");
    assertThat(home)
        .contains("<title>Field &lt;Notes&gt; &amp; co")
        .contains("lang=\"en-GB\"")
        .doesNotContain("<title>Quire");
    assertThat(status(lastPage)).as("one post a page").isEqualTo(200);
    // "All posts" goes on from the first post the home page does not show: the third of them, on
    // page 3 at one a page (it linked page 2, whatever the two settings were).
    String allPosts = org.jsoup.Jsoup.parse(home).selectFirst(".more-link a").attr("href");
    assertThat(allPosts).isEqualTo(posts > 2 ? "/blog/page/3/" : "/blog/");
    assertThat(status(allPosts)).isEqualTo(200);
    assertThat(publicPage("/feed.xml"))
        .contains("<title>Field &lt;Notes&gt; &amp; co</title>")
        .contains("<subtitle>Notes from the field.</subtitle>");
    String settingsPage = admin.get("/admin/settings/").body();
    assertThat(settingsPage)
        .as("the languages the theme has words in")
        .contains("it has them in de, en, es, fr, he, it, nl, pt, pt-BR;")
        .contains("Last changed by admin")
        .contains("name=\"version\" value=\"1\"");
    var changed = org.jsoup.Jsoup.parse(settingsPage).selectFirst("#settings-changed time");
    assertThat(changed.text()).matches(ADMIN_TIME);
    assertThat(java.time.Instant.parse(changed.attr("datetime")))
        .isBetween(java.time.Instant.now().minusSeconds(300), java.time.Instant.now());

    // The same form sent again (its answer lost, a double click) is done, not a conflict.
    assertThat(admin.submit("/admin/settings/", "/admin/settings/", form).statusCode())
        .isEqualTo(303);
    // Another change from a form opened before that one is a conflict, not a silent overwrite.
    var other = new java.util.HashMap<>(form);
    other.put("title", "Someone else's title");
    var stale = admin.submit("/admin/settings/", "/admin/settings/", other);
    assertThat(stale.statusCode()).isEqualTo(409);
    assertThat(stale.body())
        .contains("changed by admin since version 0")
        .contains("value=\"Someone else&#39;s title\"");

    var api = JSON.readTree(api("GET", "/api/v1/settings", null).body());
    assertThat(api.at("/version").asLong()).isEqualTo(1);
    assertThat(api.at("/settings/title").asText()).isEqualTo("Field <Notes> & co");
    assertThat(api.at("/settings/author").asText()).as("unset: the configuration's").isEmpty();
    assertThat(api.at("/set/pageSize").asInt()).isEqualTo(1);
    assertThat(api.at("/set/author").isNull()).isTrue();
    assertThat(api.at("/configured/title").asText()).isEqualTo("Quire");
    assertThat(api.at("/changedBy").asText()).isEqualTo("admin");
    var wrong = api("PUT", "/api/v1/settings", "{\"pageSize\": 0}");
    assertThat(wrong.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(wrong.body()).at("/error/field").asText()).isEqualTo("pageSize");
    assertThat(api("PUT", "/api/v1/settings", "{\"colour\": \"red\"}").statusCode()).isEqualTo(400);
    var staleApi = api("PUT", "/api/v1/settings", "{\"title\": \"X\", \"version\": 0}");
    assertThat(staleApi.statusCode()).isEqualTo(409);
    assertThat(JSON.readTree(staleApi.body()).at("/error/field").asText()).isEqualTo("version");

    // The theme's words follow the language too (the built-in German file), on every page.
    var german = api("PUT", "/api/v1/settings", "{\"language\": \"de\"}");
    assertThat(german.statusCode()).as(german.body()).isEqualTo(200);
    String germanHome = publicPage("/");
    assertThat(germanHome)
        .contains("lang=\"de\"")
        .contains("Min. Lesezeit</span>")
        .contains(">Ältere Beiträge <span")
        .contains(">Zum Inhalt springen</a>")
        .doesNotContain("min read");
    String postUrl = org.jsoup.Jsoup.parse(germanHome).selectFirst(".card__title a").attr("href");
    assertThat(publicPage(postUrl)).contains("Min. Lesezeit</span>").contains("Alle Beiträge</a>");
    assertThat(publicPage("/nothere/")).contains(">Seite nicht gefunden</h1>");

    // Nothing set: back to the configuration's values.
    var cleared = api("PUT", "/api/v1/settings", "{}");
    assertThat(cleared.statusCode()).as(cleared.body()).isEqualTo(200);
    assertThat(JSON.readTree(cleared.body()).at("/version").asLong()).isEqualTo(3);
    assertThat(publicPage("/")).contains("min read</span>");
    assertThat(publicPage("/")).contains("<title>Quire");
    assertThat(status(lastPage)).isEqualTo(404);
  }

  @Test
  @Order(21)
  void theSitesIconIsOneOfItsImagesInTabsFeedsTheHeaderAndAtFaviconIco() throws Exception {
    // Without one: the theme's, also at /favicon.ico, where browsers and feed readers look.
    var themeIco =
        AdminForms.HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/favicon.ico")).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(themeIco.statusCode()).isEqualTo(200);
    assertThat(themeIco.headers().firstValue("Content-Type")).hasValue("image/x-icon");
    assertThat(java.util.Arrays.copyOf(themeIco.body(), 4))
        .as("an ICO file's header")
        .containsExactly(0, 0, 1, 0);
    var themed = org.jsoup.Jsoup.parse(publicPage("/"));
    assertThat(themed.selectFirst("link[rel=icon]").attr("href"))
        .matches("/assets/favicon\\..*svg");
    assertThat(themed.selectFirst("link[rel=apple-touch-icon]").attr("href"))
        .matches("/assets/apple-touch-icon\\..*png");
    var themeTouch =
        AdminForms.HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/apple-touch-icon.png")).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(themeTouch.statusCode()).isEqualTo(200);
    var touchImage =
        javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(themeTouch.body()));
    assertThat(touchImage.getWidth()).as("a phone's home-screen size").isEqualTo(180);
    assertThat(status("/apple-touch-icon-precomposed.png")).isEqualTo(200);

    String png = upload("logo.png", "image/png", pngBytes(64));
    String text =
        upload(
            "notes.txt",
            "text/plain",
            "not an image".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    String sha = png.split("/")[2];

    // Refused, naming the field: a file that is no image, one the media does not have, another
    // host (the pages would load it from there).
    var notImage = api("PUT", "/api/v1/settings", "{\"icon\": \"" + text + "\"}");
    assertThat(notImage.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(notImage.body()).at("/error/field").asText()).isEqualTo("icon");
    assertThat(JSON.readTree(notImage.body()).at("/error/message").asText()).contains("text/plain");
    var missing =
        api("PUT", "/api/v1/settings", "{\"icon\": \"/media/" + "0".repeat(64) + "/gone.png\"}");
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(missing.body()).at("/error/message").asText()).contains("no file");
    var elsewhere =
        api("PUT", "/api/v1/settings", "{\"icon\": \"https://elsewhere.example/x.png\"}");
    assertThat(elsewhere.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(elsewhere.body()).at("/error/field").asText()).isEqualTo("icon");

    // Chosen in the admin's form, from the site's images (the text file is not offered).
    AdminForms admin = signedIn("admin", "a-new-password-1"); // changed in an earlier test
    var form = org.jsoup.Jsoup.parse(admin.get("/admin/settings/").body());
    var options = form.select("#setting-icon option");
    assertThat(options.eachAttr("value")).contains("", png).doesNotContain(text);
    Map<String, String> fields = new java.util.HashMap<>();
    for (var input : form.select("#settings-form input[name], #settings-form textarea[name]")) {
      fields.put(input.attr("name"), input.val());
    }
    fields.remove("_csrf");
    fields.put("icon", png);
    var saved = admin.submit("/admin/settings/", "/admin/settings/", fields);
    assertThat(saved.statusCode()).as(saved.body()).isEqualTo(303);
    assertThat(JSON.readTree(api("GET", "/api/v1/settings", null).body()).at("/set/icon").asText())
        .isEqualTo(png);
    var chosen = org.jsoup.Jsoup.parse(admin.get("/admin/settings/").body());
    assertThat(chosen.selectFirst("#setting-icon option[selected]").attr("value")).isEqualTo(png);
    assertThat(chosen.selectFirst("#setting-icon-preview").attr("src")).isEqualTo(png);

    // Every page, the feed and /favicon.ico name it at once.
    var page = org.jsoup.Jsoup.parse(publicPage("/"));
    assertThat(page.selectFirst("link[rel=icon]").attr("href")).isEqualTo(png);
    assertThat(page.selectFirst("link[rel=apple-touch-icon]").attr("href")).isEqualTo(png);
    assertThat(page.selectFirst(".site-title__mark").attr("src")).isEqualTo(png);
    var ico =
        AdminForms.HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/favicon.ico")).build(),
            HttpResponse.BodyHandlers.discarding());
    assertThat(ico.statusCode()).isEqualTo(302);
    assertThat(ico.headers().firstValue("Location")).hasValue(png);
    var touch =
        AdminForms.HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/apple-touch-icon.png")).build(),
            HttpResponse.BodyHandlers.discarding());
    assertThat(touch.statusCode()).isEqualTo(302);
    assertThat(touch.headers().firstValue("Location")).hasValue(png);
    // The feed names it absolutely, at the site's configured address.
    String siteBase =
        JSON.readTree(api("GET", "/api/v1/settings", null).body()).at("/settings/baseUrl").asText();
    assertThat(publicPage("/feed.xml")).contains("<icon>" + siteBase + png + "</icon>");

    // An SVG uploaded under a PNG's name is named as what it is: phones, which take no SVG, get
    // the theme's home-screen icon.
    String svgUpload =
        upload(
            "mark.png",
            "image/svg+xml",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1 1\"/>"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    var svgSet = api("PUT", "/api/v1/settings", "{\"icon\": \"" + svgUpload + "\"}");
    assertThat(svgSet.statusCode()).as(svgSet.body()).isEqualTo(200);
    String svgIcon = JSON.readTree(svgSet.body()).at("/set/icon").asText();
    assertThat(svgIcon).isEqualTo(svgUpload.replace("/mark.png", "/mark.svg"));
    var svgPage = org.jsoup.Jsoup.parse(publicPage("/"));
    assertThat(svgPage.selectFirst("link[rel=icon]").attr("href")).isEqualTo(svgIcon);
    assertThat(svgPage.selectFirst("link[rel=apple-touch-icon]").attr("href"))
        .startsWith("/assets/apple-touch-icon.");
    assertThat(status("/apple-touch-icon.png")).isEqualTo(200);
    var back = api("PUT", "/api/v1/settings", "{\"icon\": \"" + png + "\"}");
    assertThat(back.statusCode()).as(back.body()).isEqualTo(200);

    // While it is the icon, the file cannot be deleted: the pages would name a missing file.
    var refused = api("DELETE", "/api/v1/media/" + sha, null);
    assertThat(refused.statusCode()).isEqualTo(409);
    assertThat(JSON.readTree(refused.body()).at("/error/message").asText())
        .contains("the site's icon");
    assertThat(admin.get("/admin/media/delete/?sha256=" + sha).body())
        .contains("id=\"media-site-icon\"")
        .doesNotContain("id=\"delete-form\"");

    // Back to the theme's: then it may go.
    fields.put("icon", "");
    fields.put(
        "version",
        org.jsoup.Jsoup.parse(admin.get("/admin/settings/").body())
            .selectFirst("input[name=version]")
            .val()); // the form as shown now
    assertThat(admin.submit("/admin/settings/", "/admin/settings/", fields).statusCode())
        .isEqualTo(303);
    assertThat(org.jsoup.Jsoup.parse(publicPage("/")).selectFirst("link[rel=icon]").attr("href"))
        .startsWith("/assets/favicon.");
    assertThat(status("/favicon.ico")).isEqualTo(200);
    assertThat(publicPage("/feed.xml")).contains("<icon>" + siteBase + "/favicon.ico</icon>");
    assertThat(api("DELETE", "/api/v1/media/" + sha, null).statusCode()).isEqualTo(204);
  }

  @Test
  @Order(22)
  void whileTheDatabaseRefusesWritesEveryAdminPageSaysSoUntilOneGoesThrough() throws Exception {
    AdminForms admin = signedIn("admin", "a-new-password-1"); // changed in an earlier test
    assertThat(admin.get("/admin/content/").body()).doesNotContain("id=\"store-trouble\"");
    assertThat(writesHealth().statusCode()).isEqualTo(200);
    var config = node.system().settings().config();
    try (var db =
        java.sql.DriverManager.getConnection(
            config.getString("quire.db.url"),
            config.getString("quire.db.user"),
            config.getString("quire.db.password"))) {
      try (var st = db.createStatement()) {
        st.execute(
            "CREATE TRIGGER \"quire_test_refuse\" BEFORE INSERT ON \"event_journal\" FOR EACH"
                + " ROW CALL '"
                + RefuseJournalWrites.class.getName()
                + "'");
      }
      try {
        var refused =
            api(
                "POST",
                "/api/v1/content",
                "{\"kind\": \"post\", \"title\": \"Never stored\", \"slug\":"
                    + " \"never-stored\", \"body\": \"x\"}");
        assertThat(refused.statusCode()).as(refused.body()).isGreaterThanOrEqualTo(500);
        String page = awaitAdminPage(admin, body -> body.contains("id=\"store-trouble\""));
        var note = org.jsoup.Jsoup.parse(page).getElementById("store-trouble").text();
        assertThat(note)
            .startsWith("Saving is failing: the database refused the last write, at ")
            .contains(RefuseJournalWrites.MESSAGE)
            .containsPattern("The disk holding the site's data has \\d+ MB free")
            .contains("Everything saved before is kept");
        assertThat(publicPage("/")).as("visitors are not told").doesNotContain("Saving is failing");
        // A monitor is: /healthz stays 200 (pages are served), /healthz/writes says why not.
        assertThat(status("/healthz")).isEqualTo(200);
        var writes = writesHealth();
        assertThat(writes.statusCode()).isEqualTo(503);
        assertThat(writes.body())
            .startsWith("failing: the site's database is refusing writes")
            .contains(RefuseJournalWrites.MESSAGE);
        // A change that times out now says why, and that it was most likely not saved.
        var failing =
            api(
                "POST",
                "/api/v1/content",
                "{\"kind\": \"post\", \"title\": \"Still not\", \"slug\": \"still-not\","
                    + " \"body\": \"x\"}");
        assertThat(failing.statusCode()).isEqualTo(503);
        assertThat(JSON.readTree(failing.body()).at("/error/code").asText())
            .isEqualTo("store_failing");
        assertThat(JSON.readTree(failing.body()).at("/error/message").asText())
            .startsWith("the site's database is refusing writes: it refused the last one at ")
            .contains(RefuseJournalWrites.MESSAGE)
            .contains("the change may still be applied once the database takes writes again");
        // An import into it stops once told, as one into a stopped site stops on the journal's
        // own failure: more files than it sends at once, so that some are never tried.
        Path folder = Files.createDirectories(tmp.resolve("refused-import"));
        int files = 2 * QuireNode.config(Map.of()).getInt("quire.cli.server-import-parallelism");
        for (int i = 0; i < files; i++) {
          Files.writeString(
              folder.resolve("f" + i + ".md"), "---\ntitle: F" + i + "\nslug: f-" + i + "\n---\nx");
        }
        var cli =
            EmbeddingRoleClusterTest.runCli(
                "import", "markdown", folder.toString(), "--server", base, "--token", TOKEN);
        assertThat(cli.code()).as(cli.err()).isEqualTo(1);
        assertThat(cli.err())
            .contains("error: the import stopped: the site's database is refusing writes")
            .contains(RefuseJournalWrites.MESSAGE)
            .containsPattern("; [1-9][0-9]* file\\(s\\) were not tried")
            .doesNotContain("tried again");
      } finally {
        try (var st = db.createStatement()) {
          st.execute("DROP TRIGGER \"quire_test_refuse\"");
        }
      }
    }
    // A write that goes through clears it. After that many failures Pekko's circuit breaker lets
    // one write through every jdbc-journal.circuit-breaker.reset-timeout (1 s): saves work again
    // within that, as an editor trying again finds.
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    for (int n = 0; ; n++) {
      var stored =
          api(
              "POST",
              "/api/v1/content",
              "{\"kind\": \"post\", \"title\": \"Stored again\", \"slug\": \"stored-again-"
                  + n
                  + "\", \"body\": \"x\"}");
      if (stored.statusCode() == 201) {
        break;
      }
      assertThat(stored.statusCode()).as(stored.body()).isEqualTo(503);
      assertThat(System.nanoTime()).as("saving works again in time").isLessThan(deadline);
    }
    awaitAdminPage(admin, body -> !body.contains("id=\"store-trouble\""));
    assertThat(writesHealth().statusCode()).isEqualTo(200);
  }

  private static HttpResponse<String> writesHealth() throws Exception {
    return EndToEndTest.HTTP.send(
        HttpRequest.newBuilder(URI.create(base + "/healthz/writes")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** An admin page once {@code test} holds for it, asked again each half second (at most 30 s). */
  static String awaitAdminPage(AdminForms admin, java.util.function.Predicate<String> test)
      throws Exception {
    return awaitAdminPage(admin, "/admin/content/", test);
  }

  /** The admin page at {@code path} once {@code test} holds for it (within 30 s). */
  static String awaitAdminPage(
      AdminForms admin, String path, java.util.function.Predicate<String> test) throws Exception {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    String body = admin.get(path).body();
    while (!test.test(body)) {
      assertThat(System.nanoTime()).as("the admin page in time: " + body).isLessThan(deadline);
      Thread.sleep(500);
      body = admin.get(path).body();
    }
    return body;
  }

  /** Uploads {@code bytes} through the API as {@code type}; answers the file's address. */
  static String upload(String name, String type, byte[] bytes) throws Exception {
    var r = EndToEndTest.upload(base, TOKEN, bytes, type, name);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return JSON.readTree(r.body()).get("url").asText();
  }

  /** A square PNG of {@code size} pixels, one colour. */
  static byte[] pngBytes(int size) throws Exception {
    var img =
        new java.awt.image.BufferedImage(size, size, java.awt.image.BufferedImage.TYPE_INT_RGB);
    var g = img.createGraphics();
    g.setColor(new java.awt.Color(0xc2410c));
    g.fillRect(0, 0, size, size);
    g.dispose();
    var out = new java.io.ByteArrayOutputStream();
    javax.imageio.ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  /** The day of the first {@code <time datetime="yyyy-mm-dd">} on a page. */
  static java.time.LocalDate firstDate(String page) {
    Matcher m = Pattern.compile("<time datetime=\"(\\d{4}-\\d{2}-\\d{2})\">").matcher(page);
    assertThat(m.find()).as("a date on the page").isTrue();
    return java.time.LocalDate.parse(m.group(1));
  }

  static AdminForms signedIn(String user, String password) throws Exception {
    AdminForms b = new AdminForms(base);
    var in = b.signIn(user, password);
    assertThat(in.statusCode()).as(in.body()).isEqualTo(303);
    return b;
  }

  /** The edit form's fields as the page shows them, with {@code changes} over them. */
  static Map<String, String> form(AdminForms b, String edit, Map<String, String> changes)
      throws Exception {
    Map<String, String> f = hiddenAndInputs(b.get(edit).body());
    f.remove("_csrf");
    f.putAll(changes);
    return f;
  }

  static Map<String, String> hiddenFields(String html) {
    return hiddenAndInputs(html);
  }

  /** The edit form's inputs and textarea, read from the page as a browser would submit them. */
  static Map<String, String> hiddenAndInputs(String html) {
    var doc = org.jsoup.Jsoup.parse(html);
    var form = doc.getElementById("edit-form");
    assertThat(form).as("the edit form in: " + html).isNotNull();
    Map<String, String> f = new java.util.LinkedHashMap<>();
    for (var e : form.select("input[name], textarea[name]")) {
      // A browser drops the one newline that may open a textarea's content (HTML's parsing
      // rules); jsoup keeps it, so it is dropped here as a browser would.
      String value = e.tagName().equals("textarea") ? e.wholeText() : e.val();
      f.put(
          e.attr("name"),
          e.tagName().equals("textarea") && value.startsWith("\n") ? value.substring(1) : value);
    }
    return f;
  }

  static String firstPublishedId() throws Exception {
    var list = api("GET", "/api/v1/content?status=published", null);
    return JSON.readTree(list.body()).at("/items/0/id").asText();
  }

  static JsonNode item(String id) throws Exception {
    return JSON.readTree(api("GET", "/api/v1/content/" + id, null).body());
  }

  /** Creates an item from {@code json} over the API and publishes it; answers its id. */
  static String publishedPost(String json) throws Exception {
    var created = api("POST", "/api/v1/content", json);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String id = JSON.readTree(created.body()).get("id").asText();
    var published = api("POST", "/api/v1/content/" + id + "/publish", "{\"revision\": 1}");
    assertThat(published.statusCode()).as(published.body()).isEqualTo(200);
    return id;
  }

  static int status(String path) throws Exception {
    return EndToEndTest.HTTP
        .send(
            HttpRequest.newBuilder(URI.create(base + path)).build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  static HttpResponse<String> api(String method, String path, String body) throws Exception {
    var b =
        HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + TOKEN);
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return EndToEndTest.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * A site in Japanese on a server without a font for its letters: the Settings page says that its
   * PDFs print them as '#' and how to install one; in English it says nothing.
   */
  @Test
  @Order(23)
  void theSettingsPageSaysWhenTheSitesLanguageHasNoFontForPdfsAndCards() throws Exception {
    AdminForms admin = signedIn("admin", "a-new-password-1"); // changed in an earlier test
    assertThat(admin.get("/admin/settings/").body()).doesNotContain("id=\"font-trouble\"");
    var japanese = api("PUT", "/api/v1/settings", "{\"language\": \"ja\"}");
    assertThat(japanese.statusCode()).as(japanese.body()).isEqualTo(200);
    try {
      String page =
          awaitAdminPage(admin, "/admin/settings/", body -> body.contains("id=\"font-trouble\""));
      String note = org.jsoup.Jsoup.parse(page).getElementById("font-trouble").text();
      assertThat(note)
          .startsWith("The site's language is Japanese, but this server has no font")
          .contains("PDFs print them as #")
          .contains("apt-get install fonts-droid-fallback fonts-nanum")
          .contains("quire.gateway.fallback-fonts");
      // Arabic letters too, with the package that has a font for them.
      var arabic = api("PUT", "/api/v1/settings", "{\"language\": \"ar\"}");
      assertThat(arabic.statusCode()).as(arabic.body()).isEqualTo(200);
      String arabicPage =
          awaitAdminPage(admin, "/admin/settings/", body -> body.contains("is Arabic, but"));
      assertThat(org.jsoup.Jsoup.parse(arabicPage).getElementById("font-trouble").text())
          .contains("apt-get install fonts-noto-core");
      // Urdu written in Latin letters needs no font Quire lacks: nothing said.
      var latinUrdu = api("PUT", "/api/v1/settings", "{\"language\": \"ur-Latn\"}");
      assertThat(latinUrdu.statusCode()).as(latinUrdu.body()).isEqualTo(200);
      awaitAdminPage(admin, "/admin/settings/", body -> !body.contains("id=\"font-trouble\""));
    } finally {
      var english = api("PUT", "/api/v1/settings", "{\"language\": \"en\"}");
      assertThat(english.statusCode()).as(english.body()).isEqualTo(200);
    }
  }
}
