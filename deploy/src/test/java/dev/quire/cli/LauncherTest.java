package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./quire} launcher's choice of JVM options, run as a user runs it: the repository's
 * script in a copy of the layout it expects. The jar is not built when the tests run (the package
 * phase comes after them), so a {@code java} script first on the PATH records the command the
 * launcher would run instead of starting it, and answers the launcher's question whether the JVM
 * takes {@code TrimNativeHeapInterval}: yes as JDK 17.0.15 does, or no as an older JDK 17 (which
 * this machine does not have) would.
 */
class LauncherTest {

  static final Path REPO = Path.of("").toAbsolutePath().getParent();

  @TempDir Path dir;

  /** The launcher and an empty stand-in jar laid out as in a checkout, and the recording java. */
  void layOut() throws IOException {
    Files.copy(REPO.resolve("quire"), dir.resolve("quire"));
    Files.setPosixFilePermissions(
        dir.resolve("quire"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createDirectories(dir.resolve("deploy/target"));
    Files.createFile(dir.resolve("deploy/target/quire.jar"));
    Path bin = Files.createDirectories(dir.resolve("bin"));
    // A probe (-version) is answered, or refused when REFUSE_TRIM is set; anything else is the
    // command the launcher runs, written down one argument per line.
    Files.writeString(
        bin.resolve("java"),
        String.join(
            "\n",
            "#!/bin/sh",
            "for a in \"$@\"; do",
            "  if [ \"$a\" = -version ]; then",
            "    echo probe >> \"$PROBES\"",
            "    case \"$*\" in *TrimNativeHeapInterval*)",
            "      if [ -n \"${REFUSE_TRIM:-}\" ]; then",
            "        echo \"Unrecognized VM option '${1#-XX:}'\" >&2; exit 1",
            "      fi ;;",
            "    esac",
            "    echo 'openjdk version \"17.0.15\"' >&2; exit 0",
            "  fi",
            "done",
            "printf '%s\\n' \"$@\" > \"$ARGS\"",
            ""));
    Files.setPosixFilePermissions(
        bin.resolve("java"), PosixFilePermissions.fromString("rwxr-xr-x"));
    jdkVersion("17.0.15+6");
  }

  /** The JVM's identity, as a JDK's release file (beside its bin directory) gives it. */
  void jdkVersion(String version) throws IOException {
    Files.writeString(dir.resolve("release"), "JAVA_RUNTIME_VERSION=\"" + version + "\"\n");
  }

  /** A release file as a JDK of that feature version has it. */
  void jdk(String runtimeVersion, String javaVersion) throws IOException {
    Files.writeString(
        dir.resolve("release"),
        "JAVA_RUNTIME_VERSION=\"" + runtimeVersion + "\"\nJAVA_VERSION=\"" + javaVersion + "\"\n");
  }

  /** What a JVM told to make a class archive at exit leaves behind: a file newer than the jar. */
  void madeAtExit(Path archive) throws IOException {
    Files.writeString(archive, "archive");
    Files.setLastModifiedTime(
        dir.resolve("deploy/target/quire.jar"),
        java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 60_000));
  }

  record Run(int exit, String output) {}

  Run run(Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(dir.resolve("quire").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().remove("QUIRE_NATIVE_TRIM_MS");
    pb.environment().put("PATH", dir.resolve("bin") + ":" + System.getenv("PATH"));
    pb.environment().put("ARGS", dir.resolve("args").toString());
    pb.environment().put("PROBES", dir.resolve("probes").toString());
    pb.environment().putAll(env);
    Files.deleteIfExists(dir.resolve("args"));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  /** Runs {@code ./quire args} and returns the JVM options it would start java with. */
  List<String> launch(Map<String, String> env, String... args) throws Exception {
    Run r = run(env, args);
    assertThat(r.exit()).as(r.output()).isZero();
    List<String> all = Files.readAllLines(dir.resolve("args"));
    return all.subList(0, all.indexOf("-jar"));
  }

  long probes() throws IOException {
    Path p = dir.resolve("probes");
    return Files.exists(p) ? Files.readAllLines(p).size() : 0;
  }

  @Test
  void theServerTrimsTheNativeHeapAndAsksEachJvmOnlyOnce() throws Exception {
    layOut();
    assertThat(launch(Map.of(), "serve", "--demo")).contains("-XX:TrimNativeHeapInterval=5000");
    assertThat(probes()).isEqualTo(1);
    // The answer is kept beside the jar: a second start asks nothing.
    assertThat(launch(Map.of("QUIRE_NATIVE_TRIM_MS", "20000"), "serve"))
        .contains("-XX:TrimNativeHeapInterval=20000");
    assertThat(probes()).isEqualTo(1);
    // Another JDK at the same path (an upgrade or a switch) is asked again; an older one that
    // refuses the option does not get it, and that answer is kept too.
    jdkVersion("17.0.8+7");
    assertThat(launch(Map.of("REFUSE_TRIM", "1"), "serve"))
        .noneMatch(o -> o.contains("TrimNativeHeapInterval"))
        .contains("-Xmx256m", "-XX:+UseSerialGC");
    assertThat(probes()).isEqualTo(2);
    assertThat(launch(Map.of(), "serve")).noneMatch(o -> o.contains("TrimNativeHeapInterval"));
    assertThat(probes()).isEqualTo(2);
  }

  /** The archive a launch tells the JVM to make at exit, by the option that names it. */
  static Path archiveMade(List<String> options, String option) {
    return options.stream()
        .filter(o -> o.startsWith(option))
        .map(o -> Path.of(o.substring(option.length())))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + option + " in " + options));
  }

  @Test
  void eachJvmMakesItsOwnClassArchiveAndFromJdk25AnAotCache() throws Exception {
    layOut();
    jdk("17.0.15+6", "17.0.15");
    Path jsa = archiveMade(launch(Map.of(), "serve"), "-XX:ArchiveClassesAtExit=");
    assertThat(jsa.getParent()).isEqualTo(dir.resolve("deploy/target"));
    assertThat(jsa.getFileName().toString()).matches("quire-[0-9]+\\.jsa");
    madeAtExit(jsa);
    assertThat(launch(Map.of(), "serve"))
        .contains("-XX:SharedArchiveFile=" + jsa, "-Xshare:auto")
        .noneMatch(o -> o.startsWith("-XX:ArchiveClassesAtExit"))
        .noneMatch(o -> o.startsWith("--sun-misc-unsafe-memory-access"));
    // Another JVM would ignore that archive without a word: it makes its own beside it, and the
    // first JVM finds its own again when it runs next.
    jdk("17.0.16+8", "17.0.16");
    Path other = archiveMade(launch(Map.of(), "serve"), "-XX:ArchiveClassesAtExit=");
    assertThat(other).isNotEqualTo(jsa);
    assertThat(jsa).exists();
    madeAtExit(other);
    jdk("17.0.15+6", "17.0.15");
    assertThat(launch(Map.of(), "serve")).contains("-XX:SharedArchiveFile=" + jsa);
    // Each command has its own.
    assertThat(archiveMade(launch(Map.of(), "crawl", "http://x/"), "-XX:ArchiveClassesAtExit="))
        .isNotEqualTo(jsa);
    // JDK 25 makes an AOT cache, and is told what JDK 17 allows without a warning.
    jdk("25.0.3+9-LTS", "25.0.3");
    List<String> first = launch(Map.of(), "serve");
    Path aot = archiveMade(first, "-XX:AOTCacheOutput=");
    assertThat(aot.getFileName().toString()).matches("quire-[0-9]+\\.aot");
    assertThat(first)
        .contains(
            "--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow",
            "-Xlog:aot=off")
        .noneMatch(o -> o.contains("ArchiveClassesAtExit") || o.contains("SharedArchiveFile"));
    madeAtExit(aot);
    assertThat(launch(Map.of(), "serve"))
        .contains("-XX:AOTCache=" + aot)
        .noneMatch(o -> o.startsWith("-XX:AOTCacheOutput"));
    assertThat(launch(Map.of("QUIRE_CDS", "off"), "serve"))
        .noneMatch(o -> o.contains("AOTCache") || o.contains("Archive"));
    // Commands without an archive get none.
    assertThat(launch(Map.of(), "users", "list"))
        .noneMatch(o -> o.contains("AOTCache") || o.contains("Archive"));
    // A JVM without a release file cannot be told from another: one archive, as before.
    Files.delete(dir.resolve("release"));
    assertThat(launch(Map.of(), "serve"))
        .contains("-XX:ArchiveClassesAtExit=" + dir.resolve("deploy/target/quire.jsa"));
  }

  /**
   * A server still in its first start after a build writes its archive only as it exits: a build
   * made meanwhile leaves an archive newer than the new jar, but of the old one, which the JVM
   * would ignore without a word (start-up without it until the next build). The launcher sees the
   * jar is newer than the archive's start and makes it again.
   */
  @Test
  void anArchiveOfAJarRebuiltWhileItWasBeingMadeIsMadeAgain() throws Exception {
    layOut();
    jdk("17.0.15+6", "17.0.15");
    Path jsa = archiveMade(launch(Map.of(), "serve"), "-XX:ArchiveClassesAtExit=");
    long now = System.currentTimeMillis();
    Path stamp = Path.of(jsa + ".stamp");
    assertThat(stamp).exists();
    Files.setLastModifiedTime(stamp, java.nio.file.attribute.FileTime.fromMillis(now - 60_000));
    Files.setLastModifiedTime(
        dir.resolve("deploy/target/quire.jar"),
        java.nio.file.attribute.FileTime.fromMillis(now - 30_000));
    Files.writeString(jsa, "archive of the jar before");
    assertThat(archiveMade(launch(Map.of(), "serve"), "-XX:ArchiveClassesAtExit=")).isEqualTo(jsa);
    // Made again against the jar as it is, it is used.
    madeAtExit(jsa);
    assertThat(launch(Map.of(), "serve")).contains("-XX:SharedArchiveFile=" + jsa);
  }

  @Test
  void theServerCollectsWithG1WhenAskedAndRefusesAnUnknownCollector() throws Exception {
    layOut();
    assertThat(launch(Map.of(), "serve")).contains("-XX:+UseSerialGC");
    assertThat(launch(Map.of("QUIRE_GC", "g1"), "serve"))
        .contains("-XX:+UseG1GC")
        .doesNotContain("-XX:+UseSerialGC");
    assertThat(launch(Map.of("QUIRE_GC", "g1"), "import", "markdown", "posts"))
        .as("the import keeps its own")
        .contains("-XX:+UseParallelGC")
        .doesNotContain("-XX:+UseG1GC");
    Files.deleteIfExists(dir.resolve("args"));
    Run bad = run(Map.of("QUIRE_GC", "zgc"), "serve");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.output()).contains("QUIRE_GC").contains("'zgc'");
    assertThat(Files.exists(dir.resolve("args"))).as("java never started").isFalse();
  }

