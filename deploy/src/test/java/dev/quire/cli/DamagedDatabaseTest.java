package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A database file H2 cannot read stops a command with one line that names the file, what H2 said
 * and what to do (it was a page of connection-pool stack traces), exit 2 (the systemd unit does not
 * restart on it), and the file is left as it was.
 */
class DamagedDatabaseTest {

  @Test
  void anUnreadableFileIsNamedWithWhatToDoAndLeftAsItWas(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("data");
    Files.createDirectories(data);
    byte[] damaged = new byte[64 * 1024];
    new Random(7).nextBytes(damaged);
    Path file = data.resolve("quire.mv.db");
    Files.write(file, damaged);

    StringWriter err = new StringWriter();
    String[] args = {
      "export", "markdown", tmp.resolve("out").toString(), "--data", data.toString()
    };
    CommandLine cmd =
        Main.commandLine(args)
            .setExecutionExceptionHandler(Main::userError)
            .setErr(new PrintWriter(err, true));
    int exit = cmd.execute(args);

    assertThat(exit).isEqualTo(2);
    assertThat(err.toString())
        .startsWith("error: the database " + file + " cannot be read (H2 2.")
        .contains("It was left as it is", "quire bundle import FILE --with-users --data NEW_DIR")
        .doesNotContain("\tat ");
    assertThat(Files.readAllBytes(file)).isEqualTo(damaged);
    assertThat(tmp.resolve("out")).doesNotExist();
  }
}
