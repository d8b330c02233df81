package dev.quire.content;

import dev.quire.protocol.ErrorCode;
import dev.quire.protocol.FieldError;
import dev.quire.protocol.ProfileCommand;
import dev.quire.protocol.ProfileCommand.Get;
import dev.quire.protocol.ProfileCommand.ProfileReply;
import dev.quire.protocol.ProfileCommand.ProfileTable;
import dev.quire.protocol.ProfileCommand.Put;
import dev.quire.protocol.QuireSerializable;
import dev.quire.protocol.SiteProfile;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The site's profile (title, description, author, language, posts per page) as editors set it. One
 * entity; each change is one event carrying the whole profile, so it is never half-written, and the
 * journal is its history: who changed it and when.
 */
public final class SiteProfileEntity
    extends EventSourcedBehaviorWithEnforcedReplies<
        ProfileCommand, SiteProfileEntity.Event, SiteProfileEntity.State> {

  // ---- events: never renamed ----

  public sealed interface Event extends QuireSerializable {}

  public record ProfileSet(SiteProfile profile, Instant at, String actor) implements Event {}

  /** Immutable; {@code version} counts changes; {@code at} and {@code by} are the last one's. */
  public record State(long version, SiteProfile profile, Instant at, String by)
      implements QuireSerializable {

    State apply(Event event) {
      ProfileSet set = (ProfileSet) event;
      return new State(version + 1, set.profile(), set.at(), set.actor());
    }
  }

  public record Settings(int snapshotEvery) {}

  public static void init(ActorSystem<?> system, Settings settings) {
    ClusterSharding.get(system)
        .init(
            Entity.of(
                    ProfileCommand.ENTITY_KEY,
                    ctx -> create(ctx.getEntityId(), settings, Clock.systemUTC()))
                .withRole("content"));
  }

  public static Behavior<ProfileCommand> create(String id, Settings settings, Clock clock) {
    return new SiteProfileEntity(id, settings, clock);
  }

  private final Settings settings;
  private final Clock clock;

  private SiteProfileEntity(String id, Settings settings, Clock clock) {
    super(PersistenceId.of(ProfileCommand.ENTITY_KEY.name(), id));
    this.settings = settings;
    this.clock = clock;
  }

  @Override
  public State emptyState() {
    return new State(0, SiteProfile.NONE, null, null);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  @Override
  public CommandHandlerWithReply<ProfileCommand, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Put.class, this::onPut)
        .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), table(state, cmd)))
        .build();
  }

  private static ProfileTable table(State state, Get cmd) {
    return cmd.knownVersion() == state.version()
        ? new ProfileTable(state.version(), true, null, null, null)
        : new ProfileTable(
            state.version(),
            false,
            state.profile(),
            state.by(),
            state.at() == null ? null : state.at().toString());
  }

  private ReplyEffect<Event, State> onPut(State state, Put cmd) {
    if (cmd.profile() == null) {
      return refuse(cmd.replyTo(), ErrorCode.INVALID, "profile", "is missing");
    }
    Optional<FieldError> problem = cmd.profile().problem();
    if (problem.isPresent()) {
      return refuse(
          cmd.replyTo(), ErrorCode.INVALID, problem.get().field(), problem.get().message());
    }
    // The same profile is done, whatever version it started from: a retried save (its answer
    // lost, a double click) is not a conflict with itself.
    if (cmd.profile().equals(state.profile())) {
      return Effect().reply(cmd.replyTo(), new ProfileReply.Stored(state.version()));
    }
    if (cmd.baseVersion() != ProfileCommand.ANY_VERSION && cmd.baseVersion() != state.version()) {
      return refuse(
          cmd.replyTo(),
          ErrorCode.STALE_REVISION,
          "version",
          "the settings were changed"
              + (state.by() == null ? "" : " by " + state.by())
              + " since version "
              + cmd.baseVersion()
              + " (now "
              + state.version()
              + ")");
    }
    return Effect()
        .persist(new ProfileSet(cmd.profile(), clock.instant(), actor(cmd.actor())))
        .thenReply(cmd.replyTo(), s -> new ProfileReply.Stored(s.version()));
  }

  private ReplyEffect<Event, State> refuse(
      ActorRef<ProfileReply> replyTo, ErrorCode code, String field, String message) {
    return Effect().reply(replyTo, new ProfileReply.Refused(code, field, message));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  private static String actor(String actor) {
    return actor == null || actor.isBlank() ? "unknown" : actor;
  }
}
