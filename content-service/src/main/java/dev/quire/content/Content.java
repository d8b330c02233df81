package dev.quire.content;

import dev.quire.protocol.ContentCommand;
import dev.quire.protocol.ContentCommand.Archive;
import dev.quire.protocol.ContentCommand.CheckSlug;
import dev.quire.protocol.ContentCommand.Create;
import dev.quire.protocol.ContentCommand.Edit;
import dev.quire.protocol.ContentCommand.EditAndWithdraw;
import dev.quire.protocol.ContentCommand.Get;
import dev.quire.protocol.ContentCommand.Initially;
import dev.quire.protocol.ContentCommand.Publish;
import dev.quire.protocol.ContentCommand.PublishDue;
import dev.quire.protocol.ContentCommand.Restore;
import dev.quire.protocol.ContentCommand.Schedule;
import dev.quire.protocol.ContentCommand.Unpublish;
import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentReply;
import dev.quire.protocol.ContentReply.Accepted;
import dev.quire.protocol.ContentReply.Rejected;
import dev.quire.protocol.ContentRules;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.ContentStatus;
import dev.quire.protocol.ErrorCode;
import dev.quire.protocol.FieldError;
import dev.quire.protocol.HistoryStep;
import dev.quire.protocol.QuireSerializable;
import dev.quire.protocol.SlugCommand;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * One post or page: the only writer of its content. Validates every command against its state,
 * journals events, and answers every command. A new or changed slug is first claimed from the
 * slug's own entity ({@link SlugClaim}); other commands wait (stashed) until that answer arrives,
 * so two items can never hold the same slug.
 */
