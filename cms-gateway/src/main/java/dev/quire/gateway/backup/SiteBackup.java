package dev.quire.gateway.backup;

import dev.quire.bundle.BundleWriter;
import dev.quire.bundle.Manifest;
import dev.quire.bundle.Redirect;
import dev.quire.gateway.content.Asks;
import dev.quire.gateway.content.ContentClient;
import dev.quire.gateway.media.MediaStore;
import dev.quire.protocol.ContentQuery;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.HistoryStep;
import dev.quire.protocol.MenuCommand;
import dev.quire.protocol.RedirectCommand;
import dev.quire.protocol.RedirectRule;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Writes the running site into a bundle, through protocol messages only (as every gateway reaches
 * content): every media blob of this node's store, every item the journal holds (listed from the
 * journal, so one written a moment ago is in even while the read model is behind) with its history
 * read from the journal a page at a time, the redirect table, the menus and the settings pages show
 * now. Each item is written as it stood when it was read, with the history that made it; an edit
 * saved meanwhile is in this backup or the next. Runs on a thread that may block (each ask is
 * awaited in turn), and holds one page of one item at a time, not the site.
 */
public final class SiteBackup {

  /** How far a backup has come: {@code phase} is "media", "items" or "tables". */
  public interface Progress {
    void at(String phase, long done, long total);
  }

  /** How long a backup waits between asks while the content role is not reachable. */
  private static final Duration RETRY_PAUSE = Duration.ofMillis(500);

  /** Reads of a redirect table that changed between its pages before one is given up. */
  private static final int REDIRECT_READ_ATTEMPTS = 3;

  private final ContentClient content;
  private final MediaStore media;
  private final ActorSystem<?> system;
  private final Duration timeout;
  private final int idPage;
  private final Duration unavailableWait;

  /**
   * {@code timeout}: how long one ask may take; {@code idPage}: how many items' ids one ask lists;
   * {@code unavailableWait}: how long asks are repeated while the content role is not reachable.
   */
  public SiteBackup(
      ContentClient content,
      MediaStore media,
      ActorSystem<?> system,
      Duration timeout,
      int idPage,
      Duration unavailableWait) {
    this.content = content;
    this.media = media;
    this.system = system;
    this.timeout = timeout;
    this.idPage = idPage;
    this.unavailableWait = unavailableWait;
  }

  /**
   * Writes {@code file}, which appears only when complete. {@code warn} hears of what was left out
   * and why (a redirect no bundle can carry, a media file deleted while the backup ran).
   */
  public Manifest write(
      Path file,
      boolean withHistory,
      boolean withUsers,
      Map<String, String> settings,
      String createdBy,
      Progress progress,
      Consumer<String> warn)
      throws Exception {
    List<MediaStore.Media> blobs = media.list();
    // The read model's count, for the progress shown: the items themselves come from the journal.
    long items = ask(() -> content.list(null, null, null, 1, 1)).total();
    BundleWriter.Options options =
        new BundleWriter.Options(
            createdBy,
            new Manifest.Site(settings.get("title"), settings.get("base-url")),
            withHistory);
    try (BundleWriter writer = BundleWriter.create(file, options)) {
      Set<String> stored = new HashSet<>();
      Map<String, String> slugOwners = new java.util.HashMap<>();
      long done = 0;
      for (MediaStore.Media m : blobs) {
        try (InputStream in = Files.newInputStream(media.blob(m.sha256()))) {
          stored.add(writer.media(in, m.contentType(), m.filename()).sha256());
        } catch (NoSuchFileException e) {
          warn.accept("media " + m.sha256() + " (" + m.filename() + ") was deleted meanwhile");
        }
        progress.at("media", ++done, blobs.size());
      }
      done = 0;
      String after = "";
      while (true) {
        String from = after;
        ContentQuery.IdPage page = ask(() -> content.journalIds(from, idPage));
        for (String id : page.ids()) {
          if (item(writer, id, withHistory, stored, slugOwners)) {
            done++;
          }
          progress.at("items", done, Math.max(items, done));
        }
        if (!page.more() || page.ids().isEmpty()) {
          break;
        }
        after = page.ids().get(page.ids().size() - 1);
      }
      progress.at("tables", 0, 1);
      for (RedirectRule r : BundleMapping.exportable(redirects(), warn)) {
        writer.redirect(new Redirect(r.from(), r.to(), r.status()));
      }
      writer.menus(BundleMapping.menus(menus()));
      writer.settings(settings);
      if (withUsers) {
        for (dev.quire.protocol.UserCommand.AccountRecord a : accounts()) {
          writer.user(BundleMapping.user(a));
        }
      }
      Manifest m = writer.finish();
      progress.at("tables", 1, 1);
      return m;
    }
  }

