package dev.quire.gateway.backup;

import dev.quire.gateway.content.Asks;
import dev.quire.protocol.ContentCommand;
import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentQuery;
import dev.quire.protocol.ContentReply;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.HistoryStep;
import dev.quire.protocol.MenuCommand;
import dev.quire.protocol.ProfileCommand;
import dev.quire.protocol.RedirectCommand;
import dev.quire.protocol.RedirectReply;
import dev.quire.protocol.RedirectRule;
import dev.quire.protocol.SiteMenu;
import dev.quire.protocol.SiteProfile;
import dev.quire.protocol.SlugCommand;
import dev.quire.protocol.UserCommand;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * A site as protocol messages reach it, wherever its entities run: each item's entity, the slug
 * claims, the redirect table, the menus, the profile and the user directory through sharding, and
 * the content role's query actor through the receptionist. What {@link BundleImport} writes
 * through, on a running site's gateway and in {@code quire bundle import} alike; {@code actor} is
 * who the writes are recorded as.
 */
public class ProtocolImportSite implements BundleImport.Site, BundleImport.Planner {

  /** Ids per page when listing the journal's items. */
  private static final int ID_PAGE = 500;

  /** Slug owners asked at once while planning. */
  private static final int SLUG_ASKS = 16;

  protected final ActorSystem<?> system;
  protected final ClusterSharding sharding;
  protected final Duration timeout;
  protected final String actor;
  private volatile ActorRef<ContentQuery> queries;

