package dev.quire.embedding.model;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Where ONNX Runtime's native libraries are loaded from. Left to itself, ONNX Runtime's Java API
 * copies them (20 MB) out of its jar into a new {@code java.io.tmpdir/onnxruntime-java*} directory
 * at every JVM start and asks the JVM to delete them at exit. That directory outlived every exit
 * (deleted before the files in it), and the 20 MB outlived every {@code kill -9}, crash or OOM
 * kill: one CI run of this project left 20 MB behind, and a host whose {@code /tmp} is mounted
 * {@code noexec} cannot load the libraries at all.
 *
 * <p>Instead they are copied once into {@code <models>/native/onnxruntime-<key>/}, beside the
 * model's own files, and ONNX Runtime is pointed there with its {@code onnxruntime.native.path}
 * property. The key is each library's size and CRC-32 as its jar records them, so a new ONNX
 * Runtime version gets a directory of its own. Copies are written to a temporary file and moved
 * into place, so a crash leaves no half-written library under the final name, and two JVMs copying
 * at once both end with a whole one.
 */
final class OnnxRuntimeLibraries {

  /** ONNX Runtime's own property: the directory to load its libraries from. */
  static final String PATH_PROPERTY = "onnxruntime.native.path";

  // What the CPU build of ONNX Runtime's jar holds for each platform, in load order.
  private static final List<String> LIBRARIES = List.of("onnxruntime", "onnxruntime4j_jni");

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(OnnxRuntimeLibraries.class);

  private static boolean done; // guarded by the class

  /** How old a temporary copy must be to count as left by a stopped process. */
  static final java.time.Duration UNFINISHED_AFTER = java.time.Duration.ofMinutes(10);

  private OnnxRuntimeLibraries() {}

  /**
   * Copies the libraries under {@code modelsDir} (once per JVM) and sets {@link #PATH_PROPERTY},
   * unless it is set already (by the operator, or by an earlier call). Must run before ONNX
   * Runtime's first use in this JVM; after it, the property is read no more. On a platform the jar
   * has no libraries for, nothing is set and ONNX Runtime reports that itself.
   *
   * @return the directory ONNX Runtime will load from, if this call or an earlier one chose it
   */
  static synchronized Optional<Path> prepare(Path modelsDir) throws IOException {
    String set = System.getProperty(PATH_PROPERTY);
    if (done || set != null) {
      done = true;
      return Optional.ofNullable(set).map(Path::of);
    }
    Optional<String> platform = platform();
    if (platform.isEmpty()) {
      done = true;
      return Optional.empty();
    }
    String folder = "ai/onnxruntime/native/" + platform.get() + "/";
    StringBuilder key = new StringBuilder();
    List<URL> urls = new java.util.ArrayList<>();
    for (String name : LIBRARIES) {
      URL url =
          OnnxRuntimeLibraries.class
              .getClassLoader()
              .getResource(folder + System.mapLibraryName(name));
      if (url == null) {
        done = true;
        return Optional.empty();
      }
      urls.add(url);
      key.append(key.length() == 0 ? "" : "-").append(fingerprint(url));
    }
    Path dir = modelsDir.resolve("native").resolve("onnxruntime-" + key);
    Files.createDirectories(dir);
    sweepUnfinished(dir);
    for (int i = 0; i < LIBRARIES.size(); i++) {
      copy(urls.get(i), dir.resolve(System.mapLibraryName(LIBRARIES.get(i))));
    }
    System.setProperty(PATH_PROPERTY, dir.toAbsolutePath().toString());
    done = true;
    LOG.debug("ONNX Runtime's native libraries load from {}", dir);
    return Optional.of(dir);
  }

  /**
   * ONNX Runtime's name for this platform's folder in its jar (its {@code OnnxRuntime} class
   * decides the same way), or empty for one it has no libraries for.
   */
  static Optional<String> platform() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    String o =
        os.contains("mac") || os.contains("darwin")
            ? "osx"
            : os.contains("win") ? "win" : os.contains("nux") ? "linux" : null;
    String a =
        arch.startsWith("amd64") || arch.startsWith("x86_64")
            ? "x64"
            : arch.startsWith("aarch64") ? "aarch64" : null;
    return o == null || a == null ? Optional.empty() : Optional.of(o + "-" + a);
  }

  /**
   * The library's size and CRC-32 from its jar entry (read without inflating it); a library on a
   * plain directory class path, as in an IDE, is read whole for its CRC-32.
   */
  private static String fingerprint(URL url) throws IOException {
    URLConnection connection = url.openConnection();
    if (connection instanceof JarURLConnection jar) {
      var entry = jar.getJarEntry();
      if (entry.getCrc() != -1 && entry.getSize() != -1) {
        return Long.toHexString(entry.getSize()) + Long.toHexString(entry.getCrc());
      }
    }
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    long size = 0;
    try (InputStream in = connection.getInputStream()) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        crc.update(buf, 0, n);
        size += n;
      }
    }
    return Long.toHexString(size) + Long.toHexString(crc.getValue());
  }

  /**
   * Deletes the temporary copies a stopped process left in {@code dir} (a {@code kill -9} during a
   * copy), those last written over {@link #UNFINISHED_AFTER} ago: a younger one may be another
   * process's, copying now.
   */
  private static void sweepUnfinished(Path dir) throws IOException {
    java.time.Instant before = java.time.Instant.now().minus(UNFINISHED_AFTER);
    try (var files = Files.newDirectoryStream(dir, "*.tmp")) {
      for (Path f : files) {
        try {
          if (Files.getLastModifiedTime(f).toInstant().isBefore(before)) {
            Files.deleteIfExists(f);
          }
        } catch (java.nio.file.NoSuchFileException gone) {
          // moved into place, or swept by another process, since the listing
        }
      }
    }
  }

  /** Copies {@code url} to {@code target} unless a file of its size is there already. */
  private static void copy(URL url, Path target) throws IOException {
    URLConnection connection = url.openConnection();
    long size = connection.getContentLengthLong();
    if (size >= 0 && Files.isRegularFile(target) && Files.size(target) == size) {
      return;
    }
    Path tmp = Files.createTempFile(target.getParent(), target.getFileName() + ".", ".tmp");
    try {
      try (InputStream in = connection.getInputStream()) {
        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      }
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