  /** Writes one item and its history; false when it is gone (no item has that id). */
  private boolean item(
      BundleWriter writer,
      String id,
      boolean withHistory,
      Set<String> stored,
      Map<String, String> slugOwners)
      throws Exception {
    ContentQuery.ExportPage page = ask(() -> content.exportItem(id, 0, 0, withHistory));
    ContentSnapshot item = page.item();
    if (item == null) {
      return false;
    }
    // Each item is read as it stands when its turn comes: a slug one item gave up and another took
    // while the backup ran would be in it twice, and no import takes such a bundle. Refused here,
    // so that no backup that cannot be restored is kept.
    List<String> slugs = new ArrayList<>(item.aliases());
    slugs.add(item.fields().slug());
    for (String slug : slugs) {
      String other = slugOwners.putIfAbsent(slug, id);
      if (other != null && !other.equals(id)) {
        throw new IOException(
            "the slug '"
                + slug
                + "' moved from item "
                + other
                + " to item "
                + id
                + " while the backup ran, so it would be in the backup twice; make another");
      }
    }
    writer.item(BundleMapping.item(item, BundleMapping.mediaUsed(item.fields(), stored)));
    long at = 0;
    while (true) {
      for (HistoryStep step : page.steps()) {
        writer.event(BundleMapping.event(id, step));
        at = step.revision();
      }
      if (!page.more()) {
        break;
      }
      long from = at;
      ContentQuery.ExportPage next = ask(() -> content.exportItem(id, from, item.revision(), true));
      if (next.steps().isEmpty()) {
        throw new IOException(
            "the history of item "
                + id
                + " ends at revision "
                + at
                + ", before its revision "
                + item.revision());
      }
      page = next;
    }
    return true;
  }

  /** The whole redirect table, every page of one version. */
  private List<RedirectRule> redirects() throws Exception {
    var table =
        ClusterSharding.get(system).entityRefFor(RedirectCommand.ENTITY_KEY, RedirectCommand.SITE);
    for (int attempt = 1; attempt <= REDIRECT_READ_ATTEMPTS; attempt++) {
      List<RedirectRule> rules = new ArrayList<>();
      Integer offset = 0;
      long version = -1;
      boolean changed = false;
      while (offset != null) {
        int from = offset;
        RedirectCommand.RedirectTable page =
            ask(
                () ->
                    Asks.on(
                        table.<RedirectCommand.RedirectTable>ask(
                            r -> new RedirectCommand.Get(-1, from, r), timeout),
                        system.executionContext()));
        if (version >= 0 && page.version() != version) {
          changed = true;
          break;
        }
        version = page.version();
        rules.addAll(page.rules());
        offset = page.next();
      }
      if (!changed) {
        return rules;
      }
    }
    throw new IOException(
        "the redirect table changed while each of " + REDIRECT_READ_ATTEMPTS + " reads ran");
  }

  /** The admin's accounts whole (hashes included), for a backup asked to carry them. */
  private List<dev.quire.protocol.UserCommand.AccountRecord> accounts() throws Exception {
    List<dev.quire.protocol.UserCommand.AccountRecord> all = new java.util.ArrayList<>();
    String after = null;
    while (true) {
      String from = after;
      dev.quire.protocol.UserCommand.Accounts page =
          ask(
              () ->
                  Asks.on(
                      ClusterSharding.get(system)
                          .entityRefFor(
                              dev.quire.protocol.UserCommand.ENTITY_KEY,
                              dev.quire.protocol.UserCommand.SITE)
                          .<dev.quire.protocol.UserCommand.Accounts>ask(
                              r ->
                                  new dev.quire.protocol.UserCommand.ExportAccounts(
                                      from, dev.quire.protocol.UserCommand.EXPORT_PAGE, r),
                              timeout),
                      system.executionContext()));
      all.addAll(page.accounts());
      if (!page.more() || page.accounts().isEmpty()) {
        return all;
      }
      after = page.accounts().get(page.accounts().size() - 1).username();
    }
  }

  private List<dev.quire.protocol.SiteMenu> menus() throws Exception {
    return ask(() ->
            Asks.on(
                ClusterSharding.get(system)
                    .entityRefFor(MenuCommand.ENTITY_KEY, MenuCommand.SITE)
                    .<MenuCommand.MenuTable>ask(r -> new MenuCommand.Get(-1, r), timeout),
                system.executionContext()))
        .menus();
  }

  /**
   * The answer to {@code ask}, asked again while the content role is not reachable (503: a node
   * starting, a shard moving), for up to {@code unavailableWait}: a backup started with the site
   * waits for it rather than failing.
   */
  <T> T ask(Supplier<CompletionStage<T>> ask) throws Exception {
    long end = System.nanoTime() + unavailableWait.toNanos();
    while (true) {
      try {
        CompletionStage<T> stage;
        try {
          stage = ask.get();
        } catch (RuntimeException thrown) {
          // An ask that failed before it was sent (no shard region yet): as if it failed after.
          stage = java.util.concurrent.CompletableFuture.failedFuture(thrown);
        }
        return stage.toCompletableFuture().get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        // get() wraps the failure in an ExecutionException, which Asks.unwrap leaves as it is.
        Throwable cause =
            Asks.unwrap(
                e instanceof java.util.concurrent.ExecutionException && e.getCause() != null
                    ? e.getCause()
                    : e);
        boolean unavailable =
            cause instanceof java.util.concurrent.TimeoutException
                || cause instanceof dev.quire.gateway.http.HttpError h && h.status() == 503;
        if (!unavailable || System.nanoTime() > end) {
          if (cause instanceof java.util.concurrent.TimeoutException) {
            throw new IOException(
                "the content role did not answer within "
                    + timeout.multipliedBy(2)
                    + " (asked again for "
                    + unavailableWait
                    + ")");
          }
          throw cause instanceof Exception ex ? ex : e;
        }
        Thread.sleep(RETRY_PAUSE.toMillis());
      }
    }
  }
}
