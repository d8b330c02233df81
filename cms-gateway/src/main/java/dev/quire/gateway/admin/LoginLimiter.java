package dev.quire.gateway.admin;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Failed sign-ins per key on this gateway node: past {@code max} within {@code window} a key is
 * turned away until its oldest failure leaves the window. Keyed by client address (one address
 * guessing across many accounts; an IPv6 address counts by its /64, what one host is usually
 * given), and by unknown username (so that a name that does not exist locks as one that does, and
 * the lockout does not tell which names exist). {@code max} 0 turns it off. Bounded: at most {@code
 * maxKeys} are remembered, the least recently failed forgotten first.
 */
final class LoginLimiter {

  private final int max;
  private final Duration window;
  private final int maxKeys;
  private final Clock clock;
  private final Map<String, Deque<Long>> failures;

  LoginLimiter(int max, Duration window, int maxKeys, Clock clock) {
    this.max = max;
    this.window = window;
    this.maxKeys = maxKeys;
    this.clock = clock;
    this.failures =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Deque<Long>> eldest) {
            return size() > LoginLimiter.this.maxKeys;
          }
        };
  }

  /** The key a client address counts under: itself, or its /64 for IPv6. */
  static String addressKey(java.net.InetAddress address) {
    if (address instanceof java.net.Inet6Address v6) {
      byte[] b = v6.getAddress();
      StringBuilder key = new StringBuilder("v6:");
      for (int i = 0; i < 8; i++) {
        key.append(String.format("%02x", b[i]));
      }
      return key.toString();
    }
    return address.getHostAddress();
  }

  /** Whether {@code key} may try now (null: not counted, always). */
  boolean allowed(String key) {
    return lockedUntil(key) == null;
  }

  /** Until when {@code key} is turned away; null when it may try. */
  synchronized Instant lockedUntil(String key) {
    if (max <= 0 || key == null) {
      return null;
    }
    Deque<Long> times = failures.get(key);
    if (times == null) {
      return null;
    }
    prune(key, times);
    return times.size() < max ? null : Instant.ofEpochMilli(times.peekFirst() + window.toMillis());
  }

  synchronized void failed(String key) {
    if (max <= 0 || key == null) {
      return;
    }
    Deque<Long> times = failures.computeIfAbsent(key, a -> new ArrayDeque<>());
    times.addLast(clock.millis());
    prune(key, times);
    while (times.size() > max) {
      times.removeFirst();
    }
  }

  private void prune(String key, Deque<Long> times) {
    long since = clock.millis() - window.toMillis();
    while (!times.isEmpty() && times.peekFirst() <= since) {
      times.removeFirst();
    }
    if (times.isEmpty()) {
      failures.remove(key);
    }
  }
}
