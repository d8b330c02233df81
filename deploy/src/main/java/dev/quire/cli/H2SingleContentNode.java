package dev.quire.cli;

import java.time.Duration;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The embedded H2 database is one node's file: two content nodes on it each journal to their own
 * file, an entity moved from one to the other by sharding seems not to exist, and gateways read two
 * read models with unrelated orderings. A content node on H2 that joins a cluster (seed nodes or
 * Bootstrap) is therefore refused when the cluster has a content node already, and one that raced
 * another into the cluster stops if it is the younger. A cluster runs its content nodes on
 * PostgreSQL ({@code QUIRE_DB_URL}).
 */
final class H2SingleContentNode {

  private H2SingleContentNode() {}

  /** Why a node stopped itself: a refusal (exit 2), which a supervisor should not restart. */
  static final CoordinatedShutdown.Reason REFUSED = new CoordinatedShutdown.Reason() {};

  /** Why this node may not run content here; names what to set. */
  static String problem(String other) {
    return "this content node uses the embedded H2 database (its own file), and the cluster has"
        + " another content node ("
        + other
        + "): a cluster's content nodes share one PostgreSQL database. Set QUIRE_DB_URL (and"
        + " QUIRE_DB_DRIVER, QUIRE_DB_SLICK_PROFILE, QUIRE_DB_PROJECTION_DIALECT) on every"
        + " content node, or run one content node.";
  }

  /**
   * Waits until this node is up in the cluster, then refuses (IllegalArgumentException) when
   * another member has the content role; afterwards watches for one that raced it in.
   */
  static void check(ActorSystem<?> system, Duration timeout) throws InterruptedException {
    Cluster cluster = Cluster.get(system);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (cluster.selfMember().status() != MemberStatus.up()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("this node did not join the cluster within " + timeout);
      }
      Thread.sleep(20);
    }
    // Only an older content node counts: a younger one still joining refuses itself.
    for (Member m : cluster.state().getMembers()) {
      if (!m.equals(cluster.selfMember())
          && m.hasRole("content")
          && m.status() == MemberStatus.up()
          && m.isOlderThan(cluster.selfMember())) {
        throw new IllegalArgumentException(problem(m.address().toString()));
      }
    }
    system.systemActorOf(
        watch(), "h2-single-content-node", org.apache.pekko.actor.typed.Props.empty());
  }

  private static Behavior<ClusterEvent.MemberUp> watch() {
    return Behaviors.setup(
        ctx -> {
          Cluster cluster = Cluster.get(ctx.getSystem());
          cluster
              .subscriptions()
              .tell(Subscribe.create(ctx.getSelf(), ClusterEvent.MemberUp.class));
          return Behaviors.receiveMessage(
              up -> {
                Member m = up.member();
                Member self = cluster.selfMember();
                if (!m.equals(self) && m.hasRole("content") && m.isOlderThan(self)) {
                  ctx.getLog().error(problem(m.address().toString()) + " This node stops.");
                  CoordinatedShutdown.get(ctx.getSystem().classicSystem()).run(REFUSED);
                }
                return Behaviors.same();
              });
        });
  }
}
