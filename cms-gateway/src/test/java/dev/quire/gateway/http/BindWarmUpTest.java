package dev.quire.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import org.junit.jupiter.api.Test;

/**
 * The warm-up names a class this Pekko HTTP still has (after an upgrade that renamed it, the
 * warm-up would quietly do nothing), and runs to its end.
 */
class BindWarmUpTest {

  @Test
  void theClassItWarmsIsPekkosAndTheThreadFinishes() throws Exception {
    assertThatCode(() -> Class.forName(BindWarmUp.TLS_PLACEBO, false, getClass().getClassLoader()))
        .doesNotThrowAnyException();
    Thread t = BindWarmUp.start();
    assertThat(t.isDaemon()).isTrue();
    t.join(30_000);
    assertThat(t.isAlive()).isFalse();
  }
}
