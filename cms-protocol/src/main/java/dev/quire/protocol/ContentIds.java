package dev.quire.protocol;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.TimeBasedEpochGenerator;

/**
 * New content ids: time-ordered UUIDs (RFC 9562 version 7: a millisecond timestamp, then random
 * bits), so items created one after another get neighbouring ids.
 *
 * <p>Why not random (version 4) ids: an item's id is part of its persistence id, which the journal
 * indexes, and the read model keys its item, tag and revision rows by it. With random ids every new
 * item lands on a different page of each of those B-trees, and each commit of the embedded database
 * (H2's MVStore, copy-on-write) rewrites every page it touched; with time-ordered ids new items
 * fill the same few pages at the right edge. An import of 10,000 posts into a stopped site took ~9%
 * less time (three interleaved pairs, 2026-12-03), and the projection got further in it. Existing
 * random ids stay valid: an id is only ever compared and hashed, never parsed.
 */
public final class ContentIds {

  // java-uuid-generator (FasterXML's): version 7 per RFC 9562, monotonic within a millisecond.
  private static final TimeBasedEpochGenerator GENERATOR = Generators.timeBasedEpochGenerator();

  private ContentIds() {}

  /** A new, unique content id in the canonical 36-character UUID form. */
  public static String next() {
    return GENERATOR.generate().toString();
  }
}
