package dev.quire.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * Commands to the site's profile (title, description, ... as editors set them): one sharded entity
 * ({@link #SITE}) journals every change, so every gateway shows the same and a bundle carries it.
 */
public interface ProfileCommand extends QuireSerializable {

  EntityTypeKey<ProfileCommand> ENTITY_KEY =
      EntityTypeKey.create(ProfileCommand.class, "SiteProfile");

  String SITE = "site";

  /** Any version: {@link Put} without the check for an edit made meanwhile. */
  long ANY_VERSION = -1;

  /**
   * Sets the whole profile (an unset field goes back to the configuration's value). {@code
   * baseVersion} is the version the editor started from, refused as {@link
   * ErrorCode#STALE_REVISION} when another change came first; {@link #ANY_VERSION} skips the check.
   */
  record Put(SiteProfile profile, long baseVersion, String actor, ActorRef<ProfileReply> replyTo)
      implements ProfileCommand {}

  /** The profile, unless the asker has {@code knownVersion}: then {@code unchanged}. */
  record Get(long knownVersion, ActorRef<ProfileTable> replyTo) implements ProfileCommand {}

  /** {@code changedBy} and {@code changedAt} (ISO-8601) are null before the first change. */
  record ProfileTable(
      long version, boolean unchanged, SiteProfile profile, String changedBy, String changedAt)
      implements QuireSerializable {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = ProfileReply.Stored.class, name = "stored"),
    @JsonSubTypes.Type(value = ProfileReply.Refused.class, name = "refused")
  })
  sealed interface ProfileReply extends QuireSerializable {
    record Stored(long version) implements ProfileReply {}

    record Refused(ErrorCode code, String field, String message) implements ProfileReply {}
  }
}
