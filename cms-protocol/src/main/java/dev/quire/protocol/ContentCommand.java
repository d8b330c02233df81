package dev.quire.protocol;

import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * Commands to the sharded {@code Content} entity, one entity per content id. Edits carry the
 * revision the editor started from ({@code expectedRevision}); a stale one is refused. For
 * publish/unpublish/archive/schedule a null revision means "whatever is current".
 */
public interface ContentCommand extends QuireSerializable {

  EntityTypeKey<ContentCommand> ENTITY_KEY = EntityTypeKey.create(ContentCommand.class, "Content");

  /**
   * Creates the item. {@code then} says what it becomes in the same atomic write: a draft,
   * published now, or scheduled; an import or an API client that wants an item published gets it
   * with one journal write and one round trip instead of two.
   */
  record Create(
      ContentKind kind,
      ContentFields fields,
      Initially then,
      String actor,
      ActorRef<ContentReply> replyTo)
      implements ContentCommand {}

  /**
   * The status a new item starts in: a draft, published, or scheduled for {@code scheduleAt}. For
   * published, {@code scheduleAt} may give the time the item counts as published since (not after
   * now): an import's past {@code publish_date}, which an export then writes back.
   */
  record Initially(ContentStatus status, Instant scheduleAt) {
    public static final Initially DRAFT = new Initially(ContentStatus.DRAFT, null);
    public static final Initially PUBLISHED = new Initially(ContentStatus.PUBLISHED, null);

    public static Initially scheduled(Instant at) {
      return new Initially(ContentStatus.SCHEDULED, at);
    }

    /** Published, counting as published since {@code since} (null: since now). */
    public static Initially publishedSince(Instant since) {
      return new Initially(ContentStatus.PUBLISHED, since);
    }
  }

  /**
   * Sets the item's fields. {@code revertedTo}: the revision whose fields these are, when the edit
   * is a revert (the history then says so); null for an ordinary edit.
   */
  record Edit(
      long expectedRevision,
      ContentFields fields,
      String actor,
      ActorRef<ContentReply> replyTo,
      Long revertedTo)
      implements ContentCommand {

    public Edit(
        long expectedRevision, ContentFields fields, String actor, ActorRef<ContentReply> replyTo) {
      this(expectedRevision, fields, actor, replyTo, null);
    }
  }

  record Publish(Long expectedRevision, String actor, ActorRef<ContentReply> replyTo)
      implements ContentCommand {}

  record Schedule(Long expectedRevision, Instant at, String actor, ActorRef<ContentReply> replyTo)
      implements ContentCommand {}

  record Unpublish(Long expectedRevision, String actor, ActorRef<ContentReply> replyTo)
      implements ContentCommand {}

  record Archive(Long expectedRevision, String actor, ActorRef<ContentReply> replyTo)
      implements ContentCommand {}

  /**
   * An edit and an unpublish ({@code to} DRAFT) or archive ({@code to} ARCHIVED) in one write: the
   * admin's "save and unpublish" and "save and archive". Either all of it is stored or none, so a
   * refused field never leaves the item withdrawn without the edit, and a published item is
   * unpublished before the edit, so text meant to leave the site is never on it: events
   * [Unpublished, Edited] or [Unpublished, Edited, Archived] for a published item; [Edited,
   * Unpublished] or [Edited, Archived] otherwise. No Edited event when the fields are unchanged.
   */
  record EditAndWithdraw(
      long expectedRevision,
      ContentFields fields,
      ContentStatus to,
      String actor,
      ActorRef<ContentReply> replyTo)
      implements ContentCommand {}

  /**
   * Recreates an item with its whole history, as another Quire journaled it: the events are written
   * as given (revisions, times, actors), all at once, only if the item does not exist yet and the
   * history is a valid life of an item. Its slug and old slugs are claimed first. Used by bundle
   * import and migrations, which must keep dates and revisions.
   */
  record Restore(List<HistoryStep> history, ActorRef<ContentReply> replyTo)
      implements ContentCommand {}

  /** Sent by the publish scheduler when a scheduled item's time has come. */
  record PublishDue(ActorRef<ContentReply> replyTo) implements ContentCommand {}

  record Get(ActorRef<ContentReply> replyTo) implements ContentCommand {}

  /** Asked by the slug registry before it hands a slug to someone else. */
  record CheckSlug(String slug, ActorRef<SlugCommand.Ownership> replyTo)
      implements ContentCommand {}
}
