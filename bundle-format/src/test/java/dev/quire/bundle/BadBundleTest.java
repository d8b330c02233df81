package dev.quire.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad bundles, each made from a good one by a single change, each refused with its own message
 * naming the entry (and line). The reader never writes anything: {@code verify} is what an import
 * runs before it touches the site.
 */
class BadBundleTest {

  @TempDir Path tmp;
  Path good;
  Map<String, byte[]> entries;

  @BeforeEach
  void writeGoodBundle() throws Exception {
    good = tmp.resolve("good.quire");
    Fixtures.writeSite(good);
    entries = read(good);
  }

  @Test
  void theGoodOneVerifies() throws Exception {
    assertThat(verify(write("same.quire", entries)).manifest().counts().items()).isEqualTo(3);
  }

  @Test
  void aFlippedByteIsCaughtByTheEntryChecksum() throws Exception {
    byte[] items = entries.get("content/items-000001.jsonl");
    items[10] ^= 0x01;
    assertRefused(
        write("tampered.quire", entries),
        "content/items-000001.jsonl: SHA-256 does not match the manifest");
  }

  @Test
  void aTruncatedFileIsNotABundle() throws Exception {
    byte[] all = Files.readAllBytes(good);
    Path cut = tmp.resolve("cut.quire");
    Files.write(cut, java.util.Arrays.copyOf(all, all.length / 2));
    assertThatThrownBy(() -> BundleReader.open(cut, Limits.DEFAULT))
        .isInstanceOf(BundleException.class)
        .hasMessageContaining("not a readable bundle (truncated or not a zip file)");
  }

  @Test
  void aWrongSizeInTheManifestIsCaught() throws Exception {
    editManifest(m -> entry(m, "redirects.jsonl").put("size", 3), true);
    assertRefused(write("size.quire", entries), "redirects.jsonl: is ");
    assertRefused(write("size.quire", entries), "the manifest says 3");
  }

  @Test
  void aMissingEntryIsCaught() throws Exception {
    entries.remove("redirects.jsonl");
    assertRefused(
        write("missing.quire", entries),
        "redirects.jsonl: is listed in the manifest but missing from the zip");
  }

  @Test
  void anUnlistedEntryIsCaught() throws Exception {
    entries.put("media/" + "ab".repeat(32), "x".getBytes(StandardCharsets.UTF_8));
    assertRefused(write("extra.quire", entries), "is in the zip but not listed in the manifest");
  }

  @Test
  void pathTraversingNamesAreRefusedAndNeverUsedAsPaths() throws Exception {
    for (String evil :
        new String[] {"../evil", "/etc/passwd", "media\\..\\x", "C:/x", "content/../../x"}) {
      Map<String, byte[]> copy = new LinkedHashMap<>(entries);
      copy.put(evil, "pwned".getBytes(StandardCharsets.UTF_8));
      assertRefused(write("evil.quire", copy), "not a name a bundle may contain");
    }
    assertThat(Files.exists(tmp.resolve("../evil"))).isFalse();
    assertThat(Files.exists(Path.of("/etc/passwd-quire"))).isFalse();
  }

  @Test
  void aZipBombIsCutOffAtTheCompressionRatio() throws Exception {
    entries.put(
        "content/items-000009.jsonl", "\n".repeat(20_000_000).getBytes(StandardCharsets.UTF_8));
    reseal();
    assertRefused(
        write("bomb.quire", entries),
        "content/items-000009.jsonl: inflates past a compression ratio of 200:1");
  }

  @Test
  void anEntryOverTheSizeLimitIsRefusedBeforeItIsRead() throws Exception {
    Path file = write("big.quire", entries);
    try (BundleReader r = BundleReader.open(file, Limits.DEFAULT.withMaxMediaEntryBytes(10))) {
      assertThatThrownBy(() -> r.verify(ProgressListener.NONE))
          .hasMessageContaining("media/" + BundleRoundTripTest.mediaHash())
          .hasMessageContaining("more than the limit of 10");
    }
  }

