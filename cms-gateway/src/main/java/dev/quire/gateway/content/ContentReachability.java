package dev.quire.gateway.content;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Whether a node of the content role is unreachable right now, and so how long the gateway waits
 * for an answer from content.
 *
 * <p>Between a content node's crash and its removal from the cluster (failure detection, the
 * resolver's stable-after and the leader's removal: about 6 s), sharding still routes its entities'
 * messages to it, and they are lost. An ask then waits out its whole timeout before the client is
 * told to retry, and the retry can be lost the same way: with the normal timeout the client sees
 * the failover in steps of that timeout. While a content node is unreachable the gateway waits only
 * the shorter failover timeout, and says so in {@code Retry-After}; once the node is removed,
 * sharding buffers messages for its entities until they start on a survivor, and the normal timeout
 * applies again. In one JVM nothing is ever unreachable.
 *
 * <p>An ask sent just before the crash was noticed still runs with the normal timeout, and by the
 * time it ends the node may already be removed: for two normal timeouts after a content node became
 * unreachable or left, a 503 still says {@code Retry-After} of the failover timeout, since what
 * timed out was most likely lost to the node that went away, or waited for its entities to start
 * elsewhere (a failover test met 11-12 s to the first moved write when such a 503 said 5 s, 8 s
 * when it said 1).
 */
public final class ContentReachability {

  private final Set<Address> unreachable = ConcurrentHashMap.newKeySet();
  private volatile long
      lastLoss; // nanoTime a content node last became unreachable or left; 0: never
  private final Duration normal;
  private final Duration failover;

  public ContentReachability(
      ActorSystem<?> system, String role, Duration normal, Duration failover) {
    this.normal = normal;
    this.failover = failover;
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
                      unreachable.add(u.member().address());
                      lastLoss = System.nanoTime();
                    } else if (event instanceof ClusterEvent.ReachableMember r) {
                      unreachable.remove(r.member().address());
                    } else if (event instanceof ClusterEvent.MemberRemoved m) {
                      unreachable.remove(m.member().address());
                      if (m.member().hasRole(role)) {
                        lastLoss = System.nanoTime();
                      }
                    }
                    return Behaviors.same();
                  });
            }),
        "content-reachability",
        Props.empty());
  }

  /** True while a content node is unreachable and not yet removed. */
  public boolean degraded() {
    return !unreachable.isEmpty();
  }

  /** How long to wait for content now: the failover timeout while degraded. */
  public Duration askTimeout() {
    return degraded() ? failover : normal;
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
    boolean recentLoss = loss != 0 && System.nanoTime() - loss < 2 * normal.toNanos();
    return degraded() || recentLoss
        ? Math.max(1, (failover.toMillis() + 999) / 1000)
        : normalSeconds;
  }
}
