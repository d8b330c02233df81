package dev.quire.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.quire.content.ContentService;
import dev.quire.content.project.SqlDialect;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.JoinSeedNodes;

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

  /**
   * Settings from the command line win over the environment, which wins over the .conf files; the
   * data directory's {@code site.conf} (site settings an import wrote) wins over the packaged ones.
   */
  public static Config config(Map<String, Object> overrides) {
    Config unresolved =
        ConfigFactory.parseMap(overrides)
            .withFallback(ConfigFactory.defaultOverrides())
            .withFallback(ConfigFactory.parseResourcesAnySyntax("application"))
            .withFallback(ConfigFactory.defaultReferenceUnresolved());
    // The database URL is built from the data directory; H2 wants it absolute.
    String dataDir = unresolved.resolve().getString("quire.data-dir");
    String absolute = Path.of(dataDir).toAbsolutePath().normalize().toString();
    java.io.File siteConf =
        Path.of(absolute, dev.quire.gateway.backup.BundleSettings.FILE).toFile();
    if (siteConf.isFile()) {
      unresolved =
          ConfigFactory.parseMap(overrides)
              .withFallback(ConfigFactory.defaultOverrides())
              .withFallback(ConfigFactory.parseFile(siteConf))
              .withFallback(ConfigFactory.parseResourcesAnySyntax("application"))
              .withFallback(ConfigFactory.defaultReferenceUnresolved());
    }
    Config resolved =
        ConfigFactory.parseMap(Map.of("quire.data-dir", absolute))
            .withFallback(unresolved)
            .resolve();
    numberOfShards(resolved);
    return ConfigFactory.parseMap(
            Map.of("jdbc-journal.parallelism", journalWriteParallelism(resolved)))
        .withFallback(resolved);
  }

  /**
   * {@code quire.db.journal-write-parallelism}: a number, or "auto": one writer on H2, the
   * library's own {@code jdbc-journal.parallelism} on any other database.
   */
  static int journalWriteParallelism(Config config) {
    String key = "quire.db.journal-write-parallelism";
    String value = config.getString(key).trim();
    if (value.equals("auto")) {
      return SqlDialect.fromJdbcUrl(config.getString("quire.db.url")) == SqlDialect.H2
          ? 1
          : config.getInt("jdbc-journal.parallelism");
    }
    int n = wholeAtLeastOne(value);
    if (n < 1) {
      throw new IllegalArgumentException(
          key + ": expected \"auto\" or a whole number of at least 1, got \"" + value + "\"");
    }
    return n;
  }

  /** {@code value} as a whole number of at least 1, or 0 when it is not one. */
  private static int wholeAtLeastOne(String value) {
    try {
      return Math.max(0, Integer.parseInt(value));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * {@code pekko.cluster.sharding.number-of-shards} ({@code QUIRE_NUMBER_OF_SHARDS}), checked here
   * with its whole name: Pekko reads it as sharding starts, where a bad value fails deep in the
   * start with only its last segment named.
   */
  static int numberOfShards(Config config) {
    String key = "pekko.cluster.sharding.number-of-shards";
    String value = config.getValue(key).unwrapped().toString().trim();
    int n = wholeAtLeastOne(value);
    if (n < 1) {
      throw new IllegalArgumentException(
          key
              + " (QUIRE_NUMBER_OF_SHARDS): expected a whole number of at least 1, got \""
              + value
              + "\"");
    }
    return n;
  }

  /** Thrown when another process holds the data directory. */
  public static final class DataDirLocked extends RuntimeException {
    public final Path dir;

    DataDirLocked(Path dir) {
      super(
          "the data directory "
              + dir
              + " is in use by a running Quire; stop it, or send the work to it with"
              + " --server URL --token TOKEN");
      this.dir = dir;
    }
  }

  /**
   * Thrown when the embedded database cannot be opened for a reason its owner must act on (a
   * damaged or read-only file): the message says which file, what H2 said and what to do.
   */
  public static final class DatabaseUnusable extends RuntimeException {
    DatabaseUnusable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * H2's error codes for a file it cannot read: "File corrupted while reading record" (90030) and
   * "Unsupported database file version or invalid file header" (90048).
   */
  static final java.util.Set<Integer> H2_UNREADABLE = java.util.Set.of(90030, 90048);

  /**
   * The embedded (H2) database opened once before the content role's pools open it, so that a file
   * H2 cannot read or write stops the start with one line naming the file and what to do (the
   * pools' own failure is a page of stack traces). {@code null} for another database.
   */
  static java.sql.Connection openEmbedded(Config config) throws java.sql.SQLException {
    String url = config.getString("quire.db.url");
    if (!url.startsWith(ExportCommand.Markdown.H2_FILE_URL)) {
      return null;
    }
    // The file the URL names (jdbc:h2:file:/data/quire;OPTIONS is /data/quire.mv.db).
    String file =
        url.substring(ExportCommand.Markdown.H2_FILE_URL.length()).replaceFirst(";.*$", "")
            + ".mv.db";
    java.sql.Connection c;
    try {
      c =
          java.sql.DriverManager.getConnection(
              url, config.getString("quire.db.user"), config.getString("quire.db.password"));
    } catch (java.sql.SQLException e) {
      if (H2_UNREADABLE.contains(e.getErrorCode())) {
        throw new DatabaseUnusable(
            "the database "
                + file
                + " cannot be read (H2 "
                + org.h2.engine.Constants.FULL_VERSION
                + ": "
                + rootMessage(e)
                + "). It was left as it is. Import the latest backup into an empty data"
                + " directory (quire bundle import FILE --with-users --data NEW_DIR). If this site"
                + " last ran on a Quire built with H2 2.5.x (before 2026-12-06), whose recovery"
                + " after a kill could damage the file, that build may still open it: take a"
                + " bundle with it (quire bundle export) and import that instead. See"
                + " docs/architecture.md, Durability.",
            e);
      }
      // Anything else (an I/O error, a full disk while H2 recovers the file) may pass: it fails
      // the start as before, with exit 1, which a service manager restarts.
      throw e;
    }
    boolean readOnly;
    try {
      readOnly = c.isReadOnly();
    } catch (java.sql.SQLException e) {
      c.close();
      throw e;
    }
    if (readOnly) {
      c.close();
      throw new DatabaseUnusable(
          "the database "
              + file
              + " is read-only for this user: give the user that runs Quire write access to it"
              + " and to its directory",
          null);
    }
    return c;
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == e ? e.getMessage() : e.getMessage() + "; " + root.getMessage();
  }

  /** The roles of the short-lived nodes of import/export: content only. */
  public static final List<String> CONTENT_ONLY = List.of("content");

  public static QuireNode start(Config config, boolean withGateway, java.io.PrintStream out)
      throws Exception {
    if (withGateway) {
      return start(config, roles(config), out, System.getenv("QUIRE_API_TOKEN"));
    }
    return start(aloneAtShutdown(config), CONTENT_ONLY, out, System.getenv("QUIRE_API_TOKEN"));
  }

  /**
   * Leaving the cluster, for a node that is a cluster of its own. (The shard regions still shut
   * down gracefully before: that is how the projection, a sharded daemon process, finishes its
   * batch and stops before the database pools close.)
   */
  static final List<String> CLUSTER_EXIT_PHASES = List.of("cluster-leave", "cluster-exiting");

  /**
   * A command's short-lived content node (import, export, bundle) that joins only itself: at its
   * stop there is no other node to hand singletons over to, and leaving the cluster only waits (~1
   * s: each singleton manager's hand-over retry before it gives up). A node given seed nodes or
   * Cluster Bootstrap may have company and keeps the whole graceful exit.
   */
  static Config aloneAtShutdown(Config config) {
    if (joinsByBootstrap(config) || !seedNodes(config).isEmpty()) {
      return config;
    }
    Map<String, Object> off = new java.util.HashMap<>();
    for (String phase : CLUSTER_EXIT_PHASES) {
      off.put("pekko.coordinated-shutdown.phases." + phase + ".enabled", false);
    }
    return ConfigFactory.parseMap(off).withFallback(config);
  }

  /** {@code withGateway}: the roles of {@code quire.roles}; otherwise content only. */
  public static QuireNode start(
      Config config, boolean withGateway, java.io.PrintStream out, String apiToken)
      throws Exception {
    return start(config, withGateway ? roles(config) : CONTENT_ONLY, out, apiToken);
  }

  /**
   * The roles this node runs: {@code quire.roles}, a list or a comma-separated string (so that
   * {@code QUIRE_ROLES=gateway,content} works). Unknown names are refused.
   */
  public static List<String> roles(Config config) {
    List<String> roles = listOrCsv(config, "quire.roles");
    for (String r : roles) {
      if (!KNOWN_ROLES.contains(r)) {
        throw new IllegalArgumentException(
            "quire.roles: unknown role '"
                + r
                + "' (known: "
                + String.join(", ", KNOWN_ROLES)
                + ")");
      }
    }
    if (roles.isEmpty()) {
      throw new IllegalArgumentException("quire.roles: at least one role is needed");
    }
    return roles;
  }

  public static final List<String> KNOWN_ROLES =
      List.of("gateway", "content", "embedding", "crawler");

  static List<String> listOrCsv(Config config, String path) {
    if (!config.hasPath(path)) {
      return List.of();
    }
    if (config.getValue(path).valueType() == com.typesafe.config.ConfigValueType.LIST) {
      return config.getStringList(path).stream().map(String::strip).toList();
    }
    return java.util.Arrays.stream(config.getString(path).split(","))
        .map(String::strip)
        .filter(x -> !x.isEmpty())
        .toList();
  }

  /**
   * Seed nodes ({@code quire.cluster.seed-nodes}, "host:port" entries): empty means the embedded
   * default, a one-node cluster that joins itself.
   */
  static List<Address> seedNodes(Config config) {
    String system = config.getString("quire.cluster.system-name");
    return listOrCsv(config, "quire.cluster.seed-nodes").stream()
        .map(hp -> hostPort(hp, "quire.cluster.seed-nodes"))
        .map(hp -> new Address("pekko", system, hp.host(), hp.port()))
        .toList();
  }

  /** A "host:port" of a seed node or contact point. */
  record HostPort(String host, int port) {}

  /** Parses "host:port"; {@code where} names the setting or option in the error. */
  static HostPort hostPort(String hp, String where) {
    int colon = hp.lastIndexOf(':');
    int port = -1;
    if (colon > 0) {
      try {
        port = Integer.parseInt(hp.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
    }
    if (port <= 0 || port > 65535) {
      throw new IllegalArgumentException(where + ": '" + hp + "' is not host:port");
    }
    return new HostPort(hp.substring(0, colon), port);
  }

  /**
   * {@code quire.cluster.join}: "seeds" (the seed nodes above) or "bootstrap" (Pekko Management
   * Cluster Bootstrap finds the other nodes through Pekko Discovery: a fixed list of management
   * endpoints, or the Kubernetes API).
   */
  static boolean joinsByBootstrap(Config config) {
    String join = config.getString("quire.cluster.join");
    return switch (join) {
      case "bootstrap" -> true;
      case "seeds" -> false;
      default ->
          throw new IllegalArgumentException(
              "quire.cluster.join: '" + join + "' is neither 'seeds' nor 'bootstrap'");
    };
  }

  /** {@code apiToken} null or blank: use (or create) the one in the data directory. */
  public static QuireNode start(
      Config config, List<String> roles, java.io.PrintStream out, String apiToken)
      throws Exception {
    return start(config, roles, out, apiToken, system -> {});
  }

  /** Work for a node's roles before its gateway serves anything (e.g. {@code serve --demo}). */
  @FunctionalInterface
  public interface BeforeGateway {
    void run(ActorSystem<Void> system) throws Exception;
  }

  /**
   * As {@link #start(Config, List, java.io.PrintStream, String)}, running {@code beforeGateway}
   * once the content role is up and before the gateway starts: what it writes is in the site the
   * gateway loads before {@code /healthz} says ready.
   */
  public static QuireNode start(
      Config config,
      List<String> roles,
      java.io.PrintStream out,
      String apiToken,
      BeforeGateway beforeGateway)
      throws Exception {
    Path dataDir = Path.of(config.getString("quire.data-dir")).toAbsolutePath();
    boolean withEmbedding =
        roles.contains("embedding") && config.getBoolean("quire.embedding.enabled");
    if (withEmbedding) {
      // The model starts in the background after the site: a bad setting is refused now, naming
      // the key, rather than lost in a background start.
      dev.quire.embedding.EmbeddingService.Settings.fromConfig(config);
    }
    if (roles.contains("content")) {
      // The database pools' settings, named in full before anything opens (HikariCP's own
      // "maxPoolSize cannot be less than 1" came with a stack trace and no setting's name).
      dev.quire.protocol.ConfigChecks.atLeastOne(config, "quire.db.journal-pool-size");
      dev.quire.protocol.ConfigChecks.atLeastOne(config, "quire.db.read-model-pool-size");
      dev.quire.protocol.ConfigChecks.atLeast(
          config,
          "quire.db.connection-timeout",
          dev.quire.content.ContentService.MIN_CONNECTION_TIMEOUT);
    }
    boolean existed = Files.isDirectory(dataDir);
    Files.createDirectories(dataDir);
    ownerOnly(dataDir, existed);
    FileLock lock = lock(dataDir);
    boolean withGateway = roles.contains("gateway");
    if (withGateway) {
      dev.quire.gateway.http.BindWarmUp.start();
    }
    boolean withContent = roles.contains("content");
    List<String> clusterRoles =
        roles.stream().filter(r -> !r.equals("embedding") || withEmbedding).toList();
    Config withRoles =
        ConfigFactory.parseMap(Map.of("pekko.cluster.roles", clusterRoles)).withFallback(config);
    ActorSystem<Void> system =
        ActorSystem.create(
            Behaviors.empty(), config.getString("quire.cluster.system-name"), withRoles);
    try {
      Duration startTimeout = config.getDuration("quire.start-timeout");
      boolean bootstrap = joinsByBootstrap(config);
      if (config.getBoolean("quire.management.enabled") || bootstrap) {
        // Up before the roles: /alive answers at once, /ready once every role has started, and
        // Cluster Bootstrap's contact points are served from here.
        org.apache.pekko.management.javadsl.PekkoManagement.get(system.classicSystem())
            .start()
            .toCompletableFuture()
            .get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
      }
      Cluster cluster = Cluster.get(system);
      List<Address> seeds = seedNodes(config);
      if (bootstrap) {
        org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap.get(system.classicSystem())
            .start();
      } else if (seeds.isEmpty()) {
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      } else {
        cluster.manager().tell(new JoinSeedNodes(seeds));
      }
      if (withContent
          && (bootstrap || !seeds.isEmpty())
          && SqlDialect.fromJdbcUrl(config.getString("quire.db.url")) == SqlDialect.H2) {
        H2SingleContentNode.check(system, startTimeout);
      }
      ContentService.Handle content;
      try (java.sql.Connection held = withContent ? openEmbedded(config) : null) {
        // Held open while the pools open: the database is opened (read) once, here.
        content =
            withContent
                ? ContentService.init(system)
                    .toCompletableFuture()
                    .get(startTimeout.toMillis(), TimeUnit.MILLISECONDS)
                : null;
      }
      if (roles.contains("crawler")) {
        dev.quire.crawler.CrawlerService.init(system);
      }
      beforeGateway.run(system);
      Gateway.Started gw = null;
      if (withGateway) {
        String[] created = {null};
        ApiToken token = ApiToken.load(apiToken, dataDir, t -> created[0] = t);
        try {
          gw =
              Gateway.init(system, token)
                  .toCompletableFuture()
                  .get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
          // A token made by a start that then failed (its port taken) was never shown: the next
          // start makes and shows another.
          if (created[0] != null) {
            Files.deleteIfExists(dataDir.resolve("api-token"));
          }
          throw e;
        }
        if (created[0] != null) {
          out.println(
              "Created the API token (shown once; kept in "
                  + dataDir.resolve("api-token")
                  + "):\n  "
                  + created[0]);
        }
        String adminUrl =
            "http://"
                + config.getString("quire.gateway.http.host")
                + ":"
                + gw.binding().localAddress().getPort()
                + "/admin/";
        dev.quire.gateway.admin.FirstAdmin.ensure(system, dataDir)
            .whenComplete(
                (file, e) -> {
                  if (e != null) {
                    out.println("Could not make the first admin user: " + e.getMessage());
                  } else if (file.isPresent()) {
                    out.println(
                        "Created the admin user 'admin'; its password is in "
                            + file.get()
                            + " (sign in at "
                            + adminUrl
                            + " and change it)");
                  }
                });
      }
      if (withEmbedding) {
        // Loads the model off the actor threads. Beside a gateway it waits until the gateway has
        // answered its first page (or quire.embedding.start-wait has passed): the model load takes
        // a core for about a second, and after an import its index catch-up both cores for a
        // minute, and the first visitor should not wait for background work. Waiting for the
        // site to load: 2,271-2,956 ms to the first page against 2,873-3,424 ms loading at once
        // (three runs each, 1,000 posts); the first page then still met the catch-up of a fresh
        // import (5.0-5.8 s in bench/site.sh against ~3.8 s for a site already indexed).
        CompletableFuture<Void> siteLoaded =
            gw == null
                ? CompletableFuture.completedFuture(null)
                : gw.firstPage()
                    .toCompletableFuture()
                    .completeOnTimeout(
                        null,
                        config.getDuration("quire.embedding.start-wait").toMillis(),
                        TimeUnit.MILLISECONDS);
        // On a dispatcher, not on the thread that completed it (the first visitor's response).
        siteLoaded.thenRunAsync(
            () ->
                dev.quire.embedding.EmbeddingService.init(system)
                    .whenComplete(
                        (ref, e) -> {
                          if (e != null) {
                            out.println("The embedding service did not start: " + e.getMessage());
                          }
                        }),
            system.executionContext());
      }
      List<org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey<?>> sharded =
          new java.util.ArrayList<>();
      if (withContent) {
        sharded.add(dev.quire.protocol.ContentCommand.ENTITY_KEY);
        sharded.add(dev.quire.protocol.SlugCommand.ENTITY_KEY);
        sharded.add(dev.quire.protocol.RedirectCommand.ENTITY_KEY);
      }
      if (roles.contains("crawler")) {
        sharded.add(dev.quire.protocol.CrawlJobCommand.ENTITY_KEY);
      }
      if (config.getBoolean("quire.management.enabled") && !sharded.isEmpty()) {
        ShardingGauges.start(
            system, sharded, config.getDuration("quire.management.sharding-metrics-interval"));
      }
      NodeReady.started(system.classicSystem(), gw == null ? () -> true : gw.site()::ready);
      return new QuireNode(system, lock, content, gw);
    } catch (Exception e) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      lock.release();
      lock.channel().close();
      throw e;
    }
  }

  /**
   * The data directory holds the journal (password hashes, drafts not yet public), the media and
   * the backups: it is kept to its owner, as PostgreSQL keeps its own. The files in it are made
   * with the process's umask (022 gives 644: every local user could read the hashes), so the
   * directory is what keeps them: group and others lose their access to it. A directory found open
   * says so once in the log; where that cannot be done (another owner, no POSIX permissions) a
   * warning says what to run.
   */
  static void ownerOnly(Path dir, boolean existed) {
    java.nio.file.attribute.PosixFileAttributeView view =
        Files.getFileAttributeView(dir, java.nio.file.attribute.PosixFileAttributeView.class);
    if (view == null) {
      return;
    }
    try {
      java.util.Set<java.nio.file.attribute.PosixFilePermission> has =
          view.readAttributes().permissions();
      java.util.Set<java.nio.file.attribute.PosixFilePermission> own =
          java.util.EnumSet.noneOf(java.nio.file.attribute.PosixFilePermission.class);
      for (var p : has) {
        if (p.name().startsWith("OWNER_")) {
          own.add(p);
        }
      }
      if (own.size() == has.size()) {
        return;
      }
      view.setPermissions(own);
      if (existed) {
        org.slf4j.LoggerFactory.getLogger(QuireNode.class)
            .info(
                "{} was open to other users ({}); it is now its owner's only ({})",
                dir,
                java.nio.file.attribute.PosixFilePermissions.toString(has),
                java.nio.file.attribute.PosixFilePermissions.toString(own));
      }
    } catch (IOException | SecurityException e) {
      org.slf4j.LoggerFactory.getLogger(QuireNode.class)
          .warn(
              "{} holds password hashes and drafts, and other users may read it; could not"
                  + " change that ({}): run chmod 700 on it",
              dir,
              e.toString());
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
