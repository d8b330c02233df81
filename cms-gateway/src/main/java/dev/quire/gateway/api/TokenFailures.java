package dev.quire.gateway.api;

import dev.quire.gateway.admin.LoginGuard;
import dev.quire.gateway.http.ClientAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failed API tokens per client address, for the whole cluster: each failure (an {@code
 * Authorization} header that is neither the site's token nor a user's valid one) is counted by the
 * address's {@link LoginGuard} entity ({@code quire.gateway.api.token-failures}). Once the guard
 * answers that the address is over its limit, this gateway node remembers until when, and answers
 * that address's tokens 429 from memory, the site's excepted: a user's token costs an ask to the
 * one user-directory entity, which an address sending made-up tokens must not be able to keep busy.
 * Each other gateway learns it at its own next failure from that address. Every request with a
 * token pays one map read while some address is turned away, nothing otherwise. Requests that
 * arrive all at once from a new address are checked until the guard's first answers come back: at
 * most as many as that address has connections open, once per window.
 */
public final class TokenFailures {

  private static final Logger LOG = LoggerFactory.getLogger(TokenFailures.class);

  private final ActorSystem<?> system;
  private final ClientAddress addresses;
  private final boolean on;
  private final Duration guardTimeout;
  private final int remembered;
  private final Clock clock;
  private final ConcurrentHashMap<String, Instant> turnedAway = new ConcurrentHashMap<>();

  /** When the map was last cleared of what has ended (epoch ms): at most once a second. */
  private final java.util.concurrent.atomic.AtomicLong swept =
      new java.util.concurrent.atomic.AtomicLong();

  private static final long SWEEP_EVERY_MS = 1000;

  public TokenFailures(
      ActorSystem<?> system,
      ClientAddress addresses,
      LoginGuard.Settings settings,
      Duration guardTimeout,
      Clock clock) {
    this.system = system;
    this.addresses = addresses;
    this.on = settings.apiMax() > 0;
    this.guardTimeout = guardTimeout;
    this.remembered = settings.apiRemembered();
    this.clock = clock;
  }

  /** The key {@code request}'s failures count under; null when off or the address is unknown. */
  String keyOf(HttpRequest request) {
    return on ? addresses.of(request).map(LoginGuard::apiAddress).orElse(null) : null;
  }

  /**
   * Until when this node turns {@code request}'s client address away; null when it may try (its
   * address is only looked at while some address is turned away).
   */
  public Instant turnedAwayUntil(HttpRequest request) {
    if (turnedAway.isEmpty()) {
      return null;
    }
    Instant now = clock.instant();
    long last = swept.get();
    if (now.toEpochMilli() - last >= SWEEP_EVERY_MS
        && swept.compareAndSet(last, now.toEpochMilli())) {
      // Ended ones go, so that once every address may try again a request looks at none.
      turnedAway.values().removeIf(u -> !u.isAfter(now));
      if (turnedAway.isEmpty()) {
        return null;
      }
    }
    String key = keyOf(request);
    if (key == null) {
      return null;
    }
    Instant until = turnedAway.get(key);
    if (until != null && !until.isAfter(clock.instant())) {
      turnedAway.remove(key, until);
      return null;
    }
    return until;
  }

  /**
   * Counts a failure of {@code request}'s client address (unknown: nothing counted) and completes
   * once the guard has answered, or has not in time (then it is not counted, and the log says so).
   */
  public CompletionStage<Void> failed(HttpRequest request) {
    String key = keyOf(request);
    if (key == null) {
      return CompletableFuture.completedFuture(null);
    }
    return ClusterSharding.get(system)
        .entityRefFor(LoginGuard.API_KEY, key)
        .<LoginGuard.Verdict>ask(LoginGuard.Fail::new, guardTimeout)
        .handle(
            (verdict, e) -> {
              if (e != null) {
                LOG.warn("the API token guard did not answer, not counted: {}", e.toString());
              } else if (verdict.lockedUntil() != null) {
                remember(key, verdict.lockedUntil());
              }
              return null;
            });
  }

  private void remember(String key, Instant until) {
    if (turnedAway.size() >= remembered) {
      Instant now = clock.instant();
      turnedAway.values().removeIf(u -> !u.isAfter(now));
      if (turnedAway.size() >= remembered) {
        // Still full of live entries: the guard entities keep counting them all, and this node
        // learns each again at its next failure.
        turnedAway.clear();
      }
    }
    // Answers come back in any order: the latest end wins.
    Instant before = turnedAway.get(key);
    turnedAway.merge(key, until, (a, b) -> a.isAfter(b) ? a : b);
    if (before == null) {
      LOG.info("API tokens from {} turned away until {}: too many that failed", key, until);
    }
  }
}
