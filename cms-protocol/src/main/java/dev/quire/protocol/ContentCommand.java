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

  record CreateDraft(
      ContentKind kind, ContentFields fields, String actor, ActorRef<ContentReply> replyTo)
      implements ContentCommand {}

  record Edit(
      long expectedRevision, ContentFields fields, String actor, ActorRef<ContentReply> replyTo)
      implements ContentCommand {}

  record Publish(Long expectedRevision, String actor, ActorRef<ContentReply> replyTo)
      implements ContentCommand {}

  record Schedule(Long expectedRevision, Instant at, String actor, ActorRef<ContentReply> replyTo)
      implements ContentCommand {}

  record Unpublish(Long expectedRevision, String actor, ActorRef<ContentReply> replyTo)
      implements ContentCommand {}

  record Archive(Long expectedRevision, String actor, ActorRef<ContentReply> replyTo)
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
