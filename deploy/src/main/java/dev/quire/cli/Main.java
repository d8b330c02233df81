package dev.quire.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code quire} command. */
@Command(
    name = "quire",
    mixinStandardHelpOptions = true,
    version = "quire 0.1.0",
    description = "Quire: an event-sourced CMS.")
public final class Main implements Runnable {

  /**
   * The subcommands, in the order {@code quire --help} lists them. Picocli reads a command's
   * annotations (and loads the classes its options name) when the command is added: all of them
   * cost the server's start ~0.2 s of the main thread, so a run that names one adds only that one
   * (see {@link #commandLine}).
   */
  private static final java.util.List<Class<?>> SUBCOMMANDS =
      java.util.List.of(
          ServeCommand.class,
          ImportCommand.class,
          ExportCommand.class,
          EmbeddingsCommand.class,
          BundleCommand.class,
          CrawlCommand.class,
          ReadModelCommand.class,
          UserCommand.class,
          CommandLine.HelpCommand.class);

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    CommonPool.ensureParallel();
    // Start logging before any thread asks for a logger: avoids SLF4J's replay warning.
    org.slf4j.LoggerFactory.getILoggerFactory();
    scalaConsoleToLog();
    System.exit(run(args));
  }

  /**
   * Library code written in Scala prints through {@code scala.Console}, which takes {@code
   * System.out} once, when it is first used. Pekko Projection 1.0.0 (the newest on Maven Central)
   * prints a leftover {@code "# stop <projection>"} there whenever a projection stops, which put a
   * stray last line into the output of {@code quire import} (and every command that runs the
   * content role): scripts that read the result with {@code tail -1} got that line instead.
   * Initialised while {@code System.out} is a stream that logs each line (logger {@code
   * scala.Console}, at INFO: hidden at the default levels, shown with {@code QUIRE_ROOT_LOG=INFO}),
   * the console stays out of standard output, which carries only what the command prints.
   */
  static void scalaConsoleToLog() {
    java.io.PrintStream stdout = System.out;
    System.setOut(
        new java.io.PrintStream(
            new LineLog(org.slf4j.LoggerFactory.getLogger("scala.Console")),
            true,
            java.nio.charset.StandardCharsets.UTF_8));
    try {
      scala.Console$.MODULE$.out();
    } finally {
      System.setOut(stdout);
    }
  }

  /** An output stream that logs each line written to it. */
  static final class LineLog extends java.io.OutputStream {
    private final org.slf4j.Logger log;
    private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

    LineLog(org.slf4j.Logger log) {
      this.log = log;
    }

    @Override
    public synchronized void write(int b) {
      if (b == '\n') {
        log.info("{}", line.toString(java.nio.charset.StandardCharsets.UTF_8).stripTrailing());
        line.reset();
      } else {
        line.write(b);
      }
    }
  }

  public static int run(String... args) {
    return commandLine(args)
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler(Main::userError)
        .execute(args);
  }

  /**
   * The {@code quire} command with the subcommand {@code args} start with, or with every one when
   * they name none of them (no arguments, an option, {@code help}, a misspelt name: picocli then
   * answers as it would with all of them, suggestions included).
   */
  static CommandLine commandLine(String... args) {
    CommandLine cl = new CommandLine(new Main());
    String first = args.length > 0 ? args[0] : "";
    for (Class<?> c : SUBCOMMANDS) {
      if (first.equals(c.getAnnotation(Command.class).name())
          && !c.equals(CommandLine.HelpCommand.class)) {
        return cl.addSubcommand(c);
      }
    }
    for (Class<?> c : SUBCOMMANDS) {
      cl.addSubcommand(c);
    }
    return cl;
  }

  /**
   * A setting or argument refused ({@link IllegalArgumentException}), or a setting the
   * configuration library could not read (a duration that is not one: its message names the key and
   * where the value came from), as {@code e} or as what it wraps from a start that runs
   * asynchronously; null for anything else. A setting a command reads was a stack trace, exit 1.
   */
  static String described(Throwable refused) {
    return described(refused, System.getenv());
  }

  /**
   * A refusal's message, with the environment variables it came from when the configuration library
   * names only part of the key: "env variables: Invalid value at 'http.response-timeout': No number
   * in duration value 'banana'" says which variable too ({@code
   * QUIRE_HTTP_RESPONSE_TIMEOUT=banana}).
   */
  static String described(Throwable refused, Map<String, String> env) {
    String message = String.valueOf(refused.getMessage());
    if (!(refused instanceof com.typesafe.config.ConfigException)) {
      return message;
    }
    List<String> from = new ArrayList<>();
    env.forEach(
        (k, v) -> {
          if (k.startsWith("QUIRE_") && !v.isEmpty() && message.contains("'" + v + "'")) {
            from.add(k + "=" + v);
          }
        });
    java.util.Collections.sort(from);
    return from.isEmpty() ? message : message + " (" + String.join(", ", from) + ")";
  }

  static Throwable refusedSetting(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof IllegalArgumentException
          || c instanceof com.typesafe.config.ConfigException) {
        // Without a message it says nothing to put right: a fault, kept with its stack trace.
        return c.getMessage() == null ? null : c;
      }
      if (!(c instanceof java.util.concurrent.ExecutionException
          || c instanceof java.util.concurrent.CompletionException)) {
        return null;
      }
    }
    return null;
  }

  /**
   * What a user can put right (a bad argument, a missing folder, a site that cannot be reached) is
   * one line naming it, not a stack trace: exit 2 for an argument, 1 for the rest. Anything else is
   * a fault in Quire and keeps its stack trace.
   */
  static int userError(Exception e, CommandLine cmd, CommandLine.ParseResult parsed)
      throws Exception {
    Throwable refused = refusedSetting(e);
    if (refused != null) {
      cmd.getErr().println("error: " + described(refused));
      return 2;
    }
    if (e instanceof QuireNode.DatabaseUnusable) {
      // 2, as for a refused setting: a restart would be refused again (the systemd unit does not
      // restart on 2).
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