  public ProtocolImportSite(ActorSystem<?> system, Duration timeout, String actor) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
    this.actor = actor;
  }

  /** What a refused command throws (a subclass names its own kind). */
  protected RuntimeException refused(String field, String message) {
    return new Refused(field, message);
  }

  /**
   * What a command the entity could not carry out in time throws (its own ask of another entity
   * timed out: the change may still be applied); a refusal unless a subclass says otherwise.
   */
  protected RuntimeException unavailable(String field, String message) {
    return refused(field, message);
  }

  /** A command the site refused, with the field and reason it gave. */
  public static class Refused extends RuntimeException {
    public final String field;

    public Refused(String field, String message) {
      super(message);
      this.field = field;
    }
  }

  // ---- items ----

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
  public CompletionStage<ContentSnapshot> restore(String id, List<HistoryStep> history) {
    return ask(id, r -> new ContentCommand.Restore(history, r));
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
  public CompletionStage<ContentSnapshot> archive(String id, long revision) {
    return ask(id, r -> new ContentCommand.Archive(revision, actor, r));
  }

  /** The owner of {@code slug} (current or old), if any. */
  public CompletionStage<Optional<String>> slugOwner(String slug) {
    return Asks.on(
            sharding
                .entityRefFor(SlugCommand.ENTITY_KEY, slug)
                .<SlugCommand.Owner>ask(SlugCommand.GetOwner::new, timeout),
            system.executionContext())
        .thenApply(o -> o.contentId().isEmpty() ? Optional.empty() : Optional.of(o.contentId()));
  }

  /** Any command to an item's entity, its snapshot the answer; a rejection fails it. */
  public CompletionStage<ContentSnapshot> ask(
      String id, Function<ActorRef<ContentReply>, ContentCommand> make) {
    return Asks.on(
            sharding
                .entityRefFor(ContentCommand.ENTITY_KEY, id)
                .<ContentReply>ask(make::apply, timeout),
            system.executionContext())
        .thenApply(
            reply -> {
              if (reply instanceof ContentReply.Rejected r) {
                throw r.code() == dev.quire.protocol.ErrorCode.UNAVAILABLE
                    ? unavailable(r.field(), r.message())
                    : refused(r.field(), r.message());
              }
              return ((ContentReply.Accepted) reply).content();
            });
  }

  // ---- planning: the journal's ids, the slug claims, the entity's own check ----

  @Override
  public Set<String> contentIds() throws Exception {
    Set<String> ids = new HashSet<>();
    String after = "";
    while (true) {
      String from = after;
      ContentQuery.IdPage page = await(query(r -> new ContentQuery.JournalIds(from, ID_PAGE, r)));
      ids.addAll(page.ids());
      if (!page.more() || page.ids().isEmpty()) {
        return ids;
      }
      after = page.ids().get(page.ids().size() - 1);
    }
  }

  /** Asked of each slug's own claim entity: never stale, whatever the read model says. */
  @Override
  public Map<String, String> slugOwners(Set<String> slugs) throws Exception {
    Map<String, String> owners = new HashMap<>();
    List<String> all = new ArrayList<>(slugs);
    for (int from = 0; from < all.size(); from += SLUG_ASKS) {
      List<String> part = all.subList(from, Math.min(all.size(), from + SLUG_ASKS));
      List<CompletableFuture<Optional<String>>> asked = new ArrayList<>();
      part.forEach(s -> asked.add(slugOwner(s).toCompletableFuture()));
      for (int i = 0; i < part.size(); i++) {
        Optional<String> owner = await(asked.get(i));
        if (owner.isPresent()) {
          owners.put(part.get(i), owner.get());
        }
      }
    }
    return owners;
  }

  @Override
  public ContentReply.Rejected checkHistory(String id, List<HistoryStep> steps) throws Exception {
    ContentQuery.HistoryChecked checked =
        await(
            this.<ContentQuery.HistoryChecked>query(
                r -> new ContentQuery.CheckHistory(id, steps, r)));
    return checked.problem();
  }

  // ---- the site's tables ----

  /** The whole redirect table: every page of it, read at one version. */
  @Override
  public CompletionStage<List<RedirectRule>> redirects() {
    return redirectsAt().thenApply(BundleImport.RedirectsAt::rules);
  }

  @Override
  public CompletionStage<BundleImport.RedirectsAt> redirectsAt() {
    return redirectsFrom(0, -1, new ArrayList<>());
  }

  private CompletionStage<BundleImport.RedirectsAt> redirectsFrom(
      int offset, long version, List<RedirectRule> acc) {
    return Asks.on(
            redirectTable()
                .<RedirectCommand.RedirectTable>ask(
                    r -> new RedirectCommand.Get(-1, offset, r), timeout),
            system.executionContext())
        .thenCompose(
            page -> {
              if (version >= 0 && page.version() != version) {
                throw new IllegalStateException(
                    "the redirect table changed while it was read (version "
                        + version
                        + ", then "
                        + page.version()
                        + "); try again");
              }
              acc.addAll(page.rules());
              return page.next() == null
                  ? CompletableFuture.completedFuture(
                      new BundleImport.RedirectsAt(page.version(), List.copyOf(acc)))
                  : redirectsFrom(page.next(), page.version(), acc);
            });
  }

  /** Adds or replaces rules (by {@code from}) in one journaled change. */
  @Override
  public CompletionStage<Long> putRedirects(List<RedirectRule> rules) {
    return putRedirects(rules, (Long) null);
  }

  @Override
  public CompletionStage<Long> putRedirects(List<RedirectRule> rules, long expectedVersion) {
    return putRedirects(rules, Long.valueOf(expectedVersion));
  }

  /**
   * A batch at a version is a bundle import's, whose plan followed the whole table for loops
   * ({@code loopsChecked}): a batch alone could loop with a rule a later batch replaces.
   */
  private CompletionStage<Long> putRedirects(List<RedirectRule> rules, Long expectedVersion) {
    return Asks.on(
            redirectTable()
                .<RedirectReply>ask(
                    r ->
                        new RedirectCommand.Put(
                            rules, expectedVersion, expectedVersion != null, actor, r),
                    timeout),
            system.executionContext())
        .thenApply(
            reply -> {
              if (reply instanceof RedirectReply.Refused r) {
                throw refused(r.field(), r.message());
              }
              return ((RedirectReply.Stored) reply).version();
            });
  }

  @Override
  public CompletionStage<List<SiteMenu>> menus() {
    return Asks.on(
            menuEntity().<MenuCommand.MenuTable>ask(r -> new MenuCommand.Get(-1, r), timeout),
            system.executionContext())
        .thenApply(MenuCommand.MenuTable::menus);
  }

  @Override
  public CompletionStage<MenuCommand.MenuTable> menuTable() {
    return Asks.on(
        menuEntity().<MenuCommand.MenuTable>ask(r -> new MenuCommand.Get(-1, r), timeout),
        system.executionContext());
  }

  @Override
  public CompletionStage<Long> putMenu(SiteMenu menu, long expectedVersion) {
    return putMenu(menu, Long.valueOf(expectedVersion));
  }

  /** Sets one menu, all its links at once. */
  @Override
  public CompletionStage<Long> putMenu(SiteMenu menu) {
    return putMenu(menu, (Long) null);
  }

  private CompletionStage<Long> putMenu(SiteMenu menu, Long expectedVersion) {
    return Asks.on(
            menuEntity()
                .<MenuCommand.MenuReply>ask(
                    r -> new MenuCommand.Put(menu, expectedVersion, actor, r), timeout),
            system.executionContext())
        .thenApply(
            reply -> {
              if (reply instanceof MenuCommand.MenuReply.Refused r) {
                throw refused(r.field(), r.message());
              }
              return ((MenuCommand.MenuReply.Stored) reply).version();
            });
  }

  /** The admin's accounts whole, hashes included, a page at a time. */
  @Override
  public CompletionStage<List<UserCommand.AccountRecord>> accounts() {
    return accountsAfter(null, new ArrayList<>());
  }

  private CompletionStage<List<UserCommand.AccountRecord>> accountsAfter(
      String after, List<UserCommand.AccountRecord> acc) {
    return Asks.on(
            users()
                .<UserCommand.Accounts>ask(
                    r -> new UserCommand.ExportAccounts(after, UserCommand.EXPORT_PAGE, r),
                    timeout),
            system.executionContext())
        .thenCompose(
            page -> {
              acc.addAll(page.accounts());
              if (!page.more() || page.accounts().isEmpty()) {
                return CompletableFuture.completedFuture(acc);
              }
              return accountsAfter(page.accounts().get(page.accounts().size() - 1).username(), acc);
            });
  }

  /** Restores a bundle's accounts: those the site lacks added as they were, the others kept. */
  @Override
  public CompletionStage<UserCommand.Restored> restoreAccounts(
      List<UserCommand.AccountRecord> accounts) {
    return Asks.on(
        users()
            .<UserCommand.Restored>ask(
                r -> new UserCommand.RestoreAccounts(accounts, actor, r), timeout),
        system.executionContext());
  }

  /** The site's profile as its editors set it (title, description, ...). */
  @Override
  public CompletionStage<ProfileCommand.ProfileTable> profile() {
    return Asks.on(
        profileEntity()
            .<ProfileCommand.ProfileTable>ask(r -> new ProfileCommand.Get(-1, r), timeout),
        system.executionContext());
  }

  /** Sets the whole profile, if it is still at {@code baseVersion}. */
  @Override
  public CompletionStage<Long> putProfile(SiteProfile profile, long baseVersion) {
    return Asks.on(
            profileEntity()
                .<ProfileCommand.ProfileReply>ask(
                    r -> new ProfileCommand.Put(profile, baseVersion, actor, r), timeout),
            system.executionContext())
        .thenApply(
            reply -> {
              if (reply instanceof ProfileCommand.ProfileReply.Refused r) {
                throw refused(r.field(), r.message());
              }
              return ((ProfileCommand.ProfileReply.Stored) reply).version();
            });
  }

  private EntityRef<UserCommand> users() {
    return sharding.entityRefFor(UserCommand.ENTITY_KEY, UserCommand.SITE);
  }

  private EntityRef<ProfileCommand> profileEntity() {
    return sharding.entityRefFor(ProfileCommand.ENTITY_KEY, ProfileCommand.SITE);
  }

  private EntityRef<MenuCommand> menuEntity() {
    return sharding.entityRefFor(MenuCommand.ENTITY_KEY, MenuCommand.SITE);
  }

  private EntityRef<RedirectCommand> redirectTable() {
    return sharding.entityRefFor(RedirectCommand.ENTITY_KEY, RedirectCommand.SITE);
  }

  // ---- the content role's query actor ----

  /** Asks the query actor, once it has registered (it starts with the content role). */
  protected <R> CompletionStage<R> query(
      org.apache.pekko.japi.function.Function<ActorRef<R>, ContentQuery> make) {
    return queries()
        .thenCompose(q -> AskPattern.<ContentQuery, R>ask(q, make, timeout, system.scheduler()));
  }

  protected CompletionStage<ActorRef<ContentQuery>> queries() {
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

  private <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
  }
}
