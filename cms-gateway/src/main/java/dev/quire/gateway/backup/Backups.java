package dev.quire.gateway.backup;

import dev.quire.bundle.BundleReader;
import dev.quire.bundle.Limits;
import dev.quire.bundle.Manifest;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

/**
 * The backups of a running site: bundle files in one directory, one being made at a time by this
 * gateway. A finished backup is its file, whoever made it (gateways sharing the directory see each
 * other's); the one being made, or the last that failed, is known to the gateway that ran it. Names
 * are made here and matched against {@link #NAME} before any file is touched: a name from a request
 * is never a path.
 */
public final class Backups {

  /** A backup's file name: {@code quire-<UTC date>-<UTC time>[-n].quire}. */
  public static final Pattern NAME = Pattern.compile("quire-\\d{8}-\\d{6}(-\\d{1,3})?\\.quire");

  /** "yyyyMMdd-HHmmss". */
  private static final int STAMP_CHARS = 15;

  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  /** Names tried for one second before a start gives up (backups asked for in the same second). */
  private static final int MAX_SAME_SECOND = 999;

  /**
   * A backup: {@code state} "running", "complete" or "failed"; while running, {@code phase}
   * ("media", "items", "tables") with {@code done} of {@code total}; once complete, its {@code
   * size} and {@code counts}; once failed, {@code message}. {@code by}: who asked (a username,
   * "api" or "schedule"), known to the gateway that made it.
   */
  public record Job(
      String name,
      String state,
      String phase,
      long done,
      long total,
      String by,
      Instant startedAt,
      Instant endedAt,
      long size,
      Manifest.Counts counts,
      boolean history,
      boolean users,
      String message) {

    public boolean running() {
      return "running".equals(state);
    }

    Job at(String phase, long done, long total) {
      return new Job(
          name, state, phase, done, total, by, startedAt, endedAt, size, counts, history, users,
          message);
    }
  }

  /** What a backup is made of, given a file to write and its progress to report. */
  public interface Writer {
    Manifest write(Path file, boolean history, boolean users, SiteBackup.Progress progress)
        throws Exception;
  }

  private final Path dir;
  private final int keep;
  private final Clock clock;
  private final Executor executor;
  private final Writer writer;
  private final AtomicReference<Job> current = new AtomicReference<>();

  /** Manifests read from finished files, by name, with the size and time they were read at. */
  private final Map<String, Listed> manifests = new ConcurrentHashMap<>();

  private record Listed(long size, Instant modified, Manifest.Counts counts, boolean history) {}

  public Backups(Path dir, int keep, Clock clock, Executor executor, Writer writer) {
    this.dir = dir;
    this.keep = keep;
    this.clock = clock;
    this.executor = executor;
    this.writer = writer;
  }

