package dev.quire.content.journal;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;

/**
 * The journal writes of one actor system that have begun and not yet ended (committed or failed).
 * On an embedded H2 database the system's process is the journal's only writer (H2 locks the file),
 * so these are all the transactions that can still fill a gap in the journal's ordering ({@link
 * OrderingGaps}). The journal ({@code TimedJdbcJournal}) registers each write before it reaches the
 * database. One per actor system: a write a stopped system never finished does not hold another
 * system's gaps.
 */
public final class WritesInFlight implements Extension {

  private static final AbstractExtensionId<WritesInFlight> ID =
      new AbstractExtensionId<>() {
        @Override
        public WritesInFlight createExtension(ExtendedActorSystem system) {
          return new WritesInFlight();
        }
      };

  private final AtomicLong next = new AtomicLong();
  private final AtomicLong ended = new AtomicLong();
  private final Set<Long> open = ConcurrentHashMap.newKeySet();

  private WritesInFlight() {}

  /** The writes of {@code system}'s journal. */
  public static WritesInFlight get(ActorSystem system) {
    return ID.get(system);
  }

  /** A write begins: call before it reaches the database. Returns its id for {@link #end}. */
  public long begin() {
    long id = next.incrementAndGet();
    open.add(id);
    return id;
  }

  /** The write {@code id} has ended: committed, or failed and rolled back. */
  public void end(long id) {
    if (open.remove(id)) {
      ended.incrementAndGet();
    }
  }

  /** How many writes have begun and ended: that the journal registers them. */
  long ended() {
    return ended.get();
  }

  /** The writes open now, as transaction names for {@link OrderingGaps}. */
  Set<String> open() {
    Set<String> names = new HashSet<>();
    for (long id : open) {
      names.add("write-" + id);
    }
    return names;
  }
}
