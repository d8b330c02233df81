package dev.quire.cli;

import com.typesafe.config.Config;
import dev.quire.bundle.BundleException;
import dev.quire.bundle.BundleReader;
import dev.quire.bundle.Limits;
import dev.quire.bundle.Manifest;
import dev.quire.content.render.MarkdownRenderer;
import dev.quire.gateway.backup.BundleImport;
import dev.quire.gateway.media.MediaModule;
import dev.quire.protocol.ConfigChecks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code quire bundle export|import|verify|inspect FILE}: site bundles (bundle-format/SPEC.md). */
@Command(
    name = "bundle",
    description = "Site bundles: one file with a whole site (bundle-format/SPEC.md).",
    subcommands = {
      BundleCommand.Export.class,
      BundleCommand.Import.class,
      BundleCommand.Verify.class,
      BundleCommand.Inspect.class
    })
final class BundleCommand implements Runnable {

  /** Reasons shown when an import is refused; the count of the rest follows. */
  private static final int MAX_LISTED = 50;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Bundle import, and export with --data, open the data directory: the site must be stopped. */
  static LocalTarget local(TargetSession session) {
    return (LocalTarget) session.target;
  }

  @Command(
      name = "export",
      mixinStandardHelpOptions = true,
      description = {
        "Write the whole site into FILE: every item with its history, media, redirects, menus",
        "and settings. From a stopped site (--data DIR), or from a running one (--server URL",
        "--token T), which makes a backup, keeps it (the admin's Backups) and sends it here.",
        "FILE appears only when complete (and, from a server, verified)."
      })
  static final class Export implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "The bundle to write (e.g. site.quire).")
    Path file;

    @Option(
        names = "--no-history",
        description = "Only each item as it stands, not the events that made it.")
    boolean noHistory;

    @Option(
        names = "--with-users",
        description = {
          "Also the admin's accounts: roles, password hashes (Argon2id) and API tokens' hashes,",
          "so that an import with --with-users brings back who may sign in. Makes a 2.0 bundle,",
          "which Quire before 2026-12-06 cannot read; keep it as safe as the site's database."
        })
    boolean withUsers;

    @Mixin SiteOptions site = new SiteOptions();

    @Override
    public Integer call() throws Exception {
      if (Files.isDirectory(file)) {
        // Found only once the whole site was read, naming the spool file (FILE.partial).
        System.err.println(
            "error: "
                + file
                + " is a folder; give the bundle's file name, e.g. "
                + file.resolve("site.quire"));
        return 2;
      }
      if (site.server != null) {
        return fromServer();
      }
      // A mistyped --data made an empty site and a bundle of nothing, exit 0: a backup script
      // would not have noticed.
      if (site.noSiteThere()) {
        return 2;
      }
      long t0 = System.nanoTime();
      try (TargetSession session = TargetSession.open(site, "export", System.err)) {
        Config config = session.config;
        LocalTarget local = local(session);
        Map<String, String> settings =
            dev.quire.gateway.backup.BundleSettings.of(
                config,
                local
                    .profile()
                    .toCompletableFuture()
                    .get(
                        config.getDuration("quire.cli.ask-timeout").toMillis(),
                        TimeUnit.MILLISECONDS)
                    .profile());
        Manifest m =
            new BundleExport(
                    local,
                    MediaModule.store(config),
                    session.node().content().dataSource(),
                    session.node().system(),
                    config.getInt("quire.cli.export-fetch-size"),
                    config.getDuration("quire.cli.ask-timeout"))
                .run(
                    file,
                    !noHistory,
                    withUsers,
                    new Manifest.Site(settings.get("title"), settings.get("base-url")),
                    settings,
                    dev.quire.gateway.backup.BundleMapping.CREATED_BY,
                    w -> System.err.println("warning: " + w));
        printExported(m, file, t0, "");
        return 0;
      } catch (QuireNode.DataDirLocked e) {
        System.err.println("error: " + e.getMessage());
        return 3;
      }
    }

    /** What an export wrote, with {@code more} after its time: one line, then the checksum. */
    private static void printExported(Manifest m, Path file, long t0, String more)
        throws java.io.IOException {
      Manifest.Counts c = m.counts();
      System.out.printf(
          "Exported %d item(s), %d event(s), %d media blob(s) (%.1f MB), %d redirect(s)%s to %s"
              + " (%.1f MB) in %.1f s%s.%nroot checksum %s%n",
          c.items(),
          c.events(),
          c.media(),
          c.mediaBytes() / 1e6,
          c.redirects(),
          c.users() > 0 ? ", " + c.users() + " account(s)" : "",
          file,
          Files.size(file) / 1e6,
          (System.nanoTime() - t0) / 1e9,
          more,
          m.rootChecksum());
    }

    /** {@code --server}: the running site makes the backup; this command fetches and checks it. */
    private int fromServer() throws Exception {
      if (!serverOptionsFine(site)) {
        return 2;
      }
      long t0 = System.nanoTime();
      try {
        ServerBackup.Result r = ServerBackup.of(site).run(file, !noHistory, withUsers);
        printExported(r.manifest(), file, t0, "; the server keeps its copy as " + r.name());
        return 0;
      } catch (ServerBackup.Failed | dev.quire.bundle.BundleException e) {
        System.err.println("error: " + BundleExport.printable(e.getMessage()));
        return 1;
      }
    }
  }

  @Command(
      name = "import",
      mixinStandardHelpOptions = true,
      description = {
        "Import a bundle into a stopped site (--data DIR) or a running one (--server URL",
        "--token T, which takes the upload and runs the import; an admin's token). The bundle is",
        "verified and every item checked against the site first; on any problem nothing is",
        "written. Existing content is never deleted."
      })
  static final class Import implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "The bundle.")
    Path file;

    @Option(
        names = "--policy",
        paramLabel = "skip|overwrite|fail",
        defaultValue = "fail",
        description = {
          "For items, redirects and settings the site already has: skip (keep the site's),",
          "overwrite (the bundle's version becomes a new revision) or fail (change nothing).",
          "Default: ${DEFAULT-VALUE}."
        })
    BundleImport.Policy policy;

    @Option(
        names = "--with-users",
        description = {
          "Also restore the bundle's accounts (a format 2.0 bundle): each the site lacks as it",
          "was, password, role and API tokens; those it has are kept. Without it they are left",
          "out: only restore accounts, admins among them, from a bundle you trust."
        })
    boolean withUsers;

    @Mixin SiteOptions site = new SiteOptions();

    @Override
    public Integer call() throws Exception {
      if (!Files.isRegularFile(file)) {
        System.err.println("error: " + file + " is not a file");
        return 2;
      }
      if (site.server != null) {
        return toServer();
      }
      long t0 = System.nanoTime();
      BundleImport[] importer = {null};
      try (BundleReader bundle = BundleReader.open(file, Limits.DEFAULT)) {
        try (ProgressBar bar =
            EmbeddingsCommand.bar("Verifying", bundle.manifest().entries().size())) {
          bundle.verify((phase, done, total) -> bar.stepTo(done));
        }
        try (TargetSession session = TargetSession.open(site, "import", System.err);
            PhaseBars bars = new PhaseBars()) {
          Config config = session.config;
          var rules = MarkdownRenderer.contentRules(config);
          importer[0] =
              new BundleImport(
                  local(session),
                  new JournalPlanner(
                      session.node().content().dataSource(),
                      session.node().system(),
                      config.getInt("quire.cli.export-fetch-size"),
                      rules),
                  MediaModule.store(config),
                  config,
                  BundleImport.Settings.of(
                      config,
                      config.getInt("quire.cli.bundle-import-parallelism"),
                      config.getDuration("quire.cli.ask-timeout"),
                      ConfigChecks.atLeastOneLong(config, "quire.cli.bundle-import-max-held-chars"),
                      0,
                      true,
                      "--policy"),
                  Clock.systemUTC(),
                  bars::at);
          BundleImport.Summary s = importer[0].run(bundle, policy, withUsers);
          bars.close();
          s.notes().forEach(n -> System.out.println("note: " + n));
          s.failures().forEach(f -> System.err.println("failed: " + f));
          System.out.printf(
              "Imported %s in %.1f s: %d item(s) created, %d overwritten, %d skipped, %d"
                  + " unchanged; %d media blob(s) added (%.1f MB), %d already here; %d"
                  + " redirect(s) written, %d kept; settings %s.%n",
              file,
              (System.nanoTime() - t0) / 1e9,
              s.created(),
              s.overwritten(),
              s.skipped(),
              s.unchanged(),
              s.mediaAdded(),
              s.mediaBytesAdded() / 1e6,
              s.mediaPresent(),
              s.redirectsAdded(),
              s.redirectsKept(),
              s.settings());
          if (!s.failures().isEmpty()) {
            System.err.println(
                s.failures().size()
                    + " write(s) failed after the checks passed; run the import again with the"
                    + " same --policy to finish it (items already imported compare as unchanged)");
            return 1;
          }
          return 0;
        }
      } catch (BundleException e) {
        System.err.println("error: " + e.getMessage());
        if (importer[0] != null && importer[0].writing()) {
          // Found while writing (the checks read every record before): what was written stays.
          System.err.println(
              "The import stopped partway: what it wrote before this stays on the site. Items"
                  + " already imported compare as unchanged when it runs again.");
          return 1;
        }
        System.err.println("Nothing was imported.");
        return 2;
      } catch (BundleImport.Refused e) {
        System.err.println("error: " + e.getMessage() + "; nothing was imported:");
        e.reasons.stream().limit(MAX_LISTED).forEach(r -> System.err.println("  " + r));
        if (e.reasons.size() > MAX_LISTED) {
          System.err.println("  ... and " + (e.reasons.size() - MAX_LISTED) + " more");
        }
        return 2;
      } catch (QuireNode.DataDirLocked e) {
        System.err.println("error: " + e.getMessage());
        return 3;
      }
    }

    /**
     * {@code --server}: verifies the bundle here (a broken file is not sent), uploads it, and
     * follows the import the server runs, printing what it says as an import here would.
     */
    private int toServer() throws Exception {
      if (!serverOptionsFine(site)) {
        return 2;
      }
      long t0 = System.nanoTime();
      try (BundleReader bundle = BundleReader.open(file, Limits.DEFAULT);
          ProgressBar bar =
              EmbeddingsCommand.bar("Verifying", bundle.manifest().entries().size())) {
        bundle.verify((phase, done, total) -> bar.stepTo(done));
      } catch (BundleException e) {
        System.err.println("error: " + e.getMessage());
        System.err.println("Nothing was imported.");
        return 2;
      }
      com.fasterxml.jackson.databind.JsonNode job;
      try {
        job =
            ServerBackup.of(site)
                .importFile(file, policy.name().toLowerCase(java.util.Locale.ROOT), withUsers);
      } catch (ServerBackup.Unknown e) {
        System.err.println("error: " + BundleExport.printable(e.getMessage()));
        System.err.println(
            "The server took the bundle and may still be importing it: follow it at "
                + site.server
                + e.location
                + ", or on the admin's Backups page, of the gateway that took it.");
        return 1;
      } catch (ServerBackup.Failed e) {
        System.err.println("error: " + BundleExport.printable(e.getMessage()));
        System.err.println("Nothing was imported.");
        return 2;
      }
      String state = job.path("state").asText();
      String id = job.path("id").asText();
      job.path("notes").forEach(n -> System.out.println("note: " + n.asText()));
      job.path("failures").forEach(f -> System.err.println("failed: " + f.asText()));
      switch (state) {
        case "complete", "partial" -> {
          var s = job.path("summary");
          System.out.printf(
              "Imported %s into %s in %.1f s (import %s): %d item(s) created, %d overwritten, %d"
                  + " skipped, %d unchanged; %d media blob(s) added (%.1f MB), %d already here;"
                  + " %d redirect(s) written, %d kept; settings %s.%n",
              file,
              site.server,
              (System.nanoTime() - t0) / 1e9,
              id,
              s.path("created").asLong(),
              s.path("overwritten").asLong(),
              s.path("skipped").asLong(),
              s.path("unchanged").asLong(),
              s.path("mediaAdded").asLong(),
              s.path("mediaBytesAdded").asLong() / 1e6,
              s.path("mediaPresent").asLong(),
              s.path("redirectsAdded").asLong(),
              s.path("redirectsKept").asLong(),
              s.path("settings").asText());
          if (state.equals("partial")) {
            System.err.println(
                job.path("failures").size()
                    + " write(s) failed after the checks passed; run the import again with the"
                    + " same --policy to finish it (items already imported compare as unchanged)");
            return 1;
          }
          return 0;
        }
        case "refused" -> {
          System.err.println("error: " + job.path("message").asText() + "; nothing was imported:");
          var reasons = job.path("reasons");
          // The server lists at most 1,000, its last line then counting the rest.
          long total = reasons.size();
          int listed = reasons.size();
          String last = listed == 0 ? "" : reasons.get(listed - 1).asText();
          var counted = java.util.regex.Pattern.compile("\\.\\.\\. and (\\d+) more").matcher(last);
          if (counted.matches()) {
            listed--;
            total = listed + Long.parseLong(counted.group(1));
          }
          for (int i = 0; i < Math.min(listed, MAX_LISTED); i++) {
            System.err.println("  " + reasons.get(i).asText());
          }
          if (total > Math.min(listed, MAX_LISTED)) {
            System.err.println("  ... and " + (total - Math.min(listed, MAX_LISTED)) + " more");
          }
          return 2;
        }
        default -> {
          System.err.println("error: " + BundleExport.printable(job.path("message").asText()));
          if (job.path("wrote").asBoolean()) {
            System.err.println(
                "The import stopped partway: what it wrote before this stays on the site. Items"
                    + " already imported compare as unchanged when it runs again.");
            return 1;
          }
          System.err.println("Nothing was imported.");
          return 2;
        }
      }
    }
  }

  /** {@code --server} with a token and without {@code --data}; else says what is wrong. */
  static boolean serverOptionsFine(SiteOptions site) {
    if (site.data != null) {
      System.err.println(
          "error: --server and --data name two sites; give --server for a running one, --data"
              + " for a stopped one");
      return false;
    }
    if (site.token() == null) {
      System.err.println("error: --server needs --token (or QUIRE_API_TOKEN)");
      return false;
    }
    return true;
  }

  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description = {
        "Check every entry's size and SHA-256, the root checksum, every record and the",
        "references between them, within the reader's limits. Exit 0 when the bundle is whole,",
        "2 with the entry (and line) at fault when it is not."
      })
  static final class Verify implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "The bundle.")
    Path file;

    @Override
    public Integer call() throws Exception {
      if (!Files.isRegularFile(file)) {
        System.err.println("error: " + file + " is not a file");
        return 2;
      }
      long t0 = System.nanoTime();
      try (BundleReader r = BundleReader.open(file, Limits.DEFAULT)) {
        BundleReader.VerifyReport report;
        try (ProgressBar bar = EmbeddingsCommand.bar("Verifying", r.manifest().entries().size())) {
          report = r.verify((phase, done, total) -> bar.stepTo(done));
        }
        // What this site's import would refuse on top of the format: its redirect table reads
        // each path as a URL carries it (percent-encoded), so "/café/" to "/caf%C3%A9/" loops.
        java.util.List<dev.quire.bundle.Redirect> redirects = r.redirects();
        for (int i = 0; i < redirects.size(); i++) {
          dev.quire.bundle.Redirect x = redirects.get(i);
          java.util.Optional<dev.quire.protocol.FieldError> bad =
              new dev.quire.protocol.RedirectRule(x.from(), x.to(), x.status()).shapeProblem();
          if (bad.isPresent()) {
            System.err.println(
                "error: "
                    + "redirects.jsonl"
                    + ":"
                    + (i + 1)
                    + ": field '"
                    + bad.get().field()
                    + "': "
                    + bad.get().message()
                    + " (Quire's import refuses it)");
            return 2;
          }
        }
        Manifest.Counts c = report.manifest().counts();
        System.out.printf(
            "OK: %s is a whole bundle (format %s): %s; %d entries, %.1f MB unpacked; checked in"
                + " %.1f s.%nroot checksum %s%n",
            file,
            report.manifest().formatVersion(),
            holds(c),
            report.entries(),
            report.uncompressedBytes() / 1e6,
            (System.nanoTime() - t0) / 1e9,
            report.manifest().rootChecksum());
        return 0;
      } catch (BundleException e) {
        System.err.println("error: " + e.getMessage());
        return 2;
      }
    }
  }

  @Command(
      name = "inspect",
      mixinStandardHelpOptions = true,
      description = "Show a bundle's manifest: what made it, for which site, what it holds.")
  static final class Inspect implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "The bundle.")
    Path file;

    @Option(names = "--entries", description = "Also list every entry with its size and SHA-256.")
    boolean entries;

    @Override
    public Integer call() throws Exception {
      if (!Files.isRegularFile(file)) {
        System.err.println("error: " + file + " is not a file");
        return 2;
      }
      try (BundleReader r = BundleReader.open(file, Limits.DEFAULT)) {
        Manifest m = r.manifest();
        Manifest.Counts c = m.counts();
        System.out.printf("format       %s %s%n", m.format(), m.formatVersion());
        System.out.printf("created      %s by %s%n", m.createdAt(), m.createdBy());
        if (m.site() != null) {
          System.out.printf(
              "site         %s (%s)%n",
              m.site().title(), m.site().baseUrl() == null ? "no address set" : m.site().baseUrl());
        }
        System.out.printf("history      %s%n", m.includesHistory() ? "included" : "not included");
        if (c != null) {
          System.out.printf("holds        %s%n", holds(c));
        }
        System.out.printf("entries      %d%n", m.entries().size());
        System.out.printf("root         %s%n", m.rootChecksum());
        if (entries) {
          for (Manifest.Entry e : m.entries()) {
            System.out.printf("  %12d  %s  %s%n", e.size(), e.sha256(), e.name());
          }
        }
        System.out.println("(not verified: run `quire bundle verify " + file + "` to check it)");
        return 0;
      } catch (BundleException e) {
        System.err.println("error: " + e.getMessage());
        return 2;
      }
    }
  }

  /** What a bundle's counts say it holds, as verify and inspect print it. */
  static String holds(Manifest.Counts c) {
    return String.format(
        "%d item(s), %d event(s), %d media blob(s) (%.1f MB), %d redirect(s), %d menu(s)%s",
        c.items(),
        c.events(),
        c.media(),
        c.mediaBytes() / 1e6,
        c.redirects(),
        c.menus(),
        c.users() > 0 ? ", " + c.users() + " account(s)" : "");
  }
}
