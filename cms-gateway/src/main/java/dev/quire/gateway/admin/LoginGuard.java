package dev.quire.gateway.admin;

import dev.quire.protocol.QuireSerializable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * Failed sign-ins per key, for the whole cluster: one sharded entity per key on the gateway nodes,
 * so that every gateway counts the same failures. Past {@code max} failures within {@code window} a
 * key is turned away until its oldest failure leaves the window. Three kinds of key: a client
 * address ({@link #address}: one address guessing across many accounts; an IPv6 address counts by
 * its /64, what one host is usually given), a username that does not exist ({@link #name}: it locks
 * as an account does, after as many attempts, so that the lockout does not tell which names exist,
 * also when the attempts are spread over gateways), and a client address's failed API tokens
 * ({@link #apiAddress}, counted by the gateway core's API authorisation, {@code api/TokenFailures},
 * in entities of their own kind, {@link #API_KEY}). Kept in memory only: a key is forgotten once
 * unused for its window (by then every failure in it has left the window), or when a node holds
 * {@code remembered} keys, the least recently used first. The gateway core starts it, whichever
 * modules run.
 */
public final class LoginGuard {

  public static final EntityTypeKey<Command> KEY =
      EntityTypeKey.create(Command.class, "LoginGuard");

  /**
   * The entities of the client addresses' failed API tokens: a kind of their own, so that keys made
   * by junk {@code Authorization} headers (which cost nothing to send) have their own budget of
   * {@code apiRemembered} per node, and cannot push sign-in counts out of memory.
   */
  public static final EntityTypeKey<Command> API_KEY =
      EntityTypeKey.create(Command.class, "ApiTokenGuard");

  private static final String ADDRESS = "address:";
  private static final String NAME = "name:";
  private static final String API = "api:";

  private LoginGuard() {}

  public sealed interface Command extends QuireSerializable {}

  /** Whether the key may try now. */
  public record Check(ActorRef<Verdict> replyTo) implements Command {}

  /** A failure of the key, counted before the answer (the key's verdict after it). */
  public record Fail(ActorRef<Verdict> replyTo) implements Command {}

  /**
   * An attempt, counted if the key may try (and then answered with a null {@code lockedUntil}),
   * refused without counting if not: what the user directory does for an account, in one step, so
   * that attempts at once for a name that does not exist meet the limit exactly as an account's.
   */
  public record Attempt(ActorRef<Verdict> replyTo) implements Command {}

  /** {@code lockedUntil}: until when the key is turned away; null when it may try. */
  public record Verdict(Instant lockedUntil) implements QuireSerializable {}

  /**
   * Per kind of key: at most {@code max} failures within {@code window} (0 turns that kind off);
   * {@code remembered} keys per node.
   */
  public record Settings(
      int addressMax,
      Duration addressWindow,
      int nameMax,
      Duration nameWindow,
      int apiMax,
      Duration apiWindow,
      int remembered,
      int apiRemembered) {

    /**
     * From {@code quire.gateway.admin.login} (addresses), {@code quire.content.users} (names:
     * locked as an account is) and {@code quire.gateway.api.token-failures} (API tokens).
     */
    public static Settings fromConfig(com.typesafe.config.Config root) {
      com.typesafe.config.Config login = root.getConfig("quire.gateway.admin.login");
      com.typesafe.config.Config api = root.getConfig("quire.gateway.api.token-failures");
      return new Settings(
          login.getInt("per-address-attempts"),
          login.getDuration("per-address-window"),
          dev.quire.protocol.ConfigChecks.atLeastOne(root, "quire.content.users.login-attempts"),
          root.getDuration("quire.content.users.lockout-window"),
          api.getInt("per-address"),
          api.getDuration("window"),
          login.getInt("addresses-remembered"),
          api.getInt("addresses-remembered"));
    }

    Limit limitFor(String entityId) {
      if (entityId.startsWith(NAME)) {
        return new Limit(nameMax, nameWindow);
      }
      return entityId.startsWith(API)
          ? new Limit(apiMax, apiWindow)
          : new Limit(addressMax, addressWindow);
    }

    /** The longer sign-in window: a key unused that long holds no failure that still counts. */
    Duration longestWindow() {
      return addressWindow.compareTo(nameWindow) >= 0 ? addressWindow : nameWindow;
    }
  }

  record Limit(int max, Duration window) {}

  /** The failures still in the window, oldest first. Immutable. */
  record Failures(List<Long> times) {
    static final Failures NONE = new Failures(List.of());

    Failures {
      times = List.copyOf(times);
    }

    Failures prune(long now, Limit limit) {
      long since = now - limit.window().toMillis();
      int first = 0;
      while (first < times.size() && times.get(first) <= since) {
        first++;
      }
      return first == 0 ? this : new Failures(times.subList(first, times.size()));
    }

    Failures plus(long now, Limit limit) {
      List<Long> next = new ArrayList<>(prune(now, limit).times());
      next.add(now);
      while (next.size() > limit.max()) {
        next.remove(0);
      }
      return new Failures(next);
    }

    Instant lockedUntil(Limit limit) {
      return limit.max() <= 0 || times.size() < limit.max()
          ? null
          : Instant.ofEpochMilli(times.get(0) + limit.window().toMillis());
    }
  }

  /** The key a client address counts under: itself, or its /64 for IPv6. */
  public static String address(java.net.InetAddress address) {
    if (address instanceof java.net.Inet6Address v6) {
      byte[] b = v6.getAddress();
      StringBuilder key = new StringBuilder(ADDRESS).append("v6:");
      for (int i = 0; i < 8; i++) {
        key.append(String.format("%02x", b[i]));
      }
      return key.toString();
    }
    return ADDRESS + address.getHostAddress();
  }

  /** The key a client address's failed API tokens count under: as {@link #address}, apart. */
  public static String apiAddress(java.net.InetAddress address) {
    return API + address(address);
  }

  /** The key a username that does not exist counts under. */
  public static String name(String username) {
    return NAME + username;
  }

  /**
   * Starts both kinds of entity on this node (a gateway's); other gateways reach them through
   * theirs.
   */
  public static void init(ActorSystem<?> system, Settings settings) {
    init(system, KEY, settings, settings.longestWindow(), settings.remembered());
    init(system, API_KEY, settings, settings.apiWindow(), settings.apiRemembered());
  }

  private static void init(
      ActorSystem<?> system,
      EntityTypeKey<Command> key,
      Settings settings,
      Duration window,
      int remembered) {
    ClusterShardingSettings sharding = ClusterShardingSettings.create(system);
    ClusterSharding.get(system)
        .init(
            Entity.of(key, ctx -> create(ctx.getEntityId(), settings, Clock.systemUTC()))
                .withSettings(
                    sharding.withPassivationStrategy(
                        sharding
                            .passivationStrategySettings()
                            .withIdleEntityPassivation(window)
                            .withActiveEntityLimit(remembered)
                            .withLeastRecentlyUsedReplacement()))
                .withRole("gateway"));
  }

  public static Behavior<Command> create(String entityId, Settings settings, Clock clock) {
    return counting(settings.limitFor(entityId), clock, Failures.NONE);
  }

  private static Behavior<Command> counting(Limit limit, Clock clock, Failures failures) {
    return Behaviors.receive(Command.class)
        .onMessage(
            Check.class,
            c -> {
              Failures now = failures.prune(clock.millis(), limit);
              c.replyTo().tell(new Verdict(now.lockedUntil(limit)));
              return counting(limit, clock, now);
            })
        .onMessage(
            Attempt.class,
            a -> {
              Failures now = failures.prune(clock.millis(), limit);
              Instant locked = now.lockedUntil(limit);
              if (locked != null || limit.max() <= 0) {
                a.replyTo().tell(new Verdict(locked));
                return counting(limit, clock, now);
              }
              a.replyTo().tell(new Verdict(null));
              return counting(limit, clock, now.plus(clock.millis(), limit));
            })
        .onMessage(
            Fail.class,
            f -> {
              if (limit.max() <= 0) {
                f.replyTo().tell(new Verdict(null));
                return Behaviors.same();
              }
              Failures next = failures.plus(clock.millis(), limit);
              f.replyTo().tell(new Verdict(next.lockedUntil(limit)));
              return counting(limit, clock, next);
            })
        .build();
  }
}
