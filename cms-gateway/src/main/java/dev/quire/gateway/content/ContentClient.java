package dev.quire.gateway.content;

import dev.quire.gateway.http.HttpError;
import dev.quire.protocol.ContentCommand;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentQuery;
import dev.quire.protocol.ContentReply;
import dev.quire.protocol.ContentStatus;
import dev.quire.protocol.RevisionEntry;
import dev.quire.protocol.SlugCommand;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The gateway's one way to content: commands to the sharded entities and queries to the read-model
 * query actors, all as cms-protocol messages. Timeouts become "unavailable" (503), never an
 * internal error.
 */
public final class ContentClient {

  private final ActorSystem<?> system;
  private final int maxBody;
  private final ClusterSharding sharding;
  private final ContentReachability reachability;
  private final ServiceDirectory<ContentQuery> queryActors;

  /** One timeout, whatever the cluster's state (tests). */
  public ContentClient(ActorSystem<?> system, Duration timeout) {
    this(system, timeout, timeout);
  }

  /**
   * {@code timeout} normally, {@code failoverTimeout} while a content node is unreachable (see
   * {@link ContentReachability}).
   */
  public ContentClient(ActorSystem<?> system, Duration timeout, Duration failoverTimeout) {
    this(system, new ContentReachability.Timeouts(timeout, failoverTimeout, Duration.ZERO));
  }

  /**
   * {@code timeouts.normal()} normally, {@code timeouts.failover()} while content fails over (see
   * {@link ContentReachability}).
   */
  public ContentClient(ActorSystem<?> system, ContentReachability.Timeouts timeouts) {
    this.system = system;
    this.maxBody = system.settings().config().getInt("quire.content.limits.body-chars");
    this.sharding = ClusterSharding.get(system);
    this.reachability = new ContentReachability(system, "content", timeouts);
    this.queryActors =
        new ServiceDirectory<>(system, ContentQuery.SERVICE_KEY, "content-query-directory");
  }

  /** Whether the content nodes are refusing writes; none until {@link #watchStore}. */
  private volatile StoreWatch store;

  /** Asks the content nodes every {@code interval} whether their writes are failing. */
  public void watchStore(
      Duration interval, Duration timeout, Duration remember, java.time.ZoneId zone) {
    this.store = StoreWatch.start(system, this, interval, timeout, remember, zone);
  }

  /** Why the content nodes are refusing writes, if they are (as last asked). */
  public java.util.Optional<StoreWatch.Trouble> storeTrouble() {
    StoreWatch s = store;
    return s == null ? java.util.Optional.empty() : s.trouble();
  }

  /**
   * Creates an item, as the API and the admin do. Its slug as {@code fields} give it, or, when
   * {@code slugFromTitle} (none was given; {@code ContentRules.suggestSlug} made it): should
   * another item hold that slug, the item is created as {@code <slug>-2}, then {@code -3}, and so
   * on (as WordPress does), at most {@code attempts} slugs in all (the last refusal is the answer
   * then). The editor never typed the slug, so a refusal naming it told them nothing they could
   * have avoided. A slug cut to {@code maxSlug} leaves room for its number. Under {@code id}, every
   * try; null: a new id for each. A create sent with an idempotency key gives the key's ({@link
   * dev.quire.protocol.ContentIds#forKey}), so that one sent again meets the item the first made
   * (refused as existing) instead of making another.
   */
  public CompletionStage<ContentReply> create(
      dev.quire.protocol.ContentKind kind,
      dev.quire.protocol.ContentFields fields,
      ContentCommand.Initially then,
      String actor,
      boolean slugFromTitle,
      int attempts,
      int maxSlug,
      String id) {
    if (!slugFromTitle) {
      return command(
          id != null ? id : dev.quire.protocol.ContentIds.next(),
          r -> new ContentCommand.Create(kind, fields, then, actor, r));
    }
    // A page titled "Archive" or "Search" would take a slug the site's own pages answer at, which
    // is refused as reserved: its numbers start at 2.
    int first =
        kind == dev.quire.protocol.ContentKind.PAGE
                && dev.quire.protocol.ContentRules.RESERVED_SLUGS.contains(fields.slug())
            ? 2
            : 1;
    return createTry(
        n -> {
          dev.quire.protocol.ContentFields tried =
              n == 1
                  ? fields
                  : fields.withSlug(
                      dev.quire.protocol.ContentRules.numbered(fields.slug(), n, maxSlug));
          return r -> new ContentCommand.Create(kind, tried, then, actor, r);
        },
        first,
        first + attempts - 1,
        id);
  }

