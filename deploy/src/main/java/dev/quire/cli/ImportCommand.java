package dev.quire.cli;

import dev.quire.content.render.MarkdownRenderer;
import dev.quire.protocol.ConfigChecks;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.RedirectRule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "import",
    description = "Import content into a site.",
    subcommands = {ImportCommand.Markdown.class, ImportCommand.WordPress.class})
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
      if (!Files.isDirectory(dir)) {
        // As the other importers answer a missing file: a usage error, before a site is opened.
        System.err.println("error: " + dir + " is not a directory");
        return 2;
      }
      var config = QuireNode.config(site.overrides());
      MarkdownFolder folder =
          folder(dev.quire.protocol.ContentRules.Limits.fromConfig(config), config);
      // The site opens (for a stopped site: a node starts, ~2 s) while the files are checked
      // (~0.7 s for 10,000 posts). Nothing is written until every file has passed; when one has
      // not, the site is closed unused.
      // A site this command creates (a new --data) is removed again when nothing is imported.
      Path dataDir = Path.of(config.getString("quire.data-dir"));
      Path newSite = site.server == null && !Files.exists(dataDir) ? dataDir : null;
      ExecutorService opener = Executors.newSingleThreadExecutor();
      Future<TargetSession> opening =
          dryRun
              ? null
              : opener.submit(() -> TargetSession.open(site, config, "import", System.err));
      opener.shutdown();
      MarkdownFolder.Result result;
      try {
        result = folder.read(dir);
      } catch (Exception | Error e) {
        // Only a site this command opened (and so held) is its to remove: another process may
        // have made the directory meanwhile, and then the open failed on its lock.
        if (closeUnused(opening)) {
          removeNewSite(newSite, config);
        }
        throw e;
      }
      result.warnings().forEach(w -> System.err.println("warning: " + w));
      if (!result.problems().isEmpty()) {
        if (closeUnused(opening)) {
          removeNewSite(newSite, config);
        }
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
      try (TargetSession session = opened(opening)) {
        // A running site that takes less than this configuration: the files read again with its
        // limits, and those entries sent (a slug made from a title is cut to its length).
        java.util.Optional<dev.quire.protocol.ContentRules.Limits> limits =
            otherLimits(session, config);
        List<MarkdownFolder.Entry> entries = result.entries();
        if (limits.isPresent()) {
          MarkdownFolder.Result forSite = folder(limits.get(), config).read(dir);
          if (printLimitProblems(forSite.problems(), dir)) {
            return 2;
          }
          entries = forSite.entries();
        }
        if (conflicts(session, entries, dir)) {
          return 2;
        }
        Importer.Summary s = session.importer().run(entries);
        s.failures().forEach(f -> System.err.println("failed: " + f));
        // Part of the import: the site is served from the read model (see TargetSession).
        session.awaitReadModel(System.err);
        System.out.printf(
            "Imported %d file(s) in %.1f s: %s%n",
            entries.size(), (System.nanoTime() - start) / 1e9, s);
        printStopped(s, "file(s)");
        return s.failures().isEmpty() && s.stoppedBecause() == null ? 0 : 1;
      } catch (QuireNode.DataDirLocked e) {
        System.err.println("error: " + e.getMessage());
        return 3;
      }
    }
  }

  /** Says on stderr why an import stopped early and what to do, when it did. */
  static void printStopped(Importer.Summary s, String what) {
    if (s.stoppedBecause() != null) {
      System.err.println(
          "error: the import stopped: "
              + s.stoppedBecause()
              + "; "
              + s.notTried()
              + " "
              + what
              + " were not tried"
              + (s.inFlightAtStop() > 0
                  ? ", and "
                      + s.inFlightAtStop()
                      + " were being written when it stopped (whether they were is not known)"
                  : "")
              + ". Once the cause is mended, run the same import again: what was"
              + " imported is unchanged and skipped, and the rest is written.");
    }
  }

  /**
   * The folder reader with {@code limits}: this command's own, or a running site's ({@code GET
   * /api/v1/limits}) when they differ, since a site that takes less refused some files half-way
   * through the import, and a slug made from a title must be cut to its length, not the command's.
   */
  static MarkdownFolder folder(
      dev.quire.protocol.ContentRules.Limits limits, com.typesafe.config.Config config) {
    return new MarkdownFolder(
        MarkdownRenderer.contentRules(limits),
        config.getBytes("quire.cli.max-file-bytes"),
        config.getBytes("quire.cli.max-folder-bytes"),
        dev.quire.protocol.ConfigChecks.timeZone(config));
  }

  /** A running site's limits when they differ from {@code config}'s; else empty. */
  static java.util.Optional<dev.quire.protocol.ContentRules.Limits> otherLimits(
      TargetSession session, com.typesafe.config.Config config) throws Exception {
    java.util.Optional<dev.quire.protocol.ContentRules.Limits> site =
        within(
            session.target.limits(),
            session.config.getDuration("quire.cli.list-timeout"),
            "reading the site's limits",
            "read the site's limits");
    return site.filter(l -> !l.equals(dev.quire.protocol.ContentRules.Limits.fromConfig(config)));
  }

  private static boolean printLimitProblems(List<MarkdownFolder.Problem> problems, Path source) {
    if (problems.isEmpty()) {
      return false;
    }
    problems.forEach(System.err::println);
    System.err.println(
        problems.size()
            + " problem(s) in "
            + source
            + " against the limits of the site it goes to; nothing was imported.");
    return true;
  }

  /**
   * Checks the entries against what the site has (see {@link Importer#conflicts}); prints every
   * problem and answers true when there is one, so that nothing is imported.
   */
  static boolean conflicts(TargetSession session, List<MarkdownFolder.Entry> entries, Path source)
      throws Exception {
    Duration wait = session.config.getDuration("quire.cli.list-timeout");
    // The slugs come from the read model: into a stopped site, let it take in what the site
    // journaled last (a server stopped with kill -9 may have left some of it behind).
    session.awaitReadModel(
        System.err,
        "the files are checked against what it holds now, which may miss the newest changes");
    List<ContentTarget.SlugUse> site =
        within(
            session.target.slugUses(), wait, "listing the site's items", "read the site's items");
    List<MarkdownFolder.Problem> problems = new ArrayList<>(Importer.conflicts(entries, site));
    for (var reached : Importer.archivedReached(entries, site).entrySet()) {
      String id = reached.getValue().id();
      within(
              session.target.get(id),
              wait,
              "reading the site's item " + id,
              "read the site's item " + id)
          .flatMap(item -> Importer.archivedEdit(reached.getKey(), item, Instant.now()))
          .ifPresent(problems::add);
    }
    java.util.Optional<ContentTarget.DraftsOnly> draftsOnly =
        within(session.target.draftsOnly(), wait, "asking whom the token acts for", "ask whom");
    if (draftsOnly.isPresent()) {
      ContentTarget.DraftsOnly who = draftsOnly.get();
      // The list trails the journal by a moment: a draft someone started just before it was read
      // is not in it yet, and the import would write until the server refused that file. Each
      // file the list does not place is looked up by its slug where the site answers at once.
      List<ContentTarget.SlugUse> known = new ArrayList<>(site);
      for (MarkdownFolder.Entry e : Importer.unplaced(entries, site)) {
        String slug = e.fields().slug();
        within(
                session.target.findBySlug(slug),
                wait,
                "looking up the site's item at '" + slug + "'",
                "look up the site's item at '" + slug + "'")
            .ifPresent(
                s ->
                    known.add(
                        new ContentTarget.SlugUse(
                            s.id(), s.kind(), s.fields().slug(), s.aliases(), s.status())));
      }
      site = known;
      problems.addAll(draftsOnlyProblems(entries, site, who.who()));
      // A draft someone else started is theirs to change: each draft the files would change is
      // read for who started it (the list does not say), before anything is written.
      for (var reached :
          Importer.reached(entries, site, dev.quire.protocol.ContentStatus.DRAFT).entrySet()) {
        String id = reached.getValue().id();
        java.util.Optional<dev.quire.protocol.ContentSnapshot> item =
            within(
                session.target.get(id),
                wait,
                "reading the site's item " + id,
                "read the site's item " + id);
        MarkdownFolder.Entry e = reached.getKey();
        if (item.isPresent()
            && !item.get().startedBy(who.username())
            && !item.get().fields().equals(e.fields())) {
          problems.add(
              new MarkdownFolder.Problem(
                  e.file(),
                  e.slugLine(),
                  "slug",
                  "'"
                      + e.fields().slug()
                      + "' is a draft "
                      + item.get().createdBy()
                      + " started, and the token acts for "
                      + who.who()
                      + ", who may edit only the drafts they started"));
        }
      }
    }
    problems.forEach(System.err::println);
    if (!problems.isEmpty()) {
      System.err.println(
          problems.size()
              + " problem(s) in "
              + source
              + " against the site; nothing was imported.");
    }
    return !problems.isEmpty();
  }

  /**
   * With a token whose user may write drafts only ({@code who}): every file that would publish or
   * schedule, and every file whose item is not a draft on the site (editing it needs the right to
   * publish). Found before anything is written, so an import is not refused half-way through.
   */
  static List<MarkdownFolder.Problem> draftsOnlyProblems(
      List<MarkdownFolder.Entry> entries, List<ContentTarget.SlugUse> site, String who) {
    List<MarkdownFolder.Problem> out = new ArrayList<>();
    for (MarkdownFolder.Entry e : entries) {
      if (!e.draft()) {
        out.add(
            new MarkdownFolder.Problem(
                e.file(),
                1,
                "draft",
                "the token acts for "
                    + who
                    + ", who may write drafts only: mark the file draft: true, or import with the"
                    + " token of an editor or an admin"));
        continue;
      }
      for (ContentTarget.SlugUse u : site) {
        boolean same =
            (e.id() != null && e.id().equals(u.id()))
                || u.slug().equals(e.fields().slug())
                || u.aliases().contains(e.fields().slug());
        if (same && u.status() != dev.quire.protocol.ContentStatus.DRAFT) {
          out.add(
              new MarkdownFolder.Problem(
                  e.file(),
                  e.slugLine(),
                  "slug",
                  "'"
                      + e.fields().slug()
                      + "' is "
                      + u.status().id()
                      + " on the site, and the token acts for "
                      + who
                      + ", who may edit drafts only"));
          break;
        }
      }
    }
    return out;
  }

  /**
   * What {@code answer} brings within {@code wait} ({@code quire.cli.list-timeout}); a slow or
   * failed answer is an IOException naming what was asked ({@code doing}, {@code done}), which the
   * command prints as one line (export printed a stack trace before it used this too).
   */
  static <T> T within(CompletionStage<T> answer, Duration wait, String doing, String done)
      throws java.io.IOException, InterruptedException {
    try {
      return answer.toCompletableFuture().get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new java.io.IOException(
          doing + " took longer than quire.cli.list-timeout (" + wait + ")", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause() != null ? e.getCause() : e;
      throw new java.io.IOException("could not " + done + ": " + reason(c), c);
    }
  }

  /**
   * Why {@code c} happened, in words: the JDK's HTTP client fails to connect with a bare {@code
   * java.net.ConnectException} (no message), which said nothing of the server being down.
   */
  static String reason(Throwable c) {
    for (Throwable t = c; t != null; t = t.getCause()) {
      if (t instanceof java.net.ConnectException) {
        return "the server did not accept a connection (is it running, and is --server its"
            + " address?)";
      }
      if (t instanceof java.net.http.HttpTimeoutException) {
        return "the server did not answer in time";
      }
      if (t instanceof java.nio.channels.UnresolvedAddressException
          || t instanceof java.net.UnknownHostException) {
        return "the server's host name does not resolve";
      }
    }
    return c.getMessage() != null ? c.getMessage() : c.toString();
  }

  /** The files an empty site consists of, in the order they can go. */
  static final List<String> NEW_SITE_FILES = List.of("quire.mv.db", "quire.trace.db", "quire.lock");

  /**
   * Removes a data directory this command created and closed unused: its database, its lock and
   * then the directory, if nothing else appeared in it.
   */
  static void removeNewSite(Path dir, com.typesafe.config.Config config)
      throws java.io.IOException {
    if (dir == null || !Files.isDirectory(dir)) {
      return;
    }
    closeH2(config);
    for (String name : NEW_SITE_FILES) {
      Files.deleteIfExists(dir.resolve(name));
    }
    try (var left = Files.list(dir)) {
      if (left.findAny().isEmpty()) {
        Files.delete(dir);
      }
    }
  }

  /**
   * Closes the site's H2 database in this JVM, should a connection of the node just stopped still
   * hold it open (a pool aborts a busy connection on another thread): a file deleted under an open
   * H2 database stays its store, and the next open of the same URL in this JVM (a test's next
   * command) would join it and write into the deleted file. Opens nothing that is not there.
   */
  static void closeH2(com.typesafe.config.Config config) {
    String url = config.getString("quire.db.url");
    if (!url.startsWith(ExportCommand.Markdown.H2_FILE_URL)) {
      return;
    }
    try (java.sql.Connection c =
            java.sql.DriverManager.getConnection(
                url + ";IFEXISTS=TRUE",
                config.getString("quire.db.user"),
                config.getString("quire.db.password"));
        java.sql.Statement st = c.createStatement()) {
      st.execute("SHUTDOWN");
    } catch (java.sql.SQLException e) {
      // no such database: nothing to close
    }
  }

  /** The session opened in the background, or what opening it threw. */
  static TargetSession opened(Future<TargetSession> opening) throws Exception {
    try {
      return opening.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }

  /**
   * Waits for a session opened in the background and closes it; one that failed to open is fine.
   */
  static boolean closeUnused(Future<TargetSession> opening) {
    if (opening == null) {
      return false;
    }
    try (TargetSession unused = opened(opening)) {
      return true; // opened only to be closed: a check failed
    } catch (Exception e) {
      // nothing was opened, so nothing to close; the check's problems are what to report
      return false;
    }
  }

  @Command(
      name = "wordpress",
      mixinStandardHelpOptions = true,
      description = {
        "Import a WordPress export (Tools > Export, a WXR .xml file): posts and pages with their",
        "categories and tags, authors, dates and status; bodies converted from HTML to Markdown;",
        "featured images and attachments as media when --media names the export's",
        "wp-content/uploads folder; every old permalink (and ?p=ID) kept as a redirect.",
        "Comments are counted and left out. Everything is checked first; on any problem",
        "nothing is imported. Running it again updates what changed."
      })
  static final class WordPress implements Callable<Integer> {

    /** Each media file's size by its SHA-256. */
    private static java.util.Map<String, Long> mediaSizes(WordPressImport.Plan plan)
        throws java.io.IOException {
      java.util.Map<String, Long> sizes = new java.util.LinkedHashMap<>();
      for (WordPressImport.MediaFile m : plan.media()) {
        sizes.put(m.sha256(), Files.size(m.file()));
      }
      return sizes;
    }

    @Parameters(paramLabel = "FILE.xml", description = "The WordPress export.")
    Path file;

    @Option(
        names = "--media",
        paramLabel = "DIR",
        description = "The site's wp-content/uploads folder (a copy), for images and attachments.")
    Path media;

    @Mixin SiteOptions site = new SiteOptions();

    @Option(
        names = "--dry-run",
        description =
            "Check and convert, print what would happen (into a stopped site: also whether its"
                + " media leave quire.media.keep-free), stop.")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
      var config = QuireNode.config(site.overrides());
      if (!Files.isRegularFile(file)) {
        System.err.println("error: " + file + " is not a file");
        return 2;
      }
      if (media != null && !Files.isDirectory(media)) {
        System.err.println("error: --media " + media + " is not a directory");
        return 2;
      }
      WordPressWxr.Export wxr;
      try {
        wxr =
            WordPressWxr.read(
                file,
                config.getBytes("quire.cli.wordpress.max-file-bytes"),
                config.getInt("quire.cli.wordpress.max-text-chars"));
      } catch (WordPressWxr.Unreadable e) {
        System.err.println("error: " + e.getMessage());
        System.err.println("Nothing was imported.");
        return 2;
      }
      WordPressImport.Plan plan =
          new WordPressImport(
                  MarkdownRenderer.contentRules(config), media, Clock.systemUTC().instant())
              .plan(file, wxr);
      plan.warnings().forEach(w -> System.err.println("warning: " + w));
      if (!plan.problems().isEmpty()) {
        plan.problems().forEach(System.err::println);
        System.err.println(
            plan.problems().size() + " problem(s) in " + file + "; nothing was imported.");
        return 2;
      }
      // Checked before anything is written: 0 sent empty batches for ever, after the rest.
      int batch = ConfigChecks.atLeastOne(config, "quire.cli.redirect-batch");
      long posts = plan.entries().stream().filter(e -> e.kind() == ContentKind.POST).count();
      long mediaBytes = 0;
      long maxUpload = config.getBytes("quire.media.max-upload-bytes");
      List<String> tooLarge = new ArrayList<>();
      for (WordPressImport.MediaFile m : plan.media()) {
        long size = Files.size(m.file());
        mediaBytes += size;
        if (size > maxUpload) {
          tooLarge.add(
              m.file()
                  + ": file: is "
                  + size
                  + " bytes, at most "
                  + maxUpload
                  + " allowed (quire.media.max-upload-bytes)");
        }
      }
      if (!tooLarge.isEmpty()) {
        // Checked before anything is written: the site refuses these uploads, and media before
        // them would already be stored.
        tooLarge.forEach(System.err::println);
        System.err.println(tooLarge.size() + " problem(s) in " + file + "; nothing was imported.");
        return 2;
      }
      System.out.printf(
          "Read %s (%s): %d post(s), %d page(s), %d media file(s) (%.1f MB), %d redirect(s);"
              + " %d comment(s) left out%s.%n",
          file,
          wxr.title(),
          posts,
          plan.entries().size() - posts,
          plan.media().size(),
          mediaBytes / 1e6,
          plan.redirects().size(),
          plan.comments(),
          plan.skipped().isEmpty() ? "" : "; skipped " + plan.skipped());
      if (dryRun) {
        // Into a stopped site, the room its media would take is known without starting it (a
        // running site refuses each upload itself, and is not asked here).
        if (site.server == null) {
          java.util.Optional<String> room =
              LocalTarget.mediaRoomProblem(
                  dev.quire.gateway.media.MediaModule.store(config),
                  config.getBytes("quire.media.keep-free"),
                  mediaSizes(plan));
          if (room.isPresent()) {
            System.err.println(
                "error: " + file + ": " + room.get() + "; an import would stop here");
            return 2;
          }
        }
        return 0;
      }
      long start = System.nanoTime();
      try (TargetSession session = TargetSession.open(site, config, "import", System.err)) {
        // A running site that takes less than this configuration: the plan checked again.
        java.util.Optional<dev.quire.protocol.ContentRules.Limits> limits =
            otherLimits(session, config);
        if (limits.isPresent()) {
          // What is sent is planned with its limits (descriptions, tags and slugs cut to them).
          java.util.Set<String> said = new java.util.HashSet<>(plan.warnings());
          plan =
              new WordPressImport(
                      MarkdownRenderer.contentRules(limits.get()),
                      media,
                      Clock.systemUTC().instant())
                  .plan(file, wxr);
          plan.warnings().stream()
              .filter(w -> !said.contains(w))
              .forEach(w -> System.err.println("warning: " + w + " (the site's limits)"));
          if (printLimitProblems(plan.problems(), file)) {
            return 2;
          }
        }
        if (conflicts(session, plan.entries(), file)) {
          return 2;
        }
        // Into a stopped site, media that would eat the room the database needs is refused
        // before anything is written (a running site refuses each such upload itself).
        java.util.Optional<String> room = session.target.mediaRoomProblem(mediaSizes(plan));
        if (room.isPresent()) {
          System.err.println("error: " + file + ": " + room.get() + "; nothing was imported");
          return 2;
        }
        Duration wait = session.config.getDuration("quire.cli.ask-timeout");
        try (ProgressBar bar = EmbeddingsCommand.bar("Media", plan.media().size())) {
          for (WordPressImport.MediaFile m : plan.media()) {
            String url =
                session
                    .target
                    .putMedia(m.file(), m.contentType(), m.filename())
                    .toCompletableFuture()
                    .get(wait.toMillis(), TimeUnit.MILLISECONDS);
            if (!url.startsWith("/media/" + m.sha256() + "/")) {
              throw new IllegalStateException(m.file() + " changed while it was imported");
            }
            bar.step();
          }
        }
        Importer.Summary s = session.importer().run(plan.entries());
        // A stopped import writes no redirects either: each batch would wait out its timeout
        // against a database refusing writes, and the summary that says why would not be shown.
        List<RedirectRule> redirects =
            s.stoppedBecause() == null ? plan.redirects() : List.<RedirectRule>of();
        for (int from = 0; from < redirects.size(); from += batch) {
          session
              .target
              .addRedirects(redirects.subList(from, Math.min(redirects.size(), from + batch)))
              .toCompletableFuture()
              .get(wait.toMillis(), TimeUnit.MILLISECONDS);
        }
        s.failures().forEach(f -> System.err.println("failed: " + f));
        System.out.printf(
            "Imported %d item(s) in %.1f s: %s; %d media file(s), %d redirect(s).%n",
            plan.entries().size(),
            (System.nanoTime() - start) / 1e9,
            s,
            plan.media().size(),
            redirects.size());
        printStopped(s, "item(s)");
        return s.failures().isEmpty() && s.stoppedBecause() == null ? 0 : 1;
      } catch (QuireNode.DataDirLocked e) {
        System.err.println("error: " + e.getMessage());
        return 3;
      }
    }
  }
}
