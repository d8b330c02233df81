package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Imports into the running all-in-one server (H2) over loopback HTTP: one of its own backups
 * restored through {@code /api/v1/backups/<name>/restore} after edits (refused whole under {@code
 * fail}, brought back under {@code overwrite}, what came since kept), bundles uploaded to {@code
 * /api/v1/imports} (new items with their histories, the same again unchanged, a broken or too large
 * upload leaving nothing), {@code quire bundle import --server}, and the admin's forms.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ImportEndToEndTest {

  static final String TOKEN = "import-e2e-token-0123456789";
  static final ObjectMapper JSON = new ObjectMapper();

  /** The upload limit here: small, so that a too-large upload is cheap to send. */
  static final int MAX_BYTES = 256 * 1024;

  @TempDir static Path tmp;
  static QuireNode node;
  static String base;
  static Path data;
  static String adminPassword;
  static String first;
  static String backup;

  @BeforeAll
  static void start() throws Exception {
    data = tmp.resolve("data");
    node =
        QuireNode.start(
            AdminEndToEndTest.adminNodeConfig(
                data, Map.of("quire.gateway.imports.max-bytes", MAX_BYTES)),
            true,
            new java.io.PrintStream(new java.io.ByteArrayOutputStream()),
            TOKEN);
    base = "http://127.0.0.1:" + node.gateway().binding().localAddress().getPort();
    Path file = data.resolve("admin-password");
    EndToEndTest.await(() -> Files.exists(file), Duration.ofSeconds(20));
    adminPassword = Files.readString(file).strip();
    first = created("post", "First post", "first", "As it was backed up.");
    assertThat(api("POST", "/api/v1/content/" + first + "/publish", "{}").statusCode())
        .isEqualTo(200);
    created("page", "About", "about", "About us.");
    var menu =
        api(
            "PUT",
            "/api/v1/menus/main",
            "{\"links\": [{\"label\": \"About\", \"url\": \"/about/\"}]}");
    assertThat(menu.statusCode()).as(menu.body()).isEqualTo(200);
    var made = api("POST", "/api/v1/backups", "{}");
    assertThat(made.statusCode()).as(made.body()).isEqualTo(202);
    backup = JSON.readTree(made.body()).path("name").asText();
    assertThat(
            BackupEndToEndTest.awaitJob(base, TOKEN, "/api/v1/backups/" + backup)
                .path("state")
                .asText())
        .isEqualTo("complete");
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
  }

  @Test
  @Order(1)
  void aBackupRestoredIntoTheRunningSiteBringsBackWhatChangedAndKeepsWhatCameSince()
      throws Exception {
    edit(first, 2, "Changed after the backup.");
    String since = created("post", "Since", "since", "Written after it.");

    // fail: the changed item is a conflict, listed, and nothing is written.
    JsonNode refused = restored("{\"policy\": \"fail\"}");
    assertThat(refused.path("state").asText()).as(refused.toString()).isEqualTo("refused");
    assertThat(refused.path("wrote").asBoolean()).isFalse();
    assertThat(refused.path("reasons").toString())
        .contains("item " + first + " ('first') exists on this site at revision 3");
    assertThat(item(first).path("body").asText()).isEqualTo("Changed after the backup.");

    // overwrite: the backup's version comes back as a new revision; the history keeps both.
    JsonNode done = restored("{\"policy\": \"overwrite\"}");
    assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("complete");
    assertThat(done.path("by").asText()).isEqualTo("api");
    assertThat(done.path("source").asText()).isEqualTo("backup " + backup);
    assertThat(done.at("/summary/overwritten").asLong()).isEqualTo(1);
    assertThat(done.at("/summary/unchanged").asLong()).isEqualTo(1);
    assertThat(done.at("/summary/created").asLong()).isZero();
    JsonNode back = item(first);
    assertThat(back.path("body").asText()).isEqualTo("As it was backed up.");
    assertThat(back.path("revision").asLong()).isEqualTo(4);
    assertThat(back.path("status").asText()).isEqualTo("published");
    assertThat(item(since).path("body").asText())
        .as("what came since stays")
        .isEqualTo("Written after it.");
    EndToEndTest.await(
        () -> page("/posts/first/").contains("As it was backed up."), Duration.ofSeconds(5));
    // The history keeps the edit the restore replaced (the revision list is the read model's).
    EndToEndTest.await(
        () ->
            JSON.readTree(api("GET", "/api/v1/content/" + first + "/revisions", null).body())
                    .path("items")
                    .size()
                == 4,
        Duration.ofSeconds(10));
    assertThat(api("GET", "/api/v1/content/" + first + "/revisions", null).body())
        .contains("Changed after the backup.");

    // What a caller can get wrong is named.
    var badPolicy =
        api("POST", "/api/v1/backups/" + backup + "/restore", "{\"policy\": \"maybe\"}");
    assertThat(badPolicy.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(badPolicy.body()).at("/error/field").asText()).isEqualTo("policy");
    var typo = api("POST", "/api/v1/backups/" + backup + "/restore", "{\"polcy\": \"skip\"}");
    assertThat(typo.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(typo.body()).at("/error/field").asText()).isEqualTo("polcy");
    assertThat(
            api("POST", "/api/v1/backups/quire-20000101-000000.quire/restore", "{}").statusCode())
        .isEqualTo(404);
    assertThat(api("POST", "/api/v1/backups/..%2F..%2Fetc/restore", "{}").statusCode())
        .isEqualTo(404);
    assertThat(api("GET", "/api/v1/imports/import-20000101-000000-00000000", null).statusCode())
        .isEqualTo(404);
    var list = JSON.readTree(api("GET", "/api/v1/imports", null).body()).path("items");
    assertThat(list.size()).isEqualTo(2);
    assertThat(list.get(0).path("state").asText()).isEqualTo("complete");
  }

  @Test
  @Order(2)
  void anUploadedBundleBringsItsItemsWithTheirHistoriesOnceAndABadOneLeavesNothing()
      throws Exception {
    Path bundle =
        BundleRoundTripTest.historyBundle(
            tmp.resolve("new.quire"), List.of("up-1", "up-2"), 3, "Uploaded v", false);
    var started = upload(Files.readAllBytes(bundle), "?filename=new.quire", false);
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    String id = JSON.readTree(started.body()).path("id").asText();
    assertThat(started.headers().firstValue("Location")).hasValue("/api/v1/imports/" + id);
    JsonNode done = awaitImport(id);
    assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("complete");
    assertThat(done.at("/summary/created").asLong()).isEqualTo(2);
    assertThat(done.path("source").asText()).isEqualTo("upload new.quire");
    JsonNode up = item("up-1");
    assertThat(up.path("revision").asLong()).isEqualTo(3);
    assertThat(up.path("body").asText()).isEqualTo("Uploaded v3");
    // The whole history came along (the revision list is the read model's: a moment behind).
    EndToEndTest.await(
        () ->
            JSON.readTree(api("GET", "/api/v1/content/up-1/revisions", null).body())
                    .path("items")
                    .size()
                == 3,
        Duration.ofSeconds(10));

    // The same again: everything compares unchanged, nothing is written twice.
    JsonNode again = awaitImport(idOf(upload(Files.readAllBytes(bundle), "", false)));
    assertThat(again.path("state").asText()).isEqualTo("complete");
    assertThat(again.at("/summary/unchanged").asLong()).isEqualTo(2);
    assertThat(item("up-1").path("revision").asLong()).isEqualTo(3);

    // Not a bundle: the import fails naming why, having written nothing.
    JsonNode broken =
        awaitImport(idOf(upload("not a bundle at all".getBytes(), "?filename=x.quire", false)));
    assertThat(broken.path("state").asText()).isEqualTo("failed");
    assertThat(broken.path("wrote").asBoolean()).isFalse();
    assertThat(broken.path("message").asText())
        .startsWith("upload x.quire is not a readable bundle")
        .as("the server's own paths are not shown")
        .doesNotContain(data.toString());

    // Larger than quire.gateway.imports.max-bytes, sent without a length: refused as it arrives.
    var tooLarge = upload(new byte[MAX_BYTES + 64 * 1024], "", true);
    assertThat(tooLarge.statusCode()).as(tooLarge.body()).isEqualTo(413);
    assertThat(tooLarge.body()).contains("quire.gateway.imports.max-bytes");

    var badPolicy = upload(Files.readAllBytes(bundle), "?policy=sometimes", false);
    assertThat(badPolicy.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(badPolicy.body()).at("/error/field").asText()).isEqualTo("policy");
    var badUsers = upload(Files.readAllBytes(bundle), "?users=yes", false);
    assertThat(JSON.readTree(badUsers.body()).at("/error/field").asText()).isEqualTo("users");

    try (Stream<Path> left = Files.list(data.resolve("backups"))) {
      assertThat(left.map(p -> p.getFileName().toString()))
          .as("no upload left behind")
          .noneMatch(n -> n.startsWith(".upload-"));
    }
  }

  @Test
  @Order(3)
  void bundleImportWithServerUploadsFollowsAndSaysWhatTheSiteDid() throws Exception {
    Path bundle =
        BundleRoundTripTest.historyBundle(
            tmp.resolve("cli.quire"), List.of("cli-1"), 2, "From the command v", false);
    var cli =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", bundle.toString(), "--server", base, "--token", TOKEN);
    assertThat(cli.code()).as(cli.err()).isZero();
    assertThat(cli.out()).contains("1 item(s) created, 0 overwritten");
    assertThat(item("cli-1").path("body").asText()).isEqualTo("From the command v2");

    // A bundle whose item the site has, changed: refused under the default policy, listed.
    Path changed =
        BundleRoundTripTest.historyBundle(
            tmp.resolve("changed.quire"), List.of("cli-1"), 2, "Changed v", false);
    var refused =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", changed.toString(), "--server", base, "--token", TOKEN);
    assertThat(refused.code()).isEqualTo(2);
    assertThat(refused.err()).contains("nothing was imported").contains("item cli-1");
    assertThat(item("cli-1").path("body").asText()).isEqualTo("From the command v2");

    // Larger than the server takes: said before a byte is sent, and nothing is imported.
    Path big =
        BundleRoundTripTest.historyBundle(
            tmp.resolve("big.quire"),
            List.of("big-1"),
            1,
            ContentFailoverClusterTest.randomText(new java.util.Random(7), 2 * MAX_BYTES),
            false);
    assertThat(Files.size(big)).isGreaterThan(MAX_BYTES);
    int before = JSON.readTree(api("GET", "/api/v1/imports", null).body()).path("items").size();
    assertThat(JSON.readTree(api("GET", "/api/v1/imports", null).body()).path("maxBytes").asLong())
        .isEqualTo(MAX_BYTES);
    var tooBig =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", big.toString(), "--server", base, "--token", TOKEN);
    assertThat(tooBig.code()).isEqualTo(2);
    assertThat(tooBig.err())
        .contains("the server takes bundles of at most " + MAX_BYTES + " bytes")
        .contains("Nothing was imported.");
    assertThat(JSON.readTree(api("GET", "/api/v1/imports", null).body()).path("items").size())
        .isEqualTo(before);

    var wrongToken =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", changed.toString(), "--server", base, "--token", "x".repeat(30));
    assertThat(wrongToken.code()).isEqualTo(2);
    assertThat(wrongToken.err()).contains("401").contains("Nothing was imported.");
  }

  @Test
  @Order(4)
  void adminsRestoreAndUploadFromTheBackupsPageAndEditorsCannot() throws Exception {
    var added =
        api(
            "POST",
            "/api/v1/users",
            "{\"username\": \"ed\", \"role\": \"editor\", \"password\": \"editor-password-1\"}");
    assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
    AdminForms editor = new AdminForms(base);
    assertThat(editor.signIn("ed", "editor-password-1").statusCode()).isEqualTo(303);
    assertThat(editor.get("/admin/backups/" + backup + "/restore").statusCode()).isEqualTo(403);
    var made = api("POST", "/api/v1/users/ed/tokens", "{\"name\": \"t\"}");
    assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
    String edToken = JSON.readTree(made.body()).path("token").asText();
    assertThat(EndToEndTest.apiAt(base, "GET", "/api/v1/imports", null, edToken).statusCode())
        .as("imports are the admins'")
        .isEqualTo(403);
    assertThat(
            EndToEndTest.apiAt(
                    base, "POST", "/api/v1/backups/" + backup + "/restore", "{}", edToken)
                .statusCode())
        .isEqualTo(403);
    var editorUpload =
        EndToEndTest.HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/api/v1/imports"))
                .header("Authorization", "Bearer " + edToken)
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {1, 2, 3}))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(editorUpload.statusCode()).isEqualTo(403);

    // A backup with the accounts, restored with them: the site has both, so both are kept.
    var withUsers = api("POST", "/api/v1/backups", "{\"users\": true}");
    assertThat(withUsers.statusCode()).as(withUsers.body()).isEqualTo(202);
    String usersBackup = JSON.readTree(withUsers.body()).path("name").asText();
    assertThat(
            BackupEndToEndTest.awaitJob(base, TOKEN, "/api/v1/backups/" + usersBackup)
                .path("state")
                .asText())
        .isEqualTo("complete");
    var restoredUsers =
        api(
            "POST",
            "/api/v1/backups/" + usersBackup + "/restore",
            "{\"policy\": \"skip\", \"users\": true}");
    JsonNode users = awaitImport(idOf(restoredUsers));
    assertThat(users.path("state").asText()).as(users.toString()).isEqualTo("complete");
    assertThat(users.path("users").asBoolean()).isTrue();
    assertThat(users.path("notes").toString())
        .contains("accounts kept as this site has them")
        .contains("admin, ed");

    AdminForms admin = new AdminForms(base);
    assertThat(admin.signIn("admin", adminPassword).statusCode()).isEqualTo(303);
    var page = admin.get("/admin/backups/");
    assertThat(page.body())
        .contains("/admin/backups/" + backup + "/restore")
        .contains("import-form");
    var restored =
        admin.submit(
            "/admin/backups/" + backup + "/restore",
            "/admin/backups/" + backup + "/restore",
            Map.of("policy", "skip"));
    assertThat(restored.statusCode()).as(restored.body()).isEqualTo(303);
    String job = AdminForms.location(restored);
    assertThat(job).matches("/admin/backups/imports/import-\\d{8}-\\d{6}-[0-9a-f]{8}");
    EndToEndTest.await(
        () -> admin.get(job).body().contains("data-state=\"complete\""), Duration.ofSeconds(30));
    assertThat(admin.get(job).body()).contains("Items kept as the site has them");

    // The upload form: its token first, checked before the file is read.
    String csrf = AdminForms.csrf(admin.get("/admin/backups/").body());
    byte[] bytes =
        Files.readAllBytes(
            BundleRoundTripTest.historyBundle(
                tmp.resolve("form.quire"), List.of("form-1"), 1, "By form v", false));
    var uploaded =
        admin.postMultipart(
            "/admin/backups/import",
            List.of(new String[] {"_csrf", csrf}, new String[] {"policy", "fail"}),
            "form.quire",
            bytes);
    assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(303);
    String formJob = AdminForms.location(uploaded);
    EndToEndTest.await(
        () -> admin.get(formJob).body().contains("data-state=\"complete\""),
        Duration.ofSeconds(30));
    assertThat(item("form-1").path("body").asText()).isEqualTo("By form v1");
    int imports = JSON.readTree(api("GET", "/api/v1/imports", null).body()).path("items").size();
    var forged =
        admin.postMultipart(
            "/admin/backups/import",
            List.of(new String[] {"_csrf", "not-the-token"}, new String[] {"policy", "fail"}),
            "form.quire",
            bytes);
    assertThat(forged.statusCode()).isEqualTo(403);
    // The token after the file: the file is not read, and the form is refused the same way.
    var late =
        admin.postMultipart(
            "/admin/backups/import",
            List.of(new String[] {"policy", "fail"}, new String[] {"_csrf", csrf}),
            "form.quire",
            bytes);
    assertThat(late.statusCode()).isEqualTo(403);
    assertThat(JSON.readTree(api("GET", "/api/v1/imports", null).body()).path("items").size())
        .as("neither started an import")
        .isEqualTo(imports);
    try (Stream<Path> left = Files.list(data.resolve("backups"))) {
      assertThat(left.map(p -> p.getFileName().toString()))
          .as("nor left an upload behind")
          .noneMatch(n -> n.startsWith(".upload-"));
    }
    var forgedRestore =
        admin.post(
            "/admin/backups/" + backup + "/restore", Map.of("_csrf", "nope", "policy", "skip"));
    assertThat(forgedRestore.statusCode()).isEqualTo(403);
  }

  // ---------------------------------------------------------------- helpers

  static String created(String kind, String title, String slug, String body) throws Exception {
    return BackupEndToEndTest.created(base, TOKEN, kind, title, slug, body);
  }

  static void edit(String id, long revision, String body) throws Exception {
    BackupEndToEndTest.edit(base, TOKEN, id, revision, body);
  }

  static String page(String path) throws Exception {
    return EndToEndTest.HTTP
        .send(
            HttpRequest.newBuilder(URI.create(base + path)).GET().build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  static JsonNode restored(String body) throws Exception {
    var r = api("POST", "/api/v1/backups/" + backup + "/restore", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return awaitImport(idOf(r));
  }

  static String idOf(HttpResponse<String> started) throws Exception {
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    return JSON.readTree(started.body()).path("id").asText();
  }

  static JsonNode awaitImport(String id) throws Exception {
    return BackupEndToEndTest.awaitJob(base, TOKEN, "/api/v1/imports/" + id);
  }

  static JsonNode item(String id) throws Exception {
    var r = api("GET", "/api/v1/content/" + id, null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  /** {@code chunked}: sent without a length, as a stream of unknown size is. */
  static HttpResponse<String> upload(byte[] bytes, String query, boolean chunked) throws Exception {
    HttpRequest.BodyPublisher body =
        chunked
            ? HttpRequest.BodyPublishers.ofInputStream(
                () -> new java.io.ByteArrayInputStream(bytes))
            : HttpRequest.BodyPublishers.ofByteArray(bytes);
    return EndToEndTest.HTTP.send(
        HttpRequest.newBuilder(URI.create(base + "/api/v1/imports" + query))
            .header("Authorization", "Bearer " + TOKEN)
            .header("Content-Type", "application/zip")
            .POST(body)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> api(String method, String path, String body) throws Exception {
    return EndToEndTest.apiAt(base, method, path, body, TOKEN);
  }
}