  /**
   * The create {@code createFor(n)} makes, under {@code id} (null: a new one); the next number's
   * while its slug is taken.
   */
  private CompletionStage<ContentReply> createTry(
      java.util.function.IntFunction<
              java.util.function.Function<ActorRef<ContentReply>, ContentCommand>>
          createFor,
      int n,
      int last,
      String id) {
    return commandOnce(id != null ? id : dev.quire.protocol.ContentIds.next(), createFor.apply(n))
        .thenCompose(
            reply ->
                reply instanceof ContentReply.Rejected rej
                        && rej.code() == dev.quire.protocol.ErrorCode.SLUG_TAKEN
                        && "slug".equals(rej.field())
                        && n < last
                    ? createTry(createFor, n + 1, last, id)
                    : namingTheOwner(reply, createFor.apply(n).apply(null)));
  }

  /**
   * Sends a command to the item's entity. A rejection is returned, not thrown. A change that times
   * out while the content nodes are refusing writes is 503 {@code store_failing}, saying why.
   */
  public CompletionStage<ContentReply> command(
      String contentId, java.util.function.Function<ActorRef<ContentReply>, ContentCommand> make) {
    ContentCommand[] sent = new ContentCommand[1];
    return commandOnce(
            contentId,
            r -> {
              sent[0] = make.apply(r);
              return sent[0];
            })
        .thenCompose(reply -> namingTheOwner(reply, sent[0]));
  }

  /**
   * A refusal of {@code sent}'s slug as taken, saying which item holds it by kind and title as well
   * as id: the entity knows only the id, which told an editor nothing. Any other reply, or when the
   * holder cannot be read, as it came.
   */
  private CompletionStage<ContentReply> namingTheOwner(ContentReply reply, ContentCommand sent) {
    if (!(reply instanceof ContentReply.Rejected rej
        && rej.code() == dev.quire.protocol.ErrorCode.SLUG_TAKEN
        && "slug".equals(rej.field()))) {
      return CompletableFuture.completedFuture(reply);
    }
    String slug =
        sent instanceof ContentCommand.Create c
            ? c.fields().slug()
            : sent instanceof ContentCommand.Edit e
                ? e.fields().slug()
                : sent instanceof ContentCommand.EditAndWithdraw w ? w.fields().slug() : null;
    if (slug == null) {
      return CompletableFuture.completedFuture(reply);
    }
    return slugOwner(slug)
        .thenCompose(
            owner ->
                // "" when no one holds it any more (let go since the refusal).
                owner == null || owner.isEmpty()
                    ? CompletableFuture.<ContentReply>completedFuture(reply)
                    : commandOnce(owner, ContentCommand.Get::new)
                        .thenApply(
                            got ->
                                got instanceof ContentReply.Accepted a
                                        && (a.content().fields().slug().equals(slug)
                                            || a.content().aliases().contains(slug))
                                    ? (ContentReply)
                                        new ContentReply.Rejected(
                                            rej.code(),
                                            rej.field(),
                                            "'"
                                                + slug
                                                + "' is already used by the "
                                                + a.content().kind().id()
                                                + " \""
                                                + a.content().fields().title()
                                                + "\" (content "
                                                + owner
                                                + ")"
                                                + (a.content().fields().slug().equals(slug)
                                                    ? ""
                                                    : ", as an old address that still leads to"
                                                        + " it"),
                                            rej.errors())
                                    : reply))
        .exceptionally(e -> reply);
  }

  /** {@link #command} without naming a slug's holder. */
  private CompletionStage<ContentReply> commandOnce(
      String contentId, java.util.function.Function<ActorRef<ContentReply>, ContentCommand> make) {
    ContentCommand[] sent = new ContentCommand[1];
    return Asks.unavailableOnTimeout(
            Asks.on(
                sharding
                    .entityRefFor(ContentCommand.ENTITY_KEY, contentId)
                    .<ContentReply>ask(ref -> sent[0] = make.apply(ref), askTimeout()),
                system.executionContext()),
            "content " + contentId,
            () -> !(sent[0] instanceof ContentCommand.Get))
        .exceptionally(
            e -> {
              Throwable cause = Asks.unwrap(e);
              var trouble = storeTrouble();
              if (cause instanceof Asks.ChangeMayStillApply && trouble.isPresent()) {
                // Still a change that may land (the entity may carry it out once the database
                // takes writes again): the same advice, and why.
                throw new Asks.ChangeMayStillApply(
                    STORE_FAILING,
                    trouble.get().describe()
                        + "; content "
                        + contentId
                        + " did not answer in time: the change may still be applied once the"
                        + " database takes writes again. Read it again before sending the change"
                        + " again");
              }
              if (cause instanceof RuntimeException re) {
                throw re;
              }
              throw new java.util.concurrent.CompletionException(cause);
            });
  }

