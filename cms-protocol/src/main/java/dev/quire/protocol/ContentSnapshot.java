package dev.quire.protocol;

import java.time.Instant;
import java.util.List;

/** The authoritative state of one content item as its entity holds it. */
public record ContentSnapshot(
    String id,
    ContentKind kind,
    ContentStatus status,
    long revision,
    ContentFields fields,
    Instant createdAt,
    Instant updatedAt,
    Instant publishedAt,
    Instant scheduledAt,
    List<String> aliases)
    implements QuireSerializable {

  public ContentSnapshot {
    aliases = aliases == null ? List.of() : List.copyOf(aliases);
  }
}
