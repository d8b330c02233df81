package dev.quire.bundle;

/**
 * A bundle that cannot be written or read as it is: the message names the entry and, for records,
 * the line ({@code content/items-000001.jsonl:17: field 'slug': ...}).
 */
public final class BundleException extends Exception {

  private final String entry;
  private final long line;

  public BundleException(String entry, long line, String message) {
    super(prefix(entry, line) + message);
    this.entry = entry;
    this.line = line;
  }

  public BundleException(String entry, String message) {
    this(entry, 0, message);
  }

  public BundleException(String entry, String message, Throwable cause) {
    super(prefix(entry, 0) + message, cause);
    this.entry = entry;
    this.line = 0;
  }

  /** The entry at fault, or null for the bundle as a whole. */
  public String entry() {
    return entry;
  }

  /** 1-based line within a record entry; 0 when not about a line. */
  public long line() {
    return line;
  }

  private static String prefix(String entry, long line) {
    if (entry == null) {
      return "";
    }
    return line > 0 ? entry + ":" + line + ": " : entry + ": ";
  }
}
