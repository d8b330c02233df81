package dev.quire.gateway.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real images written by ImageIO, stored in a real media store on disk. */
class ImageVariantsTest {

  @TempDir Path dir;

  static final ImageVariants.Settings SETTINGS =
      new ImageVariants.Settings(
          List.of(480, 800, 1200, 1600), 40_000_000, 8_000_000, 0.8f, "100vw", 100, 100);

  /** The first {@code <img>} of {@code html} as the site shows it, rewritten by {@code images}. */
  static org.jsoup.nodes.Element rewritten(ImageVariants images, String html) throws Exception {
    return org.jsoup.Jsoup.parseBodyFragment(images.rewrite(html)).selectFirst("img");
  }

  static byte[] image(int w, int h, String format) throws Exception {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    var g = img.createGraphics();
    g.setColor(Color.ORANGE);
    g.fillRect(0, 0, w, h / 2); // the top half orange, to see which way up a copy is
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(ImageIO.write(img, format, out)).isTrue();
    return out.toByteArray();
  }

  /**
   * A JPEG whose EXIF says "turn it a quarter clockwise to show it" (orientation 6), as phone
   * cameras write them: an APP1 segment after the JFIF one.
   */
  static byte[] turnedJpeg(int storedW, int storedH) throws Exception {
    byte[] jpeg = image(storedW, storedH, "jpg");
    int app0End = 4 + ((jpeg[4] & 0xff) << 8 | (jpeg[5] & 0xff)); // SOI, then APP0's length
    byte[] exif = {
      (byte) 0xff,
      (byte) 0xe1,
      0,
      34,
      'E',
      'x',
      'i',
      'f',
      0,
      0,
      'M',
      'M',
      0,
      42,
      0,
      0,
      0,
      8,
      0,
      1,
      0x01,
      0x12,
      0,
      3,
      0,
      0,
      0,
      1,
      0,
      6,
      0,
      0,
      0,
      0,
      0,
      0
    };
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(jpeg, 0, app0End);
    out.write(exif);
    out.write(jpeg, app0End, jpeg.length - app0End);
    return out.toByteArray();
  }

  MediaStore.Media put(MediaStore store, byte[] bytes, String type, String name) throws Exception {
    return store.put(new ByteArrayInputStream(bytes), type, name, 1 << 26);
  }

