package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second content node on the embedded H2 database is refused when it joins a cluster that has
 * one: each would journal to its own file. Two JVMs of their own, content role only, on loopback.
 */
class H2SingleContentNodeTest {

  static Process node(Path tmp, String name, int port, int seed) throws Exception {
    Path log = tmp.resolve(name + ".log");
    ProcessBuilder pb =
        new ProcessBuilder(
                TestJvm.command(
                    "256m",
                    List.of(),
                    Main.class,
                    List.of(
                        "serve",
                        "--data",
                        tmp.resolve(name).toString(),
                        "--roles",
                        "content",
                        "--cluster-port",
                        String.valueOf(port),
                        "--seed",
                        "127.0.0.1:" + seed)))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    return pb.start();
  }

  @Test
  void aSecondContentNodeOnH2IsRefusedNamingWhatToSet(@TempDir Path tmp) throws Exception {
    int first = EmbeddingRoleClusterTest.freePort();
    Process one = node(tmp, "one", first, first);
    Process two = null;
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.readString(tmp.resolve("one.log")).contains("runs content")) {
        assertThat(one.isAlive()).as(Files.readString(tmp.resolve("one.log"))).isTrue();
        assertThat(System.nanoTime()).as("the first node never started").isLessThan(deadline);
        Thread.sleep(100);
      }
      two = node(tmp, "two", EmbeddingRoleClusterTest.freePort(), first);
      assertThat(two.waitFor(60, TimeUnit.SECONDS)).as("the second node stopped").isTrue();
      String log = Files.readString(tmp.resolve("two.log"));
      assertThat(two.exitValue()).as(log).isEqualTo(2);
      assertThat(log)
          .contains("uses the embedded H2 database")
          .contains("QUIRE_DB_URL")
          .contains("127.0.0.1:" + first);
      assertThat(one.isAlive()).as("the first node runs on").isTrue();
    } finally {
      one.destroy();
      if (two != null) {
        two.destroyForcibly();
      }
      if (!one.waitFor(30, TimeUnit.SECONDS)) {
        one.destroyForcibly();
      }
    }
  }
}
