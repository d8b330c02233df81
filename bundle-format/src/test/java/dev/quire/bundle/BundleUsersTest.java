package dev.quire.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin's accounts in a bundle (format 2.0): written only when given, read back equal, and
 * checked record by record, never naming a hash in a message; a bundle without them stays 1.2.
 */
class BundleUsersTest {

  @TempDir Path tmp;

  static final String HASH = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$" + "A".repeat(43);

  static BundleUser ann() {
    return new BundleUser(
        "ann",
        "Ann Lee",
        "editor",
        false,
        HASH,
        Fixtures.T0,
        List.of(
            new BundleUser.Token(
                "0123456789abcdef",
                "the build",
                "a".repeat(64),
                Fixtures.T0.plusSeconds(5),
                "admin",
                Fixtures.T0.plusSeconds(86_400))));
  }

  static BundleUser ed() {
    return new BundleUser("ed", "ed", "author", true, HASH, Fixtures.T0, List.of());
  }

  Path write(String name, BundleUser... users) throws Exception {
    Path file = tmp.resolve(name);
    try (BundleWriter w = BundleWriter.create(file, Fixtures.options())) {
      MediaEntry photo =
          w.media(new java.io.ByteArrayInputStream(Fixtures.PHOTO), "image/jpeg", "photo.jpg");
      w.item(Fixtures.item(1, photo.sha256()));
      w.event(Fixtures.created(1));
      w.event(
          new BundleEvent(
              "id-1",
              2,
              "published",
              Fixtures.T0.plusSeconds(60),
              "editor",
              null,
              null,
              null,
              null,
              null));
      for (BundleUser u : users) {
        w.user(u);
      }
      w.finish();
    }
    return file;
  }

  @Test
  void accountsComeBackEqualInAFormatTwoBundle() throws Exception {
    Path file = write("users.quire", ann(), ed());
    try (BundleReader r = BundleReader.open(file, Limits.DEFAULT)) {
      var report = r.verify(ProgressListener.NONE);
      assertThat(report.manifest().formatVersion()).isEqualTo("2.0");
      assertThat(report.manifest().counts().users()).isEqualTo(2);
      List<BundleUser> read = new ArrayList<>();
      r.forEachUser(read::add);
      assertThat(read).containsExactly(ann(), ed());
    }
    assertThat(ann().toString()).doesNotContain("argon2").doesNotContain("aaaa");
  }

  @Test
  void withoutAccountsABundleStaysOneTwoWithNoUsersEntry() throws Exception {
    Path file = write("plain.quire");
    try (BundleReader r = BundleReader.open(file, Limits.DEFAULT)) {
      var report = r.verify(ProgressListener.NONE);
      assertThat(report.manifest().formatVersion()).isEqualTo("1.2");
      assertThat(report.manifest().entries())
          .extracting(Manifest.Entry::name)
          .doesNotContain("users.jsonl");
      List<BundleUser> read = new ArrayList<>();
      r.forEachUser(read::add);
      assertThat(read).isEmpty();
    }
  }

  @Test
  void eachBadAccountIsRefusedNamingItsFieldAndLine() throws Exception {
    BundleUser a = ann();
    Map<String, BundleUser> bad = new java.util.TreeMap<>();
    bad.put(
        "field 'passwordHash': not an Argon2id hash",
        new BundleUser("x", null, "admin", false, "plaintext-password", Fixtures.T0, List.of()));
    bad.put(
        "field 'role': 'owner' is not one of",
        new BundleUser("x", null, "owner", false, HASH, Fixtures.T0, List.of()));
    bad.put(
        "field 'username': not 1-64",
        new BundleUser("../etc", null, "admin", false, HASH, Fixtures.T0, List.of()));
    bad.put(
        "field 'tokens.secretHash': not a SHA-256",
        new BundleUser(
            "x",
            null,
            "admin",
            false,
            HASH,
            Fixtures.T0,
            List.of(new BundleUser.Token("0123456789abcdef", "t", "xyz", Fixtures.T0, "a", null))));
    bad.put(
        "field 'tokens.id': 0123456789abcdef twice",
        new BundleUser("x", null, "admin", false, HASH, Fixtures.T0, a.tokens()));
    bad.put(
        "field 'disabled': missing",
        new BundleUser("x", null, "admin", null, HASH, Fixtures.T0, List.of()));
    bad.put(
        "field 'tokens.name': 1 to 100 characters, none of them control characters",
        new BundleUser(
            "x",
            null,
            "admin",
            false,
            HASH,
            Fixtures.T0,
            List.of(
                new BundleUser.Token(
                    "00000000000000ff",
                    "a\u001b[31mred",
                    "b".repeat(64),
                    Fixtures.T0,
                    "a",
                    null))));
    bad.put(
        "field 'passwordHash': not an Argon2id hash in PHC form",
        new BundleUser(
            "y",
            null,
            "admin",
            false,
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$short",
            Fixtures.T0,
            List.of()));
    int n = 0;
    for (var e : bad.entrySet()) {
      List<BundleUser> users =
          e.getKey().contains("twice") ? List.of(a, e.getValue()) : List.of(e.getValue());
      Path file = write("bad-" + n++ + ".quire", users.toArray(new BundleUser[0]));
      String line = "users.jsonl:" + users.size() + ": ";
      try (BundleReader r = BundleReader.open(file, Limits.DEFAULT)) {
        assertThatThrownBy(() -> r.verify(ProgressListener.NONE))
            .isInstanceOf(BundleException.class)
            .hasMessageContaining(line + e.getKey())
            .hasMessageNotContaining("plaintext-password")
            .hasMessageNotContaining("c29tZXNhbHQ");
      }
    }
  }

