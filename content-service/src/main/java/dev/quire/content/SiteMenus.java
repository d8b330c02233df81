package dev.quire.content;

import dev.quire.protocol.ErrorCode;
import dev.quire.protocol.FieldError;
import dev.quire.protocol.MenuCommand;
import dev.quire.protocol.MenuCommand.Get;
import dev.quire.protocol.MenuCommand.MenuReply;
import dev.quire.protocol.MenuCommand.MenuTable;
import dev.quire.protocol.MenuCommand.Put;
import dev.quire.protocol.MenuCommand.Remove;
import dev.quire.protocol.QuireSerializable;
import dev.quire.protocol.SiteMenu;
import java.time.Clock;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
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
 * The site's navigation menus, by name. One entity; each change of a menu is one event carrying the
 * whole menu, so a menu is never half-written.
 */
public final class SiteMenus
    extends EventSourcedBehaviorWithEnforcedReplies<MenuCommand, SiteMenus.Event, SiteMenus.State> {

  // ---- events: never renamed ----

  public sealed interface Event extends QuireSerializable {}

  public record MenuPut(SiteMenu menu, Instant at, String actor) implements Event {}

  public record MenuRemoved(String name, Instant at, String actor) implements Event {}

  /** Immutable; {@code version} counts changes. */
  public record State(long version, Map<String, SiteMenu> menus) implements QuireSerializable {
    public State {
      menus = Collections.unmodifiableMap(new TreeMap<>(menus));
    }

    State apply(Event event) {
      Map<String, SiteMenu> next = new TreeMap<>(menus);
      if (event instanceof MenuPut p) {
        next.put(p.menu().name(), p.menu());
      } else if (event instanceof MenuRemoved r) {
        next.remove(r.name());
      }
      return new State(version + 1, next);
    }
  }

  public record Settings(int maxMenus, int snapshotEvery) {}

  public static void init(ActorSystem<?> system, Settings settings) {
    ClusterSharding.get(system)
        .init(
            Entity.of(
                    MenuCommand.ENTITY_KEY,
                    ctx -> create(ctx.getEntityId(), settings, Clock.systemUTC()))
                .withRole("content"));
  }

  public static Behavior<MenuCommand> create(String id, Settings settings, Clock clock) {
    return new SiteMenus(id, settings, clock);
  }

  private final Settings settings;
  private final Clock clock;

  private SiteMenus(String id, Settings settings, Clock clock) {
    super(PersistenceId.of(MenuCommand.ENTITY_KEY.name(), id));
    this.settings = settings;
    this.clock = clock;
  }

  @Override
  public State emptyState() {
    return new State(0, Map.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  @Override
  public CommandHandlerWithReply<MenuCommand, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Put.class, this::onPut)
        .onCommand(Remove.class, this::onRemove)
        .onCommand(
            Get.class,
            (state, cmd) ->
                Effect()
                    .reply(
                        cmd.replyTo(),
                        cmd.knownVersion() == state.version()
                            ? new MenuTable(state.version(), true, null)
                            : new MenuTable(
                                state.version(), false, List.copyOf(state.menus().values()))))
        .build();
  }

  private ReplyEffect<Event, State> onPut(State state, Put cmd) {
    if (cmd.menu() == null) {
      return refuse(cmd.replyTo(), ErrorCode.INVALID, "menu", "is missing");
    }
    Optional<FieldError> problem = cmd.menu().problem();
    if (problem.isPresent()) {
      return refuse(
          cmd.replyTo(), ErrorCode.INVALID, problem.get().field(), problem.get().message());
    }
    if (!state.menus().containsKey(cmd.menu().name())
        && state.menus().size() >= settings.maxMenus()) {
      return refuse(
          cmd.replyTo(),
          ErrorCode.INVALID,
          "name",
          "the site has "
              + state.menus().size()
              + " menus, the limit (quire.content.menus.max-menus)");
    }
    if (cmd.menu().equals(state.menus().get(cmd.menu().name()))) {
      return Effect().reply(cmd.replyTo(), new MenuReply.Stored(state.version()));
    }
    if (stale(state, cmd.expectedVersion())) {
      return refuseStale(state, cmd.expectedVersion(), cmd.replyTo());
    }
    return Effect()
        .persist(new MenuPut(cmd.menu(), clock.instant(), actor(cmd.actor())))
        .thenReply(cmd.replyTo(), s -> new MenuReply.Stored(s.version()));
  }

  private ReplyEffect<Event, State> onRemove(State state, Remove cmd) {
    if (cmd.name() == null || !state.menus().containsKey(cmd.name())) {
      return refuse(
          cmd.replyTo(), ErrorCode.NOT_FOUND, "name", "there is no menu '" + cmd.name() + "'");
    }
    if (stale(state, cmd.expectedVersion())) {
      return refuseStale(state, cmd.expectedVersion(), cmd.replyTo());
    }
    return Effect()
        .persist(new MenuRemoved(cmd.name(), clock.instant(), actor(cmd.actor())))
        .thenReply(cmd.replyTo(), s -> new MenuReply.Stored(s.version()));
  }

  private static boolean stale(State state, Long expectedVersion) {
    return expectedVersion != null && expectedVersion != state.version();
  }

  private ReplyEffect<Event, State> refuseStale(
      State state, long expectedVersion, org.apache.pekko.actor.typed.ActorRef<MenuReply> replyTo) {
    return refuse(
        replyTo,
        ErrorCode.STALE_REVISION,
        "version",
        "the menus were changed after version "
            + expectedVersion
            + " (they are at "
            + state.version()
            + " now)");
  }

  private ReplyEffect<Event, State> refuse(
      org.apache.pekko.actor.typed.ActorRef<MenuReply> replyTo,
      ErrorCode code,
      String field,
      String message) {
    return Effect().reply(replyTo, new MenuReply.Refused(code, field, message));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  private static String actor(String actor) {
    return actor == null || actor.isBlank() ? "unknown" : actor;
  }
}
