package dev.quire.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
    name = "export",
    description = "Export content from a site.",
    subcommands = {ExportCommand.Markdown.class})
final class ExportCommand implements Runnable {

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(
      name = "markdown",
      mixinStandardHelpOptions = true,
      description = "Write every post and page as <slug>.md with front matter into DIR.")
  static final class Markdown implements Callable<Integer> {

    @Parameters(paramLabel = "DIR", description = "Folder to write into (created if missing).")
    Path dir;

    @Mixin SiteOptions site = new SiteOptions();

    @Override
    public Integer call() throws Exception {
      try (TargetSession session = TargetSession.open(site, "export", System.err)) {
        var items = session.target.all().toCompletableFuture().get(10, TimeUnit.MINUTES);
        Exporter.Summary s = Exporter.write(items, dir);
        System.out.println(
            "Exported "
                + s.written()
                + " item(s) to "
                + dir
                + (s.archivedSkipped() > 0
                    ? " (" + s.archivedSkipped() + " archived, not exported)"
                    : "")
                + ".");
        return 0;
      } catch (QuireNode.DataDirLocked e) {
        System.err.println("error: " + e.getMessage());
        return 3;
      }
    }
  }
}