  /** The manifest is read whole into the heap: it has a limit of its own, below a record's. */
  @Test
  void aManifestOverItsLimitIsRefusedAtOpenNamingIt() throws Exception {
    assertThat(Limits.DEFAULT.maxManifestBytes()).isLessThan(Limits.DEFAULT.maxRecordEntryBytes());
    // A problem of the bundle (the commands' exit 2), not a failure to read the file (exit 1).
    assertThatThrownBy(() -> BundleReader.open(good, Limits.DEFAULT.withMaxManifestBytes(100)))
        .isInstanceOf(BundleException.class)
        .hasMessageContaining("manifest.json: inflates past the size limit of 100 bytes");
    try (BundleReader r = BundleReader.open(good, Limits.DEFAULT)) {
      assertThat(r.manifest().entries()).isNotEmpty();
    }
  }

  /**
   * A media index cannot list more files than the bundle holds entries, each file being one: a 256
   * MiB index of made-up digests would be ~3 million of them, ~450 MB of heap by estimate, before
   * anything compared them with the zip (until 2026-12-07).
   */
  @Test
  void aMediaIndexListingMoreFilesThanTheBundleHoldsIsRefused() throws Exception {
    StringBuilder index =
        new StringBuilder(new String(entries.get("media/index.jsonl"), StandardCharsets.UTF_8));
    for (int i = 0; i < entries.size() + 5; i++) {
      index
          .append("{\"sha256\":\"")
          .append(String.format("%064x", i + 1))
          .append("\",\"size\":1}\n");
    }
    entries.put("media/index.jsonl", index.toString().getBytes(StandardCharsets.UTF_8));
    reseal();
    assertRefused(write("index.quire", entries), "lists more media files than the bundle's");
  }

