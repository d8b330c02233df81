package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Users' own API tokens over HTTP on the all-in-one server (H2, loopback): made and revoked through
 * the API, acting with their user's role as it is at each use, recorded under the user's name, and
 * refused once revoked or once the user is disabled.
 */
class ApiTokensTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final String SITE_TOKEN = "api-tokens-test-token-0123456789";

  @TempDir Path tmp;

  String base;

  record Answer(int status, JsonNode json, String body) {}

  Answer call(String method, String path, String token, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(20))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json");
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> r =
        EndToEndTest.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode json = r.body().isBlank() ? null : JSON.readTree(r.body());
    return new Answer(r.statusCode(), json, r.body());
  }

  String tokenFor(String user, String name) throws Exception {
    Answer made =
        call(
            "POST", "/api/v1/users/" + user + "/tokens", SITE_TOKEN, "{\"name\":\"" + name + "\"}");
    assertThat(made.status()).as(made.body()).isEqualTo(201);
    assertThat(made.json().get("username").asText()).isEqualTo(user);
    assertThat(made.json().get("createdBy").asText()).isEqualTo("api");
    String token = made.json().get("token").asText();
    assertThat(token).matches("quire_[0-9a-f]{16}_[A-Za-z0-9_-]{43}");
    assertThat(token).contains(made.json().get("id").asText());
    return token;
  }

  /** The revisions' actors, newest first; none while the read model's query service starts. */
  java.util.List<String> actors(String id, String token) throws Exception {
    Answer history = call("GET", "/api/v1/content/" + id + "/revisions?bodies=false", token, null);
    if (history.status() == 503) {
      return java.util.List.of();
    }
    assertThat(history.status()).as(history.body()).isEqualTo(200);
    return history.json().get("items").findValuesAsText("actor");
  }

  static void refused(Answer a, int status, String code, String field) {
    assertThat(a.status()).as(a.body()).isEqualTo(status);
    assertThat(a.json().path("error").path("code").asText()).as(a.body()).isEqualTo(code);
    assertThat(a.json().path("error").path("field").asText()).as(a.body()).isEqualTo(field);
  }

  /** The all-in-one server on a free port, its data under {@code dir}, with {@code more} config. */
  QuireNode started(String dir, Map<String, Object> more) throws Exception {
    Map<String, Object> values = new java.util.HashMap<>(more);
    values.put("quire.data-dir", tmp.resolve(dir).toString());
    values.put("quire.gateway.http.port", 0);
    values.put("quire.embedding.enabled", false);
    QuireNode node =
        QuireNode.start(
            QuireNode.config(values),
            true,
            new java.io.PrintStream(java.io.OutputStream.nullOutputStream()),
            SITE_TOKEN);
    base = "http://127.0.0.1:" + node.gateway().binding().localAddress().getPort();
    return node;
  }

  @Test
  void aUsersTokenActsWithTheirRoleUnderTheirNameUntilRevokedOrDisabled() throws Exception {
    try (QuireNode node = started("site", Map.of())) {
      for (String[] u : new String[][] {{"ann", "author"}, {"ed", "editor"}}) {
        Answer added =
            call(
                "POST",
                "/api/v1/users",
                SITE_TOKEN,
                "{\"username\":\""
                    + u[0]
                    + "\",\"role\":\""
                    + u[1]
                    + "\",\"password\":\"a-long-password-1\"}");
        assertThat(added.status()).as(added.body()).isEqualTo(201);
      }
      String ann = tokenFor("ann", "Ann's drafts script");
      String ed = tokenFor("ed", "Ed's publishing");

      Answer me = call("GET", "/api/v1/me", ann, null);
      assertThat(me.status()).as(me.body()).isEqualTo(200);
      assertThat(me.json().get("username").asText()).isEqualTo("ann");
      assertThat(me.json().get("role").asText()).isEqualTo("author");
      assertThat(me.json().get("site").asBoolean()).isFalse();
      assertThat(call("GET", "/api/v1/me", SITE_TOKEN, null).json().get("site").asBoolean())
          .isTrue();

      // An author writes drafts, recorded under her name.
      Answer draft =
          call(
              "POST",
              "/api/v1/content",
              ann,
              "{\"kind\":\"post\",\"title\":\"Token draft\",\"body\":\"Hello\"}");
      assertThat(draft.status()).as(draft.body()).isEqualTo(201);
      String id = draft.json().get("id").asText();
      Answer edited =
          call("PUT", "/api/v1/content/" + id, ann, "{\"revision\":1,\"body\":\"Hello again\"}");
      assertThat(edited.status()).as(edited.body()).isEqualTo(200);
      // The revision list is the read model's: it follows the journal within moments.
      EndToEndTest.await(() -> actors(id, ann).size() == 2, Duration.ofSeconds(20));
      assertThat(actors(id, ann)).containsExactly("ann", "ann");
      assertThat(edited.json().get("createdBy").asText()).isEqualTo("ann");

      // An author edits the drafts she started, not another's (nor one made with the site's
      // token), as in WordPress and Ghost; editors any.
      Answer sites =
          call(
              "POST",
              "/api/v1/content",
              SITE_TOKEN,
              "{\"kind\":\"post\",\"title\":\"The site's draft\",\"slug\":\"the-sites-draft\","
                  + "\"body\":\"Ours\"}");
      assertThat(sites.status()).as(sites.body()).isEqualTo(201);
      String sitesId = sites.json().get("id").asText();
      Answer notHers =
          call("PUT", "/api/v1/content/" + sitesId, ann, "{\"revision\":1,\"body\":\"Mine now\"}");
      refused(notHers, 403, "forbidden", "Authorization");
      assertThat(notHers.json().path("error").path("message").asText())
          .contains("edit a draft api started");
      // Nor does she read another's draft: its title, slug, status and who started it, as lists
      // show them, but not its text, nor its history (any author read every draft's text and
      // every earlier version of it until 2026-12-07).
      Answer seen = call("GET", "/api/v1/content/" + sitesId, ann, null);
      assertThat(seen.status()).as(seen.body()).isEqualTo(200);
      assertThat(seen.json().get("title").asText()).isEqualTo("The site's draft");
      assertThat(seen.json().get("createdBy").asText()).isEqualTo("api");
      assertThat(seen.json().has("body")).as(seen.body()).isFalse();
      Answer bySlug = call("GET", "/api/v1/content?slug=the-sites-draft", ann, null);
      assertThat(bySlug.json().at("/items/0/id").asText()).isEqualTo(sitesId);
      assertThat(bySlug.json().at("/items/0").has("body")).as(bySlug.body()).isFalse();
      for (String history :
          new String[] {"/revisions", "/revisions/1", "/diff?from=1", "/diff?from=1&to=1"}) {
        Answer h = call("GET", "/api/v1/content/" + sitesId + history, ann, null);
        refused(h, 403, "forbidden", "Authorization");
        assertThat(h.json().path("error").path("message").asText())
            .as(history)
            .contains("read the history of a draft item api started")
            .doesNotContain("Ours");
      }
      // Her own she reads whole, and an editor reads every item.
      assertThat(call("GET", "/api/v1/content/" + id, ann, null).json().get("body").asText())
          .isEqualTo("Hello again");
      assertThat(call("GET", "/api/v1/content/" + sitesId, ed, null).json().get("body").asText())
          .isEqualTo("Ours");
      assertThat(call("GET", "/api/v1/content/" + sitesId + "/revisions/1", ed, null).status())
          .isEqualTo(200);
      // Another's published item she reads as the site shows it, not its earlier revisions, which
      // hold text cut before it went out.
      Answer outNow =
          call(
              "POST",
              "/api/v1/content",
              SITE_TOKEN,
              "{\"kind\":\"post\",\"title\":\"Out now\",\"body\":\"As published\","
                  + "\"status\":\"published\"}");
      assertThat(outNow.status()).as(outNow.body()).isEqualTo(201);
      String liveId = outNow.json().get("id").asText();
      assertThat(call("GET", "/api/v1/content/" + liveId, ann, null).json().get("body").asText())
          .isEqualTo("As published");
      refused(
          call("GET", "/api/v1/content/" + liveId + "/revisions", ann, null),
          403,
          "forbidden",
          "Authorization");
      refused(
          call("GET", "/api/v1/content/" + liveId + "/diff?from=1", ann, null),
          403,
          "forbidden",
          "Authorization");

      // ... and may not publish, make an item published, revert, or go past her role's paths.
      refused(
          call("POST", "/api/v1/content/" + id + "/publish", ann, "{\"revision\":2}"),
          403,
          "forbidden",
          "Authorization");
      refused(
          call(
              "POST",
              "/api/v1/content",
              ann,
              "{\"kind\":\"post\",\"title\":\"Straight out\",\"status\":\"published\"}"),
          403,
          "forbidden",
          "Authorization");
      refused(
          call("POST", "/api/v1/content/" + id + "/revert", ann, "{\"to\":1,\"revision\":2}"),
          403,
          "forbidden",
          "Authorization");
      refused(call("GET", "/api/v1/users", ann, null), 403, "forbidden", "Authorization");
      refused(call("GET", "/api/v1/settings", ann, null), 403, "forbidden", "Authorization");
      refused(call("GET", "/api/v1/backups", ann, null), 403, "forbidden", "Authorization");
      refused(
          call("PUT", "/api/v1/menus/main", ann, "{\"links\":[]}"),
          403,
          "forbidden",
          "Authorization");
      refused(
          call("DELETE", "/api/v1/media/" + "0".repeat(64), ann, null),
          403,
          "forbidden",
          "Authorization");
      assertThat(call("GET", "/api/v1/media", ann, null).status()).isEqualTo(200);
      assertThat(call("GET", "/api/v1/limits", ann, null).status()).isEqualTo(200);
      // A token's refusals read the same whatever the path's case or form.
      refused(call("GET", "/api/v1//users", ann, null), 403, "forbidden", "Authorization");

      // An import with her token is checked against her role before it writes anything.
      Path folder = java.nio.file.Files.createDirectories(tmp.resolve("md"));
      java.nio.file.Files.writeString(
          folder.resolve("a-draft.md"), "---\ntitle: A draft of hers\ndraft: true\n---\nText.\n");
      java.nio.file.Files.writeString(
          folder.resolve("live.md"), "---\ntitle: Live at once\n---\nText.\n");
      var refusedImport =
          EmbeddingRoleClusterTest.runCli(
              "import", "markdown", folder.toString(), "--server", base, "--token", ann);
      assertThat(refusedImport.code()).as(refusedImport.out()).isNotZero();
      assertThat(refusedImport.err())
          .contains(
              "live.md:1: draft: the token acts for 'ann' (author), who may write drafts only")
          .contains("nothing was imported")
          .doesNotContain("a-draft.md:");
      assertThat(
              call("GET", "/api/v1/content?slug=a-draft-of-hers", ann, null)
                  .json()
                  .get("total")
                  .asInt())
          .isZero();
      java.nio.file.Files.delete(folder.resolve("live.md"));
      var imported =
          EmbeddingRoleClusterTest.runCli(
              "import", "markdown", folder.toString(), "--server", base, "--token", ann);
      assertThat(imported.code()).as(imported.err()).isZero();
      // Nor through an import: a file that would change a draft another started is found before
      // anything is written.
      java.nio.file.Files.writeString(
          folder.resolve("theirs.md"),
          "---\ntitle: The site's draft\nslug: the-sites-draft\ndraft: true\n---\nMine now.\n");
      java.nio.file.Files.writeString(
          folder.resolve("another.md"), "---\ntitle: Another of hers\ndraft: true\n---\nText.\n");
      // No wait for the site's list to hold the draft made above: the import looks up by slug what
      // the list does not hold yet (AuthorImportListLagTest holds the list back).
      var theirs =
          EmbeddingRoleClusterTest.runCli(
              "import", "markdown", folder.toString(), "--server", base, "--token", ann);
      assertThat(theirs.code()).as(theirs.out()).isNotZero();
      assertThat(theirs.err())
          .contains(
              "theirs.md:3: slug: 'the-sites-draft' is a draft api started, and the token acts for"
                  + " 'ann' (author), who may edit only the drafts they started")
          .contains("nothing was imported");
      assertThat(
              call("GET", "/api/v1/content?slug=another-of-hers", ann, null)
                  .json()
                  .get("total")
                  .asInt())
          .isZero();
      java.nio.file.Files.delete(folder.resolve("theirs.md"));
      java.nio.file.Files.delete(folder.resolve("another.md"));
      // Her export leaves out the draft she may not read, rather than write it empty. (An export
      // reads the site's list, which trails the journal: it waits for both drafts to be in it.)
      for (String slug : List.of("a-draft-of-hers", "the-sites-draft")) {
        EndToEndTest.await(
            () ->
                call("GET", "/api/v1/content?q=" + slug, ann, null).json().get("total").asInt()
                    == 1,
            Duration.ofSeconds(20));
      }
      Path out = tmp.resolve("ann-export");
      var exported =
          EmbeddingRoleClusterTest.runCli(
              "export", "markdown", out.toString(), "--server", base, "--token", ann);
      assertThat(exported.code()).as(exported.err()).isZero();
      assertThat(exported.err())
          .contains("1 item(s) that others started and are not published were left out");
      assertThat(out.resolve("the-sites-draft.md")).doesNotExist();
      assertThat(out.resolve("a-draft-of-hers.md")).content().contains("Text.");

      // An editor publishes it, under his name; the author may not edit it once it is live.
      Answer published = call("POST", "/api/v1/content/" + id + "/publish", ed, "{\"revision\":2}");
      assertThat(published.status()).as(published.body()).isEqualTo(200);
      assertThat(published.json().get("createdBy").asText()).as("kept").isEqualTo("ann");
      Answer live =
          call("PUT", "/api/v1/content/" + id, ann, "{\"revision\":3,\"body\":\"Sneaky\"}");
      refused(live, 403, "forbidden", "Authorization");
      assertThat(live.json().path("error").path("message").asText()).contains("published");
      EndToEndTest.await(() -> actors(id, ed).size() == 3, Duration.ofSeconds(20));
      assertThat(actors(id, ed)).containsExactly("ed", "ann", "ann");
      // An editor may not manage users either.
      refused(call("GET", "/api/v1/users/ann/tokens", ed, null), 403, "forbidden", "Authorization");

      // An admin's token sets passwords, its own user's too (no current password is asked:
      // it could make another admin and set it with that one's token).
      Answer ada =
          call(
              "POST",
              "/api/v1/users",
              SITE_TOKEN,
              "{\"username\":\"ada\",\"role\":\"admin\",\"password\":\"a-long-password-1\"}");
      assertThat(ada.status()).as(ada.body()).isEqualTo(201);
      String adas = tokenFor("ada", "Ada's script");
      Answer ownChanged =
          call("PUT", "/api/v1/users/ada", adas, "{\"password\":\"another-password-2\"}");
      assertThat(ownChanged.status()).as(ownChanged.body()).isEqualTo(200);
      // Ten spaces are not a password.
      refused(
          call("PUT", "/api/v1/users/ann", adas, "{\"password\":\"          \"}"),
          400,
          "invalid",
          "password");

      // The list shows names and ids, never a secret or its hash.
      Answer list = call("GET", "/api/v1/users/ann/tokens", SITE_TOKEN, null);
      assertThat(list.status()).as(list.body()).isEqualTo(200);
      assertThat(list.json().get("items").findValuesAsText("name"))
          .containsExactly("Ann's drafts script");
      assertThat(list.body()).doesNotContain("secret").doesNotContain(ann.substring(24));
      String annId = list.json().get("items").get(0).get("id").asText();
      assertThat(list.json().get("items").get(0).get("lastUsed").asText())
          .as("used by the calls above")
          .startsWith("20");
      assertThat(list.json().get("items").get(0).get("expiresAt").isNull()).isTrue();

      // A wrong secret with a right id, and a made-up one: 401.
      String wrong = ann.substring(0, ann.length() - 4) + (ann.endsWith("AAAA") ? "BBBB" : "AAAA");
      refused(call("GET", "/api/v1/me", wrong, null), 401, "unauthorized", "Authorization");
      refused(
          call("GET", "/api/v1/me", "quire_0123456789abcdef_" + "x".repeat(43), null),
          401,
          "unauthorized",
          "Authorization");

      // Bad input to the tokens API names its field.
      refused(
          call("POST", "/api/v1/users/ann/tokens", SITE_TOKEN, "{\"name\":\"\"}"),
          400,
          "invalid",
          "name");
      refused(
          call("POST", "/api/v1/users/nobody/tokens", SITE_TOKEN, "{\"name\":\"x\"}"),
          404,
          "not_found",
          "username");

      // A token that expires: its time is kept and shown; one in the past is refused.
      Answer lasting =
          call(
              "POST",
              "/api/v1/users/ed/tokens",
              SITE_TOKEN,
              "{\"name\":\"a week\",\"expiresAt\":\""
                  + java.time.Instant.now().plus(Duration.ofDays(7))
                  + "\"}");
      assertThat(lasting.status()).as(lasting.body()).isEqualTo(201);
      assertThat(lasting.json().get("expiresAt").asText()).startsWith("20");
      assertThat(call("GET", "/api/v1/me", lasting.json().get("token").asText(), null).status())
          .isEqualTo(200);
      refused(
          call(
              "POST",
              "/api/v1/users/ed/tokens",
              SITE_TOKEN,
              "{\"name\":\"gone\",\"expiresAt\":\"2020-01-01T00:00:00Z\"}"),
          400,
          "invalid",
          "expiresAt");
      refused(
          call(
              "POST",
              "/api/v1/users/ed/tokens",
              SITE_TOKEN,
              "{\"name\":\"gone\",\"expiresAt\":\"soon\"}"),
          400,
          "invalid",
          "expiresAt");

      // Revoked: refused at once.
      assertThat(call("DELETE", "/api/v1/users/ann/tokens/" + annId, SITE_TOKEN, null).status())
          .isEqualTo(204);
      refused(call("GET", "/api/v1/me", ann, null), 401, "unauthorized", "Authorization");
      refused(
          call("DELETE", "/api/v1/users/ann/tokens/" + annId, SITE_TOKEN, null),
          404,
          "not_found",
          "id");

      // A disabled user's token stops working, and works again when the user is enabled.
      assertThat(call("PUT", "/api/v1/users/ed", SITE_TOKEN, "{\"disabled\":true}").status())
          .isEqualTo(200);
      refused(call("GET", "/api/v1/me", ed, null), 401, "unauthorized", "Authorization");
      assertThat(call("PUT", "/api/v1/users/ed", SITE_TOKEN, "{\"disabled\":false}").status())
          .isEqualTo(200);
      assertThat(call("GET", "/api/v1/me", ed, null).status()).isEqualTo(200);

      // Promoted to admin, the same token may manage users; its changes carry its user's name.
      assertThat(call("PUT", "/api/v1/users/ed", SITE_TOKEN, "{\"role\":\"admin\"}").status())
          .isEqualTo(200);
      Answer annAgain = call("POST", "/api/v1/users/ann/tokens", ed, "{\"name\":\"made by ed\"}");
      assertThat(annAgain.status()).as(annAgain.body()).isEqualTo(201);
      assertThat(annAgain.json().get("createdBy").asText()).isEqualTo("ed");
    }
  }

  /** {@code GET /api/v1/me} with {@code token} (null: none), as if from {@code address}. */
  HttpResponse<String> meFrom(String address, String token) throws Exception {
    return from(address, token, "/api/v1/me");
  }

  /** {@code GET path} with {@code token} (null: none), as if from {@code address}. */
  HttpResponse<String> from(String address, String token, String path) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(20))
            .header("X-Forwarded-For", address);
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return EndToEndTest.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * An address that sends too many tokens that are not valid (counted by all gateways together) has
   * its tokens answered 429 without the user directory being asked, its valid ones too, until the
   * window passes; the site's token, other addresses, and requests without a token are not
   * affected. The addresses come through X-Forwarded-For from loopback, trusted as a proxy here.
   */
  @Test
  void anAddressSendingTooManyBadTokensIsTurnedAwayOthersAreNot() throws Exception {
    try (QuireNode node =
        started(
            "guarded",
            Map.of(
                "quire.gateway.http.trusted-proxies",
                java.util.List.of("127.0.0.1"),
                "quire.gateway.api.token-failures.per-address",
                3))) {
      Answer added =
          call(
              "POST",
              "/api/v1/users",
              SITE_TOKEN,
              "{\"username\":\"ann\",\"role\":\"author\",\"password\":\"a-long-password-1\"}");
      assertThat(added.status()).as(added.body()).isEqualTo(201);
      String ann = tokenFor("ann", "Ann's script");
      String guesser = "198.51.100.7";
      assertThat(meFrom(guesser, ann).statusCode()).isEqualTo(200);

      // Three failures: a value not shaped as a token, a made-up one, a wrong secret for ann's id.
      String madeUp = "quire_0123456789abcdef_" + "A".repeat(43);
      String wrongSecret = ann.substring(0, ann.length() - 43) + "B".repeat(43);
      for (String bad : new String[] {"not-a-token", madeUp, wrongSecret}) {
        assertThat(meFrom(guesser, bad).statusCode()).as(bad).isEqualTo(401);
      }
      HttpResponse<String> away = meFrom(guesser, ann);
      assertThat(away.statusCode()).as(away.body()).isEqualTo(429);
      assertThat(JSON.readTree(away.body()).path("error").path("field").asText())
          .isEqualTo("Authorization");
      assertThat(away.headers().firstValue("Retry-After").map(Long::parseLong).orElse(0L))
          .isBetween(1L, 15 * 60L + 1);
      assertThat(meFrom(guesser, madeUp).statusCode()).isEqualTo(429);

      assertThat(meFrom(guesser, SITE_TOKEN).statusCode()).as("the site's token").isEqualTo(200);
      assertThat(meFrom(guesser, null).statusCode()).as("no token: asked for one").isEqualTo(401);
      assertThat(meFrom("198.51.100.8", ann).statusCode()).as("another address").isEqualTo(200);
      assertThat(call("GET", "/api/v1/me", ann, null).status()).as("loopback").isEqualTo(200);
    }
  }

  /**
   * The limit is the gateway core's, not the admin module's: on a gateway without it, failed tokens
   * are counted all the same, and an address turned away may try again once its window (2 s here)
   * has passed, as Retry-After says.
   */
  @Test
  void withoutTheAdminModuleFailedTokensAreCountedAndTheWindowEnds() throws Exception {
    try (QuireNode node =
        started(
            "no-admin",
            Map.of(
                "quire.gateway.modules",
                java.util.List.of("api", "site"),
                "quire.gateway.http.trusted-proxies",
                java.util.List.of("127.0.0.1"),
                "quire.gateway.api.token-failures.per-address",
                3,
                "quire.gateway.api.token-failures.window",
                "2s"))) {
      String guesser = "203.0.113.9";
      for (int i = 0; i < 3; i++) {
        assertThat(meFrom(guesser, "junk-" + i).statusCode()).isEqualTo(401);
      }
      HttpResponse<String> away = meFrom(guesser, "more-junk");
      assertThat(away.statusCode()).as(away.body()).isEqualTo(429);
      long wait = away.headers().firstValue("Retry-After").map(Long::parseLong).orElseThrow();
      assertThat(wait).isBetween(1L, 3L);
      Thread.sleep(wait * 1000);
      assertThat(meFrom(guesser, "junk-again").statusCode())
          .as("the window has passed: checked, and refused, again")
          .isEqualTo(401);
      // (No /me here: the users' API is the admin module's.)
      assertThat(from(guesser, SITE_TOKEN, "/api/v1/content").statusCode()).isEqualTo(200);
    }
  }
}