  @Test
  void theWriterRefusesAnAccountTwice() throws Exception {
    try (BundleWriter w = BundleWriter.create(tmp.resolve("twice.quire"), Fixtures.options())) {
      w.user(ann());
      assertThatThrownBy(() -> w.user(ann())).hasMessageContaining("'ann' twice");
    }
    assertThat(tmp.resolve("twice.quire")).doesNotExist();
  }

  @Test
  void accountsInABundleThatSaysOneTwoAreRefused() throws Exception {
    // A 1.2 bundle given a users.jsonl, its manifest resealed to list it: a forger's or a
    // buggy writer's. A 1.x reader would refuse the name; this one names the version.
    Path forged =
        rewritten(
            write("users.quire", ann()), "forged.quire", m -> m.put("formatVersion", "1.2"), null);
    try (BundleReader r = BundleReader.open(forged, Limits.DEFAULT)) {
      assertThatThrownBy(() -> r.verify(ProgressListener.NONE))
          .hasMessageContaining("users.jsonl: holds accounts, which format 2.0 brought")
          .hasMessageContaining("1.2");
    }
  }

  @Test
  void aLineThatIsNoJsonIsRefusedWithoutQuotingIt() throws Exception {
    // An unquoted hash: the parser's own message would quote it.
    byte[] line =
        ("{\"username\":\"ann\",\"passwordHash\":$argon2id$v=19$secretsalt$secret}\n")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Path broken = rewritten(write("broken.quire", ann()), "broken-line.quire", m -> {}, line);
    try (BundleReader r = BundleReader.open(broken, Limits.DEFAULT)) {
      assertThatThrownBy(() -> r.verify(ProgressListener.NONE))
          .hasMessageContaining("users.jsonl:1: not a valid record (at column")
          .hasMessageNotContaining("secret");
    }
  }

  /**
   * {@code file} copied to {@code name} with its manifest edited and, when given, {@code users} as
   * its users.jsonl, the manifest resealed to match (a forger's bundle), the manifest last.
   */
  private Path rewritten(
      Path file,
      String name,
      java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> edit,
      byte[] users)
      throws Exception {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    try (ZipFile z = new ZipFile(file.toFile())) {
      for (var e : java.util.Collections.list(z.entries())) {
        entries.put(e.getName(), z.getInputStream(e).readAllBytes());
      }
    }
    var m =
        (com.fasterxml.jackson.databind.node.ObjectNode)
            Layout.JSON.readTree(entries.remove("manifest.json"));
    edit.accept(m);
    if (users != null) {
      entries.put("users.jsonl", users);
      for (var e : m.get("entries")) {
        if (e.get("name").asText().equals("users.jsonl")) {
          ((com.fasterxml.jackson.databind.node.ObjectNode) e)
              .put("size", users.length)
              .put("sha256", Layout.hex(Layout.sha256().digest(users)));
        }
      }
      Manifest parsed = Layout.JSON.treeToValue(m, Manifest.class);
      m.put("rootChecksum", Layout.rootChecksum(parsed.entries()));
    }
    entries.put("manifest.json", Layout.JSON.writeValueAsBytes(m));
    Path out = tmp.resolve(name);
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(out))) {
      for (var e : entries.entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey()));
        zip.write(e.getValue());
        zip.closeEntry();
      }
    }
    return out;
  }

  @Test
  void aBundleIsReadableByItsOwnerOnly() throws Exception {
    Path file = write("private.quire", ann());
    if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      assertThat(
              java.nio.file.attribute.PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(file)))
          .isEqualTo("rw-------");
    }
  }
}
