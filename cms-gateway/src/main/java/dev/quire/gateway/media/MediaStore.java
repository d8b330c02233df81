package dev.quire.gateway.media;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.quire.protocol.ContentRules;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Media blobs stored once by content: {@code <dir>/<first two hex>/<sha256>} with a small JSON
 * record beside it ({@code .json}: type, original name, size, time). A blob is written to a temp
 * file, hashed while copied, fsynced and renamed into place, so a crash never leaves half a file
 * under a real name, and the same bytes uploaded twice are stored once. Blocking file I/O: callers
 * run it on a blocking dispatcher. In a cluster every gateway and the importer need the same
 * directory (a shared volume), as with any CMS's uploads.
 *
 * <p>{@link #list} keeps what it read of each two-letter directory and reads one again only when
 * its modification time has moved (a record is added by renaming its file in, which moves it), so a
 * list of 10,000 records costs 256 {@code stat}s rather than 10,000 files read (250-850 ms before).
 * This works for records that another process on the shared volume adds too. A directory's time is
 * trusted only once it is {@code settle} old: a file system stamps times from a coarse clock (a few
 * milliseconds on ext4), so two changes close together can leave the same time, and the second
 * would go unseen; {@code settle} also covers a file server's clock running somewhat behind this
 * one.
 */
public final class MediaStore {

  /** What is known about one stored blob. {@code filename} is for display, never a path. */
  public record Media(
      String sha256, long size, String contentType, String filename, Instant createdAt) {
    public String url() {
      return "/media/" + sha256 + "/" + safeName(filename);
    }
  }

  /** The upload was larger than allowed; nothing was stored. */
  public static final class TooLarge extends IOException {
    public TooLarge(long limit) {
      super("the file is larger than " + limit + " bytes (quire.media.max-upload-bytes)");
    }
  }

  /** The upload is not what it was sent as (an empty file, or not the image it names). */
  public static final class Refused extends IOException {
    public Refused(String message) {
      super(message);
    }
  }

  private static final Pattern SHA = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern TYPE =
      Pattern.compile("[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*");
  private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());

  private final Path dir;
  private final Clock clock;
  private final Duration settle;

  /** What {@link #list} read of one two-letter directory, and the time the directory had then. */
  private record ShardRead(FileTime modified, boolean settled, List<Media> records) {}

  private final ConcurrentHashMap<String, ShardRead> shardReads = new ConcurrentHashMap<>();

  private final Object[] stripes = new Object[64];

  {
    java.util.Arrays.setAll(stripes, i -> new Object());
  }

  /**
   * {@code settle}: how old a directory's modification time must be before a list trusts that it
   * will move with the next change ({@code quire.media.list-settle}).
   */
  public MediaStore(Path dir, Clock clock, Duration settle) {
    this.dir = dir;
    this.clock = clock;
    this.settle = settle;
  }

  public Path dir() {
    return dir;
  }

  /**
   * Deletes what uploads that never finished left in the store's {@code tmp} directory (the gateway
   * was killed mid-upload): files last written more than {@code olderThan} ago. An upload still
   * running writes its file at least every {@code quire.media.upload-timeout}, and on a store
   * shared by several gateways another gateway's upload may be running, so {@code olderThan} is the
   * longest an upload can run. Returns how many were deleted.
   */
  public int removeLeftovers(Duration olderThan) throws IOException {
    Path tmpDir = dir.resolve("tmp");
    if (!Files.isDirectory(tmpDir)) {
      return 0;
    }
    List<IOException> failed = new ArrayList<>();
    int removed = deleteStale(tmpDir, "*", clock.instant().minus(olderThan), failed);
    if (!failed.isEmpty()) {
      throw new IOException(
          "removed "
              + removed
              + " file(s) of unfinished uploads; some could not be: "
              + failed.get(0),
          failed.get(0));
    }
    return removed;
  }

  /**
   * Deletes the regular files directly in {@code dir} whose names match {@code glob} and that were
   * last written before {@code before}: what a stopped process left half-written. A file gone
   * meanwhile (finished, or swept by another gateway) is skipped; one that cannot be deleted (its
   * permissions) is added to {@code failed} and does not keep the others. Returns how many went.
   */
  static int deleteStale(Path dir, String glob, Instant before, List<IOException> failed)
      throws IOException {
    FileTime limit = FileTime.from(before);
    int removed = 0;
    try (java.nio.file.DirectoryStream<Path> files = Files.newDirectoryStream(dir, glob)) {
      for (Path f : files) {
        try {
          if (Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)
              && Files.getLastModifiedTime(f).compareTo(limit) < 0
              && Files.deleteIfExists(f)) {
            removed++;
          }
        } catch (java.nio.file.NoSuchFileException gone) {
          // Finished or removed meanwhile.
        } catch (IOException e) {
          failed.add(e);
        }
      }
    } catch (java.nio.file.DirectoryIteratorException e) {
      throw e.getCause();
    }
    return removed;
  }

  public static boolean isSha(String s) {
    return s != null && SHA.matcher(s).matches();
  }

  /** A content type as stored: lower case, parameters dropped, else application/octet-stream. */
  public static String normaliseType(String contentType) {
    if (contentType == null) {
      return "application/octet-stream";
    }
    String t = contentType.split(";", 2)[0].strip().toLowerCase(java.util.Locale.ROOT);
    return TYPE.matcher(t).matches() && t.length() <= 100 ? t : "application/octet-stream";
  }

  /**
   * Types a browser runs or applies when a page of this origin loads the file by {@code <script
   * src>} or {@code <link rel=stylesheet>} (the admin's policy allows its own origin's), whatever
   * the download headers say: served as {@code application/octet-stream}, which {@code nosniff}
   * makes the browser refuse to run. The JavaScript types are the HTML standard's list.
   */
  static final java.util.Set<String> ACTIVE_TYPES =
      java.util.Set.of(
          "application/ecmascript",
          "application/javascript",
          "application/x-ecmascript",
          "application/x-javascript",
          "text/ecmascript",
          "text/javascript",
          "text/javascript1.0",
          "text/javascript1.1",
          "text/javascript1.2",
          "text/javascript1.3",
          "text/javascript1.4",
          "text/javascript1.5",
          "text/jscript",
          "text/livescript",
          "text/x-ecmascript",
          "text/x-javascript",
          "text/css");

  /** The type a stored file is served with: its own, unless a page could run or apply it. */
  public static String servedType(String storedType) {
    return ACTIVE_TYPES.contains(storedType) ? "application/octet-stream" : storedType;
  }

  /**
   * A display name safe in a URL path segment and a header: [A-Za-z0-9._-], at most 100. Letters
   * lose their accents first, as slugs' do ("Café ü.png" is "Cafe-u.png"; the letters were dropped,
   * "red dot ü.png" stored as "red-dot-.png"), and a name with letters of another script is spelled
   * in Latin letters first, as a slug is ("报告.pdf" is "bao-gao.pdf"). A name already safe is its
   * own safe name, so the addresses of files stored before stay as they were.
   */
  public static String safeName(String name) {
    String base = name == null ? "" : name.replaceAll(".*[/\\\\]", "");
    if (base.codePoints().anyMatch(MediaStore::otherScript)) {
      // Spelled in Latin letters as a slug is ("报告.pdf" is bao-gao.pdf): each such letter was
      // dropped, so the name was its extension alone ("pdf", no dot) or "qaE--.png".
      base = ContentRules.latin(base);
    }
    String s =
        java.text.Normalizer.normalize(base, java.text.Normalizer.Form.NFKD)
            .replaceAll("\\p{M}+", "")
            .replaceAll("[^A-Za-z0-9._-]+", "-")
            .replaceAll("^[.-]+", "");
    if (s.length() > 100) {
      // The end, with the extension; never starting with a dot or hyphen (such a name was not
      // its own safe name, so its address was refused).
      s = s.substring(s.length() - 100).replaceAll("^[.-]+", "");
    }
    return s.isEmpty() ? "file" : s;
  }

  private static final java.util.regex.Pattern SAFE =
      java.util.regex.Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,99}");

  /**
   * Whether {@code name} is its own {@link #safeName} (a file's name in its address), decided
   * without making one: a request's name in another script would load and hold the transliterator,
   * which serves one thread at a time.
   */
  public static boolean isSafeName(String name) {
    return SAFE.matcher(name).matches();
  }

  /** A letter of a script other than Latin (Han, Arabic, Cyrillic...). */
  private static boolean otherScript(int codePoint) {
    if (!Character.isLetter(codePoint)) {
      return false;
    }
    Character.UnicodeScript script = Character.UnicodeScript.of(codePoint);
    return script != Character.UnicodeScript.LATIN
        && script != Character.UnicodeScript.COMMON
        && script != Character.UnicodeScript.INHERITED;
  }

  /**
   * Stores what {@code in} yields (at most {@code maxBytes}) and returns its record. An upload: an
   * image is stored under its own type, and an empty file or one sent as an image it is not is
   * refused ({@link Refused}).
   */
  public Media put(InputStream in, String contentType, String filename, long maxBytes)
      throws IOException {
    return put(in, contentType, filename, maxBytes, true);
  }

  /** Stores a file as a bundle carried it: its type as it was, unchecked (a site's own backup). */
  public Media restore(InputStream in, String contentType, String filename, long maxBytes)
      throws IOException {
    return put(in, contentType, filename, maxBytes, false);
  }

  /**
   * The type an importer sends a file as: the image its first bytes begin like, else what its name
   * says, except an image type the bytes are not (then {@code application/octet-stream}: a
   * WordPress upload named {@code .jpg} that is not one travels as a plain file).
   */
  public static String importedType(Path file, String declared) throws IOException {
    String type = normaliseType(declared);
    return ownImageType(file, type)
        .orElse(ImageBytes.CHECKED.contains(type) ? "application/octet-stream" : type);
  }

  /**
   * The image type {@code file}'s first bytes say, for a file sent as an image or as plain bytes
   * only: a CSV that begins "BM..." is not a bitmap.
   */
  private static Optional<String> ownImageType(Path file, String declared) throws IOException {
    if (!declared.startsWith("image/") && !declared.equals("application/octet-stream")) {
      return Optional.empty();
    }
    byte[] head = new byte[ImageBytes.HEAD];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, head.length);
    }
    return ImageBytes.sniff(head, n);
  }

  private Media put(
      InputStream in, String contentType, String filename, long maxBytes, boolean check)
      throws IOException {
    Path tmpDir = Files.createDirectories(dir.resolve("tmp"));
    Path tmp = tmpDir.resolve(UUID.randomUUID() + ".part");
    MessageDigest sha = sha256();
    long size = 0;
    try {
      try (DigestInputStream din = new DigestInputStream(in, sha);
          OutputStream out = Files.newOutputStream(tmp)) {
        byte[] buf = new byte[64 * 1024];
        int n;
        while ((n = din.read(buf)) > 0) {
          size += n;
          if (size > maxBytes) {
            throw new TooLarge(maxBytes);
          }
          out.write(buf, 0, n);
        }
      }
      String type =
          check ? checkedType(tmp, size, normaliseType(contentType)) : normaliseType(contentType);
      try (var ch =
          java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      String hex = HexFormat.of().formatHex(sha.digest());
      // From the look for the same bytes to the record in place, no delete of them runs here.
      synchronized (stripe(hex)) {
        Optional<Media> existing = get(hex);
        if (existing.isPresent()) {
          return existing.get();
        }
        Path target = blob(hex);
        Files.createDirectories(target.getParent());
        move(tmp, target);
        Media m = new Media(hex, size, type, safeName(filename), clock.instant());
        Path metaTmp = tmpDir.resolve(UUID.randomUUID() + ".json");
        Files.write(metaTmp, JSON.writeValueAsBytes(m));
        move(metaTmp, meta(hex));
        return m;
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * The type a received file is stored as: an image's own, by its first bytes, whatever image type
   * it was sent as; refused when empty, or sent as an image it is not.
   */
  private static String checkedType(Path file, long size, String declared) throws IOException {
    if (size == 0) {
      throw new Refused("the file is empty; nothing was stored");
    }
    Optional<String> sniffed = ownImageType(file, declared);
    if (sniffed.isPresent()) {
      return sniffed.get();
    }
    if (ImageBytes.CHECKED.contains(declared)) {
      throw new Refused(
          "the file was sent as "
              + declared
              + " but its bytes are not that image (nor another the site shows); nothing was"
              + " stored");
    }
    return declared;
  }

  /** {@code bytes} in whole megabytes (MiB), as a person reads a disk's room. */
  public static String megabytes(long bytes) {
    return (bytes >> 20) + " MB";
  }

  /**
   * The room left on the disk the store is on, in bytes; -1 when it cannot be told. A file-system
   * call: not on an actor's or a route's thread.
   */
  public long usableBytes() {
    try {
      Path existing = dir.toAbsolutePath();
      while (existing != null && !Files.exists(existing)) {
        existing = existing.getParent();
      }
      return existing == null ? -1 : Files.getFileStore(existing).getUsableSpace();
    } catch (IOException e) {
      return -1;
    }
  }

  /** The record of a stored blob; empty when there is none (or the name is not a hash). */
  public Optional<Media> get(String sha) throws IOException {
    if (!isSha(sha) || !Files.exists(meta(sha)) || !Files.exists(blob(sha))) {
      return Optional.empty();
    }
    return Optional.of(JSON.readValue(meta(sha).toFile(), Media.class));
  }

  /** Where a blob's bytes are; only for a name that {@link #isSha} accepts. */
  public Path blob(String sha) {
    if (!isSha(sha)) {
      throw new IllegalArgumentException("not a SHA-256: " + sha);
    }
    return dir.resolve(sha.substring(0, 2)).resolve(sha);
  }

  /**
   * Deletes a stored blob: its record first, so that no list or read finds it from then on, then
   * its bytes (a stop between the two leaves bytes nothing names, which storing the same file again
   * puts back under its record). False when there was none. Blocking file I/O.
   */
  public boolean delete(String sha) throws IOException {
    if (!isSha(sha)) {
      return false;
    }
    synchronized (stripe(sha)) {
      boolean had = Files.deleteIfExists(meta(sha));
      Files.deleteIfExists(blob(sha));
      return had;
    }
  }

  /**
   * The lock shared by {@link #put} and {@link #delete} for one hash: an upload of the same bytes
   * during a delete either finds them still stored or stores them anew, never a record without its
   * bytes. Within this process only: gateways sharing a volume do not see each other's locks.
   */
  private Object stripe(String sha) {
    return stripes[Integer.parseInt(sha.substring(0, 2), 16) % stripes.length];
  }

  private Path meta(String sha) {
    return dir.resolve(sha.substring(0, 2)).resolve(sha + ".json");
  }

  /**
   * Every stored blob's record, oldest first; a directory unchanged since the last list is not read
   * again (see the class comment).
   */
  public List<Media> list() throws IOException {
    List<Media> all = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return all;
    }
    Set<String> present = new HashSet<>();
    try (DirectoryStream<Path> shards = Files.newDirectoryStream(dir, "[0-9a-f][0-9a-f]")) {
      for (Path shard : shards) {
        String name = shard.getFileName().toString();
        present.add(name);
        // The time is taken before the files are read: a record added meanwhile moves it past
        // the one kept, and the next list reads the directory again.
        FileTime modified = Files.getLastModifiedTime(shard);
        ShardRead known = shardReads.get(name);
        if (known == null || !known.settled() || !known.modified().equals(modified)) {
          known = read(shard, modified);
          shardReads.put(name, known);
        }
        all.addAll(known.records());
      }
    }
    shardReads.keySet().retainAll(present);
    all.sort(Comparator.comparing(Media::createdAt).thenComparing(Media::sha256));
    return all;
  }

  private ShardRead read(Path shard, FileTime modified) throws IOException {
    boolean settled = modified.toInstant().isBefore(clock.instant().minus(settle));
    List<Media> records = new ArrayList<>();
    try (DirectoryStream<Path> metas = Files.newDirectoryStream(shard, "*.json")) {
      for (Path m : metas) {
        String sha = m.getFileName().toString().replace(".json", "");
        get(sha).ifPresent(records::add);
      }
    }
    return new ShardRead(modified, settled, List.copyOf(records));
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
