package dev.quire.cli;

import dev.quire.protocol.ContentCommand;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.ContentStatus;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Brings a site in line with a set of validated entries: creates what is new, edits what changed
 * (from the revision it read, so a concurrent edit is refused, not overwritten), and moves each
 * item to the status its file asks for. What is already equal is left alone.
 */
public final class Importer {

  /** What the import did. */
  public record Summary(
      int created,
      int updated,
      int published,
      int scheduled,
      int unpublished,
      int unchanged,
      List<String> failures,
      int notTried,
      String stoppedBecause,
      int retried,
      int inFlightAtStop) {
    @Override
    public String toString() {
      return created
          + " created, "
          + updated
          + " updated, "
          + published
          + " published, "
          + scheduled
          + " scheduled, "
          + unpublished
          + " unpublished, "
          + unchanged
          + " unchanged, "
          + failures.size()
          + " failed"
          + (notTried > 0 ? ", " + notTried + " not tried" : "")
          + (inFlightAtStop > 0 ? ", " + inFlightAtStop + " not known" : "")
          + (retried > 0
              ? " (" + retried + " file(s) tried again after the site did not answer in time)"
              : "");
    }
  }

  private final ContentTarget target;
  private final int parallelism;
  private final Clock clock;
  private final java.util.function.Supplier<String> stop;
  private final java.time.Duration retryPause;
  private final java.time.Duration stopGrace;

  public Importer(ContentTarget target, int parallelism, Clock clock) {
    this(target, parallelism, clock, () -> null);
  }

  /** Without tries again: a file the site did not answer in time for fails. */
  public Importer(
      ContentTarget target,
      int parallelism,
      Clock clock,
      java.util.function.Supplier<String> stop) {
    this(target, parallelism, clock, stop, java.time.Duration.ZERO, null);
  }

  /**
   * {@code stop} is asked before each file: a reason stops the import there (the files in flight
   * finish), and the rest are counted as not tried. A full disk made every later file wait out its
   * timeout and fail: 267 of 1,000 in 55 s, each with pages of stack traces. A file the site did
   * not answer in time for (not one it refused) is tried once more after {@code retryPause} (zero:
   * never), read against the site again first: the change may have landed meanwhile. Once stopped,
   * the files in flight are waited for {@code stopGrace} at most (null: until they end): with the
   * journal refusing writes their entities have stopped and will not answer, and each waited out
   * its whole timeout (30 s) for nothing.
   */
  public Importer(
      ContentTarget target,
      int parallelism,
      Clock clock,
      java.util.function.Supplier<String> stop,
      java.time.Duration retryPause,
      java.time.Duration stopGrace) {
    this.target = target;
    this.parallelism = parallelism;
    this.clock = clock;
    this.stop = stop;
    this.retryPause = retryPause;
    this.stopGrace = stopGrace;
  }

  /** How often the files in flight are looked at while an import waits for them to end. */
  private static final long IN_FLIGHT_LOOK_MS = 100;