public final class Content
    extends EventSourcedBehaviorWithEnforcedReplies<ContentCommand, Content.Event, Content.State> {

  /** Every content event carries this tag; the read-model projection follows it. */
  public static final String TAG = "content";

  // ---- events: never renamed; a shape change needs a migration (see EventReplayFixtureTest) ----

  public sealed interface Event extends QuireSerializable {
    String contentId();

    long revision();

    Instant at();

    String actor();
  }

  public record DraftCreated(
      String contentId,
      long revision,
      ContentKind kind,
      ContentFields fields,
      Instant at,
      String actor)
      implements Event {}

  /**
   * {@code aliasAdded}: the old slug keeps answering with a redirect (the item had been published).
   * {@code slugReleased}: the old slug was never public and is free again. {@code revertedTo}: for
   * a revert, the revision whose fields this wrote back; null for an ordinary edit, and in every
   * event written before it existed.
   */
  public record Edited(
      String contentId,
      long revision,
      ContentFields fields,
      String aliasAdded,
      String slugReleased,
      Instant at,
      String actor,
      Long revertedTo)
      implements Event {

    public Edited(
        String contentId,
        long revision,
        ContentFields fields,
        String aliasAdded,
        String slugReleased,
        Instant at,
        String actor) {
      this(contentId, revision, fields, aliasAdded, slugReleased, at, actor, null);
    }
  }

  /**
   * {@code publishedAt}: when the item counts as first published, if that is not {@code at} (an
   * imported post's past publish date); null in every event written before it existed.
   */
  public record Published(
      String contentId, long revision, Instant at, String actor, Instant publishedAt)
      implements Event {
    public Published(String contentId, long revision, Instant at, String actor) {
      this(contentId, revision, at, actor, null);
    }
  }

  public record PublishScheduled(
      String contentId, long revision, Instant publishAt, Instant at, String actor)
      implements Event {}

  public record Unpublished(String contentId, long revision, Instant at, String actor)
      implements Event {}

  public record Archived(String contentId, long revision, Instant at, String actor)
      implements Event {}

  // ---- state ----

  /**
   * Immutable; {@code kind == null} until the item is created. {@code createdBy}: the actor of its
   * created step (the user who started it); null in snapshots taken before it was kept.
   */
  public record State(
      ContentKind kind,
      ContentStatus status,
      long revision,
      ContentFields fields,
      Instant createdAt,
      Instant updatedAt,
      Instant publishedAt,
      Instant scheduledAt,
      List<String> aliases,
      String createdBy)
      implements QuireSerializable {

    public State {
      aliases = aliases == null ? List.of() : List.copyOf(aliases);
    }

    public State(
        ContentKind kind,
        ContentStatus status,
        long revision,
        ContentFields fields,
        Instant createdAt,
        Instant updatedAt,
        Instant publishedAt,
        Instant scheduledAt,
        List<String> aliases) {
      this(
          kind,
          status,
          revision,
          fields,
          createdAt,
          updatedAt,
          publishedAt,
          scheduledAt,
          aliases,
          null);
    }

    public static State empty() {
      return new State(null, null, 0, null, null, null, null, null, List.of());
    }

    public boolean exists() {
      return kind != null;
    }

    /** A slug the item answers to: its own, or one it redirects from. */
    boolean answersTo(String slug) {
      return exists() && (fields.slug().equals(slug) || aliases.contains(slug));
    }

    public ContentSnapshot snapshot(String id) {
      return new ContentSnapshot(
          id,
          kind,
          status,
          revision,
          fields,
          createdAt,
          updatedAt,
          publishedAt,
          scheduledAt,
          aliases,
          createdBy);
    }

    /** This item moved to {@code to} at {@code rev}: its text, aliases and who started it kept. */
    private State step(
        ContentStatus to, long rev, Instant at, Instant published, Instant scheduled) {
      return new State(
          kind, to, rev, fields, createdAt, at, published, scheduled, aliases, createdBy);
    }

    public State apply(Event event) {
      long rev = event.revision();
      Instant at = event.at();
      if (event instanceof DraftCreated e) {
        return new State(
            e.kind(),
            ContentStatus.DRAFT,
            rev,
            e.fields(),
            at,
            at,
            null,
            null,
            List.of(),
            e.actor());
      } else if (event instanceof Edited e) {
        List<String> newAliases = new ArrayList<>(aliases);
        newAliases.remove(e.fields().slug());
        if (e.aliasAdded() != null && !newAliases.contains(e.aliasAdded())) {
          newAliases.add(e.aliasAdded());
        }
        return new State(
            kind,
            status,
            rev,
            e.fields(),
            createdAt,
            at,
            publishedAt,
            scheduledAt,
            newAliases,
            createdBy);
      } else if (event instanceof Published e) {
        Instant first =
            publishedAt != null ? publishedAt : e.publishedAt() != null ? e.publishedAt() : at;
        return step(ContentStatus.PUBLISHED, rev, at, first, null);
      } else if (event instanceof PublishScheduled e) {
        return step(ContentStatus.SCHEDULED, rev, at, publishedAt, e.publishAt());
      } else if (event instanceof Unpublished) {
        return step(ContentStatus.DRAFT, rev, at, publishedAt, null);
      } else if (event instanceof Archived) {
        return step(ContentStatus.ARCHIVED, rev, at, publishedAt, null);
      }
      throw new IllegalStateException("unknown event " + event);
    }
  }

  /** Local only: the slug entity's answer to a claim, piped back to this entity. */
  private record SlugClaimed(ContentCommand original, SlugCommand.ClaimReply reply, String failure)
      implements ContentCommand {}

  /**
   * Local only: sharding's request that this entity stop (passivation, hand-off). While a slug
   * claim is under way it waits in the stash like any other command, so an entity is never stopped
   * between asking for its slug and persisting what it was asked to do.
   */
  record Passivate() implements ContentCommand {}

  // ---- which commands each status accepts: the whole lifecycle in one table ----

  private static final Set<ContentStatus> EDITABLE =
      EnumSet.of(ContentStatus.DRAFT, ContentStatus.SCHEDULED, ContentStatus.PUBLISHED);
  private static final Set<ContentStatus> PUBLISHABLE =
      EnumSet.of(ContentStatus.DRAFT, ContentStatus.SCHEDULED, ContentStatus.ARCHIVED);
  private static final Set<ContentStatus> SCHEDULABLE =
      EnumSet.of(ContentStatus.DRAFT, ContentStatus.SCHEDULED);
  // An archived item goes back to the drafts too (before, only publishing it brought it back,
  // and its text went live on the way).
  private static final Set<ContentStatus> UNPUBLISHABLE =
      EnumSet.of(ContentStatus.PUBLISHED, ContentStatus.SCHEDULED, ContentStatus.ARCHIVED);
  private static final Set<ContentStatus> ARCHIVABLE =
      EnumSet.of(ContentStatus.DRAFT, ContentStatus.SCHEDULED, ContentStatus.PUBLISHED);
  // An edit saved with the withdrawal: not of an archived item, which cannot be edited (its
  // history would say "edited while archived", which no restore accepts).
  private static final Set<ContentStatus> EDITED_AND_UNPUBLISHABLE =
      EnumSet.of(ContentStatus.PUBLISHED, ContentStatus.SCHEDULED);

  // ---- wiring ----

  public record Settings(ContentRules rules, Duration claimTimeout, int snapshotEvery) {}

  public static void init(
      ActorSystem<?> system, Settings settings, SlugRegistry registry, int activeEntityLimit) {
    ClusterSharding.get(system)
        .init(
            Entity.of(
                    ContentCommand.ENTITY_KEY,
                    ctx -> create(ctx.getEntityId(), settings, registry, Clock.systemUTC()))
                .withSettings(boundedPassivation(system, activeEntityLimit))
                .withStopMessage(new Passivate())
                .withRole("content"));
  }

  /**
   * The configured idle passivation, plus at most {@code activeEntityLimit} entities alive in a
   * node's region (least recently used stop first): an import or a bulk change touches every item
   * within the idle timeout, and without a bound every entity it started stayed in the heap.
   */
  static ClusterShardingSettings boundedPassivation(ActorSystem<?> system, int activeEntityLimit) {
    ClusterShardingSettings settings = ClusterShardingSettings.create(system);
    return settings.withPassivationStrategy(
        settings
            .passivationStrategySettings()
            .withActiveEntityLimit(activeEntityLimit)
            .withLeastRecentlyUsedReplacement());
  }

  public static Behavior<ContentCommand> create(
      String contentId, Settings settings, SlugRegistry registry, Clock clock) {
    return Behaviors.setup(ctx -> new Content(contentId, settings, registry, clock, ctx));
  }

  private final String contentId;
  private final Settings settings;
  private final SlugRegistry registry;
  private final Clock clock;
  private final ActorContext<ContentCommand> context;

  /**
   * Transient, not state: true while a slug claim is in flight. Lost on restart, which is fine: the
   * claim is idempotent and the editor's ask times out and is retried.
   */
  private boolean awaitingSlug;

  /** Transient: the slug whose claim is in flight. */
  private String claiming;

  /** Transient: for a {@link Restore} in flight, its events and the slugs still to claim. */
  private List<Event> restoring;

  private List<String> restoreClaims;

  private Content(
      String contentId,
      Settings settings,
      SlugRegistry registry,
      Clock clock,
      ActorContext<ContentCommand> context) {
    super(PersistenceId.of(ContentCommand.ENTITY_KEY.name(), contentId));
    this.contentId = contentId;
    this.settings = settings;
    this.registry = registry;
    this.clock = clock;
    this.context = context;
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(TAG);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  @Override
  public CommandHandlerWithReply<ContentCommand, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(SlugClaimed.class, this::onSlugClaimed)
        .onCommand(c -> awaitingSlug, c -> Effect().stash())
        .onCommand(Passivate.class, c -> Effect().stop().thenNoReply())
        .onCommand(Get.class, this::onGet)
        .onCommand(CheckSlug.class, this::onCheckSlug)
        .onCommand(Create.class, this::onCreate)
        .onCommand(Edit.class, this::onEdit)
        .onCommand(Publish.class, this::onPublish)
        .onCommand(Schedule.class, this::onSchedule)
        .onCommand(Unpublish.class, this::onUnpublish)
        .onCommand(Archive.class, this::onArchive)
        .onCommand(EditAndWithdraw.class, this::onEditAndWithdraw)
        .onCommand(PublishDue.class, this::onPublishDue)
        .onCommand(Restore.class, this::onRestore)
        .build();
  }

  private ReplyEffect<Event, State> onGet(State state, Get cmd) {
    if (!state.exists()) {
      return Effect().reply(cmd.replyTo(), notFound());
    }
    return Effect().reply(cmd.replyTo(), new Accepted(state.snapshot(contentId)));
  }

  private ReplyEffect<Event, State> onCheckSlug(State state, CheckSlug cmd) {
    return Effect().reply(cmd.replyTo(), new SlugCommand.Ownership(state.answersTo(cmd.slug())));
  }

  private ReplyEffect<Event, State> onCreate(State state, Create cmd) {
    if (state.exists()) {
      return Effect()
          .reply(
              cmd.replyTo(),
              Rejected.of(ErrorCode.ALREADY_EXISTS, "id", "content " + contentId + " exists"));
    }
    Rejected badStart = initialRefusal(cmd.then());
    if (badStart != null) {
      return Effect().reply(cmd.replyTo(), badStart);
    }
    ContentFields fields = normalise(cmd.fields());
    Rejected badFields = fieldRefusal(cmd.kind(), fields, null);
    if (badFields != null) {
      return Effect().reply(cmd.replyTo(), badFields);
    }
    return claimThen(cmd, fields.slug());
  }

  private ReplyEffect<Event, State> onEdit(State state, Edit cmd) {
    ReplyEffect<Event, State> refused =
        refuse(state, cmd.expectedRevision(), EDITABLE, "edit", cmd.replyTo());
    if (refused != null) {
      return refused;
    }
    if (cmd.revertedTo() != null && (cmd.revertedTo() < 1 || cmd.revertedTo() > state.revision())) {
      return Effect()
          .reply(
              cmd.replyTo(),
              Rejected.of(
                  ErrorCode.INVALID,
                  "to",
                  "must be a revision of this item, 1 to "
                      + state.revision()
                      + ", was "
                      + cmd.revertedTo()));
    }
    ContentFields fields = normalise(cmd.fields());
    Rejected badFields = fieldRefusal(state.kind(), fields, state.fields());
    if (badFields != null) {
      return Effect().reply(cmd.replyTo(), badFields);
    }
    if (fields.equals(state.fields())) {
      return Effect().reply(cmd.replyTo(), new Accepted(state.snapshot(contentId)));
    }
    if (state.answersTo(fields.slug())) {
      return persistEdit(state, cmd, fields);
    }
    return claimThen(cmd, fields.slug());
  }

  private ReplyEffect<Event, State> claimThen(ContentCommand original, String slug) {
    awaitingSlug = true;
    claiming = slug;
    context.ask(
        SlugCommand.ClaimReply.class,
        registry.slug(slug),
        settings.claimTimeout(),
        replyTo -> new SlugCommand.Claim(contentId, replyTo),
        (reply, failure) ->
            new SlugClaimed(original, reply, failure == null ? null : failure.toString()));
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onSlugClaimed(State state, SlugClaimed msg) {
    awaitingSlug = false;
    ContentCommand original = msg.original();
    ActorRef<ContentReply> replyTo = replyTo(original);
    if (msg.failure() != null) {
      return Effect()
          .none()
          .thenReply(
              replyTo,
              s ->
                  Rejected.of(
                      ErrorCode.UNAVAILABLE, "slug", "the slug registry did not answer in time"))
          .thenUnstashAll();
    }
    String slug = claiming;
    if (!msg.reply().granted()) {
      return Effect()
          .none()
          .thenReply(
              replyTo,
              s ->
                  Rejected.of(
                      ErrorCode.SLUG_TAKEN,
                      "slug",
                      "'" + slug + "' is already used by content " + msg.reply().owner()))
          .thenUnstashAll();
    }
    if (original instanceof Restore r) {
      return onRestoreClaimed(state, r);
    }
    if (original instanceof Create c) {
      if (state.exists()) {
        return Effect()
            .none()
            .thenReply(
                replyTo,
                s ->
                    Rejected.of(ErrorCode.ALREADY_EXISTS, "id", "content " + contentId + " exists"))
            .thenUnstashAll();
      }
      Instant at = now();
      String who = actor(c.actor());
      Event created = new DraftCreated(contentId, 1, c.kind(), normalise(c.fields()), at, who);
      Initially then = c.then() == null ? Initially.DRAFT : c.then();
      List<Event> events =
          switch (then.status()) {
            case PUBLISHED ->
                List.of(created, new Published(contentId, 2, at, who, then.scheduleAt()));
            case SCHEDULED ->
                List.of(created, new PublishScheduled(contentId, 2, then.scheduleAt(), at, who));
            default -> List.of(created);
          };
      return Effect()
          .persist(events)
          .thenReply(replyTo, s -> new Accepted(s.snapshot(contentId)))
          .thenUnstashAll();
    }
    if (original instanceof EditAndWithdraw w) {
      Rejected refused = withdrawRefusal(state, w);
      if (refused != null) {
        return Effect().none().thenReply(replyTo, s -> refused).thenUnstashAll();
      }
      return persistEditAndWithdraw(state, w, normalise(w.fields()));
    }
    Edit e = (Edit) original;
    Rejected refused = rejection(state, e.expectedRevision(), EDITABLE, "edit");
    if (refused != null) {
      // The claim stays with us; the slug registry hands it on once we no longer use it.
      return Effect().none().thenReply(replyTo, s -> refused).thenUnstashAll();
    }
    return persistEdit(state, e, normalise(e.fields()));
  }

  private ReplyEffect<Event, State> persistEdit(State state, Edit cmd, ContentFields fields) {
    Edited edited =
        edited(state, fields, state.revision() + 1, now(), actor(cmd.actor()), cmd.revertedTo());
    return persistReleasing(List.of(edited), edited.slugReleased(), cmd.replyTo());
  }

  /**
   * {@code events} persisted, then the slug the item gave up (if any) released for others to take,
   * and the item as it is then answered.
   */
  private ReplyEffect<Event, State> persistReleasing(
      List<Event> events, String released, ActorRef<ContentReply> replyTo) {
    return Effect()
        .persist(events)
        .thenRun(
            s -> {
              if (released != null) {
                registry.slug(released).tell(new SlugCommand.Release(contentId));
              }
            })
        .thenReply(replyTo, s -> new Accepted(s.snapshot(contentId)))
        .thenUnstashAll();
  }

  /**
   * The edit of {@code fields} at {@code revision}: a published item's old slug stays as an alias
   * (its URL keeps answering with a redirect), a never-published one's is released.
   */
  private Edited edited(
      State state, ContentFields fields, long revision, Instant at, String who, Long revertedTo) {
    String oldSlug = state.fields().slug();
    String alias = null;
    String released = null;
    if (!oldSlug.equals(fields.slug())) {
      if (state.publishedAt() != null) {
        alias = oldSlug;
      } else {
        released = oldSlug;
      }
    }
    return new Edited(contentId, revision, fields, alias, released, at, who, revertedTo);
  }

  private ReplyEffect<Event, State> onEditAndWithdraw(State state, EditAndWithdraw cmd) {
    Rejected refused = withdrawRefusal(state, cmd);
    if (refused != null) {
      return Effect().reply(cmd.replyTo(), refused);
    }
    ContentFields fields = normalise(cmd.fields());
    Rejected badFields = fieldRefusal(state.kind(), fields, state.fields());
    if (badFields != null) {
      return Effect().reply(cmd.replyTo(), badFields);
    }
    if (fields.equals(state.fields()) || state.answersTo(fields.slug())) {
      return persistEditAndWithdraw(state, cmd, fields);
    }
    return claimThen(cmd, fields.slug());
  }

  /**
   * Why normalised {@code fields} break the site's rules for a {@code kind}, or null; {@code
   * stored}: the item's fields now (null for a new item), whose body is not checked again.
   */
  private Rejected fieldRefusal(ContentKind kind, ContentFields fields, ContentFields stored) {
    List<FieldError> errors = settings.rules().validate(kind, fields, stored);
    return errors.isEmpty() ? null : Rejected.invalid(errors);
  }

  /** Why {@code cmd} cannot apply to the item as it is now, or null. */
  private Rejected withdrawRefusal(State state, EditAndWithdraw cmd) {
    return switch (cmd.to()) {
      case DRAFT -> rejection(state, cmd.expectedRevision(), EDITED_AND_UNPUBLISHABLE, "unpublish");
      case ARCHIVED -> rejection(state, cmd.expectedRevision(), ARCHIVABLE, "archive");
      default ->
          Rejected.of(
              ErrorCode.INVALID,
              "to",
              "must be draft (unpublish) or archived, was " + cmd.to().id());
    };
  }

  private ReplyEffect<Event, State> persistEditAndWithdraw(
      State state, EditAndWithdraw cmd, ContentFields fields) {
    Instant at = now();
    String who = actor(cmd.actor());
    List<Event> events = new ArrayList<>();
    long revision = state.revision();
    boolean published = state.status() == ContentStatus.PUBLISHED;
    if (published) {
      events.add(new Unpublished(contentId, ++revision, at, who));
    }
    String toRelease = null;
    if (!fields.equals(state.fields())) {
      Edited edited = edited(state, fields, ++revision, at, who, null);
      toRelease = edited.slugReleased();
      events.add(edited);
    }
    if (cmd.to() == ContentStatus.ARCHIVED) {
      events.add(new Archived(contentId, ++revision, at, who));
    } else if (!published) {
      events.add(new Unpublished(contentId, ++revision, at, who));
    }
    return persistReleasing(events, toRelease, cmd.replyTo());
  }

  private ReplyEffect<Event, State> onPublish(State state, Publish cmd) {
    ReplyEffect<Event, State> refused =
        refuse(state, cmd.expectedRevision(), PUBLISHABLE, "publish", cmd.replyTo());
    if (refused != null) {
      return refused;
    }
    return persist(
        new Published(contentId, state.revision() + 1, now(), actor(cmd.actor())), cmd.replyTo());
  }

  private ReplyEffect<Event, State> onSchedule(State state, Schedule cmd) {
    ReplyEffect<Event, State> refused =
        refuse(state, cmd.expectedRevision(), SCHEDULABLE, "schedule", cmd.replyTo());
    if (refused != null) {
      return refused;
    }
    if (cmd.at() == null || !cmd.at().isAfter(now())) {
      return Effect()
          .reply(
              cmd.replyTo(),
              Rejected.of(
                  ErrorCode.INVALID, "at", "must be a time in the future, was " + cmd.at()));
    }
    var tooFar = ContentRules.dateProblem("at", cmd.at());
    if (tooFar.isPresent()) {
      return Effect()
          .reply(
              cmd.replyTo(),
              Rejected.of(ErrorCode.INVALID, tooFar.get().field(), tooFar.get().message()));
    }
    return persist(
        new PublishScheduled(contentId, state.revision() + 1, cmd.at(), now(), actor(cmd.actor())),
        cmd.replyTo());
  }

  private ReplyEffect<Event, State> onUnpublish(State state, Unpublish cmd) {
    ReplyEffect<Event, State> refused =
        refuse(state, cmd.expectedRevision(), UNPUBLISHABLE, "unpublish", cmd.replyTo());
    if (refused != null) {
      return refused;
    }
    return persist(
        new Unpublished(contentId, state.revision() + 1, now(), actor(cmd.actor())), cmd.replyTo());
  }

  private ReplyEffect<Event, State> onArchive(State state, Archive cmd) {
    ReplyEffect<Event, State> refused =
        refuse(state, cmd.expectedRevision(), ARCHIVABLE, "archive", cmd.replyTo());
    if (refused != null) {
      return refused;
    }
    return persist(
        new Archived(contentId, state.revision() + 1, now(), actor(cmd.actor())), cmd.replyTo());
  }

  private ReplyEffect<Event, State> onPublishDue(State state, PublishDue cmd) {
    if (state.status() != ContentStatus.SCHEDULED || state.scheduledAt().isAfter(now())) {
      return Effect()
          .reply(
              cmd.replyTo(),
              Rejected.of(ErrorCode.INVALID_TRANSITION, "status", "nothing is due for publishing"));
    }
    // Published as of the time it was scheduled for, also when the scheduler runs late (the site
    // was down then): its date and its place in the site's order do not depend on the delay.
    return persist(
        new Published(contentId, state.revision() + 1, now(), "scheduler", state.scheduledAt()),
        cmd.replyTo());
  }

  // ---- restore: an item's whole history written back as another Quire journaled it ----

  private ReplyEffect<Event, State> onRestore(State state, Restore cmd) {
    if (state.exists()) {
      return Effect()
          .reply(
              cmd.replyTo(),
              Rejected.of(ErrorCode.ALREADY_EXISTS, "id", "content " + contentId + " exists"));
    }
    List<Event> events = new ArrayList<>();
    Rejected problem = replay(contentId, settings.rules(), cmd.history(), events);
    if (problem != null) {
      return Effect().reply(cmd.replyTo(), problem);
    }
    State end = State.empty();
    for (Event event : events) {
      end = end.apply(event);
    }
    List<String> slugs = new ArrayList<>();
    slugs.add(end.fields().slug());
    end.aliases().forEach(slugs::add);
    restoring = List.copyOf(events);
    restoreClaims = new ArrayList<>(slugs);
    return claimThen(cmd, restoreClaims.remove(0));
  }

  private ReplyEffect<Event, State> onRestoreClaimed(State state, Restore cmd) {
    if (!restoreClaims.isEmpty()) {
      return claimThen(cmd, restoreClaims.remove(0));
    }
    List<Event> events = restoring;
    restoring = null;
    restoreClaims = null;
    if (state.exists()) {
      return Effect()
          .none()
          .thenReply(
              cmd.replyTo(),
              s -> Rejected.of(ErrorCode.ALREADY_EXISTS, "id", "content " + contentId + " exists"))
          .thenUnstashAll();
    }
    // One atomic write: the item appears with its whole history or not at all.
    return Effect()
        .persist(events)
        .thenReply(cmd.replyTo(), s -> new Accepted(s.snapshot(contentId)))
        .thenUnstashAll();
  }

  /**
   * Checks a whole history as {@link Restore} would, without writing: null when it may be restored,
   * else the first problem, naming the step and field. An importer runs this over a whole bundle
   * before it changes anything.
   */
  public static Rejected checkHistory(
      String contentId, ContentRules rules, List<HistoryStep> history) {
    return replay(contentId, rules, history, new ArrayList<>());
  }

  private static Rejected replay(
      String contentId, ContentRules rules, List<HistoryStep> history, List<Event> out) {
    if (history == null || history.isEmpty()) {
      return Rejected.of(ErrorCode.INVALID, "history", "is empty");
    }
    State end = State.empty();
    for (int i = 0; i < history.size(); i++) {
      HistoryStep step = history.get(i);
      Rejected problem = checkStep(rules, end, step, i, "history[" + i + "]");
      if (problem != null) {
        return problem;
      }
      Event event = toEvent(contentId, step);
      out.add(event);
      end = end.apply(event);
    }
    return null;
  }

  /** Null when {@code step} may follow {@code before}; else why not, naming the step. */
  private static Rejected checkStep(
      ContentRules rules, State before, HistoryStep step, int index, String where) {
    if (step == null) {
      return Rejected.of(ErrorCode.INVALID, where, "is missing");
    }
    if (step.revision() != index + 1) {
      return Rejected.of(
          ErrorCode.INVALID,
          where + ".revision",
          "must be " + (index + 1) + " (revisions run 1, 2, 3, ...), was " + step.revision());
    }
    if (step.at() == null) {
      return Rejected.of(ErrorCode.INVALID, where + ".at", "is missing");
    }
    // Who made a step is a name, as an author is: past the read model's column it stopped the
    // projection for good (its batch failed at every retry).
    if (step.actor() != null && step.actor().length() > rules.limits().maxAuthor()) {
      return Rejected.of(
          ErrorCode.INVALID,
          where + ".actor",
          "is "
              + step.actor().length()
              + " characters; at most "
              + rules.limits().maxAuthor()
              + " allowed");
    }
    for (var bad :
        List.of(
            ContentRules.dateProblem(where + ".at", step.at()),
            ContentRules.dateProblem(where + ".publishAt", step.publishAt()))) {
      if (bad.isPresent()) {
        return Rejected.of(ErrorCode.INVALID, bad.get().field(), bad.get().message());
      }
    }
    String type = step.type() == null ? "" : step.type();
    if (index == 0 != type.equals("created")) {
      return Rejected.of(
          ErrorCode.INVALID,
          where + ".type",
          index == 0 ? "the first event must be 'created'" : "'created' may only come first");
    }
    Set<ContentStatus> allowed =
        switch (type) {
          case "created" -> null;
          case "edited" -> EDITABLE;
          case "published" -> PUBLISHABLE;
          case "scheduled" -> SCHEDULABLE;
          case "unpublished" -> UNPUBLISHABLE;
          case "archived" -> ARCHIVABLE;
          default -> Set.of();
        };
    if (allowed != null && allowed.isEmpty()) {
      return Rejected.of(ErrorCode.INVALID, where + ".type", "unknown event type '" + type + "'");
    }
    if (allowed != null && !allowed.contains(before.status())) {
      return Rejected.of(
          ErrorCode.INVALID_TRANSITION,
          where + ".type",
          "cannot be '" + type + "' while the item is " + before.status().id());
    }
    if (type.equals("created") || type.equals("edited")) {
      ContentKind kind = type.equals("created") ? step.kind() : before.kind();
      if (kind == null) {
        return Rejected.of(ErrorCode.INVALID, where + ".kind", "is missing");
      }
      if (step.fields() == null) {
        return Rejected.of(ErrorCode.INVALID, where + ".fields", "is missing");
      }
      List<FieldError> errors = rules.validateStored(kind, step.fields());
      if (!errors.isEmpty()) {
        Rejected r = Rejected.invalid(errors);
        // Each field's error kept, named where it is, for an import to list one by one.
        return new Rejected(
            r.code(),
            where + ".fields." + r.field(),
            r.message(),
            errors.stream()
                .map(e -> new FieldError(where + ".fields." + e.field(), e.message()))
                .toList());
      }
    }
    if (type.equals("edited") && step.aliasAdded() != null) {
      var bad = rules.slugProblem(step.aliasAdded());
      if (bad.isPresent()) {
        return Rejected.of(ErrorCode.INVALID, where + ".aliasAdded", bad.get().message());
      }
    }
    if (step.revertedTo() != null
        && (!type.equals("edited")
            || step.revertedTo() < 1
            || step.revertedTo() >= step.revision())) {
      return Rejected.of(
          ErrorCode.INVALID,
          where + ".revertedTo",
          "must be an earlier revision, on an edit only; was "
              + step.revertedTo()
              + " on a '"
              + type
              + "' at revision "
              + step.revision());
    }
    if (type.equals("scheduled") && step.publishAt() == null) {
      return Rejected.of(ErrorCode.INVALID, where + ".publishAt", "is missing");
    }
    return null;
  }

  private static Event toEvent(String contentId, HistoryStep s) {
    String who = actor(s.actor());
    return switch (s.type()) {
      case "created" ->
          new DraftCreated(contentId, s.revision(), s.kind(), s.fields(), s.at(), who);
      case "edited" ->
          new Edited(
              contentId,
              s.revision(),
              s.fields(),
              s.aliasAdded(),
              s.slugReleased(),
              s.at(),
              who,
              s.revertedTo());
      case "published" -> new Published(contentId, s.revision(), s.at(), who, s.publishAt());
      case "scheduled" -> new PublishScheduled(contentId, s.revision(), s.publishAt(), s.at(), who);
      case "unpublished" -> new Unpublished(contentId, s.revision(), s.at(), who);
      case "archived" -> new Archived(contentId, s.revision(), s.at(), who);
      default -> throw new IllegalArgumentException("unknown event type " + s.type());
    };
  }

  /**
   * The item a history describes, replayed here as the entity would replay its journal: an export
   * reads each history once and needs no entity started for it.
   */
  public static ContentSnapshot replay(String contentId, List<HistoryStep> history) {
    State state = State.empty();
    for (HistoryStep step : history) {
      state = state.apply(toEvent(contentId, step));
    }
    return state.snapshot(contentId);
  }

  /** The history step an event is: what export writes and {@link Restore} reads back. */
  public static HistoryStep step(Event event) {
    if (event instanceof DraftCreated e) {
      return new HistoryStep(
          e.revision(), "created", e.at(), e.actor(), e.kind(), e.fields(), null, null, null);
    } else if (event instanceof Edited e) {
      return new HistoryStep(
          e.revision(),
          "edited",
          e.at(),
          e.actor(),
          null,
          e.fields(),
          null,
          e.aliasAdded(),
          e.slugReleased(),
          e.revertedTo());
    } else if (event instanceof Published e) {
      return new HistoryStep(
          e.revision(), "published", e.at(), e.actor(), null, null, e.publishedAt(), null, null);
    } else if (event instanceof PublishScheduled e) {
      return new HistoryStep(
          e.revision(), "scheduled", e.at(), e.actor(), null, null, e.publishAt(), null, null);
    } else if (event instanceof Unpublished e) {
      return new HistoryStep(
          e.revision(), "unpublished", e.at(), e.actor(), null, null, null, null, null);
    } else if (event instanceof Archived e) {
      return new HistoryStep(
          e.revision(), "archived", e.at(), e.actor(), null, null, null, null, null);
    }
    throw new IllegalStateException("unknown event " + event);
  }

  /** Why a create cannot start in the status it asks for; null when it can. */
  private Rejected initialRefusal(Initially then) {
    if (then == null) {
      return null;
    }
    var outOfRange = ContentRules.dateProblem("at", then.scheduleAt());
    if (outOfRange.isPresent()) {
      return Rejected.of(ErrorCode.INVALID, "at", outOfRange.get().message());
    }
    return switch (then.status()) {
      case DRAFT ->
          then.scheduleAt() == null
              ? null
              : Rejected.of(
                  ErrorCode.INVALID, "at", "is for status scheduled or published, not draft");
      case PUBLISHED ->
          then.scheduleAt() == null || !then.scheduleAt().isAfter(now())
              ? null
              : Rejected.of(
                  ErrorCode.INVALID,
                  "at",
                  "is when a published item counts as published since, so not in the future ("
                      + then.scheduleAt()
                      + "); use status scheduled to publish it then");
      case SCHEDULED -> {
        if (then.scheduleAt() == null) {
          yield Rejected.of(ErrorCode.INVALID, "at", "is required for status scheduled");
        }
        yield then.scheduleAt().isAfter(now())
            ? null
            : Rejected.of(
                ErrorCode.INVALID, "at", "must be a time in the future, was " + then.scheduleAt());
      }
      case ARCHIVED ->
          Rejected.of(
              ErrorCode.INVALID, "status", "a new item starts as draft, published or scheduled");
    };
  }

  private ReplyEffect<Event, State> persist(Event event, ActorRef<ContentReply> replyTo) {
    return Effect().persist(event).thenReply(replyTo, s -> new Accepted(s.snapshot(contentId)));
  }

  /** The common refusals, in the order an editor would want to hear them; null when allowed. */
  private ReplyEffect<Event, State> refuse(
      State state,
      Long expectedRevision,
      Set<ContentStatus> allowed,
      String action,
      ActorRef<ContentReply> replyTo) {
    Rejected rejection = rejection(state, expectedRevision, allowed, action);
    return rejection == null ? null : Effect().reply(replyTo, rejection);
  }

  private Rejected rejection(
      State state, Long expectedRevision, Set<ContentStatus> allowed, String action) {
    if (!state.exists()) {
      return notFound();
    }
    if (expectedRevision != null && expectedRevision != state.revision()) {
      return Rejected.of(
          ErrorCode.STALE_REVISION,
          "revision",
          "you started from revision "
              + expectedRevision
              + " but the item is at revision "
              + state.revision()
              + "; reload and apply your change again");
    }
    if (!allowed.contains(state.status())) {
      return Rejected.of(
          ErrorCode.INVALID_TRANSITION,
          "status",
          "cannot " + action + " an item that is " + state.status().id());
    }
    return null;
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  private Rejected notFound() {
    return Rejected.of(ErrorCode.NOT_FOUND, "id", "no content with id " + contentId);
  }

  private static ContentFields normalise(ContentFields f) {
    return new ContentFields(
        f.title() == null ? null : ContentRules.oneLine(f.title().strip()),
        f.slug() == null ? null : f.slug().strip(),
        f.body(),
        f.description().strip(),
        ContentRules.normaliseTags(f.tags()),
        f.coverImage().strip(),
        ContentRules.oneLine(f.author().strip()),
        f.date(),
        f.coverAlt());
  }

  private static ActorRef<ContentReply> replyTo(ContentCommand c) {
    if (c instanceof Restore r) {
      return r.replyTo();
    }
    if (c instanceof EditAndWithdraw w) {
      return w.replyTo();
    }
    return c instanceof Create cd ? cd.replyTo() : ((Edit) c).replyTo();
  }

  private static String actor(String actor) {
    return actor == null || actor.isBlank() ? "unknown" : actor;
  }

  private Instant now() {
    return clock.instant();
  }
}
