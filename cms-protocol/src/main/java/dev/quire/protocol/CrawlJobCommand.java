package dev.quire.protocol;

import java.time.Instant;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The site's crawl jobs (site audit and citation checks), owned by one sharded entity ({@link
 * #SITE}) on a node with the {@code crawler} role. Jobs run one at a time in the order started;
 * every change is journaled, so a job survives its node's restart.
 */
public interface CrawlJobCommand extends QuireSerializable {

  EntityTypeKey<CrawlJobCommand> ENTITY_KEY =
      EntityTypeKey.create(CrawlJobCommand.class, "CrawlJobs");

  String SITE = "site";

  /** Queues a crawl of {@code url}. Answers with the job, or with {@code error} set. */
  record Start(
      String url, int maxPages, boolean verifyCitations, String actor, ActorRef<Job> replyTo)
      implements CrawlJobCommand {}

  record Get(String id, ActorRef<Job> replyTo) implements CrawlJobCommand {}

  record ListJobs(ActorRef<Jobs> replyTo) implements CrawlJobCommand {}

  record Cancel(String id, String actor, ActorRef<Job> replyTo) implements CrawlJobCommand {}

  /** Sent when a crawler node starts: a job that was running when its node stopped runs again. */
  record Wake() implements CrawlJobCommand {}

  /**
   * A job. {@code state}: queued, running, finished, cancelled, failed (or {@code error} set when
   * the command was refused: not_found, invalid). {@code report} is the report's JSON once finished
   * (shape in crawler-service/README.md), else null.
   */
  record Job(
      String id,
      String state,
      String url,
      int maxPages,
      boolean verifyCitations,
      String actor,
      Instant queuedAt,
      Instant startedAt,
      Instant endedAt,
      int pages,
      int checks,
      Map<String, Long> counts,
      String message,
      String report,
      String error)
      implements QuireSerializable {}

  record Jobs(java.util.List<Job> items) implements QuireSerializable {
    public Jobs {
      items = items == null ? java.util.List.of() : java.util.List.copyOf(items);
    }
  }
}
