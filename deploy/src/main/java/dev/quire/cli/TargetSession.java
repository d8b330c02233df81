package dev.quire.cli;

import com.typesafe.config.Config;
import java.io.PrintStream;
import java.time.Duration;

/** Opens the content target a command asked for, and closes whatever it started. */
final class TargetSession implements AutoCloseable {

  final ContentTarget target;
  final Config config;
  private final QuireNode node;

  private TargetSession(ContentTarget target, Config config, QuireNode node) {
    this.target = target;
    this.config = config;
    this.node = node;
  }

  static TargetSession open(SiteOptions site, String actor, PrintStream err) throws Exception {
    return open(site, QuireNode.config(site.overrides()), actor, err);
  }

  /** As {@link #open(SiteOptions, String, PrintStream)}, with the command's config already read. */
  static TargetSession open(SiteOptions site, Config config, String actor, PrintStream err)
      throws Exception {
    Duration timeout = config.getDuration("quire.cli.ask-timeout");
    if (site.server != null && site.data != null) {
      throw new IllegalArgumentException(
          "--server and --data name two sites; give --server for a running one, --data for a"
              + " stopped one");
    }
    if (site.server != null) {
      if (site.token() == null) {
        throw new IllegalArgumentException("--server needs --token (or QUIRE_API_TOKEN)");
      }
      return new TargetSession(new HttpTarget(site.server, site.token(), timeout), config, null);
    }
    // The local target's settings are read before the node starts: a bad one fails at once.
    var media = dev.quire.gateway.media.MediaModule.store(config);
    long maxMediaBytes = config.getBytes("quire.media.max-upload-bytes");
    QuireNode node = QuireNode.start(config, false, err);
    try {
      LocalTarget local = new LocalTarget(node.system(), timeout, actor, media, maxMediaBytes);
      return new TargetSession(local, config, node);
    } catch (Exception | Error e) {
      // Nobody else holds the node: left running, it would keep the data directory locked.
      try {
        node.close();
      } catch (Exception closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
  }

  /**
   * How many items an import keeps in flight: {@code quire.cli.import-parallelism} into a stopped
   * site, {@code quire.cli.server-import-parallelism} over HTTP into a running one.
   */
  int importParallelism() {
    return config.getInt(
        node == null ? "quire.cli.server-import-parallelism" : "quire.cli.import-parallelism");
  }

  /** The node started for a local session; null for {@code --server}. */
  QuireNode node() {
    return node;
  }

  @Override
  public void close() throws Exception {
    target.close();
    if (node != null) {
      node.close();
    }
  }
}
