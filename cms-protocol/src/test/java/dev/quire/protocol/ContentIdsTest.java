package dev.quire.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ContentIdsTest {

  @Test
  void idsAreUniqueVersion7UuidsThatSortInTheOrderTheyWereMade() {
    long before = System.currentTimeMillis();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      ids.add(ContentIds.next());
    }
    long after = System.currentTimeMillis();

    assertThat(new HashSet<>(ids)).hasSize(ids.size());
    UUID first = UUID.fromString(ids.get(0));
    assertThat(first.version()).isEqualTo(7);
    assertThat(first.variant()).isEqualTo(2);
    assertThat(ids.get(0)).hasSize(36).isEqualTo(first.toString());
    // The first 48 bits are the creation time in milliseconds since the epoch.
    long millis = first.getMostSignificantBits() >>> 16;
    assertThat(millis).isBetween(before, after);
    // What the journal's and the read model's indexes see: each new id sorts after the last one,
    // including among ids made within the same millisecond.
    List<String> sorted = new ArrayList<>(ids);
    sorted.sort(null);
    assertThat(sorted).isEqualTo(ids);
  }

  @Test
  void idsMadeOnManyThreadsAtOnceAreUnique() throws Exception {
    // The API creates items concurrently: two equal ids would make two items one entity.
    int threads = 4;
    int each = 50_000;
    java.util.Set<String> all = java.util.concurrent.ConcurrentHashMap.newKeySet();
    java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread w =
          new Thread(
              () -> {
                try {
                  start.await();
                } catch (InterruptedException e) {
                  return;
                }
                for (int i = 0; i < each; i++) {
                  all.add(ContentIds.next());
                }
              });
      w.start();
      workers.add(w);
    }
    start.countDown();
    for (Thread w : workers) {
      w.join();
    }
    assertThat(all).hasSize(threads * each);
  }
}
