package dev.quire.gateway.admin;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Failed sign-ins per client address on this gateway node: past {@code max} within {@code window}
 * an address is turned away before any password is checked. It stops one address guessing across
 * many accounts (each account has its own lockout in the user directory). Bounded: at most {@code
 * maxAddresses} are remembered, the least recently failed forgotten first.
 */
final class LoginLimiter {

  private final int max;
  private final Duration window;
  private final int maxAddresses;
  private final Clock clock;
  private final Map<String, Deque<Long>> failures;

  LoginLimiter(int max, Duration window, int maxAddresses, Clock clock) {
    this.max = max;
    this.window = window;
    this.maxAddresses = maxAddresses;
    this.clock = clock;
    this.failures =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Deque<Long>> eldest) {
            return size() > LoginLimiter.this.maxAddresses;
          }
        };
  }

  /** Whether {@code address} may try now. */
  synchronized boolean allowed(String address) {
    Deque<Long> times = failures.get(address);
    if (times == null) {
      return true;
    }
    prune(times);
    return times.size() < max;
  }

  synchronized void failed(String address) {
    Deque<Long> times = failures.computeIfAbsent(address, a -> new ArrayDeque<>());
    prune(times);
    times.addLast(clock.millis());
    while (times.size() > max) {
      times.removeFirst();
    }
  }

  private void prune(Deque<Long> times) {
    long since = clock.millis() - window.toMillis();
    while (!times.isEmpty() && times.peekFirst() <= since) {
      times.removeFirst();
    }
  }
}
