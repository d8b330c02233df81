package dev.quire.cli;

import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Where the site lives: a data directory (stopped site) or a running server. */
public final class SiteOptions {

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description = "Data directory (default: ./data or $QUIRE_DATA).")
  String data;

  @Option(
      names = "--server",
      paramLabel = "URL",
      description = "A running site to talk to, e.g. http://127.0.0.1:8080.")
  String server;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      description = "API token for --server (default: $QUIRE_API_TOKEN).")
  String token;

  Map<String, Object> overrides() {
    Map<String, Object> o = new HashMap<>();
    if (data != null) {
      o.put("quire.data-dir", data);
    }
    return o;
  }

  /**
   * For a command that reads or changes a site that must exist: without {@code --server}, when the
   * configured embedded database is not there (a mistyped {@code --data}), says so on stderr and
   * answers true. Opening it would create an empty site, and an export of it looked like a backup.
   */
  boolean noSiteThere() {
    return server == null && noSiteThere(QuireNode.config(overrides()));
  }

  /** As {@link #noSiteThere()}, with the command's configuration already read. */
  boolean noSiteThere(com.typesafe.config.Config config) {
    if (server != null) {
      return false;
    }
    java.nio.file.Path db = ExportCommand.Markdown.missingDatabase(config);
    if (db == null) {
      return false;
    }
    System.err.println(
        "error: there is no site at "
            + db.getParent()
            + " (no "
            + db.getFileName()
            + "); check --data, or use --server for a running site");
    return true;
  }

  /** --token, else $QUIRE_API_TOKEN; an empty one is none. */
  String token() {
    String t = token != null ? token : System.getenv("QUIRE_API_TOKEN");
    return t == null || t.isBlank() ? null : t;
  }
}
