package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.quire.content.render.MarkdownRenderer;
import dev.quire.protocol.ContentCommand;
import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.ContentStatus;
import dev.quire.protocol.RedirectRule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The import's summary counts a write once it is done: one the site refuses is "failed", not
 * "created" and "published" as well. The site here refuses one create after the checks passed
 * (another editor took the slug meanwhile); a stand-in for it, since a real site cannot be made to
 * take a slug exactly between the check and the write.
 */
class ImporterCountTest {

  @TempDir Path dir;

  @Test
  void aRefusedWriteIsCountedAsFailedOnly() throws Exception {
    Files.writeString(dir.resolve("ok.md"), "---\ntitle: Fine\nslug: fine\n---\nx");
    Files.writeString(dir.resolve("taken.md"), "---\ntitle: Taken\nslug: taken\n---\nx");
    var read =
        new MarkdownFolder(MarkdownRenderer.contentRules(ConfigFactory.load()), 10_000).read(dir);
    assertThat(read.problems()).isEmpty();
    Importer.Summary s = new Importer(new RefusingSite(), 4, Clock.systemUTC()).run(read.entries());
    assertThat(s.created()).isEqualTo(1);
    assertThat(s.published()).isEqualTo(1);
    assertThat(s.failures()).singleElement().asString().contains("taken");
  }

  /** Ten files, p0.md to p9.md, read as the import reads them. */
  private MarkdownFolder.Result tenPosts() throws Exception {
    for (int i = 0; i < 10; i++) {
      Files.writeString(
          dir.resolve("p" + i + ".md"), "---\ntitle: P" + i + "\nslug: p" + i + "\n---\nx");
    }
    return new MarkdownFolder(MarkdownRenderer.contentRules(ConfigFactory.load()), 10_000)
        .read(dir);
  }

  @Test
  void anImportToldToStopTriesNoMoreFilesAndCountsThem() throws Exception {
    var read = tenPosts();
    assertThat(read.problems()).isEmpty();
    // As the journal refusing a write after the third file: the stop is asked before each file.
    int[] asked = {0};
    Importer.Summary s =
        new Importer(
                new RefusingSite(), 1, Clock.systemUTC(), () -> ++asked[0] > 3 ? "disk full" : null)
            .run(read.entries());
    assertThat(s.created()).isEqualTo(3);
    assertThat(s.notTried()).isEqualTo(7);
    assertThat(s.stoppedBecause()).isEqualTo("disk full");
    assertThat(s.toString()).endsWith("0 failed, 7 not tried");
  }

  @Test
  @org.junit.jupiter.api.Timeout(30) // without the fix, it waits for ever
  void aStoppedImportGivesUpOnFilesInFlightThatWillNeverBeAnswered() throws Exception {
    var read = tenPosts();
    // As entities the journal refused: stopped, they never answer.
    RefusingSite silent =
        new RefusingSite() {
          @Override
          public CompletionStage<ContentSnapshot> create(
              ContentKind kind, ContentFields fields, ContentCommand.Initially then) {
            return new CompletableFuture<>();
          }
        };
    int[] asked = {0};
    long t0 = System.nanoTime();
    Importer.Summary s =
        new Importer(
                silent,
                4,
                Clock.systemUTC(),
                () -> ++asked[0] > 3 ? "disk full" : null,
                java.time.Duration.ZERO,
                java.time.Duration.ofMillis(200))
            .run(read.entries());
    assertThat(s.inFlightAtStop()).isEqualTo(3);
    assertThat(s.notTried()).isEqualTo(7);
    assertThat(s.stoppedBecause()).isEqualTo("disk full");
    assertThat(s.toString()).endsWith("0 failed, 7 not tried, 3 not known");
    assertThat(System.nanoTime() - t0)
        .as("not the files' own timeouts")
        .isLessThan(java.util.concurrent.TimeUnit.SECONDS.toNanos(20));
  }

