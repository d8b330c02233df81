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
  private final OrderingGaps gaps = new OrderingGaps();

  /** Who can write to the journal's database, as far as gaps in its ordering go. */
  enum Writers {
    /** Not known yet: the first query finds out. */
    UNKNOWN,
    /** PostgreSQL: any of its sessions; it lists them with their transactions. */
    POSTGRES,
    /** An embedded H2 database: this JVM's journal only ({@link WritesInFlight}). */
    THIS_JVM,
    /** Another database, a server-mode H2, or one that would not list its sessions. */
    NOT_LISTED
  }

  private volatile Writers writers = Writers.UNKNOWN;

  /** Whether this system's journal registers its writes in {@link WritesInFlight}. */
  private final boolean journalRegistersWrites;

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
    this.journalRegistersWrites = journalRegistersWrites(mat.system().settings().config());
    this.eventsByTagSql = eventsByTagSql(config);
    var journal = config.eventJournalTableConfiguration();
    String ordering = q(journal.columnNames().ordering());
    this.journalSequenceSql =
        "SELECT "
            + ordering
            + " FROM "
            + table(journal.schemaName(), journal.tableName())
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

  private List<Long> sequence(Connection connection, long offset, long limit) {
    try {
      if (writers == Writers.UNKNOWN) {
        writers = writers(connection.getMetaData(), journalRegistersWrites);
      }
      java.util.Set<String> before =
          gaps.pendingAbove(offset) ? openTransactions(connection) : null;
      List<Long> rows = new ArrayList<>();
      try (PreparedStatement st = connection.prepareStatement(journalSequenceSql)) {
        st.setLong(1, offset);
        st.setLong(2, limit);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            rows.add(rs.getLong(1));
          }
        }
      }
      return gaps.resolve(offset, rows, before, () -> openTransactions(connection));
    } catch (SQLException e) {
      throw new IllegalStateException("journal sequence query failed: " + e.getMessage(), e);
    }
  }

  /**
   * Who may write to the database: H2 is embedded unless reached over the network or open to other
   * processes ({@code AUTO_SERVER}); its writes are known only if this system's journal registers
   * them.
   */
  static Writers writers(java.sql.DatabaseMetaData meta, boolean journalRegistersWrites)
      throws SQLException {
    String product = meta.getDatabaseProductName();
    String url = meta.getURL() == null ? "" : meta.getURL().toUpperCase(java.util.Locale.ROOT);
    if ("PostgreSQL".equals(product)) {
      return Writers.POSTGRES;
    }
    if ("H2".equals(product)
        && journalRegistersWrites
        && !url.startsWith("JDBC:H2:TCP:")
        && !url.startsWith("JDBC:H2:SSL:")
        && !url.replace(" ", "").contains("AUTO_SERVER=TRUE")) {
      return Writers.THIS_JVM;
    }
    log.info(
        "The journal's database ({}) is not one whose open writes Quire can list: a write rolled"
            + " back holds later events back for the read journal's gap wait",
        product);
    return Writers.NOT_LISTED;
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
   * The transactions open now that may write to the journal; null if they cannot be listed (then
   * gaps wait for the library's give-up, and the list is not asked again). On PostgreSQL: by
   * backend and start time, and a backend whose details this role may not read counts as open for
   * as long as it exists.
   */
  private java.util.Set<String> openTransactions(Connection connection) {
    Writers w = writers;
    if (w == Writers.THIS_JVM) {
      return WritesInFlight.open();
    }
    if (w != Writers.POSTGRES) {
      return null;
    }
    try (var st = connection.createStatement();
        ResultSet rs = st.executeQuery(OPEN_TRANSACTIONS_SQL)) {
      java.util.Set<String> open = new java.util.HashSet<>();
      while (rs.next()) {
        String start = rs.getString(2);
        open.add(rs.getInt(1) + "@" + (start == null ? "hidden" : start));
      }
      return open;
    } catch (SQLException e) {
      writers = Writers.NOT_LISTED;
      log.warn(
          "Cannot list the database's open transactions ({}); a write rolled back will hold later"
              + " events back for the read journal's gap wait",
          e.getMessage());
      return null;
    }
  }

  /**
   * PostgreSQL's open transactions in this database, other than the asking one's: those with a
   * start time, and those this role may not see into.
   */
  static final String OPEN_TRANSACTIONS_SQL =
      "SELECT pid, xact_start::text FROM pg_stat_activity WHERE datname = current_database()"
          + " AND pid <> pg_backend_pid()"
          + " AND (xact_start IS NOT NULL OR query = '<insufficient privilege>')";

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