  /** The API's error code for a change refused because the content nodes refuse writes. */
  public static final String STORE_FAILING = "store_failing";

  /** The item holding {@code slug}, or empty. Answered by the slug's own entity: never stale. */
  public CompletionStage<String> slugOwner(String slug) {
    return Asks.unavailableOnTimeout(
        Asks.on(
                sharding
                    .entityRefFor(SlugCommand.ENTITY_KEY, slug)
                    .<SlugCommand.Owner>ask(SlugCommand.GetOwner::new, askTimeout()),
                system.executionContext())
            .thenApply(SlugCommand.Owner::contentId),
        "slug registry");
  }

  public CompletionStage<ContentQuery.Changes> changesSince(long afterSeq, int limit) {
    return query(r -> new ContentQuery.ChangesSince(afterSeq, limit, r));
  }

  public CompletionStage<ContentQuery.Page> list(
      ContentKind kind, ContentStatus status, String tag, int page, int size) {
    return list(kind, status, tag, null, page, size);
  }

  /** {@code text}: only items whose title, slug or description contains it (null: any). */
  public CompletionStage<ContentQuery.Page> list(
      ContentKind kind, ContentStatus status, String tag, String text, int page, int size) {
    return query(r -> new ContentQuery.ListItems(kind, status, tag, text, page, size, r));
  }

  /**
   * An item's revisions, newest first, older than {@code before} (0: from the newest), until their
   * text passes {@code maxChars} (at least one page is given): {@code more} says older ones remain,
   * to ask for from the last one's revision. Asked for in as many answers as the content node's
   * size bound makes of them. Without {@code bodies} each body is "" (a list to show, not to read):
   * a thousand edits of a long page would otherwise fill the heap.
   */
  public CompletionStage<ContentQuery.RevisionList> revisions(
      String contentId, long before, long maxChars, boolean bodies) {
    return revisionsBefore(contentId, before, maxChars, !bodies, new java.util.ArrayList<>(), 0);
  }

  /**
   * As {@link #revisions} from the newest, once the list holds revision {@code newest} (the item's
   * own, as its entity answered): the list is the read model's, which trails the journal by a
   * moment, and an editor who saved and opened the history did not find their save there. Asked
   * again every {@code poll} for up to {@code wait}; then the list as it is.
   */
  public CompletionStage<ContentQuery.RevisionList> revisionsThrough(
      String contentId, long newest, long maxChars, boolean bodies, Duration wait, Duration poll) {
    return revisionsThrough(
        contentId, newest, maxChars, bodies, poll, System.nanoTime() + wait.toNanos());
  }

  private CompletionStage<ContentQuery.RevisionList> revisionsThrough(
      String contentId, long newest, long maxChars, boolean bodies, Duration poll, long deadline) {
    // Each look is the first answer's worth, without bodies; the list itself is read once.
    return this.<ContentQuery.RevisionList>query(
            r -> new ContentQuery.Revisions(contentId, 0, true, true, r))
        .thenCompose(
            first -> {
              boolean holds =
                  !first.revisions().isEmpty() && first.revisions().get(0).revision() >= newest;
              if (holds || System.nanoTime() + poll.toNanos() > deadline) {
                return revisions(contentId, 0, maxChars, bodies);
              }
              return org.apache.pekko.pattern.Patterns.after(
                  poll,
                  system.classicSystem().scheduler(),
                  system.executionContext(),
                  () -> revisionsThrough(contentId, newest, maxChars, bodies, poll, deadline));
            });
  }

  private CompletionStage<ContentQuery.RevisionList> revisionsBefore(
      String contentId,
      long before,
      long maxChars,
      boolean withoutBodies,
      List<RevisionEntry> got,
      long chars) {
    return this.<ContentQuery.RevisionList>query(
            r -> new ContentQuery.Revisions(contentId, before, true, withoutBodies, r))
        .thenCompose(
            page -> {
              long total = chars;
              for (RevisionEntry e : page.revisions()) {
                got.add(e);
                total += e.body().length() + e.title().length() + e.slug().length();
              }
              if (!page.more() || page.revisions().isEmpty()) {
                return CompletableFuture.completedFuture(
                    new ContentQuery.RevisionList(contentId, List.copyOf(got), false));
              }
              if (total >= maxChars) {
                return CompletableFuture.completedFuture(
                    new ContentQuery.RevisionList(contentId, List.copyOf(got), true));
              }
              long oldest = page.revisions().get(page.revisions().size() - 1).revision();
              return revisionsBefore(contentId, oldest, maxChars, withoutBodies, got, total);
            });
  }

