package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.bundle.BundleItem;
import dev.quire.bundle.BundleWriter;
import dev.quire.bundle.Manifest;
import dev.quire.bundle.Redirect;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code quire bundle verify} and {@code inspect} on a real bundle file, whole and truncated. */
class BundleCommandTest {

  @TempDir Path tmp;

  @Test
  void verifyAndInspectAWholeBundleAndRefuseATruncatedOne() throws Exception {
    Path file = tmp.resolve("site.quire");
    try (BundleWriter w =
        BundleWriter.create(
            file,
            new BundleWriter.Options(
                "test", new Manifest.Site("Site", "https://example.org"), false))) {
      String photo =
          w.media(new ByteArrayInputStream(new byte[] {1, 2, 3}), "image/png", "a.png").sha256();
      w.item(
          new BundleItem(
              "id-1",
              "post",
              "published",
              1,
              "Hello",
              "hello",
              "Body",
              "",
              List.of("x"),
              "",
              "",
              null,
              null,
              null,
              null,
              null,
              List.of(),
              List.of(photo),
              ""));
      w.redirect(new Redirect("/old/", "/posts/hello/", 301));
      w.finish();
    }
    var ok = EmbeddingRoleClusterTest.runCli("bundle", "verify", file.toString());
    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(ok.out())
        .contains(
            "is a whole bundle (format "
                + dev.quire.bundle.Manifest.VERSION
                + "): 1 item(s), 0 event(s), 1 media blob(s)")
        .contains("1 redirect(s)");

    var inspect =
        EmbeddingRoleClusterTest.runCli("bundle", "inspect", "--entries", file.toString());
    assertThat(inspect.code()).isZero();
    assertThat(inspect.out())
        .contains("format       quire-bundle " + dev.quire.bundle.Manifest.VERSION)
        .contains("content/items-000001.jsonl");

    byte[] all = Files.readAllBytes(file);
    Path cut = tmp.resolve("cut.quire");
    Files.write(cut, Arrays.copyOf(all, all.length - 40));
    var bad = EmbeddingRoleClusterTest.runCli("bundle", "verify", cut.toString());
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).startsWith("error: ").contains("truncated");
  }

  /**
   * A redirect the format takes but this site's import refuses is refused by verify too, naming the
   * line: the redirect table reads paths percent-encoded, so these two are one path.
   */
  @Test
  void verifyRefusesARedirectTheImportWouldRefuse() throws Exception {
    assertThat(dev.quire.bundle.BundleReader.MAX_PATH)
        .isEqualTo(dev.quire.protocol.RedirectRule.MAX_PATH);
    Path file = tmp.resolve("loop.quire");
    try (BundleWriter w =
        BundleWriter.create(
            file,
            new BundleWriter.Options(
                "test", new Manifest.Site("Site", "https://example.org"), false))) {
      w.redirect(new Redirect("/old/", "/new/", 301));
      w.redirect(new Redirect("/caf\u00e9/", "/caf%c3%a9/", 301));
      w.finish();
    }
    var bad = EmbeddingRoleClusterTest.runCli("bundle", "verify", file.toString());
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err())
        .contains("error: redirects.jsonl:2: field 'to': ")
        .contains("it would loop")
        .contains("Quire's import refuses it");
  }
}
