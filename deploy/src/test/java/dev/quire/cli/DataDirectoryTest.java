package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data directory holds the journal with the users' password hashes: a site's files, made with
 * the umask (644 under 022), are kept from other local users by the directory.
 */
class DataDirectoryTest {

  @TempDir Path tmp;

  @Test
  void aDataDirectoryOpenToOthersIsClosedToThemAndItsOwnerKeepsTheirAccess() throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path db = Files.writeString(data.resolve("quire.mv.db"), "hashes");
    Files.setPosixFilePermissions(db, PosixFilePermissions.fromString("rw-r--r--"));

    QuireNode.ownerOnly(data, true);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data)))
        .isEqualTo("rwx------");
    assertThat(Files.readString(db)).isEqualTo("hashes");
    // Already closed: left as it is (an owner who took their own write access away keeps that).
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("r-x------"));
    QuireNode.ownerOnly(data, true);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data)))
        .isEqualTo("r-x------");
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
  }
}
