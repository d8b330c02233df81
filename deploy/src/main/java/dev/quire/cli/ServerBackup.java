package dev.quire.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quire.bundle.BundleReader;
import dev.quire.bundle.Limits;
import dev.quire.bundle.Manifest;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;

/**
 * {@code quire bundle export FILE --server URL}: a backup of a running site through its API ({@code
 * /api/v1/backups}): asks the site to make one, follows it with a progress bar, downloads it beside
 * {@code FILE}, verifies it whole (every entry's checksum) and only then moves it to {@code FILE}.
 * The site keeps its copy, listed in the admin's Backups.
 */
final class ServerBackup {

  /** A request the server refused, or a server that did not answer as the API does. */
  static class Failed extends Exception {
    Failed(String message) {
      super(message);
    }
  }

  /**
   * The server took an import and this command lost track of it (its deadline passed, or the server
   * stopped answering about it): it may still be writing.
   */
  static final class Unknown extends Failed {
    /** Where the server follows the import ({@code /api/v1/imports/<id>}). */
    final String location;

    Unknown(String location, String message) {
      super(message);
      this.location = location;
    }
  }

  /** Asks about an import that fail in a row (a busy or failing-over site) before giving up. */
  private static final int POLL_ATTEMPTS = 5;

  private final URI api;
  private final String token;
  private final Duration timeout;
  private final Duration poll;
  private final Duration deadline;
  private final PrintStream err;
  private final HttpClient http;
  private final ObjectMapper json = new ObjectMapper();

