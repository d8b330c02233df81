package dev.quire.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code quire} command. */
@Command(
    name = "quire",
    mixinStandardHelpOptions = true,
    version = "quire 0.1.0",
    description = "Quire: an event-sourced CMS.",
    subcommands = {
      ServeCommand.class,
      ImportCommand.class,
      ExportCommand.class,
      EmbeddingsCommand.class,
      BundleCommand.class,
      CrawlCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    scalaConsoleOnStandardError();
    CommonPool.ensureParallel();
    // Start logging before any thread asks for a logger: avoids SLF4J's replay warning.
    org.slf4j.LoggerFactory.getILoggerFactory();
    System.exit(run(args));
  }

  /**
   * Library code written in Scala prints through {@code scala.Console}, which takes {@code
   * System.out} once, when it is first used. Pekko Projection 1.0.0 (the newest on Maven Central)
   * prints a leftover {@code "# stop <projection>"} there whenever a projection stops, which put a
   * stray last line into the output of {@code quire import} (and every command that runs the
   * content role): scripts that read the result with {@code tail -1} got that line instead.
   * Initialised while {@code System.out} points at standard error, the console writes there, with
   * the logs, and standard output carries only what the command itself prints.
   */
  static void scalaConsoleOnStandardError() {
    java.io.PrintStream stdout = System.out;
    System.setOut(System.err);
    try {
      scala.Console$.MODULE$.out();
    } finally {
      System.setOut(stdout);
    }
  }

  public static int run(String... args) {
    return new CommandLine(new Main())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler(Main::userError)
        .execute(args);
  }

  /**
   * What a user can put right (a bad argument, a missing folder, a site that cannot be reached) is
   * one line naming it, not a stack trace: exit 2 for an argument, 1 for the rest. Anything else is
   * a fault in Quire and keeps its stack trace.
   */
  static int userError(Exception e, CommandLine cmd, CommandLine.ParseResult parsed)
      throws Exception {
    if (e instanceof IllegalArgumentException) {
      cmd.getErr().println("error: " + e.getMessage());
      return 2;
    }
    if (e instanceof java.io.IOException || e instanceof java.io.UncheckedIOException) {
      cmd.getErr().println("error: " + e.getMessage());
      return 1;
    }
    throw e;
  }
}
