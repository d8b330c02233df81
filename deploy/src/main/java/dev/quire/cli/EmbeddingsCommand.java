package dev.quire.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import dev.quire.gateway.semantic.EmbeddingClient;
import dev.quire.protocol.EmbeddingQuery;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code quire embeddings status|reindex}: against a running site ({@code --server}, the API's
 * {@code /api/v1/embeddings/*}) or, for a stopped site, a node started in this process with the
 * content and embedding roles on the data directory.
 */
@Command(
    name = "embeddings",
    description = "The semantic index: its status, and re-embedding everything.",
    subcommands = {EmbeddingsCommand.Status.class, EmbeddingsCommand.Reindex.class})
final class EmbeddingsCommand implements Runnable {

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Show the model, counts, indexing lag and any running reindex.")
  static final class Status implements Callable<Integer> {

    @Mixin SiteOptions site = new SiteOptions();

    @Option(names = "--json", description = "Print the status as JSON.")
    boolean asJson;

    @Override
    public Integer call() throws Exception {
      try (Endpoint endpoint = Endpoint.open(site, System.err)) {
        EmbeddingQuery.Status s = endpoint.status();
        if (asJson) {
          System.out.println(Endpoint.JSON.writeValueAsString(s));
        } else {
          print(s, System.out);
        }
        return 0;
      } catch (Unavailable e) {
        System.err.println("error: " + e.getMessage());
        return 1;
      } catch (QuireNode.DataDirLocked e) {
        System.err.println("error: " + e.getMessage());
        return 3;
      }
    }
  }

  @Command(
      name = "reindex",
      mixinStandardHelpOptions = true,
      description = {
        "Re-embed every published item with the configured model, with a progress bar.",
        "The site keeps answering semantic queries from the old vectors meanwhile."
      })
  static final class Reindex implements Callable<Integer> {

    @Mixin SiteOptions site = new SiteOptions();

    @Option(
        names = "--no-wait",
        description = "Start the reindex on the server and return without following it.")
    boolean noWait;

    @Override
    public Integer call() throws Exception {
      try (Endpoint endpoint = Endpoint.open(site, System.err)) {
        Config config = endpoint.config;
        long t0 = System.nanoTime();
        EmbeddingQuery.Status s = endpoint.reindex();
        if (noWait) {
          System.out.println("Reindex started on " + s.model() + ".");
          return 0;
        }
        Duration poll = config.getDuration("quire.cli.poll-interval");
        long deadline =
            System.nanoTime() + config.getDuration("quire.cli.reindex-timeout").toNanos();
        try (ProgressBar bar = bar("Re-embedding", Math.max(1, s.reindexTotal()))) {
          while (s.reindexing()) {
            if (System.nanoTime() > deadline) {
              System.err.println(
                  "error: the reindex is still running after "
                      + config.getDuration("quire.cli.reindex-timeout")
                      + "; it goes on in the service (see `quire embeddings status`)");
              return 1;
            }
            Thread.sleep(poll.toMillis());
            s = endpoint.status();
            bar.maxHint(Math.max(1, Math.max(s.reindexTotal(), s.reindexDone())));
            bar.stepTo(s.reindexDone());
          }
          bar.maxHint(Math.max(1, s.reindexDone()));
          bar.stepTo(Math.max(1, s.reindexDone()));
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
            "Re-embedded %d item(s) in %.1f s (%.1f items/s) with %s; the index holds %d"
                + " document(s), %d chunk(s).%n",
            s.reindexDone(),
            secs,
            s.reindexDone() / Math.max(secs, 1e-9),
            s.model(),
            s.documents(),
            s.chunks());
        return 0;
      } catch (Unavailable e) {
        System.err.println("error: " + e.getMessage());
        return 1;
      } catch (QuireNode.DataDirLocked e) {
        System.err.println("error: " + e.getMessage());
        return 3;
      }
    }
  }

  static void print(EmbeddingQuery.Status s, PrintStream out) {
    out.printf(
        "model        %s (%s)%n",
        s.model(),
        s.modelLoaded()
            ? "loaded in " + s.modelLoadMillis() + " ms"
            : "unloaded while unused; the next search loads it again");
    out.printf("documents    %d (%d chunk vectors)%n", s.documents(), s.chunks());
    out.printf(
        "indexed      change %d of %d, lag %s%n",
        s.indexedSeq(),
        s.contentSeq(),
        s.lagMillis() == 0
            ? "none"
            : s.indexedSeq() >= s.contentSeq()
                ? "not known yet (checking the read model)"
                : s.lagMillis() + " ms");
    out.printf(
        "reindex      %s%n",
        s.reindexing()
            ? "running, " + s.reindexDone() + " of " + s.reindexTotal() + " item(s) done"
            : "idle");
  }

  static final int FIXED_BAR_WIDTH = 100;

  static ProgressBar bar(String task, long max) {
    return new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(max)
        .setStyle(ProgressBarStyle.ASCII)
        .setConsumer(
            System.console() != null
                ? new ConsoleProgressBarConsumer(System.err)
                // Not a terminal (a log, a CI job): a fixed width, without asking JLine for the
                // terminal's, which costs ~0.1 s of a command's start (measured for `crawl`).
                : new ConsoleProgressBarConsumer(System.err, FIXED_BAR_WIDTH))
        .setUpdateIntervalMillis(250)
        .build();
  }

  /** The service answered with an error, or is not there. */
  static final class Unavailable extends RuntimeException {
    Unavailable(String message) {
      super(message);
    }
  }

  /** Where status and reindex go: a running server over HTTP, or a node in this process. */
  abstract static class Endpoint implements AutoCloseable {

    static final ObjectMapper JSON =
        new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    final Config config;

    Endpoint(Config config) {
      this.config = config;
    }

    abstract EmbeddingQuery.Status status() throws Exception;

    abstract EmbeddingQuery.Status reindex() throws Exception;

    @Override
    public void close() throws Exception {}

    static Endpoint open(SiteOptions site, PrintStream err) throws Exception {
      Config config = QuireNode.config(site.overrides());
      if (site.server != null) {
        if (site.token() == null) {
          throw new IllegalArgumentException("--server needs --token (or QUIRE_API_TOKEN)");
        }
        return new Remote(config, site.server, site.token());
      }
      return new Local(config, err);
    }
  }

  static final class Remote extends Endpoint {
    private final String base;
    private final String token;
    private final Duration timeout;
    private final HttpClient http;

    Remote(Config config, String server, String token) {
      super(config);
      String s = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
      if (!s.startsWith("http://") && !s.startsWith("https://")) {
        throw new IllegalArgumentException("--server must be an http(s) URL, was " + server);
      }
      this.base = s + "/api/v1/embeddings/";
      this.token = token;
      this.timeout = config.getDuration("quire.cli.ask-timeout");
      this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    @Override
    EmbeddingQuery.Status status() throws Exception {
      return send("GET", "status");
    }

    @Override
    EmbeddingQuery.Status reindex() throws Exception {
      return send("POST", "reindex");
    }

    private EmbeddingQuery.Status send(String method, String path) throws Exception {
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(base + path))
              .timeout(timeout)
              .header("Authorization", "Bearer " + token)
              .header("Accept", "application/json")
              .method(method, HttpRequest.BodyPublishers.noBody())
              .build();
      HttpResponse<String> r;
      try {
        r = http.send(request, HttpResponse.BodyHandlers.ofString());
      } catch (java.io.IOException e) {
        throw new Unavailable("no answer from " + base + path + ": " + e);
      }
      if (r.statusCode() / 100 != 2) {
        String message = r.body();
        try {
          JsonNode err = JSON.readTree(r.body()).path("error");
          if (err.hasNonNull("message")) {
            message = err.get("message").asText();
          }
        } catch (Exception notJson) {
          // keep the raw body
        }
        throw new Unavailable(method + " " + path + " answered " + r.statusCode() + ": " + message);
      }
      return JSON.readValue(r.body(), EmbeddingQuery.Status.class);
    }
  }

  /** A stopped site: start content + embedding on its data directory for the command's length. */
  static final class Local extends Endpoint {
    private final QuireNode node;
    private final EmbeddingClient client;

    Local(Config config, PrintStream err) throws Exception {
      super(config);
      if (!config.getBoolean("quire.embedding.enabled")) {
        throw new Unavailable(
            "the embedding service is disabled (quire.embedding.enabled / QUIRE_EMBEDDING_ENABLED)");
      }
      this.node = QuireNode.start(config, List.of("content", "embedding"), err, null);
      this.client = new EmbeddingClient(node.system(), config.getDuration("quire.cli.ask-timeout"));
      long deadline = System.nanoTime() + config.getDuration("quire.start-timeout").toNanos();
      while (!client.reachable()) {
        if (System.nanoTime() > deadline) {
          node.close();
          throw new Unavailable(
              "the embedding service did not start within "
                  + config.getDuration("quire.start-timeout"));
        }
        Thread.sleep(50);
      }
    }

    @Override
    EmbeddingQuery.Status status() throws Exception {
      return await(client.status());
    }

    @Override
    EmbeddingQuery.Status reindex() throws Exception {
      return await(client.reindex());
    }

    private <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
      try {
        return stage
            .toCompletableFuture()
            .get(config.getDuration("quire.cli.ask-timeout").toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | CompletionException e) {
        throw new Unavailable(String.valueOf(e.getCause().getMessage()));
      }
    }

    @Override
    public void close() throws Exception {
      node.close();
    }
  }
}
