package dev.quire.gateway.media;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The first bytes of the image formats browsers show, as encoders write them. */
class ImageBytesTest {

  static Optional<String> sniff(byte[] b) {
    return ImageBytes.sniff(b, b.length);
  }

  static Optional<String> sniff(String s) {
    return sniff(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void encodedImagesAreKnownByTheirOwnBytes() throws Exception {
    var image = new java.awt.image.BufferedImage(4, 4, java.awt.image.BufferedImage.TYPE_INT_RGB);
    for (String[] format :
        new String[][] {
          {"jpg", "image/jpeg"}, {"png", "image/png"}, {"gif", "image/gif"}, {"bmp", "image/bmp"}
        }) {
      var out = new java.io.ByteArrayOutputStream();
      assertThat(javax.imageio.ImageIO.write(image, format[0], out)).isTrue();
      assertThat(sniff(out.toByteArray())).as(format[0]).hasValue(format[1]);
    }
    assertThat(sniff("RIFF\0\0\0\0WEBPVP8 ")).hasValue("image/webp");
    assertThat(sniff("\0\0\0\u001cftypavif\0\0\0\0")).hasValue("image/avif");
    assertThat(sniff(new byte[] {0, 0, 1, 0, 1, 0})).hasValue("image/x-icon");
    assertThat(sniff("II*\0\u0008\0\0\0")).hasValue("image/tiff");
  }

  @Test
  void svgIsTextWhoseFirstElementIsSvg() {
    assertThat(sniff("<svg xmlns=\"http://www.w3.org/2000/svg\"/>")).hasValue("image/svg+xml");
    assertThat(
            sniff(
                "\uFEFF<?xml version=\"1.0\"?>\n<!-- made by hand -->\n<!DOCTYPE svg PUBLIC"
                    + " \"-//W3C//DTD SVG 1.1//EN\" \"x\">\n<SVG>"))
        .hasValue("image/svg+xml");
    assertThat(sniff("<html><body><svg></svg></body></html>")).isEmpty();
    assertThat(
            sniff(
                "<?xml version=\"1.0\"?>\n<!DOCTYPE svg PUBLIC \"x\" \"y\" [\n"
                    + "  <!ENTITY ns_svg \"http://www.w3.org/2000/svg\">\n]>\n<svg>"))
        .as("an internal subset, as Illustrator writes")
        .hasValue("image/svg+xml");
  }

  @Test
  void otherBytesAreNoImage() {
    assertThat(sniff("just text")).isEmpty();
    assertThat(sniff(new byte[] {(byte) 0xFF, (byte) 0xD8})).as("too short").isEmpty();
    assertThat(sniff("%PDF-1.7")).isEmpty();
    assertThat(sniff(new byte[0])).isEmpty();
  }
}
