package dev.quire.protocol;

import java.time.Instant;
import java.util.List;

/**
 * One event of an item's history in protocol form: what an export reads from the journal and a
 * restore writes back unchanged. {@code type} is one of {@link #TYPES}; {@code kind} is set on
 * {@code created}, {@code fields} on {@code created} and {@code edited}, {@code publishAt} on
 * {@code scheduled}; {@code revertedTo} on an {@code edited} that was a revert: the revision whose
 * fields it wrote back (null otherwise, and in histories from before it existed).
 */
public record HistoryStep(
    long revision,
    String type,
    Instant at,
    String actor,
    ContentKind kind,
    ContentFields fields,
    Instant publishAt,
    String aliasAdded,
    String slugReleased,
    Long revertedTo)
    implements QuireSerializable {

  /** A step that is not a revert. */
  public HistoryStep(
      long revision,
      String type,
      Instant at,
      String actor,
      ContentKind kind,
      ContentFields fields,
      Instant publishAt,
      String aliasAdded,
      String slugReleased) {
    this(revision, type, at, actor, kind, fields, publishAt, aliasAdded, slugReleased, null);
  }

  public static final List<String> TYPES =
      List.of("created", "edited", "published", "scheduled", "unpublished", "archived");
}
