package dev.quire.content.project;

import java.util.Locale;

/** The few places where H2 and PostgreSQL SQL differ for the read model. */
public enum SqlDialect {
  H2("CHARACTER LARGE OBJECT", "org.h2.Driver", "slick.jdbc.H2Profile$", "h2-dialect"),
  POSTGRES("TEXT", "org.postgresql.Driver", "slick.jdbc.PostgresProfile$", "postgres-dialect");

  private final String textType;
  private final String driver;
  private final String slickProfile;
  private final String projectionDialect;

  SqlDialect(String textType, String driver, String slickProfile, String projectionDialect) {
    this.textType = textType;
    this.driver = driver;
    this.slickProfile = slickProfile;
    this.projectionDialect = projectionDialect;
  }

  /**
   * The database settings that must agree with {@code quire.db.url}: a PostgreSQL URL with H2's
   * Slick profile or projection dialect (an environment that sets the URL and the driver only)
   * started and said it was ready, and failed later, in the journal and the projection. Refused
   * here, each one named with its environment variable and the value it needs.
   */
  public static SqlDialect checked(com.typesafe.config.Config config) {
    SqlDialect d = fromJdbcUrl(config.getString("quire.db.url"));
    java.util.List<String> wrong = new java.util.ArrayList<>();
    expect(config, "driver", "QUIRE_DB_DRIVER", d.driver, wrong);
    expect(config, "slick-profile", "QUIRE_DB_SLICK_PROFILE", d.slickProfile, wrong);
    expect(config, "projection-dialect", "QUIRE_DB_PROJECTION_DIALECT", d.projectionDialect, wrong);
    if (!wrong.isEmpty()) {
      throw new IllegalArgumentException(
          "quire.db.url (QUIRE_DB_URL) names "
              + (d == H2 ? "an H2" : "a PostgreSQL")
              + " database, but "
              + String.join("; ", wrong));
    }
    return d;
  }

  private static void expect(
      com.typesafe.config.Config config,
      String key,
      String env,
      String value,
      java.util.List<String> wrong) {
    String actual = config.getString("quire.db." + key);
    if (!actual.equals(value)) {
      wrong.add("quire.db." + key + " (" + env + ") is " + actual + ": set it to " + value);
    }
  }

  public String textType() {
    return textType;
  }

  public static SqlDialect fromJdbcUrl(String url) {
    String lower = url.toLowerCase(Locale.ROOT);
    if (lower.startsWith("jdbc:h2:")) {
      return H2;
    }
    if (lower.startsWith("jdbc:postgresql:")) {
      return POSTGRES;
    }
    throw new IllegalArgumentException("quire.db.url: unsupported database " + url);
  }
}
