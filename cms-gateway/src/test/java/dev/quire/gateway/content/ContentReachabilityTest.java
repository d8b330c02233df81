package dev.quire.gateway.content;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.Address;
import org.junit.jupiter.api.Test;

/** The gateway's timeouts through a content node's crash, on a clock the test moves. */
class ContentReachabilityTest {

  static final Duration NORMAL = Duration.ofSeconds(5);
  static final Duration FAILOVER = Duration.ofSeconds(1);
  static final Duration AFTER_REMOVAL = Duration.ofSeconds(3);

  final AtomicLong now = new AtomicLong(1_000_000_000L);
  final ContentReachability reachability =
      new ContentReachability(
          new ContentReachability.Timeouts(NORMAL, FAILOVER, AFTER_REMOVAL), now::get);
  final Address content = new Address("pekko", "quire", "127.0.0.1", 25521);

  void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  @Test
  void failoverTimeoutHoldsFromUnreachableUntilShortlyAfterTheRemoval() {
    assertThat(reachability.askTimeout()).isEqualTo(NORMAL);
    assertThat(reachability.retryAfterSeconds(5)).isEqualTo(5);

    reachability.unreachable(content);
    assertThat(reachability.askTimeout()).isEqualTo(FAILOVER);
    assertThat(reachability.retryAfterSeconds(5)).isEqualTo(1);

    advance(Duration.ofSeconds(4));
    reachability.removed(content, true, true);
    // The coordinator may still send the removed node's shards there, then waits its margin.
    assertThat(reachability.askTimeout()).isEqualTo(FAILOVER);
    advance(AFTER_REMOVAL.minusMillis(1));
    assertThat(reachability.askTimeout()).isEqualTo(FAILOVER);
    advance(Duration.ofMillis(1));
    assertThat(reachability.askTimeout()).isEqualTo(NORMAL);
    // A 503 still says the short Retry-After for two normal timeouts after the removal.
    assertThat(reachability.retryAfterSeconds(5)).isEqualTo(1);
    advance(NORMAL.multipliedBy(2));
    assertThat(reachability.retryAfterSeconds(5)).isEqualTo(5);
  }

  @Test
  void aNodeThatComesBackOrIsNotContentChangesNothing() {
    reachability.unreachable(content);
    reachability.reachable(content);
    assertThat(reachability.askTimeout()).isEqualTo(NORMAL);

    Address gateway = new Address("pekko", "quire", "127.0.0.1", 25522);
    reachability.removed(gateway, false, true);
    assertThat(reachability.askTimeout()).isEqualTo(NORMAL);
  }

  @Test
  void aNodeThatLeftGracefullyKeepsTheNormalTimeout() {
    // A rolling restart: the node hands its shards over, leaves and is removed; never unreachable.
    reachability.removed(content, true, false);
    assertThat(reachability.askTimeout()).isEqualTo(NORMAL);
  }

  @Test
  void zeroAfterRemovalEndsTheFailoverTimeoutAtTheRemoval() {
    ContentReachability atOnce =
        new ContentReachability(
            new ContentReachability.Timeouts(NORMAL, FAILOVER, Duration.ZERO), now::get);
    atOnce.unreachable(content);
    atOnce.removed(content, true, true);
    assertThat(atOnce.askTimeout()).isEqualTo(NORMAL);
  }
}
