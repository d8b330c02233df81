package dev.quire.protocol;

import java.time.Instant;

/**
 * One step in an item's history: the event that made the revision and what it looked like; for a
 * revert ({@code event} "reverted"), {@code revertedTo} is the revision written back, else null;
 * for a schedule ({@code event} "publish-scheduled"), {@code publishAt} is when the item was to go
 * public (null for schedules listed before it was kept, and for every other event).
 */
public record RevisionEntry(
    long revision,
    String event,
    Instant at,
    String actor,
    ContentStatus status,
    String title,
    String slug,
    String body,
    Long revertedTo,
    Instant publishAt)
    implements QuireSerializable {

  /** An entry that is not a revert. */
  public RevisionEntry(
      long revision,
      String event,
      Instant at,
      String actor,
      ContentStatus status,
      String title,
      String slug,
      String body) {
    this(revision, event, at, actor, status, title, slug, body, null, null);
  }
}
