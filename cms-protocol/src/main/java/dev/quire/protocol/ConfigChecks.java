package dev.quire.protocol;

import com.typesafe.config.Config;

/**
 * Settings read once at start that must be at least 1: a 0 there refuses every request, loops for
 * ever or divides by it. Refused with the setting's whole name and value, one line, before anything
 * starts or is written.
 */
public final class ConfigChecks {

  private ConfigChecks() {}

  public static int atLeastOne(Config config, String key) {
    return (int) checked(key, config.getInt(key));
  }

  public static long atLeastOneLong(Config config, String key) {
    return checked(key, config.getLong(key));
  }

  /** A duration setting of at least {@code least}, refused naming the setting otherwise. */
  public static java.time.Duration atLeast(Config config, String key, java.time.Duration least) {
    java.time.Duration value = config.getDuration(key);
    if (value.compareTo(least) < 0) {
      throw new IllegalArgumentException(
          key + " must be at least " + least.toMillis() + " ms, was " + value.toMillis() + " ms");
    }
    return value;
  }

  /**
   * The site's time zone ({@code quire.site.time-zone}, {@code QUIRE_TIME_ZONE}), refused naming
   * the setting when Java knows no such zone ("Mars/Base" stopped the start with a stack trace).
   */
  public static java.time.ZoneId timeZone(Config config) {
    String zone = config.getString("quire.site.time-zone");
    try {
      return java.time.ZoneId.of(zone);
    } catch (java.time.DateTimeException e) {
      throw new IllegalArgumentException(
          "quire.site.time-zone (QUIRE_TIME_ZONE) must be a time zone such as UTC, Europe/Berlin"
              + " or America/New_York, was '"
              + zone
              + "'");
    }
  }

  private static long checked(String key, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(key + " must be at least 1, was " + value);
    }
    return value;
  }
}
