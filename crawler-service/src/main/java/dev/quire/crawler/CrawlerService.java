package dev.quire.crawler;

import com.typesafe.config.Config;
import dev.quire.protocol.CrawlJobCommand;
import dev.quire.protocol.EmbeddingQuery;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;

/**
 * The crawler role on a node: the sharded {@link CrawlJobs} entity, run with the settings of {@code
 * quire.crawler}, citation checks asked of the embedding service over the cluster. In service mode
 * only the site's base URL host and {@code quire.crawler.allow-hosts} may resolve to private
 * addresses: a start URL given through the API opens nothing by itself.
 */
public final class CrawlerService {

  private CrawlerService() {}

  public static void init(ActorSystem<?> system) {
    Config config = system.settings().config();
    CrawlConfig cc = CrawlConfig.from(config);
    // The site may be on a private address: its origin (scheme, host, port) is allowed, not its
    // host on every port. A job's start URL gets no allowance of its own: an admin's or the API's
    // start elsewhere is held to the guard like every link.
    Set<String> site = Set.of(config.getString("quire.site.base-url"));
    Duration similarityTimeout = config.getDuration("quire.crawler.jobs.similarity-timeout");
    long maxReportBytes = config.getBytes("quire.crawler.jobs.max-report-bytes");
    CrawlJobs.Runner runner =
        (job, progress, started) -> {
          CrawlConfig c = cc.withMaxPages(job.maxPages());
          Fetcher fetcher = new Fetcher(c, new AddressGuard(c.allowHosts(), site));
          try {
            Crawler crawler = new Crawler(c, fetcher);
            started.accept(crawler);
            Crawler.Result result = crawler.crawl(job.url(), progress);
            List<Finding> findings = new Audit(c).findings(result);
            List<Report.Citation> citations = List.of();
            if (job.verifyCitations() && !result.cancelled()) {
              citations =
                  new CitationChecker(
                          c,
                          fetcher,
                          (claim, passages) -> score(system, claim, passages, similarityTimeout))
                      .check(result, (d, t) -> {}, crawler::isCancelled);
            }
            return Report.of(result, findings, citations).limitTo(maxReportBytes);
          } finally {
            fetcher.close();
          }
        };
    Runnable start =
        () -> {
          CrawlJobs.init(system, CrawlJobs.Settings.fromConfig(config), runner);
          // A job that was running when this node (or the entity's last node) stopped runs again.
          ClusterSharding.get(system)
              .entityRefFor(CrawlJobCommand.ENTITY_KEY, CrawlJobCommand.SITE)
              .tell(new CrawlJobCommand.Wake());
        };
    if (Cluster.get(system).selfMember().hasRole("content")) {
      start.run(); // the content role has created the journal's schema already
    } else {
      // A crawler-only node journals its jobs too: the schema first (idempotent, race-free).
      SchemaUtils.createIfNotExists(system)
          .whenComplete(
              (done, e) -> {
                if (e != null) {
                  system.log().error("crawler: the journal schema could not be created", e);
                } else {
                  start.run();
                }
              });
    }
  }

  /** Blocking (the crawl's own thread): the embedding service's cosine scores. */
  static double[] score(
      ActorSystem<?> system, String claim, List<String> passages, Duration timeout)
      throws Exception {
    Receptionist.Listing listing =
        AskPattern.<Receptionist.Command, Receptionist.Listing>ask(
                system.receptionist(),
                r -> Receptionist.find(EmbeddingQuery.SERVICE_KEY, r),
                timeout,
                system.scheduler())
            .toCompletableFuture()
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    var services = listing.getServiceInstances(EmbeddingQuery.SERVICE_KEY);
    if (services.isEmpty()) {
      throw new IllegalStateException(
          "the embedding service is not running: citations cannot be checked");
    }
    ActorRef<EmbeddingQuery> service = services.iterator().next();
    List<String> bounded =
        passages.size() > EmbeddingQuery.MAX_SCORED
            ? passages.subList(0, EmbeddingQuery.MAX_SCORED)
            : passages;
    EmbeddingQuery.Scores scores =
        AskPattern.<EmbeddingQuery, EmbeddingQuery.Scores>ask(
                service,
                r -> new EmbeddingQuery.Score(claim, bounded, r),
                timeout,
                system.scheduler())
            .toCompletableFuture()
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (scores.error() != null) {
      throw new IllegalStateException("the embedding service: " + scores.error());
    }
    double[] out = new double[passages.size()];
    for (int i = 0; i < scores.scores().size(); i++) {
      out[i] = scores.scores().get(i);
    }
    return out;
  }
}