  ServerBackup(
      String server,
      String token,
      Duration timeout,
      Duration poll,
      Duration deadline,
      PrintStream err) {
    String s = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
    if (!s.startsWith("http://") && !s.startsWith("https://")) {
      throw new IllegalArgumentException("--server must be an http(s) URL, was " + server);
    }
    this.api = URI.create(s + "/api/v1");
    this.token = token;
    this.timeout = timeout;
    this.poll = poll;
    this.deadline = deadline;
    this.err = err;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  /** The client of {@code site}'s server, with the command's timeouts from its configuration. */
  static ServerBackup of(SiteOptions site) {
    com.typesafe.config.Config config = QuireNode.config(site.overrides());
    return new ServerBackup(
        site.server,
        site.token(),
        config.getDuration("quire.cli.ask-timeout"),
        config.getDuration("quire.cli.poll-interval"),
        config.getDuration("quire.cli.backup-timeout"),
        System.err);
  }

  /** Makes, downloads and verifies a backup into {@code file}; its manifest and server name. */
  record Result(Manifest manifest, String name) {}

  Result run(Path file, boolean history, boolean users) throws Exception {
    JsonNode job =
        send("POST", "/backups", "{\"history\":" + history + ",\"users\":" + users + "}", 202);
    String name = job.path("name").asText();
    if (!dev.quire.gateway.backup.Backups.NAME.matcher(name).matches()) {
      throw new Failed("the server named its backup '" + name + "', not a backup's name");
    }
    long end = System.nanoTime() + deadline.toNanos();
    Map<String, ProgressBar> bars = new HashMap<>();
    try {
      while ("running".equals(job.path("state").asText())) {
        String phase = job.path("phase").asText("");
        long total = Math.max(1, job.path("total").asLong());
        ProgressBar bar =
            bars.computeIfAbsent(
                phase,
                p -> {
                  bars.values().forEach(ProgressBar::close);
                  return EmbeddingsCommand.bar(label(p), total);
                });
        bar.maxHint(Math.max(total, job.path("done").asLong()));
        bar.stepTo(job.path("done").asLong());
        if (System.nanoTime() > end) {
          throw new Failed(
              "the backup "
                  + name
                  + " is still being made after "
                  + deadline
                  + "; it goes on on the server (see /admin/backups/). Behind a load balancer,"
                  + " gateways that do not share a backups directory see only their own: give"
                  + " --server one gateway's address");
        }
        Thread.sleep(poll.toMillis());
        job = poll(name, job);
      }
    } finally {
      bars.values().forEach(ProgressBar::close);
    }
    if (!"complete".equals(job.path("state").asText())) {
      throw new Failed("the server's backup " + name + " failed: " + job.path("message").asText());
    }
    Path absolute = file.toAbsolutePath();
    Path partial = absolute.resolveSibling("." + absolute.getFileName() + ".download");
    try {
      download(name, partial);
      Manifest m;
      try (BundleReader r = BundleReader.open(partial, Limits.DEFAULT);
          ProgressBar bar = EmbeddingsCommand.bar("Verifying", r.manifest().entries().size())) {
        m = r.verify((phase, done, total) -> bar.stepTo(done)).manifest();
      }
      Files.move(partial, absolute, StandardCopyOption.REPLACE_EXISTING);
      return new Result(m, name);
    } finally {
      Files.deleteIfExists(partial);
    }
  }

  /**
   * The backup as the server sees it now. Behind a load balancer another gateway may answer: it
   * knows a backup only once its file is in the directory they share, and says 404 until then, so a
   * 404 keeps the last state seen (the deadline still ends the wait).
   */
  private JsonNode poll(String name, JsonNode last) throws Exception {
    try {
      return send("GET", "/backups/" + name, null, 200);
    } catch (NotFound notYet) {
      return last;
    }
  }

  /** A 404 from the server. */
  private static final class NotFound extends Failed {
    NotFound(String message) {
      super(message);
    }
  }

  private static String label(String phase) {
    return switch (phase) {
      case "media" -> "Media";
      case "items" -> "Items";
      default -> "Redirects, menus";
    };
  }

  private void download(String name, Path to) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(api + "/backups/" + name + "/file"))
            .header("Authorization", "Bearer " + token)
            .GET()
            .build();
    dev.quire.bundle.BundleWriter.ownerOnly(to).close();
    HttpResponse<Path> r =
        http.send(
            request,
            HttpResponse.BodyHandlers.ofFile(
                to,
                java.nio.file.StandardOpenOption.WRITE,
                java.nio.file.LinkOption.NOFOLLOW_LINKS));
    if (r.statusCode() != 200) {
      String body = Files.exists(to) ? Files.readString(to) : "";
      throw new Failed(
          "GET " + request.uri() + " answered " + r.statusCode() + ": " + errorMessage(body));
    }
  }

  private JsonNode send(String method, String path, String body, int expected) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(api + path))
            .timeout(timeout)
            .header("Authorization", "Bearer " + token)
            .header("Accept", "application/json");
    if (body != null) {
      b.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> r;
    try {
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new Failed(method + " " + api + path + ": " + e);
    }
    if (r.statusCode() != expected) {
      String message =
          method
              + " "
              + api
              + path
              + " answered "
              + r.statusCode()
              + ": "
              + errorMessage(r.body())
              + (r.statusCode() == 404 && (path.equals("/backups") || path.startsWith("/imports?"))
                  ? " (a server without the backups module, or older than this command)"
                  : "");
      throw r.statusCode() == 404 ? new NotFound(message) : new Failed(message);
    }
    try {
      return json.readTree(r.body());
    } catch (IOException e) {
      throw new Failed(method + " " + api + path + " answered without JSON");
    }
  }

  /**
   * Uploads {@code file} to {@code POST /api/v1/imports} (its bytes as they are, with a progress
   * bar) and follows the import the server runs until it ends: the server's last word on it.
   */
  JsonNode importFile(Path file, String policy, boolean users) throws Exception {
    long size = Files.size(file);
    // Past the server's limit the upload would be cut off at its first bytes (a reset, not a
    // clear answer, for a client still sending): asked first, and said here.
    long max = send("GET", "/imports", null, 200).path("maxBytes").asLong(0);
    if (max > 0 && size > max) {
      throw new Failed(
          file
              + " is "
              + size
              + " bytes; the server takes bundles of at most "
              + max
              + " bytes (quire.gateway.imports.max-bytes, QUIRE_IMPORT_MAX_BYTES): raise it"
              + " there, or import into the stopped site with --data");
    }
    String query =
        "?policy="
            + policy
            + "&users="
            + users
            + "&filename="
            + java.net.URLEncoder.encode(
                file.getFileName().toString(), java.nio.charset.StandardCharsets.UTF_8);
    HttpResponse<String> r;
    try (ProgressBar bar = EmbeddingsCommand.bar("Uploading", size)) {
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(api + "/imports" + query))
              .header("Authorization", "Bearer " + token)
              .header("Accept", "application/json")
              .header("Content-Type", "application/zip")
              .POST(
                  HttpRequest.BodyPublishers.fromPublisher(
                      HttpRequest.BodyPublishers.ofInputStream(
                          () -> {
                            try {
                              return new Counted(Files.newInputStream(file), bar);
                            } catch (IOException e) {
                              throw new java.io.UncheckedIOException(e);
                            }
                          }),
                      size))
              .build();
      try {
        r = http.send(request, HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        throw new Failed("POST " + api + "/imports: " + e);
      }
    }
    if (r.statusCode() != 202) {
      throw new Failed(
          "POST "
              + api
              + "/imports answered "
              + r.statusCode()
              + ": "
              + errorMessage(r.body())
              + (r.statusCode() == 404
                  ? " (a server without the backups module, or older than this command)"
                  : ""));
    }
    // Past the 202 the server has the bundle: whatever goes wrong here leaves its import going.
    String location = r.headers().firstValue("Location").orElse("/api/v1/imports/");
    JsonNode job;
    try {
      job = json.readTree(r.body());
    } catch (IOException e) {
      throw new Unknown(location, "the server took the bundle but answered without JSON");
    }
    String id = job.path("id").asText();
    if (!dev.quire.gateway.backup.Imports.ID.matcher(id).matches()) {
      throw new Unknown(
          location,
          "the server took the bundle and named its import '"
              + BundleExport.printable(id)
              + "', not an import's id");
    }
    long end = System.nanoTime() + deadline.toNanos();
    int failedPolls = 0;
    try (PhaseBars bars = new PhaseBars()) {
      while ("running".equals(job.path("state").asText())) {
        bars.at(
            job.path("phase").asText("verifying"),
            job.path("done").asLong(),
            Math.max(1, job.path("total").asLong()));
        if (System.nanoTime() > end) {
          throw new Unknown(
              "/api/v1/imports/" + id, "the import " + id + " still runs after " + deadline);
        }
        Thread.sleep(poll.toMillis());
        // Only the gateway that took the upload knows the import: give --server one gateway.
        try {
          job = send("GET", "/imports/" + id, null, 200);
          failedPolls = 0;
        } catch (Failed e) {
          if (++failedPolls >= POLL_ATTEMPTS) {
            throw new Unknown(
                "/api/v1/imports/" + id,
                "the server stopped answering about import " + id + ": " + e.getMessage());
          }
        }
      }
    }
    return job;
  }

  /** Counts what the upload has read, for its progress bar. */
  private static final class Counted extends java.io.FilterInputStream {
    private final ProgressBar bar;

    Counted(java.io.InputStream in, ProgressBar bar) {
      super(in);
      this.bar = bar;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        bar.stepBy(1);
      }
      return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
      int n = super.read(buf, off, len);
      if (n > 0) {
        bar.stepBy(n);
      }
      return n;
    }
  }

  /** The API's error message in {@code body}, else the body itself (shortened). */
  private String errorMessage(String body) {
    try {
      JsonNode n = json.readTree(body);
      if (n != null && n.path("error").has("message")) {
        return n.path("error").path("message").asText();
      }
    } catch (IOException e) {
      // not JSON: shown as it is
    }
    String b = body == null ? "" : body.strip();
    return BundleExport.printable(b.length() > 200 ? b.substring(0, 200) + "..." : b);
  }
}
