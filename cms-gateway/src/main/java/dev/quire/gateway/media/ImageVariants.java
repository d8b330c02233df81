package dev.quire.gateway.media;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import net.coobird.thumbnailator.Thumbnails;
import net.coobird.thumbnailator.util.exif.ExifUtils;
import net.coobird.thumbnailator.util.exif.Orientation;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * Narrower copies of the images stored as media, so a phone does not download a camera's 4,000
 * pixels to show 400: {@code /media/<sha256>/w<width>/<name>} is the image scaled down to one of
 * {@code quire.media.images.widths} (Thumbnailator: quality downscaling and EXIF orientation), made
 * at its first request and kept on disk beside the originals ({@code <media>/variants/}). {@link
 * #rewrite} gives each {@code <img>} of an item's HTML that shows a stored JPEG or PNG its {@code
 * width}, {@code height} (no layout shift while it loads), a {@code srcset} of the narrower copies,
 * {@code sizes}, and lazy loading. Only the image's header is read for that; an image of more than
 * {@code max-pixels} gets no copies (decoding it could take the heap). GIFs keep their animation,
 * SVGs are not shown inline at all: both are left as they are.
 */
public final class ImageVariants {

  /** {@code quire.media.images}. */
  public record Settings(
      List<Integer> widths, long maxPixels, float jpegQuality, String sizes, int sizesKept) {

    public static Settings fromConfig(Config config) {
      Config c = config.getConfig("quire.media.images");
      List<Integer> widths = c.getIntList("widths").stream().sorted().distinct().toList();
      if (widths.isEmpty() || widths.get(0) < 1) {
        throw new IllegalArgumentException(
            "quire.media.images.widths must list widths of 1 pixel or more, was " + widths);
      }
      double q = c.getDouble("jpeg-quality");
      if (q <= 0 || q > 1) {
        throw new IllegalArgumentException(
            "quire.media.images.jpeg-quality must be above 0 and at most 1, was " + q);
      }
      return new Settings(
          widths, c.getLong("max-pixels"), (float) q, c.getString("sizes"), c.getInt("sizes-kept"));
    }
  }

  /** An image's size as a browser shows it (after its EXIF orientation). */
  public record Size(int width, int height) {}

  private static final Map<String, String> FORMATS =
      Map.of("image/jpeg", "jpg", "image/png", "png");

  /** {@code /media/<sha256>/<name>}, as {@code MediaStore.Media#url} makes it. */
  private static final Pattern URL = Pattern.compile("^/media/([0-9a-f]{64})/([A-Za-z0-9._-]+)$");

  private final MediaStore store;
  private final Settings settings;
  private final Map<String, Optional<Size>> sizes = new ConcurrentHashMap<>();

  public ImageVariants(MediaStore store, Settings settings) {
    this.store = store;
    this.settings = settings;
  }

  public Settings settings() {
    return settings;
  }

  /**
   * The size of stored image {@code sha} from its header, if it is a JPEG or PNG this can read;
   * remembered (a blob never changes). Reads files: never on an actor's or a route's thread.
   */
  public Optional<Size> size(String sha) throws IOException {
    Optional<Size> known = sizes.get(sha);
    if (known != null) {
      return known;
    }
    Optional<Size> size = readSize(sha);
    if (sizes.size() >= settings.sizesKept()) {
      sizes.clear(); // a crude bound; each entry is read again from a header when asked
    }
    sizes.put(sha, size);
    return size;
  }

  private Optional<Size> readSize(String sha) throws IOException {
    Optional<MediaStore.Media> media = store.get(sha);
    if (media.isEmpty() || !FORMATS.containsKey(media.get().contentType())) {
      return Optional.empty();
    }
    try (ImageInputStream in = ImageIO.createImageInputStream(store.blob(sha).toFile())) {
      Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
      if (readers == null || !readers.hasNext()) {
        return Optional.empty();
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in);
        int w = reader.getWidth(0);
        int h = reader.getHeight(0);
        Orientation o = null;
        try {
          o = ExifUtils.getExifOrientation(reader, 0);
        } catch (IOException | RuntimeException noExif) {
          // no orientation: as stored
        }
        boolean turned =
            o == Orientation.LEFT_TOP
                || o == Orientation.RIGHT_TOP
                || o == Orientation.RIGHT_BOTTOM
                || o == Orientation.LEFT_BOTTOM;
        return Optional.of(turned ? new Size(h, w) : new Size(w, h));
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException unreadable) {
      return Optional.empty();
    }
  }

  /** The widths copies of an image of {@code size} are made at: those narrower than it. */
  public List<Integer> widthsFor(Size size) {
    if ((long) size.width() * size.height() > settings.maxPixels()) {
      return List.of();
    }
    return settings.widths().stream().filter(w -> w < size.width()).toList();
  }

