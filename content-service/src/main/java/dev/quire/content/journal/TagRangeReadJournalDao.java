package dev.quire.content.journal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.pekko.NotUsed;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.jdbc.PekkoSerialization;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableColumnNames;
import org.apache.pekko.persistence.jdbc.config.ReadJournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.persistence.jdbc.query.dao.DefaultReadJournalDao;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.scaladsl.Source;
import scala.Option;
import scala.Tuple2;
import scala.Tuple3;
import scala.collection.immutable.Set;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;
import scala.util.Success;
import scala.util.Try;
import slick.dbio.DBIOAction;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;
import slick.jdbc.SimpleJdbcAction;

/**
 * The JDBC read journal with an {@code eventsByTag} query whose cost follows the page it reads, not
 * the size of the journal. Configured as {@code jdbc-read-journal.dao}; everything else is
 * pekko-persistence-jdbc's {@link DefaultReadJournalDao}.
 *
 * <p>The library's query joins the tag table to a derived table ({@code SELECT ... FROM
 * event_journal WHERE deleted = false}) and puts the ordering range on the derived table. H2 does
 * not merge derived tables into the outer query, so it plans a scan of the whole tag table with a
 * lookup into the derived table per row: every page the projection read cost one pass over every
 * tagged event ever written (62,001 rows scanned for a page of 100 in a journal of 62,000 events).
 * This query names the two tables directly, so the range is an index range on the journal's
 * ordering column and each event's tag is a primary-key lookup: about as many rows as the page
 * holds. Rows come back the same, and are deserialised the same way ({@link
 * PekkoSerialization#fromRow}). {@code TagRangeReadJournalDaoTest} checks both, on H2 and
 * PostgreSQL.
 */
public class TagRangeReadJournalDao extends DefaultReadJournalDao {

  private final Serialization serialization;
  private final String eventsByTagSql;
  private final String journalSequenceSql;

  /** The gaps in the journal's ordering being watched (see {@link #journalSequence}). */
  private final OrderingGaps gaps;

  /** Who can write to the journal's database, as far as gaps in its ordering go. */
  enum Writers {
    /** Not known yet: the first query finds out. */
    UNKNOWN,
    /** PostgreSQL: any of its sessions; it lists them with their transactions. */
    POSTGRES,
    /** An embedded H2 database: this JVM's journal only ({@link WritesInFlight}). */
    THIS_JVM,
    /**
     * Another database, H2 that other processes may open, a journal that does not register its
     * writes, or a PostgreSQL whose open transactions or ordering cannot be relied on.
     */
    NOT_LISTED
  }

  /** Set under {@link #gaps}' lock, as every read of the gap finder's query runs. */
  private volatile Writers writers = Writers.UNKNOWN;

  /** Whether this system's journal registers its writes in {@link WritesInFlight}. */
  private final boolean journalRegistersWrites;

  /** This system's journal writes. */
  private final WritesInFlight writesInFlight;

  /**
   * The read journal's database URL as configured, settings included (H2's connection metadata
   * leaves out everything after the first {@code ;}); null if not found in the configuration.
   */
  private final String configuredUrl;

  /** Who this DAO found may write to the journal's database (UNKNOWN before its first read). */
  Writers writers() {
    return writers;
  }

  /**
   * The journal table and its ordering column, as PostgreSQL's pg_get_serial_sequence takes them.
   */
  private final String journalTable;

  private final String orderingColumn;

  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(TagRangeReadJournalDao.class);

