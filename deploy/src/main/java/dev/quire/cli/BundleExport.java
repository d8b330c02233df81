package dev.quire.cli;

import dev.quire.bundle.BundleWriter;
import dev.quire.bundle.Manifest;
import dev.quire.bundle.Redirect;
import dev.quire.content.Content;
import dev.quire.content.JournalHistories;
import dev.quire.gateway.backup.BundleMapping;
import dev.quire.gateway.media.MediaStore;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.HistoryStep;
import dev.quire.protocol.RedirectRule;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.sql.DataSource;
import me.tongfei.progressbar.ProgressBar;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Writes a stopped site into a bundle: every stored media blob, every item (with its journaled
 * history unless asked not to), the redirect table and the site settings. Items come from one
 * ordered read of the journal, one history at a time, so memory holds one item, not the site.
 */
final class BundleExport {

  private final LocalTarget site;
  private final MediaStore media;
  private final DataSource db;
  private final ActorSystem<?> system;
  private final int fetchSize;
  private final Duration timeout;

  BundleExport(
      LocalTarget site,
      MediaStore media,
      DataSource db,
      ActorSystem<?> system,
      int fetchSize,
      Duration timeout) {
    this.site = site;
    this.media = media;
    this.db = db;
    this.system = system;
    this.fetchSize = fetchSize;
    this.timeout = timeout;
  }

  Manifest run(
      Path file,
      boolean withHistory,
      boolean withUsers,
      Manifest.Site siteInfo,
      Map<String, String> settings,
      String createdBy,
      Consumer<String> warn)
      throws Exception {
    long items = JournalHistories.count(db);
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
      try (ProgressBar bar = EmbeddingsCommand.bar("Items", items)) {
        // One ordered read of the journal; each history replayed here into the item it made.
        JournalHistories.forEach(
            db,
            system,
            fetchSize,
            (id, history) -> {
              ContentSnapshot s = Content.replay(id, history);
              writer.item(BundleMapping.item(s, BundleMapping.mediaUsed(s.fields(), stored)));
              if (withHistory) {
                for (HistoryStep step : history) {
                  writer.event(BundleMapping.event(id, step));
                }
              }
              bar.step();
            });
      }
      for (RedirectRule r :
          BundleMapping.exportable(await(site.redirects()), w -> warn.accept(printable(w)))) {
        writer.redirect(new Redirect(r.from(), r.to(), r.status()));
      }
      writer.menus(BundleMapping.menus(await(site.menus())));
      writer.settings(settings);
      if (withUsers) {
        for (dev.quire.protocol.UserCommand.AccountRecord a : await(site.accounts())) {
          writer.user(BundleMapping.user(a));
        }
      }
      return writer.finish();
    }
  }

  /**
   * {@code text} with control characters (C0, DEL and C1) written as {@code \\uXXXX}: nothing for a
   * terminal to run.
   */
  static String printable(String text) {
    StringBuilder b = new StringBuilder(text.length());
    text.chars()
        .forEach(
            c -> {
              if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
                b.append(String.format("\\u%04x", c));
              } else {
                b.append((char) c);
              }
            });
    return b.toString();
  }

  private <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
  }
}
