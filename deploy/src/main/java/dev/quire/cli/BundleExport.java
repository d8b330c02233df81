package dev.quire.cli;

import dev.quire.bundle.BundleWriter;
import dev.quire.bundle.Manifest;
import dev.quire.bundle.Redirect;
import dev.quire.gateway.media.MediaStore;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.HistoryStep;
import dev.quire.protocol.RedirectRule;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import me.tongfei.progressbar.ProgressBar;

/**
 * Writes a stopped site into a bundle: every stored media blob, every item (with its journaled
 * history unless asked not to), the redirect table and the site settings. Items are read {@code
 * parallelism} at a time and written in journal order, so memory holds one batch, not the site.
 */
final class BundleExport {

  private final LocalTarget site;
  private final MediaStore media;
  private final int parallelism;
  private final Duration timeout;

  BundleExport(LocalTarget site, MediaStore media, int parallelism, Duration timeout) {
    this.site = site;
    this.media = media;
    this.parallelism = parallelism;
    this.timeout = timeout;
  }

  Manifest run(
      Path file,
      boolean withHistory,
      Manifest.Site siteInfo,
      Map<String, String> settings,
      String createdBy)
      throws Exception {
    List<String> ids = await(site.ids());
    List<MediaStore.Media> blobs = media.list();
    BundleWriter.Options options = new BundleWriter.Options(createdBy, siteInfo, withHistory);
    try (BundleWriter writer = BundleWriter.create(file, options)) {
      Set<String> stored = new HashSet<>();
      try (ProgressBar bar = EmbeddingsCommand.bar("Media", blobs.size())) {
        for (MediaStore.Media m : blobs) {
          try (InputStream in = Files.newInputStream(media.blob(m.sha256()))) {
            stored.add(writer.media(in, m.contentType(), m.filename()).sha256());
          }
          bar.step();
        }
      }
      try (ProgressBar bar = EmbeddingsCommand.bar("Items", ids.size())) {
        for (int from = 0; from < ids.size(); from += parallelism) {
          List<String> batch = ids.subList(from, Math.min(ids.size(), from + parallelism));
          List<CompletableFuture<Optional<ContentSnapshot>>> items = new ArrayList<>();
          List<CompletableFuture<List<HistoryStep>>> histories = new ArrayList<>();
          for (String id : batch) {
            items.add(site.get(id).toCompletableFuture());
            histories.add(
                withHistory
                    ? site.history(id).toCompletableFuture()
                    : CompletableFuture.completedFuture(List.of()));
          }
          for (int i = 0; i < batch.size(); i++) {
            Optional<ContentSnapshot> item = await(items.get(i));
            if (item.isEmpty()) {
              continue;
            }
            ContentSnapshot s = item.get();
            writer.item(BundleMapping.item(s, BundleMapping.mediaUsed(s.fields(), stored)));
            for (HistoryStep step : await(histories.get(i))) {
              writer.event(BundleMapping.event(s.id(), step));
            }
          }
          bar.stepBy(batch.size());
        }
      }
      for (RedirectRule r : await(site.redirects())) {
        writer.redirect(new Redirect(r.from(), r.to(), r.status()));
      }
      // This Quire has no menus yet: the bundle says so with an empty list.
      writer.menus(List.of());
      writer.settings(settings);
      return writer.finish();
    }
  }

  private <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
  }
}
