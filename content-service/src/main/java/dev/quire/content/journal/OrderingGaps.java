package dev.quire.content.journal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The journal's missing ordering values, and which of them can no longer appear.
 *
 * <p>The live tag query reads events up to the highest ordering below which no value is missing
 * (pekko-persistence-jdbc's {@code JournalSequenceActor}): on a database with several writers a row
 * can become visible after a row with a higher ordering, and reading past the gap would skip it for
 * ever. The library gives a gap up after {@code max-tries x query-delay} (10 s here). But a write
 * that was rolled back (its connection cut by a database outage, a failed batch) leaves its values
 * unused for ever, and every later event waits out those 10 s.
 *
 * <p>A missing value {@code g} below a visible row {@code m} was taken by a transaction that began
 * before {@code m} was visible (sequence values are handed out in order, and {@code m} took its
 * value after {@code g}). So when the gap is first seen, that transaction is either open, and among
 * the transactions the database lists as open just after the query, or it has ended. Once every
 * transaction of that list has ended, a later query that still does not see {@code g} shows it was
 * rolled back: it can be given up. This class keeps that bookkeeping; {@link
 * TagRangeReadJournalDao} asks the database (PostgreSQL's {@code pg_stat_activity}) which
 * transactions are open. Thread-safe.
 */
final class OrderingGaps {

  /** Missing values {@code [from, to)}, and the transactions open when they were first seen. */
  record Gap(long from, long to, Set<String> holders) {}

  private List<Gap> gaps = List.of();

  /** The most given-up values one {@link #resolve} hands back; larger gaps are not handed back. */
  private final long maxValues;

  /**
   * @param maxValues the most given-up values one read hands back (they are listed one by one): a
   *     gap that would pass it is left to the library's own give-up
   */
  OrderingGaps(long maxValues) {
    if (maxValues < 1) {
      throw new IllegalArgumentException("maxValues must be at least 1, not " + maxValues);
    }
    this.maxValues = maxValues;
  }

  /**
   * Whether a value above {@code offset} is missing: then the open transactions are asked first.
   */
  synchronized boolean pendingAbove(long offset) {
    return gaps.stream().anyMatch(g -> g.to() - 1 > offset);
  }

  /** The gaps now kept, for tests. */
  synchronized List<Gap> gaps() {
    return gaps;
  }

  /**
   * Takes one read of the journal's ordering values and returns them with the values given up, in
   * ascending order.
   *
   * @param offset the read was of values above this
   * @param rows the values read, ascending (at most the read's limit of them)
   * @param openBefore the transactions open just before the read; {@code null} if not asked (no gap
   *     was pending above {@code offset}) or not known
   * @param openAfter the transactions open just after the read, asked only if a new gap is seen;
   *     {@code null} when not known, and then that gap waits for the library's give-up
   */
  synchronized List<Long> resolve(
      long offset, List<Long> rows, Set<String> openBefore, Supplier<Set<String>> openAfter) {
    List<Gap> old = new ArrayList<>();
    for (Gap g : gaps) {
      long from = Math.max(g.from(), offset + 1);
      if (from >= g.to()) {
        continue; // the reader is past it (it gave it up itself, or it was filled)
      }
      Set<String> holders = g.holders();
      if (openBefore != null && holders != null) {
        holders = new HashSet<>(holders);
        holders.removeIf(h -> !stillOpen(h, openBefore));
      }
      old.add(new Gap(from, g.to(), holders == null ? null : Set.copyOf(holders)));
    }
    long last = rows.isEmpty() ? offset : rows.get(rows.size() - 1);
    List<Gap> kept = new ArrayList<>();
    List<Long> out = new ArrayList<>(rows.size());
    long handedBack = 0;
    Set<String> after = null;
    boolean askedAfter = false;
    long previous = offset;
    for (long row : rows) {
      long at = previous + 1;
      while (at < row) {
        Gap known = covering(old, at);
        if (known != null) {
          long end = Math.min(known.to(), row);
          if (known.holders() != null
              && known.holders().isEmpty()
              && end - at <= maxValues - handedBack) {
            for (long v = at; v < end; v++) {
              out.add(v); // every writer that could have filled it has ended: rolled back
            }
            handedBack += end - at;
          } else {
            kept.add(new Gap(at, end, known.holders()));
          }
          at = end;
        } else {
          long end = Math.min(row, nextStart(old, at));
          if (!askedAfter) {
            Set<String> listed = openAfter.get();
            after = listed == null ? null : Set.copyOf(listed);
            askedAfter = true;
          }
          kept.add(new Gap(at, end, after));
          at = end;
        }
      }
      out.add(row);
      previous = row;
    }
    for (Gap g : old) {
      if (g.from() > last) {
        kept.add(g); // beyond this read's limit: still missing as far as is known
      } else if (g.to() - 1 > last) {
        kept.add(new Gap(last + 1, g.to(), g.holders()));
      }
    }
    gaps = List.copyOf(kept);
    return out;
  }

  /**
   * Whether the transaction {@code holder} is among {@code open}. A name {@code "s@*"} stands for
   * whatever transaction session {@code s} has open, its start not known: such a session holds
   * every transaction named {@code "s@..."}, and is held by any.
   */
  static boolean stillOpen(String holder, Set<String> open) {
    if (open.contains(holder)) {
      return true;
    }
    int at = holder.lastIndexOf('@');
    if (at < 0) {
      return false;
    }
    String session = holder.substring(0, at + 1);
    if (open.contains(session + "*")) {
      return true;
    }
    if (holder.endsWith("@*")) {
      for (String o : open) {
        if (o.startsWith(session)) {
          return true;
        }
      }
    }
    return false;
  }

  private static Gap covering(List<Gap> gaps, long value) {
    for (Gap g : gaps) {
      if (g.from() <= value && value < g.to()) {
        return g;
      }
    }
    return null;
  }

  private static long nextStart(List<Gap> gaps, long value) {
    long next = Long.MAX_VALUE;
    for (Gap g : gaps) {
      if (g.from() > value) {
        next = Math.min(next, g.from());
      }
    }
    return next;
  }
}
