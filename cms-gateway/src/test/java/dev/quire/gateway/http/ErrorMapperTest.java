package dev.quire.gateway.http;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.quire.gateway.content.ContentClient;
import dev.quire.gateway.render.Templates;
import dev.quire.gateway.site.PageRenderer;
import dev.quire.gateway.site.SiteSettings;
import dev.quire.gateway.site.SiteState;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A public route that fails answers with the theme's error page for the path that was asked for,
 * over real HTTP on loopback. The gateway builds its exception handler once, so the page must take
 * the path from the request it handles, not from the one the handler was built for.
 */
class ErrorMapperTest {

  ActorTestKit kit;
  ServerBinding binding;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    Config config =
        ConfigFactory.parseString(
                "quire.site.base-url = \"https://example.test\"\n"
                    + "pekko.actor.provider = cluster\n"
                    + "pekko.remote.artery.canonical.port = 0\n"
                    + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n")
            .withFallback(ConfigFactory.load());
    kit = ActorTestKit.create("error-mapper", config);
    SiteState site =
        new SiteState(
            kit.system(),
            new ContentClient(kit.system(), Duration.ofSeconds(1)),
            new SiteState.Settings(
                200,
                Duration.ofHours(1),
                Duration.ofHours(1),
                Duration.ofHours(1),
                100,
                ZoneOffset.UTC));
    PageRenderer pages =
        new PageRenderer(
            new Templates(null, false, true, List.of()),
            dev.quire.gateway.site.LiveSettings.fixed(SiteSettings.fromConfig(config)),
            site,
            ZoneOffset.UTC);
    ErrorMapper errors = new ErrorMapper(new ObjectMapper(), pages, () -> 7);
    Route failing =
        concat(
            path(
                "down",
                () -> {
                  throw HttpError.unavailable("the content service is not reachable");
                }),
            path(
                "unsupported",
                () -> {
                  throw new HttpError(501, "not_implemented", "", "no such method here");
                }),
            path(
                "broken",
                () -> {
                  throw new IllegalStateException("a bug");
                }),
            path("slow", () -> completeWithFuture(new CompletableFuture<>())),
            path(
                segment("api").slash("v1").slash("slow"),
                () -> completeWithFuture(new CompletableFuture<>())));
    binding =
        Http.get(kit.system())
            .newServerAt("127.0.0.1", 0)
            // As the gateway wires it: past the deadline, the error in the form the path wants.
            .bind(
                ResponseDeadline.within(
                    Duration.ofMillis(300),
                    request ->
                        errors.forPath(
                            HttpError.unavailable("the server did not answer in time"),
                            request.getUri().path()),
                    kit.system().executionContext(),
                    handleExceptions(errors.htmlExceptions(), () -> failing)))
            .toCompletableFuture()
            .get();
  }

  @AfterEach
  void stop() {
    binding.unbind().toCompletableFuture().join();
    kit.shutdownTestKit();
  }

  HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + binding.localAddress().getPort() + path))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void failuresAnswerWithTheThemesErrorPageForThePathAskedFor() throws Exception {
    HttpResponse<String> down = get("/down");
    assertThat(down.statusCode()).isEqualTo(503);
    assertThat(down.headers().firstValue("Retry-After")).hasValue("7");
    assertThat(down.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
    assertThat(down.body())
        .as("a 503 says the page is not available now, not that something broke")
        .contains("Not available right now")
        .as("an error page is no page's canonical copy")
        .doesNotContain("rel=\"canonical\"")
        .doesNotContain("og:url");

    HttpResponse<String> broken = get("/broken");
    assertThat(broken.statusCode()).isEqualTo(500);
    assertThat(broken.body())
        .contains("Something went wrong")
        .doesNotContain("rel=\"canonical\"")
        .as("no internals leak into the page")
        .doesNotContain("a bug");

    HttpResponse<String> unsupported = get("/unsupported");
    assertThat(unsupported.statusCode()).isEqualTo(501);
    assertThat(unsupported.body())
        .as("a method the server does not take is the request's doing, not the site's fault")
        .contains("This request cannot be answered")
        .doesNotContain("Something went wrong");
  }

  @Test
  void aRouteTooSlowToAnswerGetsAPageOrTheApisJsonByItsPath() throws Exception {
    HttpResponse<String> page = get("/slow");
    assertThat(page.statusCode()).isEqualTo(503);
    assertThat(page.headers().firstValue("Retry-After")).hasValue("7");
    assertThat(page.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
    assertThat(page.body()).contains("Not available right now").doesNotContain("rel=\"canonical\"");

    HttpResponse<String> api = get("/api/v1/slow");
    assertThat(api.statusCode()).isEqualTo(503);
    assertThat(api.headers().firstValue("Retry-After")).hasValue("7");
    assertThat(api.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(new ObjectMapper().readTree(api.body()).at("/error/code").asText())
        .isEqualTo("unavailable");
  }
}
