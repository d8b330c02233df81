package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code import markdown --server} checks the files against the running site's own limits ({@code
 * GET /api/v1/limits}) before it writes: a site that takes shorter titles than this command's
 * configuration refused those files one by one, half-way through the import. A stand-in site (JDK
 * HttpServer, loopback) answers the limits and records every other request: the real server's
 * limits are the ones of the JVM the test runs in, the same as the command's. That the real server
 * answers the path is checked in {@code EndToEndTest}.
 */
class SiteLimitsImportTest {

  @TempDir Path tmp;
  HttpServer server;
  final List<String> asked = new CopyOnWriteArrayList<>();
  volatile int limitsStatus = 200;

  @BeforeEach
  void start() throws Exception {
    server =
        StandInSite.start(
            exchange -> {
              String path = exchange.getRequestURI().getPath();
              asked.add(exchange.getRequestMethod() + " " + path);
              String body;
              int status;
              if (path.equals("/api/v1/limits") && limitsStatus == 200) {
                status = 200;
                body =
                    "{\"content\":{\"titleChars\":20,\"slugChars\":120,\"bodyChars\":262144,"
                        + "\"descriptionChars\":500,\"tags\":20,\"tagChars\":40,\"urlChars\":2000,"
                        + "\"authorChars\":200,\"markdownNesting\":100}}";
              } else {
                status = 404;
                body = "{\"error\":{\"code\":\"not_found\",\"field\":\"\",\"message\":\"no\"}}";
              }
              StandInSite.json(exchange, status, body);
            });
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  /** {@code quire import markdown DIR --server} into the stand-in site. */
  private EmbeddingRoleClusterTest.Cli importIntoTheSite(Path dir) {
    String url = "http://127.0.0.1:" + server.getAddress().getPort();
    return EmbeddingRoleClusterTest.runCli(
        "import", "markdown", dir.toString(), "--server", url, "--token", "t-0123456789abcdef");
  }

  @Test
  void filesBeyondTheSitesOwnLimitsAreAllReportedAndNothingIsWritten() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("posts"));
    Files.writeString(dir.resolve("short.md"), "---\ntitle: Short\nslug: short\n---\nBody.\n");
    Files.writeString(
        dir.resolve("long.md"), "---\nslug: long\ntitle: A title longer than twenty\n---\nBody.\n");
    var r = importIntoTheSite(dir);
    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err())
        .contains(dir.resolve("long.md") + ":3: title: is 26 characters long, at most 20 allowed")
        .contains("1 problem(s) in " + dir + " against the limits of the site it goes to");
    assertThat(asked).as("nothing but the limits was asked").containsExactly("GET /api/v1/limits");
  }

  @Test
  void aSiteTooOldToSayItsLimitsIsCheckedAsTheCommandsOwn() throws Exception {
    limitsStatus = 404;
    Path dir = Files.createDirectories(tmp.resolve("posts"));
    Files.writeString(
        dir.resolve("long.md"), "---\nslug: long\ntitle: A title longer than twenty\n---\nBody.\n");
    var r = importIntoTheSite(dir);
    // On to the next step, the site's list (which this stand-in does not have).
    assertThat(r.err()).doesNotContain("against the limits");
    assertThat(asked)
        .contains("GET /api/v1/limits")
        .anyMatch(a -> a.startsWith("GET /api/v1/content"));
  }

  /**
   * What is sent is read with the site's limits, not only checked against them: a slug the import
   * makes from a title is cut to the site's length (the command's own would be refused).
   */
  @Test
  void aSlugMadeFromATitleIsCutToTheSitesLength() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("posts"));
    Files.writeString(dir.resolve("t.md"), "---\ntitle: Event sourcing in practice\n---\nBody.\n");
    var config = QuireNode.config(java.util.Map.of("quire.data-dir", tmp.toString()));
    var own = dev.quire.protocol.ContentRules.Limits.fromConfig(config);
    var site =
        new dev.quire.protocol.ContentRules.Limits(
            own.maxTitle(),
            14,
            own.maxBody(),
            own.maxDescription(),
            own.maxTags(),
            own.maxTag(),
            own.maxUrl(),
            own.maxAuthor(),
            own.maxNesting());
    var read = ImportCommand.folder(site, config).read(dir);
    assertThat(read.problems()).isEmpty();
    assertThat(read.entries().get(0).fields().slug()).isEqualTo("event-sourcing");
  }
}
