package dev.quire.bundle;

import java.time.Instant;
import java.util.List;

/**
 * One step of an item's history, as the journal recorded it. {@code fields} and {@code kind} are
 * set for {@code created}, {@code fields} for {@code edited}; {@code publishAt} for {@code
 * scheduled}, and on {@code published} when the item counts as published since another time than
 * {@code at} (an imported post's past publish date).
 */
public record BundleEvent(
    String itemId,
    long revision,
    String type,
    Instant at,
    String actor,
    String kind,
    Fields fields,
    Instant publishAt,
    String aliasAdded,
    String slugReleased,
    Long revertedTo) {

  /** An event that is not a revert (and one read from a bundle written before reverts said so). */
  public BundleEvent(
      String itemId,
      long revision,
      String type,
      Instant at,
      String actor,
      String kind,
      Fields fields,
      Instant publishAt,
      String aliasAdded,
      String slugReleased) {
    this(
        itemId, revision, type, at, actor, kind, fields, publishAt, aliasAdded, slugReleased, null);
  }

  public static final List<String> TYPES =
      List.of("created", "edited", "published", "scheduled", "unpublished", "archived");

  /** What an editor wrote at that revision. */
  public record Fields(
      String title,
      String slug,
      String body,
      String description,
      List<String> tags,
      String coverImage,
      String author,
      Instant date,
      String coverAlt) {
    public Fields {
      tags = tags == null ? List.of() : List.copyOf(tags);
      coverAlt = coverAlt == null ? "" : coverAlt;
    }
  }
}
