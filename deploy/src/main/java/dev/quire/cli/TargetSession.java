package dev.quire.cli;

import com.typesafe.config.Config;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Opens the content target a command asked for, and closes whatever it started. */
final class TargetSession implements AutoCloseable {

  final ContentTarget target;
  final Config config;
  private final QuireNode node;

  /** Asking how far the read model has got failed once: the session does not ask again. */
  private boolean readModelUnknown;

  private TargetSession(ContentTarget target, Config config, QuireNode node) {
    this.target = target;
    this.config = config;
    this.node = node;
  }

  static TargetSession open(SiteOptions site, String actor, PrintStream err) throws Exception {
    return open(site, QuireNode.config(site.overrides()), actor, err);
  }

  /** As {@link #open(SiteOptions, String, PrintStream)}, with the command's config already read. */
  static TargetSession open(SiteOptions site, Config config, String actor, PrintStream err)
      throws Exception {
    Duration timeout = config.getDuration("quire.cli.ask-timeout");
    if (site.server != null && site.data != null) {
      throw new IllegalArgumentException(
          "--server and --data name two sites; give --server for a running one, --data for a"
              + " stopped one");
    }
    if (site.server != null) {
      if (site.token() == null) {
        throw new IllegalArgumentException("--server needs --token (or QUIRE_API_TOKEN)");
      }
      return new TargetSession(
          new HttpTarget(
              site.server, site.token(), timeout, config.getInt("quire.cli.list-passes")),
          config,
          null);
    }
    // The local target's settings are read before the node starts: a bad one fails at once.
    var media = dev.quire.gateway.media.MediaModule.store(config);
    long maxMediaBytes = config.getBytes("quire.media.max-upload-bytes");
    long keepFree = config.getBytes("quire.media.keep-free");
    QuireNode node = QuireNode.start(config, false, err);
    try {
      LocalTarget local =
          new LocalTarget(node.system(), timeout, actor, media, maxMediaBytes, keepFree);
      return new TargetSession(local, config, node);
    } catch (Exception | Error e) {
      // Nobody else holds the node: left running, it would keep the data directory locked.
      try {
        node.close();
      } catch (Exception closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
  }

  /**
   * How many items an import keeps in flight: {@code quire.cli.import-parallelism} into a stopped
   * site, {@code quire.cli.server-import-parallelism} over HTTP into a running one.
   */
  int importParallelism() {
    return config.getInt(
        node == null ? "quire.cli.server-import-parallelism" : "quire.cli.import-parallelism");
  }

  /**
   * The importer for this site: its parallelism, its stop (see {@link #stopOnJournalFailure}),
   * {@code quire.cli.import-retry-pause} and {@code quire.cli.import-stop-grace}.
   */
  Importer importer() {
    return new Importer(
        target,
        importParallelism(),
        java.time.Clock.systemUTC(),
        stopOnJournalFailure(),
        config.getDuration("quire.cli.import-retry-pause"),
        config.getDuration("quire.cli.import-stop-grace"));
  }

  /**
   * For a stopped site: a reason to stop a long write (an import) once the journal has refused a
   * write since now (a full disk, a database gone), naming the data directory's free space; else
   * never. Over {@code --server}: once the server has answered that its database is refusing writes
   * (503 {@code store_failing}).
   */
  java.util.function.Supplier<String> stopOnJournalFailure() {
    if (node == null) {
      return target instanceof HttpTarget http ? http::storeFailing : () -> null;
    }
    long before = dev.quire.content.metrics.TimedJdbcJournal.failedWrites();
    java.nio.file.Path dataDir = java.nio.file.Path.of(config.getString("quire.data-dir"));
    return () -> {
      long failed = dev.quire.content.metrics.TimedJdbcJournal.failedWrites() - before;
      if (failed == 0) {
        return null;
      }
      return "the journal refused "
          + failed
          + " write(s), so later files would fail too (in "
          + dataDir
          + ", free now: "
          + freeSpace(dataDir)
          + "; a full disk is the usual cause)";
    };
  }

  /** The free space on the disk holding {@code dataDir} (or its nearest existing parent). */
  static String freeSpace(java.nio.file.Path dataDir) {
    long free = dev.quire.content.EmbeddedDatabaseWatch.freeBytes(dataDir);
    return free < 0 ? "unknown" : (free / (1024 * 1024)) + " MB";
  }

  /** The node started for a local session; null for {@code --server}. */
  QuireNode node() {
    return node;
  }

  /**
   * For a stopped site: waits until its read model holds everything written so far, at most {@code
   * quire.cli.read-model-timeout}, so that the next {@code quire serve} serves the whole site from
   * its first page rather than taking in the rest of an import while it already answers. Says so on
   * {@code err} when the time runs out (what was written is in the journal either way). Nothing to
   * wait for over {@code --server}: the running site's projection goes on.
   */
  void awaitReadModel(PrintStream err) throws InterruptedException {
    awaitReadModel(
        err, "everything written is stored, and the site takes in the rest when it next starts");
  }

  /**
   * As {@link #awaitReadModel(PrintStream)}; {@code otherwise} says on {@code err} what follows
   * when the read model is still behind at {@code quire.cli.read-model-timeout} (0: no wait). A
   * failure to find out how far it got (not a slow answer) is said once, and the session does not
   * ask again. True when the read model holds every change (false also for a site not opened here).
   */
  boolean awaitReadModel(PrintStream err, String otherwise) throws InterruptedException {
    if (!(target instanceof LocalTarget local) || node == null || readModelUnknown) {
      return false;
    }
    Duration limit = config.getDuration("quire.cli.read-model-timeout");
    if (limit.isZero()) {
      return false;
    }
    long poll = config.getDuration("quire.cli.read-model-poll").toMillis();
    long deadline = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < deadline) {
      if (node.system().getWhenTerminated().toCompletableFuture().isDone()) {
        return false; // nothing to ask any more: the node has stopped
      }
      try {
        long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
        long offset =
            dev.quire.content.project.ContentProjection.storedOffset(
                    node.content().dataSource(), node.system().settings().config())
                .orElse(0);
        if (local
            .noContentEventsAfter(offset)
            .toCompletableFuture()
            .get(left, TimeUnit.MILLISECONDS)) {
          return true;
        }
      } catch (TimeoutException e) {
        break; // the deadline came while asking
      } catch (ExecutionException | java.sql.SQLException | RuntimeException e) {
        Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        readModelUnknown = true;
        err.println(
            "warning: could not find out how far the site's read model has got ("
                + (c.getMessage() != null ? c.getMessage() : c.toString())
                + ")"
                + closedDatabaseNote(c, java.nio.file.Path.of(config.getString("quire.data-dir")))
                + "; "
                + otherwise);
        return false;
      }
      Thread.sleep(poll);
    }
    err.println(
        "warning: the site's read model had not taken in every change after"
            + " quire.cli.read-model-timeout ("
            + limit.toSeconds()
            + " s); "
            + otherwise);
    return false;
  }

  /**
   * When {@code failure} says that H2 has closed the database (it does so when a write to its file
   * fails: most often a full disk), what the user needs to know: that, and how much room the disk
   * holding {@code dataDir} has left. Empty for any other failure. A full disk otherwise showed
   * only as "The database has been closed", under pages of the projection's stack traces.
   */
  static String closedDatabaseNote(Throwable failure, java.nio.file.Path dataDir) {
    if (!dev.quire.content.EmbeddedDatabaseWatch.closedByH2(failure)
        && !dev.quire.content.EmbeddedDatabaseWatch.writeFailedInH2(failure)) {
      return "";
    }
    String room = freeSpace(dataDir);
    return ": H2 closed the database after a write to it failed, most often because the disk is"
        + " full; free space on the disk holding "
        + dataDir
        + " (free now: "
        + room
        + ")";
  }

  @Override
  public void close() throws Exception {
    try {
      if (node != null) {
        awaitReadModel(System.err);
      }
    } finally {
      target.close();
      if (node != null) {
        node.close();
      }
    }
  }
}
