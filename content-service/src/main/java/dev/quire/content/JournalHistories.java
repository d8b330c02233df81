package dev.quire.content;

import dev.quire.protocol.ContentCommand;
import dev.quire.protocol.HistoryStep;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;

/**
 * Every content item's history in one ordered read of the journal table, one item at a time, for
 * whole-site work (bundle export) where asking each entity, or running a query stream per item,
 * costs milliseconds per item. Blocking JDBC: call it from a command-line thread or a blocking
 * dispatcher, never from an actor. Reads pekko-persistence-jdbc's default {@code event_journal}
 * schema, the one {@link ContentService} creates.
 */
public final class JournalHistories {

  /** Receives one item's history, revision 1 first. */
  @FunctionalInterface
  public interface Consumer {
    void accept(String contentId, List<HistoryStep> history) throws Exception;
  }

  private static final String PREFIX = ContentCommand.ENTITY_KEY.name() + "|";
  private static final String QUERY =
      "SELECT \"persistence_id\", \"sequence_number\", \"event_ser_id\", \"event_ser_manifest\","
          + " \"event_payload\" FROM \"event_journal\" WHERE \"persistence_id\" LIKE ? AND"
          + " \"deleted\" = FALSE ORDER BY \"persistence_id\", \"sequence_number\"";
  private static final String COUNT =
      "SELECT COUNT(DISTINCT \"persistence_id\") FROM \"event_journal\" WHERE \"persistence_id\""
          + " LIKE ?";

  private JournalHistories() {}

  /** Every content id the journal holds. */
  public static java.util.Set<String> contentIds(DataSource db) throws Exception {
    java.util.Set<String> ids = new java.util.HashSet<>();
    try (Connection c = db.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT DISTINCT \"persistence_id\" FROM \"event_journal\" WHERE"
                    + " \"persistence_id\" LIKE ?")) {
      ps.setString(1, PREFIX + "%");
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getString(1).substring(PREFIX.length()));
        }
      }
    }
    return ids;
  }

  /**
   * Content ids the journal holds after {@code afterId} ("" for the first), in id order, at most
   * {@code limit}, and whether there are more: one index range of the journal per page (each item's
   * first event), however large the site.
   */
  public static dev.quire.protocol.ContentQuery.IdPage contentIdsAfter(
      Connection c, String afterId, int limit) throws java.sql.SQLException {
    List<String> ids = new java.util.ArrayList<>();
    boolean more = false;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT \"persistence_id\" FROM \"event_journal\" WHERE \"persistence_id\" > ? AND"
                + " \"persistence_id\" LIKE ? AND \"sequence_number\" = 1"
                + " ORDER BY \"persistence_id\" LIMIT ?")) {
      ps.setString(1, PREFIX + afterId);
      ps.setString(2, PREFIX + "%");
      ps.setInt(3, limit + 1);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (ids.size() == limit) {
            more = true;
            break;
          }
          ids.add(rs.getString(1).substring(PREFIX.length()));
        }
      }
    }
    return new dev.quire.protocol.ContentQuery.IdPage(ids, more);
  }

  /**
   * Who holds each claimed slug (current slugs and old ones kept as redirects), replayed from the
   * slug entities' journal in one read: what a whole-site import checks its slugs against.
   */
  public static java.util.Map<String, String> slugOwners(
      DataSource db, ActorSystem<?> system, int fetchSize) throws Exception {
    String prefix = dev.quire.protocol.SlugCommand.ENTITY_KEY.name() + "|";
    java.util.Map<String, String> owners = new java.util.HashMap<>();
    Serialization serialization = SerializationExtension.get(system);
    try (Connection c = db.getConnection()) {
      boolean auto = c.getAutoCommit();
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement(QUERY)) {
        ps.setFetchSize(fetchSize);
        ps.setString(1, prefix + "%");
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            Object e =
                serialization.deserialize(rs.getBytes(5), rs.getInt(3), rs.getString(4)).get();
            if (e instanceof SlugClaim.Claimed claimed) {
              owners.put(claimed.slug(), claimed.contentId());
            } else if (e instanceof SlugClaim.Released released) {
              owners.remove(released.slug(), released.contentId());
            }
          }
        }
      } finally {
        c.rollback();
        c.setAutoCommit(auto);
      }
    }
    return owners;
  }

  /** How many content items the journal holds. */
  public static long count(DataSource db) throws Exception {
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement(COUNT)) {
      ps.setString(1, PREFIX + "%");
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** Streams every item's history (ordered by id) with a cursor of {@code fetchSize} rows. */
  public static void forEach(DataSource db, ActorSystem<?> system, int fetchSize, Consumer consumer)
      throws Exception {
    Serialization serialization = SerializationExtension.get(system);
    try (Connection c = db.getConnection()) {
      boolean auto = c.getAutoCommit();
      c.setAutoCommit(false); // PostgreSQL streams with a cursor only inside a transaction
      try (PreparedStatement ps = c.prepareStatement(QUERY)) {
        ps.setFetchSize(fetchSize);
        ps.setString(1, PREFIX + "%");
        try (ResultSet rs = ps.executeQuery()) {
          String current = null;
          List<HistoryStep> steps = new ArrayList<>();
          while (rs.next()) {
            String pid = rs.getString(1);
            if (!pid.equals(current)) {
              if (current != null) {
                consumer.accept(current.substring(PREFIX.length()), steps);
              }
              current = pid;
              steps = new ArrayList<>();
            }
            Object event =
                serialization.deserialize(rs.getBytes(5), rs.getInt(3), rs.getString(4)).get();
            steps.add(Content.step((Content.Event) event));
          }
          if (current != null) {
            consumer.accept(current.substring(PREFIX.length()), steps);
          }
        }
      } finally {
        c.rollback();
        c.setAutoCommit(auto);
      }
    }
  }
}
