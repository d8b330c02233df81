package dev.quire.content.journal;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The journal writes of this JVM that have begun and not yet ended (committed or failed). On an
 * embedded H2 database this process is the journal's only writer (H2 locks the file), so these are
 * all the transactions that can still fill a gap in the journal's ordering ({@link OrderingGaps}).
 * The journal ({@code TimedJdbcJournal}) registers each write before it reaches the database.
 */
public final class WritesInFlight {

  private static final AtomicLong NEXT = new AtomicLong();
  private static final AtomicLong ENDED = new AtomicLong();
  private static final Set<Long> OPEN = ConcurrentHashMap.newKeySet();

  private WritesInFlight() {}

  /** A write begins: call before it reaches the database. Returns its id for {@link #end}. */
  public static long begin() {
    long id = NEXT.incrementAndGet();
    OPEN.add(id);
    return id;
  }

  /** The write {@code id} has ended: committed, or failed and rolled back. */
  public static void end(long id) {
    if (OPEN.remove(id)) {
      ENDED.incrementAndGet();
    }
  }

  /** How many writes have begun and ended since the JVM started: that the journal registers. */
  static long ended() {
    return ENDED.get();
  }

  /** The writes open now, as transaction names for {@link OrderingGaps}. */
  static Set<String> open() {
    Set<String> open = new HashSet<>();
    for (long id : OPEN) {
      open.add("write-" + id);
    }
    return open;
  }
}
