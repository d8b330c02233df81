package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a command says when H2 closed the database under it (a full disk): the closed database is
 * recognised through the causes, the disk's free space is named, and any other failure adds
 * nothing. A real full disk is in the session note's tmpfs runs, not here: a test cannot fill one.
 */
class ClosedDatabaseNoteTest {

  @TempDir Path tmp;

  @Test
  void aClosedDatabaseIsSaidWithTheDisksFreeSpace() {
    var closed = new SQLException("The database has been closed [90098-240]", "90098", 90098);
    String note =
        TargetSession.closedDatabaseNote(
            new ExecutionException(new RuntimeException(closed)), tmp.resolve("data/not-yet"));
    assertThat(note)
        .contains("H2 closed the database after a write to it failed")
        .contains("disk is full")
        .contains(tmp.resolve("data/not-yet").toString())
        .containsPattern("free now: \\d+ MB");
  }

  @Test
  void theFailedWriteThatClosesItIsSaidTheSameWay() {
    var write =
        new SQLException(
            "eventsByTag query failed: General error: \"org.h2.mvstore.MVStoreException: Writing to"
                + " sun.nio.ch.FileChannelImpl@4cd7548 failed; length 180224 at 6209536\"",
            "HY000",
            50000);
    assertThat(TargetSession.closedDatabaseNote(write, tmp)).contains("disk is full");
  }

  @Test
  void anyOtherFailureAddsNothing() {
    assertThat(
            TargetSession.closedDatabaseNote(
                new SQLException("Table not found", "42S02", 42102), tmp))
        .isEmpty();
    assertThat(TargetSession.closedDatabaseNote(new IllegalStateException("x"), tmp)).isEmpty();
  }
}
