package dev.quire.gateway.site;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The memoised pages are dropped once when the year turns in the site's zone, not in UTC. */
class YearTurnTest {

  @Test
  void turnsOnceAtMidnightInTheSitesZone() {
    AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-31T23:59:00Z"));
    Clock clock =
        new Clock() {
          @Override
          public ZoneId getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(ZoneId zone) {
            return Clock.fixed(now.get(), zone);
          }

          @Override
          public Instant instant() {
            return now.get();
          }
        };
    AtomicInteger turns = new AtomicInteger();
    // New York: midnight there is 05:00 UTC.
    YearTurn turn = new YearTurn(ZoneId.of("America/New_York"), clock, turns::incrementAndGet);
    now.set(Instant.parse("2027-01-01T00:30:00Z")); // a new year in UTC, not yet in New York
    assertThat(turn.check()).isFalse();
    now.set(Instant.parse("2027-01-01T05:00:30Z"));
    assertThat(turn.check()).isTrue();
    assertThat(turn.check()).isFalse();
    now.set(Instant.parse("2027-06-01T00:00:00Z"));
    assertThat(turn.check()).isFalse();
    assertThat(turns).hasValue(1);
  }
}