  public TagRangeReadJournalDao(
      JdbcBackend.JdbcDatabaseDef db,
      JdbcProfile profile,
      ReadJournalConfig config,
      Serialization serialization,
      ExecutionContext ec,
      Materializer mat) {
    super(db, profile, config, serialization, ec, mat);
    this.serialization = serialization;
    com.typesafe.config.Config system = mat.system().settings().config();
    this.journalRegistersWrites = journalRegistersWrites(system);
    this.writesInFlight = WritesInFlight.get(mat.system());
    this.configuredUrl = configuredUrl(system);
    this.gaps = new OrderingGaps(gapMaxValues(system));
    this.eventsByTagSql = eventsByTagSql(config);
    var journal = config.eventJournalTableConfiguration();
    String ordering = q(journal.columnNames().ordering());
    this.journalTable = table(journal.schemaName(), journal.tableName());
    this.orderingColumn = journal.columnNames().ordering();
    this.journalSequenceSql =
        "SELECT "
            + ordering
            + " FROM "
            + journalTable
            + " WHERE "
            + ordering
            + " > ? ORDER BY "
            + ordering
            + " LIMIT ?";
  }

  /**
   * The journal's ordering values above {@code offset}, for the library's gap finder, with the
   * values of writes that were rolled back added once that is known (see {@link OrderingGaps}):
   * later events then do not wait out the library's 10 s for them. Where the open transactions
   * cannot be listed, the library's query as it is.
   */
  @Override
  public Source<Object, NotUsed> journalSequence(long offset, long limit) {
    if (writers == Writers.NOT_LISTED) {
      return super.journalSequence(offset, limit);
    }
    SimpleJdbcAction<List<Long>> read =
        new SimpleJdbcAction<>(ctx -> sequence(ctx.connection(), offset, limit));
    @SuppressWarnings({"unchecked", "rawtypes"})
    Future<List<Long>> values = db().run((DBIOAction) read);
    return org.apache.pekko.stream.javadsl.Source.completionStage(FutureConverters.asJava(values))
        .<Object>mapConcat(list -> new ArrayList<Object>(list))
        .asScala();
  }

