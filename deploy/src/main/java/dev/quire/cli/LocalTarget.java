package dev.quire.cli;

import dev.quire.content.Content;
import dev.quire.gateway.content.Asks;
import dev.quire.gateway.media.MediaStore;
import dev.quire.protocol.ContentCommand;
import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentIds;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentQuery;
import dev.quire.protocol.ContentReply;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.HistoryStep;
import dev.quire.protocol.RedirectCommand;
import dev.quire.protocol.RedirectReply;
import dev.quire.protocol.RedirectRule;
import dev.quire.protocol.SlugCommand;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/** Talks to the entities of a node started in this process (the site itself is stopped). */
public final class LocalTarget implements ContentTarget {

  /** Items per read-model page when listing slugs (the query actor's largest page). */
  private static final int SLUG_USE_PAGE = 500;

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Duration timeout;
  private final String actor;
  private volatile ActorRef<ContentQuery> queries;
  private final MediaStore media;
  private final long maxMediaBytes;

  public LocalTarget(ActorSystem<?> system, Duration timeout, String actor) {
    this(system, timeout, actor, null, 0);
  }

  /** {@code media}: where {@link #putMedia} stores files, at most {@code maxMediaBytes} each. */
  public LocalTarget(
      ActorSystem<?> system, Duration timeout, String actor, MediaStore media, long maxMediaBytes) {
    this.media = media;
    this.maxMediaBytes = maxMediaBytes;
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
    this.actor = actor;
  }

  @Override
  public CompletionStage<Optional<ContentSnapshot>> findBySlug(String slug) {
    return slugOwner(slug)
        .thenCompose(
            owner ->
                owner.isEmpty()
                    ? CompletableFuture.completedFuture(Optional.<ContentSnapshot>empty())
                    : get(owner.get()));
  }

  @Override
  public CompletionStage<ContentSnapshot> create(
      ContentKind kind, ContentFields fields, ContentCommand.Initially then) {
    return ask(ContentIds.next(), r -> new ContentCommand.Create(kind, fields, then, actor, r));
  }

  @Override
  public CompletionStage<ContentSnapshot> edit(String id, long revision, ContentFields fields) {
    return ask(id, r -> new ContentCommand.Edit(revision, fields, actor, r));
  }

  @Override
  public CompletionStage<ContentSnapshot> publish(String id, long revision) {
    return ask(id, r -> new ContentCommand.Publish(revision, actor, r));
  }

  @Override
  public CompletionStage<ContentSnapshot> schedule(String id, long revision, Instant at) {
    return ask(id, r -> new ContentCommand.Schedule(revision, at, actor, r));
  }

  @Override
  public CompletionStage<ContentSnapshot> unpublish(String id, long revision) {
    return ask(id, r -> new ContentCommand.Unpublish(revision, actor, r));
  }

