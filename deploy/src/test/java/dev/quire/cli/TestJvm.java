package dev.quire.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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

  /**
   * The quire command ({@link Main}) in a JVM of its own with a 256 MB heap, run in {@code dir}:
   * standard output to {@code out}, standard error to {@code err} (both to one log when they are
   * the same file), with {@code env} added to this JVM's environment.
   */
  static Process quire(Path dir, Path out, Path err, Map<String, String> env, String... args)
      throws java.io.IOException {
    return quire(List.of(), dir, out, err, env, args);
  }

  private static Process quire(
      List<String> jvmOptions,
      Path dir,
      Path out,
      Path err,
      Map<String, String> env,
      String... args)
      throws java.io.IOException {
    ProcessBuilder pb =
        new ProcessBuilder(command("256m", jvmOptions, Main.class, List.of(args)))
            .directory(dir.toFile())
            .redirectOutput(out.toFile());
    if (err.equals(out)) {
      pb.redirectErrorStream(true);
    } else {
      pb.redirectError(err.toFile());
    }
    pb.environment().putAll(env);
    return pb.start();
  }

  /**
   * {@code quire serve --demo} on {@code port} with its data in {@code tmp/data}, logging to {@code
   * tmp/serve.log}, its temporary files in {@link #tempDir tmp/tmp}.
   */
  static Process serveDemo(Path tmp, int port, Map<String, String> env) throws java.io.IOException {
    Path log = tmp.resolve("serve.log");
    java.nio.file.Files.createDirectories(tempDir(tmp));
    return quire(
        List.of("-Djava.io.tmpdir=" + tempDir(tmp)),
        tmp,
        log,
        log,
        env,
        "serve",
        "--demo",
        "--port",
        String.valueOf(port),
        "--data",
        tmp.resolve("data").toString());
  }

  /** The temporary directory of a {@link #serveDemo} JVM run in {@code tmp}. */
  static Path tempDir(Path tmp) {
    return tmp.resolve("tmp");
  }
}
