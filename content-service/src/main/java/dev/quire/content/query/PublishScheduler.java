package dev.quire.content.query;

import dev.quire.content.project.ReadModel;
import dev.quire.protocol.ContentCommand;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * Publishes scheduled content when its time comes, without anyone touching it. One per cluster (a
 * singleton on the content role); it reads due items from the read model every tick, so schedules
 * survive restarts with nothing to restore: the journal and read model are the memory.
 */
public final class PublishScheduler {

  private PublishScheduler() {}

  sealed interface Msg {}

  private record Tick() implements Msg {}

  private record Due(List<String> ids) implements Msg {}

  public static void init(
      ActorSystem<?> system,
      DataSource dataSource,
      ReadModel readModel,
      Executor jdbc,
      Duration interval,
      int batch,
      Duration readTimeout) {
    Behavior<Msg> behavior =
        Behaviors.supervise(
                create(
                    dataSource, readModel, jdbc, interval, batch, readTimeout, Clock.systemUTC()))
            .onFailure(SupervisorStrategy.restart());
    ClusterSingleton.get(system)
        .init(
            SingletonActor.of(behavior, "publish-scheduler")
                .withSettings(ClusterSingletonSettings.create(system).withRole("content")));
  }

  static Behavior<Msg> create(
      DataSource dataSource,
      ReadModel readModel,
      Executor jdbc,
      Duration interval,
      int batch,
      Duration readTimeout,
      Clock clock) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(new Tick(), interval);
                  ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
                  // One read at a time: while the database hangs, each read waits for a
                  // connection (10 s), and a read a tick piled up on the JDBC dispatcher in
                  // front of the gateways' queries, for as long as it lasted.
                  boolean[] reading = {false};
                  return Behaviors.receive(Msg.class)
                      .onMessage(
                          Tick.class,
                          t -> {
                            if (reading[0]) {
                              return Behaviors.same();
                            }
                            reading[0] = true;
                            ctx.pipeToSelf(
                                CompletableFuture.supplyAsync(
                                        () -> {
                                          try (Connection c = dataSource.getConnection()) {
                                            return readModel.dueForPublishing(
                                                c, clock.instant(), batch, readTimeout);
                                          } catch (Exception e) {
                                            throw new IllegalStateException(e);
                                          }
                                        },
                                        jdbc)
                                    .orTimeout(readTimeout.toMillis(), TimeUnit.MILLISECONDS),
                                (ids, failure) -> {
                                  if (failure != null) {
                                    ctx.getLog()
                                        .warn("cannot read due schedules: {}", failure.toString());
                                    return new Due(List.of());
                                  }
                                  return new Due(ids);
                                });
                            return Behaviors.same();
                          })
                      .onMessage(
                          Due.class,
                          d -> {
                            reading[0] = false;
                            for (String id : d.ids()) {
                              ctx.getLog().info("publishing scheduled content {}", id);
                              sharding
                                  .entityRefFor(ContentCommand.ENTITY_KEY, id)
                                  .tell(new ContentCommand.PublishDue(ctx.getSystem().ignoreRef()));
                            }
                            return Behaviors.same();
                          })
                      .build();
                }));
  }
}
