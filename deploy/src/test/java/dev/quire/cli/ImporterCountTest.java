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

  @Test
  void anImportToldToStopTriesNoMoreFilesAndCountsThem() throws Exception {
    for (int i = 0; i < 10; i++) {
      Files.writeString(
          dir.resolve("p" + i + ".md"), "---\ntitle: P" + i + "\nslug: p" + i + "\n---\nx");
    }
    var read =
        new MarkdownFolder(MarkdownRenderer.contentRules(ConfigFactory.load()), 10_000).read(dir);
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

  /** A site that holds nothing and refuses to create the item with the slug "taken". */
  static final class RefusingSite implements ContentTarget {
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
      return CompletableFuture.completedFuture(
          new ContentSnapshot(
              "id-" + fields.slug(),
              kind,
              then.status(),
              1,
              fields,
              Instant.EPOCH,
              Instant.EPOCH,
              then.status() == ContentStatus.PUBLISHED ? Instant.EPOCH : null,
              null,
              List.of()));
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
