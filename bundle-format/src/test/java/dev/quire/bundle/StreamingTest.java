package dev.quire.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 100,000 items and a 128 MB media blob are written, verified and read back while the heap in use
 * (measured after a GC at regular points) stays within a fixed margin: memory does not grow with
 * the bundle. bench/bundle.sh does the same with gigabytes.
 */
class StreamingTest {

  static final int ITEMS = 100_000;
  static final long MEDIA_BYTES = 128L << 20;
  static final long MARGIN = 48L << 20;

  @TempDir Path tmp;

  @Test
  void writesAndReadsAHundredThousandItemsInBoundedMemory() throws Exception {
    long baseline = usedAfterGc();
    AtomicLong peak = new AtomicLong();
    Path file = tmp.resolve("big.quire");
    String hash;
    try (BundleWriter w =
        BundleWriter.create(
            file,
            new BundleWriter.Options(
                "test", new Manifest.Site("Big", "https://big.example"), false))) {
      hash =
          w.media(new Generated(MEDIA_BYTES, peak), "application/octet-stream", "big.bin").sha256();
      for (int i = 0; i < ITEMS; i++) {
        w.item(
            new BundleItem(
                "id-" + i,
                "post",
                "published",
                1,
                "Post " + i,
                "post-" + i,
                "Body of post " + i + " with some words to make the record realistic.",
                "",
                List.of("t" + (i % 50)),
                "",
                "",
                null,
                null,
                null,
                null,
                null,
                List.of(),
                i == 0 ? List.of(hash) : List.of(),
                ""));
        if (i % 20_000 == 0) {
          peak.accumulateAndGet(usedAfterGc(), Math::max);
        }
      }
      Manifest m = w.finish();
      assertThat(m.counts().items()).isEqualTo(ITEMS);
      assertThat(m.counts().mediaBytes()).isEqualTo(MEDIA_BYTES);
      assertThat(m.entries()).filteredOn(e -> e.name().startsWith("content/")).hasSize(10);
    }
    try (BundleReader r = BundleReader.open(file, Limits.DEFAULT)) {
      r.verify(
          (phase, done, total) -> {
            if (done % 4 == 0) {
              peak.accumulateAndGet(usedAfterGc(), Math::max);
            }
          });
      AtomicLong seen = new AtomicLong();
      r.forEachItem(
          item -> {
            if (seen.incrementAndGet() % 25_000 == 0) {
              peak.accumulateAndGet(usedAfterGc(), Math::max);
            }
          });
      assertThat(seen.get()).isEqualTo(ITEMS);
      long total = 0;
      byte[] buf = new byte[1 << 16];
      try (InputStream in = r.openMedia(hash)) {
        int n;
        while ((n = in.read(buf)) > 0) {
          total += n;
        }
      }
      assertThat(total).isEqualTo(MEDIA_BYTES);
    }
    assertThat(peak.get() - baseline)
        .as("heap in use above the baseline of %d MB", baseline >> 20)
        .isLessThan(MARGIN);
  }

  static long usedAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Pseudo-random bytes made on the fly (xorshift): never held, barely compressible. */
  static final class Generated extends InputStream {
    private final long size;
    private final AtomicLong peak;
    private long produced;
    private long state = 0x9E3779B97F4A7C15L;

    Generated(long size, AtomicLong peak) {
      this.size = size;
      this.peak = peak;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (produced >= size) {
        return -1;
      }
      int n = (int) Math.min(len, size - produced);
      for (int i = 0; i < n; i += 8) {
        state ^= state << 13;
        state ^= state >>> 7;
        state ^= state << 17;
        for (int k = 0; k < 8 && i + k < n; k++) {
          b[off + i + k] = (byte) (state >>> (k * 8));
        }
      }
      if (produced / (32L << 20) != (produced + n) / (32L << 20)) {
        peak.accumulateAndGet(usedAfterGc(), Math::max);
      }
      produced += n;
      return n;
    }
  }
}
