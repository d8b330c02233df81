package dev.quire.gateway.backup;

import dev.quire.bundle.BundleException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;

/**
 * Imports of bundles into the running site, run by this gateway one at a time: an uploaded bundle
 * or one of the site's backups, verified, planned and written by {@link BundleImport}. Each job is
 * kept as a small JSON file under {@code <backups dir>/imports} as it goes (its progress at most
 * once a second, every change of state at once), so that every gateway sharing the directory can
 * answer for it, as for backups: a client behind a load balancer follows an import whichever
 * gateway answers. The newest {@code remembered} are kept. One import at a time for the whole site,
 * whichever gateway runs it: each takes the site's slot ({@link Lease}, {@link ImportLease}) before
 * it plans, and one that finds it held ends refused, having written nothing.
 */
public final class Imports {

  /** A job's id: {@code import-<UTC date>-<UTC time>-<8 hex>}; matched before any lookup. */
  public static final Pattern ID = Pattern.compile("import-\\d{8}-\\d{6}-[0-9a-f]{8}");

  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  private static final int ID_RANDOM_BYTES = 4;

  /**
   * An import: {@code state} "running", "complete" (everything written), "partial" (the checks
   * passed, some writes failed: {@code failures}), "refused" (nothing written: {@code reasons}) or
   * "failed" ({@code message}; when {@code wrote}, what was written before stays). While running,
   * {@code phase} ("verifying", "checking", "media", "items", "tables") with {@code done} of {@code
   * total}. {@code source}: what was imported, as the asker named it.
   */
  public record Job(
      String id,
      String state,
      String phase,
      long done,
      long total,
      String source,
      BundleImport.Policy policy,
      boolean users,
      String by,
      Instant startedAt,
      Instant endedAt,
      BundleImport.Summary summary,
      List<String> reasons,
      String message,
      boolean wrote) {

    public boolean running() {
      return "running".equals(state);
    }

    Job at(String phase, long done, long total) {
      return new Job(
          id, state, phase, done, total, source, policy, users, by, startedAt, endedAt, summary,
          reasons, message, wrote);
    }

    Job ended(
        String state,
        Instant at,
        BundleImport.Summary summary,
        List<String> reasons,
        String message,
        boolean wrote) {
      return new Job(
          id,
          state,
          null,
          done,
          total,
          source,
          policy,
          users,
          by,
          startedAt,
          at,
          summary,
          reasons == null ? List.of() : List.copyOf(reasons),
          message,
          wrote);
    }
  }

  /**
   * The site's one import at a time ({@link ImportLease}): {@link #take} is called on the import's
   * own thread, before it plans; {@link #keep} every {@link #KEEP_EVERY} while it runs; {@link
   * #give} when it ends (and after a take that was not answered, in case it arrives late).
   */
  public interface Lease {
    /** Takes the slot for {@code importId}: empty when it is this import's now, else who has it. */
    Optional<ImportLease.Holder> take(String importId) throws Exception;

    void keep(String importId);

    void give(String importId);
  }

  /**
   * How often a running import tells the slot it is still at work: a holder is dropped once it has
   * not done so for {@link #ABANDONED_AFTER} (its gateway stopped).
   */
  static final java.time.Duration KEEP_EVERY = java.time.Duration.ofSeconds(30);

