package dev.quire.gateway.content;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.protocol.ContentQuery.StoreReport;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.Address;
import org.junit.jupiter.api.Test;

class StoreWatchTest {

  static final Address A = new Address("pekko", "quire", "10.0.0.1", 25520);
  static final Address B = new Address("pekko", "quire", "10.0.0.2", 25520);
  static final long T = 1_796_600_000_000L;
  static final long MB = 1024 * 1024;

  static StoreReport failing(long at, long reportedAt) {
    return new StoreReport(3, at, "No space left on device", at - 60_000, 2 * MB, reportedAt);
  }

  static StoreReport fine(long reportedAt) {
    return new StoreReport(0, 0, null, reportedAt - 1_000, 500 * MB, reportedAt);
  }

  @Test
  void aNodeWhoseLastWriteFailedIsToldOfUntilOneGoesThroughEvenWhenItDoesNotAnswer() {
    StoreWatch watch = new StoreWatch(ZoneId.of("UTC"), Duration.ofMinutes(10));
    assertThat(watch.trouble()).isEmpty();

    watch.update(Map.of(A, Optional.of(failing(T, T + 1_000)), B, Optional.of(fine(T))));
    assertThat(watch.trouble())
        .hasValueSatisfying(
            t -> {
              assertThat(t.failedWrites()).isEqualTo(3);
              assertThat(t.freeMegabytes()).isEqualTo(2);
              assertThat(t.describe())
                  .startsWith("the site's database is refusing writes: it refused the last one at ")
                  .contains("(No space left on device)")
                  .endsWith("the disk holding the site's data has 2 MB free");
            });
    // A node whose queries are stuck behind a database gone away does not answer: its last word
    // stands, rather than the note going.
    watch.update(Map.of(A, Optional.empty(), B, Optional.of(fine(T + 5_000))));
    assertThat(watch.trouble()).isPresent();
    // A write that went through since clears it.
    StoreReport mended =
        new StoreReport(3, T, "No space left on device", T + 9_000, 90 * MB, T + 10_000);
    watch.update(Map.of(A, Optional.of(mended), B, Optional.of(fine(T + 10_000))));
    assertThat(watch.trouble()).isEmpty();
    // A node gone from the cluster is forgotten.
    watch.update(Map.of(A, Optional.of(failing(T + 20_000, T + 21_000))));
    watch.update(Map.of(B, Optional.of(fine(T + 25_000))));
    assertThat(watch.trouble()).isEmpty();
  }

  @Test
  void aFailureNothingWasWrittenAfterIsToldOfForAWhileOnly() {
    StoreWatch watch = new StoreWatch(ZoneId.of("UTC"), Duration.ofMinutes(10));
    watch.update(Map.of(A, Optional.of(failing(T, T + Duration.ofMinutes(9).toMillis()))));
    assertThat(watch.trouble()).isPresent();
    watch.update(Map.of(A, Optional.of(failing(T, T + Duration.ofMinutes(11).toMillis()))));
    assertThat(watch.trouble()).as("a quiet site's one passing failure").isEmpty();
    // PostgreSQL's disk is not known here: nothing said of it.
    watch.update(
        Map.of(A, Optional.of(new StoreReport(1, T, "Connection refused", 0, -1, T + 1_000))));
    assertThat(watch.trouble().orElseThrow().describe()).doesNotContain("MB free");
  }

  @Test
  void aNodeThatStopsAnsweringHasItsLastWordAgeOnThisGatewaysClock() throws Exception {
    StoreWatch watch = new StoreWatch(ZoneId.of("UTC"), Duration.ofMillis(200));
    watch.update(Map.of(A, Optional.of(failing(T, T))));
    assertThat(watch.trouble()).isPresent();
    Thread.sleep(300);
    watch.update(Map.of(A, Optional.empty()));
    assertThat(watch.trouble()).as("aged past remember without a word since").isEmpty();
  }
}
