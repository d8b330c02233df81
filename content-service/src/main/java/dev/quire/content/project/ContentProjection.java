package dev.quire.content.project;

import dev.quire.content.Content;
import dev.quire.protocol.ContentTopic;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * Runs the read-model projection over the {@link Content#TAG} events: exactly one instance in the
 * cluster (a sharded daemon process on the content role), so read-model seq order is commit order.
 */
public final class ContentProjection {

  public static final String NAME = "content-read-model";

  /** Where Pekko keeps this daemon process's keep-alive pinger (its internal naming). */
  public static final String KEEP_ALIVE_PATH = "/system/ShardedDaemonProcessKeepAlive-" + NAME;

  private ContentProjection() {}

  public static void init(
      ActorSystem<?> system,
      DataSource dataSource,
      ReadModel readModel,
      ActorRef<Topic.Command<ContentTopic>> topic,
      int batchSize,
      Duration batchWindow) {
    SourceProvider<Offset, EventEnvelope<Content.Event>> source =
        EventSourcedProvider.eventsByTag(system, JdbcReadJournal.Identifier(), Content.TAG);
    ShardedDaemonProcess.get(system)
        .init(
            ProjectionBehavior.Command.class,
            NAME,
            1,
            i ->
                ProjectionBehavior.create(
                    JdbcProjection.groupedWithin(
                            ProjectionId.of(NAME, Content.TAG),
                            source,
                            () -> new TransactionalSession(dataSource),
                            () ->
                                new ContentProjectionHandler(
                                    readModel,
                                    seq -> topic.tell(Topic.publish(new ContentTopic(seq)))),
                            system)
                        .withGroup(batchSize, batchWindow)),
            ShardedDaemonProcessSettings.create(system).withRole("content"),
            Optional.of(ProjectionBehavior.stopMessage()));
    stopKeepAliveBeforeHandOff(system);
  }

  /**
   * The daemon process's keep-alive pinger (one per node, every second here, see cluster.conf) goes
   * on pinging the region while the node shuts down. Once the projection's shard is handed off,
   * each ping waits in the region's buffer, and the region's graceful shutdown waits for that
   * buffer to empty: it never does, so a stop that a ping happened to land in (2 of 15 one-file
   * {@code quire import}s measured) took the phase's whole 10 s timeout. The pinger is stopped
   * before the cluster shutdown phases; other nodes' pingers keep the projection alive. The
   * pinger's name is Pekko's (internal): EndToEndTest checks that it is found there.
   */
  private static void stopKeepAliveBeforeHandOff(ActorSystem<?> system) {
    var classic = system.classicSystem();
    CoordinatedShutdown.get(classic)
        .addTask(
            CoordinatedShutdown.PhaseBeforeClusterShutdown(),
            "stop-" + NAME + "-keep-alive",
            () ->
                classic
                    .actorSelection(KEEP_ALIVE_PATH)
                    .resolveOne(KEEP_ALIVE_LOOKUP)
                    .handle(
                        (ref, notFound) -> {
                          if (ref != null) {
                            classic.stop(ref);
                          }
                          return Done.getInstance();
                        }));
  }

  private static final Duration KEEP_ALIVE_LOOKUP = Duration.ofSeconds(1);
}
