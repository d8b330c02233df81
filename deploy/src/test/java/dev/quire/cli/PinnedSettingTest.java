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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site setting an operator sets by environment variable ({@code QUIRE_SITE_TITLE}) wins over what
 * admins set, and the admin says so and leaves the stored value alone: a real {@code quire serve}
 * process, its environment set as an operator's would be.
 */
class PinnedSettingTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final String TOKEN = "pinned-setting-token-0123456789";

  @Test
  void anEnvironmentVariableWinsAndTheAdminKeepsTheStoredValue(@TempDir Path tmp) throws Exception {
    int port = EmbeddingRoleClusterTest.freePort();
    String base = "http://127.0.0.1:" + port;
    Path data = tmp.resolve("data");
    ProcessBuilder pb =
        new ProcessBuilder(
                TestJvm.command(
                    "256m",
                    List.of(
                        "-Dquire.embedding.enabled=false",
                        "-Dquire.gateway.admin.argon2.memory=1m",
                        "-Dquire.gateway.admin.argon2.iterations=1"),
                    Main.class,
                    List.of(
                        "serve",
                        "--port",
                        String.valueOf(port),
                        "--management-port",
                        String.valueOf(EmbeddingRoleClusterTest.freePort()),
                        "--data",
                        data.toString())))
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("serve.log").toFile());
    pb.environment().put("QUIRE_SITE_TITLE", "Ops Title");
    pb.environment().put("QUIRE_API_TOKEN", TOKEN);
    Process server = pb.start();
    try {
      EndToEndTest.await(
          () -> {
            try {
              return get(base + "/healthz").statusCode() == 200;
            } catch (Exception notYet) {
              return false;
            }
          },
          Duration.ofSeconds(90));
      var put = api(base, "PUT", "{\"title\": \"Editors' Title\", \"pageSize\": 3}");
      assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
      JsonNode shown = JSON.readTree(put.body());
      assertThat(shown.at("/settings/title").asText()).isEqualTo("Ops Title");
      assertThat(shown.at("/set/title").asText()).isEqualTo("Editors' Title");
      assertThat(shown.at("/pinned/0").asText()).isEqualTo("title");
      assertThat(shown.at("/settings/pageSize").asInt()).as("not pinned: the admins'").isEqualTo(3);
      assertThat(get(base + "/").body()).contains("<title>Ops Title");

      AdminForms admin = new AdminForms(base);
      var in = admin.signIn("admin", Files.readString(data.resolve("admin-password")).strip());
      assertThat(in.statusCode()).as(in.body()).isEqualTo(303);
      String page = admin.get("/admin/settings/").body();
      var doc = org.jsoup.Jsoup.parse(page);
      assertThat(doc.selectFirst("#setting-title").hasAttr("disabled")).isTrue();
      assertThat(doc.selectFirst("#setting-title").val()).isEqualTo("Ops Title");
      assertThat(page).contains("QUIRE_SITE_TITLE");
      // The form as a browser sends it: the pinned field disabled (not sent), its stored value
      // in a hidden field.
      Map<String, String> form = new LinkedHashMap<>();
      for (var e : doc.select("#settings-form input[name], #settings-form textarea[name]")) {
        if (!e.hasAttr("disabled") && !e.attr("name").equals("_csrf")) {
          form.put(e.attr("name"), e.tagName().equals("textarea") ? e.wholeText() : e.val());
        }
      }
      form.put("page-size", "4");
      var saved = admin.submit("/admin/settings/", "/admin/settings/", form);
      assertThat(saved.statusCode()).as(saved.body()).isEqualTo(303);
      JsonNode after = JSON.readTree(api(base, "GET", null).body());
      assertThat(after.at("/set/title").asText())
          .as("the stored title is kept, not cleared by the disabled field")
          .isEqualTo("Editors' Title");
      assertThat(after.at("/set/pageSize").asInt()).isEqualTo(4);
    } finally {
      server.destroy();
      if (!server.waitFor(30, TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    }
  }

  static HttpResponse<String> get(String url) throws Exception {
    return EndToEndTest.HTTP.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> api(String base, String method, String body) throws Exception {
    return EndToEndTest.apiAt(base, method, "/api/v1/settings", body, TOKEN);
  }
}
