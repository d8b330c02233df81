package dev.quire.content.project;

import dev.quire.content.Content;
import dev.quire.protocol.ContentTopic;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;
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
  }
}