  @Test
  @org.junit.jupiter.api.Timeout(30) // without the fix, it waits for ever
  void aStopWhileEveryFileInFlightIsStuckIsNoticedWithoutWaitingForThem() throws Exception {
    var read = tenPosts();
    // The journal refuses writes once the fourth file is sent: all four permits are taken by
    // files whose entities have stopped, and the fifth waits for room.
    java.util.concurrent.atomic.AtomicInteger sent =
        new java.util.concurrent.atomic.AtomicInteger();
    RefusingSite silent =
        new RefusingSite() {
          @Override
          public CompletionStage<ContentSnapshot> create(
              ContentKind kind, ContentFields fields, ContentCommand.Initially then) {
            sent.incrementAndGet();
            return new CompletableFuture<>();
          }
        };
    long t0 = System.nanoTime();
    Importer.Summary s =
        new Importer(
                silent,
                4,
                Clock.systemUTC(),
                () -> sent.get() >= 4 ? "disk full" : null,
                java.time.Duration.ZERO,
                java.time.Duration.ofMillis(200))
            .run(read.entries());
    assertThat(s.inFlightAtStop()).isEqualTo(4);
    assertThat(s.notTried()).isEqualTo(6);
    assertThat(s.stoppedBecause()).isEqualTo("disk full");
    assertThat(System.nanoTime() - t0)
        .isLessThan(java.util.concurrent.TimeUnit.SECONDS.toNanos(20));
  }

  @Test
  void aFileTheSiteDidNotAnswerInTimeForIsReadAgainAndOnlyWhatIsMissingSent() throws Exception {
    for (String slug : List.of("ok", "late", "lost", "later", "taken", "edited")) {
      Files.writeString(dir.resolve(slug + ".md"), "---\ntitle: T\nslug: " + slug + "\n---\nx");
    }
    var read =
        new MarkdownFolder(MarkdownRenderer.contentRules(ConfigFactory.load()), 10_000).read(dir);
    assertThat(read.problems()).isEmpty();

    SlowOnceSite site = new SlowOnceSite();
    Importer.Summary s =
        new Importer(site, 4, Clock.systemUTC(), () -> null, java.time.Duration.ofMillis(20), null)
            .run(read.entries());
    // "late" was stored though its answer timed out: found on the second reading, not sent again.
    assertThat(site.creates).containsEntry("late", 1).containsEntry("lost", 2);
    // "later" landed only as the second try's create was refused for its slug: found then.
    assertThat(site.creates).containsEntry("later", 2);
    assertThat(site.creates).as("a refusal is not tried again").containsEntry("taken", 1);
    // "edited" was on the site with another title: its first edit landed only as the second
    // try's edit was refused as stale; the item as the file wants it is that edit.
    assertThat(site.edits).isEqualTo(2);
    assertThat(site.items.get("edited").fields().title()).isEqualTo("T");
    assertThat(s.created()).isEqualTo(4);
    assertThat(s.updated()).isEqualTo(1);
    assertThat(s.published()).isEqualTo(4);
    assertThat(s.failures()).singleElement().asString().contains("taken.md");
    assertThat(s.retried()).isEqualTo(4);
    assertThat(s.toString())
        .contains("4 created, 1 updated")
        .endsWith("1 failed (4 file(s) tried again after the site did not answer in time)");

    // Without the pause (the four-argument importer), both fail as before.
    SlowOnceSite other = new SlowOnceSite();
    Importer.Summary once =
        new Importer(other, 4, Clock.systemUTC(), () -> null).run(read.entries());
    assertThat(once.failures()).hasSize(5);
    assertThat(once.retried()).isZero();
    assertThat(other.creates).containsEntry("lost", 1);
  }

  /**
   * A site that keeps what it creates, and whose first create of "late" (stored), of "lost" (not
   * stored) and of "later" (stored only as a second create of its slug is refused, its slug being
   * claimed meanwhile) does not answer in time; "taken" it refuses. A stand-in: a real site cannot
   * be made to time out exactly once.
   */
  static final class SlowOnceSite extends RefusingSite {
    final java.util.Map<String, ContentSnapshot> items =
        new java.util.concurrent.ConcurrentHashMap<>();
    final java.util.Map<String, Integer> creates = new java.util.concurrent.ConcurrentHashMap<>();
    int edits;

    SlowOnceSite() {
      ContentSnapshot was =
          made(
              ContentKind.POST,
              new ContentFields(
                  "Old title", "edited", "x", null, List.of(), null, null, null, null),
              ContentCommand.Initially.publishedSince(null));
      items.put("edited", was);
    }

