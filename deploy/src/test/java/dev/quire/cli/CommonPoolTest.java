package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * On a machine with two cores (as CI's) the common pool has one thread, and every callback on a
 * future from Pekko's Java DSL started a thread of its own. Both JVMs here are told they have two
 * cores, whatever this machine has.
 */
class CommonPoolTest {

  @Test
  void callbacksOfConvertedFuturesDoNotStartAThreadEach() throws Exception {
    String fixed = probe("ensure");
    assertThat(fixed).startsWith("shared=true ");
    assertThat(started(fixed)).isLessThan(CommonPoolProbe.CALLBACKS / 10);
  }

  @Test
  void withoutItEveryCallbackStartsAThread() throws Exception {
    // Shows the probe measures what it should: the JVM's default on two cores.
    String untouched = probe("untouched");
    assertThat(untouched).startsWith("shared=false ");
    assertThat(started(untouched)).isGreaterThanOrEqualTo(CommonPoolProbe.CALLBACKS);
  }

  private static String probe(String mode) throws Exception {
    Process p =
        new ProcessBuilder(
                TestJvm.command(
                    "64m",
                    List.of("-XX:ActiveProcessorCount=2"),
                    CommonPoolProbe.class,
                    List.of(mode)))
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor()).as(out).isZero();
    return out.lines().reduce((a, b) -> b).orElse("");
  }

  private static long started(String line) {
    return Long.parseLong(line.substring(line.indexOf("started=") + "started=".length()));
  }
}
