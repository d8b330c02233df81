package dev.quire.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleRoundTripTest {

  @TempDir Path tmp;

  @Test
  void everyRecordAndBlobComesBackEqual() throws Exception {
    Path file = tmp.resolve("site.quire");
    Manifest written = Fixtures.writeSite(file);
    assertThat(Files.exists(tmp.resolve("site.quire.partial"))).isFalse();
    try (var files = Files.list(tmp)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("site.quire");
    }
    assertThat(written.counts())
        .isEqualTo(new Manifest.Counts(3, 6, 1, Fixtures.PHOTO.length, 1, 1));
    // Two parts of at most 2 items, one of history... every entry is checksummed.
    assertThat(written.entries())
        .extracting(Manifest.Entry::name)
        .contains(
            "content/items-000001.jsonl",
            "content/items-000002.jsonl",
            "history/events-000001.jsonl",
            "media/index.jsonl",
            "redirects.jsonl",
            "menus.json",
            "settings.json");

    try (BundleReader r = BundleReader.open(file, Limits.DEFAULT)) {
      List<String> phases = new ArrayList<>();
      BundleReader.VerifyReport report = r.verify((phase, done, total) -> phases.add(phase));
      assertThat(report.manifest().rootChecksum()).isEqualTo(written.rootChecksum());
      assertThat(phases).isNotEmpty();

      List<BundleItem> items = new ArrayList<>();
      r.forEachItem(items::add);
      assertThat(items)
          .containsExactly(
              Fixtures.item(1, mediaHash()),
              Fixtures.item(2, mediaHash()),
              Fixtures.item(3, mediaHash()));
      List<BundleEvent> events = new ArrayList<>();
      r.forEachEvent(events::add);
      assertThat(events).hasSize(6).contains(Fixtures.created(2));
      assertThat(r.redirects())
          .containsExactly(new Redirect("/2019/05/old-post/", "/posts/post-1/", 301));
      assertThat(r.menus())
          .containsExactly(new Menu("main", List.of(new Menu.Link("About", "/about/"))));
      assertThat(r.settings()).isEqualTo(Map.of("site.title", "Test site"));
      List<MediaEntry> media = new ArrayList<>();
      r.forEachMedia(media::add);
      assertThat(media)
          .containsExactly(
              new MediaEntry(mediaHash(), Fixtures.PHOTO.length, "image/jpeg", "photo.jpg"));
      try (InputStream in = r.openMedia(mediaHash())) {
        assertThat(in.readAllBytes()).isEqualTo(Fixtures.PHOTO);
      }
    }
  }

  @Test
  void anUnfinishedWriterLeavesNothingBehind() throws Exception {
    Path file = tmp.resolve("broken.quire");
    try (BundleWriter w = BundleWriter.create(file, Fixtures.options())) {
      w.item(Fixtures.item(1, mediaHash()));
      w.event(Fixtures.created(1));
      w.redirect(new Redirect("/2019/05/old-post/", "/posts/post-1/", 301));
      // no finish(): the export failed half-way
    }
    try (var files = Files.list(tmp)) {
      assertThat(files).isEmpty();
    }
    // Nor anything still open: a deleted file held open keeps its disk space (the spooled parts
    // were, until 2026-12-07, after every failed backup or export).
    assertThat(openFilesUnder(tmp)).isEmpty();
  }

  /** The files this JVM has open under {@code dir}, deleted or not (Linux's /proc). */
  static List<String> openFilesUnder(Path dir) throws java.io.IOException {
    List<String> open = new ArrayList<>();
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith(dir.toString())) {
            open.add(target);
          }
        } catch (java.io.IOException closedMeanwhile) {
          // the listing's own descriptor, closed by the time it is read
        }
      }
    }
    return open;
  }

  @Test
  void recordsMustBeVerifiedBeforeTheyAreRead() throws Exception {
    Path file = tmp.resolve("site.quire");
    Fixtures.writeSite(file);
    try (BundleReader r = BundleReader.open(file, Limits.DEFAULT)) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> r.forEachItem(i -> {}))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("verify()");
    }
  }

  static String mediaHash() {
    return Layout.hex(Layout.sha256().digest(Fixtures.PHOTO));
  }
}
