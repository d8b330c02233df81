package dev.quire.bundle;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a bundle in bounded memory, whatever the number of items or the size of the media: records
 * go to JSON Lines parts spooled beside the target, media blobs stream through SHA-256 into a spool
 * file and then into the zip (once per hash), and the manifest goes last. The bundle is written to
 * {@code FILE.partial} and moved into place by {@link #finish()}, so a crash never leaves a file
 * that looks like a whole bundle.
 *
 * <p>Its entries keep within what a reader with the same {@link Limits} accepts, and it refuses the
 * rest when it meets it, naming it (the export then fails and leaves no file): a record line over
 * {@code maxLineBytes} characters (as the reader counts them), {@code menus.json} or {@code
 * settings.json} over that many bytes, a media blob over {@code maxMediaEntryBytes}, more than
 * {@code maxItems} items or {@code maxEntries} entries, more than {@code maxTotalBytes} in all. A
 * part starts a new file before it would pass a quarter of {@code maxRecordEntryBytes} (readers
 * stream the parts of a kind as one sequence, so an item's events may span two): counted only in
 * records, 10,000 revisions of long posts made a part over the reader's 256 MiB limit, and a backup
 * no reader would take. An entry that deflates past the reader's {@code maxCompressionRatio} (a
 * silent WAV, a flat bitmap) is stored instead: the reader takes a stored entry at its size.
 */
public final class BundleWriter implements AutoCloseable {

  /** How a bundle is labelled; {@code itemsPerPart} records per JSON Lines part. */
  public record Options(
      String createdBy,
      Manifest.Site site,
      boolean includesHistory,
      int itemsPerPart,
      Clock clock) {
    public Options(String createdBy, Manifest.Site site, boolean includesHistory) {
      this(createdBy, site, includesHistory, 10_000, Clock.systemUTC());
    }
  }

  /** A part starts a new file before it passes 1/PART_SHARE of the reader's record entry limit. */
  static final int PART_SHARE = 4;

  private final Path target;
  private final Path partial;
  private final Path spool;
  private final Options options;
  private final Limits limits;
  private final ProgressListener progress;
  private final ZipOutputStream zip;
  private final List<Manifest.Entry> entries = new ArrayList<>();
  private final Set<String> mediaStored = new HashSet<>();
  private final Part items;
  private final Part events;
  private final Part mediaIndex;
  private final Part redirects;
  private final Part users;
  private final Set<String> usernames = new HashSet<>();
  private List<Menu> menus = List.of();
  private Map<String, String> settings = Map.of();
  private long mediaBytes;
  private long totalBytes;
  private boolean finished;

  private BundleWriter(Path target, Options options, ProgressListener progress, Limits limits)
      throws IOException {
    this.limits = limits;
    this.target = target.toAbsolutePath();
    this.partial = this.target.resolveSibling(this.target.getFileName() + ".partial");
    OutputStream out = ownerOnly(partial);
    try {
      this.spool =
          Files.createTempDirectory(this.target.getParent(), "." + target.getFileName() + ".spool");
    } catch (IOException | RuntimeException e) {
      out.close();
      Files.deleteIfExists(partial);
      throw e;
    }
    this.options = options;
    this.progress = progress;
    this.zip = new ZipOutputStream(new BufferedOutputStream(out, 1 << 16));
    this.zip.setLevel(Deflater.DEFAULT_COMPRESSION);
    this.items = new Part(Layout.ITEMS_PREFIX, options.itemsPerPart(), false);
    this.events = new Part(Layout.EVENTS_PREFIX, options.itemsPerPart(), false);
    this.mediaIndex = new Part(Layout.MEDIA_INDEX, Integer.MAX_VALUE, true);
    this.redirects = new Part(Layout.REDIRECTS, Integer.MAX_VALUE, true);
    this.users = new Part(Layout.USERS, Integer.MAX_VALUE, true);
  }

  /**
   * Makes {@code file} anew and opens it, readable and writable by its owner only where the file
   * system has POSIX permissions (a bundle holds every draft, and may hold the accounts' password
   * hashes): created and opened in one step, never through a link put in its place.
   */
  public static OutputStream ownerOnly(Path file) throws IOException {
    Files.deleteIfExists(file);
    java.util.Set<java.nio.file.OpenOption> options =
        java.util.Set.of(
            java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
    if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      return java.nio.channels.Channels.newOutputStream(
          Files.newByteChannel(
              file,
              options,
              java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                  java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"))));
    }
    return java.nio.channels.Channels.newOutputStream(Files.newByteChannel(file, options));
  }

  public static BundleWriter create(Path file, Options options) throws IOException {
    return create(file, options, ProgressListener.NONE);
  }

  public static BundleWriter create(Path file, Options options, ProgressListener progress)
      throws IOException {
    return create(file, options, progress, Limits.DEFAULT);
  }

  /** As above, writing only what a reader with {@code limits} accepts. */
  public static BundleWriter create(
      Path file, Options options, ProgressListener progress, Limits limits) throws IOException {
    return new BundleWriter(file, options, progress, limits);
  }

  public void item(BundleItem item) throws IOException {
    if (items.total >= limits.maxItems()) {
      throw new IOException(
          "the bundle would hold more than " + limits.maxItems() + " items, which readers refuse");
    }
    items.write(item);
    progress.progress("items", items.total, -1);
  }

  public void event(BundleEvent event) throws IOException {
    if (!options.includesHistory()) {
      throw new IllegalStateException("this bundle was created without history");
    }
    events.write(event);
  }

  /**
   * Streams {@code data} into the bundle and returns its entry; a blob whose hash is already stored
   * is not stored again.
   */
  public MediaEntry media(InputStream data, String contentType, String filename)
      throws IOException {
    Path tmp = Files.createTempFile(spool, "media", ".blob");
    try {
      MessageDigest digest = Layout.sha256();
      java.util.zip.CRC32 crc = new java.util.zip.CRC32();
      long size;
      try (OutputStream out =
          new java.util.zip.CheckedOutputStream(
              new DigestOutputStream(Files.newOutputStream(tmp), digest), crc)) {
        size = data.transferTo(out);
      }
      if (size > limits.maxMediaEntryBytes()) {
        throw new IOException(
            "media '"
                + filename
                + "' is "
                + size
                + " bytes, over the "
                + limits.maxMediaEntryBytes()
                + " a reader accepts for one file");
      }
      String hash = Layout.hex(digest.digest());
      MediaEntry entry = new MediaEntry(hash, size, contentType, filename);
      if (mediaStored.add(hash)) {
        try (InputStream in = Files.newInputStream(tmp)) {
          if (alreadyCompressed(contentType) || !deflatesWithinRatio(tmp, size)) {
            // Deflating a JPEG or a video costs time and saves nothing, and a blob that deflates
            // past the reader's ratio would be refused as a zip bomb: stored as it is.
            ZipEntry stored = new ZipEntry(Layout.MEDIA_PREFIX + hash);
            stored.setMethod(ZipEntry.STORED);
            stored.setSize(size);
            stored.setCompressedSize(size);
            stored.setCrc(crc.getValue());
            copyEntry(stored, in);
          } else {
            copyEntry(Layout.MEDIA_PREFIX + hash, in, ZipEntry.DEFLATED);
          }
        }
        mediaBytes += size;
        mediaIndex.write(entry);
        progress.progress("media", mediaStored.size(), -1);
      }
      return entry;
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  public void redirect(Redirect r) throws IOException {
    redirects.write(r);
  }

  /**
   * An account of the site's admin: a bundle with any is written as format {@link
   * Manifest#VERSION_WITH_USERS}, which 1.x readers refuse; one without stays {@link
   * Manifest#VERSION}.
   */
  public void user(BundleUser user) throws IOException {
    if (!usernames.add(user.username())) {
      throw new IOException(Layout.USERS + ": the account '" + user.username() + "' twice");
    }
    users.write(user);
  }

  public void menus(List<Menu> value) {
    this.menus = List.copyOf(value);
  }

  public void settings(Map<String, String> value) {
    this.settings = new TreeMap<>(value);
  }

  /** Writes the record parts and the manifest, and moves the bundle into place. */
  public Manifest finish() throws IOException {
    for (Part p : List.of(items, events, mediaIndex, redirects, users)) {
      p.flushInto();
    }
    writeJson(Layout.MENUS, menus);
    writeJson(Layout.SETTINGS, settings);
    Manifest.Counts counts =
        new Manifest.Counts(
            items.total,
            events.total,
            mediaStored.size(),
            mediaBytes,
            redirects.total,
            menus.size(),
            users.total);
    Manifest manifest =
        new Manifest(
            Manifest.FORMAT,
            users.total > 0 ? Manifest.VERSION_WITH_USERS : Manifest.VERSION,
            options.createdBy(),
            options.clock().instant(),
            options.site(),
            options.includesHistory(),
            counts,
            entries,
            Layout.rootChecksum(entries));
    byte[] manifestBytes = Layout.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest);
    if (manifestBytes.length > limits.maxManifestBytes()) {
      // Readers would refuse it: better no bundle now than one that cannot be imported.
      throw new IOException(
          Layout.MANIFEST
              + ": would be "
              + manifestBytes.length
              + " bytes for "
              + entries.size()
              + " entries, over the "
              + limits.maxManifestBytes()
              + " bytes a reader accepts");
    }
    zip.putNextEntry(new ZipEntry(Layout.MANIFEST));
    zip.write(manifestBytes);
    zip.closeEntry();
    zip.close();
    // On disk before its name is: renamed first, a power loss could leave a truncated bundle
    // under the real name.
    try (java.nio.channels.FileChannel ch =
        java.nio.channels.FileChannel.open(partial, java.nio.file.StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Files.move(
        partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    finished = true;
    deleteSpool();
    return manifest;
  }

  /** Without {@link #finish()}: removes the partial file, leaving nothing behind. */
  @Override
  public void close() throws IOException {
    if (!finished) {
      // Closed before they are deleted: a deleted file still open keeps its disk space, and each
      // failed backup or export kept its spooled parts so until 2026-12-07.
      for (Part p : List.of(items, events, mediaIndex, redirects, users)) {
        p.abandon();
      }
      try {
        zip.close();
      } catch (IOException ignored) {
        // the partial file is deleted next
      }
      Files.deleteIfExists(partial);
      deleteSpool();
    }
  }

  private void writeJson(String name, Object value) throws IOException {
    byte[] bytes = Layout.JSON.writeValueAsBytes(value);
    if (bytes.length > limits.maxLineBytes()) {
      throw new IOException(
          name
              + ": would be "
              + bytes.length
              + " bytes, over the "
              + limits.maxLineBytes()
              + " a reader accepts for it");
    }
    copyEntry(name, new java.io.ByteArrayInputStream(bytes), ZipEntry.DEFLATED);
  }

  /** Types whose bytes are compressed already (images, audio, video, archives, fonts). */
  static boolean alreadyCompressed(String contentType) {
    String t = contentType == null ? "" : contentType.toLowerCase(java.util.Locale.ROOT);
    return (t.startsWith("image/") && !t.equals("image/svg+xml") && !t.equals("image/bmp"))
        || t.startsWith("video/")
        || (t.startsWith("audio/") && !t.equals("audio/wav") && !t.equals("audio/x-wav"))
        || t.equals("application/zip")
        || t.equals("application/gzip")
        || t.equals("application/pdf")
        || t.startsWith("font/woff");
  }

  /** Streams one entry into the zip, recording its size and SHA-256 for the manifest. */
  private void copyEntry(String name, InputStream in, int method) throws IOException {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(method);
    copyEntry(e, in);
  }

  private void copyEntry(ZipEntry e, InputStream in) throws IOException {
    String name = e.getName();
    // The manifest is one more entry.
    if (entries.size() + 2 > limits.maxEntries()) {
      throw new IOException(
          "the bundle would have more than "
              + limits.maxEntries()
              + " entries, which readers refuse (at "
              + name
              + ")");
    }
    zip.putNextEntry(e);
    MessageDigest digest = Layout.sha256();
    byte[] buf = new byte[1 << 16];
    long size = 0;
    int n;
    while ((n = in.read(buf)) > 0) {
      digest.update(buf, 0, n);
      zip.write(buf, 0, n);
      size += n;
    }
    zip.closeEntry();
    entries.add(new Manifest.Entry(name, size, Layout.hex(digest.digest())));
    totalBytes += size;
    if (totalBytes > limits.maxTotalBytes()) {
      throw new IOException(
          "the bundle would hold more than "
              + limits.maxTotalBytes()
              + " bytes, which readers refuse (at "
              + name
              + ")");
    }
  }

  /**
   * Whether {@code file}'s {@code size} bytes deflate no more than the reader's {@code
   * maxCompressionRatio} times (it takes up to that many times an entry's compressed size, and at
   * least {@link BundleReader#RATIO_FLOOR_BYTES}). Deflating stops as soon as the output so far
   * answers it, which for ordinary text is within its first few percent.
   */
  private boolean deflatesWithinRatio(Path file, long size) throws IOException {
    if (size <= BundleReader.RATIO_FLOOR_BYTES) {
      return true;
    }
    Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
    try (InputStream in = Files.newInputStream(file)) {
      byte[] input = new byte[1 << 16];
      byte[] output = new byte[1 << 16];
      long compressed = 0;
      int n;
      while ((n = in.read(input)) > 0) {
        deflater.setInput(input, 0, n);
        while (!deflater.needsInput()) {
          compressed += deflater.deflate(output);
        }
        if (compressed * limits.maxCompressionRatio() >= size) {
          return true;
        }
      }
      deflater.finish();
      while (!deflater.finished()) {
        compressed += deflater.deflate(output);
      }
      return compressed * limits.maxCompressionRatio() >= size;
    } finally {
      deflater.end();
    }
  }

  private void deleteSpool() throws IOException {
    try (var s = Files.list(spool)) {
      for (Path p : s.toList()) {
        Files.deleteIfExists(p);
      }
    }
    Files.deleteIfExists(spool);
  }

  /**
   * JSON Lines spooled to files of at most {@code perPart} records and a quarter of the reader's
   * record entry limit each; {@code single}: one entry of a fixed name (the media index, the
   * redirects), which cannot roll over and is refused past the reader's limit instead.
   */
  private final class Part {
    private final String prefix;
    private final int perPart;
    private final boolean single;
    private final List<Path> files = new ArrayList<>();
    private OutputStream out;
    private long inPart;
    private long bytesInPart;
    long total;

    Part(String prefix, int perPart, boolean single) {
      this.prefix = prefix;
      this.perPart = perPart;
      this.single = single;
    }

    void write(Object record) throws IOException {
      byte[] line = Layout.JSON.writeValueAsBytes(record);
      long length = line.length + 1L;
      long chars = utf16Length(line);
      if (chars > limits.maxLineBytes()) {
        throw new IOException(
            name()
                + ": record "
                + (total + 1)
                + describe(record)
                + " is "
                + chars
                + " characters, over the "
                + limits.maxLineBytes()
                + " a reader accepts for one line");
      }
      if (single && bytesInPart + length > limits.maxRecordEntryBytes()) {
        throw new IOException(
            name()
                + ": would pass the "
                + limits.maxRecordEntryBytes()
                + " bytes a reader accepts for it, at record "
                + (total + 1));
      }
      if (out == null
          || (!single
              && (inPart >= perPart
                  || bytesInPart + length > limits.maxRecordEntryBytes() / PART_SHARE))) {
        if (out != null) {
          out.close();
        }
        Path f = Files.createTempFile(spool, "part", ".jsonl");
        files.add(f);
        out = new BufferedOutputStream(Files.newOutputStream(f), 1 << 16);
        inPart = 0;
        bytesInPart = 0;
      }
      out.write(line);
      out.write('\n');
      inPart++;
      bytesInPart += length;
      total++;
    }

    /** The part's name without its number ({@code content/items}, {@code redirects.jsonl}). */
    private String name() {
      return prefix.endsWith("-") ? prefix.substring(0, prefix.length() - 1) : prefix;
    }

    /** The UTF-16 length of the UTF-8 text {@code utf8}: what the reader counts a line in. */
    private static long utf16Length(byte[] utf8) {
      long n = 0;
      for (byte b : utf8) {
        if ((b & 0xC0) != 0x80) {
          n += (b & 0xF8) == 0xF0 ? 2 : 1;
        }
      }
      return n;
    }

    private static String describe(Object record) {
      if (record instanceof BundleItem i) {
        return " (item " + i.id() + ", '" + i.slug() + "')";
      }
      if (record instanceof BundleEvent e) {
        return " (item " + e.itemId() + ", revision " + e.revision() + ")";
      }
      return "";
    }

    /** Closes the file being written, if any; what it held is deleted with the spool. */
    void abandon() {
      if (out != null) {
        try {
          out.close();
        } catch (IOException ignored) {
          // nothing written to it is kept
        }
        out = null;
      }
    }

    void flushInto() throws IOException {
      if (out != null) {
        out.close();
        out = null;
      }
      for (int i = 0; i < files.size(); i++) {
        String name = prefix.endsWith(".jsonl") ? prefix : Layout.part(prefix, i + 1);
        Path f = files.get(i);
        long size = Files.size(f);
        if (deflatesWithinRatio(f, size)) {
          try (InputStream in = Files.newInputStream(f)) {
            copyEntry(name, in, ZipEntry.DEFLATED);
          }
        } else {
          java.util.zip.CRC32 crc = new java.util.zip.CRC32();
          try (InputStream in =
              new java.util.zip.CheckedInputStream(Files.newInputStream(f), crc)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
          }
          ZipEntry stored = new ZipEntry(name);
          stored.setMethod(ZipEntry.STORED);
          stored.setSize(size);
          stored.setCompressedSize(size);
          stored.setCrc(crc.getValue());
          try (InputStream in = Files.newInputStream(f)) {
            copyEntry(stored, in);
          }
        }
        Files.delete(files.get(i));
      }
      files.clear();
    }
  }
}
