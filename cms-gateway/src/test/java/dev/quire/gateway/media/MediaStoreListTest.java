package dev.quire.gateway.media;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link MediaStore#list} reads a two-letter folder again only when its time has moved, and trusts
 * that time only once it has settled. On the real file system of the test's temporary folder; two
 * stores on one folder stand for two gateways on a shared volume.
 */
class MediaStoreListTest {

  static final long LIMIT = 1 << 20;

  @TempDir Path dir;

  static MediaStore.Media put(MediaStore store, String text) throws Exception {
    return store.put(
        new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)),
        "text/plain",
        text + ".txt",
        LIMIT);
  }

  static List<String> names(MediaStore store) throws Exception {
    return store.list().stream().map(MediaStore.Media::filename).toList();
  }

  /** Sets a folder's time an hour back, as if its last change were long settled. */
  void settle(String sha) throws Exception {
    Files.setLastModifiedTime(
        dir.resolve(sha.substring(0, 2)), FileTime.from(Instant.now().minusSeconds(3600)));
  }

  @Test
  void recordsAddedHereOrByAnotherStoreOnTheSameFolderAreListedOldestFirst() throws Exception {
    Instant t = Instant.parse("2026-12-05T10:00:00Z");
    MediaStore here = new MediaStore(dir, Clock.fixed(t, ZoneOffset.UTC), Duration.ofSeconds(2));
    MediaStore other =
        new MediaStore(dir, Clock.fixed(t.plusSeconds(60), ZoneOffset.UTC), Duration.ofSeconds(2));
    assertThat(here.list()).isEmpty();
    MediaStore.Media first = put(here, "first");
    settle(first.sha256());
    assertThat(names(here)).containsExactly("first.txt");
    // Another gateway adds a file: every folder it touches has moved, and is read again.
    List<MediaStore.Media> added = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      added.add(put(other, "more-" + i));
    }
    assertThat(here.list()).hasSize(41).first().isEqualTo(first);
    assertThat(names(here)).containsAll(added.stream().map(MediaStore.Media::filename).toList());
    assertThat(here.list()).isEqualTo(other.list());
  }

  @Test
  void aSettledFolderWhoseTimeHasNotMovedIsNotReadAgain() throws Exception {
    MediaStore store = new MediaStore(dir, Clock.systemUTC(), Duration.ofSeconds(2));
    MediaStore.Media m = put(store, "kept");
    settle(m.sha256());
    FileTime settled = Files.getLastModifiedTime(dir.resolve(m.sha256().substring(0, 2)));
    assertThat(names(store)).containsExactly("kept.txt");
    // A record rewritten in place (nothing Quire does) leaves the folder's time as it was: the
    // list answers what it read before, which shows it did not read the folder again.
    Path meta = dir.resolve(m.sha256().substring(0, 2)).resolve(m.sha256() + ".json");
    Files.writeString(meta, Files.readString(meta).replace("kept.txt", "changed.txt"));
    Files.setLastModifiedTime(meta.getParent(), settled);
    assertThat(names(store)).containsExactly("kept.txt");
    // Once the folder's time moves, it is read again.
    Files.setLastModifiedTime(meta.getParent(), FileTime.from(Instant.now().minusSeconds(1800)));
    assertThat(names(store)).containsExactly("changed.txt");
    // A fresh store reads everything.
    assertThat(names(new MediaStore(dir, Clock.systemUTC(), Duration.ofSeconds(2))))
        .containsExactly("changed.txt");
  }

  @Test
  void aFolderChangedWithinTheSettleTimeIsReadAgainEvenWhenItsTimeLooksTheSame() throws Exception {
    MediaStore store = new MediaStore(dir, Clock.systemUTC(), Duration.ofHours(2));
    MediaStore.Media m = put(store, "fresh");
    settle(m.sha256());
    assertThat(names(store)).containsExactly("fresh.txt");
    // An hour old is not settled for this store: a second change stamped with the same coarse
    // time as the first would not move it, so the folder is read at every list.
    FileTime same = Files.getLastModifiedTime(dir.resolve(m.sha256().substring(0, 2)));
    Path meta = dir.resolve(m.sha256().substring(0, 2)).resolve(m.sha256() + ".json");
    Files.writeString(meta, Files.readString(meta).replace("fresh.txt", "second.txt"));
    Files.setLastModifiedTime(meta.getParent(), same);
    assertThat(names(store)).containsExactly("second.txt");
  }

  @Test
  void aFolderThatIsGoneIsNoLongerListed() throws Exception {
    MediaStore store = new MediaStore(dir, Clock.systemUTC(), Duration.ofSeconds(2));
    MediaStore.Media m = put(store, "gone");
    settle(m.sha256());
    assertThat(store.list()).hasSize(1);
    Path folder = dir.resolve(m.sha256().substring(0, 2));
    try (var files = Files.list(folder)) {
      for (Path f : files.toList()) {
        Files.delete(f);
      }
    }
    Files.delete(folder);
    assertThat(store.list()).isEmpty();
  }
}
