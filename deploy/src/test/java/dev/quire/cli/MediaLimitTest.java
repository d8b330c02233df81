package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A media upload past quire.media.max-upload-bytes, on a node whose limit is small: a body sent
 * without its length (chunked), cut off as it streams in, is 413 naming the limit (it was a 500
 * "internal error"), and nothing is stored.
 */
class MediaLimitTest {

  static final String TOKEN = "media-limit-token-0123456789";

  @TempDir Path tmp;

  @Test
  void anUploadPastTheLimitIs413AndStoresNothing() throws Exception {
    try (QuireNode node = node(Map.of("quire.media.max-upload-bytes", 4096))) {
      String base = base(node);
      byte[] png = new byte[20_000];
      System.arraycopy(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10}, 0, png, 0, 8);
      var answer =
          EndToEndTest.HTTP.send(
              HttpRequest.newBuilder(URI.create(base + "/api/v1/media?filename=big.png"))
                  .header("Authorization", "Bearer " + TOKEN)
                  .header("Content-Type", "image/png")
                  .POST(
                      HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(png)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(413);
      var error = new ObjectMapper().readTree(answer.body()).get("error");
      assertThat(error.get("code").asText()).isEqualTo("too_large");
      assertThat(error.get("message").asText())
          .contains("4096 bytes (quire.media.max-upload-bytes)")
          .contains("nothing was stored");
      assertThat(mediaTotal(base)).isZero();

      // The same file from the admin: the Media page and the editing page's upload name the
      // media's limit (they said the form was larger than the admin's 4 MiB form limit), the
      // editing page's script reading it as JSON.
      Path password = tmp.resolve("data/admin-password");
      EndToEndTest.await(
          () -> java.nio.file.Files.exists(password), java.time.Duration.ofSeconds(20));
      AdminForms admin = new AdminForms(base);
      var in = admin.signIn("admin", java.nio.file.Files.readString(password).strip());
      assertThat(in.statusCode()).as(in.body()).isEqualTo(303);
      String csrf = AdminForms.csrf(admin.get("/admin/media/").body());
      var page =
          admin.postMultipart(
              "/admin/media/",
              java.util.List.<String[]>of(new String[] {"_csrf", csrf}),
              "big.png",
              png);
      assertThat(page.statusCode()).isEqualTo(413);
      assertThat(page.body())
          .contains("the file is larger than 4096 bytes (quire.media.max-upload-bytes)")
          .doesNotContain("max-form-bytes");
      var insert =
          admin.postMultipart(
              "/admin/media/insert",
              java.util.List.<String[]>of(new String[] {"_csrf", csrf}),
              "big.png",
              png);
      assertThat(insert.statusCode()).isEqualTo(413);
      assertThat(insert.headers().firstValue("Content-Type")).hasValue("application/json");
      var insertError = new ObjectMapper().readTree(insert.body()).get("error");
      assertThat(insertError.get("code").asText()).isEqualTo("too_large");
      assertThat(insertError.get("message").asText())
          .contains("4096 bytes (quire.media.max-upload-bytes)");
      assertThat(mediaTotal(base)).isZero();
    }
  }

  /**
   * An upload that would leave less than quire.media.keep-free on the disk is 507 naming the
   * setting, and nothing is stored: media never fill the disk the site's database writes to (set
   * here above the disk's room, so any upload is refused; 0 lets the same one in).
   */
  @Test
  void anUploadThatWouldEatTheDatabasesRoomIs507AndStoresNothing() throws Exception {
    long past = 1L << 60; // more than any disk here has free
    try (QuireNode node = node(Map.of("quire.media.keep-free", Long.toString(past)))) {
      String base = base(node);
      var answer = upload(base, "small.png", png());
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(507);
      var error = new ObjectMapper().readTree(answer.body()).get("error");
      assertThat(error.get("code").asText()).isEqualTo("storage_full");
      assertThat(error.get("message").asText())
          .contains("quire.media.keep-free keeps " + (past >> 20) + " MB")
          .contains("nothing was stored");
      assertThat(mediaTotal(base)).isZero();
    }
    try (QuireNode node = node(Map.of("quire.media.keep-free", "0"))) {
      String base = base(node);
      var answer = upload(base, "small.png", png());
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
      assertThat(mediaTotal(base)).isEqualTo(1);
    }
  }

  /** A node with the admin's settings and {@code settings}, its data in this test's folder. */
  private QuireNode node(Map<String, Object> settings) throws Exception {
    return QuireNode.start(
        AdminEndToEndTest.adminNodeConfig(tmp.resolve("data"), settings),
        true,
        new java.io.PrintStream(java.io.OutputStream.nullOutputStream()),
        TOKEN);
  }

  private static String base(QuireNode node) {
    return "http://127.0.0.1:" + node.gateway().binding().localAddress().getPort();
  }

  private static byte[] png() throws Exception {
    var image = new java.awt.image.BufferedImage(20, 20, java.awt.image.BufferedImage.TYPE_INT_RGB);
    var out = new java.io.ByteArrayOutputStream();
    javax.imageio.ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  private static HttpResponse<String> upload(String base, String name, byte[] body)
      throws Exception {
    return EndToEndTest.HTTP.send(
        HttpRequest.newBuilder(URI.create(base + "/api/v1/media?filename=" + name))
            .header("Authorization", "Bearer " + TOKEN)
            .header("Content-Type", "image/png")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static int mediaTotal(String base) throws Exception {
    var list =
        EndToEndTest.HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/api/v1/media"))
                .header("Authorization", "Bearer " + TOKEN)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return new ObjectMapper().readTree(list.body()).get("total").asInt();
  }
}
