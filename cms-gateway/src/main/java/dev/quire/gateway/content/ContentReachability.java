package dev.quire.gateway.content;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Whether content is failing over right now, and so how long the gateway waits for an answer from
 * content.
 *
 * <p>Between a content node's crash and its removal from the cluster (failure detection, the
 * resolver's stable-after and the leader's removal: about 6 s), sharding still routes its entities'
 * messages to it, and they are lost. An ask then waits out its whole timeout before the client is
 * told to retry, and the retry can be lost the same way: with the normal timeout the client sees
 * the failover in steps of that timeout. While a content node is unreachable the gateway waits only
 * the shorter failover timeout, and says so in {@code Retry-After}. In one JVM nothing is ever
 * unreachable.
 *
 * <p>The removal of a downed node does not end it at once. This gateway may see the removal a
 * gossip round before the node that runs the shard coordinator, which meanwhile still names the
 * removed node as the home of its shards, so messages sent there are lost too; and the coordinator
 * then waits the down-removal margin before it places those shards on a survivor. So the failover
 * timeout holds for {@code afterRemoval} more (a failover test, killing the node that did not run
 * the coordinator, saw asks lost this way wait the normal 5 s and the first moved write come 12 s
 * after the kill; the shards had been placed on the survivor 3.4 s before that write).
 *
 * <p>An ask sent just before the crash was noticed still runs with the normal timeout, and by the
 * time it ends the node may already be removed: for two normal timeouts after a content node became
 * unreachable or left, a 503 still says {@code Retry-After} of the failover timeout, since what
 * timed out was most likely lost to the node that went away, or waited for its entities to start
 * elsewhere (a failover test met 11-12 s to the first moved write when such a 503 said 5 s, 8 s
 * when it said 1).
 */
public final class ContentReachability {

  /** How long to wait for content, normally and while it fails over. */
  public record Timeouts(Duration normal, Duration failover, Duration afterRemoval) {}

  private final Set<Address> unreachable = ConcurrentHashMap.newKeySet();
  // nanoTime a content node last became unreachable or left; 0: never
  private volatile long lastLoss;
  // nanoTime a content node was last removed; 0: never
  private volatile long lastRemoval;
  private final Timeouts timeouts;
  private final LongSupplier nanoTime;

  /** Follows the cluster's reachability and membership events for members of {@code role}. */
  public ContentReachability(ActorSystem<?> system, String role, Timeouts timeouts) {
    this(timeouts, System::nanoTime);
    system.systemActorOf(
        Behaviors.<ClusterEvent.ClusterDomainEvent>setup(
            ctx -> {
              ActorRef<ClusterEvent.ReachabilityEvent> reachability =
                  ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class, e -> e);
              ActorRef<ClusterEvent.MemberRemoved> removed =
                  ctx.messageAdapter(ClusterEvent.MemberRemoved.class, e -> e);
              var subscriptions = Cluster.get(ctx.getSystem()).subscriptions();
              subscriptions.tell(
                  Subscribe.create(reachability, ClusterEvent.ReachabilityEvent.class));
              subscriptions.tell(Subscribe.create(removed, ClusterEvent.MemberRemoved.class));
              return Behaviors.receiveMessage(
                  event -> {
                    if (event instanceof ClusterEvent.UnreachableMember u
                        && u.member().hasRole(role)) {
                      unreachable(u.member().address());
                    } else if (event instanceof ClusterEvent.ReachableMember r) {
                      reachable(r.member().address());
                    } else if (event instanceof ClusterEvent.MemberRemoved m) {
                      removed(
                          m.member().address(),
                          m.member().hasRole(role),
                          m.previousStatus() == MemberStatus.down());
                    }
                    return Behaviors.same();
                  });
            }),
        "content-reachability",
        Props.empty());
  }

  /** Without the cluster: the events come through the methods below (tests). */
  ContentReachability(Timeouts timeouts, LongSupplier nanoTime) {
    this.timeouts = timeouts;
    this.nanoTime = nanoTime;
  }

  void unreachable(Address node) {
    unreachable.add(node);
    lastLoss = nanoTime.getAsLong();
  }

  void reachable(Address node) {
    unreachable.remove(node);
  }

  /**
   * {@code downed}: removed after being downed (a crash, a partition), not after leaving. A node
   * that leaves hands its shards over before it is removed, so nothing sent to it is lost and the
   * normal timeout stays: a short one would only turn slow answers from entities recovering on the
   * survivors into 503s during a rolling restart.
   */
  void removed(Address node, boolean content, boolean downed) {
    unreachable.remove(node);
    if (content) {
      long now = nanoTime.getAsLong();
      lastLoss = now;
      if (downed) {
        lastRemoval = now;
      }
    }
  }

  /**
   * True while a content node is unreachable and not yet removed, and for {@code afterRemoval}
   * after a removal.
   */
  public boolean degraded() {
    if (!unreachable.isEmpty()) {
      return true;
    }
    long removal = lastRemoval;
    return removal != 0 && nanoTime.getAsLong() - removal < timeouts.afterRemoval().toNanos();
  }

  /** How long to wait for content now: the failover timeout while degraded. */
  public Duration askTimeout() {
    return degraded() ? timeouts.failover() : timeouts.normal();
  }

  /**
   * What {@code Retry-After} tells a client that got a 503 now, in whole seconds (at least 1): the
   * failover timeout while degraded or within two normal timeouts of a content node going away.
   * Two: an ask sent up to one timeout after the node's removal waits for its entities to start on
   * a survivor, and ends up to one timeout later (a fresh-clone CI run on a slow machine, where the
   * first moved write came 12 s after the kill, had two such 503s say 5 s with a window of one).
   */
  public long retryAfterSeconds(long normalSeconds) {
    long loss = lastLoss;
    boolean recentLoss = loss != 0 && nanoTime.getAsLong() - loss < 2 * timeouts.normal().toNanos();
    return degraded() || recentLoss
        ? Math.max(1, (timeouts.failover().toMillis() + 999) / 1000)
        : normalSeconds;
  }
}