  /**
   * What in {@code entries} the site would refuse, found before anything is written: a file that
   * makes a page of the site a post (or the other way round), and a file whose slug is an old slug
   * of an item the site has since renamed (importing it would rename that item back). Checked
   * against the site's read model; a change another editor makes during the import still fails only
   * its own file, in {@link #run}.
   */
  public static List<MarkdownFolder.Problem> conflicts(
      List<MarkdownFolder.Entry> entries, List<ContentTarget.SlugUse> site) {
    SiteIndex index = SiteIndex.of(site);
    Map<String, ContentTarget.SlugUse> bySlug = index.bySlug();
    Map<String, ContentTarget.SlugUse> byAlias = index.byAlias();
    Map<String, ContentTarget.SlugUse> byId = index.byId();
    List<MarkdownFolder.Problem> problems = new ArrayList<>();
    // The site's items that files name by id: a file without one must not reach them by slug.
    Map<String, MarkdownFolder.Entry> claimed = new HashMap<>();
    for (MarkdownFolder.Entry e : entries) {
      if (e.id() != null && byId.containsKey(e.id())) {
        claimed.put(e.id(), e);
      }
    }
    for (MarkdownFolder.Entry e : entries) {
      String slug = e.fields().slug();
      ContentTarget.SlugUse own = e.id() == null ? null : byId.get(e.id());
      if (own == null) {
        ContentTarget.SlugUse reached =
            bySlug.containsKey(slug) ? bySlug.get(slug) : byAlias.get(slug);
        MarkdownFolder.Entry claimer = reached == null ? null : claimed.get(reached.id());
        if (claimer != null) {
          problems.add(
              problem(
                  e,
                  "slug",
                  "'"
                      + slug
                      + "' is a slug of item "
                      + reached.id()
                      + ", which "
                      + claimer.file().getFileName()
                      + " names by its id (as '"
                      + claimer.fields().slug()
                      + "'): give this file another slug"));
          continue;
        }
      }
      if (own != null) {
        // The file names its item: a new slug renames it, unless another item holds that slug.
        ContentTarget.SlugUse holder = bySlug.get(slug);
        ContentTarget.SlugUse oldHolder = byAlias.get(slug);
        if (own.kind() != e.kind()) {
          problems.add(
              problem(
                  e,
                  "kind",
                  "the site has item "
                      + own.id()
                      + " as a "
                      + own.kind().id()
                      + ", this file as a "
                      + e.kind().id()));
        }
        ContentTarget.SlugUse other =
            holder != null && !holder.id().equals(own.id())
                ? holder
                : oldHolder != null && !oldHolder.id().equals(own.id()) ? oldHolder : null;
        if (other != null) {
          problems.add(
              problem(
                  e,
                  "slug",
                  "'"
                      + slug
                      + "' belongs to another item of the site (now at '"
                      + other.slug()
                      + "'), so item "
                      + own.id()
                      + " cannot be renamed to it"));
        }
        continue;
      }
      ContentTarget.SlugUse current = bySlug.get(slug);
      if (current != null && current.kind() != e.kind()) {
        problems.add(
            problem(
                e,
                "kind",
                "the site has '"
                    + slug
                    + "' as a "
                    + current.kind().id()
                    + ", this file as a "
                    + e.kind().id()
                    + " (set 'kind: "
                    + current.kind().id()
                    + "' or use another slug)"));
      }
      ContentTarget.SlugUse renamed = current == null ? byAlias.get(slug) : null;
      if (renamed != null) {
        problems.add(
            problem(
                e,
                "slug",
                "'"
                    + slug
                    + "' is an old slug of the item now at '"
                    + renamed.slug()
                    + "' (renamed on the site; its old URL redirects there): use 'slug: "
                    + renamed.slug()
                    + "' to update that item"));
      }
    }
    return problems;
  }

  /**
   * The archived items the files would reach, each under its file: the one a file names by id, else
   * the one holding its slug. An archived item cannot be edited, so the import's check reads these
   * and refuses a file that would change one ({@link #archivedEdit}).
   */
  public static Map<MarkdownFolder.Entry, ContentTarget.SlugUse> archivedReached(
      List<MarkdownFolder.Entry> entries, List<ContentTarget.SlugUse> site) {
    return reached(entries, site, ContentStatus.ARCHIVED);
  }

  /**
   * The files that name no item of {@code site}: neither by id nor by slug or an old slug (new
   * files, or items the site's list does not hold yet).
   */
  public static List<MarkdownFolder.Entry> unplaced(
      List<MarkdownFolder.Entry> entries, List<ContentTarget.SlugUse> site) {
    SiteIndex index = SiteIndex.of(site);
    List<MarkdownFolder.Entry> out = new ArrayList<>();
    for (MarkdownFolder.Entry e : entries) {
      String slug = e.fields().slug();
      if ((e.id() == null || !index.byId().containsKey(e.id()))
          && !index.bySlug().containsKey(slug)
          && !index.byAlias().containsKey(slug)) {
        out.add(e);
      }
    }
    return out;
  }

  /** The items in {@code status} the files would reach, each under its file (as above). */
  public static Map<MarkdownFolder.Entry, ContentTarget.SlugUse> reached(
      List<MarkdownFolder.Entry> entries, List<ContentTarget.SlugUse> site, ContentStatus status) {
    SiteIndex index = SiteIndex.of(site);
    Map<MarkdownFolder.Entry, ContentTarget.SlugUse> reached = new java.util.LinkedHashMap<>();
    for (MarkdownFolder.Entry e : entries) {
      ContentTarget.SlugUse u = e.id() == null ? null : index.byId().get(e.id());
      if (u == null) {
        u = index.bySlug().get(e.fields().slug());
      }
      if (u != null && u.status() == status) {
        reached.put(e, u);
      }
    }
    return reached;
  }

