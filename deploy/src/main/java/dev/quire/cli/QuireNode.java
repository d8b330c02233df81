package dev.quire.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.quire.content.ContentService;
import dev.quire.gateway.Gateway;
import dev.quire.gateway.api.ApiToken;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * One Quire process: the actor system with the roles asked for. The embedded default is a one-node
 * cluster that joins itself, holding the data directory's lock so a second process cannot open the
 * same database.
 */
public final class QuireNode implements AutoCloseable {

  private final ActorSystem<Void> system;
  private final FileLock lock;
  private final ContentService.Handle content;
  private final Gateway.Started gateway;

  private QuireNode(
      ActorSystem<Void> system, FileLock lock, ContentService.Handle content, Gateway.Started gw) {
    this.system = system;
    this.lock = lock;
    this.content = content;
    this.gateway = gw;
  }

  /** Settings from the command line win over the environment, which wins over the .conf files. */
  public static Config config(Map<String, Object> overrides) {
    Config unresolved =
        ConfigFactory.parseMap(overrides)
            .withFallback(ConfigFactory.defaultOverrides())
            .withFallback(ConfigFactory.parseResourcesAnySyntax("application"))
            .withFallback(ConfigFactory.defaultReferenceUnresolved());
    // The database URL is built from the data directory; H2 wants it absolute.
    String dataDir = unresolved.resolve().getString("quire.data-dir");
    String absolute = Path.of(dataDir).toAbsolutePath().normalize().toString();
    return ConfigFactory.parseMap(Map.of("quire.data-dir", absolute))
        .withFallback(unresolved)
        .resolve();
  }

  /** Thrown when another process holds the data directory. */
  public static final class DataDirLocked extends RuntimeException {
    DataDirLocked(Path dir) {
      super(
          "the data directory "
              + dir
              + " is in use by a running Quire; stop it, or send the work to it with"
              + " --server URL --token TOKEN");
    }
  }

  public static QuireNode start(Config config, boolean withGateway, java.io.PrintStream out)
      throws Exception {
    return start(config, withGateway, out, System.getenv("QUIRE_API_TOKEN"));
  }

  /** {@code apiToken} null or blank: use (or create) the one in the data directory. */
  public static QuireNode start(
      Config config, boolean withGateway, java.io.PrintStream out, String apiToken)
      throws Exception {
    Path dataDir = Path.of(config.getString("quire.data-dir")).toAbsolutePath();
    Files.createDirectories(dataDir);
    FileLock lock = lock(dataDir);
    // The embedding role runs with the site (serve), not in the short-lived nodes of import/export.
    boolean withEmbedding = withGateway && config.getBoolean("quire.embedding.enabled");
    List<String> roles =
        withGateway
            ? (withEmbedding
                ? List.of("content", "gateway", "embedding")
                : List.of("content", "gateway"))
            : List.of("content");
    Config withRoles =
        ConfigFactory.parseMap(Map.of("pekko.cluster.roles", roles)).withFallback(config);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "quire", withRoles);
    try {
      Cluster cluster = Cluster.get(system);
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
      Duration startTimeout = config.getDuration("quire.start-timeout");
      ContentService.Handle content =
          ContentService.init(system)
              .toCompletableFuture()
              .get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
      if (withEmbedding) {
        // Loads the model off the actor threads; the site does not wait for it.
        dev.quire.embedding.EmbeddingService.init(system)
            .whenComplete(
                (ref, e) -> {
                  if (e != null) {
                    out.println("The embedding service did not start: " + e.getMessage());
                  }
                });
      }
      Gateway.Started gw = null;
      if (withGateway) {
        ApiToken token =
            ApiToken.load(
                apiToken,
                dataDir,
                t ->
                    out.println(
                        "Created the API token (shown once; kept in "
                            + dataDir.resolve("api-token")
                            + "):\n  "
                            + t));
        gw =
            Gateway.init(system, token)
                .toCompletableFuture()
                .get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
      }
      return new QuireNode(system, lock, content, gw);
    } catch (Exception e) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      lock.release();
      lock.channel().close();
      throw e;
    }
  }

  private static FileLock lock(Path dataDir) throws IOException {
    FileChannel ch =
        FileChannel.open(
            dataDir.resolve("quire.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      FileLock lock = ch.tryLock();
      if (lock == null) {
        ch.close();
        throw new DataDirLocked(dataDir);
      }
      return lock;
    } catch (OverlappingFileLockException e) {
      ch.close();
      throw new DataDirLocked(dataDir);
    }
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public Gateway.Started gateway() {
    return gateway;
  }

  public ContentService.Handle content() {
    return content;
  }

  public void awaitTermination() throws Exception {
    system.getWhenTerminated().toCompletableFuture().get();
  }

  @Override
  public void close() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    lock.release();
    lock.channel().close();
  }
}
