package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quire crawl --verify-citations} end to end: a blog and the sources its posts cite, both
 * served on loopback, the real embedding model (all-MiniLM-L6-v2, int8) judging each citation. The
 * claim/source pairs are a fixture kept here: each pair's expected verdict is what a careful reader
 * would say.
 */
class CrawlCommandTest {

  @TempDir static Path tmp;
  static HttpServer blog;
  static HttpServer sources;
  static final Map<String, String> blogPages = new HashMap<>();
  static final Map<String, String> sourcePages = new HashMap<>();

  static HttpServer serve(Map<String, String> pages) throws Exception {
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    s.createContext(
        "/",
        ex -> {
          String body = pages.get(ex.getRequestURI().getPath());
          byte[] bytes =
              (body == null ? "<title>404</title>" : body).getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
          ex.sendResponseHeaders(
              body == null ? 404 : 200, ex.getRequestMethod().equals("HEAD") ? -1 : bytes.length);
          if (!ex.getRequestMethod().equals("HEAD")) {
            try (OutputStream o = ex.getResponseBody()) {
              o.write(bytes);
            }
          }
          ex.close();
        });
    s.start();
    return s;
  }

  static String src(String path) {
    return "http://localhost:" + sources.getAddress().getPort() + path;
  }

  static String article(String title, String paragraphs) {
    return "<!doctype html><html><head><title>"
        + title
        + "</title></head><body>"
        + "<nav><a href=\"/\">Home</a> Menu Subscribe Login</nav><article>"
        + paragraphs
        + "</article><footer>Copyright. Cookie settings. Privacy.</footer></body></html>";
  }

  @BeforeAll
  static void sites() throws Exception {
    sources = serve(sourcePages);
    blog = serve(blogPages);
    sourcePages.put(
        "/eiffel",
        article(
            "Eiffel Tower",
            "<p>The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France."
                + " It is named after the engineer Gustave Eiffel, whose company designed and built the tower."
                + " Constructed from 1887 to 1889 as the centerpiece of the 1889 World's Fair, it is 330 metres"
                + " tall, about the same height as an 81-storey building, and the tallest structure in Paris.</p>"
                + "<p>The tower has three levels for visitors, with restaurants on the first and second levels.</p>"));
    sourcePages.put(
        "/exercise",
        article(
            "Physical activity and the heart",
            "<p>Research consistently shows that people who are physically active have a substantially lower"
                + " risk of cardiovascular disease. Regular aerobic exercise such as brisk walking, cycling or"
                + " swimming lowers blood pressure, improves cholesterol levels and strengthens the heart muscle,"
                + " reducing the chance of heart attacks and strokes.</p>"));
    sourcePages.put(
        "/kubernetes",
        article(
            "Rolling updates",
            "<p>A Deployment in Kubernetes manages a set of Pods running a containerised application. When"
                + " you update the Pod template, the Deployment controller performs a rolling update, replacing"
                + " old Pods with new ones while keeping a minimum number available, controlled by maxSurge and"
                + " maxUnavailable settings in the deployment strategy.</p>"));
    blogPages.put(
        "/",
        "<!doctype html><html><head><title>Blog</title></head><body>"
            + "<a href=\"/posts/travel/\">travel</a> <a href=\"/posts/health/\">health</a></body></html>");
    blogPages.put(
        "/posts/travel/",
        article(
            "Travel notes",
            "<p>The Eiffel Tower in Paris was finished in 1889 and is roughly 330 metres high."
                + " <a href=\""
                + src("/eiffel")
                + "\">source</a></p>"
                + "<p>Honey never spoils because its low water content stops bacteria from growing."
                + " <a href=\""
                + src("/kubernetes")
                + "\">source</a></p>"));
    blogPages.put(
        "/posts/health/",
        article(
            "Health notes",
            "<p>Getting regular exercise like walking or cycling reduces your risk of heart disease and stroke."
                + " <a href=\""
                + src("/exercise")
                + "\">study</a></p>"
                + "<p>Gustave Eiffel also designed many railway bridges and viaducts across France."
                + " <a href=\""
                + src("/eiffel")
                + "#engineer\">bio</a></p>"
                + "<ul><li>A study that has since vanished <a href=\""
                + src("/gone")
                + "\">here</a></li></ul>"));
  }

  @AfterAll
  static void stop() {
    blog.stop(0);
    sources.stop(0);
  }