  /**
   * The problem with a file that would change {@code item}, archived on the site: the site refuses
   * to edit or schedule an archived item, so a file whose fields differ, or whose publish date is
   * after {@code now}, would fail half-way through the import. A file that matches it publishes it
   * again (as the folder says); one with {@code draft: true} leaves it archived.
   */
  public static Optional<MarkdownFolder.Problem> archivedEdit(
      MarkdownFolder.Entry e, ContentSnapshot item, Instant now) {
    if (item.status() != ContentStatus.ARCHIVED) {
      return Optional.empty();
    }
    String what;
    if (!item.fields().equals(e.fields())) {
      what = "edited";
    } else if (initially(e, now).status() == ContentStatus.SCHEDULED) {
      what = "scheduled";
    } else {
      return Optional.empty();
    }
    return Optional.of(
        problem(
            e,
            "item",
            "the site has item "
                + item.id()
                + " ('"
                + item.fields().slug()
                + "') archived, and an archived item cannot be "
                + what
                + ": publish it again on the site first, or leave this file out"));
  }

  /** The site's items by slug, by old slug and by id. */
  private record SiteIndex(
      Map<String, ContentTarget.SlugUse> bySlug,
      Map<String, ContentTarget.SlugUse> byAlias,
      Map<String, ContentTarget.SlugUse> byId) {

    static SiteIndex of(List<ContentTarget.SlugUse> site) {
      SiteIndex index = new SiteIndex(new HashMap<>(), new HashMap<>(), new HashMap<>());
      for (ContentTarget.SlugUse u : site) {
        index.bySlug.put(u.slug(), u);
        index.byId.put(u.id(), u);
        u.aliases().forEach(a -> index.byAlias.put(a, u));
      }
      return index;
    }
  }

  /** A problem with {@code e}, on the line of its {@code kind} for that field, else its slug's. */
  private static MarkdownFolder.Problem problem(
      MarkdownFolder.Entry e, String field, String message) {
    return new MarkdownFolder.Problem(
        e.file(), field.equals("kind") ? e.kindLine() : e.slugLine(), field, message);
  }

  /** Counts of writes done: the import's, and one attempt's at a file before they join them. */
  private record Counts(
      AtomicInteger created,
      AtomicInteger updated,
      AtomicInteger published,
      AtomicInteger scheduled,
      AtomicInteger unpublished) {
    Counts() {
      this(
          new AtomicInteger(),
          new AtomicInteger(),
          new AtomicInteger(),
          new AtomicInteger(),
          new AtomicInteger());
    }

    void add(Counts o) {
      created.addAndGet(o.created.get());
      updated.addAndGet(o.updated.get());
      published.addAndGet(o.published.get());
      scheduled.addAndGet(o.scheduled.get());
      unpublished.addAndGet(o.unpublished.get());
    }
  }

