package dev.quire.gateway.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quire.gateway.http.HttpError;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A backup's asks while the content role is not reachable: asked again until it answers (a node
 * starting: CI's first backups failed at once with "no content query service is reachable yet"), up
 * to the wait, and any other failure at once. The asks here fail as {@code ContentClient}'s do (a
 * failed stage); the backup against a real content role is {@code BackupEndToEndTest}'s.
 */
class SiteBackupAskTest {

  static SiteBackup backup(Duration wait) {
    return new SiteBackup(null, null, null, Duration.ofSeconds(1), 10, wait);
  }

  @Test
  void anUnreachableContentRoleIsAskedAgainUntilItAnswers() throws Exception {
    AtomicInteger asked = new AtomicInteger();
    String answer =
        backup(Duration.ofSeconds(10))
            .ask(
                () ->
                    asked.incrementAndGet() < 3
                        ? CompletableFuture.failedFuture(
                            HttpError.unavailable("no content query service is reachable yet"))
                        : CompletableFuture.completedFuture("ids"));
    assertThat(answer).isEqualTo("ids");
    assertThat(asked).hasValue(3);
  }

  @Test
  void anyOtherFailureEndsTheBackupAtOnceWithItsOwnMessage() {
    AtomicInteger asked = new AtomicInteger();
    assertThatThrownBy(
            () ->
                backup(Duration.ofSeconds(10))
                    .ask(
                        () -> {
                          asked.incrementAndGet();
                          return CompletableFuture.failedFuture(
                              HttpError.badRequest("limit", "too large"));
                        }))
        .isInstanceOf(HttpError.class)
        .hasMessageContaining("too large");
    assertThat(asked).hasValue(1);
  }

  @Test
  void pastTheWaitTheUnavailableAnswerIsTheBackupsFailure() {
    AtomicInteger asked = new AtomicInteger();
    assertThatThrownBy(
            () ->
                backup(Duration.ofMillis(1200))
                    .ask(
                        () -> {
                          asked.incrementAndGet();
                          return CompletableFuture.failedFuture(
                              HttpError.unavailable("no content query service is reachable yet"));
                        }))
        .isInstanceOf(HttpError.class)
        .hasMessage("no content query service is reachable yet");
    assertThat(asked.get()).isBetween(2, 5);
  }
}
