package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quire user}: on a stopped site (a content node in the command's process) and on a running
 * one over the API, including the way back in when the admin's password is lost.
 */
class UserCommandTest {

  @TempDir Path tmp;

  @Test
  void usersAreManagedOnAStoppedSite() throws Exception {
    String data = tmp.resolve("data").toString();
    Path pw = Files.writeString(tmp.resolve("pw"), "editor-password-1\n");
    Path shortPw = Files.writeString(tmp.resolve("short"), "short\n");

    var added =
        EmbeddingRoleClusterTest.runCli(
            "user",
            "add",
            "ed",
            "--role",
            "editor",
            "--name",
            "Ed Itor",
            "--password-file",
            pw.toString(),
            "--data",
            data);
    assertThat(added.code()).as(added.err()).isZero();
    assertThat(added.out()).contains("Added ed (editor).");

    var weak =
        EmbeddingRoleClusterTest.runCli(
            "user", "passwd", "ed", "--password-file", shortPw.toString(), "--data", data);
    assertThat(weak.code()).isEqualTo(2);
    assertThat(weak.err()).contains("error: password: must be at least 10 characters");

    var badRole =
        EmbeddingRoleClusterTest.runCli("user", "set", "ed", "--role", "boss", "--data", data);
    assertThat(badRole.code()).isEqualTo(2);
    assertThat(badRole.err()).contains("error: role: role must be author, editor or admin");

    var set =
        EmbeddingRoleClusterTest.runCli(
            "user", "set", "ed", "--role", "admin", "--disabled", "false", "--data", data);
    assertThat(set.code()).as(set.err()).isZero();
    assertThat(set.out()).contains("ed: admin, active");

    var list = EmbeddingRoleClusterTest.runCli("user", "list", "--data", data);
    assertThat(list.code()).as(list.err()).isZero();
    assertThat(list.out()).containsPattern("ed\\s+admin\\s+active\\s+Ed Itor");
    var missing =
        EmbeddingRoleClusterTest.runCli(
            "user", "passwd", "nobody", "--password-file", pw.toString(), "--data", data);
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).contains("username: there is no user 'nobody'");

    // API tokens: the token alone on standard output, shown once; listed by id and name.
    var made =
        EmbeddingRoleClusterTest.runCli(
            "user", "token", "add", "ed", "--name", "Nightly build", "--data", data);
    assertThat(made.code()).as(made.err()).isZero();
    assertThat(made.out().strip()).matches("quire_[0-9a-f]{16}_[A-Za-z0-9_-]{43}");
    assertThat(made.err()).contains("for ed. It is shown this once");
    String tokenId = made.out().strip().substring(6, 22);
    var tokens = EmbeddingRoleClusterTest.runCli("user", "token", "list", "ed", "--data", data);
    assertThat(tokens.code()).as(tokens.err()).isZero();
    assertThat(tokens.out())
        .containsPattern(tokenId + "\\s+\\S+\\s+cli\\s+never\\s+never\\s+Nightly build");
    var monthly =
        EmbeddingRoleClusterTest.runCli(
            "user",
            "token",
            "add",
            "ed",
            "--name",
            "Monthly",
            "--expires-in-days",
            "30",
            "--data",
            data);
    assertThat(monthly.code()).as(monthly.err()).isZero();
    String monthlyId = monthly.out().strip().substring(6, 22);
    assertThat(EmbeddingRoleClusterTest.runCli("user", "token", "list", "ed", "--data", data).out())
        .containsPattern(
            monthlyId + "\\s+\\S+\\s+cli\\s+20\\d\\d-\\d\\d-\\d\\dT\\S+\\s+never\\s+Monthly");
    var never =
        EmbeddingRoleClusterTest.runCli(
            "user", "token", "add", "ed", "--name", "x", "--expires-in-days", "0", "--data", data);
    assertThat(never.code()).isEqualTo(2);
    assertThat(never.err())
        .contains("error: --expires-in-days: must be 1 to 36525 (a century), was 0");
    var ages =
        EmbeddingRoleClusterTest.runCli(
            "user",
            "token",
            "add",
            "ed",
            "--name",
            "x",
            "--expires-in-days",
            "99999999",
            "--data",
            data);
    assertThat(ages.code()).isEqualTo(2);
    assertThat(ages.err())
        .contains("error: --expires-in-days: must be 1 to 36525 (a century), was 99999999");
    assertThat(tokens.out()).doesNotContain(made.out().strip().substring(23));
    var unnamed =
        EmbeddingRoleClusterTest.runCli(
            "user", "token", "add", "ed", "--name", " ", "--data", data);
    assertThat(unnamed.code()).isEqualTo(2);
    assertThat(unnamed.err()).contains("error: name: is required");
    var revoked =
        EmbeddingRoleClusterTest.runCli("user", "token", "revoke", "ed", tokenId, "--data", data);
    assertThat(revoked.code()).as(revoked.err()).isZero();
    var again =
        EmbeddingRoleClusterTest.runCli("user", "token", "revoke", "ed", tokenId, "--data", data);
    assertThat(again.code()).isEqualTo(2);
    assertThat(again.err()).contains("error: id: 'ed' has no API token " + tokenId);

    var signOut = EmbeddingRoleClusterTest.runCli("user", "sign-out", "ed", "--data", data);
    assertThat(signOut.code()).as(signOut.err()).isZero();
    assertThat(signOut.out()).contains("Ended every session of ed.");
    var nobody = EmbeddingRoleClusterTest.runCli("user", "sign-out", "nobody", "--data", data);
    assertThat(nobody.code()).isEqualTo(2);
    assertThat(nobody.err()).contains("username: there is no user 'nobody'");
  }

  @Test
  void aLostAdminPasswordIsResetThroughTheRunningSitesApi() throws Exception {
    var config =
        QuireNode.config(
            Map.of(
                "quire.data-dir",
                tmp.resolve("site").toString(),
                "quire.gateway.http.port",
                0,
                "quire.embedding.enabled",
                false));
    String token = "user-command-token-0123456789";
    var out = new java.io.ByteArrayOutputStream();
    try (QuireNode node =
        QuireNode.start(config, true, new java.io.PrintStream(out, true), token)) {
      String base = "http://127.0.0.1:" + node.gateway().binding().localAddress().getPort();
      // The site's pages (its 404 below) answer 503 until it is ready: the API does not wait.
      EndToEndTest.await(
          () ->
              EndToEndTest.HTTP
                      .send(
                          java.net.http.HttpRequest.newBuilder(
                                  java.net.URI.create(base + "/healthz"))
                              .build(),
                          java.net.http.HttpResponse.BodyHandlers.discarding())
                      .statusCode()
                  == 200,
          java.time.Duration.ofSeconds(30));
      // The file is written before the user is added: wait for the line that says it was added.
      EndToEndTest.await(
          () -> out.toString().contains("Created the admin user"),
          java.time.Duration.ofSeconds(20));
      Path pw = Files.writeString(tmp.resolve("new"), "a-brand-new-password\n");
      var reset =
          EmbeddingRoleClusterTest.runCli(
              "user",
              "passwd",
              "admin",
              "--password-file",
              pw.toString(),
              "--server",
              base,
              "--token",
              token);
      assertThat(reset.code()).as(reset.err()).isZero();
      AdminForms admin = new AdminForms(base);
      assertThat(admin.signIn("admin", "a-brand-new-password").statusCode()).isEqualTo(303);
      // The account page needs only the session (the content list also needs the read model's
      // query service, which a node just started may not have yet: a 503 then).
      assertThat(admin.get("/admin/account").statusCode()).isEqualTo(200);
      var signOut =
          EmbeddingRoleClusterTest.runCli(
              "user", "sign-out", "admin", "--server", base, "--token", token);
      assertThat(signOut.code()).as(signOut.err()).isZero();
      assertThat(admin.get("/admin/account").statusCode())
          .as("the session ended through the running site")
          .isEqualTo(303);
      // A token made through the running site works at once, and stops once revoked.
      var made =
          EmbeddingRoleClusterTest.runCli(
              "user",
              "token",
              "add",
              "admin",
              "--name",
              "laptop",
              "--server",
              base,
              "--token",
              token);
      assertThat(made.code()).as(made.err()).isZero();
      String own = made.out().strip();
      assertThat(me(base, own)).isEqualTo(200);
      var revoked =
          EmbeddingRoleClusterTest.runCli(
              "user",
              "token",
              "revoke",
              "admin",
              own.substring(6, 22),
              "--server",
              base,
              "--token",
              token);
      assertThat(revoked.code()).as(revoked.err()).isZero();
      assertThat(revoked.out()).contains("Revoked API token " + own.substring(6, 22));
      assertThat(me(base, own)).isEqualTo(401);

      var list =
          EmbeddingRoleClusterTest.runCli("user", "list", "--server", base, "--token", token);
      assertThat(list.out()).containsPattern("admin\\s+admin\\s+active\\s+Administrator");
      var wrongToken =
          EmbeddingRoleClusterTest.runCli("user", "list", "--server", base, "--token", "nope");
      assertThat(wrongToken.code()).isEqualTo(2);
      assertThat(wrongToken.err()).contains("the API token is not valid");
      // Loopback http is not warned about; an answer that is not the API's says what answered.
      assertThat(list.err()).doesNotContain("warning");
      var wrongPath =
          EmbeddingRoleClusterTest.runCli(
              "user", "list", "--server", base + "/not-quire", "--token", token);
      assertThat(wrongPath.code()).isEqualTo(2);
      assertThat(wrongPath.err())
          .startsWith("error: --server: GET " + base + "/not-quire/api/v1/users answered 404")
          .doesNotContain("?:");
    }
  }

  static int me(String base, String token) throws Exception {
    return EndToEndTest.HTTP
        .send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/api/v1/me"))
                .header("Authorization", "Bearer " + token)
                .build(),
            java.net.http.HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  @Test
  void plainHttpIsWarnedAboutOnlyOffThisMachine() {
    assertThat(UserCommand.Remote.loopback("http://127.0.0.1:8080")).isTrue();
    assertThat(UserCommand.Remote.loopback("http://localhost:8080/")).isTrue();
    assertThat(UserCommand.Remote.loopback("http://[::1]:8080")).isTrue();
    assertThat(UserCommand.Remote.loopback("http://cms.example.org")).isFalse();
    assertThat(UserCommand.Remote.loopback("http://127.example.org")).isFalse();
  }
}