  /** Tells the slot a running import is still at work: one daemon thread for every gateway. */
  private static final java.util.concurrent.ScheduledExecutorService KEEPER =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "quire-import-slot");
            t.setDaemon(true);
            return t;
          });

  /** Imports a verified-on-open bundle file, reporting its progress; see {@link BundleImport}. */
  public interface Runner {
    BundleImport.Summary run(
        Path file,
        BundleImport.Policy policy,
        boolean users,
        String by,
        BundleImport.Progress progress,
        Runnable writing)
        throws Exception;
  }

  private final Clock clock;
  private final Executor executor;
  private final Runner runner;
  private final int remembered;
  private final Path dir;
  private final Lease lease;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Job> jobs = new LinkedHashMap<>();
  private final Map<String, Instant> written = new java.util.HashMap<>();
  private String current;

  /** How often a running job's file is written at most (its state changes always are). */
  private static final java.time.Duration WRITE_EVERY = java.time.Duration.ofSeconds(1);

  /**
   * A job another gateway runs whose file has not changed for this long is taken as one its gateway
   * stopped while running (a running job writes its progress every item or media file).
   */
  static final java.time.Duration ABANDONED_AFTER = java.time.Duration.ofMinutes(10);

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      dev.quire.gateway.api.ApiJson.mapper();

  /**
   * {@code dir}: where the jobs' files are kept (the backups directory's {@code imports}); {@code
   * lease}: the site's one slot, shared by every gateway.
   */
  public Imports(
      Clock clock, Executor executor, Runner runner, int remembered, Path dir, Lease lease) {
    this.clock = clock;
    this.executor = executor;
    this.runner = runner;
    this.remembered = Math.max(1, remembered);
    this.dir = dir;
    this.lease = lease;
  }

  /** Writes {@code job}'s file: at once when {@code now}, else when a second has passed. */
  private void persist(Job job, boolean now) {
    Instant at = clock.instant();
    Instant last = written.get(job.id());
    if (!now && last != null && at.isBefore(last.plus(WRITE_EVERY))) {
      return;
    }
    written.put(job.id(), at);
    try {
      Files.createDirectories(dir);
      Path tmp = dir.resolve("." + job.id() + ".json.tmp");
      Files.write(tmp, JSON.writeValueAsBytes(job));
      Files.move(
          tmp,
          file(job.id()),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (java.io.IOException e) {
      LOG.warn("import {}: its file could not be written: {}", job.id(), e.toString());
    }
  }

  private Path file(String id) {
    return dir.resolve(id + ".json");
  }

  /** A job's file, as another gateway (or this one, before a restart) wrote it; empty if none. */
  private Optional<Job> read(String id) {
    Path f = file(id);
    try {
      Job j = JSON.readValue(f.toFile(), Job.class);
      if (j.running()) {
        Instant changed = Files.getLastModifiedTime(f).toInstant();
        if (changed.plus(ABANDONED_AFTER).isBefore(clock.instant())) {
          return Optional.of(
              j.ended(
                  "failed",
                  changed,
                  null,
                  null,
                  "the gateway running it stopped: it wrote nothing for "
                      + ABANDONED_AFTER.toMinutes()
                      + " minutes; what it wrote before stays, and importing the same bundle"
                      + " again completes it",
                  true));
        }
      }
      return Optional.of(j);
    } catch (java.nio.file.NoSuchFileException | java.io.FileNotFoundException e) {
      return Optional.empty(); // no such import: a 404, not worth a warning
    } catch (java.io.IOException e) {
      LOG.warn("import {}: its file could not be read: {}", id, e.toString());
      return Optional.empty();
    }
  }

  /** Deletes the files of jobs beyond the newest {@code remembered}. */
  private void prune() {
    List<Path> files = files();
    for (int i = 0; i < files.size() - remembered; i++) {
      try {
        Files.deleteIfExists(files.get(i));
      } catch (java.io.IOException e) {
        LOG.warn("could not delete {}: {}", files.get(i), e.toString());
      }
    }
  }

  /** The jobs' files, oldest first (their names begin with their UTC start time). */
  private List<Path> files() {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (var s = Files.newDirectoryStream(dir, "import-*.json")) {
      List<Path> out = new ArrayList<>();
      s.forEach(out::add);
      out.removeIf(f -> !ID.matcher(f.getFileName().toString().replace(".json", "")).matches());
      out.sort(java.util.Comparator.comparing(f -> f.getFileName().toString()));
      return out;
    } catch (java.io.IOException e) {
      LOG.warn("could not list {}: {}", dir, e.toString());
      return List.of();
    }
  }

  /** Whether an import runs here now (a second one waits for it: two plans would race). */
  public synchronized Optional<Job> running() {
    return Optional.ofNullable(current).map(jobs::get).filter(Job::running);
  }

  /**
   * Starts importing {@code file}, unless an import runs here: then empty. {@code spooled}: the
   * file is this import's own copy (an upload), deleted when it ends.
   */
  public Optional<Job> start(
      Path file,
      boolean spooled,
      String source,
      BundleImport.Policy policy,
      boolean users,
      String by) {
    Job job;
    synchronized (this) {
      if (running().isPresent()) {
        return Optional.empty();
      }
      Instant now = clock.instant();
      byte[] r = new byte[ID_RANDOM_BYTES];
      random.nextBytes(r);
      String id = "import-" + STAMP.format(now) + "-" + HexFormat.of().formatHex(r);
      job =
          new Job(
              id,
              "running",
              "verifying",
              0,
              0,
              source,
              policy,
              users,
              by,
              now,
              null,
              null,
              List.of(),
              null,
              false);
      jobs.put(id, job);
      current = id;
      while (jobs.size() > remembered) {
        String oldest = jobs.keySet().iterator().next();
        jobs.remove(oldest);
        written.remove(oldest);
      }
      persist(job, true);
    }
    try {
      executor.execute(() -> run(job, file, spooled));
    } catch (RuntimeException e) {
      if (spooled) {
        deleteSpool(job.id(), file);
      }
      end(job.id(), j -> j.ended("failed", clock.instant(), null, null, e.toString(), false));
      throw e;
    }
    return Optional.of(job);
  }

  private void run(Job job, Path file, boolean spooled) {
    boolean[] wrote = {false};
    java.util.function.UnaryOperator<Job> outcome;
    boolean holding = false;
    java.util.concurrent.ScheduledFuture<?> keeping = null;
    try {
      Optional<ImportLease.Holder> other;
      try {
        other = lease.take(job.id());
      } catch (Exception e) {
        throw new SlotUnanswered(e);
      }
      if (other.isPresent()) {
        throw new BundleImport.Refused(
            "another import runs on this site; nothing was written", List.of(heldBy(other.get())));
      }
      holding = true;
      // Kept on a clock while the import works, not only with its progress: some of its steps
      // (planning the redirects, writing them, the accounts) report none for a while.
      keeping =
          KEEPER.scheduleAtFixedRate(
              () -> lease.keep(job.id()),
              KEEP_EVERY.toMillis(),
              KEEP_EVERY.toMillis(),
              java.util.concurrent.TimeUnit.MILLISECONDS);
      BundleImport.Summary s =
          runner.run(
              file,
              job.policy(),
              job.users(),
              job.by(),
              (phase, done, total) -> update(job.id(), j -> j.at(phase, done, total)),
              () -> wrote[0] = true);
      String state = s.failures().isEmpty() ? "complete" : "partial";
      outcome = j -> j.ended(state, clock.instant(), s, null, null, true);
      LOG.info(
          "import {} of {} by {}: {}, {} created, {} overwritten",
          job.id(),
          job.source(),
          job.by(),
          state,
          s.created(),
          s.overwritten());
    } catch (BundleImport.Refused e) {
      outcome = j -> j.ended("refused", clock.instant(), null, e.reasons, e.getMessage(), false);
      LOG.info("import {} of {} refused: {}", job.id(), job.source(), e.getMessage());
    } catch (SlotUnanswered e) {
      // The take may still arrive after its ask timed out: let go of a slot this job never uses
      // (the entity ignores it when another holds the slot).
      lease.give(job.id());
      String why =
          "no gateway answered for the site's import slot (which keeps imports one at a time): "
              + BundleImport.cause(e.getCause())
              + "; nothing was written, try again";
      outcome = j -> j.ended("failed", clock.instant(), null, null, why, false);
      LOG.warn("import {} of {}: {}", job.id(), job.source(), why);
    } catch (BundleException e) {
      // Named as the asker named it: the server's spool path is not theirs to see.
      String why = e.getMessage().replace(file.toString(), job.source());
      outcome = j -> j.ended("failed", clock.instant(), null, null, why, wrote[0]);
      LOG.warn("import {} of {} failed: {}", job.id(), job.source(), e.getMessage());
    } catch (Throwable e) {
      String why = BundleImport.cause(e).replace(file.toString(), job.source());
      outcome = j -> j.ended("failed", clock.instant(), null, null, why, wrote[0]);
      LOG.warn("import {} of {} failed", job.id(), job.source(), e);
    }
    // The upload goes before the job shows ended: whoever sees it ended sees no file left.
    if (spooled) {
      deleteSpool(job.id(), file);
    }
    if (keeping != null) {
      keeping.cancel(false);
    }
    if (holding) {
      lease.give(job.id());
    }
    end(job.id(), outcome);
  }

  /** The site's import slot could not be asked: nothing was planned or written. */
  private static final class SlotUnanswered extends Exception {
    SlotUnanswered(Exception cause) {
      super(cause);
    }
  }

  /** Why an import was refused when another held the site's slot. */
  private static String heldBy(ImportLease.Holder h) {
    return "another import runs on this site: "
        + h.importId()
        + ", on the gateway at "
        + h.gateway()
        + ", since "
        + h.since()
        + "; two at once would race each other's writes, so this one wrote nothing: start it"
        + " again once that one has ended";
  }

  private static void deleteSpool(String id, Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (java.io.IOException e) {
      LOG.warn("import {}: its upload {} stays: {}", id, file, e.toString());
    }
  }

  private synchronized void update(String id, java.util.function.UnaryOperator<Job> change) {
    Job j = jobs.get(id);
    if (j != null) {
      Job next = change.apply(j);
      jobs.put(id, next);
      persist(next, !next.running());
    }
  }

  private synchronized void end(String id, java.util.function.UnaryOperator<Job> change) {
    update(id, change);
    if (id.equals(current)) {
      current = null;
    }
    prune();
  }

  /** The job with this id: this gateway's, or from its file (another gateway's, or older). */
  public synchronized Optional<Job> get(String id) {
    if (!ID.matcher(id).matches()) {
      return Optional.empty();
    }
    Job here = jobs.get(id);
    return here != null ? Optional.of(here) : read(id);
  }

  /** The newest {@code remembered} jobs, of this gateway and of those sharing its directory. */
  public synchronized List<Job> list() {
    Map<String, Job> all = new java.util.HashMap<>();
    for (Path f : files()) {
      String id = f.getFileName().toString().replace(".json", "");
      read(id).ifPresent(j -> all.put(id, j));
    }
    all.putAll(jobs);
    return all.values().stream()
        .sorted(java.util.Comparator.comparing(Job::startedAt).thenComparing(Job::id).reversed())
        .limit(remembered)
        .toList();
  }

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Imports.class);
}
