package dev.quire.content;

import dev.quire.protocol.ContentCommand;
import dev.quire.protocol.QuireSerializable;
import dev.quire.protocol.SlugCommand;
import dev.quire.protocol.SlugCommand.Claim;
import dev.quire.protocol.SlugCommand.ClaimReply;
import dev.quire.protocol.SlugCommand.GetOwner;
import dev.quire.protocol.SlugCommand.Owner;
import dev.quire.protocol.SlugCommand.Release;
import java.time.Duration;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * The authority on one slug: which content item holds it. Slugs are unique across the site because
 * every claim for a slug is decided here, one at a time. When another item asks for a held slug,
 * the holder is asked whether it still uses it (as its slug or as a redirect); only if it does not
 * is the slug handed on. That also recovers a claim whose item never got created.
 */
public final class SlugClaim
    extends EventSourcedBehaviorWithEnforcedReplies<SlugCommand, SlugClaim.Event, SlugClaim.State> {

  public sealed interface Event extends QuireSerializable {}

  public record Claimed(String slug, String contentId) implements Event {}

  public record Released(String slug, String contentId) implements Event {}

  /** {@code owner} is empty when the slug is free. */
  public record State(String owner) implements QuireSerializable {}

  private record OwnerChecked(Claim claim, boolean stillUsed) implements SlugCommand {}

  /** Local only: sharding's request to stop; waits in the stash while an owner is checked. */
  record Passivate() implements SlugCommand {}

  public static void init(
      ActorSystem<?> system, Duration checkTimeout, SlugRegistry registry, int activeEntityLimit) {
    ClusterSharding.get(system)
        .init(
            Entity.of(
                    SlugCommand.ENTITY_KEY,
                    ctx -> create(ctx.getEntityId(), checkTimeout, registry))
                .withSettings(Content.boundedPassivation(system, activeEntityLimit))
                .withStopMessage(new Passivate())
                .withRole("content"));
  }

  public static Behavior<SlugCommand> create(
      String slug, Duration checkTimeout, SlugRegistry registry) {
    return Behaviors.setup(ctx -> new SlugClaim(slug, checkTimeout, registry, ctx));
  }

  private final String slug;
  private final Duration checkTimeout;
  private final SlugRegistry registry;
  private final ActorContext<SlugCommand> context;
  private boolean checkingOwner;

  private SlugClaim(
      String slug, Duration checkTimeout, SlugRegistry registry, ActorContext<SlugCommand> ctx) {
    super(PersistenceId.of(SlugCommand.ENTITY_KEY.name(), slug));
    this.slug = slug;
    this.checkTimeout = checkTimeout;
    this.registry = registry;
    this.context = ctx;
  }

  @Override
  public State emptyState() {
    return new State("");
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of("slug");
  }

  @Override
  public CommandHandlerWithReply<SlugCommand, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(OwnerChecked.class, this::onOwnerChecked)
        .onCommand(c -> checkingOwner, c -> Effect().stash())
        .onCommand(Passivate.class, c -> Effect().stop().thenNoReply())
        .onCommand(Claim.class, this::onClaim)
        .onCommand(Release.class, this::onRelease)
        .onCommand(
            GetOwner.class, (state, cmd) -> Effect().reply(cmd.replyTo(), new Owner(state.owner())))
        .build();
  }

  private ReplyEffect<Event, State> onClaim(State state, Claim cmd) {
    if (state.owner().equals(cmd.contentId())) {
      return Effect().reply(cmd.replyTo(), new ClaimReply(true, cmd.contentId()));
    }
    if (state.owner().isEmpty()) {
      return grant(cmd);
    }
    checkingOwner = true;
    context.ask(
        SlugCommand.Ownership.class,
        registry.content(state.owner()),
        checkTimeout,
        replyTo -> new ContentCommand.CheckSlug(slug, replyTo),
        // No answer means we cannot know: keep the slug with its holder.
        (answer, failure) -> new OwnerChecked(cmd, failure != null || answer.owns()));
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onOwnerChecked(State state, OwnerChecked msg) {
    checkingOwner = false;
    if (msg.stillUsed()) {
      return Effect()
          .none()
          .thenReply(msg.claim().replyTo(), s -> new ClaimReply(false, s.owner()))
          .thenUnstashAll();
    }
    return Effect()
        .persist(new Claimed(slug, msg.claim().contentId()))
        .thenReply(msg.claim().replyTo(), s -> new ClaimReply(true, s.owner()))
        .thenUnstashAll();
  }

  private ReplyEffect<Event, State> grant(Claim cmd) {
    return Effect()
        .persist(new Claimed(slug, cmd.contentId()))
        .thenReply(cmd.replyTo(), s -> new ClaimReply(true, s.owner()));
  }

  private ReplyEffect<Event, State> onRelease(State state, Release cmd) {
    if (!state.owner().equals(cmd.contentId())) {
      return Effect().noReply();
    }
    return Effect().persist(new Released(slug, cmd.contentId())).thenNoReply();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Claimed.class, (s, e) -> new State(e.contentId()))
        .onEvent(Released.class, (s, e) -> new State(""))
        .build();
  }
}
