package dev.quire.protocol;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * Commands to the sharded slug registry, one entity per slug. Makes slugs unique across the site
 * without a table lock: the entity for a slug decides, and journals who holds it.
 */
public interface SlugCommand extends QuireSerializable {

  EntityTypeKey<SlugCommand> ENTITY_KEY = EntityTypeKey.create(SlugCommand.class, "Slug");

  record Claim(String contentId, ActorRef<ClaimReply> replyTo) implements SlugCommand {}

  record Release(String contentId) implements SlugCommand {}

  record GetOwner(ActorRef<Owner> replyTo) implements SlugCommand {}

  /** {@code granted} false means {@code owner} holds it. */
  record ClaimReply(boolean granted, String owner) implements QuireSerializable {}

  /** {@code contentId} is empty when nobody holds the slug. */
  record Owner(String contentId) implements QuireSerializable {}

  /** Does the content item still use (or redirect from) the slug? */
  record Ownership(boolean owns) implements QuireSerializable {}
}
