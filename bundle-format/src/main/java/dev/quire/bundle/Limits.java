package dev.quire.bundle;

/**
 * What a reader accepts before it reads anything else: a bundle over any limit is refused with the
 * limit named. The defaults fit a large site (a million items, 64 GB of media) and refuse zip
 * bombs: an entry that inflates more than {@code maxCompressionRatio} times is cut off there.
 */
public record Limits(
    int maxEntries,
    long maxRecordEntryBytes,
    long maxMediaEntryBytes,
    long maxTotalBytes,
    int maxCompressionRatio,
    int maxLineBytes,
    long maxItems,
    long maxManifestBytes,
    long maxDirectoryBytes) {

  /**
   * {@code maxManifestBytes}: the manifest lists every entry (~200 bytes each), and is read whole
   * into the heap before anything else: 64 MiB holds ~330,000 entries, and a manifest at the record
   * limit (256 MiB, inflated from a 1.3 MB bundle) ran the command's 256 MB heap out. {@code
   * maxDirectoryBytes}: the zip's central directory (~120 bytes an entry), which the zip library
   * reads into one array when the file is opened, before any entry can be counted.
   */
  public static final Limits DEFAULT =
      new Limits(
          2_000_000,
          256L << 20,
          4L << 30,
          64L << 30,
          200,
          8 << 20,
          1_000_000,
          64L << 20,
          64L << 20);

  public Limits withMaxEntries(int n) {
    return new Limits(
        n,
        maxRecordEntryBytes,
        maxMediaEntryBytes,
        maxTotalBytes,
        maxCompressionRatio,
        maxLineBytes,
        maxItems,
        maxManifestBytes,
        maxDirectoryBytes);
  }

  public Limits withMaxMediaEntryBytes(long n) {
    return new Limits(
        maxEntries,
        maxRecordEntryBytes,
        n,
        maxTotalBytes,
        maxCompressionRatio,
        maxLineBytes,
        maxItems,
        maxManifestBytes,
        maxDirectoryBytes);
  }

  public Limits withMaxCompressionRatio(int n) {
    return new Limits(
        maxEntries,
        maxRecordEntryBytes,
        maxMediaEntryBytes,
        maxTotalBytes,
        n,
        maxLineBytes,
        maxItems,
        maxManifestBytes,
        maxDirectoryBytes);
  }

  public Limits withMaxManifestBytes(long n) {
    return new Limits(
        maxEntries,
        maxRecordEntryBytes,
        maxMediaEntryBytes,
        maxTotalBytes,
        maxCompressionRatio,
        maxLineBytes,
        maxItems,
        n,
        maxDirectoryBytes);
  }

  public Limits withMaxDirectoryBytes(long n) {
    return new Limits(
        maxEntries,
        maxRecordEntryBytes,
        maxMediaEntryBytes,
        maxTotalBytes,
        maxCompressionRatio,
        maxLineBytes,
        maxItems,
        maxManifestBytes,
        n);
  }

  public Limits withMaxTotalBytes(long n) {
    return new Limits(
        maxEntries,
        maxRecordEntryBytes,
        maxMediaEntryBytes,
        n,
        maxCompressionRatio,
        maxLineBytes,
        maxItems,
        maxManifestBytes,
        maxDirectoryBytes);
  }
}
