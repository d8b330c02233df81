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
      List<Integer> widths,
      long maxPixels,
      long decodePixels,
      float jpegQuality,
      String sizes,
      int sizesKept,
      int maxJpegScans) {

    public static Settings fromConfig(Config config) {
      Config c = config.getConfig("quire.media.images");
      List<Integer> widths = c.getIntList("widths").stream().sorted().distinct().toList();
      if (widths.isEmpty() || widths.get(0) < 1) {
        throw new IllegalArgumentException(
            "quire.media.images.widths must list widths of 1 pixel or more, was " + widths);
      }
      for (String limit : List.of("max-pixels", "decode-pixels", "sizes-kept", "max-jpeg-scans")) {
        if (c.getLong(limit) < 1) {
          throw new IllegalArgumentException(
              "quire.media.images." + limit + " must be 1 or more, was " + c.getLong(limit));
        }
      }
      double q = c.getDouble("jpeg-quality");
      if (q <= 0 || q > 1) {
        throw new IllegalArgumentException(
            "quire.media.images.jpeg-quality must be above 0 and at most 1, was " + q);
      }
      return new Settings(
          widths,
          c.getLong("max-pixels"),
          c.getLong("decode-pixels"),
          (float) q,
          c.getString("sizes"),
          c.getInt("sizes-kept"),
          c.getInt("max-jpeg-scans"));
    }
  }

  /**
   * An image's size as a browser shows it (after its EXIF orientation); {@code copyable} false for
   * a palette PNG with compressed chunks (text, colour profile), which the JDK's reader unpacks
   * whatever it is told, so decoding one could take any amount of memory.
   */
  public record Size(int width, int height, boolean copyable) {
    public Size(int width, int height) {
      this(width, height, true);
    }
  }

  private static final Map<String, String> FORMATS =
      Map.of("image/jpeg", "jpg", "image/jpg", "jpg", "image/pjpeg", "jpg", "image/png", "png");

  /** {@code /media/<sha256>/<name>}, as {@code MediaStore.Media#url} makes it. */
  private static final Pattern URL = Pattern.compile("^/media/([0-9a-f]{64})/([A-Za-z0-9._-]+)$");

  private final MediaStore store;
  private final Settings settings;

  /** Sizes read, least recently used first past {@code sizes-kept}; guarded by itself. */
  private final Map<String, Optional<Size>> sizes;

  private final java.util.Set<String> failed = ConcurrentHashMap.newKeySet();

  public ImageVariants(MediaStore store, Settings settings) {
    this.store = store;
    this.settings = settings;
    int kept = settings.sizesKept();
    this.sizes =
        java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(16, 0.75f, true) {
              @Override
              protected boolean removeEldestEntry(Map.Entry<String, Optional<Size>> eldest) {
                return size() > kept;
              }
            });
  }

  public Settings settings() {
    return settings;
  }

  /**
   * The size of stored image {@code sha} from its header, if it is a JPEG or PNG this can read;
   * remembered (a blob never changes) unless the store did not hold it or the read failed. Reads
   * files: never on an actor's or a route's thread.
   */
  public Optional<Size> size(String sha) throws IOException {
    Optional<Size> known = sizes.get(sha);
    if (known != null) {
      return known;
    }
    Optional<MediaStore.Media> media = store.get(sha);
    if (media.isEmpty()) {
      return Optional.empty(); // not (yet) here: asked again next time
    }
    return size(media.get());
  }

  /** As {@link #size(String)}, for a stored file whose record was read already. */
  private Optional<Size> size(MediaStore.Media media) throws IOException {
    Optional<Size> known = sizes.get(media.sha256());
    if (known != null) {
      return known;
    }
    String format = FORMATS.get(media.contentType());
    Optional<Size> size = format == null ? Optional.empty() : readSize(media.sha256(), format);
    sizes.put(media.sha256(), size);
    return size;
  }

  /**
   * The image's size from its header only: metadata is not read (a PNG's text chunks, unpacked,
   * could be any size), and a JPEG's EXIF orientation is found by walking its segments to the first
   * APP1 (each at most 64 KiB). A file whose bytes are not the stored type has no size.
   */
  private Optional<Size> readSize(String sha, String format) throws IOException {
    try (ImageInputStream in = ImageIO.createImageInputStream(store.blob(sha).toFile())) {
      ImageReader reader = reader(in, format);
      if (reader == null) {
        return Optional.empty();
      }
      try {
        reader.setInput(in, true, true);
        int w = reader.getWidth(0);
        int h = reader.getHeight(0);
        if (format.equals("png")) {
          return Optional.of(new Size(w, h, !riskyPalettePng(sha)));
        }
        return Optional.of(turned(orientation(sha, format)) ? new Size(h, w) : new Size(w, h));
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException unreadable) {
      return Optional.empty();
    }
  }

  /** The reader of the stored type for {@code in}, or null when its bytes are another kind. */
  private static ImageReader reader(ImageInputStream in, String format) throws IOException {
    if (in == null) {
      return null;
    }
    Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
    if (!readers.hasNext()) {
      return null;
    }
    ImageReader reader = readers.next();
    String name = reader.getFormatName().toLowerCase(java.util.Locale.ROOT);
    if (!(format.equals("jpg") ? name.equals("jpeg") : name.equals("png"))) {
      reader.dispose();
      return null;
    }
    return reader;
  }

  private static boolean turned(Orientation o) {
    return o == Orientation.LEFT_TOP
        || o == Orientation.RIGHT_TOP
        || o == Orientation.RIGHT_BOTTOM
        || o == Orientation.LEFT_BOTTOM;
  }

  /** A JPEG's EXIF orientation (null: none, or a PNG), from its APP1 segment alone. */
  private Orientation orientation(String sha, String format) throws IOException {
    if (!format.equals("jpg")) {
      return null;
    }
    try (var in =
        new java.io.DataInputStream(
            new java.io.BufferedInputStream(Files.newInputStream(store.blob(sha))))) {
      if (in.readUnsignedShort() != 0xFFD8) {
        return null;
      }
      while (true) {
        if (in.readUnsignedByte() != 0xFF) {
          return null; // not a marker where one must be: as stored
        }
        int code = in.readUnsignedByte();
        while (code == 0xFF) {
          code = in.readUnsignedByte(); // fill bytes before a marker
        }
        if (code == 0x01 || (code >= 0xD0 && code <= 0xD8)) {
          continue; // TEM, RSTn and SOI have no length
        }
        if (code == 0xDA || code == 0xD9) {
          return null; // the image data starts: no EXIF before it
        }
        int length = in.readUnsignedShort() - 2;
        if (length < 0) {
          return null;
        }
        if (code == 0xE1) {
          byte[] app1 = in.readNBytes(length);
          if (app1.length > 4 && app1[0] == 'E' && app1[1] == 'x' && app1[2] == 'i') {
            try {
              return ExifUtils.getOrientationFromExif(app1);
            } catch (RuntimeException malformed) {
              return null;
            }
          }
        } else {
          in.skipNBytes(length);
        }
      }
    } catch (java.io.EOFException truncated) {
      return null;
    }
  }

  /**
   * Whether a PNG has a palette (colour type 3) and compressed chunks (zTXt, iTXt, iCCP): the JDK's
   * reader reads a palette image's metadata even when told not to, unpacking those. Walks the chunk
   * headers only (8 bytes each, the data skipped).
   */
  private boolean riskyPalettePng(String sha) throws IOException {
    try (var in =
        new java.io.DataInputStream(
            new java.io.BufferedInputStream(Files.newInputStream(store.blob(sha))))) {
      in.skipNBytes(8); // the signature
      boolean palette = false;
      while (true) {
        long length = in.readInt() & 0xFFFFFFFFL;
        int type = in.readInt();
        if (type == 0x49484452 && length >= 13) { // IHDR: width, height, depth, colour type, ...
          in.skipNBytes(9);
          palette = in.readUnsignedByte() == 3;
          in.skipNBytes(length - 10 + 4);
          continue;
        }
        if (type == 0x7A545874 || type == 0x69545874 || type == 0x69434350) { // zTXt iTXt iCCP
          if (palette) {
            return true;
          }
        }
        if (type == 0x49454E44) { // IEND
          return false;
        }
        in.skipNBytes(length + 4); // the data and its CRC
      }
    } catch (java.io.EOFException truncated) {
      return true; // a PNG that ends early is not decoded here
    }
  }

  /**
   * The scans (SOS segments) of the JPEG in {@code file}, counted up to one more than {@code
   * limit}: a baseline JPEG has one, a progressive one usually ten or so; a decoder makes a pass
   * over every block for each, however little it keeps. Walks the segments, skipping each by its
   * length, and the image data for the next marker.
   */
  static int jpegScans(Path file, int limit) throws IOException {
    int scans = 0;
    try (var in =
        new java.io.DataInputStream(
            new java.io.BufferedInputStream(Files.newInputStream(file), SCAN_BUFFER))) {
      if (in.readUnsignedShort() != 0xFFD8) {
        return 0;
      }
      while (true) {
        int b = in.read();
        if (b < 0) {
          return scans;
        }
        if (b != 0xFF) {
          continue; // image data after a scan's header
        }
        int code = in.readUnsignedByte();
        while (code == 0xFF) {
          code = in.readUnsignedByte(); // fill bytes before a marker
        }
        if (code == 0x00 || code == 0x01 || (code >= 0xD0 && code <= 0xD8)) {
          continue; // a 0xFF in the image data, TEM, RSTn, SOI: no length
        }
        if (code == 0xD9) {
          return scans; // EOI
        }
        int length = in.readUnsignedShort() - 2;
        if (code == 0xDA && ++scans > limit) {
          return scans;
        }
        in.skipNBytes(Math.max(0, length));
      }
    } catch (java.io.EOFException truncated) {
      return scans; // a JPEG cut short: the scans it holds
    }
  }

  private static final int SCAN_BUFFER = 1 << 16;

  /** The size of the stored image at {@code url} if it was read already; never reads a file. */
  public Optional<Size> knownSize(String url) {
    Matcher m = url == null ? null : URL.matcher(url);
    if (m == null || !m.matches()) {
      return Optional.empty();
    }
    Optional<Size> known = sizes.get(m.group(1));
    return known == null ? Optional.empty() : known;
  }

  /** Reads the size of the stored image at {@code url} (a cover's), so pages can name it. */
  public void readAhead(String url) throws IOException {
    Matcher m = url == null ? null : URL.matcher(url);
    if (m != null && m.matches()) {
      size(m.group(1));
    }
  }

  /**
   * The {@code srcset} of the stored image at {@code url}, from its size read already: empty when
   * it has no copies, is unread, or its name is not as the store makes them.
   */
  public String srcset(String url) {
    Optional<Size> size = knownSize(url);
    if (size.isEmpty()) {
      return "";
    }
    Matcher m = URL.matcher(url);
    List<Integer> widths = widthsFor(size.get());
    if (!m.matches() || widths.isEmpty() || !MediaStore.isSafeName(m.group(2))) {
      return "";
    }
    StringBuilder set = new StringBuilder();
    for (int w : widths) {
      set.append(variantUrl(m.group(1), w, m.group(2))).append(' ').append(w).append("w, ");
    }
    return set.append(url).append(' ').append(size.get().width()).append('w').toString();
  }

  /**
   * {@code images} in templates, defined while the media module runs: a stored image's copies and
   * size for a theme's own {@code <img>} (a cover), from what the site read ahead; empty or 0 for
   * any other URL. No method reads a file.
   */
  public static final class ForTemplates {
    private volatile ImageVariants variants;

    void use(ImageVariants v) {
      this.variants = v;
    }

    public String srcset(String url) {
      ImageVariants v = variants;
      return v == null ? "" : v.srcset(url);
    }

    public int width(String url) {
      ImageVariants v = variants;
      return v == null ? 0 : v.knownSize(url).map(Size::width).orElse(0);
    }

    public int height(String url) {
      ImageVariants v = variants;
      return v == null ? 0 : v.knownSize(url).map(Size::height).orElse(0);
    }
  }

  /** The widths copies of an image of {@code size} are made at: those narrower than it. */
  public List<Integer> widthsFor(Size size) {
    if (!size.copyable() || (long) size.width() * size.height() > settings.maxPixels()) {
      return List.of();
    }
    // A copy is at most decode-pixels too (a very tall image's narrow copy is still tall), and
    // never wider than what the decoder keeps of the image (it would be scaled up).
    int kept = size.width() / skipFor(size, 1);
    return settings.widths().stream()
        .filter(w -> w < size.width() && w <= kept)
        .filter(w -> (long) w * w * size.height() / size.width() <= settings.decodePixels())
        .toList();
  }

  /** How many pixels the decoder steps over: at least {@code least}, within decode-pixels. */
  private int skipFor(Size size, int least) {
    double pixels = (double) size.width() * size.height();
    return (int) Math.max(least, Math.ceil(Math.sqrt(pixels / settings.decodePixels())));
  }

  /**
   * A copy, or why there is none: {@code permanent} when that can never change (the image is not
   * wider than the copy, or not a JPEG or PNG), so a reader may be sent to the original for good.
   */
  public record Copy(Path file, boolean permanent) {}

  /**
   * The copy of image {@code sha} {@code width} pixels wide (one of the widths): the kept one, or
   * made now and kept (written to a temporary file and moved, so a reader never sees half of one).
   * A copy that failed to be made (a JPEG in CMYK) is not tried again while this runs. Reads and
   * writes files and decodes the image: on the media dispatcher only.
   */
  public Copy variant(String sha, int width) throws IOException {
    Optional<MediaStore.Media> media = store.get(sha);
    return media.isEmpty() ? new Copy(null, false) : variant(media.get(), width);
  }

  /** As {@link #variant(String, int)}, for a stored file whose record was read already. */
  public Copy variant(MediaStore.Media media, int width) throws IOException {
    String sha = media.sha256();
    String format = FORMATS.get(media.contentType());
    Optional<Size> size = format == null ? Optional.empty() : size(media);
    if (size.isEmpty()) {
      return new Copy(null, format == null);
    }
    if (size.get().width() <= width) {
      return new Copy(null, true);
    }
    if (!widthsFor(size.get()).contains(width) || failed.contains(sha + "-" + width)) {
      return new Copy(null, false); // the limits are configuration: not for good
    }
    Path file = variantFile(sha, width, format);
    if (Files.exists(file)) {
      return new Copy(file, false);
    }
    Files.createDirectories(file.getParent());
    Path tmp = Files.createTempFile(file.getParent(), sha + "-" + width, ".tmp");
    try {
      try (OutputStream out = Files.newOutputStream(tmp)) {
        scaled(sha, size.get(), width, format, out);
      } catch (IOException | RuntimeException | OutOfMemoryError e) {
        if (failed.size() < settings.sizesKept()) {
          failed.add(sha + "-" + width);
        }
        if (e instanceof OutOfMemoryError) {
          throw new IOException("decoding it ran out of memory", e);
        }
        throw e;
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (java.nio.file.AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    return new Copy(file, false);
  }

  /**
   * Writes image {@code sha} ({@code size} as shown) scaled to {@code width} as shown. The decoder
   * skips pixels so that it holds less than twice the copy's width and at most {@code
   * decode-pixels}; Thumbnailator scales the rest of the way, into full colour (a palette PNG's
   * copy keeps its colours and transparency), and turns it as its EXIF orientation says.
   */
  private void scaled(String sha, Size size, int width, String format, OutputStream out)
      throws IOException {
    try (ImageInputStream in = ImageIO.createImageInputStream(store.blob(sha).toFile())) {
      ImageReader reader = reader(in, format);
      if (reader == null) {
        throw new IOException("media " + sha + " is not a readable " + format);
      }
      try {
        if (format.equals("jpg")) {
          int scans = jpegScans(store.blob(sha), settings.maxJpegScans());
          if (scans > settings.maxJpegScans()) {
            // Each scan is a pass over every block, whatever is skipped: a 125 KB JPEG of 4,000
            // by 4,000 with 1,010 scans took 24 s to decode, against 0.4 s with its own 10.
            throw new IOException(
                "media "
                    + sha
                    + " is a JPEG of more than "
                    + settings.maxJpegScans()
                    + " scans (quire.media.images.max-jpeg-scans): not decoded");
          }
        }
        reader.setInput(in, true, true);
        int skip = skipFor(size, Math.max(1, size.width() / width));
        javax.imageio.ImageReadParam param = reader.getDefaultReadParam();
        param.setSourceSubsampling(skip, skip, 0, 0);
        java.awt.image.BufferedImage decoded = reader.read(0, param);
        // The width is the copy's as shown: Thumbnailator sizes what its filters made.
        var made =
            Thumbnails.of(decoded)
                .width(width)
                .imageType(
                    format.equals("png")
                        ? java.awt.image.BufferedImage.TYPE_INT_ARGB
                        : java.awt.image.BufferedImage.TYPE_INT_RGB);
        Orientation o = orientation(sha, format);
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

  /**
   * Deletes the temporary files of copies whose writing a stopped process never finished, those
   * last written over {@code olderThan} ago (a younger one may be another gateway's, writing now
   * into a shared media directory); returns how many. Reads the disk: on the media dispatcher.
   */
  public int sweepUnfinished(java.time.Duration olderThan) throws IOException {
    Path root = store.dir().resolve("variants");
    if (!Files.isDirectory(root)) {
      return 0;
    }
    java.time.Instant before = java.time.Instant.now().minus(olderThan);
    int swept = 0;
    List<IOException> failed = new java.util.ArrayList<>();
    try (var dirs =
        Files.newDirectoryStream(
            root, d -> Files.isDirectory(d, java.nio.file.LinkOption.NOFOLLOW_LINKS))) {
      for (Path dir : dirs) {
        try {
          swept += MediaStore.deleteStale(dir, "*.tmp", before, failed);
        } catch (java.nio.file.NoSuchFileException gone) {
          // Removed since the listing.
        }
      }
    }
    if (!failed.isEmpty()) {
      throw failed.get(0);
    }
    return swept;
  }

  /** Deletes every copy made of the stored image {@code sha}; returns how many. Reads the disk. */
  public int forget(String sha) throws IOException {
    if (!MediaStore.isSha(sha)) {
      return 0;
    }
    Path dir = store.dir().resolve("variants").resolve(sha.substring(0, 2));
    if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return 0;
    }
    int deleted = 0;
    try (var files = Files.newDirectoryStream(dir, sha + "-*")) {
      for (Path f : files) {
        if (Files.deleteIfExists(f)) {
          deleted++;
        }
      }
    }
    return deleted;
  }

  /** The copy of image {@code sha} at {@code width} if it was made already; reads the disk. */
  public Optional<Path> kept(String sha, int width) throws IOException {
    Optional<MediaStore.Media> media = store.get(sha);
    return media.isEmpty() ? Optional.empty() : kept(media.get(), width);
  }

  /** As {@link #kept(String, int)}, for a stored file whose record was read already. */
  public Optional<Path> kept(MediaStore.Media media, int width) {
    String format = FORMATS.get(media.contentType());
    if (format == null || !settings.widths().contains(width)) {
      return Optional.empty();
    }
    Path file = variantFile(media.sha256(), width, format);
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
   * copies, {@code sizes} and lazy loading (but the first); what it cannot size is left as it is.
   * Reads image headers: never on an actor's or a route's thread.
   */
  public String rewrite(String html) throws IOException {
    if (html == null || !html.contains("<img") || !html.contains("/media/")) {
      return html;
    }
    Document doc = Jsoup.parseBodyFragment(html);
    doc.outputSettings().prettyPrint(false);
    boolean changed = false;
    boolean first = true;
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
      boolean sizedByAuthor = img.hasAttr("width") || img.hasAttr("height");
      if (!sizedByAuthor) {
        img.attr("width", Integer.toString(s.width()));
        img.attr("height", Integer.toString(s.height()));
      }
      // The first image may be the post's main one: it loads at once, the rest as they near
      // (unless the author said otherwise).
      if (!first && !img.hasAttr("loading")) {
        img.attr("loading", "lazy");
      }
      first = false;
      if (!sizedByAuthor) {
        // Also what marks the size as this gateway's (the PDF export drops it, not an author's).
        img.attr("decoding", "async");
      }
      // Copies only under the name the store gives (the copies' route takes no other), and not
      // where the author set a size: "sizes" would not know it.
      String set = sizedByAuthor ? "" : srcset(img.attr("src"));
      if (!set.isEmpty()) {
        img.attr("srcset", set);
        img.attr("sizes", settings.sizes());
      }
      changed = true;
    }
    return changed ? doc.body().html() : html;
  }
}
