package dev.quire.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
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

    /** An embedded database's URL, and the suffix H2 gives its file. */
    static final String H2_FILE_URL = "jdbc:h2:file:";

    static final String H2_SUFFIX = ".mv.db";

    /**
     * The embedded database file {@code config} names when it does not exist (a mistyped {@code
     * --data}, which must not create an empty site to read); null when it exists or the database is
     * not an H2 file.
     */
    static Path missingDatabase(com.typesafe.config.Config config) {
      String url = config.getString("quire.db.url");
      if (!url.startsWith(H2_FILE_URL)) {
        return null;
      }
      String base = url.substring(H2_FILE_URL.length()).split(";", 2)[0];
      Path db = Path.of(base + H2_SUFFIX).toAbsolutePath();
      return Files.exists(db) ? null : db;
    }

    /** How many of the folder's other files the warning names. */
    static final int OTHERS_SHOWN = 5;

    @Parameters(paramLabel = "DIR", description = "Folder to write into (created if missing).")
    Path dir;

    @Mixin SiteOptions site = new SiteOptions();

    @Override
    public Integer call() throws Exception {
      var config = QuireNode.config(site.overrides());
      // An export reads a site: a mistyped --data must not create an empty one and export it.
      if (site.noSiteThere(config)) {
        return 2;
      }
      try (TargetSession session = TargetSession.open(site, config, "export", System.err)) {
        var read =
            ImportCommand.within(
                session.target.all(),
                session.config.getDuration("quire.cli.list-timeout"),
                "reading the site's items",
                "read the site's items");
        // Another's drafts an author's token may not read come without their text: left out,
        // not written as empty files that an import would take for the drafts' new text.
        java.util.Set<String> closed = session.target.withoutText();
        var items = read.stream().filter(i -> !closed.contains(i.id())).toList();
        if (items.size() < read.size()) {
          System.err.println(
              "note: "
                  + (read.size() - items.size())
                  + " item(s) that others started and are not published were left out: the"
                  + " token's role may not read their text");
        }
        Exporter.Summary s =
            Exporter.write(items, dir, dev.quire.protocol.ConfigChecks.timeZone(session.config));
        List<String> others = Exporter.others(items, dir);
        if (!others.isEmpty()) {
          System.err.println(
              "warning: "
                  + dir
                  + " also holds "
                  + others.size()
                  + " .md file(s) that are not items of the site now ("
                  + String.join(", ", others.subList(0, Math.min(others.size(), OTHERS_SHOWN)))
                  + (others.size() > OTHERS_SHOWN ? ", ..." : "")
                  + "), e.g. from an earlier export of an item since renamed: an import of the"
                  + " folder would take them too. Export into an empty folder to get only the"
                  + " site.");
        }
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