  @Override
  public CompletionStage<List<ContentSnapshot>> all() {
    String prefix = ContentCommand.ENTITY_KEY.name() + "|";
    return PersistenceQuery.get(system)
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier())
        .currentPersistenceIds()
        .filter(pid -> pid.startsWith(prefix))
        .mapAsync(8, pid -> ask(pid.substring(prefix.length()), ContentCommand.Get::new))
        .runWith(Sink.seq(), system);
  }

  @Override
  public CompletionStage<String> putMedia(Path file, String contentType, String filename) {
    if (media == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("no media store"));
    }
    // File I/O and hashing: on the media dispatcher, never on the actors' threads.
    return CompletableFuture.supplyAsync(
        () -> {
          try (InputStream in = Files.newInputStream(file)) {
            return media.put(in, contentType, filename, maxMediaBytes).url();
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(file + ": " + e.getMessage(), e);
          }
        },
        system.dispatchers().lookup(DispatcherSelector.fromConfig("quire.media.dispatcher")));
  }

  @Override
  public CompletionStage<Void> addRedirects(List<RedirectRule> rules) {
    return putRedirects(rules).thenApply(v -> null);
  }

  public CompletionStage<ContentSnapshot> archive(String id, long revision) {
    return ask(id, r -> new ContentCommand.Archive(revision, actor, r));
  }

  // ---- what a bundle needs: the journal's view of every item, restore, the redirect table ----

  /** The owner of {@code slug} (current or old), if any. */
  public CompletionStage<Optional<String>> slugOwner(String slug) {
    return Asks.on(
            sharding
                .entityRefFor(SlugCommand.ENTITY_KEY, slug)
                .<SlugCommand.Owner>ask(SlugCommand.GetOwner::new, timeout),
            system.executionContext())
        .thenApply(o -> o.contentId().isEmpty() ? Optional.empty() : Optional.of(o.contentId()));
  }

  /** The item with this id, or empty when there is none. */
  @Override
  public CompletionStage<Optional<ContentSnapshot>> get(String id) {
    return Asks.on(
            sharding
                .entityRefFor(ContentCommand.ENTITY_KEY, id)
                .<ContentReply>ask(ContentCommand.Get::new, timeout),
            system.executionContext())
        .thenApply(
            reply ->
                reply instanceof ContentReply.Accepted a
                    ? Optional.of(a.content())
                    : Optional.<ContentSnapshot>empty());
  }

  @Override
  public CompletionStage<List<SlugUse>> slugUses() {
    return slugUses("", new ArrayList<>());
  }

  /** Pages by id (an index range each), so the whole listing costs as much as the site is big. */
  private CompletionStage<List<SlugUse>> slugUses(String afterId, List<SlugUse> acc) {
    return queries()
        .thenCompose(
            q ->
                AskPattern.<ContentQuery, ContentQuery.SlugPage>ask(
                    q,
                    r -> new ContentQuery.Slugs(afterId, SLUG_USE_PAGE, r),
                    timeout,
                    system.scheduler()))
        .thenCompose(
            p -> {
              p.items()
                  .forEach(
                      i ->
                          acc.add(
                              new SlugUse(i.id(), i.kind(), i.slug(), i.aliases(), i.status())));
              return !p.more() || p.items().isEmpty()
                  ? CompletableFuture.completedFuture(acc)
                  : slugUses(p.items().get(p.items().size() - 1).id(), acc);
            });
  }

  /** A page of the read model's items (any kind and status), newest update first. */
  public CompletionStage<ContentQuery.Page> readModelPage(int page, int size) {
    return queries()
        .thenCompose(
            q ->
                AskPattern.<ContentQuery, ContentQuery.Page>ask(
                    q,
                    r -> new ContentQuery.ListItems(null, null, null, page, size, r),
                    timeout,
                    system.scheduler()));
  }

  /** Every content id in the journal, in the journal's order. */
  public CompletionStage<List<String>> ids() {
    return queries()
        .thenCompose(
            q ->
                AskPattern.<ContentQuery, ContentQuery.IdList>ask(
                    q, ContentQuery.AllIds::new, timeout, system.scheduler()))
        .thenApply(ContentQuery.IdList::ids);
  }

  /** An item's events as history steps, revision 1 first. */
  public CompletionStage<List<HistoryStep>> history(String id) {
    return queries()
        .thenCompose(
            q ->
                AskPattern.<ContentQuery, ContentQuery.HistoryList>ask(
                    q, r -> new ContentQuery.History(id, r), timeout, system.scheduler()))
        .thenApply(ContentQuery.HistoryList::steps);
  }

  /** Writes a new item's whole history in one journal write (see {@code Content.Restore}). */
  public CompletionStage<ContentSnapshot> restore(String id, List<HistoryStep> history) {
    return ask(id, r -> new ContentCommand.Restore(history, r));
  }

  /**
   * The whole redirect table: every page of it (the entity answers about 500,000 characters of
   * rules at a time; until 2026-12-06 only the first page was read, and a bundle export of a larger
   * table left the rest out).
   */
  public CompletionStage<List<RedirectRule>> redirects() {
    return redirectsFrom(0, -1, new java.util.ArrayList<>());
  }

  private CompletionStage<List<RedirectRule>> redirectsFrom(
      int offset, long version, List<RedirectRule> acc) {
    return Asks.on(
            redirectTable()
                .<RedirectCommand.RedirectTable>ask(
                    r -> new RedirectCommand.Get(-1, offset, r), timeout),
            system.executionContext())
        .thenCompose(
            page -> {
              if (version >= 0 && page.version() != version) {
                // A stopped site's table changes only through this command: one that moved
                // between pages is a second writer, and no table is better than a torn one.
                throw new IllegalStateException(
                    "the redirect table changed while it was read (version "
                        + version
                        + ", then "
                        + page.version()
                        + ")");
              }
              acc.addAll(page.rules());
              return page.next() == null
                  ? java.util.concurrent.CompletableFuture.completedFuture(List.copyOf(acc))
                  : redirectsFrom(page.next(), page.version(), acc);
            });
  }

  /** Adds or replaces rules (by {@code from}) in one journaled change. */
  public CompletionStage<Long> putRedirects(List<RedirectRule> rules) {
    return Asks.on(
            redirectTable()
                .<RedirectReply>ask(r -> new RedirectCommand.Put(rules, actor, r), timeout),
            system.executionContext())
        .thenApply(
            reply -> {
              if (reply instanceof RedirectReply.Refused r) {
                throw new Refused(r.field(), r.message());
              }
              return ((RedirectReply.Stored) reply).version();
            });
  }

  public CompletionStage<List<dev.quire.protocol.SiteMenu>> menus() {
    return Asks.on(
            sharding
                .entityRefFor(
                    dev.quire.protocol.MenuCommand.ENTITY_KEY, dev.quire.protocol.MenuCommand.SITE)
                .<dev.quire.protocol.MenuCommand.MenuTable>ask(
                    r -> new dev.quire.protocol.MenuCommand.Get(-1, r), timeout),
            system.executionContext())
        .thenApply(dev.quire.protocol.MenuCommand.MenuTable::menus);
  }

  /** Sets one menu, all its links at once. */
  public CompletionStage<Long> putMenu(dev.quire.protocol.SiteMenu menu) {
    return Asks.on(
            sharding
                .entityRefFor(
                    dev.quire.protocol.MenuCommand.ENTITY_KEY, dev.quire.protocol.MenuCommand.SITE)
                .<dev.quire.protocol.MenuCommand.MenuReply>ask(
                    r -> new dev.quire.protocol.MenuCommand.Put(menu, actor, r), timeout),
            system.executionContext())
        .thenApply(
            reply -> {
              if (reply instanceof dev.quire.protocol.MenuCommand.MenuReply.Refused r) {
                throw new Refused(r.field(), r.message());
              }
              return ((dev.quire.protocol.MenuCommand.MenuReply.Stored) reply).version();
            });
  }

  /** The admin's accounts whole, hashes included: for a bundle asked to carry them. */
  public CompletionStage<List<dev.quire.protocol.UserCommand.AccountRecord>> accounts() {
    return accountsAfter(null, new ArrayList<>());
  }

  private CompletionStage<List<dev.quire.protocol.UserCommand.AccountRecord>> accountsAfter(
      String after, List<dev.quire.protocol.UserCommand.AccountRecord> acc) {
    return Asks.on(
            users()
                .<dev.quire.protocol.UserCommand.Accounts>ask(
                    r ->
                        new dev.quire.protocol.UserCommand.ExportAccounts(
                            after, dev.quire.protocol.UserCommand.EXPORT_PAGE, r),
                    timeout),
            system.executionContext())
        .thenCompose(
            page -> {
              acc.addAll(page.accounts());
              if (!page.more() || page.accounts().isEmpty()) {
                return java.util.concurrent.CompletableFuture.completedFuture(acc);
              }
              return accountsAfter(page.accounts().get(page.accounts().size() - 1).username(), acc);
            });
  }

  /** Restores a bundle's accounts: those the site lacks added as they were, the others kept. */
  public CompletionStage<dev.quire.protocol.UserCommand.Restored> restoreAccounts(
      List<dev.quire.protocol.UserCommand.AccountRecord> accounts) {
    return Asks.on(
        users()
            .<dev.quire.protocol.UserCommand.Restored>ask(
                r -> new dev.quire.protocol.UserCommand.RestoreAccounts(accounts, actor, r),
                timeout),
        system.executionContext());
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<dev.quire.protocol.UserCommand>
      users() {
    return sharding.entityRefFor(
        dev.quire.protocol.UserCommand.ENTITY_KEY, dev.quire.protocol.UserCommand.SITE);
  }

  /** The site's profile as its editors set it (title, description, ...). */
  public CompletionStage<dev.quire.protocol.ProfileCommand.ProfileTable> profile() {
    return Asks.on(
        profileEntity()
            .<dev.quire.protocol.ProfileCommand.ProfileTable>ask(
                r -> new dev.quire.protocol.ProfileCommand.Get(-1, r), timeout),
        system.executionContext());
  }

  /** Sets the whole profile, if it is still at {@code baseVersion}. */
  public CompletionStage<Long> putProfile(
      dev.quire.protocol.SiteProfile profile, long baseVersion) {
    return Asks.on(
            profileEntity()
                .<dev.quire.protocol.ProfileCommand.ProfileReply>ask(
                    r -> new dev.quire.protocol.ProfileCommand.Put(profile, baseVersion, actor, r),
                    timeout),
            system.executionContext())
        .thenApply(
            reply -> {
              if (reply instanceof dev.quire.protocol.ProfileCommand.ProfileReply.Refused r) {
                throw new Refused(r.field(), r.message());
              }
              return ((dev.quire.protocol.ProfileCommand.ProfileReply.Stored) reply).version();
            });
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<
          dev.quire.protocol.ProfileCommand>
      profileEntity() {
    return sharding.entityRefFor(
        dev.quire.protocol.ProfileCommand.ENTITY_KEY, dev.quire.protocol.ProfileCommand.SITE);
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<RedirectCommand>
      redirectTable() {
    return sharding.entityRefFor(RedirectCommand.ENTITY_KEY, RedirectCommand.SITE);
  }

  /** The content query actor, once it has registered (it starts with the node). */
  private CompletionStage<ActorRef<ContentQuery>> queries() {
    if (queries != null) {
      return CompletableFuture.completedFuture(queries);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    return findQueries(deadline);
  }

  private CompletionStage<ActorRef<ContentQuery>> findQueries(long deadline) {
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(
            system.receptionist(),
            r -> Receptionist.find(ContentQuery.SERVICE_KEY, r),
            timeout,
            system.scheduler())
        .thenCompose(
            listing -> {
              var found = listing.getServiceInstances(ContentQuery.SERVICE_KEY);
              if (!found.isEmpty()) {
                queries = found.iterator().next();
                return CompletableFuture.completedFuture(queries);
              }
              if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the content queries did not start");
              }
              return org.apache.pekko.pattern.Patterns.after(
                  Duration.ofMillis(50),
                  system.classicSystem().scheduler(),
                  system.executionContext(),
                  () -> findQueries(deadline));
            });
  }

  /** Any command to an item's entity, its snapshot the answer (package-private for tests). */
  CompletionStage<ContentSnapshot> ask(
      String id, Function<ActorRef<ContentReply>, ContentCommand> make) {
    return Asks.on(
            sharding
                .entityRefFor(ContentCommand.ENTITY_KEY, id)
                .<ContentReply>ask(make::apply, timeout),
            system.executionContext())
        .thenApply(
            reply -> {
              if (reply instanceof ContentReply.Rejected r) {
                throw new Refused(r.field(), r.message());
              }
              return ((ContentReply.Accepted) reply).content();
            });
  }

  @Override
  public void close() {}

  /**
   * Whether the journal holds no content event after {@code offset} (a journal ordering): with the
   * read-model projection's stored offset, whether the read model (what the site is served from)
   * has taken in everything written so far.
   */
  public CompletionStage<Boolean> noContentEventsAfter(long offset) {
    return PersistenceQuery.get(system)
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier())
        .currentEventsByTag(Content.TAG, Offset.sequence(offset))
        .take(1)
        .runWith(Sink.seq(), system)
        .thenApply(List::isEmpty);
  }
}
