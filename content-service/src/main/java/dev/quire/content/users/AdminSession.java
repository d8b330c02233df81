package dev.quire.content.users;

import dev.quire.protocol.QuireSerializable;
import dev.quire.protocol.SessionCommand;
import dev.quire.protocol.SessionCommand.Check;
import dev.quire.protocol.SessionCommand.Close;
import dev.quire.protocol.SessionCommand.Open;
import dev.quire.protocol.SessionCommand.SessionState;
import java.time.Clock;
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

  public record SessionOpened(String username, long credentials, Instant at, Instant expiresAt)
      implements Event {}

  public record SessionClosed(Instant at) implements Event {}

  /** {@code username} null: never opened. */
  public record State(String username, long credentials, Instant expiresAt, boolean closed)
      implements QuireSerializable {
    static final State NEW = new State(null, 0, null, false);

    boolean openAt(Instant now) {
      return username != null && !closed && now.isBefore(expiresAt);
    }
  }

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
            new SessionOpened(cmd.username(), cmd.credentials(), clock.instant(), cmd.expiresAt()))
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
    return Effect().reply(cmd.replyTo(), answer);
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
            (state, e) -> new State(e.username(), e.credentials(), e.expiresAt(), false))
        .onEvent(
            SessionClosed.class,
            (state, e) -> new State(state.username(), state.credentials(), state.expiresAt(), true))
        .build();
  }
}