  public Summary run(List<MarkdownFolder.Entry> entries) throws InterruptedException {
    Counts counts = new Counts();
    AtomicInteger unchanged = new AtomicInteger();
    AtomicInteger retried = new AtomicInteger();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    Semaphore inFlight = new Semaphore(parallelism);
    // Set once the summary is made; also the lock between it and a file ending.
    java.util.concurrent.atomic.AtomicBoolean closed =
        new java.util.concurrent.atomic.AtomicBoolean();
    int tried = 0;
    String stoppedBecause = null;
    for (MarkdownFolder.Entry e : entries) {
      // Asked while waiting for room too: with every file in flight stuck on an entity that has
      // stopped, the wait for a permit would otherwise be their whole timeout.
      boolean acquired = false;
      while (stoppedBecause == null
          && !(acquired =
              inFlight.tryAcquire(IN_FLIGHT_LOOK_MS, java.util.concurrent.TimeUnit.MILLISECONDS))) {
        stoppedBecause = stop.get();
      }
      if (stoppedBecause == null) {
        stoppedBecause = stop.get();
      }
      if (stoppedBecause != null) {
        if (acquired) {
          inFlight.release();
        }
        break;
      }
      tried++;
      // What the site had before the file's first attempt (null: not read yet).
      var firstSeen = new java.util.concurrent.atomic.AtomicReference<Optional<ContentSnapshot>>();
      Counts first = new Counts();
      Counts second = new Counts();
      boolean[] again = {false};
      CompletionStage<Boolean> done =
          attempt(e, firstSeen, first, false)
              .handle(
                  (after, failure) -> {
                    if (failure == null
                        || retryPause.isZero()
                        || !transientFailure(failure)
                        || stop.get() != null) {
                      return failure == null
                          ? CompletableFuture.completedFuture(after)
                          : CompletableFuture.<ContentSnapshot>failedFuture(failure);
                    }
                    // The site did not answer in time (a shard moving, a busy node): the change
                    // may still land, so after a pause the file is read against the site again
                    // and only what is still missing is sent. Once.
                    again[0] = true;
                    retried.incrementAndGet();
                    return CompletableFuture.supplyAsync(
                            () -> null,
                            CompletableFuture.delayedExecutor(
                                retryPause.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS))
                        .thenCompose(
                            v ->
                                closed.get()
                                    ? failed(
                                        new ContentTarget.Refused(
                                            "item", "not tried again: the import had stopped"))
                                    : attempt(e, firstSeen, second, true));
                  })
              .thenCompose(x -> x)
              .handle(
                  (after, failure) -> {
                    synchronized (closed) {
                      if (!closed.get()) {
                        settleFile(
                            e,
                            after,
                            failure,
                            firstSeen.get(),
                            again[0],
                            first,
                            second,
                            counts,
                            unchanged,
                            failures);
                      }
                      inFlight.release();
                    }
                    return true;
                  });
      done.toCompletableFuture();
    }
    int unknown = awaitInFlight(inFlight, stoppedBecause);
    if (stoppedBecause == null) {
      // A stop after the last file went out is still said, with its reason.
      stoppedBecause = stop.get();
    }
    synchronized (closed) {
      // A file still in flight that ends from now on changes nothing the summary says: it is
      // "not known", whatever it does.
      closed.set(true);
      if (unknown > 0) {
        unknown = parallelism - inFlight.availablePermits();
      }
      return new Summary(
          counts.created().get(),
          counts.updated().get(),
          counts.published().get(),
          counts.scheduled().get(),
          counts.unpublished().get(),
          unchanged.get(),
          List.copyOf(failures),
          entries.size() - tried,
          stoppedBecause,
          retried.get(),
          unknown);
    }
  }

  /**
   * Counts file {@code e} once it has ended: with what its tries wrote ({@code first}, {@code
   * second}), or, tried twice and done, by what changed from {@code was} to {@code after}; a
   * failure in the list.
   */
  private void settleFile(
      MarkdownFolder.Entry e,
      ContentSnapshot after,
      Throwable failure,
      Optional<ContentSnapshot> was,
      boolean again,
      Counts first,
      Counts second,
      Counts counts,
      AtomicInteger unchanged,
      ConcurrentLinkedQueue<String> failures) {
    if (failure == null && again && was != null) {
      // What the first try wrote before it timed out is not known write by
      // write: the file counts as what changed from before to after.
      countChange(was, after, counts);
    } else {
      counts.add(first);
      counts.add(second);
    }
    if (failure == null
        && was != null
        && was.isPresent()
        && after.revision() == was.get().revision()) {
      unchanged.incrementAndGet();
    }
    if (failure != null) {
      Throwable c = failure.getCause() != null ? failure.getCause() : failure;
      String field = c instanceof ContentTarget.Refused r && !r.field.isEmpty() ? r.field : "item";
      String why = c.getMessage() != null ? c.getMessage() : c.toString();
      failures.add(problem(e, field, why).toString());
    }
  }

  /**
   * Waits for the files in flight to end; once the import has stopped (now, or while they end),
   * {@link #stopGrace} at most. Answers how many were still in flight when it gave up on them.
   */
  private int awaitInFlight(Semaphore inFlight, String stoppedBecause) throws InterruptedException {
    if (stopGrace == null) {
      inFlight.acquire(parallelism);
      return 0;
    }
    long stoppedAt = stoppedBecause != null ? System.nanoTime() : 0;
    while (!inFlight.tryAcquire(
        parallelism, IN_FLIGHT_LOOK_MS, java.util.concurrent.TimeUnit.MILLISECONDS)) {
      if (stoppedAt == 0 && stop.get() != null) {
        stoppedAt = System.nanoTime();
      }
      if (stoppedAt != 0 && System.nanoTime() - stoppedAt > stopGrace.toNanos()) {
        return parallelism - inFlight.availablePermits();
      }
    }
    return 0;
  }

