package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.quire.protocol.CrawlJobCommand;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crawl jobs are durable: a job running when its node stops runs again when the node comes back
 * (same data directory, a new JVM actor system), and a running job can be cancelled. The site
 * crawled is a chain of slow pages on loopback, so the crawl is still going when the node stops.
 */
class CrawlJobsRestartTest {

  static final int CHAIN = 20; // within quire.crawler.max-depth (25)
  @TempDir Path tmp;
  HttpServer chain;
  final AtomicInteger hits = new AtomicInteger();

  @BeforeEach
  void serve() throws Exception {
    chain = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    chain.createContext(
        "/",
        ex -> {
          hits.incrementAndGet();
          String p = ex.getRequestURI().getPath();
          String body;
          int status = 200;
          if (p.startsWith("/p/")) {
            int n = Integer.parseInt(p.substring(3));
            body =
                "<html><head><title>Page "
                    + n
                    + "</title></head><body>"
                    + (n + 1 < CHAIN ? "<a href=\"/p/" + (n + 1) + "\">next</a>" : "end")
                    + "</body></html>";
            try {
              Thread.sleep(150);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          } else {
            body = "";
            status = 404;
          }
          byte[] b = body.getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "text/html");
          ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
          if (b.length > 0) {
            try (OutputStream o = ex.getResponseBody()) {
              o.write(b);
            }
          }
          ex.close();
        });
    chain.start();
  }

  @AfterEach
  void stop() {
    chain.stop(0);
  }

  QuireNode start() throws Exception {
    var config =
        QuireNode.config(
            Map.of(
                "quire.data-dir",
                tmp.resolve("data").toString(),
                "quire.crawler.allow-hosts",
                List.of("127.0.0.1"),
                "quire.crawler.politeness-delay",
                "0ms",
                "quire.crawler.jobs.progress-every",
                3));
    return QuireNode.start(config, List.of("content", "crawler"), System.out, null);
  }

  static <T> T ask(QuireNode node, Function<ActorRef<T>, CrawlJobCommand> make) throws Exception {
    return ClusterSharding.get(node.system())
        .entityRefFor(CrawlJobCommand.ENTITY_KEY, CrawlJobCommand.SITE)
        .<T>ask(make::apply, Duration.ofSeconds(20))
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }

  static CrawlJobCommand.Job job(QuireNode node, String id) throws Exception {
    return ask(node, r -> new CrawlJobCommand.Get(id, r));
  }

  static CrawlJobCommand.Job until(
      QuireNode node,
      String id,
      java.util.function.Predicate<CrawlJobCommand.Job> p,
      Duration within)
      throws Exception {
    long end = System.nanoTime() + within.toNanos();
    CrawlJobCommand.Job j = job(node, id);
    while (!p.test(j)) {
      assertThat(System.nanoTime()).as("waiting for job %s, last seen %s", id, j).isLessThan(end);
      Thread.sleep(100);
      j = job(node, id);
    }
    return j;
  }

  @Test
  void aRunningJobRunsAgainAfterItsNodeRestartsAndCanBeCancelled() throws Exception {
    String url = "http://127.0.0.1:" + chain.getAddress().getPort() + "/p/0";
    String id;
    try (QuireNode node = start()) {
      CrawlJobCommand.Job queued =
          ask(node, r -> new CrawlJobCommand.Start(url, 100, false, "test", r));
      id = queued.id();
      assertThat(queued.state()).isIn("queued", "running");
      CrawlJobCommand.Job midway = until(node, id, j -> j.pages() >= 6, Duration.ofSeconds(30));
      assertThat(midway.state()).isEqualTo("running");
      assertThat(midway.pages()).isLessThan(CHAIN);
    }
    int hitsWhenStopped = hits.get();
    try (QuireNode node = start()) {
      CrawlJobCommand.Job done = until(node, id, j -> j.endedAt() != null, Duration.ofSeconds(60));
      assertThat(done.state()).isEqualTo("finished");
      assertThat(done.pages()).isEqualTo(CHAIN);
      assertThat(done.report()).contains("\"pages\" : " + CHAIN);
      assertThat(hits.get())
          .as("the crawl ran again after the restart")
          .isGreaterThan(hitsWhenStopped);

      CrawlJobCommand.Job second =
          ask(node, r -> new CrawlJobCommand.Start(url, 100, false, "test", r));
      until(node, second.id(), j -> j.pages() >= 3, Duration.ofSeconds(30));
      CrawlJobCommand.Job cancelling =
          ask(node, r -> new CrawlJobCommand.Cancel(second.id(), "test", r));
      assertThat(cancelling.id()).isEqualTo(second.id());
      CrawlJobCommand.Job cancelled =
          until(node, second.id(), j -> j.endedAt() != null, Duration.ofSeconds(30));
      assertThat(cancelled.state()).isEqualTo("cancelled");
      assertThat(cancelled.pages()).isLessThan(CHAIN);
      assertThat(cancelled.report()).isNull();
      CrawlJobCommand.Jobs all = ask(node, CrawlJobCommand.ListJobs::new);
      assertThat(all.items()).extracting(CrawlJobCommand.Job::id).containsExactly(id, second.id());
    }
  }
}
