package dev.quire.content;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.quire.content.project.ContentProjection;
import dev.quire.content.project.ReadModel;
import dev.quire.content.project.ReadModelSchema;
import dev.quire.content.project.SqlDialect;
import dev.quire.content.project.TransactionalSession;
import dev.quire.content.query.ContentQueries;
import dev.quire.content.query.PublishScheduler;
import dev.quire.content.render.MarkdownRenderer;
import dev.quire.protocol.ContentTopic;
import java.sql.Connection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * Starts the content role on this node: database schema, the sharded {@link Content} and {@link
 * SlugClaim} entities, the read-model projection, the query actor and the publish scheduler.
 */
public final class ContentService {

  private ContentService() {}

  /** What the rest of the node may need from a started content role. */
  public record Handle(HikariDataSource dataSource, ReadModel readModel) {}

  /**
   * H2 hands out the journal's {@code ordering} values from a sequence that is written back (a
   * commit of its own) every {@code CACHE} values, 32 by default: under load that was a quarter of
   * the journal's database time. A bigger cache only means a bigger gap in {@code ordering} after a
   * crash, which the read journal already tolerates. It also keeps LOB values up to {@code
   * quire.db.h2-inplace-lob-bytes} in their rows (see reference.conf).
   */
  private static void tuneJournal(Connection c, SqlDialect dialect, Config config)
      throws java.sql.SQLException {
    if (dialect != SqlDialect.H2) {
      return;
    }
    try (var st = c.createStatement()) {
      st.execute(
          "ALTER TABLE \"event_journal\" ALTER COLUMN \"ordering\" SET CACHE "
              + config.getLong("quire.db.h2-ordering-cache"));
      // A database setting H2 keeps in the file: LOB values written from now on stay in the row.
      st.execute("SET MAX_LENGTH_INPLACE_LOB " + config.getInt("quire.db.h2-inplace-lob-bytes"));
      st.execute("SET CACHE_SIZE " + config.getInt("quire.db.h2-cache-kb"));
    }
  }

  public static CompletionStage<Handle> init(ActorSystem<?> system) {
    Config config = system.settings().config();
    Config q = config.getConfig("quire.content");
    Executor jdbc =
        system.dispatchers().lookup(DispatcherSelector.fromConfig("quire.jdbc-dispatcher"));
    // Before the pools open the database: settings that disagree with its URL are named now.
    SqlDialect.checked(config);
    dev.quire.content.journal.TagRangeReadJournalDao.gapMaxValues(config);
    HikariDataSource dataSource = dataSource(config, "quire-read-model");
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
            "close-read-model-pool",
            () -> {
              dataSource.close();
              return CompletableFuture.completedFuture(Done.getInstance());
            });
    SqlDialect dialect = SqlDialect.fromJdbcUrl(config.getString("quire.db.url"));
    if (q.getBoolean("projection.rebuild") && dialect != SqlDialect.H2) {
      // Its count to go on from lives in the node that drops the rows; with several content
      // nodes another one may run the projection.
      throw new IllegalArgumentException(
          "quire.content.projection.rebuild is for the embedded H2 site only (quire read-model"
              + " rebuild)");
    }
    ReadModel readModel =
        new ReadModel(
            dialect,
            new MarkdownRenderer(config),
            dev.quire.protocol.ConfigChecks.timeZone(config));
    // Read (and checked) before anything starts: a bad setting is named at once.
    dev.quire.content.users.Users.Settings users =
        new dev.quire.content.users.Users.Settings(
            dev.quire.protocol.ConfigChecks.atLeastOne(config, "quire.content.users.max-users"),
            // 0 refused every sign-in (each attempt counted as one too many).
            dev.quire.protocol.ConfigChecks.atLeastOne(
                config, "quire.content.users.login-attempts"),
            q.getDuration("users.lockout-window"),
            q.getInt("users.snapshot-every"),
            q.getInt("users.trusted-devices"),
            q.getDuration("users.device-trust"),
            q.getInt("users.max-tokens"),
            q.getDuration("users.token-use-resolution"));

