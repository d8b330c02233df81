package dev.quire.cli;

import dev.quire.protocol.ContentRules;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "import",
    description = "Import content into a site.",
    subcommands = {ImportCommand.Markdown.class})
final class ImportCommand implements Runnable {

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(
      name = "markdown",
      mixinStandardHelpOptions = true,
      description = {
        "Import a folder of *.md files with front matter.",
        "Every file is checked first; on any problem nothing is imported.",
        "Re-importing the same folder changes only what changed."
      })
  static final class Markdown implements Callable<Integer> {

    @Parameters(paramLabel = "DIR", description = "Folder of Markdown files.")
    Path dir;

    @Mixin SiteOptions site = new SiteOptions();

    @Option(names = "--dry-run", description = "Check the files and stop.")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
      var config = QuireNode.config(site.overrides());
      MarkdownFolder folder =
          new MarkdownFolder(
              new ContentRules(ContentRules.Limits.fromConfig(config)),
              config.getBytes("quire.cli.max-file-bytes"));
      MarkdownFolder.Result result = folder.read(dir);
      result.warnings().forEach(w -> System.err.println("warning: " + w));
      if (!result.problems().isEmpty()) {
        result.problems().forEach(System.err::println);
        System.err.println(
            result.problems().size() + " problem(s) in " + dir + "; nothing was imported.");
        return 2;
      }
      System.out.println("Checked " + result.entries().size() + " file(s) in " + dir + ".");
      if (dryRun) {
        return 0;
      }
      long start = System.nanoTime();
      try (TargetSession session = TargetSession.open(site, "import", System.err)) {
        Importer.Summary s =
            new Importer(
                    session.target,
                    session.config.getInt("quire.cli.import-parallelism"),
                    Clock.systemUTC())
                .run(result.entries());
        s.failures().forEach(f -> System.err.println("failed: " + f));
        System.out.printf(
            "Imported %d file(s) in %.1f s: %s%n",
            result.entries().size(), (System.nanoTime() - start) / 1e9, s);
        return s.failures().isEmpty() ? 0 : 1;
      } catch (QuireNode.DataDirLocked e) {
        System.err.println("error: " + e.getMessage());
        return 3;
      }
    }
  }
}