  /**
   * The zip's central directory is checked from its end record before the zip library reads it
   * whole into one array: its entries (here in the ZIP64 record, past 65,535) and its bytes.
   */
  @Test
  void theDirectoryIsCheckedBeforeItIsRead() throws Exception {
    assertThatThrownBy(() -> BundleReader.open(good, Limits.DEFAULT.withMaxDirectoryBytes(100)))
        .isInstanceOf(BundleException.class)
        .hasMessageContaining("the bundle's directory is ")
        .hasMessageContaining(" bytes, more than the limit of 100");
    Path many = tmp.resolve("many.zip");
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(many))) {
      for (int i = 0; i < 70_000; i++) {
        zip.putNextEntry(new ZipEntry("e" + i));
        zip.closeEntry();
      }
    }
    assertThatThrownBy(() -> BundleReader.open(many, Limits.DEFAULT.withMaxEntries(69_999)))
        .isInstanceOf(BundleException.class)
        .hasMessage("the bundle's directory lists 70000 entries, more than the limit of 69999");
    // A made-up end record of one entry in the real one's comment is not the only one read.
    Path hidden = tmp.resolve("hidden.zip");
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(hidden))) {
      for (int i = 0; i < 10; i++) {
        zip.putNextEntry(new ZipEntry("e" + i));
        zip.closeEntry();
      }
      zip.setComment("PK\u0005\u0006\0\0\0\0\u0001\0\u0001\0\u0010\0\0\0\0\0\0\0\0\0");
    }
    assertThatThrownBy(() -> BundleReader.open(hidden, Limits.DEFAULT.withMaxEntries(5)))
        .isInstanceOf(BundleException.class)
        .hasMessage("the bundle's directory lists 10 entries, more than the limit of 5");
  }

  @Test
  void tooManyEntriesAreRefusedAtOpen() throws Exception {
    assertThatThrownBy(() -> BundleReader.open(good, Limits.DEFAULT.withMaxEntries(5)))
        .hasMessageContaining("entries, more than the limit of 5");
  }

  @Test
  void aNewerMajorVersionIsRefusedWithAClearMessage() throws Exception {
    editManifest(m -> m.put("formatVersion", "3.0"), false);
    Path file = write("v3.quire", entries);
    assertThatThrownBy(() -> BundleReader.open(file, Limits.DEFAULT))
        .isInstanceOf(BundleException.class)
        .hasMessage(
            "manifest.json: bundle format 3.0 is newer than this reader (2.x); upgrade Quire to read it");
  }

  @Test
  void aNewerMinorVersionWithFieldsWeDoNotKnowIsRead() throws Exception {
    editManifest(m -> m.put("formatVersion", "1.7").put("futureField", "ignored"), false);
    String items = new String(entries.get("content/items-000001.jsonl"), StandardCharsets.UTF_8);
    entries.put(
        "content/items-000001.jsonl",
        items
            .replace("\"id\":\"id-1\"", "\"id\":\"id-1\",\"addedIn17\":true")
            .getBytes(StandardCharsets.UTF_8));
    reseal();
    assertThat(verify(write("v17.quire", entries)).manifest().formatVersion()).isEqualTo("1.7");
  }

  @Test
  void aMalformedRecordNamesItsEntryAndLine() throws Exception {
    String items = new String(entries.get("content/items-000001.jsonl"), StandardCharsets.UTF_8);
    String[] lines = items.split("\n");
    lines[1] = "{\"id\": \"id-2\", oops";
    entries.put(
        "content/items-000001.jsonl",
        (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    reseal();
    assertRefused(
        write("malformed.quire", entries), "content/items-000001.jsonl:2: not a valid record");
  }

  @Test
  void aBadSlugNamesTheField() throws Exception {
    replaceIn("content/items-000001.jsonl", "\"slug\":\"post-1\"", "\"slug\":\"Post One!\"");
    assertRefused(
        write("slug.quire", entries), "content/items-000001.jsonl:1: field 'slug': 'Post One!'");
  }

  @Test
  void aDanglingMediaReferenceIsCaught() throws Exception {
    replaceIn("content/items-000002.jsonl", BundleRoundTripTest.mediaHash(), "cd".repeat(32));
    assertRefused(
        write("dangling.quire", entries),
        "content/items-000002.jsonl:1: field 'media': "
            + "cd".repeat(32)
            + " is not in the bundle");
  }

  @Test
  void redirectsOffTheSiteAreRefused() throws Exception {
    for (String target : new String[] {"https://evil.example/", "//evil.example/", "evil"}) {
      entries = read(good);
      replaceIn("redirects.jsonl", "\"/posts/post-1/\"", "\"" + target + "\"");
      assertRefused(
          write("redirect.quire", entries),
          "redirects.jsonl:1: field 'to': '" + target + "' is not a path on this site");
    }
  }

  /** What Quire's redirect table refuses, verify refuses too (it once passed these). */
  @Test
  void redirectsTheSiteWouldRefuseAreRefused() throws Exception {
    String[][] cases = {
      {"/posts//post-1/", "is not a path on this site"},
      {"/posts/post 1/", "a space, backslash or control character at position 12"},
      {"/posts/post-1/\\u007f", "a space, backslash or control character at position 15"},
      {"/2019/05/old-post/", "is the same as 'from': it would loop"},
      {"/" + "a".repeat(BundleReader.MAX_PATH), "2001 characters; at most 2000"},
    };
    for (String[] c : cases) {
      entries = read(good);
      replaceIn("redirects.jsonl", "\"/posts/post-1/\"", "\"" + c[0] + "\"");
      assertRefused(write("redirect.quire", entries), "redirects.jsonl:1: field 'to': ");
      assertRefused(write("redirect.quire", entries), c[1]);
    }
    // A query may hold what a path may not.
    entries = read(good);
    replaceIn("redirects.jsonl", "\"/posts/post-1/\"", "\"/search/?q=a//b\"");
    assertThatCode(() -> verify(write("redirect.quire", entries))).doesNotThrowAnyException();
  }

  @Test
  void aGapInTheHistoryIsCaught() throws Exception {
    replaceIn(
        "history/events-000001.jsonl",
        "\"revision\":2,\"type\":\"published\"",
        "\"revision\":3,\"type\":\"published\"");
    assertRefused(write("gap.quire", entries), "field 'revision': 3 follows 1 for item id-1");
  }

  @Test
  void aRevertMarkOnAnythingButAnEditIsCaught() throws Exception {
    // Every event of the fixture (created, published) says it reverted to revision 1.
    replaceIn("history/events-000001.jsonl", "\"revertedTo\":null", "\"revertedTo\":1");
    assertRefused(
        write("revert.quire", entries),
        "field 'revertedTo': 1 must be an earlier revision, on an 'edited' event");
  }

  @Test
  void anAlteredManifestEntryBreaksTheRootChecksum() throws Exception {
    editManifest(m -> entry(m, "menus.json").put("sha256", "00".repeat(32)), false);
    assertRefused(
        write("root.quire", entries), "manifest.json: field 'rootChecksum' does not match");
  }

  @Test
  void countsThatDisagreeWithTheRecordsAreCaught() throws Exception {
    editManifest(m -> ((ObjectNode) m.get("counts")).put("items", 4), false);
    assertRefused(
        write("counts.quire", entries),
        "manifest.json: field 'counts.items': says 4, the bundle holds 3");
  }

  /**
   * An item id or an actor longer than the site's read model holds passed, and the restored item
   * then stopped the site's projection for good; a missing kind threw a NullPointerException.
   */
  @Test
  void idsActorsAndMissingKindsAreRefusedByField() throws Exception {
    String longId = "x".repeat(65);
    replaceIn("content/items-000001.jsonl", "\"id\":\"id-1\"", "\"id\":\"" + longId + "\"");
    assertRefused(
        write("long-id.quire", entries),
        "content/items-000001.jsonl:1: field 'id': '" + longId + "' is not an item id");
    entries = read(good);
    replaceIn("content/items-000001.jsonl", "\"kind\":\"post\",", "");
    assertRefused(write("no-kind.quire", entries), "content/items-000001.jsonl:1: field 'kind'");
    entries = read(good);
    String events = new String(entries.get("history/events-000001.jsonl"), StandardCharsets.UTF_8);
    java.util.regex.Matcher actor =
        java.util.regex.Pattern.compile("\"actor\":\"[^\"]*\"").matcher(events);
    assertThat(actor.find()).isTrue();
    replaceIn(
        "history/events-000001.jsonl",
        actor.group(),
        "\"actor\":\"" + "a".repeat(Layout.MAX_ACTOR + 1) + "\"");
    assertRefused(write("long-actor.quire", entries), "field 'actor': longer than");
  }

  /** The manifest's counts are all checked, the media's bytes too; a version is two numbers. */
  @Test
  void mediaBytesThatDisagreeAndAVersionThatIsNotTwoNumbersAreRefused() throws Exception {
    editManifest(m -> ((ObjectNode) m.get("counts")).put("mediaBytes", 1), false);
    assertRefused(write("bytes.quire", entries), "field 'counts.mediaBytes': says 1");
    entries = read(good);
    editManifest(m -> m.put("formatVersion", "1.banana"), false);
    Path file = write("banana.quire", entries);
    assertThatThrownBy(() -> BundleReader.open(file, Limits.DEFAULT))
        .hasMessageContaining("field 'formatVersion': '1.banana' is not MAJOR.MINOR");
  }

  /** A negative size in the manifest would pull the declared total under its limit. */
  @Test
  void aNegativeSizeInTheManifestIsRefused() throws Exception {
    editManifest(m -> entry(m, "menus.json").put("size", -5_000_000_000L), true);
    assertRefused(write("negative.quire", entries), "field 'size' is negative");
  }

  /** Bytes that are not UTF-8 are refused naming the line, not read as U+FFFD. */
  @Test
  void aRecordThatIsNotUtf8IsRefusedNamingItsLine() throws Exception {
    byte[] items = entries.get("content/items-000001.jsonl");
    String text = new String(items, StandardCharsets.UTF_8);
    int at = text.indexOf("\"title\":\"") + "\"title\":\"".length();
    byte[] bad = new byte[items.length];
    System.arraycopy(items, 0, bad, 0, items.length);
    bad[at] = (byte) 0xE9; // Latin-1 e-acute
    entries.put("content/items-000001.jsonl", bad);
    reseal();
    assertRefused(write("latin1.quire", entries), "content/items-000001.jsonl:1: is not UTF-8");
  }

  /** A manifest listing more entries than the bundle holds is refused before they are read. */
  @Test
  void aManifestListingMoreEntriesThanTheBundleHoldsIsRefusedAtOpen() throws Exception {
    editManifest(
        m -> {
          ArrayNode list = (ArrayNode) m.get("entries");
          for (int i = 0; i < 50; i++) {
            list.addObject();
          }
        },
        false);
    Path file = write("many.quire", entries);
    assertThatThrownBy(() -> BundleReader.open(file, Limits.DEFAULT))
        .hasMessageContaining("manifest.json: lists")
        .hasMessageContaining("entries; the bundle holds");
  }

  // ---- helpers ----

  private void replaceIn(String entry, String from, String to) throws IOException {
    String text = new String(entries.get(entry), StandardCharsets.UTF_8);
    assertThat(text).contains(from);
    entries.put(entry, text.replace(from, to).getBytes(StandardCharsets.UTF_8));
    reseal();
  }

  private void assertRefused(Path file, String message) throws Exception {
    try (BundleReader r = BundleReader.open(file, Limits.DEFAULT)) {
      assertThatThrownBy(() -> r.verify(ProgressListener.NONE))
          .isInstanceOf(BundleException.class)
          .hasMessageContaining(message);
    }
  }

  private BundleReader.VerifyReport verify(Path file) throws Exception {
    try (BundleReader r = BundleReader.open(file, Limits.DEFAULT)) {
      return r.verify(ProgressListener.NONE);
    }
  }

  /** Recomputes every listed entry's size and checksum and the root: a forger's manifest. */
  private void reseal() throws IOException {
    ObjectNode m = (ObjectNode) Layout.JSON.readTree(entries.get("manifest.json"));
    ArrayNode list = m.putArray("entries");
    for (var e : entries.entrySet()) {
      if (e.getKey().equals("manifest.json") || !Layout.VALID_NAME.matcher(e.getKey()).matches()) {
        continue;
      }
      list.addObject()
          .put("name", e.getKey())
          .put("size", e.getValue().length)
          .put("sha256", Layout.hex(Layout.sha256().digest(e.getValue())));
    }
    entries.put("manifest.json", Layout.JSON.writeValueAsBytes(m));
    rootFromEntries();
  }

  private void editManifest(Consumer<ObjectNode> edit, boolean fixRoot) throws IOException {
    ObjectNode m = (ObjectNode) Layout.JSON.readTree(entries.get("manifest.json"));
    edit.accept(m);
    entries.put("manifest.json", Layout.JSON.writeValueAsBytes(m));
    if (fixRoot) {
      rootFromEntries();
    }
  }

  private void rootFromEntries() throws IOException {
    ObjectNode m = (ObjectNode) Layout.JSON.readTree(entries.get("manifest.json"));
    Manifest parsed = Layout.JSON.treeToValue(m, Manifest.class);
    m.put("rootChecksum", Layout.rootChecksum(parsed.entries()));
    entries.put("manifest.json", Layout.JSON.writeValueAsBytes(m));
  }

  private static ObjectNode entry(ObjectNode manifest, String name) {
    for (var e : manifest.get("entries")) {
      if (e.get("name").asText().equals(name)) {
        return (ObjectNode) e;
      }
    }
    throw new AssertionError("no entry " + name);
  }

  private static Map<String, byte[]> read(Path file) throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (ZipFile z = new ZipFile(file.toFile())) {
      for (var e : java.util.Collections.list(z.entries())) {
        out.put(e.getName(), z.getInputStream(e).readAllBytes());
      }
    }
    return out;
  }

  private Path write(String name, Map<String, byte[]> content) throws IOException {
    Path file = tmp.resolve(name);
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
      for (var e : content.entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey()));
        zip.write(e.getValue());
        zip.closeEntry();
      }
    }
    return file;
  }
}
