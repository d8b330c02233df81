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
    Throwable io = e instanceof java.io.UncheckedIOException u ? u.getCause() : e;
    if (io instanceof java.nio.file.FileSystemException f) {
      // Its message is often the path alone ("/out"): say what went wrong with it.
      String why =
          f.getReason() != null
              ? f.getReason()
              : f instanceof java.nio.file.NoSuchFileException
                  ? "no such file or directory"
                  : f instanceof java.nio.file.FileAlreadyExistsException
                      ? "already exists (as a file, where a folder is needed?)"
                      : f instanceof java.nio.file.AccessDeniedException
                          ? "permission denied"
                          : f instanceof java.nio.file.NotDirectoryException
                              ? "not a directory"
                              : f.getClass().getSimpleName();
      cmd.getErr().println("error: " + f.getFile() + ": " + why);
      return 1;
    }
    if (io instanceof java.io.IOException) {
      cmd.getErr().println("error: " + io.getMessage());
      return 1;
    }
    throw e;
  }
}