    return withRetries(
            () ->
                SchemaUtils.createIfNotExists(system)
                    .thenCompose(
                        done ->
                            CompletableFuture.runAsync(
                                () -> {
                                  try (Connection c = dataSource.getConnection()) {
                                    ReadModelSchema.migrateIfBehind(dataSource, dialect);
                                    tuneJournal(c, dialect, config);
                                  } catch (Exception e) {
                                    throw new IllegalStateException(
                                        "cannot create the read-model schema: " + e.getMessage(),
                                        e);
                                  }
                                },
                                jdbc))
                    .thenCompose(
                        done ->
                            JdbcProjection.createTablesIfNotExists(
                                () -> new TransactionalSession(dataSource), system)),
            SCHEMA_ATTEMPTS,
            system)
        .thenCompose(
            done ->
                // Outside the retries: a second drop would lose the count the first one read.
                q.getBoolean("projection.rebuild")
                    ? CompletableFuture.runAsync(
                        () -> {
                          try (Connection c = dataSource.getConnection()) {
                            long items =
                                readModel.dropForRebuild(
                                    c,
                                    dev.quire.content.project.ContentProjection.offsetTable(config),
                                    dev.quire.content.project.ContentProjection.NAME);
                            system
                                .log()
                                .info(
                                    "read model dropped ({} item(s)): the projection builds it"
                                        + " again from the journal",
                                    items);
                          } catch (java.sql.SQLException e) {
                            throw new IllegalStateException(
                                "cannot drop the read model: " + e.getMessage(), e);
                          }
                        },
                        jdbc)
                    : CompletableFuture.completedFuture(null))
        .thenApply(
            done -> {
              SlugRegistry registry = SlugRegistry.sharded(system);
              // One set of rules (and its Markdown reader) for the entities and the queries' check.
              dev.quire.protocol.ContentRules rules = MarkdownRenderer.contentRules(config);
              Content.Settings settings =
                  new Content.Settings(
                      rules, q.getDuration("slug-claim-timeout"), q.getInt("snapshot-every"));
              int activeLimit =
                  dev.quire.protocol.ConfigChecks.atLeastOne(
                      config, "quire.content.active-entity-limit");
              Content.init(system, settings, registry, activeLimit);
              SlugClaim.init(system, q.getDuration("slug-claim-timeout"), registry, activeLimit);
              SiteRedirects.init(
                  system,
                  new SiteRedirects.Settings(
                      q.getInt("redirects.max-rules"),
                      q.getInt("redirects.max-batch"),
                      q.getInt("redirects.snapshot-every"),
                      dev.quire.protocol.ConfigChecks.atLeastOne(
                          config, "quire.content.redirects.page-chars")));
              dev.quire.content.users.Users.init(system, users);
              dev.quire.content.users.AdminSession.init(system);
              SiteMenus.init(
                  system,
                  new SiteMenus.Settings(
                      q.getInt("menus.max-menus"), q.getInt("menus.snapshot-every")));
              SiteProfileEntity.init(
                  system, new SiteProfileEntity.Settings(q.getInt("profile.snapshot-every")));

              if (dialect == SqlDialect.H2) {
                EmbeddedDatabaseWatch.start(
                    system, dataSource, config.getDuration("quire.db.h2-closed-check"), jdbc);
              }
              ActorRef<Topic.Command<ContentTopic>> topic =
                  system.systemActorOf(
                      Topic.create(ContentTopic.class, ContentTopic.NAME),
                      "content-topic-publisher",
                      Props.empty());
              ContentProjection.init(
                  system,
                  dataSource,
                  readModel,
                  topic,
                  q.getInt("projection.batch-size"),
                  q.getDuration("projection.batch-window"));
              system.systemActorOf(
                  ContentQueries.create(
                      dataSource,
                      readModel,
                      jdbc,
                      q.getInt("query.max-page-size"),
                      q.getBytes("query.max-reply-bytes"),
                      rules,
                      // The embedded database's disk; PostgreSQL's is its server's, not known here.
                      dialect == SqlDialect.H2
                          ? EmbeddedDatabaseWatch.freeSpaceKept(
                              system,
                              java.nio.file.Path.of(config.getString("quire.data-dir")),
                              config.getDuration("quire.db.free-space-check"))
                          : () -> -1L),
                  "content-queries",
                  Props.empty());
              PublishScheduler.init(
                  system,
                  dataSource,
                  readModel,
                  jdbc,
                  q.getDuration("scheduler.interval"),
                  q.getInt("scheduler.batch"),
                  q.getDuration("scheduler.read-timeout"));
              return new Handle(dataSource, readModel);
            });
  }

  private static final int SCHEMA_ATTEMPTS = 5;

  /**
   * Content nodes starting together on PostgreSQL race in the journal's and the projection's {@code
   * CREATE TABLE IF NOT EXISTS} (the libraries' own schema; the loser gets a duplicate-key error
   * from the catalog). Those statements are idempotent, and the read model's migrations are
   * serialised by Flyway's lock, so the loser runs the whole step again after a short pause, by
   * which time the tables exist.
   */
  private static CompletionStage<Object> withRetries(
      java.util.function.Supplier<CompletionStage<?>> step, int attempts, ActorSystem<?> system) {
    return step.get()
        .<CompletionStage<Object>>handle(
            (done, failure) -> {
              if (failure == null) {
                return CompletableFuture.completedFuture(done);
              }
              if (attempts <= 1) {
                return CompletableFuture.failedFuture(failure);
              }
              system
                  .log()
                  .info(
                      "schema creation raced another node ({}); trying again", failure.toString());
              return org.apache.pekko.pattern.Patterns.after(
                  java.time.Duration.ofMillis(200 + (long) (Math.random() * 800)),
                  system.classicSystem().scheduler(),
                  system.executionContext(),
                  () -> withRetries(step, attempts - 1, system));
            })
        .thenCompose(x -> x);
  }

  /** HikariCP's least connection timeout. */
  public static final java.time.Duration MIN_CONNECTION_TIMEOUT = java.time.Duration.ofMillis(250);

  /** A pool on {@code quire.db}; the journal has its own (Slick's) on the same database. */
  public static HikariDataSource dataSource(Config config, String poolName) {
    Config db = config.getConfig("quire.db");
    HikariConfig hc = new HikariConfig();
    hc.setPoolName(poolName);
    hc.setJdbcUrl(db.getString("url"));
    hc.setUsername(db.getString("user"));
    hc.setPassword(db.getString("password"));
    // Named in full when refused: HikariCP's own "maxPoolSize cannot be less than 1" did not say
    // which setting (QUIRE_DB_READ_POOL) it was.
    hc.setMaximumPoolSize(
        dev.quire.protocol.ConfigChecks.atLeastOne(config, "quire.db.read-model-pool-size"));
    hc.setMinimumIdle(1);
    long timeout =
        dev.quire.protocol.ConfigChecks.atLeast(
                config, "quire.db.connection-timeout", MIN_CONNECTION_TIMEOUT)
            .toMillis();
    hc.setConnectionTimeout(timeout);
    // HikariCP's 5 s check of a connection it hands out may not outlast the wait for one (it
    // would shorten it, with a warning at every start).
    hc.setValidationTimeout(Math.min(hc.getValidationTimeout(), timeout));
    return new HikariDataSource(hc);
  }
}