  /**
   * Makes {@code dir} (and parents it needs) readable by its owner alone, as the bundles in it are
   * (a backup holds the whole site, with --with-users its accounts' password hashes): it was made
   * 755. A directory already there is left as it is.
   */
  static void ownersOnly(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    try {
      Files.createDirectories(
          dir,
          java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
              java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
    } catch (UnsupportedOperationException e) {
      Files.createDirectories(dir); // not a POSIX file system
    }
  }

  /**
   * Starts a backup, unless one is being made here: then empty. Answers at once; the bundle is
   * written on the executor.
   */
  public Optional<Job> start(String by, boolean history, boolean users) throws IOException {
    ownersOnly(dir);
    Instant now = clock.instant();
    Job job;
    synchronized (this) {
      Job held = current.get();
      if (held != null && held.running()) {
        return Optional.empty();
      }
      String name = freeName(now);
      job = new Job(name, "running", "media", 0, 0, by, now, null, 0, null, history, users, null);
      current.set(job);
    }
    try {
      executor.execute(() -> run(job));
    } catch (RuntimeException e) {
      failed(job, e);
      unclaim(job.name());
      throw e;
    }
    return Optional.of(job);
  }

  /** The directory the backups are in. */
  public Path dir() {
    return dir;
  }

  /** The one being made here, if any. */
  public Optional<Job> running() {
    return Optional.ofNullable(current.get()).filter(Job::running);
  }

  /**
   * The name for a backup started at {@code now}: its UTC time, numbered after the others of that
   * second (never a number a pruned one had, which would sort it among the oldest), and claimed
   * with a {@code .<name>.claim} file created atomically, so that two gateways sharing the
   * directory never write one name.
   */
  private String freeName(Instant now) throws IOException {
    String stamp = STAMP.format(now);
    int n = 0;
    for (Path p : files()) {
      String name = p.getFileName().toString();
      if (name.startsWith("quire-" + stamp)) {
        n = Math.max(n, number(name));
      }
    }
    for (int k = n + 1; k <= MAX_SAME_SECOND; k++) {
      String name = "quire-" + stamp + (k == 1 ? "" : "-" + k) + ".quire";
      if (Files.exists(dir.resolve(name))) {
        continue;
      }
      try {
        Files.createFile(claim(name));
        return name;
      } catch (java.nio.file.FileAlreadyExistsException taken) {
        // another gateway (or a backup killed before it ended) holds it: the next number
      }
    }
    throw new IllegalStateException("more than " + MAX_SAME_SECOND + " backups named " + stamp);
  }

  private Path claim(String name) {
    return dir.resolve("." + name + ".claim");
  }

  private void unclaim(String name) {
    try {
      Files.deleteIfExists(claim(name));
    } catch (IOException e) {
      LOG.warn("backup {}: its claim file stays: {}", name, e.toString());
    }
  }

  private void run(Job job) {
    Path file = dir.resolve(job.name());
    try {
      Manifest m =
          writer.write(
              file,
              job.history(),
              job.users(),
              (phase, done, total) -> current.updateAndGet(j -> j.at(phase, done, total)));
      long size = Files.size(file);
      // Pruned and unclaimed before it shows complete: whoever waits for that sees the directory
      // as it stays.
      prune();
      unclaim(job.name());
      current.set(
          new Job(
              job.name(),
              "complete",
              null,
              0,
              0,
              job.by(),
              job.startedAt(),
              clock.instant(),
              size,
              m.counts(),
              job.history(),
              job.users(),
              null));
    } catch (Throwable e) {
      // Any failure ends the job: one left "running" would refuse every later backup here.
      LOG.warn("backup {} failed", job.name(), e);
      unclaim(job.name());
      failed(job, e);
    }
  }

  private void failed(Job job, Throwable e) {
    current.set(
        new Job(
            job.name(),
            "failed",
            null,
            0,
            0,
            job.by(),
            job.startedAt(),
            clock.instant(),
            0,
            null,
            job.history(),
            job.users(),
            message(e)));
  }

  private static String message(Throwable e) {
    Throwable cause = dev.quire.gateway.content.Asks.unwrap(e);
    return cause.getMessage() == null ? cause.toString() : cause.getMessage();
  }

  /** Deletes the oldest finished backups beyond {@code keep}. */
  private void prune() throws IOException {
    if (keep <= 0) {
      return;
    }
    List<Path> files = files();
    for (int i = keep; i < files.size(); i++) {
      Files.deleteIfExists(files.get(i));
      manifests.remove(files.get(i).getFileName().toString());
    }
  }

  /**
   * A name's place among the others, oldest first: its time, then its number within that second
   * ("quire-...-2.quire" comes after "quire-....quire", which a plain comparison puts after it).
   */
  static String order(String name) {
    return name.substring("quire-".length(), "quire-".length() + STAMP_CHARS)
        + String.format(java.util.Locale.ROOT, "%04d", number(name));
  }

  /** A name's number within its second: 1 for {@code quire-<stamp>.quire}, n for {@code -n}. */
  private static int number(String name) {
    String rest =
        name.substring("quire-".length() + STAMP_CHARS, name.length() - ".quire".length());
    return rest.isEmpty() ? 1 : Integer.parseInt(rest.substring(1));
  }

  /** Finished backups' files, newest first (by name: the time they were started). */
  private List<Path> files() throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      for (Path p : s) {
        if (NAME.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p)) {
          out.add(p);
        }
      }
    }
    out.sort(Comparator.comparing((Path p) -> order(p.getFileName().toString())).reversed());
    return out;
  }

  /**
   * Every backup, newest first: the one being made here (or the last that failed here) and every
   * finished file in the directory.
   */
  public List<Job> list() throws IOException {
    List<Job> out = new ArrayList<>();
    Job held = current.get();
    if (held != null && !"complete".equals(held.state())) {
      out.add(held);
    }
    for (Path p : files()) {
      finished(p, held).ifPresent(out::add);
    }
    out.sort(Comparator.comparing((Job j) -> order(j.name())).reversed());
    return out;
  }

  /** One backup by name; empty for a name that is not one (never read as a path). */
  public Optional<Job> get(String name) throws IOException {
    if (name == null || !NAME.matcher(name).matches()) {
      return Optional.empty();
    }
    Job held = current.get();
    if (held != null && held.name().equals(name) && !"complete".equals(held.state())) {
      return Optional.of(held);
    }
    Path p = dir.resolve(name);
    return Files.isRegularFile(p) ? finished(p, held) : Optional.empty();
  }

  /** A finished backup's file; empty while it is being made, or when there is none. */
  public Optional<Path> file(String name) throws IOException {
    return get(name).filter(j -> "complete".equals(j.state())).map(j -> dir.resolve(j.name()));
  }

  /**
   * Deletes a finished backup (a failed one is forgotten): false when there is none by that name.
   * One being made is not deleted: {@link IllegalStateException}.
   */
  public boolean delete(String name) throws IOException {
    Optional<Job> job = get(name);
    if (job.isEmpty()) {
      return false;
    }
    if (job.get().running()) {
      throw new IllegalStateException("backup " + name + " is being made");
    }
    if ("failed".equals(job.get().state())) {
      current.compareAndSet(job.get(), null);
      return true;
    }
    manifests.remove(name);
    return Files.deleteIfExists(dir.resolve(name));
  }

  /** A finished backup's file as a job; empty when it was deleted since it was listed. */
  private Optional<Job> finished(Path p, Job held) throws IOException {
    String name = p.getFileName().toString();
    long size;
    Instant modified;
    try {
      size = Files.size(p);
      modified = Files.getLastModifiedTime(p).toInstant();
    } catch (java.nio.file.NoSuchFileException gone) {
      // Pruned or deleted (here or by a gateway sharing the directory) since it was listed.
      manifests.remove(name);
      return Optional.empty();
    }
    Listed l = manifests.get(name);
    if (l == null || l.size() != size || !l.modified().equals(modified)) {
      l = read(p, size, modified);
      manifests.put(name, l);
    }
    boolean mine = held != null && held.name().equals(name);
    return Optional.of(
        new Job(
            name,
            "complete",
            null,
            0,
            0,
            mine ? held.by() : null,
            mine ? held.startedAt() : startedAt(name, modified),
            modified,
            size,
            l.counts(),
            l.history(),
            l.counts() != null && l.counts().users() > 0,
            l.counts() == null ? "its manifest could not be read" : null));
  }

  private static Listed read(Path p, long size, Instant modified) {
    try (BundleReader r = BundleReader.open(p, Limits.DEFAULT)) {
      return new Listed(size, modified, r.manifest().counts(), r.manifest().includesHistory());
    } catch (Exception e) {
      LOG.warn("backup {}: {}", p.getFileName(), e.toString());
      return new Listed(size, modified, null, false);
    }
  }

  /** When a backup was started, from its name (UTC); its file's time if the name is not one. */
  private static Instant startedAt(String name, Instant fallback) {
    try {
      return Instant.from(
          STAMP.parse(name.substring("quire-".length(), "quire-".length() + STAMP_CHARS)));
    } catch (RuntimeException e) {
      return fallback;
    }
  }

  /**
   * Deletes what a backup stopped mid-way left (the gateway was killed): a {@code <name>.partial}
   * file and its {@code .<name>.spool*} directory, once nothing in either has changed for {@code
   * staleAfter} (one being written by a gateway that shares the directory changes all the time).
   * Returns how many backups' leftovers were deleted.
   */
  public int sweep(java.time.Duration staleAfter) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    Instant before = clock.instant().minus(staleAfter);
    List<Path> partials = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.quire.partial")) {
      s.forEach(partials::add);
    }
    int swept = 0;
    for (Path partial : partials) {
      String name = partial.getFileName().toString();
      name = name.substring(0, name.length() - ".partial".length());
      if (!NAME.matcher(name).matches()) {
        continue;
      }
      List<Path> spools = new ArrayList<>();
      try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "." + name + ".spool*")) {
        s.forEach(spools::add);
      }
      Instant newest = Files.getLastModifiedTime(partial).toInstant();
      for (Path spool : spools) {
        try (var walk = Files.walk(spool)) {
          for (Path f : (Iterable<Path>) walk::iterator) {
            Instant t = Files.getLastModifiedTime(f).toInstant();
            newest = t.isAfter(newest) ? t : newest;
          }
        }
      }
      if (newest.isAfter(before)) {
        continue;
      }
      for (Path spool : spools) {
        try (var walk = Files.walk(spool)) {
          for (Path f : walk.sorted(Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(f);
          }
        }
      }
      Files.deleteIfExists(partial);
      Files.deleteIfExists(claim(name));
      LOG.info("deleted what the unfinished backup {} left", name);
      swept++;
    }
    // A claim whose backup never wrote a partial file (killed at once), once as old.
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, ".quire-*.quire.claim")) {
      for (Path c : s) {
        if (Files.getLastModifiedTime(c).toInstant().isBefore(before)
            && !Files.exists(
                dir.resolve(
                    c.getFileName().toString().substring(1).replace(".claim", ".partial")))) {
          Files.deleteIfExists(c);
        }
      }
    }
    return swept;
  }

  /** A scheduled backup: starts one unless one is being made here, logging which. */
  public void scheduled(boolean users) {
    try {
      start("schedule", true, users)
          .ifPresentOrElse(
              j -> LOG.info("scheduled backup {} started", j.name()),
              () -> LOG.info("scheduled backup skipped: one is being made"));
    } catch (IOException | RuntimeException e) {
      // Not thrown on: the scheduler cancels a repeating task that throws.
      LOG.warn("scheduled backup could not start: {}", e.toString());
    }
  }

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Backups.class);
}
