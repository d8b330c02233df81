package dev.quire.protocol;

import java.time.Instant;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * Commands to one admin login session, a sharded entity whose id is the SHA-256 (hex) of the
 * session's secret cookie value: any gateway node can check a session, a logout anywhere ends it
 * everywhere, and the journal never holds a usable secret.
 */
public interface SessionCommand extends QuireSerializable {

  EntityTypeKey<SessionCommand> ENTITY_KEY =
      EntityTypeKey.create(SessionCommand.class, "AdminSessions");

  record Open(String username, long credentials, Instant expiresAt, ActorRef<SessionState> replyTo)
      implements SessionCommand {}

  record Check(ActorRef<SessionState> replyTo) implements SessionCommand {}

  record Close(ActorRef<SessionState> replyTo) implements SessionCommand {}

  /**
   * {@code open} false: never opened, closed, or past {@code expiresAt}. {@code credentials} is the
   * user's count when the session opened (see {@link UserCommand.UserView#credentials()}).
   */
  record SessionState(boolean open, String username, long credentials, Instant expiresAt)
      implements QuireSerializable {
    public static final SessionState CLOSED = new SessionState(false, null, 0, null);
  }
}
