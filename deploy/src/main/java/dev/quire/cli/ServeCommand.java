package dev.quire.cli;

import dev.quire.content.render.MarkdownRenderer;
import dev.quire.gateway.site.SiteSettings;
import dev.quire.protocol.ConfigChecks;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Run the site: by default every role in one JVM on the embedded database.",
      "With --roles and --seed a process runs only some roles and joins a cluster."
    })
final class ServeCommand implements Callable<Integer> {

  /** How often --demo looks whether the read model holds the demo yet. */
  private static final long DEMO_POLL_MILLIS = 20;

  private static final int MAX_PORT = 65_535;

  /** {@link SiteSettings#isDefaultBaseUrl}. */
  static boolean isDefaultBaseUrl(com.typesafe.config.Config config, String env) {
    return SiteSettings.isDefaultBaseUrl(config, env);
  }

  /**
   * The base URL for a server whose site address was never set, on another port than the default's
   * 8080: {@code http://localhost:<port>}, so that a site tried out on {@code --port 18501} links
   * to itself (its canonical URLs, feeds and sitemap named port 8080, where nothing listened).
   * Empty when the address was set, or the port is the default's or chosen at start.
   */
  static java.util.Optional<String> localBaseUrl(com.typesafe.config.Config config, String env) {
    int port = config.getInt("quire.gateway.http.port");
    // The reference's own port, not one QUIRE_PORT or a system property put there: with
    // QUIRE_PORT=18501 the resolved reference says 18501, and the links kept naming 8080.
    int defaultPort =
        com.typesafe.config.ConfigFactory.defaultReferenceUnresolved()
            .resolve(com.typesafe.config.ConfigResolveOptions.noSystem())
            .getInt("quire.gateway.http.port");
    if (!isDefaultBaseUrl(config, env) || port <= 0 || port == defaultPort) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of("http://localhost:" + port);
  }

  @Option(names = "--port", description = "HTTP port (default 8080 or $QUIRE_PORT).")
  Integer port;

