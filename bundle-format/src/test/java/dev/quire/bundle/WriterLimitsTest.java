package dev.quire.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writer writes only what a reader with the same limits accepts: it splits parts by size as
 * well as by count, and refuses, naming it, what no split can fix. Small limits stand in for the
 * default ones (256 MiB per part, 8 MiB per line, 4 GiB per blob).
 */
class WriterLimitsTest {

  @TempDir Path dir;

  /** 8 KiB per record entry (parts split at 2 KiB), 1 KiB per line, 16-byte blobs, 5 items. */
  static final Limits SMALL =
      new Limits(1_000, 8 << 10, 16, 1L << 30, 200, 1 << 10, 5, 1 << 20, 1 << 20);

  /** The same, with room for 1,000 items. */
  static final Limits MANY_ITEMS =
      new Limits(1_000, 8 << 10, 16, 1L << 30, 200, 1 << 10, 1_000, 1 << 20, 1 << 20);

  static BundleWriter.Options options() {
    return new BundleWriter.Options(
        "quire 0.1.0 (test)",
        new Manifest.Site("Test site", "https://example.org"),
        true,
        10_000,
        Clock.fixed(Fixtures.T0, ZoneOffset.UTC));
  }

  static BundleItem item(int i, String body) {
    return new BundleItem(
        "id-" + i,
        "post",
        "published",
        1,
        "Post " + i,
        "post-" + i,
        body,
        "",
        List.of(),
        "",
        "Ada",
        Fixtures.T0,
        Fixtures.T0,
        Fixtures.T0,
        Fixtures.T0,
        null,
        List.of(),
        List.of(),
        "");
  }

  /** An item's first event, with {@code body}. */
  static BundleEvent created(int i, String body) {
    return new BundleEvent(
        "id-" + i,
        1,
        "created",
        Fixtures.T0,
        "editor",
        "post",
        new BundleEvent.Fields(
            "Post " + i, "post-" + i, body, "", List.of(), "", "Ada", Fixtures.T0, ""),
        null,
        null,
        null);
  }

  @Test
  void partsSplitBySizeSoThatAReaderWithTheSameLimitsTakesThem() throws Exception {
    Path file = dir.resolve("big.quire");
    try (BundleWriter w = BundleWriter.create(file, options(), ProgressListener.NONE, MANY_ITEMS)) {
      for (int i = 1; i <= 40; i++) {
        w.item(item(i, "x".repeat(600)));
        w.event(created(i, "y".repeat(600)));
      }
      w.finish();
    }
    // 40 records of ~900 bytes of each kind: one part each by count (10,000 a part), over the
    // reader's 8 KiB.
    try (BundleReader r = BundleReader.open(file, MANY_ITEMS)) {
      List<Manifest.Entry> entries = r.verify(ProgressListener.NONE).manifest().entries();
      assertThat(entries.stream().filter(e -> e.name().startsWith(Layout.ITEMS_PREFIX)).count())
          .isGreaterThan(4);
      assertThat(entries.stream().filter(e -> e.name().startsWith(Layout.EVENTS_PREFIX)).count())
          .isGreaterThan(4);
      List<String> ids = new ArrayList<>();
      r.forEachItem(i -> ids.add(i.id()));
      assertThat(ids).hasSize(40).startsWith("id-1", "id-2").endsWith("id-40");
      List<String> events = new ArrayList<>();
      r.forEachEvent(e -> events.add(e.itemId()));
      assertThat(events).isEqualTo(ids);
    }
  }

  /** A silent WAV or a run of one letter deflates ~1000:1, past the reader's 200:1. */
  @Test
  void entriesThatDeflatePastTheReadersRatioAreStoredAndReadBack() throws Exception {
    Path file = dir.resolve("flat.quire");
    byte[] silence = new byte[2 << 20];
    try (BundleWriter w =
        BundleWriter.create(file, options(), ProgressListener.NONE, Limits.DEFAULT)) {
      w.media(new ByteArrayInputStream(silence), "audio/wav", "silence.wav");
      for (int i = 1; i <= 30; i++) {
        w.item(item(i, "a".repeat(100_000)));
        w.event(created(i, "a".repeat(100_000)));
      }
      w.finish();
    }
    try (BundleReader r = BundleReader.open(file, Limits.DEFAULT)) {
      r.verify(ProgressListener.NONE);
      List<String> ids = new ArrayList<>();
      r.forEachItem(i -> ids.add(i.id()));
      assertThat(ids).hasSize(30);
      List<MediaEntry> media = new ArrayList<>();
      r.forEachMedia(media::add);
      try (var in = r.openMedia(media.get(0).sha256())) {
        assertThat(in.readAllBytes()).isEqualTo(silence);
      }
    }
  }

  @Test
  void aRecordOverTheLineLimitIsRefusedNamingItAndNothingIsLeft() throws Exception {
    Path file = dir.resolve("line.quire");
    assertThatThrownBy(
            () -> {
              try (BundleWriter w =
                  BundleWriter.create(file, options(), ProgressListener.NONE, SMALL)) {
                w.item(item(1, "short"));
                w.item(item(2, "y".repeat(2_000)));
              }
            })
        .isInstanceOf(IOException.class)
        .hasMessageContaining("content/items: record 2 (item id-2, 'post-2') is ")
        .hasMessageContaining("characters, over the 1024 a reader accepts for one line");
    try (var left = Files.list(dir)) {
      assertThat(left.toList()).isEmpty();
    }
  }

  @Test
  void aBlobOverItsLimitAndOneItemTooManyAreRefused() throws Exception {
    try (BundleWriter w =
        BundleWriter.create(dir.resolve("blob.quire"), options(), ProgressListener.NONE, SMALL)) {
      assertThatThrownBy(
              () -> w.media(new ByteArrayInputStream(new byte[17]), "image/png", "big.png"))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("media 'big.png' is 17 bytes, over the 16");
      for (int i = 1; i <= 5; i++) {
        w.item(item(i, "ok"));
      }
      assertThatThrownBy(() -> w.item(item(6, "ok")))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("more than 5 items");
    }
  }
}
