package dev.quire.gateway.site;

import java.time.Clock;
import java.time.Year;
import java.time.ZoneId;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Pages carry the year (the footer's {@code ©}), and a page is rendered once per change and then
 * served from memory: without a change to the site, a page rendered on 31 December went on saying
 * so into the new year. {@link #check} runs {@code onTurn} once when the year in the site's zone
 * has moved since the last check (the gateway checks every {@code
 * quire.gateway.year-check-interval}, and drops its memoised pages then).
 */
public final class YearTurn {

  private final ZoneId zone;
  private final Clock clock;
  private final Runnable onTurn;
  private final AtomicInteger year;

  public YearTurn(ZoneId zone, Clock clock, Runnable onTurn) {
    this.zone = zone;
    this.clock = clock;
    this.onTurn = onTurn;
    this.year = new AtomicInteger(Year.now(clock.withZone(zone)).getValue());
  }

  /** Runs {@code onTurn} if the year has changed since the last check; answers whether it did. */
  public boolean check() {
    int now = Year.now(clock.withZone(zone)).getValue();
    int was = year.getAndSet(now);
    if (now != was) {
      onTurn.run();
      return true;
    }
    return false;
  }
}