  @Option(
      names = "--host",
      description = "Address to listen on (default 127.0.0.1 or $QUIRE_HOST).")
  String host;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description = "Data directory (default ./data or $QUIRE_DATA).")
  String data;

  @Option(names = "--demo", description = "Fill an empty site with demo posts and pages.")
  boolean demo;

  @Option(names = "--dev", description = "Reload templates and assets from disk on every request.")
  boolean dev;

  @Option(
      names = "--theme",
      paramLabel = "DIR",
      description = "Theme directory overriding the built-in theme.")
  String theme;

  @Option(
      names = "--management-port",
      paramLabel = "N",
      description =
          "Serve Pekko Management's health checks (/alive, /ready) and /cluster/members on this"
              + " port (127.0.0.1 unless QUIRE_MANAGEMENT_HOST).")
  Integer managementPort;

  @Option(
      names = "--roles",
      paramLabel = "ROLES",
      split = ",",
      description =
          "Roles of this process, comma-separated: gateway, content, embedding, crawler"
              + " (default: all, or $QUIRE_ROLES).")
  List<String> roles;

  @Option(
      names = "--seed",
      paramLabel = "HOST:PORT",
      split = ",",
      description =
          "Cluster seed node(s) to join (default: none, a one-node cluster; or"
              + " $QUIRE_SEED_NODES).")
  List<String> seeds;

  @Option(
      names = "--contact-points",
      paramLabel = "HOST:PORT",
      split = ",",
      description =
          "Join through Pekko Management Cluster Bootstrap instead of seed nodes: the management"
              + " endpoints (host:management-port) of the nodes to probe. Needs"
              + " --management-port. (For Kubernetes: QUIRE_CLUSTER_JOIN=bootstrap and"
              + " QUIRE_DISCOVERY_METHOD=kubernetes-api.)")
  List<String> contactPoints;

  @Option(
      names = "--cluster-port",
      description =
          "Cluster (Artery) port of this node (default: a free port, or $QUIRE_CLUSTER_PORT).")
  Integer clusterPort;

  @Option(
      names = "--cluster-host",
      description = "Cluster address of this node (default 127.0.0.1 or $QUIRE_CLUSTER_HOST).")
  String clusterHost;

  @Override
  public Integer call() throws Exception {
    long t0 = System.nanoTime();
    // Refused before a node starts (it once booted a whole node to say so).
    for (var p :
        Map.of(
                "--port",
                port == null ? 1 : port,
                "--cluster-port",
                clusterPort == null ? 1 : clusterPort)
            .entrySet()) {
      if (p.getValue() < 0 || p.getValue() > MAX_PORT) {
        System.err.println(
            "error: "
                + p.getKey()
                + " must be a port from 0 to "
                + MAX_PORT
                + ", was "
                + p.getValue());
        return 2;
      }
    }
    Map<String, Object> o = new java.util.HashMap<>();
    if (port != null) {
      o.put("quire.gateway.http.port", port);
    }
    if (host != null) {
      o.put("quire.gateway.http.host", host);
    }
    if (data != null) {
      o.put("quire.data-dir", data);
    }
    if (dev) {
      o.put("quire.gateway.dev-mode", true);
    }
    if (theme != null) {
      o.put("quire.gateway.theme-dir", theme);
    }
    if (managementPort != null) {
      o.put("quire.management.enabled", true);
      o.put("pekko.management.http.port", managementPort);
    }
    if (roles != null) {
      o.put("quire.roles", roles);
    }
    if (seeds != null) {
      o.put("quire.cluster.seed-nodes", seeds);
    }
    if (contactPoints != null) {
      if (seeds != null) {
        System.err.println("error: --contact-points and --seed are two ways to join: give one");
        return 2;
      }
      if (managementPort == null) {
        System.err.println(
            "error: --contact-points needs --management-port (the other nodes probe it)");
        return 2;
      }
      List<Map<String, Object>> endpoints = new java.util.ArrayList<>();
      for (String hp : contactPoints) {
        QuireNode.HostPort contact;
        try {
          contact = QuireNode.hostPort(hp, "--contact-points");
        } catch (IllegalArgumentException e) {
          System.err.println("error: " + e.getMessage());
          return 2;
        }
        endpoints.add(Map.of("host", contact.host(), "port", contact.port()));
      }
      o.put("quire.cluster.join", "bootstrap");
      o.put(
          "pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method", "config");
      o.put("pekko.management.cluster.bootstrap.contact-point-discovery.service-name", "quire");
      o.put("pekko.discovery.config.services.quire.endpoints", endpoints);
    }
    if (clusterPort != null) {
      o.put("pekko.remote.artery.canonical.port", clusterPort);
    }
    if (clusterHost != null) {
      o.put("pekko.remote.artery.canonical.hostname", clusterHost);
    }
    QuireNode node;
    List<String> nodeRoles;
    try {
      var config = QuireNode.config(o);
      nodeRoles = QuireNode.roles(config);
      if (nodeRoles.contains("gateway")) {
        // Checked before anything starts: a port out of range (QUIRE_PORT=99999) or a host that
        // is no address failed only at the bind, after the database and the content role, the
        // latter with a 53-line stack trace.
        int httpPort = config.getInt("quire.gateway.http.port");
        if (httpPort < 0 || httpPort > MAX_PORT) {
          System.err.println(
              "error: quire.gateway.http.port (--port, QUIRE_PORT) must be a port from 0 to "
                  + MAX_PORT
                  + ", was "
                  + httpPort);
          return 2;
        }
        String httpHost = config.getString("quire.gateway.http.host");
        try {
          java.net.InetAddress.getByName(httpHost);
        } catch (java.net.UnknownHostException e) {
          System.err.println(
              "error: quire.gateway.http.host (--host, QUIRE_HOST) '"
                  + httpHost
                  + "' is neither an address nor a name this machine can resolve");
          return 2;
        }
        java.util.Optional<String> local = localBaseUrl(config, System.getenv("QUIRE_BASE_URL"));
        if (local.isPresent()) {
          o.put("quire.site.base-url", local.get());
          o.put(SiteSettings.GUESSED, true);
          config = QuireNode.config(o);
        }
        if (local.isPresent() || isDefaultBaseUrl(config, System.getenv("QUIRE_BASE_URL"))) {
          System.err.println(
              "note: quire.site.base-url is not set, so links in feeds, the sitemap, canonical"
                  + " URLs and Open Graph tags name "
                  + config.getString("quire.site.base-url")
                  + "; set QUIRE_BASE_URL to the site's public address");
        }
      }
      if (demo && !nodeRoles.contains("content")) {
        System.err.println("error: --demo needs the content role in this process");
        return 2;
      }
      // The demo is written before the gateway starts, so /healthz says ready only once the
      // site it serves holds it (it once answered 200 for an empty site for about 0.5 s).
      node =
          QuireNode.start(
              config,
              nodeRoles,
              System.out,
              System.getenv("QUIRE_API_TOKEN"),
              demo ? ServeCommand::loadDemo : system -> {});
    } catch (QuireNode.DataDirLocked e) {
      System.err.println(
          "error: the data directory "
              + e.dir
              + " is in use by a running Quire; stop it, or give this one another --data");
      return 3;
    } catch (IllegalArgumentException | com.typesafe.config.ConfigException e) {
      // A setting the node refused, or one the configuration library could not read (a duration
      // that is not one): its message names the key, the value and where it came from.
      System.err.println("error: " + Main.described(e));
      return 2;
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable refused = Main.refusedSetting(e);
      if (refused != null) {
        // Refused while the node started (a role's settings are read there).
        System.err.println("error: " + Main.described(refused));
        return 2;
      }
      for (Throwable c = e; c != null; c = c.getCause()) {
        if (c instanceof java.net.BindException) {
          // In use, or not an address of this machine. Only a bind: a database that refuses
          // connections is a SocketException too, and must not be blamed on the port.
          System.err.println(
              "error: cannot serve HTTP: "
                  + c.getMessage()
                  + "; give another --port or --host (QUIRE_PORT, QUIRE_HOST) if that is the"
                  + " site's address");
          return 1;
        }
      }
      throw e;
    }
    stopOnSignals(node);
    var cluster = org.apache.pekko.cluster.typed.Cluster.get(node.system()).selfMember().address();
    if (node.gateway() != null) {
      var addr = node.gateway().binding().localAddress();
      System.out.printf(
          "Quire is serving http://%s:%d/ (started in %d ms)%n",
          addr.getHostString(), addr.getPort(), (System.nanoTime() - t0) / 1_000_000);
    }
    System.out.printf(
        "Node %s:%d runs %s (started in %d ms)%n",
        cluster.host().get(),
        cluster.port().get(),
        String.join(",", nodeRoles)
            + (nodeRoles.contains("embedding")
                    && !node.system().settings().config().getBoolean("quire.embedding.enabled")
                ? " (embedding off: quire.embedding.enabled)"
                : ""),
        (System.nanoTime() - t0) / 1_000_000);
    node.awaitTermination();
    var reason =
        org.apache.pekko.actor.CoordinatedShutdown.get(node.system().classicSystem())
            .getShutdownReason();
    boolean asked =
        STOP_REQUESTED.get()
            || reason
                .map(
                    r ->
                        r
                            instanceof
                            org.apache.pekko.actor.CoordinatedShutdown.ClusterLeavingReason$)
                .orElse(false);
    if (reason.isPresent() && reason.get() == H2SingleContentNode.REFUSED) {
      // Logged with what to set; exit 2, as for a refusal at start, which the systemd unit does
      // not restart (a restart would be refused again).
      return 2;
    }
    if (!asked) {
      // Neither TERM nor INT nor a leave: the cluster downed this node (the split-brain resolver,
      // after a long pause or a partition), or it could not join. A non-zero exit, so that a
      // supervisor starts it again: systemd's Restart=on-failure ignored an exit of 0, and the
      // node stayed down.
      System.err.println(
          "error: the node stopped without being asked to (reason: "
              + reason.map(r -> r.getClass().getSimpleName().replace("$", "")).orElse("unknown")
              + "); exiting with 1 so that a supervisor starts it again");
      return 1;
    }
    return 0;
  }

  /** Set when TERM or INT asked the node to stop: then stopping is an exit of 0. */
  static final java.util.concurrent.atomic.AtomicBoolean STOP_REQUESTED =
      new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * TERM and INT stop the node (cluster leave, actors, models, databases) and only then exit. ONNX
   * Runtime frees its environment from a JVM shutdown hook, and JVM hooks all run at once: with the
   * node stopped from a hook too, an inference still running crashed the JVM with SIGSEGV (and left
   * an hs_err file behind). Stopping first means no model is in use when the hooks run. The hook
   * stays for other ways out (System.exit); stopping is bounded by the actor system's terminate
   * timeout.
   */
  private static void stopOnSignals(QuireNode node) {
    Runnable stop =
        () -> {
          try {
            node.close();
          } catch (Exception ignored) {
            // already stopped, or the JVM is going away
          }
        };
    for (String name : List.of("TERM", "INT")) {
      sun.misc.Signal.handle(
          new sun.misc.Signal(name),
          signal ->
              new Thread(
                      () -> {
                        STOP_REQUESTED.set(true);
                        stop.run();
                        System.exit(0);
                      },
                      "quire-stop")
                  .start());
    }
    Runtime.getRuntime().addShutdownHook(new Thread(stop, "quire-stop-hook"));
  }

  private static void loadDemo(org.apache.pekko.actor.typed.ActorSystem<Void> system)
      throws Exception {
    var config = system.settings().config();
    LocalTarget target =
        new LocalTarget(system, config.getDuration("quire.cli.ask-timeout"), "demo");
    long listMillis = config.getDuration("quire.cli.list-timeout").toMillis();
    long askMillis = config.getDuration("quire.cli.ask-timeout").toMillis();
    if (!target.all().toCompletableFuture().get(listMillis, TimeUnit.MILLISECONDS).isEmpty()) {
      System.out.println("The site has content already: --demo added nothing.");
      return;
    }
    Path dir = Files.createTempDirectory("quire-demo");
    long expected;
    try {
      expected = importDemo(dir, config, target);
    } finally {
      // The copies are only the importer's input: until 2026-12-07 every --demo start on an empty
      // site left one more folder of them in the temporary directory.
      try (var files = Files.list(dir)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Files.deleteIfExists(f);
        }
        Files.deleteIfExists(dir);
      } catch (java.io.IOException e) {
        // Said, not thrown: it would hide the import's own failure, if there was one.
        System.err.println("note: could not delete the demo's copies in " + dir + ": " + e);
      }
    }
    // The gateway loads the site from the read model: wait until the projection holds the demo.
    long deadline = System.nanoTime() + config.getDuration("quire.start-timeout").toNanos();
    while (target
            .readModelPage(1, 1)
            .toCompletableFuture()
            .get(askMillis, TimeUnit.MILLISECONDS)
            .total()
        < expected) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the read model did not take in the demo content in time");
      }
      Thread.sleep(DEMO_POLL_MILLIS);
    }
  }

  /**
   * Copies the demo's Markdown files into {@code dir} and imports them; returns how many landed.
   */
  private static long importDemo(Path dir, com.typesafe.config.Config config, LocalTarget target)
      throws Exception {
    try (InputStream index = ServeCommand.class.getResourceAsStream("/demo/index.txt")) {
      for (String name : new String(index.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (name.isBlank()) {
          continue;
        }
        try (InputStream in = ServeCommand.class.getResourceAsStream("/demo/" + name.strip())) {
          Files.write(dir.resolve(name.strip()), in.readAllBytes());
        }
      }
    }
    MarkdownFolder.Result r =
        new MarkdownFolder(
                MarkdownRenderer.contentRules(config),
                config.getBytes("quire.cli.max-file-bytes"),
                Long.MAX_VALUE,
                ConfigChecks.timeZone(config))
            .read(dir);
    if (!r.problems().isEmpty()) {
      throw new IllegalStateException("demo content is invalid: " + r.problems());
    }
    Importer.Summary s = new Importer(target, 16, Clock.systemUTC()).run(r.entries());
    System.out.println("Demo content: " + s);
    s.failures().forEach(f -> System.err.println("demo: failed: " + f));
    return r.entries().size() - s.failures().size();
  }
}