  /** Limits that make no crawl are refused before it starts, as --concurrency 0 is. */
  @Test
  void limitsThatMakeNoCrawlAreRefused() throws Exception {
    String start = "http://127.0.0.1:" + blog.getAddress().getPort() + "/";
    for (String[] bad :
        new String[][] {
          {"--max-pages", "-5", "--max-pages must be at least 1, was -5"},
          {"--max-pages", "0", "--max-pages must be at least 1, was 0"},
          {"--max-depth", "-1", "--max-depth must be 0 (the start page only) or more, was -1"},
          {"--delay", "-1", "--delay must be 0 or more milliseconds, was -1"},
          {"--max-duration", "soon", "--max-duration must be a duration such as 10m or 90s"},
          {"--max-duration", "0s", "--max-duration must be longer than 0"}
        }) {
      var r =
          EmbeddingRoleClusterTest.runCli(
              "crawl", start, "--out", tmp.resolve("no-report").toString(), bad[0], bad[1]);
      assertThat(r.code()).as(r.err()).isEqualTo(2);
      assertThat(r.err()).contains(bad[2]);
    }
    assertThat(java.nio.file.Files.exists(tmp.resolve("no-report"))).isFalse();

    // A site whose robots.txt keeps the crawler out: nothing audited, and the gate fails.
    HttpServer closed =
        serve(Map.of("/robots.txt", "User-agent: *\nDisallow: /\n", "/", "<title>Home</title>"));
    try {
      var r =
          EmbeddingRoleClusterTest.runCli(
              "crawl",
              "http://127.0.0.1:" + closed.getAddress().getPort() + "/",
              "--out",
              tmp.resolve("closed").toString());
      assertThat(r.code()).as(r.out() + r.err()).isEqualTo(1);
      assertThat(r.err()).contains("error: no page was crawled");
    } finally {
      closed.stop(0);
    }
  }

  @Test
  void citationsAreJudgedByMeaningAndTheReportsWritten() throws Exception {
    Path out = tmp.resolve("report");
    var r =
        EmbeddingRoleClusterTest.runCli(
            "crawl",
            "http://127.0.0.1:" + blog.getAddress().getPort() + "/",
            "--out",
            out.toString(),
            "--verify-citations",
            "--allow-host",
            "localhost",
            "--delay",
            "0",
            "--data",
            tmp.resolve("data").toString());
    assertThat(r.out()).as(r.err()).contains("Crawled http://127.0.0.1:");
    JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
    Map<String, JsonNode> bySource = new HashMap<>();
    JsonNode bio = null;
    for (JsonNode c : report.get("citations")) {
      System.out.println(
          "citation "
              + c.get("paragraph").asText()
              + " => "
              + c.get("verdict").asText()
              + " "
              + c.get("score").asDouble());
      if (c.get("paragraph").asText().startsWith("Gustave Eiffel also designed")) {
        bio = c;
      } else {
        bySource.put(c.get("source").asText().replaceAll(".*/", "/"), c);
      }
    }
    // The source names Gustave Eiffel as an engineer but says nothing of bridges: weak support.
    assertThat(bio).isNotNull();
    assertThat(bio.get("verdict").asText()).as(bio.toString()).isEqualTo("weakly supported");
    assertThat(bySource.keySet())
        .containsExactlyInAnyOrder("/eiffel", "/kubernetes", "/exercise", "/gone");
    String scores = report.get("citations").toString();
    assertThat(bySource.get("/eiffel").get("verdict").asText()).as(scores).isEqualTo("supported");
    assertThat(bySource.get("/eiffel").get("passage").asText()).contains("330 metres");
    assertThat(bySource.get("/exercise").get("verdict").asText()).as(scores).isEqualTo("supported");
    assertThat(bySource.get("/kubernetes").get("verdict").asText())
        .as(scores)
        .isEqualTo("not supported");
    assertThat(bySource.get("/gone").get("verdict").asText()).isEqualTo("unreachable");
    assertThat(bySource.get("/gone").get("paragraph").asText())
        .isEqualTo("A study that has since vanished here");
    assertThat(bySource.get("/eiffel").get("post").asText()).endsWith("/posts/travel/");
    // A citation that is not supported is an error: the command says so with its exit code.
    assertThat(r.code()).isEqualTo(1);
    assertThat(Files.readString(out.resolve("report.html")))
        .contains("not supported")
        .contains("330 metres");
  }
}
