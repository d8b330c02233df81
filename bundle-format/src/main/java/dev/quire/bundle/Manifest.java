package dev.quire.bundle;

import java.time.Instant;
import java.util.List;

/**
 * {@code manifest.json}, the bundle's last entry: what made it, what it holds, and the checksum of
 * every other entry rolled up into {@code rootChecksum}.
 */
public record Manifest(
    String format,
    String formatVersion,
    String createdBy,
    Instant createdAt,
    Site site,
    boolean includesHistory,
    Counts counts,
    List<Entry> entries,
    String rootChecksum) {

  public static final String FORMAT = "quire-bundle";
  public static final int MAJOR = 1;
  public static final int MINOR = 2;
  public static final String VERSION = MAJOR + "." + MINOR;

  public Manifest {
    entries = entries == null ? List.of() : List.copyOf(entries);
  }

  public record Site(String title, String baseUrl) {}

  public record Counts(
      long items, long events, long media, long mediaBytes, long redirects, long menus) {}

  /** One entry: its name in the zip, its uncompressed size and SHA-256 (hex). */
  public record Entry(String name, long size, String sha256) {}
}
