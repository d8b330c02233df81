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

  /** --token, else $QUIRE_API_TOKEN; an empty one is none. */
  String token() {
    String t = token != null ? token : System.getenv("QUIRE_API_TOKEN");
    return t == null || t.isBlank() ? null : t;
  }
}
