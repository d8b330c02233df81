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
    CommonPool.ensureParallel();
    // Start logging before any thread asks for a logger: avoids SLF4J's replay warning.
    org.slf4j.LoggerFactory.getILoggerFactory();
    System.exit(run(args));
  }

  public static int run(String... args) {
    return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
  }
}