  /**
   * The item as it stood at {@code revision}, from the journal (see {@link
   * ContentQuery.RevisionAt}).
   */
  public CompletionStage<ContentQuery.RevisionState> revisionAt(String contentId, long revision) {
    return query(r -> new ContentQuery.RevisionAt(contentId, revision, r));
  }

  /**
   * {@code markdown} rendered as the site renders it (for an editor's preview), nothing stored. A
   * body over the content limit is refused here, naming it: the admin's form takes 4 MiB, and a
   * message that size is dropped by the cluster's transport, leaving the editor a timeout instead
   * of the reason.
   */
  public CompletionStage<ContentQuery.Rendered> preview(String markdown) {
    if (markdown != null && markdown.length() > maxBody) {
      return CompletableFuture.failedFuture(
          HttpError.badRequest(
              "body", "is " + markdown.length() + " characters, at most " + maxBody + " allowed"));
    }
    return query(r -> new ContentQuery.Preview(markdown, r));
  }

  /** Ids of the items the journal holds after {@code afterId}, in id order (a page of them). */
  public CompletionStage<ContentQuery.IdPage> journalIds(String afterId, int limit) {
    return query(r -> new ContentQuery.JournalIds(afterId, limit, r));
  }

  /** A page of one item for a backup (see {@link ContentQuery.ExportItem}). */
  public CompletionStage<ContentQuery.ExportPage> exportItem(
      String contentId, long afterRevision, long upTo, boolean withSteps) {
    return query(r -> new ContentQuery.ExportItem(contentId, afterRevision, upTo, withSteps, r));
  }

  public CompletionStage<ContentQuery.ArchiveMonths> archive() {
    return query(ContentQuery.Archive::new);
  }

  /**
   * Items in one of {@code statuses} (empty: any) whose current body or cover image contains {@code
   * text} (at most {@code limit} of them, and how many in all): see {@link
   * ContentQuery.Referencing}.
   */
  public CompletionStage<ContentQuery.Page> referencing(
      String text, List<dev.quire.protocol.ContentStatus> statuses, int limit) {
    return query(r -> new ContentQuery.Referencing(text, statuses, limit, r));
  }

  /**
   * Items whose current text and cover do not contain {@code text} but an older revision's did (at
   * most {@code limit}, and how many in all): see {@link ContentQuery.ReferencedBefore}.
   */
  public CompletionStage<ContentQuery.Page> referencedBefore(String text, int limit) {
    return query(r -> new ContentQuery.ReferencedBefore(text, limit, r));
  }

  /** How long an ask to content waits now: shorter while a content node is unreachable. */
  public Duration askTimeout() {
    return reachability.askTimeout();
  }

  public ContentReachability reachability() {
    return reachability;
  }

  public boolean queriesReachable() {
    return queryActors.reachable();
  }

  /**
   * How each reachable content node's journal writes have been going, by node: empty for a node
   * that did not answer within {@code timeout} (or is older than the question).
   */
  public CompletionStage<
          java.util.Map<
              org.apache.pekko.actor.Address, java.util.Optional<ContentQuery.StoreReport>>>
      storeReports(Duration timeout) {
    java.util.Map<org.apache.pekko.actor.Address, CompletableFuture<ContentQuery.StoreReport>>
        asks = new java.util.HashMap<>();
    for (ActorRef<ContentQuery> target : queryActors.all()) {
      asks.computeIfAbsent(
          target.path().address(),
          a ->
              AskPattern.<ContentQuery, ContentQuery.StoreReport>ask(
                      target, ContentQuery.StoreHealth::new, timeout, system.scheduler())
                  .toCompletableFuture()
                  .exceptionally(e -> null));
    }
    return CompletableFuture.allOf(asks.values().toArray(CompletableFuture[]::new))
        .thenApply(
            v -> {
              java.util.Map<
                      org.apache.pekko.actor.Address, java.util.Optional<ContentQuery.StoreReport>>
                  answers = new java.util.HashMap<>();
              asks.forEach((a, f) -> answers.put(a, java.util.Optional.ofNullable(f.join())));
              return answers;
            });
  }

  private <R> CompletionStage<R> query(
      org.apache.pekko.japi.function.Function<ActorRef<R>, ContentQuery> make) {
    return queryActors
        .pick()
        .map(
            target ->
                Asks.unavailableOnTimeout(
                    Asks.on(
                        AskPattern.ask(target, make, askTimeout(), system.scheduler()),
                        system.executionContext()),
                    "content query service"))
        .orElseGet(
            () ->
                CompletableFuture.failedFuture(
                    HttpError.unavailable("no content query service is reachable yet")));
  }
}
