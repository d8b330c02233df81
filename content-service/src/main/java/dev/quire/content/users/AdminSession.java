package dev.quire.content.users;

import dev.quire.protocol.QuireSerializable;
import dev.quire.protocol.SessionCommand;
import dev.quire.protocol.SessionCommand.Check;
import dev.quire.protocol.SessionCommand.Close;
import dev.quire.protocol.SessionCommand.Open;
import dev.quire.protocol.SessionCommand.SessionState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * One admin login session (see {@link SessionCommand}). Opened once, closed once: a closed or
 * expired session never opens again, so a stolen cookie dies at logout on every gateway.
 */
public final class AdminSession
    extends EventSourcedBehaviorWithEnforcedReplies<
        SessionCommand, AdminSession.Event, AdminSession.State> {

  // ---- events: never renamed ----

  public sealed interface Event extends QuireSerializable {}

  /** {@code idleTimeout}: null for none (as in every event stored before idle timeouts were). */
  public record SessionOpened(
      String username, long credentials, Instant at, Instant expiresAt, Duration idleTimeout)
      implements Event {
    public SessionOpened(String username, long credentials, Instant at, Instant expiresAt) {
      this(username, credentials, at, expiresAt, null);
    }
  }

  public record SessionClosed(Instant at) implements Event {}

  /** The session was used at {@code at}: its idle timeout counts from here. */
  public record SessionSeen(Instant at) implements Event {}

  /**
   * {@code username} null: never opened. {@code lastSeen}: the last use journaled (see {@link
   * #SEEN_STEPS}); {@code idleTimeout} null: none.
   */
  public record State(
      String username,
      long credentials,
      Instant expiresAt,
      boolean closed,
      Duration idleTimeout,
      Instant lastSeen)
      implements QuireSerializable {
    static final State NEW = new State(null, 0, null, false, null, null);

    boolean openAt(Instant now) {
      return username != null
          && !closed
          && now.isBefore(expiresAt)
          && (idleTimeout == null || lastSeen == null || now.isBefore(lastSeen.plus(idleTimeout)));
    }

    /** Whether a use at {@code now} should be journaled: a step has passed since the last. */
    boolean seenIsStale(Instant now) {
      return idleTimeout != null
          && lastSeen != null
          && !now.isBefore(lastSeen.plus(idleTimeout.dividedBy(SEEN_STEPS)));
    }
  }

  /**
   * A session's use is journaled at most once per this fraction of its idle timeout (10 minutes of
   * 2 hours), not at every request: the session then ends between 11/12 of the idle timeout and all
   * of it after its last request.
   */
  static final int SEEN_STEPS = 12;

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system)
        .init(
            Entity.of(
                    SessionCommand.ENTITY_KEY,
                    ctx ->
                        Behaviors.<SessionCommand>setup(
                            actor ->
                                new AdminSession(
                                    ctx.getEntityId(),
                                    Clock.systemUTC(),
                                    () ->
                                        ctx.getShard()
                                            .tell(
                                                new ClusterSharding.Passivate<>(actor.getSelf())))))
                .withRole("content"));
  }

  /** An entity outside sharding (tests): nothing to passivate with. */
  public static Behavior<SessionCommand> create(String id, Clock clock) {
    return create(id, clock, () -> {});
  }

  /** {@code passivate}: what asks the entity's shard to passivate it. */
  public static Behavior<SessionCommand> create(String id, Clock clock, Runnable passivate) {
    return new AdminSession(id, clock, passivate);
  }

  private final Clock clock;
  private final Runnable passivate;

  private AdminSession(String id, Clock clock, Runnable passivate) {
    super(PersistenceId.of(SessionCommand.ENTITY_KEY.name(), id));
    this.clock = clock;
    this.passivate = passivate;
  }

  @Override
  public State emptyState() {
    return State.NEW;
  }

  @Override
  public CommandHandlerWithReply<SessionCommand, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Open.class, this::onOpen)
        .onCommand(Check.class, this::onCheck)
        .onCommand(Close.class, this::onClose)
        .build();
  }

  private ReplyEffect<Event, State> onOpen(State state, Open cmd) {
    if (state.username() != null || cmd.username() == null || cmd.expiresAt() == null) {
      // An id is a fresh random secret's hash: a second open is a collision or a replay.
      return Effect().reply(cmd.replyTo(), SessionState.CLOSED);
    }
    return Effect()
        .persist(
            new SessionOpened(
                cmd.username(),
                cmd.credentials(),
                clock.instant(),
                cmd.expiresAt(),
                positive(cmd.idleTimeout())))
        .thenReply(cmd.replyTo(), this::answer);
  }

  /**
   * A session that is not open asks its shard to passivate it: a made-up or old cookie costs one
   * journal read and keeps nothing in memory. Passivation, not a stop: sharding holds the messages
   * that arrive meanwhile for the next incarnation, where a stop would drop the checks of other
   * requests already queued.
   */
  private ReplyEffect<Event, State> onCheck(State state, Check cmd) {
    SessionState answer = answer(state);
    if (!answer.open()) {
      return Effect().none().thenRun(s -> passivate.run()).thenReply(cmd.replyTo(), s -> answer);
    }
    Instant now = clock.instant();
    if (state.seenIsStale(now)) {
      return Effect().persist(new SessionSeen(now)).thenReply(cmd.replyTo(), s -> answer);
    }
    return Effect().reply(cmd.replyTo(), answer);
  }

  private static Duration positive(Duration d) {
    return d == null || d.isZero() || d.isNegative() ? null : d;
  }

  private ReplyEffect<Event, State> onClose(State state, Close cmd) {
    if (state.username() == null || state.closed()) {
      return Effect()
          .none()
          .thenRun(s -> passivate.run())
          .thenReply(cmd.replyTo(), s -> SessionState.CLOSED);
    }
    return Effect()
        .persist(new SessionClosed(clock.instant()))
        .thenReply(cmd.replyTo(), s -> SessionState.CLOSED);
  }

  private SessionState answer(State state) {
    return state.openAt(clock.instant())
        ? new SessionState(true, state.username(), state.credentials(), state.expiresAt())
        : SessionState.CLOSED;
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(
            SessionOpened.class,
            (state, e) ->
                new State(
                    e.username(), e.credentials(), e.expiresAt(), false, e.idleTimeout(), e.at()))
        .onEvent(
            SessionClosed.class,
            (state, e) ->
                new State(
                    state.username(),
                    state.credentials(),
                    state.expiresAt(),
                    true,
                    state.idleTimeout(),
                    state.lastSeen()))
        .onEvent(
            SessionSeen.class,
            (state, e) ->
                new State(
                    state.username(),
                    state.credentials(),
                    state.expiresAt(),
                    state.closed(),
                    state.idleTimeout(),
                    e.at()))
        .build();
  }
}