  /**
   * One read for the gap finder. Under one lock: a list of open transactions taken for one read
   * must not be applied to a gap another read has just recorded.
   */
  private List<Long> sequence(Connection connection, long offset, long limit) {
    synchronized (gaps) {
      try {
        if (writers == Writers.UNKNOWN) {
          writers = detect(connection);
        }
        List<Long> rows = new ArrayList<>();
        java.util.Set<String> before =
            writers != Writers.NOT_LISTED && gaps.pendingAbove(offset)
                ? openTransactions(connection)
                : null;
        try (PreparedStatement st = connection.prepareStatement(journalSequenceSql)) {
          st.setLong(1, offset);
          st.setLong(2, limit);
          try (ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
              rows.add(rs.getLong(1));
            }
          }
        }
        if (writers == Writers.NOT_LISTED) {
          return rows; // as the library's query: its own wait gives gaps up
        }
        return gaps.resolve(offset, rows, before, () -> openTransactions(connection));
      } catch (SQLException e) {
        throw new IllegalStateException("journal sequence query failed: " + e.getMessage(), e);
      }
    }
  }

  /** Who may write to the journal's database, from the connection's database and settings. */
  private Writers detect(Connection connection) throws SQLException {
    var meta = connection.getMetaData();
    Writers w =
        writers(
            meta.getDatabaseProductName(),
            configuredUrl != null ? configuredUrl : meta.getURL(),
            journalRegistersWrites);
    if (w != Writers.POSTGRES) {
      return w;
    }
    // The rule holds only if PostgreSQL reports transactions (track_activities) and hands the
    // ordering's values out one at a time, in order (a sequence cache of 1, as BIGSERIAL makes it).
    try (PreparedStatement st =
        connection.prepareStatement(
            "SELECT current_setting('track_activities'), (SELECT seqcache FROM pg_sequence"
                + " WHERE seqrelid = pg_get_serial_sequence(?, ?)::regclass), version()")) {
      st.setString(1, journalTable);
      st.setString(2, orderingColumn);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        String tracking = rs.getString(1);
        long cache = rs.getLong(2);
        boolean noSequence = rs.wasNull();
        String version = rs.getString(3);
        if (!"on".equals(tracking) || noSequence || cache != 1 || !postgresItself(version)) {
          log.info(
              "PostgreSQL's open transactions cannot tell when a gap in the journal's ordering is"
                  + " final (track_activities {}, the ordering's sequence cache {}, {}): a write"
                  + " rolled back holds later events back for the read journal's gap wait",
              tracking,
              noSequence ? "not found" : cache,
              version);
          return Writers.NOT_LISTED;
        }
      }
    } catch (SQLException e) {
      if (notPermitted(e)) {
        log.warn(
            "Cannot read PostgreSQL's settings for the journal's ordering ({}); a write rolled back"
                + " will hold later events back for the read journal's gap wait",
            e.getMessage());
        return Writers.NOT_LISTED;
      }
      throw e;
    }
    return Writers.POSTGRES;
  }

  /**
   * Whether {@code version()} is PostgreSQL's own: databases that speak its protocol and call
   * themselves PostgreSQL (YugabyteDB, Redshift) list their sessions and hand out sequence values
   * differently.
   */
  static boolean postgresItself(String version) {
    return version != null
        && version.startsWith("PostgreSQL ")
        && !version.contains("-YB-")
        && !version.contains("Redshift");
  }

  /**
   * The URL of the database the read journal's Slick settings name ({@code jdbc-read-journal}, its
   * shared database if it uses one); null if there is none.
   */
  static String configuredUrl(com.typesafe.config.Config config) {
    String base = "jdbc-read-journal";
    String shared = base + ".use-shared-db";
    String path =
        config.hasPath(shared) && !config.getString(shared).isEmpty()
            ? "pekko-persistence-jdbc.shared-databases." + config.getString(shared) + ".db.url"
            : base + ".slick.db.url";
    return config.hasPath(path) ? config.getString(path) : null;
  }

  /**
   * Who may write to the database: H2 is this JVM's alone unless reached over the network or opened
   * for other processes ({@code AUTO_SERVER}, {@code FILE_LOCK=NO}); its writes are known only if
   * this system's journal registers them.
   */
  static Writers writers(String product, String url, boolean journalRegistersWrites) {
    url = url == null ? "" : url;
    if ("PostgreSQL".equals(product)) {
      return Writers.POSTGRES;
    }
    if ("H2".equals(product) && journalRegistersWrites && h2OfThisProcessOnly(url)) {
      return Writers.THIS_JVM;
    }
    log.info(
        "The journal's database ({}) is not one whose open writes Quire can list: a write rolled"
            + " back holds later events back for the read journal's gap wait",
        product);
    return Writers.NOT_LISTED;
  }

  /** Whether an H2 URL opens a database no other process can write to. */
  static boolean h2OfThisProcessOnly(String url) {
    String[] parts = url.split(";");
    String base = parts[0].toLowerCase(java.util.Locale.ROOT);
    if (base.startsWith("jdbc:h2:tcp:") || base.startsWith("jdbc:h2:ssl:")) {
      return false;
    }
    for (int i = 1; i < parts.length; i++) {
      int eq = parts[i].indexOf('=');
      if (eq < 0) {
        continue;
      }
      String key = parts[i].substring(0, eq).strip().toUpperCase(java.util.Locale.ROOT);
      String value = parts[i].substring(eq + 1).strip().toLowerCase(java.util.Locale.ROOT);
      // H2 reads a setting's boolean as false only from these.
      if (key.equals("AUTO_SERVER") && !List.of("false", "0", "f", "n", "no").contains(value)) {
        return false;
      }
      if (key.equals("FILE_LOCK") && value.equals("no")) {
        return false;
      }
    }
    return true;
  }

  /** The setting that bounds the given-up values one read hands back. */
  public static final String GAP_MAX_VALUES = "quire.db.journal-gap-max-values";

  /**
   * {@link #GAP_MAX_VALUES} from {@code config}, checked: the content role calls this at start, so
   * that a bad value stops it with the setting's name rather than failing the projection later.
   */
  public static long gapMaxValues(com.typesafe.config.Config config) {
    long max = config.getLong(GAP_MAX_VALUES);
    if (max < 1) {
      throw new IllegalArgumentException(GAP_MAX_VALUES + " must be at least 1, not " + max);
    }
    return max;
  }

  /** Whether the journal plugin {@code config} names is one that registers its writes. */
  static boolean journalRegistersWrites(com.typesafe.config.Config config) {
    String plugin = config.getString("pekko.persistence.journal.plugin");
    String key = plugin + ".class";
    return !plugin.isEmpty()
        && config.hasPath(key)
        && config.getString(key).equals(dev.quire.content.metrics.TimedJdbcJournal.class.getName());
  }

  /**
   * A refusal that will not change by trying again: no such function, no permission, no feature.
   * Not a missing table (42P01): the schema may be on its way.
   */
  static boolean notPermitted(SQLException e) {
    String state = e.getSQLState();
    return state != null
        && (state.startsWith("42") || state.startsWith("0A"))
        && !state.equals("42P01");
  }

  /**
   * The transactions open now that may write to the journal; null if not known (then gaps wait for
   * the library's give-up). On PostgreSQL: by backend and transaction start; a backend this role
   * may not see into, or one not reporting its activity, counts as open for as long as it exists. A
   * failure that may pass (a connection lost) is thrown, and the read is tried again.
   */
  private java.util.Set<String> openTransactions(Connection connection) {
    if (writers == Writers.THIS_JVM) {
      return writesInFlight.open();
    }
    if (writers != Writers.POSTGRES) {
      return null;
    }
    try {
      if (!connection.getAutoCommit()) {
        return null; // PostgreSQL keeps one copy of the list per transaction
      }
      try (var st = connection.createStatement();
          ResultSet rs = st.executeQuery(OPEN_TRANSACTIONS_SQL)) {
        java.util.Set<String> open = new java.util.HashSet<>();
        while (rs.next()) {
          long start = rs.getLong(2);
          // A start not known ("*"): whatever transaction the session has (OrderingGaps.stillOpen).
          open.add(rs.getInt(1) + "@" + (rs.wasNull() ? "*" : Long.toString(start)));
        }
        return open;
      }
    } catch (SQLException e) {
      if (notPermitted(e)) {
        writers = Writers.NOT_LISTED;
        log.warn(
            "Cannot list the database's open transactions ({}); a write rolled back will hold"
                + " later events back for the read journal's gap wait",
            e.getMessage());
        return null;
      }
      throw new IllegalStateException("listing open transactions failed: " + e.getMessage(), e);
    }
  }

  /**
   * PostgreSQL's sessions in this database not known to be idle outside a transaction, other than
   * the asking one: those with a transaction open, and those whose activity is hidden from this
   * role or not reported; each with its transaction's start in microseconds (null when not known).
   * Sessions of no role (autovacuum workers, which write no journal rows) are left out.
   */
  static final String OPEN_TRANSACTIONS_SQL =
      "SELECT pid, (extract(epoch FROM xact_start) * 1000000)::bigint FROM pg_stat_activity"
          + " WHERE datname = current_database() AND pid <> pg_backend_pid()"
          + " AND usesysid IS NOT NULL"
          + " AND (state IS DISTINCT FROM 'idle' OR xact_start IS NOT NULL)";

  /**
   * The query: events with the tag whose ordering is in {@code (offset, maxOffset]}, in order, at
   * most {@code max} of them. Parameters: tag, offset, maxOffset, max.
   */
  public static String eventsByTagSql(ReadJournalConfig config) {
    var journal = config.eventJournalTableConfiguration();
    var tags = config.eventTagTableConfiguration();
    EventJournalTableColumnNames c = journal.columnNames();
    // In the order row() reads them.
    String columns =
        Stream.of(
                c.ordering(),
                c.deleted(),
                c.persistenceId(),
                c.sequenceNumber(),
                c.writer(),
                c.writeTimestamp(),
                c.adapterManifest(),
                c.eventPayload(),
                c.eventSerId(),
                c.eventSerManifest(),
                c.metaPayload(),
                c.metaSerId(),
                c.metaSerManifest())
            .map(name -> "j." + q(name))
            .collect(Collectors.joining(", "));
    String ordering = "j." + q(c.ordering());
    return "SELECT "
        + columns
        + " FROM "
        + table(journal.schemaName(), journal.tableName())
        + " j JOIN "
        + table(tags.schemaName(), tags.tableName())
        + " t ON t."
        + q(tags.columnNames().eventId())
        + " = "
        + ordering
        + " WHERE t."
        + q(tags.columnNames().tag())
        + " = ? AND "
        + ordering
        + " > ? AND "
        + ordering
        + " <= ? AND j."
        + q(c.deleted())
        + " = FALSE ORDER BY "
        + ordering
        + " LIMIT ?";
  }

  @Override
  public Source<Try<Tuple3<PersistentRepr, Set<String>, Object>>, NotUsed> eventsByTag(
      String tag, long offset, long maxOffset, long max) {
    // H2 refuses a LIMIT beyond an int (the library clamps it the same way).
    int limit = (int) Math.min(correctMaxForH2Driver(max), Integer.MAX_VALUE);
    SimpleJdbcAction<List<JournalPekkoSerializationRow>> read =
        new SimpleJdbcAction<>(ctx -> rows(ctx.connection(), tag, offset, maxOffset, limit));
    @SuppressWarnings({"unchecked", "rawtypes"})
    Future<List<JournalPekkoSerializationRow>> rows = db().run((DBIOAction) read);
    return org.apache.pekko.stream.javadsl.Source.completionStage(FutureConverters.asJava(rows))
        .mapConcat(list -> list)
        .map(this::deserialize)
        .asScala();
  }

  private List<JournalPekkoSerializationRow> rows(
      Connection connection, String tag, long offset, long maxOffset, int limit) {
    try (PreparedStatement st = connection.prepareStatement(eventsByTagSql)) {
      st.setString(1, tag);
      st.setLong(2, offset);
      st.setLong(3, maxOffset);
      st.setInt(4, limit);
      List<JournalPekkoSerializationRow> out = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(row(rs));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException("eventsByTag query failed: " + e.getMessage(), e);
    }
  }

  private static JournalPekkoSerializationRow row(ResultSet rs) throws SQLException {
    byte[] metaPayload = rs.getBytes(11);
    int metaSerId = rs.getInt(12);
    Option<Object> metaSerIdValue = rs.wasNull() ? Option.empty() : Option.apply(metaSerId);
    String metaSerManifest = rs.getString(13);
    return new JournalPekkoSerializationRow(
        rs.getLong(1),
        rs.getBoolean(2),
        rs.getString(3),
        rs.getLong(4),
        rs.getString(5),
        rs.getLong(6),
        rs.getString(7),
        rs.getBytes(8),
        rs.getInt(9),
        rs.getString(10),
        Option.apply(metaPayload),
        metaSerIdValue,
        Option.apply(metaSerManifest));
  }

  private Try<Tuple3<PersistentRepr, Set<String>, Object>> deserialize(
      JournalPekkoSerializationRow row) {
    Try<Tuple2<PersistentRepr, Object>> t = PekkoSerialization.fromRow(serialization, row);
    if (t.isFailure()) {
      @SuppressWarnings("unchecked")
      Try<Tuple3<PersistentRepr, Set<String>, Object>> failed = (Try) t;
      return failed;
    }
    Tuple2<PersistentRepr, Object> v = t.get();
    // Like the library's query, this one does not fill in the tags: the projection does not read
    // them.
    return new Success<>(
        new Tuple3<>(v._1(), scala.collection.immutable.Set$.MODULE$.<String>empty(), v._2()));
  }

  private static String table(Option<String> schema, String name) {
    return schema.isDefined() ? q(schema.get()) + "." + q(name) : q(name);
  }

  /** Quoted as Slick quotes it, so the names match the tables the library created. */
  private static String q(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }
}
