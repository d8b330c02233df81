package dev.quire.content.project;

import com.typesafe.config.Config;
import dev.quire.content.Content;
import dev.quire.protocol.ContentTopic;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
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

  /**
   * The journal ordering of the last content event the read model has taken in: the projection's
   * stored offset, read from Pekko Projection's offset table (named by {@code
   * pekko.projection.jdbc.offset-store}, lower case as it creates it); empty before its first batch
   * (the content role creates the table at its start). Blocking (JDBC). Read directly rather than
   * through {@code ProjectionManagement}, which asks the running projection over a pub-sub topic
   * and took ~1.3 s on a node that had just started.
   */
  public static OptionalLong storedOffset(DataSource dataSource, Config config)
      throws SQLException {
    String table = offsetTable(config);
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT \"current_offset\", \"manifest\" FROM "
                    + table
                    + " WHERE \"projection_name\" = ? AND \"projection_key\" = ?")) {
      ps.setString(1, NAME);
      ps.setString(2, Content.TAG);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return OptionalLong.empty();
        }
        if (!"SEQ".equals(rs.getString(2))) {
          throw new SQLException(
              "the read model's stored offset is a '" + rs.getString(2) + "', not a sequence");
        }
        return OptionalLong.of(Long.parseLong(rs.getString(1)));
      }
    }
  }

  /** The offset table's name as SQL takes it (quoted, with its schema when one is set). */
  public static String offsetTable(Config config) {
    Config store = config.getConfig("pekko.projection.jdbc.offset-store");
    String schema = store.getString("schema");
    return (schema.isEmpty() ? "" : quoted(schema) + ".") + quoted(store.getString("table"));
  }

  private static String quoted(String name) {
    return "\"" + name.toLowerCase(java.util.Locale.ROOT).replace("\"", "\"\"") + "\"";
  }
}
