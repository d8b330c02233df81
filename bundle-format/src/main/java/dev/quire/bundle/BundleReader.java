package dev.quire.bundle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads a bundle. {@link #verify} checks everything (names, limits, sizes, checksums, the root
 * checksum, every record's schema and the references between records) before a caller writes
 * anything; the {@code forEach...} methods then stream the records for an import. Entry names are
 * only ever compared with the layout's names, never turned into paths.
 */
public final class BundleReader implements AutoCloseable {

  /**
   * An entry may inflate to {@code maxCompressionRatio} times its compressed size, and to at least
   * this many bytes (a tiny entry's ratio says nothing).
   */
  static final long RATIO_FLOOR_BYTES = 64 * 1024;

  /** The longest redirect path, in characters: what Quire's redirect table takes. */
  public static final int MAX_PATH = 2000;

  /** What a verified bundle holds. */
  public record VerifyReport(Manifest manifest, long entries, long uncompressedBytes) {}

  @FunctionalInterface
  public interface RecordConsumer<T> {
    void accept(T record) throws IOException, BundleException;
  }

  private final ZipFile zip;
  private final Limits limits;
  private final Manifest manifest;
  private boolean verified;

  private BundleReader(ZipFile zip, Limits limits, Manifest manifest) {
    this.zip = zip;
    this.limits = limits;
    this.manifest = manifest;
  }

  /** Opens the file and reads its manifest; refuses a newer major version or a foreign file. */
  public static BundleReader open(Path file, Limits limits) throws IOException, BundleException {
    checkDirectory(file, limits);
    ZipFile zip;
    try {
      zip = new ZipFile(file.toFile(), StandardCharsets.UTF_8);
    } catch (ZipException e) {
      throw new BundleException(
          null,
          file + " is not a readable bundle (truncated or not a zip file): " + e.getMessage());
    }
    try {
      if (zip.size() > limits.maxEntries()) {
        throw new BundleException(
            null,
            "the bundle has "
                + zip.size()
                + " entries, more than the limit of "
                + limits.maxEntries());
      }
      ZipEntry m = zip.getEntry(Layout.MANIFEST);
      if (m == null) {
        throw new BundleException(
            Layout.MANIFEST, "missing: this is not a Quire bundle, or it is truncated");
      }
      Manifest manifest;
      // Its entries counted first, as it streams by, against the entries the zip holds: 64 MB of
      // "{}," made 22 million records, ~700 MB of heap, before any check could refuse them.
      try (InputStream in =
          bounded(zip, m, limits.maxManifestBytes(), limits.maxCompressionRatio())) {
        long listed = countEntries(in);
        if (listed > zip.size()) {
          throw new BundleException(
              Layout.MANIFEST, "lists " + listed + " entries; the bundle holds " + zip.size());
        }
      } catch (JsonProcessingException e) {
        throw new BundleException(Layout.MANIFEST, "not valid JSON: " + e.getOriginalMessage());
      } catch (LimitExceeded over) {
        // A problem of the bundle, as any entry's (exit 2), not a failure to read the file.
        throw new BundleException(
            Layout.MANIFEST, over.getMessage().substring(Layout.MANIFEST.length() + 2));
      }
      // Parsed as it inflates (not read into a byte array first), within its own limit.
      try (InputStream in =
          bounded(zip, m, limits.maxManifestBytes(), limits.maxCompressionRatio())) {
        manifest = Layout.JSON.readValue(in, Manifest.class);
      } catch (JsonProcessingException e) {
        throw new BundleException(Layout.MANIFEST, "not valid JSON: " + e.getOriginalMessage());
      } catch (LimitExceeded over) {
        throw new BundleException(
            Layout.MANIFEST, over.getMessage().substring(Layout.MANIFEST.length() + 2));
      }
      checkVersion(manifest);
      return new BundleReader(zip, limits, manifest);
    } catch (IOException | BundleException | RuntimeException e) {
      zip.close();
      throw e;
    }
  }

  /**
   * Refuses, before the zip library reads it, a central directory (the list of entries, read into
   * one array when the file is opened) of more entries than {@code maxEntries} or more bytes than
   * {@code maxDirectoryBytes}: the entry count was checked only once the library had read it whole,
   * so a bundle of mostly directory (200 MB, within the import limit) could run a 256 MB heap out
   * first. Read from the end of central directory record (and its ZIP64 form); a file without one
   * is left to the library.
   */
  static void checkDirectory(Path file, Limits limits) throws IOException, BundleException {
    try (var ch = java.nio.channels.FileChannel.open(file)) {
      long size = ch.size();
      int tail = (int) Math.min(size, END_MAX);
      java.nio.ByteBuffer b =
          java.nio.ByteBuffer.allocate(tail).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      ch.read(b, size - tail);
      // Every candidate in the tail: a zip library passes over one that does not check out and
      // looks further back, so a made-up record in the real one's comment must not be the only
      // one checked.
      for (int end = tail - END_SIZE; end >= 0; end--) {
        if (b.getInt(end) != END_SIG) {
          continue;
        }
        long entries = b.getShort(end + 10) & 0xFFFFL;
        long bytes = b.getInt(end + 12) & 0xFFFFFFFFL;
        long at = size - tail + end - ZIP64_LOCATOR_SIZE;
        if ((entries == 0xFFFFL || bytes == 0xFFFFFFFFL) && at >= 0) {
          java.nio.ByteBuffer locator =
              java.nio.ByteBuffer.allocate(ZIP64_LOCATOR_SIZE)
                  .order(java.nio.ByteOrder.LITTLE_ENDIAN);
          ch.read(locator, at);
          if (locator.getInt(0) == ZIP64_LOCATOR_SIG) {
            long zip64 = locator.getLong(8);
            java.nio.ByteBuffer z =
                java.nio.ByteBuffer.allocate(ZIP64_END_SIZE)
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN);
            if (zip64 >= 0 && zip64 + ZIP64_END_SIZE <= size) {
              ch.read(z, zip64);
              if (z.getInt(0) == ZIP64_END_SIG) {
                entries = z.getLong(32);
                bytes = z.getLong(40);
              }
            }
          }
        }
        checkDirectory(entries, bytes, limits);
      }
    }
  }

  private static void checkDirectory(long entries, long bytes, Limits limits)
      throws BundleException {
    if (entries > limits.maxEntries() || entries < 0) {
      throw new BundleException(
          null,
          "the bundle's directory lists "
              + Long.toUnsignedString(entries)
              + " entries, more than the limit of "
              + limits.maxEntries());
    }
    if (bytes > limits.maxDirectoryBytes() || bytes < 0) {
      throw new BundleException(
          null,
          "the bundle's directory is "
              + Long.toUnsignedString(bytes)
              + " bytes, more than the limit of "
              + limits.maxDirectoryBytes());
    }
  }

  private static final int END_SIG = 0x06054b50;
  private static final int END_SIZE = 22;
  private static final int END_MAX = END_SIZE + 0xFFFF; // the record and the longest comment
  private static final int ZIP64_LOCATOR_SIG = 0x07064b50;
  private static final int ZIP64_LOCATOR_SIZE = 20;
  private static final int ZIP64_END_SIG = 0x06064b50;
  private static final int ZIP64_END_SIZE = 56;

  private static void checkVersion(Manifest m) throws BundleException {
    if (!Manifest.FORMAT.equals(m.format())) {
      throw new BundleException(
          Layout.MANIFEST, "field 'format': '" + m.format() + "' is not " + Manifest.FORMAT);
    }
    String v = m.formatVersion() == null ? "" : m.formatVersion();
    // Both numbers: "1.banana" was read as 1.
    if (!v.matches("\\d{1,9}\\.\\d{1,9}")) {
      throw new BundleException(
          Layout.MANIFEST, "field 'formatVersion': '" + v + "' is not MAJOR.MINOR");
    }
    int major = Integer.parseInt(v.substring(0, v.indexOf('.')));
    if (major > Manifest.MAJOR) {
      throw new BundleException(
          Layout.MANIFEST,
          "bundle format "
              + v
              + " is newer than this reader ("
              + Manifest.MAJOR
              + ".x); upgrade Quire to read it");
    }
    if (major < 1) {
      throw new BundleException(Layout.MANIFEST, "field 'formatVersion': unknown version " + v);
    }
  }

  public Manifest manifest() {
    return manifest;
  }

  private static int major(Manifest m) {
    return Integer.parseInt(m.formatVersion().substring(0, m.formatVersion().indexOf('.')));
  }

  /**
   * Checks the whole bundle; throws on the first problem, naming the entry (and line). Reads every
   * byte once, in bounded memory (the sets of item ids and media hashes are the only state that
   * grows, bounded by {@link Limits#maxItems()}).
   */
  public VerifyReport verify(ProgressListener progress) throws IOException, BundleException {
    Map<String, Manifest.Entry> listed = new LinkedHashMap<>();
    for (Manifest.Entry e : manifest.entries()) {
      if (e.name() == null
          || !Layout.VALID_NAME.matcher(e.name()).matches()
          || e.name().equals(Layout.MANIFEST)) {
        throw new BundleException(
            Layout.MANIFEST, "lists an invalid entry name '" + e.name() + "'");
      }
      if (listed.put(e.name(), e) != null) {
        throw new BundleException(Layout.MANIFEST, "lists '" + e.name() + "' twice");
      }
    }
    // Every entry in the zip: a known name, listed in the manifest.
    Enumeration<? extends ZipEntry> all = zip.entries();
    Set<String> present = new HashSet<>();
    while (all.hasMoreElements()) {
      ZipEntry z = all.nextElement();
      String name = z.getName();
      if (!Layout.VALID_NAME.matcher(name).matches()) {
        throw new BundleException(
            name, "not a name a bundle may contain (entry names are never used as paths)");
      }
      if (!present.add(name)) {
        throw new BundleException(name, "appears twice in the zip");
      }
      if (name.equals(Layout.USERS) && major(manifest) < 2) {
        throw new BundleException(
            name,
            "holds accounts, which format 2.0 brought, in a bundle that says format "
                + manifest.formatVersion());
      }
      if (!name.equals(Layout.MANIFEST) && !listed.containsKey(name)) {
        throw new BundleException(name, "is in the zip but not listed in the manifest");
      }
    }
    for (String name : listed.keySet()) {
      if (!present.contains(name)) {
        throw new BundleException(name, "is listed in the manifest but missing from the zip");
      }
    }
    String root = Layout.rootChecksum(manifest.entries());
    if (!root.equals(manifest.rootChecksum())) {
      throw new BundleException(
          Layout.MANIFEST,
          "field 'rootChecksum' does not match the entries it lists (the manifest was altered)");
    }
    long declaredTotal = 0;
    for (Manifest.Entry e : manifest.entries()) {
      // A negative size would pull the total under its limit (and overflow the sum).
      if (e.size() < 0) {
        throw new BundleException(
            Layout.MANIFEST, "entry " + e.name() + ": field 'size' is negative (" + e.size() + ")");
      }
      if (e.size() > Long.MAX_VALUE - declaredTotal) {
        throw new BundleException(Layout.MANIFEST, "the entries' sizes add up past any limit");
      }
      declaredTotal += e.size();
    }
    if (declaredTotal > limits.maxTotalBytes()) {
      throw new BundleException(
          null,
          "the bundle unpacks to "
              + declaredTotal
              + " bytes, more than the limit of "
              + limits.maxTotalBytes());
    }
    // Sizes and checksums of every entry; records are parsed in the same pass, media first so that
    // items can be checked against them, items before their history.
    Checker checker = new Checker();
    long done = 0;
    List<String> order = new ArrayList<>(listed.keySet());
    order.sort(
        (a, b) ->
            Integer.compare(rank(a), rank(b)) != 0
                ? Integer.compare(rank(a), rank(b))
                : a.compareTo(b));
    for (String name : order) {
      Manifest.Entry e = listed.get(name);
      checkEntry(e, checker);
      progress.progress("verify", ++done, order.size());
    }
    checker.finish();
    verified = true;
    return new VerifyReport(manifest, listed.size(), declaredTotal);
  }

  private static int rank(String name) {
    if (name.equals(Layout.MEDIA_INDEX)) {
      return 0;
    }
    if (Layout.isMediaBlob(name)) {
      return 1;
    }
    if (name.startsWith(Layout.ITEMS_PREFIX)) {
      return 2;
    }
    if (name.startsWith(Layout.EVENTS_PREFIX)) {
      return 3;
    }
    return 4;
  }

  private void checkEntry(Manifest.Entry e, Checker checker) throws IOException, BundleException {
    ZipEntry z = zip.getEntry(e.name());
    long limit =
        Layout.isMediaBlob(e.name()) ? limits.maxMediaEntryBytes() : limits.maxRecordEntryBytes();
    if (e.size() > limit) {
      throw new BundleException(
          e.name(), "is " + e.size() + " bytes, more than the limit of " + limit);
    }
    MessageDigest digest = Layout.sha256();
    long size = 0;
    try (InputStream raw = bounded(zip, z, limit)) {
      InputStream in = new java.security.DigestInputStream(raw, digest);
      if (Layout.isMediaBlob(e.name())) {
        size = in.transferTo(OutputStreamSink.INSTANCE);
      } else {
        CountingStream counting = new CountingStream(in);
        checker.records(e.name(), counting);
        size = counting.count;
      }
    } catch (LimitExceeded over) {
      throw new BundleException(e.name(), over.getMessage().substring(e.name().length() + 2));
    } catch (ZipException | java.io.EOFException bad) {
      throw new BundleException(e.name(), "is corrupt or truncated: " + bad.getMessage());
    }
    if (size != e.size()) {
      throw new BundleException(
          e.name(),
          "is " + size + " bytes, the manifest says " + e.size() + " (truncated or altered)");
    }
    String sha = Layout.hex(digest.digest());
    if (!sha.equals(e.sha256())) {
      throw new BundleException(
          e.name(), "SHA-256 does not match the manifest (the entry was altered)");
    }
    if (Layout.isMediaBlob(e.name())) {
      String hash = e.name().substring(Layout.MEDIA_PREFIX.length());
      if (!hash.equals(sha)) {
        throw new BundleException(e.name(), "content does not hash to its name");
      }
      checker.blob(hash, size);
    }
  }

  /** Per-record checks and cross-references, fed entry by entry in {@link #rank} order. */
  private final class Checker {
    final Map<String, Long> mediaIndexed = new HashMap<>();
    final Set<String> blobs = new HashSet<>();
    final Map<String, Long> itemRevisions = new HashMap<>();
    final Map<String, Long> lastEventRevision = new HashMap<>();
    final Set<String> slugs = new HashSet<>();
    final Set<String> usernames = new HashSet<>();
    final Set<String> tokenIds = new HashSet<>();
    long users;
    long items;
    long events;
    long redirects;
    long menus;

    void records(String name, InputStream in) throws IOException, BundleException {
      if (name.equals(Layout.MENUS)) {
        List<Menu> list = parse(name, 0, readSmall(name, in), new TypeReference<List<Menu>>() {});
        for (Menu m : list) {
          require(name, 0, m.name() != null && !m.name().isBlank(), "menu 'name' is missing");
          for (Menu.Link l : m.links()) {
            require(
                name, 0, l.label() != null && l.url() != null, "a link needs 'label' and 'url'");
          }
        }
        menus = list.size();
        return;
      }
      if (name.equals(Layout.SETTINGS)) {
        parse(name, 0, readSmall(name, in), new TypeReference<Map<String, String>>() {});
        return;
      }
      forEachLine(
          name,
          in,
          (line, text) -> {
            if (name.equals(Layout.MEDIA_INDEX)) {
              MediaEntry m = parse(name, line, text, MediaEntry.class);
              require(
                  name,
                  line,
                  m.sha256() != null && Layout.SHA256.matcher(m.sha256()).matches(),
                  "field 'sha256': not a SHA-256 hex digest");
              require(name, line, m.size() >= 0, "field 'size': negative");
              // Each file listed is an entry of its own: no more can be listed than the bundle
              // holds (a 256 MiB index of made-up digests: ~3 million, ~450 MB of heap by
              // estimate).
              require(
                  name,
                  line,
                  mediaIndexed.containsKey(m.sha256()) || mediaIndexed.size() < zip.size(),
                  "lists more media files than the bundle's " + zip.size() + " entries");
              mediaIndexed.put(m.sha256(), m.size());
            } else if (name.startsWith(Layout.ITEMS_PREFIX)) {
              item(name, line, parse(name, line, text, BundleItem.class));
            } else if (name.startsWith(Layout.EVENTS_PREFIX)) {
              event(name, line, parse(name, line, text, BundleEvent.class));
            } else if (name.equals(Layout.USERS)) {
              user(name, line, parse(name, line, text, BundleUser.class));
            } else if (name.equals(Layout.REDIRECTS)) {
              Redirect r = parse(name, line, text, Redirect.class);
              requirePath(name, line, "from", r.from());
              requirePath(name, line, "to", r.to());
              require(
                  name,
                  line,
                  !r.from().equals(r.to()),
                  "field 'to': '" + r.to() + "' is the same as 'from': it would loop");
              require(
                  name,
                  line,
                  r.status() == 301 || r.status() == 302 || r.status() == 307 || r.status() == 308,
                  "field 'status': " + r.status() + " is not 301, 302, 307 or 308");
              redirects++;
            }
          });
    }

    /** The blobs' bytes, for {@code counts.mediaBytes}. */
    private long blobBytes;

    void blob(String hash, long size) throws BundleException {
      Long indexed = mediaIndexed.get(hash);
      if (indexed == null) {
        throw new BundleException(Layout.MEDIA_PREFIX + hash, "is not in " + Layout.MEDIA_INDEX);
      }
      if (indexed != size) {
        throw new BundleException(
            Layout.MEDIA_INDEX,
            "gives " + hash + " a size of " + indexed + ", the blob has " + size);
      }
      blobs.add(hash);
      blobBytes += size;
    }

    void item(String name, long line, BundleItem i) throws BundleException {
      require(name, line, i.id() != null && !i.id().isBlank(), "field 'id': missing");
      require(
          name,
          line,
          Layout.ITEM_ID.matcher(i.id()).matches(),
          "field 'id': '"
              + (i.id().length() > 80 ? i.id().substring(0, 80) + "..." : i.id())
              + "' is not an item id (letters, digits and '-', at most 64)");
      require(
          name,
          line,
          i.kind() != null && BundleItem.KINDS.contains(i.kind()),
          "field 'kind': '" + i.kind() + "' is not one of " + BundleItem.KINDS);
      require(
          name,
          line,
          i.status() != null && BundleItem.STATUSES.contains(i.status()),
          "field 'status': '" + i.status() + "' is not one of " + BundleItem.STATUSES);
      require(name, line, i.revision() >= 1, "field 'revision': must be 1 or more");
      require(name, line, i.title() != null && !i.title().isBlank(), "field 'title': missing");
      require(
          name,
          line,
          i.slug() != null && Layout.SLUG.matcher(i.slug()).matches(),
          "field 'slug': '" + i.slug() + "' is not lower-case words joined by '-'");
      require(
          name,
          line,
          slugs.add(i.slug()),
          "field 'slug': '" + i.slug() + "' is used by another item");
      for (String a : i.aliases()) {
        require(
            name,
            line,
            Layout.SLUG.matcher(a).matches(),
            "field 'aliases': '" + a + "' is not a slug");
      }
      for (String h : i.media()) {
        require(
            name,
            line,
            mediaIndexed.containsKey(h),
            "field 'media': " + h + " is not in the bundle");
      }
      require(
          name,
          line,
          itemRevisions.put(i.id(), i.revision()) == null,
          "field 'id': " + i.id() + " appears twice");
      items++;
      if (items > limits.maxItems()) {
        throw new BundleException(name, line, "more than " + limits.maxItems() + " items");
      }
    }

    void user(String name, long line, BundleUser u) throws BundleException {
      require(
          name,
          line,
          u.username() != null && BundleUser.USERNAME.matcher(u.username()).matches(),
          "field 'username': not 1-64 of a-z 0-9 . - _ starting with a letter or digit");
      require(
          name, line, usernames.add(u.username()), "field 'username': " + u.username() + " twice");
      require(
          name,
          line,
          usernames.size() <= limits.maxItems(),
          "more than " + limits.maxItems() + " accounts");
      require(
          name,
          line,
          u.displayName() == null
              || (u.displayName().length() <= BundleUser.MAX_DISPLAY_NAME
                  && u.displayName().chars().noneMatch(Character::isISOControl)),
          "field 'displayName': longer than "
              + BundleUser.MAX_DISPLAY_NAME
              + " characters, or control characters");
      require(name, line, u.disabled() != null, "field 'disabled': missing");
      require(
          name,
          line,
          u.role() != null && BundleUser.ROLES.contains(u.role()),
          "field 'role': '" + u.role() + "' is not one of " + BundleUser.ROLES);
      // Never the value in the message: it is a password's hash.
      require(
          name,
          line,
          u.passwordHash() != null
              && u.passwordHash().length() <= BundleUser.MAX_HASH
              && BundleUser.PASSWORD_HASH.matcher(u.passwordHash()).matches(),
          "field 'passwordHash': not an Argon2id hash in PHC form ($argon2id$v=..$m=..,t=..,p=..$salt$hash)");
      for (BundleUser.Token t : u.tokens()) {
        require(
            name,
            line,
            t.id() != null && BundleUser.Token.ID.matcher(t.id()).matches(),
            "field 'tokens.id': not 16 hex digits");
        require(name, line, tokenIds.add(t.id()), "field 'tokens.id': " + t.id() + " twice");
        require(
            name,
            line,
            u.tokens().size() <= BundleUser.MAX_TOKENS,
            "field 'tokens': more than " + BundleUser.MAX_TOKENS + " tokens");
        require(
            name,
            line,
            t.secretHash() != null && Layout.SHA256.matcher(t.secretHash()).matches(),
            "field 'tokens.secretHash': not a SHA-256 hex digest");
        require(
            name,
            line,
            t.name() != null
                && !t.name().isBlank()
                && t.name().length() <= BundleUser.MAX_TOKEN_NAME
                && t.name().chars().noneMatch(Character::isISOControl),
            "field 'tokens.name': 1 to "
                + BundleUser.MAX_TOKEN_NAME
                + " characters, none of them control characters");
        require(name, line, t.createdAt() != null, "field 'tokens.createdAt': missing");
        require(
            name,
            line,
            t.createdBy() == null || t.createdBy().length() <= Layout.MAX_ACTOR,
            "field 'tokens.createdBy': longer than " + Layout.MAX_ACTOR + " characters");
      }
      users++;
    }

    void event(String name, long line, BundleEvent e) throws BundleException {
      require(
          name,
          line,
          manifest.includesHistory(),
          "history in a bundle whose manifest says includesHistory=false");
      require(
          name,
          line,
          e.itemId() != null && itemRevisions.containsKey(e.itemId()),
          "field 'itemId': " + e.itemId() + " is not an item of this bundle");
      require(
          name,
          line,
          e.type() != null && BundleEvent.TYPES.contains(e.type()),
          "field 'type': '" + e.type() + "' is not one of " + BundleEvent.TYPES);
      require(name, line, e.at() != null, "field 'at': missing");
      require(
          name,
          line,
          e.actor() == null || e.actor().length() <= Layout.MAX_ACTOR,
          "field 'actor': longer than " + Layout.MAX_ACTOR + " characters");
      long last = lastEventRevision.getOrDefault(e.itemId(), 0L);
      require(
          name,
          line,
          e.revision() == last + 1,
          "field 'revision': "
              + e.revision()
              + " follows "
              + last
              + " for item "
              + e.itemId()
              + " (revisions run 1, 2, 3, ...)");
      lastEventRevision.put(e.itemId(), e.revision());
      if (e.type().equals("created")) {
        require(name, line, e.revision() == 1, "field 'type': 'created' must be revision 1");
        require(
            name,
            line,
            e.kind() != null && BundleItem.KINDS.contains(e.kind()),
            "field 'kind': missing or unknown on 'created'");
      }
      if (e.type().equals("created") || e.type().equals("edited")) {
        require(name, line, e.fields() != null, "field 'fields': missing on '" + e.type() + "'");
        require(
            name,
            line,
            e.fields().slug() != null && Layout.SLUG.matcher(e.fields().slug()).matches(),
            "field 'fields.slug': not a slug");
      }
      if (e.type().equals("scheduled")) {
        require(name, line, e.publishAt() != null, "field 'publishAt': missing on 'scheduled'");
      }
      if (e.revertedTo() != null) {
        require(
            name,
            line,
            e.type().equals("edited") && e.revertedTo() >= 1 && e.revertedTo() < e.revision(),
            "field 'revertedTo': "
                + e.revertedTo()
                + " must be an earlier revision, on an 'edited' event");
      }
      events++;
    }

    void finish() throws BundleException {
      for (String h : mediaIndexed.keySet()) {
        if (!blobs.contains(h)) {
          throw new BundleException(
              Layout.MEDIA_INDEX, "lists " + h + " but the bundle has no such blob");
        }
      }
      if (manifest.includesHistory()) {
        for (var e : itemRevisions.entrySet()) {
          long last = lastEventRevision.getOrDefault(e.getKey(), 0L);
          if (last != e.getValue()) {
            throw new BundleException(
                null,
                "the history of item "
                    + e.getKey()
                    + " ends at revision "
                    + last
                    + " but the item is at revision "
                    + e.getValue());
          }
        }
      }
      Manifest.Counts c = manifest.counts();
      if (c == null) {
        throw new BundleException(Layout.MANIFEST, "field 'counts': missing");
      }
      count("items", c.items(), items);
      count("events", c.events(), events);
      count("media", c.media(), blobs.size());
      count("mediaBytes", c.mediaBytes(), blobBytes);
      count("redirects", c.redirects(), redirects);
      count("menus", c.menus(), menus);
      count("users", c.users(), users);
    }

    private void count(String field, long declared, long actual) throws BundleException {
      if (declared != actual) {
        throw new BundleException(
            Layout.MANIFEST,
            "field 'counts." + field + "': says " + declared + ", the bundle holds " + actual);
      }
    }
  }

  // ---- streaming the records (after verify) ----

  public void forEachItem(RecordConsumer<BundleItem> consumer) throws IOException, BundleException {
    forEachRecord(Layout.ITEMS_PREFIX, BundleItem.class, consumer);
  }

  public void forEachEvent(RecordConsumer<BundleEvent> consumer)
      throws IOException, BundleException {
    forEachRecord(Layout.EVENTS_PREFIX, BundleEvent.class, consumer);
  }

  public void forEachMedia(RecordConsumer<MediaEntry> consumer)
      throws IOException, BundleException {
    forEachRecord(Layout.MEDIA_INDEX, MediaEntry.class, consumer);
  }

  /** The admin's accounts (format 2.x); none in a bundle without them. */
  public void forEachUser(RecordConsumer<BundleUser> consumer) throws IOException, BundleException {
    forEachRecord(Layout.USERS, BundleUser.class, consumer);
  }

  public List<Redirect> redirects() throws IOException, BundleException {
    List<Redirect> out = new ArrayList<>();
    forEachRecord(Layout.REDIRECTS, Redirect.class, out::add);
    return out;
  }

  public List<Menu> menus() throws IOException, BundleException {
    return readJson(Layout.MENUS, new TypeReference<List<Menu>>() {}, List.of());
  }

  public Map<String, String> settings() throws IOException, BundleException {
    return readJson(Layout.SETTINGS, new TypeReference<Map<String, String>>() {}, Map.of());
  }

  /** The blob's bytes; the stream fails at its end if they do not hash to {@code sha256}. */
  public InputStream openMedia(String sha256) throws IOException, BundleException {
    requireVerified();
    if (sha256 == null || !Layout.SHA256.matcher(sha256).matches()) {
      throw new BundleException(null, "'" + sha256 + "' is not a SHA-256 hex digest");
    }
    String name = Layout.MEDIA_PREFIX + sha256;
    ZipEntry z = zip.getEntry(name);
    if (z == null) {
      throw new BundleException(name, "missing");
    }
    MessageDigest digest = Layout.sha256();
    InputStream in =
        new java.security.DigestInputStream(bounded(zip, z, limits.maxMediaEntryBytes()), digest);
    return new FilterInputStream(in) {
      private boolean checked;

      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b < 0) {
          check();
        }
        return b;
      }

      @Override
      public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        if (n < 0) {
          check();
        }
        return n;
      }

      private void check() throws IOException {
        if (!checked) {
          checked = true;
          if (!Layout.hex(digest.digest()).equals(sha256)) {
            throw new IOException(name + ": content changed since it was verified");
          }
        }
      }
    };
  }

  private <T> void forEachRecord(String prefix, Class<T> type, RecordConsumer<T> consumer)
      throws IOException, BundleException {
    requireVerified();
    List<String> names = new ArrayList<>();
    for (Manifest.Entry e : manifest.entries()) {
      if (e.name().startsWith(prefix)) {
        names.add(e.name());
      }
    }
    names.sort(String::compareTo);
    for (String name : names) {
      try (InputStream in = bounded(zip, zip.getEntry(name), limits.maxRecordEntryBytes())) {
        forEachLine(name, in, (line, text) -> consumer.accept(parse(name, line, text, type)));
      }
    }
  }

  private <T> T readJson(String name, TypeReference<T> type, T absent)
      throws IOException, BundleException {
    requireVerified();
    ZipEntry z = zip.getEntry(name);
    if (z == null) {
      return absent;
    }
    try (InputStream in = bounded(zip, z, limits.maxRecordEntryBytes())) {
      return parse(name, 0, readSmall(name, in), type);
    }
  }

  private void requireVerified() {
    if (!verified) {
      throw new IllegalStateException("verify() the bundle before reading its records");
    }
  }

  // ---- bounded reading ----

  /** How many elements the manifest's top-level "entries" array has, read without keeping them. */
  private static long countEntries(InputStream in) throws IOException {
    try (com.fasterxml.jackson.core.JsonParser p = Layout.JSON.getFactory().createParser(in)) {
      if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
        return 0;
      }
      long count = 0;
      while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
        String field = p.currentName();
        com.fasterxml.jackson.core.JsonToken value = p.nextToken();
        if ("entries".equals(field) && value == com.fasterxml.jackson.core.JsonToken.START_ARRAY) {
          while (p.nextToken() != com.fasterxml.jackson.core.JsonToken.END_ARRAY) {
            count++;
            p.skipChildren();
          }
        } else {
          p.skipChildren();
        }
      }
      return count;
    }
  }

  private interface LineConsumer {
    void accept(long line, String text) throws IOException, BundleException;
  }

  private void forEachLine(String name, InputStream in, LineConsumer consumer)
      throws IOException, BundleException {
    // Bytes that are not UTF-8 are refused, naming the line, not read as U+FFFD.
    BufferedReader r = new BufferedReader(new InputStreamReader(in, strictUtf8()), 1 << 16);
    long line = 0;
    StringBuilder sb = new StringBuilder();
    int c;
    while (true) {
      sb.setLength(0);
      while ((c = read(r, name, line + 1)) >= 0 && c != '\n') {
        if (sb.length() >= limits.maxLineBytes()) {
          throw new BundleException(
              name, line + 1, "a record longer than " + limits.maxLineBytes() + " characters");
        }
        sb.append((char) c);
      }
      if (c < 0 && sb.length() == 0) {
        return;
      }
      line++;
      if (sb.length() > 0) {
        consumer.accept(line, sb.toString());
      }
      if (c < 0) {
        return;
      }
    }
  }

  private static java.nio.charset.CharsetDecoder strictUtf8() {
    return StandardCharsets.UTF_8
        .newDecoder()
        .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
  }

  private static int read(BufferedReader r, String name, long line)
      throws IOException, BundleException {
    try {
      return r.read();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new BundleException(name, line, "is not UTF-8 text");
    }
  }

  private String readSmall(String name, InputStream in) throws IOException, BundleException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    int n;
    while ((n = in.read(buf)) > 0) {
      out.write(buf, 0, n);
      if (out.size() > limits.maxLineBytes()) {
        throw new BundleException(name, "larger than " + limits.maxLineBytes() + " bytes");
      }
    }
    try {
      return strictUtf8().decode(java.nio.ByteBuffer.wrap(out.toByteArray())).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new BundleException(name, "is not UTF-8 text");
    }
  }

  private static <T> T parse(String name, long line, String text, Class<T> type)
      throws BundleException {
    try {
      return Layout.JSON.readValue(text, type);
    } catch (JsonProcessingException e) {
      // The parser quotes what it could not read: for an account, that may be a hash.
      throw new BundleException(
          name,
          line,
          "not a valid record"
              + (name.equals(Layout.USERS)
                  ? (e.getLocation() == null
                      ? ""
                      : " (at column " + e.getLocation().getColumnNr() + ")")
                  : ": " + e.getOriginalMessage()));
    }
  }

  private static <T> T parse(String name, long line, String text, TypeReference<T> type)
      throws BundleException {
    try {
      return Layout.JSON.readValue(text, type);
    } catch (JsonProcessingException e) {
      throw new BundleException(name, line, "not valid JSON: " + e.getOriginalMessage());
    }
  }

  private static void require(String name, long line, boolean ok, String message)
      throws BundleException {
    if (!ok) {
      throw new BundleException(name, line, message);
    }
  }

  /**
   * A path on the site, as Quire's redirect table takes it (SPEC.md, "Redirect"): at most {@link
   * #MAX_PATH} characters, one {@code /} first and no {@code //} before a query (no scheme or
   * host), no backslash (browsers read {@code /\} as {@code //}), space or control character.
   * Verify once passed paths the import then refused ({@code /a//b}, a space, a redirect to
   * itself).
   */
  private static void requirePath(String name, long line, String field, String path)
      throws BundleException {
    require(name, line, path != null && !path.isEmpty(), "field '" + field + "': missing");
    require(
        name,
        line,
        path.length() <= MAX_PATH,
        "field '" + field + "': " + path.length() + " characters; at most " + MAX_PATH);
    int query = path.indexOf('?');
    require(
        name,
        line,
        path.charAt(0) == '/' && !(query < 0 ? path : path.substring(0, query)).contains("//"),
        "field '"
            + field
            + "': '"
            + path
            + "' is not a path on this site (must start with one '/', with no '//')");
    int bad = 0;
    while (bad < path.length()
        && path.charAt(bad) > 0x20
        && path.charAt(bad) != 0x7f
        && path.charAt(bad) != '\\') {
      bad++;
    }
    require(
        name,
        line,
        bad == path.length(),
        "field '" + field + "': a space, backslash or control character at position " + (bad + 1));
  }

  /**
   * The entry's decompressed bytes, cut off at {@code limit} and at {@code maxCompressionRatio}
   * times its compressed size: the real size is counted as it is read, never taken from the header.
   */
  private InputStream bounded(ZipFile zip, ZipEntry z, long limit) throws IOException {
    return bounded(zip, z, limit, limits.maxCompressionRatio());
  }

  private static InputStream bounded(ZipFile zip, ZipEntry z, long limit, int ratio)
      throws IOException {
    long compressed = Math.max(z.getCompressedSize(), 1);
    long byRatio =
        z.getMethod() == ZipEntry.STORED ? limit : Math.max(compressed * ratio, RATIO_FLOOR_BYTES);
    long cap = Math.min(limit, byRatio);
    String why =
        cap == limit
            ? "the size limit of " + limit + " bytes"
            : "a compression ratio of " + ratio + ":1 (a zip bomb?)";
    return new FilterInputStream(zip.getInputStream(z)) {
      long read;

      private void count(long n) throws IOException {
        read += n;
        if (read > cap) {
          throw new LimitExceeded(z.getName() + ": inflates past " + why);
        }
      }

      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          count(1);
        }
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
          count(n);
        }
        return n;
      }
    };
  }

  /** An entry went past a limit while being read. */
  static final class LimitExceeded extends IOException {
    LimitExceeded(String message) {
      super(message);
    }
  }

  private static final class CountingStream extends FilterInputStream {
    long count;

    CountingStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }

  private static final class OutputStreamSink extends java.io.OutputStream {
    static final OutputStreamSink INSTANCE = new OutputStreamSink();

    @Override
    public void write(int b) {}

    @Override
    public void write(byte[] b, int off, int len) {}
  }

  @Override
  public void close() throws IOException {
    zip.close();
  }
}
