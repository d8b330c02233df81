package dev.quire.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Commands for tests that run a class in a JVM of its own, on this test run's classpath. */
final class TestJvm {

  private TestJvm() {}

  /** {@code java -Xmx<maxHeap> <jvmOptions> -cp <classpath> <main> <args>}. */
  static List<String> command(
      String maxHeap, List<String> jvmOptions, Class<?> main, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + maxHeap);
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(args);
    return cmd;
  }
}
