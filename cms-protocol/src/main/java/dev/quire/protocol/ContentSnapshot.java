package dev.quire.protocol;

import java.time.Instant;
import java.util.List;

/**
 * The authoritative state of one content item as its entity holds it. {@code createdBy}: the user
 * (or importer) who started it, null where the entity does not know (an item whose last snapshot
 * was taken before this was kept).
 */
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
    List<String> aliases,
    String createdBy)
    implements QuireSerializable {

  public ContentSnapshot {
    aliases = aliases == null ? List.of() : List.copyOf(aliases);
  }

  public ContentSnapshot(
      String id,
      ContentKind kind,
      ContentStatus status,
      long revision,
      ContentFields fields,
      Instant createdAt,
      Instant updatedAt,
      Instant publishedAt,
      Instant scheduledAt,
      List<String> aliases) {
    this(
        id,
        kind,
        status,
        revision,
        fields,
        createdAt,
        updatedAt,
        publishedAt,
        scheduledAt,
        aliases,
        null);
  }

  /**
   * Whether {@code user} may work on this item as its author: they started it, or the entity does
   * not know who did (an item from before this was kept, which any author could edit then).
   */
  public boolean startedBy(String user) {
    return createdBy == null || createdBy.equals(user);
  }

  /**
   * Whether {@code user} may read this item's text and history: a role that publishes reads every
   * item; an author the items they started and what is published (whose text the site shows
   * anyway), as WordPress and Ghost keep an author from another's drafts. Until 2026-12-07 any
   * author read every draft's text and every earlier version of it.
   */
  public boolean readableBy(String user, boolean mayPublish) {
    return mayPublish || status == ContentStatus.PUBLISHED || startedBy(user);
  }

  /**
   * Whether {@code user} may read this item's history (its revisions and the diffs between them): a
   * role that publishes, or the author who started it. A published item's earlier revisions hold
   * text that was never shown, cut before it went out.
   */
  public boolean historyReadableBy(String user, boolean mayPublish) {
    return mayPublish || startedBy(user);
  }
}