  /** A file tried twice, counted by what changed on the site from {@code was} to {@code now}. */
  private static void countChange(Optional<ContentSnapshot> was, ContentSnapshot now, Counts c) {
    ContentStatus before = was.map(ContentSnapshot::status).orElse(null);
    if (was.isEmpty()) {
      c.created().incrementAndGet();
    } else if (!was.get().fields().equals(now.fields())) {
      c.updated().incrementAndGet();
    }
    ContentStatus after = now.status();
    boolean moved =
        before != after
            || after == ContentStatus.SCHEDULED
                && !java.util.Objects.equals(was.get().scheduledAt(), now.scheduledAt());
    if (!moved) {
      return;
    }
    switch (after) {
      case PUBLISHED -> c.published().incrementAndGet();
      case SCHEDULED -> c.scheduled().incrementAndGet();
      case DRAFT -> {
        if (before != null) {
          c.unpublished().incrementAndGet();
        }
      }
      default -> {}
    }
  }

  /**
   * One attempt at bringing the site in line with file {@code e}: read what the site has, then
   * create or edit it, then move it to its status, each write counted in {@code counts} once done.
   * Its first reading is kept in {@code firstSeen} (a second attempt finds what the first may
   * already have written).
   */
  private CompletionStage<ContentSnapshot> attempt(
      MarkdownFolder.Entry e,
      java.util.concurrent.atomic.AtomicReference<Optional<ContentSnapshot>> firstSeen,
      Counts counts,
      boolean again) {
    return find(e)
        .thenApply(
            existing -> {
              firstSeen.compareAndSet(null, existing);
              return existing;
            })
        .thenCompose(
            existing -> {
              if (existing.isEmpty()) {
                // Created in the status its file asks for, in one write; the status step
                // below then finds nothing to do. Counted once written: a refused write
                // is "failed", not also "created".
                ContentCommand.Initially then = initially(e);
                return counted(
                    target.create(e.kind(), e.fields(), then),
                    counts.created(),
                    switch (then.status()) {
                      case PUBLISHED -> counts.published();
                      case SCHEDULED -> counts.scheduled();
                      default -> null;
                    });
              }
              ContentSnapshot s = existing.get();
              if (s.kind() != e.kind()) {
                throw new ContentTarget.Refused(
                    "kind",
                    "the site has it as a " + s.kind().id() + ", the file as a " + e.kind().id());
              }
              if (s.fields().equals(e.fields())) {
                return CompletableFuture.completedFuture(s);
              }
              return counted(target.edit(s.id(), s.revision(), e.fields()), counts.updated(), null);
            })
        .thenCompose(
            s -> status(e, s, counts.published(), counts.scheduled(), counts.unpublished()))
        // The first try's writes may still be landing: a create's slug claimed but its item not
        // yet written (not found above, this create refused for the slug), an edit or a publish
        // landing after this try read the item (refused as stale). After another pause, the
        // item as the file wants it is those writes.
        .exceptionallyCompose(failure -> again ? landedLate(e, failure) : failed(failure));
  }

  private static <T> CompletionStage<T> failed(Throwable failure) {
    return CompletableFuture.failedFuture(failure);
  }

  /**
   * For a second try the site refused: the item as the first try's writes left it, once they have
   * landed (after a pause, read again: the file's kind, exactly its fields and the status it asks
   * for); else the refusal.
   */
  private CompletionStage<ContentSnapshot> landedLate(MarkdownFolder.Entry e, Throwable failure) {
    Throwable c =
        failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    if (!(c instanceof ContentTarget.Refused)
        || c instanceof ContentTarget.StoreFailing
        || c instanceof ContentTarget.Unavailable) {
      return CompletableFuture.failedFuture(failure);
    }
    return CompletableFuture.supplyAsync(
            () -> null,
            CompletableFuture.delayedExecutor(
                retryPause.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS))
        .thenCompose(v -> find(e))
        .thenCompose(
            found ->
                found.isPresent()
                        && found.get().kind() == e.kind()
                        && found.get().fields().equals(e.fields())
                        && asWanted(e, found.get())
                    ? CompletableFuture.completedFuture(found.get())
                    : CompletableFuture.<ContentSnapshot>failedFuture(failure));
  }

  /** Whether {@code s} is in the status file {@code e} asks for (as {@link #status} moves it). */
  private boolean asWanted(MarkdownFolder.Entry e, ContentSnapshot s) {
    ContentCommand.Initially want = initially(e);
    return switch (want.status()) {
      case DRAFT -> s.status() != ContentStatus.PUBLISHED && s.status() != ContentStatus.SCHEDULED;
      case SCHEDULED ->
          s.status() == ContentStatus.SCHEDULED && want.scheduleAt().equals(s.scheduledAt());
      default -> s.status() == ContentStatus.PUBLISHED;
    };
  }

