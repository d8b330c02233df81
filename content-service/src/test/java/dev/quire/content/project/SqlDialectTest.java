package dev.quire.content.project;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The database settings that must agree with the URL are checked against it, each named. */
class SqlDialectTest {

  private static Config with(Map<String, String> db) {
    return ConfigFactory.parseMap(db).withFallback(ConfigFactory.defaultReference()).resolve();
  }

  @Test
  void theShippedSettingsAgree() {
    assertThat(SqlDialect.checked(ConfigFactory.defaultReference())).isEqualTo(SqlDialect.H2);
    assertThat(
            SqlDialect.checked(
                with(
                    Map.of(
                        "quire.db.url", "jdbc:postgresql://db:5432/quire",
                        "quire.db.driver", "org.postgresql.Driver",
                        "quire.db.slick-profile", "slick.jdbc.PostgresProfile$",
                        "quire.db.projection-dialect", "postgres-dialect"))))
        .isEqualTo(SqlDialect.POSTGRES);
  }

  @Test
  void aPostgresUrlWithTheRestLeftAtH2IsRefusedNamingEachSetting() {
    assertThatThrownBy(
            () ->
                SqlDialect.checked(
                    with(
                        Map.of(
                            "quire.db.url", "jdbc:postgresql://db:5432/quire",
                            "quire.db.driver", "org.postgresql.Driver"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "quire.db.url (QUIRE_DB_URL) names a PostgreSQL database, but"
                + " quire.db.slick-profile (QUIRE_DB_SLICK_PROFILE) is slick.jdbc.H2Profile$: set"
                + " it to slick.jdbc.PostgresProfile$; quire.db.projection-dialect"
                + " (QUIRE_DB_PROJECTION_DIALECT) is h2-dialect: set it to postgres-dialect");
    assertThatThrownBy(
            () ->
                SqlDialect.checked(
                    with(Map.of("quire.db.slick-profile", "slick.jdbc.PostgresProfile$"))))
        .hasMessageContaining("names an H2 database")
        .hasMessageContaining("quire.db.slick-profile (QUIRE_DB_SLICK_PROFILE)");
  }
}
