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

  /** The newest major version this code reads and writes. */
  public static final int MAJOR = 2;

  /**
   * What a bundle without accounts is written as: 1.x readers read it (it holds nothing of 2.0).
   */
  public static final String VERSION = "1.2";

  /** What a bundle that carries the admin's accounts ({@code users.jsonl}) is written as. */
  public static final String VERSION_WITH_USERS = "2.0";

  public Manifest {
    entries = entries == null ? List.of() : List.copyOf(entries);
  }

  public record Site(String title, String baseUrl) {}

  /** {@code users}: accounts in {@code users.jsonl} (2.x; 0 without, and in older manifests). */
  public record Counts(
      long items,
      long events,
      long media,
      long mediaBytes,
      long redirects,
      long menus,
      long users) {
    public Counts(
        long items, long events, long media, long mediaBytes, long redirects, long menus) {
      this(items, events, media, mediaBytes, redirects, menus, 0);
    }
  }

  /** One entry: its name in the zip, its uncompressed size and SHA-256 (hex). */
  public record Entry(String name, long size, String sha256) {}
}
