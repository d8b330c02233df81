package dev.quire.content;

import dev.quire.protocol.ErrorCode;
import dev.quire.protocol.FieldError;
import dev.quire.protocol.QuireSerializable;
import dev.quire.protocol.RedirectCommand;
import dev.quire.protocol.RedirectCommand.Get;
import dev.quire.protocol.RedirectCommand.Put;
import dev.quire.protocol.RedirectCommand.RedirectTable;
import dev.quire.protocol.RedirectCommand.Remove;
import dev.quire.protocol.RedirectReply;
import dev.quire.protocol.RedirectRule;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
 * The site's redirect table (moved URLs that are not slug changes: old permalinks from a migration,
 * retired sections). One entity; every change is journaled, a batch in one event so an import of
 * thousands of rules is one write, all or nothing.
 */
public final class SiteRedirects
    extends EventSourcedBehaviorWithEnforcedReplies<
        RedirectCommand, SiteRedirects.Event, SiteRedirects.State> {

  // ---- events: never renamed ----

  public sealed interface Event extends QuireSerializable {}

  public record RulesPut(List<RedirectRule> rules, Instant at, String actor) implements Event {}

  public record RuleRemoved(String from, Instant at, String actor) implements Event {}

  /**
   * Immutable: every change makes a new map. {@code version} counts changes. Keyed by each rule's
   * {@code from} as {@link RedirectRule} holds it (percent-encoded), also for a snapshot or events
   * written while rules kept raw non-ASCII paths: a rule and its removal then still meet.
   */
  public record State(long version, Map<String, RedirectRule> rules) implements QuireSerializable {
    public State {
      Map<String, RedirectRule> byFrom = new LinkedHashMap<>();
      rules.values().forEach(r -> byFrom.put(r.from(), r));
      rules = Collections.unmodifiableMap(byFrom);
    }

    State apply(Event event) {
      Map<String, RedirectRule> next = new LinkedHashMap<>(rules);
      if (event instanceof RulesPut p) {
        p.rules().forEach(r -> next.put(r.from(), r));
      } else if (event instanceof RuleRemoved r) {
        next.remove(RedirectRule.key(r.from()));
      }
      return new State(version + 1, next);
    }
  }

  /**
   * {@code maxRules}: the whole table; {@code maxBatch}: one Put; {@code pageChars}: the rules'
   * text in one answer to a read, kept under a cluster message's largest frame.
   */
  public record Settings(int maxRules, int maxBatch, int snapshotEvery, int pageChars) {}

  public static void init(ActorSystem<?> system, Settings settings) {
    ClusterSharding.get(system)
        .init(
            Entity.of(
                    RedirectCommand.ENTITY_KEY,
                    ctx -> create(ctx.getEntityId(), settings, Clock.systemUTC()))
                .withRole("content"));
  }

  public static Behavior<RedirectCommand> create(String id, Settings settings, Clock clock) {
    return new SiteRedirects(id, settings, clock);
  }

  private final Settings settings;
  private final Clock clock;

  private SiteRedirects(String id, Settings settings, Clock clock) {
    super(PersistenceId.of(RedirectCommand.ENTITY_KEY.name(), id));
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
  public CommandHandlerWithReply<RedirectCommand, Event, State> commandHandler() {
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
                            ? new RedirectTable(state.version(), true, null)
                            : page(state, Math.max(0, cmd.offset()), settings.pageChars())))
        .build();
  }

  /**
   * The rules from {@code offset} on, up to about {@code pageChars} of their text (at least one
   * rule), and the offset of the next page when there is one.
   */
  /** A rule's JSON beyond its two paths, rounded up. */
  static final int RULE_OVERHEAD_CHARS = 48;

  static RedirectTable page(State state, int offset, int pageChars) {
    List<RedirectRule> out = new ArrayList<>();
    long chars = 0;
    int i = 0;
    Integer next = null;
    for (RedirectRule r : state.rules().values()) {
      if (i++ < offset) {
        continue;
      }
      // The rule's text and its JSON around it ({"from":"","to":"","status":301},): with short
      // paths the keys were most of a page, and a page of 83,000 rules came to 3.4 MB.
      long size = r.from().length() + (long) r.to().length() + RULE_OVERHEAD_CHARS;
      if (!out.isEmpty() && chars + size > pageChars) {
        next = offset + out.size();
        break;
      }
      out.add(r);
      chars += size;
    }
    return new RedirectTable(state.version(), false, List.copyOf(out), next);
  }

  private ReplyEffect<Event, State> onPut(State state, Put cmd) {
    List<RedirectRule> rules = cmd.rules() == null ? List.of() : cmd.rules();
    if (rules.isEmpty()) {
      return refuse(cmd, ErrorCode.INVALID, "redirects", "is empty");
    }
    if (rules.size() > settings.maxBatch()) {
      return refuse(
          cmd,
          ErrorCode.INVALID,
          "redirects",
          "has " + rules.size() + " rules; at most " + settings.maxBatch() + " per request");
    }
    Set<String> seen = new HashSet<>();
    int added = 0;
    for (int i = 0; i < rules.size(); i++) {
      RedirectRule r = rules.get(i);
      Optional<FieldError> problem =
          r == null ? Optional.of(new FieldError("", "is missing")) : r.problem();
      if (problem.isPresent()) {
        return refuse(
            cmd,
            ErrorCode.INVALID,
            "redirects[" + i + "]." + problem.get().field(),
            problem.get().message());
      }
      if (!seen.add(r.from())) {
        return refuse(
            cmd,
            ErrorCode.INVALID,
            "redirects[" + i + "].from",
            "'" + r.from() + "' appears twice in one request");
      }
      if (!state.rules().containsKey(r.from())) {
        added++;
      }
    }
    // Each new rule followed through the table as it would be: a loop (/about to /about/, which
    // the rule itself answers for the other slash) took a live page down for every visitor.
    java.util.Map<String, RedirectRule> after = new java.util.HashMap<>(state.rules());
    rules.forEach(r -> after.put(r.from(), r));
    for (int i = 0; !cmd.loopsChecked() && i < rules.size(); i++) {
      Optional<String> loop = RedirectRule.loopFrom(after, rules.get(i));
      if (loop.isPresent()) {
        return refuse(cmd, ErrorCode.INVALID, "redirects[" + i + "].to", loop.get());
      }
    }
    // And the rules already there that reach a new one: one pass over the table per put.
    if (!cmd.loopsChecked()) {
      Optional<String> through = RedirectRule.loopThrough(after, seen);
      if (through.isPresent()) {
        return refuse(cmd, ErrorCode.INVALID, "redirects", through.get());
      }
    }
    if (state.rules().size() + added > settings.maxRules()) {
      return refuse(
          cmd,
          ErrorCode.INVALID,
          "redirects",
          "the site would have "
              + (state.rules().size() + added)
              + " redirects; the limit is "
              + settings.maxRules()
              + " (quire.content.redirects.max-rules)");
    }
    if (cmd.expectedVersion() != null && cmd.expectedVersion() != state.version()) {
      return refuse(
          cmd,
          ErrorCode.STALE_REVISION,
          "version",
          "the redirects were changed after version "
              + cmd.expectedVersion()
              + " (they are at "
              + state.version()
              + " now)");
    }
    return Effect()
        .persist(new RulesPut(List.copyOf(rules), clock.instant(), actor(cmd.actor())))
        .thenReply(cmd.replyTo(), s -> new RedirectReply.Stored(s.version(), s.rules().size()));
  }

  private ReplyEffect<Event, State> onRemove(State state, Remove cmd) {
    // A path as typed (/café/) or as a URL carries it (/caf%C3%A9/): both name the same rule.
    String from = RedirectRule.key(cmd.from());
    if (from == null || !state.rules().containsKey(from)) {
      return Effect()
          .reply(
              cmd.replyTo(),
              new RedirectReply.Refused(
                  ErrorCode.NOT_FOUND, "from", "there is no redirect from '" + cmd.from() + "'"));
    }
    return Effect()
        .persist(new RuleRemoved(from, clock.instant(), actor(cmd.actor())))
        .thenReply(cmd.replyTo(), s -> new RedirectReply.Stored(s.version(), s.rules().size()));
  }

  private ReplyEffect<Event, State> refuse(Put cmd, ErrorCode code, String field, String message) {
    return Effect().reply(cmd.replyTo(), new RedirectReply.Refused(code, field, message));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  private static String actor(String actor) {
    return actor == null || actor.isBlank() ? "unknown" : actor;
  }
}
