package dev.quire.cli;

import dev.quire.content.Content;
import dev.quire.gateway.media.MediaStore;
import dev.quire.protocol.ContentCommand;
import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentIds;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentQuery;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.HistoryStep;
import dev.quire.protocol.RedirectRule;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/** Talks to the entities of a node started in this process (the site itself is stopped). */
public final class LocalTarget extends dev.quire.gateway.backup.ProtocolImportSite
    implements ContentTarget {

  /** Items per read-model page when listing slugs (the query actor's largest page). */
  private static final int SLUG_USE_PAGE = 500;

  private final MediaStore media;
  private final long maxMediaBytes;
  private final long keepFree;

  public LocalTarget(ActorSystem<?> system, Duration timeout, String actor) {
    this(system, timeout, actor, null, 0, 0);
  }

  /**
   * {@code media}: where {@link #putMedia} stores files, at most {@code maxMediaBytes} each; {@code
   * keepFree}: the room they must leave on its disk ({@code quire.media.keep-free}, see {@link
   * #mediaRoomProblem}).
   */
  public LocalTarget(
      ActorSystem<?> system,
      Duration timeout,
      String actor,
      MediaStore media,
      long maxMediaBytes,
      long keepFree) {
    super(system, timeout, actor);
    this.media = media;
    this.maxMediaBytes = maxMediaBytes;
    this.keepFree = keepFree;
  }

  @Override
  public java.util.Optional<String> mediaRoomProblem(java.util.Map<String, Long> sizeBySha)
      throws IOException {
    return mediaRoomProblem(media, keepFree, sizeBySha);
  }

  /**
   * Whether files of these sizes by SHA-256, those {@code media} does not hold, would leave less
   * than {@code keepFree} on its disk: what a stopped site's import checks before it writes, and
   * what its {@code --dry-run} reports. Reads the media directory only.
   */
  static java.util.Optional<String> mediaRoomProblem(
      MediaStore media, long keepFree, java.util.Map<String, Long> sizeBySha) throws IOException {
    if (media == null || keepFree <= 0) {
      return java.util.Optional.empty();
    }
    long incoming = 0;
    for (var e : sizeBySha.entrySet()) {
      if (media.get(e.getKey()).isEmpty()) {
        incoming += e.getValue();
      }
    }
    long free = media.usableBytes();
    if (incoming == 0 || free < 0 || free - incoming >= keepFree) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        "the media files this site does not hold ("
            + MediaStore.megabytes(incoming)
            + ") would leave less than quire.media.keep-free ("
            + MediaStore.megabytes(keepFree)
            + ") of the "
            + MediaStore.megabytes(free)
            + " free on the media directory's disk");
  }

  @Override
  protected RuntimeException refused(String field, String message) {
    return new ContentTarget.Refused(field, message);
  }

  @Override
  protected RuntimeException unavailable(String field, String message) {
    return new ContentTarget.Unavailable(field, message);
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
            // As the site had it: typed by its bytes, an empty file kept (it was there before).
            return media
                .restore(in, MediaStore.importedType(file, contentType), filename, maxMediaBytes)
                .url();
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

  // ---- what a bundle needs: the journal's view of every item, restore, the redirect table ----

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
