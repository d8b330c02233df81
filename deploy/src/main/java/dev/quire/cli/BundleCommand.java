package dev.quire.cli;

import dev.quire.bundle.BundleException;
import dev.quire.bundle.BundleReader;
import dev.quire.bundle.Limits;
import dev.quire.bundle.Manifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code quire bundle verify|inspect FILE}: site bundles (see bundle-format/SPEC.md). */
@Command(
    name = "bundle",
    description = "Site bundles: one file with a whole site (bundle-format/SPEC.md).",
    subcommands = {BundleCommand.Verify.class, BundleCommand.Inspect.class})
final class BundleCommand implements Runnable {

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
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
        Manifest.Counts c = report.manifest().counts();
        System.out.printf(
            "OK: %s is a whole bundle (format %s): %d item(s), %d event(s), %d media blob(s) of"
                + " %.1f MB, %d redirect(s), %d menu(s); %d entries, %.1f MB unpacked; checked in"
                + " %.1f s.%nroot checksum %s%n",
            file,
            report.manifest().formatVersion(),
            c.items(),
            c.events(),
            c.media(),
            c.mediaBytes() / 1e6,
            c.redirects(),
            c.menus(),
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
          System.out.printf("site         %s (%s)%n", m.site().title(), m.site().baseUrl());
        }
        System.out.printf("history      %s%n", m.includesHistory() ? "included" : "not included");
        if (c != null) {
          System.out.printf(
              "holds        %d item(s), %d event(s), %d media blob(s) (%.1f MB), %d redirect(s),"
                  + " %d menu(s)%n",
              c.items(), c.events(), c.media(), c.mediaBytes() / 1e6, c.redirects(), c.menus());
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
}
