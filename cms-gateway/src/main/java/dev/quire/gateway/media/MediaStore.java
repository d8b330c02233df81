package dev.quire.gateway.media;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Media blobs stored once by content: {@code <dir>/<first two hex>/<sha256>} with a small JSON
 * record beside it ({@code .json}: type, original name, size, time). A blob is written to a temp
 * file, hashed while copied, fsynced and renamed into place, so a crash never leaves half a file
 * under a real name, and the same bytes uploaded twice are stored once. Blocking file I/O: callers
 * run it on a blocking dispatcher. In a cluster every gateway and the importer need the same
 * directory (a shared volume), as with any CMS's uploads.
 */
public final class MediaStore {

  /** What is known about one stored blob. {@code filename} is for display, never a path. */
  public record Media(
      String sha256, long size, String contentType, String filename, Instant createdAt) {
    public String url() {
      return "/media/" + sha256 + "/" + safeName(filename);
    }
  }

  /** The upload was larger than allowed; nothing was stored. */
  public static final class TooLarge extends IOException {
    public TooLarge(long limit) {
      super("the file is larger than " + limit + " bytes (quire.media.max-upload-bytes)");
    }
  }

  private static final Pattern SHA = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern TYPE =
      Pattern.compile("[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*");
  private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());

  private final Path dir;
  private final Clock clock;

  public MediaStore(Path dir, Clock clock) {
    this.dir = dir;
    this.clock = clock;
  }

  public Path dir() {
    return dir;
  }

  public static boolean isSha(String s) {
    return s != null && SHA.matcher(s).matches();
  }

  /** A content type as stored: lower case, parameters dropped, else application/octet-stream. */
  public static String normaliseType(String contentType) {
    if (contentType == null) {
      return "application/octet-stream";
    }
    String t = contentType.split(";", 2)[0].strip().toLowerCase(java.util.Locale.ROOT);
    return TYPE.matcher(t).matches() && t.length() <= 100 ? t : "application/octet-stream";
  }

  /** A display name safe in a URL path segment and a header: [A-Za-z0-9._-], at most 100. */
  public static String safeName(String name) {
    String base = name == null ? "" : name.replaceAll(".*[/\\\\]", "");
    String s = base.replaceAll("[^A-Za-z0-9._-]+", "-").replaceAll("^[.-]+", "");
    if (s.length() > 100) {
      s = s.substring(s.length() - 100);
    }
    return s.isEmpty() ? "file" : s;
  }

  /** Stores what {@code in} yields (at most {@code maxBytes}) and returns its record. */
  public Media put(InputStream in, String contentType, String filename, long maxBytes)
      throws IOException {
    Path tmpDir = Files.createDirectories(dir.resolve("tmp"));
    Path tmp = tmpDir.resolve(UUID.randomUUID() + ".part");
    MessageDigest sha = sha256();
    long size = 0;
    try {
      try (DigestInputStream din = new DigestInputStream(in, sha);
          OutputStream out = Files.newOutputStream(tmp)) {
        byte[] buf = new byte[64 * 1024];
        int n;
        while ((n = din.read(buf)) > 0) {
          size += n;
          if (size > maxBytes) {
            throw new TooLarge(maxBytes);
          }
          out.write(buf, 0, n);
        }
      }
      try (var ch =
          java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      String hex = HexFormat.of().formatHex(sha.digest());
      Optional<Media> existing = get(hex);
      if (existing.isPresent()) {
        return existing.get();
      }
      Path target = blob(hex);
      Files.createDirectories(target.getParent());
      move(tmp, target);
      Media m =
          new Media(hex, size, normaliseType(contentType), safeName(filename), clock.instant());
      Path metaTmp = tmpDir.resolve(UUID.randomUUID() + ".json");
      Files.write(metaTmp, JSON.writeValueAsBytes(m));
      move(metaTmp, meta(hex));
      return m;
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** The record of a stored blob; empty when there is none (or the name is not a hash). */
  public Optional<Media> get(String sha) throws IOException {
    if (!isSha(sha) || !Files.exists(meta(sha)) || !Files.exists(blob(sha))) {
      return Optional.empty();
    }
    return Optional.of(JSON.readValue(meta(sha).toFile(), Media.class));
  }

  /** Where a blob's bytes are; only for a name that {@link #isSha} accepts. */
  public Path blob(String sha) {
    if (!isSha(sha)) {
      throw new IllegalArgumentException("not a SHA-256: " + sha);
    }
    return dir.resolve(sha.substring(0, 2)).resolve(sha);
  }

  private Path meta(String sha) {
    return dir.resolve(sha.substring(0, 2)).resolve(sha + ".json");
  }

  /** Every stored blob's record, oldest first. */
  public List<Media> list() throws IOException {
    List<Media> all = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return all;
    }
    try (DirectoryStream<Path> shards = Files.newDirectoryStream(dir, "[0-9a-f][0-9a-f]")) {
      for (Path shard : shards) {
        try (DirectoryStream<Path> metas = Files.newDirectoryStream(shard, "*.json")) {
          for (Path m : metas) {
            String sha = m.getFileName().toString().replace(".json", "");
            get(sha).ifPresent(all::add);
          }
        }
      }
    }
    all.sort(java.util.Comparator.comparing(Media::createdAt).thenComparing(Media::sha256));
    return all;
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
