package dev.quire.cli;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Metrics;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * {@code quire_sharding_shards} and {@code quire_sharding_entities} by entity type: the shards and
 * live entities this node hosts, read from its shard regions every {@code interval}. On a content
 * node they show where the site's items live, and after a failover that a survivor took them over.
 */
final class ShardingGauges {

  private ShardingGauges() {}

  private record Counts(EntityTypeKey<?> key, AtomicLong shards, AtomicLong entities) {}

  private record Tick() {}

  /** One poller per entity type: the region's answer does not name its type. */
  static void start(ActorSystem<?> system, List<EntityTypeKey<?>> keys, Duration interval) {
    for (EntityTypeKey<?> key : keys) {
      Counts c = new Counts(key, gauge("shards", key), gauge("entities", key));
      system.systemActorOf(poller(c, interval), "sharding-gauges-" + key.name(), Props.empty());
    }
  }

  private static AtomicLong gauge(String what, EntityTypeKey<?> key) {
    AtomicLong value = new AtomicLong();
    Gauge.builder("quire.sharding." + what, value, AtomicLong::get)
        .description("Sharded " + what + " hosted by this node")
        .tag("type", key.name())
        .register(Metrics.globalRegistry);
    return value;
  }

  private static Behavior<Object> poller(Counts counts, Duration interval) {
    return Behaviors.setup(
        ctx -> {
          var sharding = ClusterSharding.get(ctx.getSystem());
          var replies = ctx.getSelf().<ShardRegion.CurrentShardRegionState>narrow();
          return Behaviors.withTimers(
              timers -> {
                timers.startTimerWithFixedDelay(new Tick(), Duration.ZERO, interval);
                return Behaviors.receive(Object.class)
                    .onMessage(
                        Tick.class,
                        t -> {
                          sharding
                              .shardState()
                              .tell(new GetShardRegionState(counts.key(), replies));
                          return Behaviors.same();
                        })
                    .onMessage(
                        ShardRegion.CurrentShardRegionState.class,
                        s -> {
                          counts.shards().set(s.getShards().size());
                          counts
                              .entities()
                              .set(
                                  s.getShards().stream()
                                      .mapToLong(shard -> shard.getEntityIds().size())
                                      .sum());
                          return Behaviors.same();
                        })
                    .build();
              });
        });
  }
}
