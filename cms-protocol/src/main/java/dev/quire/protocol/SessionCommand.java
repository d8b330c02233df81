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

  /**
   * Opens the session until {@code expiresAt}; {@code idleTimeout}, when not null, also ends it
   * once that long passes without a {@link Check}.
   */
  record Open(
      String username,
      long credentials,
      Instant expiresAt,
      java.time.Duration idleTimeout,
      ActorRef<SessionState> replyTo)
      implements SessionCommand {
    /** A session with no idle timeout: it lasts until {@code expiresAt} or its close. */
    public Open(
        String username, long credentials, Instant expiresAt, ActorRef<SessionState> replyTo) {
      this(username, credentials, expiresAt, null, replyTo);
    }
  }

  /** Whether the session is open; for an open one, also a sign that its user is not idle. */
  record Check(ActorRef<SessionState> replyTo) implements SessionCommand {}

  record Close(ActorRef<SessionState> replyTo) implements SessionCommand {}

  /**
   * {@code open} false: never opened, closed, past {@code expiresAt}, or idle too long. {@code
   * credentials} is the user's count when the session opened (see {@link
   * UserCommand.UserView#credentials()}).
   */
  record SessionState(boolean open, String username, long credentials, Instant expiresAt)
      implements QuireSerializable {
    public static final SessionState CLOSED = new SessionState(false, null, 0, null);
  }
}