  /**
   * The copy of image {@code sha} {@code width} pixels wide: the kept one, or made now and kept
   * (written to a temporary file and moved, so a reader never sees half of one). Empty when there
   * is no such copy to make (not an image made copies of, not one of the widths, not narrower).
   * Reads and writes files and decodes the image: on the media dispatcher only.
   */
  public Optional<Path> variant(String sha, int width) throws IOException {
    Optional<Size> size = size(sha);
    if (size.isEmpty() || !widthsFor(size.get()).contains(width)) {
      return Optional.empty();
    }
    String format = FORMATS.get(store.get(sha).orElseThrow().contentType());
    Path file = variantFile(sha, width, format);
    if (Files.exists(file)) {
      return Optional.of(file);
    }
    Files.createDirectories(file.getParent());
    Path tmp = Files.createTempFile(file.getParent(), sha + "-" + width, ".tmp");
    try {
      try (OutputStream out = Files.newOutputStream(tmp)) {
        scaled(sha, size.get(), width, format, out);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return Optional.of(file);
  }

  /**
   * Writes image {@code sha} ({@code size} as shown) scaled to {@code width} as shown. The decoder
   * skips pixels down to about twice the width (so memory follows the copy, not the original),
   * Thumbnailator scales the rest of the way and turns it as its EXIF orientation says.
   */
  private void scaled(String sha, Size size, int width, String format, OutputStream out)
      throws IOException {
    try (ImageInputStream in = ImageIO.createImageInputStream(store.blob(sha).toFile())) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new IOException("no reader for media " + sha);
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in);
        Orientation o = null;
        try {
          o = ExifUtils.getExifOrientation(reader, 0);
        } catch (IOException | RuntimeException noExif) {
          // as stored
        }
        javax.imageio.ImageReadParam param = reader.getDefaultReadParam();
        int skip = Math.max(1, size.width() / (2 * width));
        param.setSourceSubsampling(skip, skip, 0, 0);
        java.awt.image.BufferedImage decoded = reader.read(0, param);
        // The width is the copy's as shown: Thumbnailator sizes what its filters made.
        var made = Thumbnails.of(decoded).width(width);
        if (o != null && o != Orientation.TOP_LEFT) {
          made =
              made.addFilter(
                  net.coobird.thumbnailator.util.exif.ExifFilterUtils.getFilterForOrientation(o));
        }
        made = made.outputFormat(format);
        if (format.equals("jpg")) {
          made = made.outputQuality(settings.jpegQuality());
        }
        made.toOutputStream(out);
      } finally {
        reader.dispose();
      }
    }
  }

  /** The copy of image {@code sha} at {@code width} if it was made already; reads the disk. */
  public Optional<Path> kept(String sha, int width) throws IOException {
    Optional<MediaStore.Media> media = store.get(sha);
    String format = media.isEmpty() ? null : FORMATS.get(media.get().contentType());
    if (format == null || !settings.widths().contains(width)) {
      return Optional.empty();
    }
    Path file = variantFile(sha, width, format);
    return Files.exists(file) ? Optional.of(file) : Optional.empty();
  }

  private Path variantFile(String sha, int width, String format) {
    return store
        .dir()
        .resolve("variants")
        .resolve(sha.substring(0, 2))
        .resolve(sha + "-" + width + "." + format);
  }

  /** The path of the copy of a stored file's URL ({@code /media/<sha>/<name>}) at {@code width}. */
  public static String variantUrl(String sha, int width, String name) {
    return "/media/" + sha + "/w" + width + "/" + name;
  }

  /**
   * {@code html} with each {@code <img>} of a stored JPEG or PNG given its size, the narrower
   * copies, {@code sizes} and lazy loading; what it cannot size is left as it is. Reads image
   * headers: never on an actor's or a route's thread.
   */
  public String rewrite(String html) throws IOException {
    if (html == null || !html.contains("<img") || !html.contains("/media/")) {
      return html;
    }
    Document doc = Jsoup.parseBodyFragment(html);
    doc.outputSettings().prettyPrint(false);
    boolean changed = false;
    for (Element img : doc.select("img[src^=/media/]")) {
      Matcher m = URL.matcher(img.attr("src"));
      if (!m.matches()) {
        continue;
      }
      Optional<Size> size = size(m.group(1));
      if (size.isEmpty()) {
        continue;
      }
      Size s = size.get();
      if (!img.hasAttr("width") && !img.hasAttr("height")) {
        img.attr("width", Integer.toString(s.width()));
        img.attr("height", Integer.toString(s.height()));
      }
      img.attr("loading", "lazy");
      img.attr("decoding", "async");
      List<Integer> widths = widthsFor(s);
      if (!widths.isEmpty()) {
        StringBuilder set = new StringBuilder();
        for (int w : widths) {
          set.append(variantUrl(m.group(1), w, m.group(2))).append(' ').append(w).append("w, ");
        }
        set.append(img.attr("src")).append(' ').append(s.width()).append('w');
        img.attr("srcset", set.toString());
        img.attr("sizes", settings.sizes());
      }
      changed = true;
    }
    return changed ? doc.body().html() : html;
  }
}
