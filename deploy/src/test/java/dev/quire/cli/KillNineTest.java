package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.protocol.ContentSnapshot;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An acknowledged write survives kill -9: a real JVM writes to H2, is killed with SIGKILL in the
 * middle of writing, and every write it acknowledged is found after a restart.
 */
class KillNineTest {

  static final int KILL_AFTER_ACKS = 400;

  @Test
  void everyAcknowledgedWriteSurvivesSigkill(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("data");
    Process writer =
        new ProcessBuilder(
                TestJvm.command("256m", List.of(), KillNineWriter.class, List.of(data.toString())))
            .redirectError(tmp.resolve("writer.log").toFile())
            .start();
    Map<String, String> acked = new LinkedHashMap<>();
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while ((line = out.readLine()) != null && acked.size() < KILL_AFTER_ACKS) {
        if (line.startsWith("ACK ")) {
          String[] p = line.split(" ");
          acked.put(p[1], p[2]);
        }
        assertThat(System.nanoTime()).as("writer too slow; see writer.log").isLessThan(deadline);
      }
      // SIGKILL while up to 64 more writes are in flight.
      // kill(1), not destroyForcibly(): that would also close the pipe and lose acks in it.
      new ProcessBuilder("kill", "-9", String.valueOf(writer.pid())).start().waitFor();
      assertThat(writer.waitFor(30, TimeUnit.SECONDS)).isTrue();
      while ((line = out.readLine()) != null) {
        if (line.startsWith("ACK ")) {
          String[] p = line.split(" ");
          acked.put(p[1], p[2]);
        }
      }
    }
    assertThat(writer.exitValue()).as("killed by signal 9").isEqualTo(137);
    assertThat(acked).hasSizeGreaterThanOrEqualTo(KILL_AFTER_ACKS);

    var config = QuireNode.config(Map.of("quire.data-dir", data.toString()));
    try (QuireNode node = QuireNode.start(config, false, System.err)) {
      LocalTarget target = new LocalTarget(node.system(), Duration.ofSeconds(30), "check");
      List<ContentSnapshot> all = target.all().toCompletableFuture().get(2, TimeUnit.MINUTES);
      Map<String, ContentSnapshot> byId = new LinkedHashMap<>();
      all.forEach(s -> byId.put(s.id(), s));
      int missing = 0;
      for (var e : acked.entrySet()) {
        ContentSnapshot s = byId.get(e.getKey());
        if (s == null || !s.fields().slug().equals(e.getValue())) {
          missing++;
        }
      }
      System.out.printf(
          "kill -9: %d writes acknowledged, %d items in the journal after restart, %d lost%n",
          acked.size(), all.size(), missing);
      assertThat(missing).as("acknowledged writes lost").isZero();
      // The slug registry agrees with the items after the crash.
      Optional<ContentSnapshot> first =
          target.findBySlug(acked.values().iterator().next()).toCompletableFuture().get();
      assertThat(first).isPresent();
    }
  }
}
