package dev.quire.content.project;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * The read model's tables, versioned with Flyway: {@code db/quire/read-model/V<n>__<what>.sql} in
 * this module, applied in order at start and recorded in {@value #HISTORY_TABLE} (Flyway runs only
 * when the history does not end with {@link #NEWEST}: see {@link #migrateIfBehind}).
 *
 * <p>On PostgreSQL Flyway holds an advisory lock while it migrates, so of several content nodes
 * starting together one applies a new version and the others find it applied. A database from
 * before versioning (the tables, no history) is given a baseline at version 0, under version 1,
 * which creates only what is missing. An applied migration whose file was changed afterwards stops
 * the start with Flyway's checksum error: a migration is changed by adding the next one.
 */
public final class ReadModelSchema {

  public static final String HISTORY_TABLE = "quire_schema_history";
  public static final String LOCATION = "classpath:db/quire/read-model";

  private ReadModelSchema() {}

  /** How often a migration that lost the race to create the history table is tried again. */
  static final int ATTEMPTS = 3;

  /**
   * Applies every pending migration; blocking (JDBC), so run it on the JDBC dispatcher.
   *
   * <p>Flyway's lock covers migrating, not creating the history table: a node that finds the table
   * another node has just created, still empty, refuses to baseline ("already exists, and is
   * empty"). Trying again then finds the history and the lock, and applies nothing twice.
   */
  public static MigrateResult migrate(DataSource dataSource, SqlDialect dialect) {
    for (int attempt = 1; ; attempt++) {
      try {
        return migrateOnce(dataSource, dialect);
      } catch (FlywayException e) {
        if (attempt >= ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  /**
   * The newest migration under {@link #LOCATION}; {@code ReadModelSchemaTest} checks it against the
   * files there, so a new migration file fails the build until this names it.
   */
  static final String NEWEST = "5";

  /**
   * As {@link #migrate}, unless the history says the newest migration is applied: then Flyway does
   * not run at all. Flyway scans the classpath for migrations, reads the history and validates
   * every checksum at each start, ~0.2 s of a node's start with nothing to do. Answers whether it
   * ran.
   */
  public static boolean migrateIfBehind(DataSource dataSource, SqlDialect dialect) {
    if (upToDate(dataSource)) {
      return false;
    }
    migrate(dataSource, dialect);
    return true;
  }

  /**
   * Whether the history's newest entry is {@link #NEWEST}, applied successfully. A database without
   * the history table (new, or from before versioning) is not.
   */
  static boolean upToDate(DataSource dataSource) {
    try (Connection c = dataSource.getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT \"version\", \"success\" FROM \""
                    + HISTORY_TABLE
                    + "\" ORDER BY \"installed_rank\" DESC LIMIT 1")) {
      return rs.next() && NEWEST.equals(rs.getString(1)) && rs.getBoolean(2);
    } catch (SQLException e) {
      return false; // no history yet: Flyway creates it
    }
  }

  private static MigrateResult migrateOnce(DataSource dataSource, SqlDialect dialect) {
    return Flyway.configure(ReadModelSchema.class.getClassLoader())
        .dataSource(dataSource)
        .locations(LOCATION)
        .table(HISTORY_TABLE)
        .placeholders(Map.of("text", dialect.textType()))
        .baselineOnMigrate(true)
        .baselineVersion("0")
        .baselineDescription("tables from before versioned migrations")
        .load()
        .migrate();
  }
}
