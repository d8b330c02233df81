package dev.quire.gateway.backup;

import dev.quire.protocol.QuireSerializable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The site's one import at a time, for the whole cluster: one sharded entity on the gateway nodes
 * holds which import may write. Two imports planned at once on two gateways would each check the
 * site as it was and then race each other's writes (the same new items, slugs, redirect tables);
 * each gateway already runs one at a time, and this makes it one for the site. An import takes the
 * slot before it plans and gives it back when it ends; while it works it keeps it ({@link Keep},
 * sent with its progress), and a holder that has not kept it for {@code hold} (its gateway stopped)
 * loses it. Kept in memory: should the node holding the entity leave the cluster mid-import, the
 * slot starts empty on another, and an import started then on another gateway is not held back.
 */
public final class ImportLease {

  public static final EntityTypeKey<Command> KEY =
      EntityTypeKey.create(Command.class, "ImportLease");

  /** The one entity: the site's slot. */
  public static final String SITE = "site";

  private ImportLease() {}

  public sealed interface Command extends QuireSerializable {}

  /**
   * Takes the slot for {@code importId}, run on {@code gateway}, unless another import holds it.
   */
  public record Take(String importId, String gateway, ActorRef<Taken> replyTo) implements Command {}

  /** {@code importId} is still at work: its hold lasts {@code hold} from now. */
  public record Keep(String importId) implements Command {}

  /** {@code importId} has ended: the slot is free. */
  public record Give(String importId) implements Command {}

  /** {@code holder}: null when the slot is the asker's now; else the import that holds it. */
  public record Taken(Holder holder) implements QuireSerializable {}

  /** The import holding the slot, on which gateway, since when, and until when at the latest. */
  public record Holder(String importId, String gateway, Instant since, Instant until)
      implements QuireSerializable {

    Holder until(Instant next) {
      return new Holder(importId, gateway, since, next);
    }
  }

  public static Behavior<Command> create(Duration hold, Clock clock) {
    return slot(hold, clock, null);
  }

  private static Behavior<Command> slot(Duration hold, Clock clock, Holder holder) {
    return Behaviors.receive(Command.class)
        .onMessage(
            Take.class,
            t -> {
              Instant now = clock.instant();
              Holder held = holder != null && holder.until().isAfter(now) ? holder : null;
              if (held != null && !held.importId().equals(t.importId())) {
                t.replyTo().tell(new Taken(held));
                return slot(hold, clock, held);
              }
              Instant since = held == null ? now : held.since();
              t.replyTo().tell(new Taken(null));
              return slot(
                  hold, clock, new Holder(t.importId(), t.gateway(), since, now.plus(hold)));
            })
        .onMessage(
            Keep.class,
            k ->
                holder != null && holder.importId().equals(k.importId())
                    ? slot(hold, clock, holder.until(clock.instant().plus(hold)))
                    : Behaviors.same())
        .onMessage(
            Give.class,
            g ->
                holder != null && holder.importId().equals(g.importId())
                    ? slot(hold, clock, null)
                    : Behaviors.same())
        .build();
  }

  /**
   * Starts the entity's region on this gateway node. Never passivated: it is one small entity, and
   * passivating it would forget a holder that is between two progress reports.
   */
  public static void init(ActorSystem<?> system, Duration hold) {
    ClusterShardingSettings sharding = ClusterShardingSettings.create(system);
    ClusterSharding.get(system)
        .init(
            Entity.of(KEY, ctx -> create(hold, Clock.systemUTC()))
                .withSettings(sharding.withNoPassivationStrategy())
                .withRole("gateway"));
  }

  /** The site's slot through the sharded entity, for imports run on {@code system}'s node. */
  public static Imports.Lease sharded(ActorSystem<?> system, Duration timeout) {
    String gateway =
        org.apache.pekko.cluster.typed.Cluster.get(system).selfMember().address().hostPort();
    return lease(system, ClusterSharding.get(system).entityRefFor(KEY, SITE), gateway, timeout);
  }

  /** The site's slot held by {@code slot} (the sharded entity, or a plain actor in tests). */
  public static Imports.Lease lease(
      ActorSystem<?> system, RecipientRef<Command> slot, String gateway, Duration timeout) {
    return new Imports.Lease() {
      @Override
      public Optional<Holder> take(String importId) throws Exception {
        Taken taken =
            AskPattern.<Command, Taken>ask(
                    slot, r -> new Take(importId, gateway, r), timeout, system.scheduler())
                .toCompletableFuture()
                .get();
        return Optional.ofNullable(taken.holder());
      }

      @Override
      public void keep(String importId) {
        slot.tell(new Keep(importId));
      }

      @Override
      public void give(String importId) {
        slot.tell(new Give(importId));
      }
    };
  }
}
