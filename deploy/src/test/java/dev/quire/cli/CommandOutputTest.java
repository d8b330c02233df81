package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Standard output of a command carries only what the command prints. The import runs in a JVM of
 * its own, as {@code quire} runs it, because what is tested is where the process's output goes:
 * Pekko Projection 1.0.0 prints {@code "# stop ..."} through Scala's console when a projection
 * stops, which was the last line of every {@code quire import} (see {@link
 * Main#scalaConsoleToLog}).
 */
class CommandOutputTest {

  @Test
  void importPrintsOnlyItsResultOnStandardOutput(@TempDir Path tmp) throws Exception {
    Path posts = Files.createDirectories(tmp.resolve("posts"));
    Files.writeString(
        posts.resolve("hello.md"),
        "---\ntitle: Hello\nslug: hello\ndate: 2025-01-02\n---\n\nThe *first* post.\n");
    Files.writeString(
        posts.resolve("second.md"),
        "---\ntitle: Second\nslug: second\ndate: 2025-01-03\ndraft: true\n---\n\nA draft.\n");
    Path out = tmp.resolve("stdout.txt");
    Path err = tmp.resolve("stderr.txt");
    Process p =
        TestJvm.quire(
            tmp,
            out,
            err,
            Map.of(),
            "import",
            "markdown",
            posts.toString(),
            "--data",
            tmp.resolve("data").toString());
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("import finished in 2 minutes").isTrue();
    assertThat(p.exitValue()).as("exit code; stderr: %s", Files.readString(err)).isZero();
    assertThat(Files.readString(err))
        .as("nor on standard error at the default log levels")
        .doesNotContain("# stop");
    List<String> lines = Files.readAllLines(out);
    assertThat(lines)
        .as("standard output of the import")
        .hasSize(2)
        .satisfiesExactly(
            checked -> assertThat(checked).startsWith("Checked 2 file(s)"),
            imported ->
                assertThat(imported)
                    .startsWith("Imported 2 file(s)")
                    .contains("2 created", "1 published"));
  }
}