  /**
   * Whether {@code failure} says the site did not answer in time, rather than refused: a file worth
   * reading against the site again.
   */
  static boolean transientFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof ContentTarget.Unavailable
          || t instanceof java.util.concurrent.TimeoutException
          || t instanceof java.net.http.HttpTimeoutException) {
        return true;
      }
    }
    return false;
  }

  /**
   * The item a file is about: the one with its {@code id} when the site has it (the file may have a
   * new slug: the item is renamed), else the one holding its slug.
   */
  private CompletionStage<Optional<ContentSnapshot>> find(MarkdownFolder.Entry e) {
    if (e.id() == null) {
      return bySlugOrFormer(e);
    }
    return target
        .get(e.id())
        .thenCompose(
            byId -> byId.isPresent() ? CompletableFuture.completedFuture(byId) : bySlugOrFormer(e));
  }

  /**
   * The item holding the file's slug; failing that, one at a slug an import made of its title
   * before ({@link MarkdownFolder.Entry#formerSlugs}), if it has the file's title and kind.
   */
  private CompletionStage<Optional<ContentSnapshot>> bySlugOrFormer(MarkdownFolder.Entry e) {
    return target
        .findBySlug(e.fields().slug())
        .thenCompose(
            found -> found.isPresent() ? CompletableFuture.completedFuture(found) : former(e, 0));
  }

  private CompletionStage<Optional<ContentSnapshot>> former(MarkdownFolder.Entry e, int i) {
    if (i >= e.formerSlugs().size()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return target
        .findBySlug(e.formerSlugs().get(i))
        .thenCompose(
            found ->
                found.isPresent()
                        && found.get().kind() == e.kind()
                        && found.get().fields().title().equals(e.fields().title())
                    ? CompletableFuture.completedFuture(found)
                    : former(e, i + 1));
  }

  /** The status its file asks for: what a new item starts in, and what an existing one moves to. */
  private ContentCommand.Initially initially(MarkdownFolder.Entry e) {
    return initially(e, clock.instant());
  }

  private static ContentCommand.Initially initially(MarkdownFolder.Entry e, Instant now) {
    if (e.draft()) {
      return ContentCommand.Initially.DRAFT;
    }
    if (e.publishAt() != null && e.publishAt().isAfter(now)) {
      return ContentCommand.Initially.scheduled(e.publishAt());
    }
    // A past publish_date (or date) is when the item counts as published: an export writes it
    // back, so a round trip keeps it. An item the site has already published keeps its own.
    return ContentCommand.Initially.publishedSince(e.publishAt());
  }

  private CompletionStage<ContentSnapshot> status(
      MarkdownFolder.Entry e,
      ContentSnapshot s,
      AtomicInteger published,
      AtomicInteger scheduled,
      AtomicInteger unpublished) {
    ContentStatus now = s.status();
    ContentCommand.Initially want = initially(e);
    if (want.status() == ContentStatus.DRAFT) {
      if (now == ContentStatus.PUBLISHED || now == ContentStatus.SCHEDULED) {
        return counted(target.unpublish(s.id(), s.revision()), unpublished, null);
      }
      return CompletableFuture.completedFuture(s);
    }
    if (want.status() == ContentStatus.SCHEDULED) {
      Instant at = want.scheduleAt();
      if (now == ContentStatus.SCHEDULED && at.equals(s.scheduledAt())) {
        return CompletableFuture.completedFuture(s);
      }
      if (now == ContentStatus.PUBLISHED) {
        return counted(
            target
                .unpublish(s.id(), s.revision())
                .thenCompose(u -> target.schedule(u.id(), u.revision(), at)),
            scheduled,
            null);
      }
      return counted(target.schedule(s.id(), s.revision(), at), scheduled, null);
    }
    if (now != ContentStatus.PUBLISHED) {
      return counted(target.publish(s.id(), s.revision()), published, null);
    }
    return CompletableFuture.completedFuture(s);
  }

  /** {@code write}, counting it in {@code first} (and {@code also}, when not null) once done. */
  private static <T> CompletionStage<T> counted(
      CompletionStage<T> write, AtomicInteger first, AtomicInteger also) {
    return write.thenApply(
        v -> {
          first.incrementAndGet();
          if (also != null) {
            also.incrementAndGet();
          }
          return v;
        });
  }
}
