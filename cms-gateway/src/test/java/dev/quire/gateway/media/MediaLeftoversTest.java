package dev.quire.gateway.media;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an upload cut off by a crash leaves in the store's {@code tmp} directory is removed once it
 * is older than the longest upload (the media module does it at start); a file an upload may still
 * be writing, and the stored media, are kept.
 */
class MediaLeftoversTest {

  @Test
  void leftoversOlderThanTheLongestUploadAreRemovedAndNothingElse(@TempDir Path dir)
      throws Exception {
    Instant now = Instant.parse("2026-12-06T12:00:00Z");
    MediaStore store =
        new MediaStore(dir, Clock.fixed(now, java.time.ZoneOffset.UTC), Duration.ZERO);
    assertThat(store.removeLeftovers(Duration.ofMinutes(11))).as("no tmp directory yet").isZero();

    var stored =
        store.put(new ByteArrayInputStream("plain text".getBytes()), "text/plain", "a.txt", 1_000);
    Path tmp = dir.resolve("tmp");
    Path crashed = Files.writeString(tmp.resolve("crashed.part"), "half an upload");
    Files.setLastModifiedTime(crashed, FileTime.from(now.minus(Duration.ofMinutes(12))));
    Path crashedMeta = Files.writeString(tmp.resolve("crashed.json"), "{");
    Files.setLastModifiedTime(crashedMeta, FileTime.from(now.minus(Duration.ofHours(3))));
    Path running = Files.writeString(tmp.resolve("running.part"), "still coming");
    Files.setLastModifiedTime(running, FileTime.from(now.minus(Duration.ofMinutes(1))));
    // A link is never followed, nor removed: what it points to is not the store's.
    Path outside = Files.writeString(dir.getParent().resolve(dir.getFileName() + "-keep"), "x");
    Files.setLastModifiedTime(outside, FileTime.from(now.minus(Duration.ofDays(1))));
    Path link = Files.createSymbolicLink(tmp.resolve("link.part"), outside);

    assertThat(store.removeLeftovers(Duration.ofMinutes(11))).isEqualTo(2);
    assertThat(crashed).doesNotExist();
    assertThat(crashedMeta).doesNotExist();
    assertThat(running).exists();
    assertThat(outside).exists();
    assertThat(link).exists();
    Files.delete(outside);
    assertThat(store.get(stored.sha256())).isPresent();
  }
}