  @Test
  void imagesGetTheirSizeAndNarrowerCopiesAndTheRestIsLeftAlone() throws Exception {
    MediaStore store = new MediaStore(dir, Clock.systemUTC(), java.time.Duration.ofSeconds(2));
    ImageVariants images = new ImageVariants(store, SETTINGS);
    var photo = put(store, image(2000, 1000, "jpg"), "image/jpeg", "photo.jpg");
    var small = put(store, image(300, 200, "png"), "image/png", "small.png");
    var gif = put(store, image(900, 600, "gif"), "image/gif", "moving.gif");

    assertThat(images.size(photo.sha256())).contains(new ImageVariants.Size(2000, 1000));
    assertThat(images.size(gif.sha256())).as("GIFs keep their animation").isEmpty();

    String html =
        "<p>Look: <img src=\""
            + photo.url()
            + "\" alt=\"A &amp; &quot;B&quot;\"></p>\n"
            + "<p><img src=\""
            + small.url()
            + "\" alt=\"small\"></p>\n"
            + "<p><img src=\""
            + gif.url()
            + "\" alt=\"gif\">"
            + "<img src=\"https://example.org/x.jpg\" alt=\"elsewhere\"></p>";
    var doc = org.jsoup.Jsoup.parseBodyFragment(images.rewrite(html));
    var imgs = doc.select("img");
    var big = imgs.get(0);
    assertThat(big.attr("alt")).isEqualTo("A & \"B\"");
    assertThat(big.attr("width")).isEqualTo("2000");
    assertThat(big.attr("height")).isEqualTo("1000");
    assertThat(big.hasAttr("loading")).as("the first image loads at once").isFalse();
    assertThat(imgs.get(1).attr("loading")).isEqualTo("lazy");
    // An author's own size is kept, gets no srcset (sizes would not know it) and no mark.
    var own = rewritten(images, "<img src=\"" + photo.url() + "\" alt=\"\" width=\"200\">");
    assertThat(own.attr("width")).isEqualTo("200");
    assertThat(own.hasAttr("srcset")).isFalse();
    assertThat(own.hasAttr("decoding")).isFalse();
    assertThat(big.attr("sizes")).isEqualTo("100vw");
    String sha = photo.sha256();
    assertThat(big.attr("srcset"))
        .isEqualTo(
            "/media/"
                + sha
                + "/w480/photo.jpg 480w, /media/"
                + sha
                + "/w800/photo.jpg 800w, "
                + "/media/"
                + sha
                + "/w1200/photo.jpg 1200w, /media/"
                + sha
                + "/w1600/photo.jpg 1600w, "
                + photo.url()
                + " 2000w");
    assertThat(imgs.get(1).attr("width")).isEqualTo("300");
    assertThat(imgs.get(1).hasAttr("srcset")).as("nothing narrower to offer").isFalse();
    assertThat(imgs.get(2).attributes().size()).as("a GIF as it was").isEqualTo(2);
    assertThat(imgs.get(3).attributes().size()).as("another site's image").isEqualTo(2);
    assertThat(images.rewrite("<p>No images.</p>")).isEqualTo("<p>No images.</p>");

    // A copy: the width asked for, the same shape, kept on disk and not made again.
    Path copy = images.variant(sha, 800).file();
    BufferedImage made = ImageIO.read(copy.toFile());
    assertThat(made.getWidth()).isEqualTo(800);
    assertThat(made.getHeight()).isEqualTo(400);
    long madeAt = Files.getLastModifiedTime(copy).toMillis();
    assertThat(images.kept(sha, 800)).contains(copy);
    assertThat(images.variant(sha, 800).file()).isEqualTo(copy);
    assertThat(Files.getLastModifiedTime(copy).toMillis()).isEqualTo(madeAt);
    assertThat(images.variant(small.sha256(), 480))
        .as("not narrower: never")
        .isEqualTo(new ImageVariants.Copy(null, true));
    assertThat(images.variant(gif.sha256(), 480)).isEqualTo(new ImageVariants.Copy(null, true));
    assertThat(images.kept(gif.sha256(), 480)).isEmpty();
    assertThat(store.list()).as("copies are not media of their own").hasSize(3);
  }

  @Test
  void aTurnedPhotoIsSizedAndCopiedAsItIsShown() throws Exception {
    MediaStore store = new MediaStore(dir, Clock.systemUTC(), java.time.Duration.ofSeconds(2));
    ImageVariants images = new ImageVariants(store, SETTINGS);
    var turned = put(store, turnedJpeg(1200, 800), "image/jpeg", "phone.jpg");
    assertThat(images.size(turned.sha256())).contains(new ImageVariants.Size(800, 1200));
    BufferedImage copy = ImageIO.read(images.variant(turned.sha256(), 480).file().toFile());
    assertThat(copy.getWidth()).isEqualTo(480);
    assertThat(copy.getHeight()).isEqualTo(720);
    // Stored with its orange half on top, turned a quarter clockwise: orange on the right.
    assertThat(new Color(copy.getRGB(400, 360)).getRed()).isGreaterThan(200);
    assertThat(new Color(copy.getRGB(80, 360)).getRed()).isLessThan(60);
  }

