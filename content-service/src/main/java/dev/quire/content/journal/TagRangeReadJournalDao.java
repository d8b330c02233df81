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

  public TagRangeReadJournalDao(
      JdbcBackend.JdbcDatabaseDef db,
      JdbcProfile profile,
      ReadJournalConfig config,
      Serialization serialization,
      ExecutionContext ec,
      Materializer mat) {
    super(db, profile, config, serialization, ec, mat);
    this.serialization = serialization;
    this.eventsByTagSql = eventsByTagSql(config);
  }

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