  @Test
  void aJvmWithoutAReleaseFileIsAskedAtEveryStart() throws Exception {
    layOut();
    Files.delete(dir.resolve("release"));
    assertThat(launch(Map.of(), "serve")).contains("-XX:TrimNativeHeapInterval=5000");
    assertThat(launch(Map.of("REFUSE_TRIM", "1"), "serve"))
        .noneMatch(o -> o.contains("TrimNativeHeapInterval"));
    assertThat(probes()).isEqualTo(2);
  }

  @Test
  void zeroTurnsTrimmingOffOtherCommandsDoNotTrimAndNonsenseIsRefused() throws Exception {
    layOut();
    assertThat(launch(Map.of("QUIRE_NATIVE_TRIM_MS", "0"), "serve"))
        .noneMatch(o -> o.contains("TrimNativeHeapInterval"));
    assertThat(launch(Map.of(), "import", "markdown", "posts"))
        .noneMatch(o -> o.contains("TrimNativeHeapInterval"))
        .contains("-XX:+UseParallelGC");
    assertThat(probes()).isZero();
    Run bad = run(Map.of("QUIRE_NATIVE_TRIM_MS", "5s"), "serve");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.output()).contains("QUIRE_NATIVE_TRIM_MS").contains("'5s'");
    assertThat(Files.exists(dir.resolve("args"))).as("java never started").isFalse();
  }

  @Test
  void theMarkdownImportStartsItsHeapAtItsMaximumAndOtherCommandsAtSixtyFourMegabytes()
      throws Exception {
    layOut();
    assertThat(launch(Map.of(), "import", "markdown", "posts")).contains("-Xms256m", "-Xmx256m");
    assertThat(launch(Map.of("QUIRE_HEAP", "512m"), "import", "markdown", "posts"))
        .contains("-Xms512m", "-Xmx512m");
    assertThat(launch(Map.of(), "export", "markdown", "out")).contains("-Xms64m", "-Xmx256m");
    assertThat(launch(Map.of(), "import", "wordpress", "site.xml")).contains("-Xms64m");
    assertThat(launch(Map.of(), "serve")).contains("-Xms64m", "-Xmx256m");
  }

  @Test
  void theSerialCollectorGetsAYoungGenerationAsLargeAsTheOldAndG1ItsOwnSizing() throws Exception {
    layOut();
    assertThat(launch(Map.of(), "serve"))
        .containsSubsequence("-XX:+UseSerialGC", "-XX:NewRatio=1", "-XX:SurvivorRatio=4");
    assertThat(launch(Map.of("QUIRE_GC", "g1"), "serve"))
        .as("G1 sizes its young generation itself; a fixed ratio would stop it")
        .noneMatch(o -> o.startsWith("-XX:NewRatio") || o.startsWith("-XX:SurvivorRatio"));
    assertThat(launch(Map.of(), "import", "markdown", "posts"))
        .noneMatch(o -> o.startsWith("-XX:NewRatio"));
  }

  @Test
  void jvmOptsPrintsACommandsOptionsWithoutItsClassArchiveAndStartsNothing() throws Exception {
    layOut();
    List<String> serve = launch(Map.of(), "serve");
    // Out of memory, the process ends (a service manager starts it again) instead of running on
    // with threads that died of it.
    assertThat(serve).contains("-XX:+ExitOnOutOfMemoryError");
    Run printed = run(Map.of("QUIRE_JAVA_OPTS", "-Dquire.x=1"), "jvm-opts", "serve");
    assertThat(printed.exit()).isZero();
    assertThat(Files.exists(dir.resolve("args"))).as("java never started").isFalse();
    List<String> options = printed.output().lines().toList();
    assertThat(options)
        .as("the server's options, the class archive left out")
        .containsExactlyElementsOf(
            java.util.stream.Stream.concat(
                    serve.stream()
                        .filter(o -> !o.startsWith("-Xlog:cds") && !o.contains("SharedArchive"))
                        .filter(o -> !o.startsWith("-Xshare") && !o.contains("ArchiveClasses")),
                    java.util.stream.Stream.of("-Dquire.x=1"))
                .toList());
    assertThat(run(Map.of("QUIRE_GC", "g1"), "jvm-opts", "serve").output())
        .contains("-XX:+UseG1GC");
    assertThat(run(Map.of(), "jvm-opts", "import", "markdown", "posts").output().lines().toList())
        .contains("-XX:+UseParallelGC", "-XX:TieredStopAtLevel=1", "-Xms256m");
  }
}
