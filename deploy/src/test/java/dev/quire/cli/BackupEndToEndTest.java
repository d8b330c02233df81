package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quire.bundle.BundleReader;
import dev.quire.bundle.Limits;
import dev.quire.bundle.Manifest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backups of a running site over loopback HTTP against the all-in-one server (H2): the API, the
 * admin's page, {@code quire bundle export --server}, a backup taken while posts are being edited
 * that {@code quire bundle import} takes whole, and, once the site is stopped, the same bundle
 * entries as {@code quire bundle export --data} writes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BackupEndToEndTest {

  static final String TOKEN = "backup-e2e-token-0123456789";
  static final ObjectMapper JSON = new ObjectMapper();

  /** Redirects made, over several pages of the redirect table (page-chars in site.conf). */
  static final int REDIRECTS = 120;

  @TempDir static Path tmp;
  static QuireNode node;
  static String base;
  static Path data;
  static String adminPassword;

  @BeforeAll
  static void start() throws Exception {
    data = tmp.resolve("data");
    // A few thousand characters of rules a page, so that the redirect table comes in several
    // pages: in the site's own file, which the server and the commands run on its directory read.
    Files.createDirectories(data);
    Files.writeString(data.resolve("site.conf"), "quire.content.redirects.page-chars = 2000\n");
    // Two item ids an ask: the site's ids come in several pages.
    var config =
        AdminEndToEndTest.adminNodeConfig(
            data, Map.of("quire.gateway.backups.keep", 3, "quire.gateway.backups.id-page", 2));
    node =
        QuireNode.start(
            config, true, new java.io.PrintStream(new java.io.ByteArrayOutputStream()), TOKEN);
    base = "http://127.0.0.1:" + node.gateway().binding().localAddress().getPort();
    Path file = data.resolve("admin-password");
    EndToEndTest.await(() -> Files.exists(file), Duration.ofSeconds(20));
    adminPassword = Files.readString(file).strip();

    String a = created("post", "First post", "first", "One *body*.");
    assertThat(api("POST", "/api/v1/content/" + a + "/publish", "{}").statusCode()).isEqualTo(200);
    edit(a, 2, "One *body*, edited.");
    created("post", "A draft", "a-draft", "Not yet.");
    String page = created("page", "About", "about", "About us.");
    assertThat(api("POST", "/api/v1/content/" + page + "/publish", "{}").statusCode())
        .isEqualTo(200);
    var media =
        EndToEndTest.HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/api/v1/media?filename=dot.png"))
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "image/png")
                .POST(
                    HttpRequest.BodyPublishers.ofByteArray(
                        new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 1, 2, 3, 4}))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(media.statusCode()).as(media.body()).isEqualTo(201);
    String url = JSON.readTree(media.body()).path("url").asText();
    String withImage = created("post", "Pictured", "pictured", "![dot](" + url + ")");
    assertThat(api("POST", "/api/v1/content/" + withImage + "/publish", "{}").statusCode())
        .isEqualTo(200);
    StringBuilder rules = new StringBuilder("{\"redirects\":[");
    for (int i = 0; i < REDIRECTS; i++) {
      rules.append(i == 0 ? "" : ",");
      rules.append("{\"from\":\"/old/path-number-").append(i).append("/\",\"to\":\"/about/\"}");
    }
    var put = api("POST", "/api/v1/redirects", rules.append("]}").toString());
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    var menu =
        api(
            "PUT",
            "/api/v1/menus/main",
            "{\"links\": [{\"label\": \"About\", \"url\": \"/about/\"}]}");
    assertThat(menu.statusCode()).as(menu.body()).isEqualTo(200);
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
  }

  @Test
  @Order(1)
  void theApiMakesFollowsListsAndServesABackupOfTheWholeSite() throws Exception {
    assertThat(api("GET", "/api/v1/backups", null, "wrong-token-0123456789").statusCode())
        .isEqualTo(401);
    var typo = api("POST", "/api/v1/backups", "{\"histroy\": true}");
    assertThat(typo.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(typo.body()).at("/error/field").asText()).isEqualTo("histroy");
    var wrongType = api("POST", "/api/v1/backups", "{\"history\": \"yes\"}");
    assertThat(wrongType.statusCode()).isEqualTo(400);

    var started = api("POST", "/api/v1/backups", "");
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    String name = JSON.readTree(started.body()).path("name").asText();
    assertThat(name).matches("quire-\\d{8}-\\d{6}\\.quire");
    assertThat(started.headers().firstValue("Location")).hasValue("/api/v1/backups/" + name);
    JsonNode done = awaitFinished(name);
    assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("complete");
    assertThat(done.path("by").asText()).isEqualTo("api");
    assertThat(done.at("/counts/items").asLong()).isEqualTo(4);
    assertThat(done.at("/counts/media").asLong()).isEqualTo(1);
    assertThat(done.at("/counts/redirects").asLong()).isEqualTo(REDIRECTS);
    assertThat(done.at("/counts/menus").asLong()).isEqualTo(1);
    // created + published + edited; created; created + published; created + published
    assertThat(done.at("/counts/events").asLong()).isEqualTo(8);

    var file =
        EndToEndTest.HTTP.send(
            HttpRequest.newBuilder(URI.create(base + done.path("file").asText()))
                .header("Authorization", "Bearer " + TOKEN)
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(file.statusCode()).isEqualTo(200);
    assertThat(file.headers().firstValue("Content-Type")).hasValue("application/zip");
    assertThat(file.headers().firstValue("Content-Disposition"))
        .hasValue("attachment; filename=\"" + name + "\"");
    Path copy = tmp.resolve("api-copy.quire");
    Files.write(copy, file.body());
    try (BundleReader r = BundleReader.open(copy, Limits.DEFAULT)) {
      r.verify(dev.quire.bundle.ProgressListener.NONE);
      assertThat(r.manifest().includesHistory()).isTrue();
      assertThat(r.redirects()).hasSize(REDIRECTS);
      List<String> edited = new ArrayList<>();
      r.forEachItem(
          item -> {
            if (item.slug().equals("first")) {
              edited.add(item.body());
              assertThat(item.revision()).isEqualTo(3);
            }
            if (item.slug().equals("pictured")) {
              assertThat(item.media()).hasSize(1);
            }
          });
      assertThat(edited).containsExactly("One *body*, edited.");
    }

    var list = JSON.readTree(api("GET", "/api/v1/backups", null).body());
    assertThat(list.at("/items/0/name").asText()).isEqualTo(name);
    // Names from a request are matched, never read as paths.
    for (String bad :
        List.of("..%2Fapi-token", "..%2F..%2Fdata%2Fapi-token", "api-token", "quire-1.quire")) {
      assertThat(api("GET", "/api/v1/backups/" + bad, null).statusCode()).as(bad).isEqualTo(404);
      assertThat(api("GET", "/api/v1/backups/" + bad + "/file", null).statusCode())
          .as(bad)
          .isEqualTo(404);
      assertThat(api("DELETE", "/api/v1/backups/" + bad, null).statusCode()).as(bad).isEqualTo(404);
    }
  }

  @Test
  @Order(2)
  void bundleExportWithServerFetchesAVerifiedBackupAndTheSiteKeepsTheLatest() throws Exception {
    Path out = tmp.resolve("from-server.quire");
    var cli =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "export", out.toString(), "--server", base, "--token", TOKEN);
    assertThat(cli.code()).as(cli.err()).isZero();
    assertThat(cli.out()).contains("Exported 4 item(s), 8 event(s), 1 media blob(s)");
    assertThat(cli.out()).contains("the server keeps its copy as quire-");
    try (BundleReader r = BundleReader.open(out, Limits.DEFAULT)) {
      assertThat(r.manifest().counts().redirects()).isEqualTo(REDIRECTS);
    }
    try (Stream<Path> left = Files.list(tmp)) {
      assertThat(left.map(p -> p.getFileName().toString()))
          .as("no download left beside the file")
          .noneMatch(n -> n.endsWith(".download"));
    }
    var noHistory =
        EmbeddingRoleClusterTest.runCli(
            "bundle",
            "export",
            tmp.resolve("no-history.quire").toString(),
            "--no-history",
            "--server",
            base,
            "--token",
            TOKEN);
    assertThat(noHistory.code()).as(noHistory.err()).isZero();
    assertThat(noHistory.out()).contains("Exported 4 item(s), 0 event(s)");

    var refused =
        EmbeddingRoleClusterTest.runCli(
            "bundle",
            "export",
            tmp.resolve("refused.quire").toString(),
            "--server",
            base,
            "--token",
            "wrong-token-0123456789");
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err()).startsWith("error: POST ").contains("401");
    assertThat(tmp.resolve("refused.quire")).doesNotExist();

    // One more makes four; the site keeps three (quire.gateway.backups.keep), the newest.
    var fourth = api("POST", "/api/v1/backups", "{\"history\": true}");
    assertThat(fourth.statusCode()).isEqualTo(202);
    String newest = JSON.readTree(fourth.body()).path("name").asText();
    assertThat(awaitFinished(newest).path("state").asText()).isEqualTo("complete");
    JsonNode items = JSON.readTree(api("GET", "/api/v1/backups", null).body()).path("items");
    assertThat(items.size()).isEqualTo(3);
    assertThat(items.get(0).path("name").asText()).isEqualTo(newest);
    try (Stream<Path> files = Files.list(data.resolve("backups"))) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .as("nothing but finished backups: no partial file or spool left")
          .allMatch(n -> n.matches("quire-\\d{8}-\\d{6}(-\\d+)?\\.quire"))
          .hasSize(3);
    }
  }

  @Test
  @Order(3)
  void adminsMakeDownloadAndDeleteBackupsFromTheAdminAndEditorsCannot() throws Exception {
    var added =
        api(
            "POST",
            "/api/v1/users",
            "{\"username\": \"ed\", \"role\": \"editor\", \"password\": \"editor-password-1\"}");
    assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
    AdminForms editor = new AdminForms(base);
    assertThat(editor.signIn("ed", "editor-password-1").statusCode()).isEqualTo(303);
    assertThat(editor.get("/admin/backups/").statusCode()).isEqualTo(403);
    assertThat(editor.get("/admin/content/").body()).doesNotContain("/admin/backups/");
    String someBackup =
        JSON.readTree(api("GET", "/api/v1/backups", null).body()).at("/items/0/name").asText();
    assertThat(editor.get("/admin/backups/" + someBackup).statusCode()).isEqualTo(403);

    AdminForms admin = new AdminForms(base);
    assertThat(admin.signIn("admin", adminPassword).statusCode()).isEqualTo(303);
    var page = admin.get("/admin/backups/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("id=\"backup-form\"").contains("href=\"/admin/backups/\"");
    String csrf = AdminForms.csrf(page.body());
    var forged = admin.post("/admin/backups/", Map.of("_csrf", "forged", "history", "on"));
    assertThat(forged.statusCode()).isEqualTo(403);

    var box = org.jsoup.Jsoup.parse(page.body()).getElementById("backup-users");
    assertThat(box).as("the accounts' box").isNotNull();
    assertThat(box.hasAttr("checked")).as("off unless the site says so").isFalse();
    var made = admin.post("/admin/backups/", Map.of("_csrf", csrf, "history", "on", "users", "on"));
    assertThat(made.statusCode()).as(made.body()).isEqualTo(303);
    assertThat(AdminForms.location(made)).isEqualTo("/admin/backups/");
    String[] name = {null};
    EndToEndTest.await(
        () -> {
          JsonNode newest =
              JSON.readTree(api("GET", "/api/v1/backups", null).body()).at("/items/0");
          name[0] = newest.path("name").asText();
          return "admin".equals(newest.path("by").asText())
              && "complete".equals(newest.path("state").asText());
        },
        Duration.ofSeconds(30));
    String listed = admin.get("/admin/backups/").body();
    assertThat(listed)
        .contains("data-name=\"" + name[0] + "\"")
        .contains("href=\"/admin/backups/" + name[0] + "\" download")
        .contains(" by admin");

    var download =
        EndToEndTest.HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/admin/backups/" + name[0]))
                .header("Cookie", cookieHeader(admin))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(download.statusCode()).isEqualTo(200);
    assertThat(download.headers().firstValue("Content-Type")).hasValue("application/zip");
    Path copy = tmp.resolve("admin-copy.quire");
    Files.write(copy, download.body());
    try (BundleReader r = BundleReader.open(copy, Limits.DEFAULT)) {
      assertThat(r.manifest().counts().users()).as("the box was ticked").isEqualTo(2);
      assertThat(r.verify(dev.quire.bundle.ProgressListener.NONE).manifest().counts().items())
          .isEqualTo(4);
    }

    var confirm = admin.get("/admin/backups/" + name[0] + "/delete");
    assertThat(confirm.statusCode()).isEqualTo(200);
    assertThat(confirm.body()).contains("Delete " + name[0]);
    var forgedDelete =
        admin.post("/admin/backups/" + name[0] + "/delete", Map.of("_csrf", "forged"));
    assertThat(forgedDelete.statusCode()).isEqualTo(403);
    assertThat(data.resolve("backups").resolve(name[0])).exists();
    var deleted =
        admin.post(
            "/admin/backups/" + name[0] + "/delete",
            Map.of("_csrf", AdminForms.csrf(confirm.body())));
    assertThat(deleted.statusCode()).isEqualTo(303);
    assertThat(AdminForms.location(deleted)).isEqualTo("/admin/backups/?deleted=" + name[0]);
    assertThat(data.resolve("backups").resolve(name[0])).doesNotExist();
    assertThat(admin.get("/admin/backups/?deleted=" + name[0]).body())
        .contains("Deleted " + name[0]);
    assertThat(api("GET", "/api/v1/backups/" + name[0], null).statusCode()).isEqualTo(404);
    assertThat(admin.get("/admin/backups/" + name[0] + "/delete").statusCode()).isEqualTo(404);
  }

  @Test
  @Order(4)
  void aBackupTakenWhilePostsAreEditedHoldsEachItemWholeAndImportsIntoAnEmptySite()
      throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(created("post", "Busy " + i, "busy-" + i, "Version 0."));
    }
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicInteger edits = new AtomicInteger();
    Thread writer =
        new Thread(
            () -> {
              long[] revisions = {1, 1, 1, 1, 1};
              int n = 0;
              try {
                while (writing.get()) {
                  int i = n++ % ids.size();
                  var r =
                      api(
                          "PUT",
                          "/api/v1/content/" + ids.get(i),
                          "{\"revision\": "
                              + revisions[i]
                              + ", \"title\": \"Busy "
                              + i
                              + "\", \"slug\": \"busy-"
                              + i
                              + "\", \"body\": \"Version "
                              + n
                              + ".\"}");
                  if (r.statusCode() == 200) {
                    revisions[i] = JSON.readTree(r.body()).path("revision").asLong();
                    edits.incrementAndGet();
                  }
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    writer.start();
    JsonNode done;
    try {
      EndToEndTest.await(() -> edits.get() >= 20, Duration.ofSeconds(30));
      var started = api("POST", "/api/v1/backups", "{}");
      assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
      String name = JSON.readTree(started.body()).path("name").asText();
      var busy = api("POST", "/api/v1/backups", "{}");
      if (busy.statusCode() == 409) {
        assertThat(JSON.readTree(busy.body()).at("/error/code").asText()).isEqualTo("busy");
        assertThat(JSON.readTree(busy.body()).at("/error/message").asText()).contains(name);
      } else {
        // The first had finished already; the second is a backup of its own.
        assertThat(busy.statusCode()).isEqualTo(202);
        awaitFinished(JSON.readTree(busy.body()).path("name").asText());
      }
      done = awaitFinished(name);
    } finally {
      writing.set(false);
      writer.join();
    }
    assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("complete");
    assertThat(edits.get()).isGreaterThanOrEqualTo(20);

    Path copy = tmp.resolve("busy.quire");
    Files.copy(data.resolve("backups").resolve(done.path("name").asText()), copy);
    var imported =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", copy.toString(), "--data", tmp.resolve("restored").toString());
    assertThat(imported.code()).as(imported.err() + imported.out()).isZero();
    assertThat(imported.out()).contains("9 item(s) created");
  }

  /**
   * A backup asked to carry the accounts (format 2.0) brings back, once imported into an empty
   * site, who may sign in, with the passwords they had, and their API tokens; one not asked carries
   * none and stays 1.2.
   */
  @Test
  @Order(5)
  void withTheAccountsABackupBringsBackWhoMaySignInAndTheirTokens() throws Exception {
    // ed, an editor, was added in the test before.
    var made = api("POST", "/api/v1/users/ed/tokens", "{\"name\": \"ed's script\"}");
    assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
    String edToken = JSON.readTree(made.body()).path("token").asText();
    var started = api("POST", "/api/v1/backups", "{\"users\": true}");
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    assertThat(JSON.readTree(started.body()).path("users").asBoolean()).isTrue();
    String name = JSON.readTree(started.body()).path("name").asText();
    JsonNode done = awaitFinished(name);
    assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("complete");
    assertThat(done.path("users").asBoolean()).isTrue();
    assertThat(done.at("/counts/users").asLong()).isEqualTo(2);
    Path copy = tmp.resolve("with-users.quire");
    Files.copy(data.resolve("backups").resolve(name), copy);
    try (BundleReader r = BundleReader.open(copy, Limits.DEFAULT)) {
      assertThat(r.manifest().formatVersion()).isEqualTo(Manifest.VERSION_WITH_USERS);
    }
    var inspect = EmbeddingRoleClusterTest.runCli("bundle", "inspect", copy.toString());
    assertThat(inspect.out()).contains("quire-bundle 2.0").contains("2 account(s)");
    var verify = EmbeddingRoleClusterTest.runCli("bundle", "verify", copy.toString());
    assertThat(verify.code()).as(verify.err()).isZero();
    assertThat(verify.out()).contains("(format 2.0)").contains(", 2 account(s);");
    String secret = edToken.substring(edToken.length() - 43);
    try (var zip = new java.util.zip.ZipFile(copy.toFile())) {
      String users =
          new String(
              zip.getInputStream(zip.getEntry("users.jsonl")).readAllBytes(),
              java.nio.charset.StandardCharsets.UTF_8);
      assertThat(users)
          .as("the token's secret as the site keeps it, never the token")
          .contains(dev.quire.gateway.api.UserTokens.sha256(secret))
          .doesNotContain(secret)
          .contains("$argon2id$");
    }

    // Not asked for, the accounts stay out of an import, which says so.
    Path without = tmp.resolve("restored-without-users");
    var plainImport =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", copy.toString(), "--data", without.toString());
    assertThat(plainImport.code()).as(plainImport.err() + plainImport.out()).isZero();
    assertThat(plainImport.out())
        .contains("the bundle carries 2 account(s), not restored: add --with-users");

    Path restored = tmp.resolve("restored-with-users");
    var imported =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", copy.toString(), "--with-users", "--data", restored.toString());
    assertThat(imported.code()).as(imported.err() + imported.out()).isZero();
    assertThat(imported.out())
        .contains("accounts: 2 restored (admin as admin, ed as editor) with 1 API token(s)");
    try (QuireNode other =
        QuireNode.start(
            AdminEndToEndTest.adminNodeConfig(restored, Map.of()),
            true,
            new java.io.PrintStream(new java.io.ByteArrayOutputStream()),
            "restored-site-token-0123456789")) {
      String otherBase = "http://127.0.0.1:" + other.gateway().binding().localAddress().getPort();
      assertThat(new AdminForms(otherBase).signIn("ed", "editor-password-1").statusCode())
          .as("ed signs in with the password ed had")
          .isEqualTo(303);
      assertThat(new AdminForms(otherBase).signIn("admin", adminPassword).statusCode())
          .isEqualTo(303);
      assertThat(restored.resolve("admin-password"))
          .as("no first admin made over the restored ones")
          .doesNotExist();
      var me =
          EndToEndTest.HTTP.send(
              HttpRequest.newBuilder(URI.create(otherBase + "/api/v1/me"))
                  .header("Authorization", "Bearer " + edToken)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(me.statusCode()).as(me.body()).isEqualTo(200);
      assertThat(JSON.readTree(me.body()).path("username").asText()).isEqualTo("ed");
    }
    // Into a site that has them: kept as it has them, nothing written for them.
    var again =
        EmbeddingRoleClusterTest.runCli(
            "bundle",
            "import",
            copy.toString(),
            "--with-users",
            "--policy",
            "skip",
            "--data",
            restored.toString());
    assertThat(again.code()).as(again.err() + again.out()).isZero();
    assertThat(again.out())
        .contains("accounts kept as this site has them")
        .contains("admin, ed")
        .doesNotContain("restored (");

    var fromServer =
        EmbeddingRoleClusterTest.runCli(
            "bundle",
            "export",
            tmp.resolve("server-with-users.quire").toString(),
            "--with-users",
            "--server",
            base,
            "--token",
            TOKEN);
    assertThat(fromServer.code()).as(fromServer.err()).isZero();
    assertThat(fromServer.out()).contains(", 2 account(s) to ");

    var plain = api("POST", "/api/v1/backups", "{}");
    assertThat(plain.statusCode()).as(plain.body()).isEqualTo(202);
    JsonNode plainDone = awaitFinished(JSON.readTree(plain.body()).path("name").asText());
    assertThat(plainDone.path("users").asBoolean()).isFalse();
    assertThat(plainDone.at("/counts/users").asLong()).isZero();
  }

  @Test
  @Order(6)
  void aBackupOfTheRunningSiteHasTheEntriesAnExportOfTheStoppedSiteHas() throws Exception {
    var started = api("POST", "/api/v1/backups", "{}");
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    String name = JSON.readTree(started.body()).path("name").asText();
    assertThat(awaitFinished(name).path("state").asText()).isEqualTo("complete");
    node.close();
    node = null;
    Path stopped = tmp.resolve("stopped.quire");
    var export =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "export", stopped.toString(), "--data", data.toString());
    assertThat(export.code()).as(export.err()).isZero();
    Manifest online;
    Manifest offline;
    try (BundleReader r =
        BundleReader.open(data.resolve("backups").resolve(name), Limits.DEFAULT)) {
      online = r.manifest();
    }
    try (BundleReader r = BundleReader.open(stopped, Limits.DEFAULT)) {
      offline = r.manifest();
    }
    assertThat(online.counts()).isEqualTo(offline.counts());
    assertThat(online.entries()).isEqualTo(offline.entries());
    assertThat(online.rootChecksum()).isEqualTo(offline.rootChecksum());

    // From the stopped site with its accounts: a 2.0 bundle with both.
    Path withUsers = tmp.resolve("stopped-with-users.quire");
    var exportUsers =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "export", withUsers.toString(), "--with-users", "--data", data.toString());
    assertThat(exportUsers.code()).as(exportUsers.err()).isZero();
    assertThat(exportUsers.out()).contains(", 2 account(s) to ");
    if (withUsers.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      assertThat(
              java.nio.file.attribute.PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(withUsers)))
          .as("readable by its owner only")
          .isEqualTo("rw-------");
    }
    try (BundleReader r = BundleReader.open(withUsers, Limits.DEFAULT)) {
      r.verify(dev.quire.bundle.ProgressListener.NONE);
      List<String> names = new ArrayList<>();
      r.forEachUser(u -> names.add(u.username() + ":" + u.role()));
      assertThat(names).containsExactly("admin:admin", "ed:editor");
    }
  }

  // ---------------------------------------------------------------- helpers

  static JsonNode awaitFinished(String name) throws Exception {
    return awaitJob(base, TOKEN, "/api/v1/backups/" + name);
  }

  /** The backup or import at {@code path} of the site at {@code site}, once it is not running. */
  static JsonNode awaitJob(String site, String token, String path) throws Exception {
    JsonNode[] job = {null};
    EndToEndTest.await(
        () -> {
          var r = EndToEndTest.apiAt(site, "GET", path, null, token);
          assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
          job[0] = JSON.readTree(r.body());
          return !"running".equals(job[0].path("state").asText());
        },
        Duration.ofSeconds(60));
    return job[0];
  }

  static String created(String kind, String title, String slug, String body) throws Exception {
    return created(base, TOKEN, kind, title, slug, body);
  }

  /** Creates a draft on the site at {@code site}; its id. */
  static String created(
      String site, String token, String kind, String title, String slug, String body)
      throws Exception {
    var r =
        EndToEndTest.apiAt(
            site,
            "POST",
            "/api/v1/content",
            JSON.writeValueAsString(
                Map.of("kind", kind, "title", title, "slug", slug, "body", body)),
            token);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return JSON.readTree(r.body()).path("id").asText();
  }

  static void edit(String id, long revision, String body) throws Exception {
    edit(base, TOKEN, id, revision, body);
  }

  /** Replaces an item's body on the site at {@code site}, from {@code revision}. */
  static void edit(String site, String token, String id, long revision, String body)
      throws Exception {
    var r =
        EndToEndTest.apiAt(
            site,
            "PUT",
            "/api/v1/content/" + id,
            JSON.writeValueAsString(Map.of("revision", revision, "body", body)),
            token);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  static String cookieHeader(AdminForms b) {
    return b.cookies.entrySet().stream()
        .map(e -> e.getKey() + "=" + e.getValue())
        .reduce((x, y) -> x + "; " + y)
        .orElse("");
  }

  static HttpResponse<String> api(String method, String path, String body) throws Exception {
    return api(method, path, body, TOKEN);
  }

  static HttpResponse<String> api(String method, String path, String body, String token)
      throws Exception {
    return EndToEndTest.apiAt(base, method, path, body, token);
  }
}
