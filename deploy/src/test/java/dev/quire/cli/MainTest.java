package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The {@code quire} command builds only the subcommand a run names (picocli reads each one's
 * annotations when it is added: ~0.2 s of the server's start for all of them), and answers as
 * before when a run names none.
 */
class MainTest {

  static final String[] ALL = {
    "serve", "import", "export", "embeddings", "bundle", "crawl", "read-model", "user", "help"
  };

  /**
   * A setting the configuration library cannot read is one line naming it and the variable it came
   * from (the library names only part of the key), exit 2; so is one wrapped by an asynchronous
   * start. Any other failure is not taken for one.
   */
  @Test
  void aSettingThatCannotBeReadIsNamedWithItsVariable() {
    var bad =
        new com.typesafe.config.ConfigException.BadValue(
            com.typesafe.config.ConfigOriginFactory.newSimple("env variables"),
            "http.response-timeout",
            "No number in duration value 'banana'");
    assertThat(Main.described(bad, Map.of("QUIRE_HTTP_RESPONSE_TIMEOUT", "banana", "HOME", "x")))
        .isEqualTo(
            "env variables: Invalid value at 'http.response-timeout': No number in duration value"
                + " 'banana' (QUIRE_HTTP_RESPONSE_TIMEOUT=banana)");
    assertThat(
            Main.refusedSetting(
                new java.util.concurrent.ExecutionException(
                    new java.util.concurrent.CompletionException(bad))))
        .isSameAs(bad);
    assertThat(
            Main.refusedSetting(
                new java.util.concurrent.ExecutionException(new IllegalStateException(bad))))
        .isNull();
    assertThat(Main.described(new IllegalArgumentException("x must be 1"), Map.of("QUIRE_X", "1")))
        .isEqualTo("x must be 1");
  }

  @Test
  void aRunThatNamesASubcommandBuildsThatOneOnly() {
    assertThat(Main.commandLine("serve", "--port", "0").getSubcommands().keySet())
        .containsExactly("serve");
    assertThat(Main.commandLine("bundle", "verify", "x.quire").getSubcommands().keySet())
        .containsExactly("bundle");
    // Its own subcommands are all there.
    assertThat(
            Main.commandLine("bundle", "verify")
                .getSubcommands()
                .get("bundle")
                .getSubcommands()
                .keySet())
        .contains("export", "import", "verify", "inspect");
  }

  @Test
  void aRunThatNamesNoneBuildsThemAllInTheirOrder() {
    for (String[] args :
        new String[][] {{}, {"--help"}, {"help", "serve"}, {"serv"}, {"--version"}}) {
      assertThat(Main.commandLine(args).getSubcommands().keySet()).containsExactly(ALL);
    }
  }

  @Test
  void helpAndMisspeltNamesAnswerAsBefore() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine all = Main.commandLine("--help");
    all.setOut(new PrintWriter(out));
    assertThat(all.execute("--help")).isZero();
    assertThat(out.toString()).contains("serve", "import", "bundle", "crawl", "user");

    CommandLine misspelt = Main.commandLine("serv");
    misspelt.setErr(new PrintWriter(err));
    assertThat(misspelt.execute("serv")).isEqualTo(2);
    assertThat(err.toString()).contains("Unmatched argument", "serve");

    StringWriter serveHelp = new StringWriter();
    CommandLine serve = Main.commandLine("serve", "--help");
    serve.setOut(new PrintWriter(serveHelp));
    assertThat(serve.execute("serve", "--help")).isZero();
    assertThat(serveHelp.toString()).contains("Usage: quire serve", "--demo");
  }
}