    @Override
    public synchronized CompletionStage<ContentSnapshot> edit(
        String id, long revision, ContentFields fields) {
      edits++;
      ContentSnapshot now = items.get("edited");
      ContentSnapshot after =
          new ContentSnapshot(
              now.id(),
              now.kind(),
              now.status(),
              now.revision() + 1,
              fields,
              now.createdAt(),
              Instant.EPOCH,
              now.publishedAt(),
              now.scheduledAt(),
              List.of());
      if (edits == 2) {
        items.put("edited", after); // the first edit lands now
        return CompletableFuture.failedFuture(
            new Refused("revision", "stale: the item changed since revision " + revision));
      }
      return CompletableFuture.failedFuture(
          new Unavailable("", "content did not answer in time: the change may still be applied"));
    }

    @Override
    public CompletionStage<Optional<ContentSnapshot>> findBySlug(String slug) {
      return CompletableFuture.completedFuture(Optional.ofNullable(items.get(slug)));
    }

    @Override
    public CompletionStage<ContentSnapshot> create(
        ContentKind kind, ContentFields fields, ContentCommand.Initially then) {
      String slug = fields.slug();
      int n = creates.merge(slug, 1, Integer::sum);
      if (slug.equals("taken")) {
        return CompletableFuture.failedFuture(
            new Refused("slug", "'taken' is held by another item"));
      }
      ContentSnapshot made = made(kind, fields, then);
      if (slug.equals("later") && n == 2) {
        items.put(slug, made); // the first create lands now
        return CompletableFuture.failedFuture(
            new Refused("slug", "'later' is already used by content id-later"));
      }
      if (n == 1 && (slug.equals("late") || slug.equals("lost") || slug.equals("later"))) {
        if (slug.equals("late")) {
          items.put(slug, made);
        }
        return CompletableFuture.failedFuture(
            new Unavailable("", "content did not answer in time: the change may still be applied"));
      }
      items.put(slug, made);
      return CompletableFuture.completedFuture(made);
    }

    @Override
    public CompletionStage<List<ContentSnapshot>> all() {
      return CompletableFuture.completedFuture(List.copyOf(items.values()));
    }
  }

  /** A site that holds nothing and refuses to create the item with the slug "taken". */
  static class RefusingSite implements ContentTarget {
    @Override
    public CompletionStage<Optional<ContentSnapshot>> findBySlug(String slug) {
      return CompletableFuture.completedFuture(Optional.empty());
    }

    @Override
    public CompletionStage<Optional<ContentSnapshot>> get(String id) {
      return CompletableFuture.completedFuture(Optional.empty());
    }

    @Override
    public CompletionStage<ContentSnapshot> create(
        ContentKind kind, ContentFields fields, ContentCommand.Initially then) {
      if (fields.slug().equals("taken")) {
        return CompletableFuture.failedFuture(
            new Refused("slug", "'taken' is held by another item"));
      }
      return CompletableFuture.completedFuture(made(kind, fields, then));
    }

    /** The item a create makes: revision 1, in the status asked for. */
    static ContentSnapshot made(
        ContentKind kind, ContentFields fields, ContentCommand.Initially then) {
      return new ContentSnapshot(
          "id-" + fields.slug(),
          kind,
          then.status(),
          1,
          fields,
          Instant.EPOCH,
          Instant.EPOCH,
          then.status() == ContentStatus.PUBLISHED ? Instant.EPOCH : null,
          null,
          List.of());
    }

    @Override
    public CompletionStage<ContentSnapshot> edit(String id, long revision, ContentFields fields) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<ContentSnapshot> publish(String id, long revision) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<ContentSnapshot> schedule(String id, long revision, Instant at) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<ContentSnapshot> unpublish(String id, long revision) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<List<ContentSnapshot>> all() {
      return CompletableFuture.completedFuture(List.of());
    }

    @Override
    public CompletionStage<List<SlugUse>> slugUses() {
      return CompletableFuture.completedFuture(List.of());
    }

    @Override
    public CompletionStage<String> putMedia(Path file, String contentType, String filename) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<Void> addRedirects(List<RedirectRule> rules) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void close() {}
  }
}
