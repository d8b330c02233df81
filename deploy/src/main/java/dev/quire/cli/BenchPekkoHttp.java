package dev.quire.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.settings.ServerSettings;

/**
 * The middle reference of {@code bench/site.sh}: Pekko HTTP alone, at the version, dispatcher and
 * server settings of Quire's gateway (its configuration, Pekko's request timer off as on the
 * gateway's port), answering each page from a map in memory with the headers Quire sends, and
 * nothing else: no routing, modules, conditional requests or metrics. It ships in the jar the
 * benchmark runs, as {@code BenchWrites} does. What Quire serves below it is Quire's own cost; what
 * this serves below nginx is the framework's.
 *
 * <p>Usage: {@code java -cp quire.jar dev.quire.cli.BenchPekkoHttp PORT DIR}: {@code
 * DIR/a/b/index.html} is served at {@code /a/b/}, as nginx serves the same directory.
 */
public final class BenchPekkoHttp {

  private BenchPekkoHttp() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    Path dir = Path.of(args[1]).toAbsolutePath();
    Map<String, HttpResponse> pages = new HashMap<>();
    try (var files = Files.walk(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().equals("index.html")).toList()) {
        String rel = dir.relativize(f.getParent()).toString();
        byte[] body = Files.readAllBytes(f);
        pages.put(
            rel.isEmpty() ? "/" : "/" + rel + "/",
            HttpResponse.create()
                .withEntity(HttpEntities.create(ContentTypes.TEXT_HTML_UTF8, body))
                .addHeaders(
                    List.of(
                        RawHeader.create("Vary", "Accept-Encoding"),
                        RawHeader.create(
                            "ETag", "\"" + dev.quire.gateway.site.SiteModule.etagOf(body) + "\""),
                        RawHeader.create("X-Content-Type-Options", "nosniff"),
                        RawHeader.create("Cache-Control", "no-cache"))));
      }
    }
    // Quire's configuration (dispatchers, pekko.http), as a plain actor system: no cluster.
    Config config =
        ConfigFactory.parseMap(Map.of("pekko.actor.provider", "local"))
            .withFallback(
                QuireNode.config(Map.of("quire.data-dir", dir.resolve("no-data").toString())));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "bench", config);
    ServerSettings settings = ServerSettings.create(system.classicSystem());
    HttpResponse notFound = HttpResponse.create().withStatus(StatusCodes.NOT_FOUND);
    Http.get(system)
        .newServerAt("127.0.0.1", port)
        .withSettings(
            settings
                .withTransparentHeadRequests(false)
                .withTimeouts(
                    settings
                        .getTimeouts()
                        .withRequestTimeout(scala.concurrent.duration.Duration.Inf())))
        // Asynchronous, as the gateway's routes are bound: a completed future per request.
        .bind(
            (org.apache.pekko.japi.function.Function<
                    org.apache.pekko.http.javadsl.model.HttpRequest,
                    java.util.concurrent.CompletionStage<HttpResponse>>)
                request ->
                    java.util.concurrent.CompletableFuture.completedFuture(
                        pages.getOrDefault(request.getUri().path(), notFound)))
        .toCompletableFuture()
        .get();
    System.out.println("serving " + pages.keySet() + " on 127.0.0.1:" + port);
  }
}