  @Test
  void aPalettePngsCopyKeepsItsColoursAndTransparencyAndBytesOfAnotherTypeGetNone()
      throws Exception {
    MediaStore store = new MediaStore(dir, Clock.systemUTC(), java.time.Duration.ofSeconds(2));
    ImageVariants images = new ImageVariants(store, SETTINGS);
    // Four colours, one of them transparent: as pngquant and screenshot tools write them.
    byte[] r = {(byte) 200, 0, 0, 0};
    byte[] g = {(byte) 30, (byte) 180, 0, 0};
    byte[] b = {(byte) 90, 0, (byte) 220, 0};
    byte[] a = {(byte) 255, (byte) 255, (byte) 255, 0};
    var model = new java.awt.image.IndexColorModel(2, 4, r, g, b, a);
    BufferedImage indexed = new BufferedImage(1000, 500, BufferedImage.TYPE_BYTE_BINARY, model);
    var raster = indexed.getRaster();
    for (int y = 0; y < 500; y++) {
      for (int x = 0; x < 1000; x++) {
        raster.setSample(x, y, 0, x < 500 ? 0 : 3); // left: the red-brown, right: transparent
      }
    }
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    assertThat(ImageIO.write(indexed, "png", png)).isTrue();
    var logo = put(store, png.toByteArray(), "image/png", "logo.png");
    BufferedImage copy = ImageIO.read(images.variant(logo.sha256(), 480).file().toFile());
    assertThat(copy.getWidth()).isEqualTo(480);
    Color left = new Color(copy.getRGB(100, 120), true);
    assertThat(left.getRed()).isBetween(190, 210);
    assertThat(left.getGreen()).isBetween(20, 40);
    assertThat(left.getBlue()).isBetween(80, 100);
    assertThat(new Color(copy.getRGB(400, 120), true).getAlpha()).isZero();

    // The same palette PNG with a compressed text chunk: sized, but no copies (the JDK's reader
    // would unpack its metadata, whatever size that comes to, to decode it).
    byte[] plain = png.toByteArray();
    byte[] text = "Comment\0\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    var deflated = new ByteArrayOutputStream();
    try (var z = new java.util.zip.DeflaterOutputStream(deflated)) {
      z.write("a comment".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    }
    var chunkData = new ByteArrayOutputStream();
    chunkData.write(text);
    chunkData.write(deflated.toByteArray());
    byte[] data = chunkData.toByteArray();
    var crc = new java.util.zip.CRC32();
    crc.update("zTXt".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    crc.update(data);
    var withText = new ByteArrayOutputStream();
    withText.write(plain, 0, 33); // the signature and IHDR
    withText.write(java.nio.ByteBuffer.allocate(4).putInt(data.length).array());
    withText.write("zTXt".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    withText.write(data);
    withText.write(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    withText.write(plain, 33, plain.length - 33);
    assertThat(ImageIO.read(new ByteArrayInputStream(withText.toByteArray())).getWidth())
        .as("still a valid PNG")
        .isEqualTo(1000);
    var risky = put(store, withText.toByteArray(), "image/png", "risky.png");
    assertThat(images.size(risky.sha256())).contains(new ImageVariants.Size(1000, 500, false));
    assertThat(images.widthsFor(images.size(risky.sha256()).orElseThrow())).isEmpty();
    assertThat(images.variant(risky.sha256(), 480).file()).isNull();

    // PNG bytes stored as a JPEG (an upload is stored as what its bytes are since 2026-12-06; a
    // record from before, or restored from a bundle, may still say otherwise): no size is
    // claimed for them, and no copy made.
    var mislabelled =
        store.restore(
            new ByteArrayInputStream(image(900, 600, "png")), "image/jpeg", "wrong.jpg", 1 << 26);
    assertThat(images.size(mislabelled.sha256())).isEmpty();
    // Only a file sent as an image or as plain bytes is typed by its bytes: a CSV beginning "BM"
    // stays a CSV.
    assertThat(
            put(store, "BMI,height,weight\n21,180,68\n".getBytes(), "text/csv", "bmi.csv")
                .contentType())
        .isEqualTo("text/csv");
    // Uploaded, such bytes are stored as the PNG they are.
    assertThat(put(store, image(901, 600, "png"), "image/jpeg", "right.jpg").contentType())
        .isEqualTo("image/png");
  }

  @Test
  void anImageOverThePixelLimitGetsItsSizeButNoCopies() throws Exception {
    MediaStore store = new MediaStore(dir, Clock.systemUTC(), java.time.Duration.ofSeconds(2));
    ImageVariants images =
        new ImageVariants(
            store,
            new ImageVariants.Settings(
                List.of(480, 800), 1_000_000, 8_000_000, 0.8f, "100vw", 100, 100));
    var photo = put(store, image(2000, 1000, "jpg"), "image/jpeg", "big.jpg");
    var img = rewritten(images, "<img src=\"" + photo.url() + "\" alt=\"\">");
    assertThat(img.attr("width")).isEqualTo("2000");
    assertThat(img.hasAttr("srcset")).isFalse();
    assertThat(images.variant(photo.sha256(), 480))
        .as("the limit is configuration: not for good")
        .isEqualTo(new ImageVariants.Copy(null, false));
  }

  @Test
  void unfinishedCopiesAnEarlierStopLeftAreSweptAndNothingElse() throws Exception {
    MediaStore store = new MediaStore(dir, Clock.systemUTC(), java.time.Duration.ofSeconds(2));
    ImageVariants images = new ImageVariants(store, SETTINGS);
    assertThat(images.sweepUnfinished(java.time.Duration.ofHours(1))).as("no copies yet").isZero();
    var photo = put(store, image(1000, 500, "jpg"), "image/jpeg", "p.jpg");
    Path copy = images.variant(photo.sha256(), 480).file();
    Path old = copy.resolveSibling(photo.sha256() + "-800123.tmp");
    Path fresh = copy.resolveSibling(photo.sha256() + "-1200456.tmp");
    java.nio.file.Files.write(old, new byte[] {1});
    java.nio.file.Files.write(fresh, new byte[] {2});
    java.nio.file.Files.setLastModifiedTime(
        old,
        java.nio.file.attribute.FileTime.from(
            java.time.Instant.now().minus(java.time.Duration.ofHours(2))));
    assertThat(images.sweepUnfinished(java.time.Duration.ofHours(1))).isEqualTo(1);
    assertThat(old).doesNotExist();
    assertThat(fresh).as("may be another gateway's, writing now").exists();
    assertThat(copy).as("a finished copy").exists();
    assertThat(images.kept(photo.sha256(), 480)).hasValue(copy);
  }

  /**
   * A JPEG of more scans than max-jpeg-scans gets no copy, and is not decoded: each scan is a pass
   * over every block, so a small file of many costs minutes to hours (a 125 KB one of 4,000 by
   * 4,000 pixels and 1,010 scans took 24 s to decode, 2026-12-07). Counted by walking the file: a
   * baseline JPEG has one scan, the JDK's progressive one ten.
   */
  @Test
  void aJpegOfTooManyScansGetsNoCopy() throws Exception {
    MediaStore store = new MediaStore(dir, Clock.systemUTC(), java.time.Duration.ofSeconds(2));
    ImageVariants images = new ImageVariants(store, SETTINGS);
    var baseline = put(store, image(1000, 800, "jpg"), "image/jpeg", "baseline.jpg");
    assertThat(ImageVariants.jpegScans(store.blob(baseline.sha256()), 100)).isEqualTo(1);
    byte[] progressive = progressiveJpeg(1000, 800);
    var fine = put(store, progressive, "image/jpeg", "progressive.jpg");
    assertThat(ImageVariants.jpegScans(store.blob(fine.sha256()), 100)).isEqualTo(10);
    assertThat(images.variant(fine.sha256(), 480).file()).isNotNull();
    // The same with its last scan repeated 200 times (legal to a decoder, which warns and goes
    // on): 210 scans.
    int lastScan = -1;
    for (int i = 2; i < progressive.length - 1; i++) {
      if ((progressive[i] & 0xff) == 0xFF && (progressive[i + 1] & 0xff) == 0xDA) {
        lastScan = i;
      }
    }
    int eoi = progressive.length - 2;
    var many = new java.io.ByteArrayOutputStream();
    many.write(progressive, 0, eoi);
    for (int i = 0; i < 200; i++) {
      many.write(progressive, lastScan, eoi - lastScan);
    }
    many.write(progressive, eoi, 2);
    var bomb = put(store, many.toByteArray(), "image/jpeg", "many-scans.jpg");
    assertThat(ImageVariants.jpegScans(store.blob(bomb.sha256()), 100)).isEqualTo(101);
    assertThat(ImageVariants.jpegScans(store.blob(bomb.sha256()), 1000)).isEqualTo(210);
    assertThatThrownBy(() -> images.variant(bomb.sha256(), 480))
        .hasMessageContaining("more than 100 scans");
    assertThat(images.variant(bomb.sha256(), 480).file()).as("not tried again").isNull();
  }

  private static byte[] progressiveJpeg(int w, int h) throws Exception {
    var writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    var param = writer.getDefaultWriteParam();
    param.setProgressiveMode(javax.imageio.ImageWriteParam.MODE_DEFAULT);
    var out = new ByteArrayOutputStream();
    try (var ios = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(ios);
      writer.write(
          null,
          new javax.imageio.IIOImage(
              new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB), null, null),
          param);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }
}
