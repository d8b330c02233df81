package dev.quire.cli;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * An H2 trigger that refuses every row written to the journal, as a full disk refuses the write:
 * the real journal, entities and gateway then meet a real failed write. (A test cannot fill the
 * disk it runs on; {@code docs/benchmarks.md} has the run on a full tmpfs.)
 */
public final class RefuseJournalWrites implements org.h2.api.Trigger {

  static final String MESSAGE = "No space left on device (refused by the test's trigger)";

  @Override
  public void fire(Connection conn, Object[] oldRow, Object[] newRow) throws SQLException {
    throw new SQLException(MESSAGE);
  }
}
