package dev.quire.gateway.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quire.gateway.http.HttpError;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** What an ask that timed out answers: a change may still be applied, and the answer says so. */
class AsksTest {

  static Throwable failure(boolean wasChange) {
    var timedOut = CompletableFuture.<String>failedFuture(new TimeoutException("ask timed out"));
    try {
      Asks.unavailableOnTimeout(timedOut, "content c1", () -> wasChange)
          .toCompletableFuture()
          .join();
    } catch (java.util.concurrent.CompletionException e) {
      return e.getCause();
    }
    throw new AssertionError("the stage did not fail");
  }

  @Test
  void aChangeThatTimedOutMayStillBeAppliedAndAReadIsSimplyRetried() {
    Throwable change = failure(true);
    assertThat(change).isInstanceOf(HttpError.class);
    assertThat(((HttpError) change).status()).isEqualTo(503);
    // What the admin tells apart from other 503s (nothing sent: it says "not saved").
    assertThat(change).isInstanceOf(Asks.ChangeMayStillApply.class);
    assertThat(failure(false)).isNotInstanceOf(Asks.ChangeMayStillApply.class);
    assertThat(change.getMessage())
        .contains("content c1 did not answer in time: the change may still be applied")
        .doesNotContain("try again");
    assertThat(failure(false).getMessage())
        .isEqualTo("content c1 did not answer in time; try again");
    // Other failures pass through as they are.
    var other = CompletableFuture.<String>failedFuture(new IllegalStateException("boom"));
    assertThatThrownBy(
            () -> Asks.unavailableOnTimeout(other, "x", () -> true).toCompletableFuture().join())
        .hasCauseInstanceOf(IllegalStateException.class);
  }
}
