package dev.quire.embedding.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX Runtime's native libraries come from under the models directory, not from a fresh copy in
 * {@code java.io.tmpdir} per JVM. Each case runs the real model in a JVM of its own (the libraries
 * load once per JVM, so this test's own JVM may have loaded them already), with a temporary
 * directory of its own, and ends it with {@code Runtime.halt}: no exit hooks run, as after a {@code
 * kill -9} or a crash.
 */
class OnnxRuntimeLibrariesTest {

  @TempDir Path dir;

  /** The child JVM: loads the model from {@code args[0]}, embeds a text, then halts. */
  public static final class LoadAndHalt {
    public static void main(String[] args) throws Exception {
      Embedder embedder = Embedder.load(ModelSpec.MINILM_L6_V2_Q, Path.of(args[0]), 1);
      float[] v = embedder.embed(List.of("a sentence to embed"))[0];
      System.out.println("dimensions " + v.length);
      System.out.println("native path " + System.getProperty(OnnxRuntimeLibraries.PATH_PROPERTY));
      System.out.flush();
      Runtime.getRuntime().halt(0);
    }
  }

  @Test
  void theLibrariesAreCopiedOnceUnderTheModelsDirAndNothingIsLeftInTmp() throws Exception {
    Path models = dir.resolve("models");
    Path tmp = Files.createDirectories(dir.resolve("tmp"));

    String first = run(models, tmp, List.of());
    assertThat(first).contains("dimensions 384");
    Path nativeDir = nativeDir(models);
    assertThat(first).contains("native path " + nativeDir.toAbsolutePath());
    Path lib = nativeDir.resolve(System.mapLibraryName("onnxruntime"));
    assertThat(lib).isRegularFile();
    assertThat(nativeDir.resolve(System.mapLibraryName("onnxruntime4j_jni"))).isRegularFile();
    // ONNX Runtime still makes its (empty) temporary directory; no library is copied into it.
    assertThat(regularFiles(tmp)).isEmpty();

    // A second start finds the copy whole and loads it as it is.
    FileTime before = Files.getLastModifiedTime(lib);
    String second = run(models, tmp, List.of());
    assertThat(second).contains("dimensions 384");
    assertThat(Files.getLastModifiedTime(lib)).isEqualTo(before);
    assertThat(regularFiles(tmp)).isEmpty();
  }

  @Test
  void aCopyCutShortIsReplaced() throws Exception {
    Path models = dir.resolve("models");
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    assertThat(run(models, tmp, List.of())).contains("dimensions 384");
    Path lib = nativeDir(models).resolve(System.mapLibraryName("onnxruntime"));
    long size = Files.size(lib);
    // As a disk that filled up, or a hand that truncated it, would leave it.
    try (var ch = java.nio.channels.FileChannel.open(lib, java.nio.file.StandardOpenOption.WRITE)) {
      ch.truncate(size / 2);
    }
    assertThat(run(models, tmp, List.of())).contains("dimensions 384");
    assertThat(Files.size(lib)).isEqualTo(size);
  }

  @Test
  void aCopyAStoppedProcessLeftIsSweptOnceOld() throws Exception {
    Path models = dir.resolve("models");
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    assertThat(run(models, tmp, List.of())).contains("dimensions 384");
    Path nativeDir = nativeDir(models);
    // As a kill -9 during a copy leaves it: one old, one that another process may be writing now.
    Path old = Files.write(nativeDir.resolve("libonnxruntime.so.123.tmp"), new byte[1024]);
    Files.setLastModifiedTime(
        old,
        FileTime.from(
            java.time.Instant.now().minus(OnnxRuntimeLibraries.UNFINISHED_AFTER).minusSeconds(60)));
    Path young = Files.write(nativeDir.resolve("libonnxruntime.so.456.tmp"), new byte[1024]);
    assertThat(run(models, tmp, List.of())).contains("dimensions 384");
    assertThat(old).doesNotExist();
    assertThat(young).exists();
  }

  @Test
  void aPathTheOperatorSetIsKept() throws Exception {
    Path models = dir.resolve("models");
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    Path own = Files.createDirectories(dir.resolve("own"));
    // The operator's directory, holding the libraries (copied there by a first run).
    assertThat(run(models, tmp, List.of())).contains("dimensions 384");
    Path copied = nativeDir(models);
    for (String name : List.of("onnxruntime", "onnxruntime4j_jni")) {
      Files.copy(
          copied.resolve(System.mapLibraryName(name)), own.resolve(System.mapLibraryName(name)));
    }
    Path otherModels = dir.resolve("other-models");
    String out =
        run(otherModels, tmp, List.of("-D" + OnnxRuntimeLibraries.PATH_PROPERTY + "=" + own));
    assertThat(out).contains("dimensions 384").contains("native path " + own);
    assertThat(otherModels.resolve("native")).doesNotExist();
  }

  /** The one directory the first run copied the libraries into, under {@code models}. */
  private static Path nativeDir(Path models) throws IOException {
    try (Stream<Path> s = Files.list(models.resolve("native"))) {
      return s.filter(p -> p.getFileName().toString().startsWith("onnxruntime-"))
          .findFirst()
          .orElseThrow();
    }
  }

  private static List<Path> regularFiles(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).toList();
    }
  }

  private static String run(Path models, Path tmp, List<String> options) throws Exception {
    List<String> cmd = new java.util.ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-Djava.io.tmpdir=" + tmp);
    cmd.addAll(options);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(LoadAndHalt.class.getName());
    cmd.add(models.toString());
    Path log = Files.createTempFile(tmp.getParent(), "child", ".log");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    // Waited for with a bound first: a child that hangs fails the test instead of holding it.
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("the child JVM did not end: " + Files.readString(log));
    }
    String text = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(text).isZero();
    return text;
  }
}
