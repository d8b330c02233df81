package dev.quire.content.project;

import dev.quire.content.Content;
import dev.quire.content.render.MarkdownRenderer;
import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentQuery;
import dev.quire.protocol.ContentRules;
import dev.quire.protocol.ContentStatus;
import dev.quire.protocol.ReadItem;
import dev.quire.protocol.RevisionEntry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The content read model: published content with rendered HTML, the tag index, the archive by month
 * ({@code archive_month}), slug aliases and every item's revision list. Written only by {@link
 * ContentProjectionHandler}; {@code seq} grows with every change so followers can ask for what
 * changed after the last change they saw. A single projection instance writes, so seq order is
 * commit order.
 */
public final class ReadModel {

  private final SqlDialect dialect;
  private final MarkdownRenderer renderer;

  /** {@code markdown} as the read model would render it, for a preview (nothing is stored). */
  public String render(String markdown) {
    return renderer.render(markdown);
  }

  public ReadModel(SqlDialect dialect, MarkdownRenderer renderer) {
    this(dialect, renderer, ZoneOffset.UTC);
  }

  /**
   * {@code zone}: the site's ({@code quire.site.time-zone}), where a post's month is taken: in UTC,
   * a post dated 1 March in Berlin was filed under February.
   */
  public ReadModel(SqlDialect dialect, MarkdownRenderer renderer, java.time.ZoneId zone) {
    this.dialect = dialect;
    this.renderer = renderer;
    this.zone = zone;
  }

  private final java.time.ZoneId zone;

  // ---------------------------------------------------------------- writes (projection only)

  public long maxSeq(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(seq), 0) FROM content_item")) {
      rs.next();
      return Math.max(seqFloor, rs.getLong(1));
    }
  }

  /**
   * The change count a rebuilt read model continues from: what followers (the gateways, the
   * embedding role's index) have seen stays below every change the rebuild makes, so they take in
   * each rebuilt item as a change.
   */
  private volatile long seqFloor;

  /** The change count a rebuild continues from (0: none in this process). */
  public long seqFloor() {
    return seqFloor;
  }

  /** The read model's tables, in an order their rows can go in. */
  public static final List<String> TABLES =
      List.of("content_revision", "slug_alias", "content_tag", "content_item");

  /**
   * Deletes every read-model row and the projection's stored offset ({@code offsetTable}, rows of
   * {@code projection}) in one transaction, and numbers the changes the projection then makes from
   * above the count it had reached. For a node whose projection has not started. Answers how many
   * items the read model held.
   */
  public long dropForRebuild(Connection c, String offsetTable, String projection)
      throws SQLException {
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      long items;
      long seq;
      try (ResultSet rs =
          st.executeQuery("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM content_item")) {
        rs.next();
        items = rs.getLong(1);
        seq = rs.getLong(2);
      }
      for (String table : TABLES) {
        st.executeUpdate("DELETE FROM " + table);
      }
      try (PreparedStatement ps =
          c.prepareStatement("DELETE FROM " + offsetTable + " WHERE \"projection_name\" = ?")) {
        setText(ps, 1, projection);
        ps.executeUpdate();
      }
      c.commit();
      seqFloor = Math.max(seqFloor, seq);
      return items;
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(auto);
    }
  }

  /**
   * {@code text} into parameter {@code i}, as every database takes it: PostgreSQL's text holds no
   * NUL (U+0000), which an item's history from before 2026-12-06 may carry in any field (refused in
   * new text since). Written as U+FFFD, as CommonMark renders a NUL; the projection stopped at such
   * an item for good before.
   */
  private static void setText(PreparedStatement ps, int i, String text) throws SQLException {
    ps.setString(i, text == null || text.indexOf('\0') < 0 ? text : text.replace('\0', '\uFFFD'));
  }

  /**
   * Applies one event at {@code seq}. An event at or below the revision the item's row holds is
   * skipped: it is applied already (a replay from an older offset), or a second instance of the
   * projection is behind this one (a node the cluster downed while it ran a batch, still committing
   * it): applied again, it rolled the row back to an older revision, which then stayed until the
   * next edit.
   */
  public void apply(Connection c, Content.Event event, long seq) throws SQLException {
    String id = event.contentId();
    if (event instanceof Content.DraftCreated e) {
      Long stored = storedRevision(c, id);
      if (stored != null && stored >= e.revision()) {
        return;
      }
      // A new item (the usual case) has no rows: its tag and revision rows are only inserted.
      boolean replay = stored != null && deleteItem(c, id);
      insertItem(c, id, e.kind(), e.fields(), e.revision(), e.at(), seq);
      insertTags(c, id, e.fields().tags());
      addRevision(c, e, ContentStatus.DRAFT, e.fields(), replay);
      return;
    }
    ItemRow row = loadRow(c, id);
    if (row == null) {
      throw new IllegalStateException("read model has no row for " + id + " at " + event);
    }
    if (row.revision() >= event.revision()) {
      return;
    }
    if (event instanceof Content.Edited e) {
      ContentFields f = e.fields();
      String tags = String.join("\n", f.tags());
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE content_item SET revision=?, slug=?, title=?, description=?, tags=?,"
                  + " cover_image=?, author=?, content_date=?, updated_at=?, archive_month=?,"
                  + " body=?, html=?, word_count=?, seq=?, cover_alt=? WHERE id=?")) {
        ps.setLong(1, e.revision());
        setText(ps, 2, f.slug());
        setText(ps, 3, f.title());
        setText(ps, 4, f.description());
        setText(ps, 5, tags);
        setText(ps, 6, f.coverImage());
        setText(ps, 7, f.author());
        setInstant(ps, 8, f.date());
        ps.setLong(9, e.at().toEpochMilli());
        setMonth(ps, 10, f.date() != null ? f.date() : row.publishedAt);
        setText(ps, 11, f.body());
        setText(ps, 12, renderer.render(f.body()));
        ps.setInt(13, MarkdownRenderer.wordCount(f.body()));
        ps.setLong(14, seq);
        setText(ps, 15, f.coverAlt());
        setText(ps, 16, id);
        ps.executeUpdate();
      }
      // Most edits keep the tags: their rows stay as they are.
      if (!tags.equals(row.tags)) {
        replaceTags(c, id, f.tags());
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM slug_alias WHERE slug=?")) {
        setText(ps, 1, f.slug());
        ps.executeUpdate();
      }
      if (e.aliasAdded() != null) {
        try (PreparedStatement del = c.prepareStatement("DELETE FROM slug_alias WHERE slug=?");
            PreparedStatement ins =
                c.prepareStatement("INSERT INTO slug_alias (slug, content_id) VALUES (?, ?)")) {
          setText(del, 1, e.aliasAdded());
          del.executeUpdate();
          setText(ins, 1, e.aliasAdded());
          setText(ins, 2, id);
          ins.executeUpdate();
        }
      }
      addRevision(c, e, row.status, f, true);
      return;
    }
    ContentStatus status;
    Instant publishedAt = row.publishedAt;
    Instant scheduledAt = null;
    if (event instanceof Content.Published e) {
      status = ContentStatus.PUBLISHED;
      publishedAt =
          publishedAt != null ? publishedAt : e.publishedAt() != null ? e.publishedAt() : e.at();
    } else if (event instanceof Content.PublishScheduled e) {
      status = ContentStatus.SCHEDULED;
      scheduledAt = e.publishAt();
    } else if (event instanceof Content.Unpublished) {
      status = ContentStatus.DRAFT;
    } else if (event instanceof Content.Archived) {
      status = ContentStatus.ARCHIVED;
    } else {
      throw new IllegalStateException("unknown event " + event);
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE content_item SET status=?, revision=?, updated_at=?, published_at=?,"
                + " scheduled_at=?, archive_month=?, seq=? WHERE id=?")) {
      setText(ps, 1, status.id());
      ps.setLong(2, event.revision());
      ps.setLong(3, event.at().toEpochMilli());
      setInstant(ps, 4, publishedAt);
      setInstant(ps, 5, scheduledAt);
      setMonth(ps, 6, row.date != null ? row.date : publishedAt);
      ps.setLong(7, seq);
      setText(ps, 8, id);
      ps.executeUpdate();
    }
    addRevision(c, event, status, null, true);
  }

  private void insertItem(
      Connection c,
      String id,
      ContentKind kind,
      ContentFields f,
      long revision,
      Instant at,
      long seq)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO content_item (id, kind, status, revision, slug, title, description,"
                + " tags, cover_image, author, content_date, created_at, updated_at,"
                + " published_at, scheduled_at, archive_month, body, html, word_count, seq,"
                + " cover_alt) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,NULL,NULL,?,?,?,?,?,?)")) {
      setText(ps, 1, id);
      setText(ps, 2, kind.id());
      setText(ps, 3, ContentStatus.DRAFT.id());
      ps.setLong(4, revision);
      setText(ps, 5, f.slug());
      setText(ps, 6, f.title());
      setText(ps, 7, f.description());
      setText(ps, 8, String.join("\n", f.tags()));
      setText(ps, 9, f.coverImage());
      setText(ps, 10, f.author());
      setInstant(ps, 11, f.date());
      ps.setLong(12, at.toEpochMilli());
      ps.setLong(13, at.toEpochMilli());
      setMonth(ps, 14, f.date());
      setText(ps, 15, f.body());
      setText(ps, 16, renderer.render(f.body()));
      ps.setInt(17, MarkdownRenderer.wordCount(f.body()));
      ps.setLong(18, seq);
      setText(ps, 19, f.coverAlt());
      ps.executeUpdate();
    }
  }

  /**
   * Removes an item's rows; false when it had no item row, and so no other rows either (they are
   * only ever written with it, in the same transaction).
   */
  private boolean deleteItem(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM content_item WHERE id=?")) {
      setText(ps, 1, id);
      if (ps.executeUpdate() == 0) {
        return false;
      }
    }
    for (String sql :
        List.of(
            "DELETE FROM content_tag WHERE content_id=?",
            "DELETE FROM slug_alias WHERE content_id=?",
            "DELETE FROM content_revision WHERE content_id=?")) {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        setText(ps, 1, id);
        ps.executeUpdate();
      }
    }
    return true;
  }

  private void replaceTags(Connection c, String id, List<String> tags) throws SQLException {
    try (PreparedStatement del = c.prepareStatement("DELETE FROM content_tag WHERE content_id=?")) {
      setText(del, 1, id);
      del.executeUpdate();
    }
    insertTags(c, id, tags);
  }

  private void insertTags(Connection c, String id, List<String> tags) throws SQLException {
    try (PreparedStatement ins =
        c.prepareStatement("INSERT INTO content_tag (content_id, tag_key) VALUES (?, ?)")) {
      for (String key : tags.stream().map(ReadModel::tagKey).distinct().toList()) {
        setText(ins, 1, id);
        setText(ins, 2, key);
        ins.addBatch();
      }
      ins.executeBatch();
    }
  }

  /** {@code mayExist}: a replay may have written this revision's row already; replace it. */
  private void addRevision(
      Connection c, Content.Event e, ContentStatus status, ContentFields fields, boolean mayExist)
      throws SQLException {
    String title;
    String slug;
    String body;
    String cover;
    if (fields != null) {
      title = fields.title();
      slug = fields.slug();
      body = fields.body();
      cover = fields.coverImage();
    } else {
      // A status change: the text is that of the previous revision, and the cover the item's
      // (a status change leaves the fields as they are; a revision projected before the read model
      // kept covers, schema version 5, has none of its own).
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT r.title, r.slug, r.body, i.cover_image FROM content_revision r"
                  + " JOIN content_item i ON i.id = r.content_id WHERE r.content_id=?"
                  + " AND r.revision<? ORDER BY r.revision DESC")) {
        setText(ps, 1, e.contentId());
        ps.setLong(2, e.revision());
        ps.setMaxRows(1);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            throw new IllegalStateException("no earlier revision for " + e);
          }
          title = rs.getString(1);
          slug = rs.getString(2);
          body = rs.getString(3);
          cover = rs.getString(4);
        }
      }
    }
    if (mayExist) {
      try (PreparedStatement del =
          c.prepareStatement("DELETE FROM content_revision WHERE content_id=? AND revision=?")) {
        setText(del, 1, e.contentId());
        del.setLong(2, e.revision());
        del.executeUpdate();
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO content_revision (content_id, revision, event, at, actor, status,"
                + " title, slug, body, reverted_to, publish_at, cover_image)"
                + " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")) {
      setText(ps, 1, e.contentId());
      ps.setLong(2, e.revision());
      setText(ps, 3, eventName(e));
      ps.setLong(4, e.at().toEpochMilli());
      setText(ps, 5, e.actor());
      setText(ps, 6, status.id());
      setText(ps, 7, title);
      setText(ps, 8, slug);
      setText(ps, 9, body);
      if (e instanceof Content.Edited ed && ed.revertedTo() != null) {
        ps.setLong(10, ed.revertedTo());
      } else {
        ps.setNull(10, java.sql.Types.BIGINT);
      }
      if (e instanceof Content.PublishScheduled ps2) {
        ps.setLong(11, ps2.publishAt().toEpochMilli());
      } else {
        ps.setNull(11, java.sql.Types.BIGINT);
      }
      setText(ps, 12, cover == null ? "" : cover);
      ps.executeUpdate();
    }
  }

  /**
   * "DraftCreated" becomes "draft-created": stable names for the API; an edit that was a revert is
   * "reverted".
   */
  public static String eventName(Content.Event e) {
    if (e instanceof Content.Edited ed && ed.revertedTo() != null) {
      return "reverted";
    }
    return e.getClass()
        .getSimpleName()
        .replaceAll("([a-z])([A-Z])", "$1-$2")
        .toLowerCase(Locale.ROOT);
  }

  // ---------------------------------------------------------------- queries

  private static final String ITEM_COLUMNS =
      "id, kind, status, revision, slug, title, description, tags, cover_image, cover_alt,"
          + " author, content_date, created_at, updated_at, published_at, scheduled_at,"
          + " word_count, seq";

  /**
   * Items changed after {@code afterSeq}, oldest change first, with their HTML but not their
   * Markdown body: at most {@code limit} of them, and no more than {@code maxBytes} of text (UTF-8)
   * once the first is in. The answer crosses the cluster as one message, which Pekko's remoting
   * refuses past its frame size: a count alone let a page of long posts grow past it, and the
   * gateway then never loaded the site. One item is always sent, whatever its size, so that a
   * follower always moves on.
   */
  public ContentQuery.Changes changesSince(Connection c, long afterSeq, int limit, long maxBytes)
      throws SQLException {
    List<ReadItem> items = new ArrayList<>();
    boolean more = false;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + ITEM_COLUMNS + ", html FROM content_item WHERE seq > ? ORDER BY seq")) {
      ps.setLong(1, afterSeq);
      ps.setMaxRows(limit + 1);
      long bytes = 0;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (items.size() == limit) {
            more = true;
            break;
          }
          ReadItem item = item(rs, true);
          long size = textBytes(item);
          if (!items.isEmpty() && bytes + size > maxBytes) {
            more = true;
            break;
          }
          items.add(item);
          bytes += size;
        }
      }
    }
    items = withAliases(c, items);
    long last = items.isEmpty() ? afterSeq : items.get(items.size() - 1).seq();
    return new ContentQuery.Changes(List.copyOf(items), last, more);
  }

  public ContentQuery.Page list(
      Connection c, ContentKind kind, ContentStatus status, String tag, int page, int size)
      throws SQLException {
    return list(c, kind, status, tag, null, page, size);
  }

  /**
   * {@code text} (null or blank: any): items whose title, slug or description contains it, ignoring
   * case; a scan of the items, which is what an editor's search of a site's thousands costs (cut to
   * {@link ContentQuery#MAX_FIND_TEXT} characters).
   */
  public ContentQuery.Page list(
      Connection c,
      ContentKind kind,
      ContentStatus status,
      String tag,
      String text,
      int page,
      int size)
      throws SQLException {
    StringBuilder where = new StringBuilder(" WHERE 1=1");
    List<String> args = new ArrayList<>();
    if (kind != null) {
      where.append(" AND kind=?");
      args.add(kind.id());
    }
    if (status != null) {
      where.append(" AND status=?");
      args.add(status.id());
    }
    if (tag != null) {
      where.append(" AND id IN (SELECT content_id FROM content_tag WHERE tag_key=?)");
      args.add(tagKey(tag));
    }
    if (text != null && !text.isBlank()) {
      String find = text.strip().toLowerCase(java.util.Locale.ROOT);
      if (find.length() > ContentQuery.MAX_FIND_TEXT) {
        find = find.substring(0, ContentQuery.MAX_FIND_TEXT);
      }
      String pattern = containing(find);
      where.append(
          " AND (LOWER(title) LIKE ? ESCAPE '\\' OR LOWER(slug) LIKE ? ESCAPE '\\'"
              + " OR LOWER(description) LIKE ? ESCAPE '\\')");
      args.add(pattern);
      args.add(pattern);
      args.add(pattern);
    }
    long total = count(c, where, args);
    List<ReadItem> items = newestFirst(c, where, args, size, (long) (page - 1) * size);
    return new ContentQuery.Page(withAliases(c, items), page, size, total);
  }

  /**
   * Items in one of {@code statuses} (empty: any) whose current body or cover image contains {@code
   * text} as written, newest update first, at most {@code limit}; {@code total} counts every match
   * ({@link ContentQuery.Referencing}). A blank text matches nothing. The count is a second scan,
   * run only when there are more matches than {@code limit}.
   */
  public ContentQuery.Page referencing(
      Connection c, String text, List<ContentStatus> statuses, int limit) throws SQLException {
    if (text == null || text.isBlank()) {
      return new ContentQuery.Page(List.of(), 1, limit, 0);
    }
    String pattern = findPattern(text);
    StringBuilder where =
        new StringBuilder(" WHERE (body LIKE ? ESCAPE '\\' OR cover_image LIKE ? ESCAPE '\\')");
    List<String> args = new ArrayList<>(List.of(pattern, pattern));
    if (!statuses.isEmpty()) {
      where.append(" AND status IN (").append("?,".repeat(statuses.size() - 1)).append("?)");
      statuses.forEach(st -> args.add(st.id()));
    }
    return firstOnes(c, where, args, limit);
  }

  /**
   * Items whose current body and cover do not contain {@code text} but an older revision's did (in
   * its body or as its cover: {@link ContentQuery.ReferencedBefore}), any status, newest update
   * first, at most {@code limit}; {@code total} counts every match. A revision projected before the
   * read model kept covers (schema version 5) is searched by its body only.
   */
  public ContentQuery.Page referencedBefore(Connection c, String text, int limit)
      throws SQLException {
    if (text == null || text.isBlank()) {
      return new ContentQuery.Page(List.of(), 1, limit, 0);
    }
    String pattern = findPattern(text);
    String where =
        " WHERE id IN (SELECT content_id FROM content_revision WHERE body LIKE ? ESCAPE '\\'"
            + " OR cover_image LIKE ? ESCAPE '\\')"
            + " AND NOT (body LIKE ? ESCAPE '\\' OR cover_image LIKE ? ESCAPE '\\')";
    return firstOnes(c, where, List.of(pattern, pattern, pattern, pattern), limit);
  }

  /** A LIKE pattern for text containing {@code text}, cut to {@link ContentQuery#MAX_FIND_TEXT}. */
  private static String findPattern(String text) {
    return containing(
        text.length() > ContentQuery.MAX_FIND_TEXT
            ? text.substring(0, ContentQuery.MAX_FIND_TEXT)
            : text);
  }

  /**
   * The first {@code limit} items {@code where} selects, newest first, and how many it selects in
   * all: one more than the limit is read, and only when it is there are they counted.
   */
  private ContentQuery.Page firstOnes(
      Connection c, CharSequence where, List<String> args, int limit) throws SQLException {
    List<ReadItem> items = newestFirst(c, where, args, limit + 1, 0);
    long total = items.size();
    if (items.size() > limit) {
      items = new ArrayList<>(items.subList(0, limit));
      total = count(c, where, args);
    }
    return new ContentQuery.Page(withAliases(c, items), 1, limit, total);
  }

  /** How many items {@code where} (with its {@code args}) selects. */
  private static long count(Connection c, CharSequence where, List<String> args)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM content_item" + where)) {
      bind(ps, args);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** The items {@code where} selects, newest update first: {@code limit} from {@code offset}. */
  private static List<ReadItem> newestFirst(
      Connection c, CharSequence where, List<String> args, int limit, long offset)
      throws SQLException {
    List<ReadItem> items = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + ITEM_COLUMNS
                + " FROM content_item"
                + where
                + " ORDER BY updated_at DESC, id LIMIT ? OFFSET ?")) {
      bind(ps, args);
      ps.setInt(args.size() + 1, limit);
      ps.setLong(args.size() + 2, offset);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          items.add(item(rs, false));
        }
      }
    }
    return items;
  }

  /** A LIKE pattern (with {@code ESCAPE '\\'}) for values containing {@code text} as written. */
  private static String containing(String text) {
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
  }

  public List<RevisionEntry> revisions(Connection c, String contentId) throws SQLException {
    return revisions(c, contentId, 0, Long.MAX_VALUE, false).revisions();
  }

  /**
   * An item's revisions, newest first, older than {@code beforeRevision} (0: all), and no more than
   * {@code maxBytes} of text (UTF-8) once the first is in: each revision carries its whole body,
   * and an answer that crosses the cluster is one message (see {@link #changesSince}). {@code
   * withoutBodies}: each body is "" (a list of revisions to show, not to read).
   */
  public ContentQuery.RevisionList revisions(
      Connection c, String contentId, long beforeRevision, long maxBytes, boolean withoutBodies)
      throws SQLException {
    List<RevisionEntry> out = new ArrayList<>();
    boolean more = false;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT revision, event, at, actor, status, title, slug, "
                + (withoutBodies ? "''" : "body")
                + ", reverted_to, publish_at FROM content_revision"
                + " WHERE content_id=? AND (?=0 OR revision<?) ORDER BY revision DESC")) {
      setText(ps, 1, contentId);
      ps.setLong(2, beforeRevision);
      ps.setLong(3, beforeRevision);
      long bytes = 0;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          RevisionEntry e =
              new RevisionEntry(
                  rs.getLong(1),
                  rs.getString(2),
                  Instant.ofEpochMilli(rs.getLong(3)),
                  rs.getString(4),
                  ContentStatus.parse(rs.getString(5)),
                  rs.getString(6),
                  rs.getString(7),
                  rs.getString(8),
                  rs.getObject(9) == null ? null : rs.getLong(9),
                  rs.getObject(10) == null ? null : Instant.ofEpochMilli(rs.getLong(10)));
          long size = utf8(e.event()) + utf8(e.actor()) + utf8(e.title());
          size += utf8(e.slug()) + utf8(e.body());
          if (!out.isEmpty() && bytes + size > maxBytes) {
            more = true;
            break;
          }
          out.add(e);
          bytes += size;
        }
      }
    }
    return new ContentQuery.RevisionList(contentId, List.copyOf(out), more);
  }

  public List<ContentQuery.ArchiveMonth> archive(Connection c) throws SQLException {
    List<ContentQuery.ArchiveMonth> out = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT archive_month, COUNT(*) FROM content_item WHERE status='published'"
                    + " AND kind='post' GROUP BY archive_month ORDER BY archive_month DESC")) {
      while (rs.next()) {
        int ym = rs.getInt(1);
        out.add(new ContentQuery.ArchiveMonth(ym / 100, ym % 100, rs.getInt(2)));
      }
    }
    return out;
  }

  /** Ids of scheduled items whose time has come, oldest first. */
  public List<String> dueForPublishing(
      Connection c, Instant now, int limit, java.time.Duration timeout) throws SQLException {
    List<String> ids = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT id FROM content_item WHERE status='scheduled' AND scheduled_at <= ?"
                + " ORDER BY scheduled_at")) {
      ps.setLong(1, now.toEpochMilli());
      ps.setMaxRows(limit);
      ps.setQueryTimeout((int) Math.max(1, timeout.toSeconds()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getString(1));
        }
      }
    }
    return ids;
  }

  // ---------------------------------------------------------------- helpers

  private record ItemRow(
      ContentStatus status, Instant publishedAt, Instant date, String tags, long revision) {}

  private ItemRow loadRow(Connection c, String id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT status, published_at, content_date, tags, revision FROM content_item"
                + " WHERE id=?")) {
      setText(ps, 1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        return new ItemRow(
            ContentStatus.parse(rs.getString(1)),
            instant(rs, 2),
            instant(rs, 3),
            rs.getString(4),
            rs.getLong(5));
      }
    }
  }

  /** The revision of the item's row, or null when there is none. */
  private static Long storedRevision(Connection c, String id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT revision FROM content_item WHERE id=?")) {
      setText(ps, 1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    }
  }

  /**
   * Items after {@code afterId} in id order with their slugs and old slugs (see
   * ContentQuery.Slugs).
   */
  public ContentQuery.SlugPage slugs(Connection c, String afterId, int limit) throws SQLException {
    List<String[]> rows = new ArrayList<>();
    boolean more = false;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT id, kind, slug, status FROM content_item WHERE id > ? ORDER BY id LIMIT ?")) {
      setText(ps, 1, afterId == null ? "" : afterId);
      ps.setInt(2, limit + 1);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (rows.size() == limit) {
            more = true;
            break;
          }
          rows.add(
              new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)});
        }
      }
    }
    Map<String, List<String>> aliases = aliases(c, rows.stream().map(r -> r[0]).toList());
    List<ContentQuery.SlugEntry> items = new ArrayList<>(rows.size());
    for (String[] r : rows) {
      items.add(
          new ContentQuery.SlugEntry(
              r[0],
              ContentKind.parse(r[1]),
              r[2],
              aliases.getOrDefault(r[0], List.of()),
              ContentStatus.parse(r[3])));
    }
    return new ContentQuery.SlugPage(items, more);
  }

  /** The old slugs of each of {@code ids} that has any. */
  private static Map<String, List<String>> aliases(Connection c, List<String> ids)
      throws SQLException {
    Map<String, List<String>> aliases = new HashMap<>();
    if (ids.isEmpty()) {
      return aliases;
    }
    String marks = String.join(",", java.util.Collections.nCopies(ids.size(), "?"));
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT content_id, slug FROM slug_alias WHERE content_id IN (" + marks + ")")) {
      for (int i = 0; i < ids.size(); i++) {
        setText(ps, i + 1, ids.get(i));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          aliases.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2));
        }
      }
    }
    return aliases;
  }

  private List<ReadItem> withAliases(Connection c, List<ReadItem> items) throws SQLException {
    if (items.isEmpty()) {
      return items;
    }
    Map<String, List<String>> aliases = aliases(c, items.stream().map(ReadItem::id).toList());
    return items.stream().map(i -> i.withAliases(aliases.getOrDefault(i.id(), List.of()))).toList();
  }

  /**
   * A row as a {@link ReadItem}, with its rendered HTML when {@code withHtml}. Never with the
   * Markdown body: the site and the embedding role follow the read model for the HTML, and the body
   * (which only editors need, from the entity) would double what each page reads and sends.
   */
  private static ReadItem item(ResultSet rs, boolean withHtml) throws SQLException {
    String tags = rs.getString("tags");
    return new ReadItem(
        rs.getString("id"),
        ContentKind.parse(rs.getString("kind")),
        ContentStatus.parse(rs.getString("status")),
        rs.getLong("revision"),
        rs.getString("slug"),
        rs.getString("title"),
        rs.getString("description"),
        tags.isEmpty() ? List.of() : Arrays.asList(tags.split("\n")),
        rs.getString("cover_image"),
        rs.getString("cover_alt"),
        rs.getString("author"),
        instant(rs, "content_date"),
        instant(rs, "created_at"),
        instant(rs, "updated_at"),
        instant(rs, "published_at"),
        instant(rs, "scheduled_at"),
        null,
        withHtml ? rs.getString("html") : null,
        rs.getInt("word_count"),
        List.of(),
        rs.getLong("seq"));
  }

  /** The UTF-8 size of an item's text: what its share of a serialized message grows with. */
  static long textBytes(ReadItem item) {
    long n =
        utf8(item.id())
            + utf8(item.slug())
            + utf8(item.title())
            + utf8(item.description())
            + utf8(item.coverImage())
            + utf8(item.coverAlt())
            + utf8(item.author())
            + utf8(item.body())
            + utf8(item.html());
    for (String t : item.tags()) {
      n += utf8(t);
    }
    return n;
  }

  /** {@code s}'s length in UTF-8 bytes (0 for null), without encoding it. */
  public static long utf8(String s) {
    if (s == null) {
      return 0;
    }
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch < 0x80) {
        n += 1;
      } else if (ch < 0x800) {
        n += 2;
      } else if (Character.isSurrogate(ch)) {
        n += 2; // a pair is four bytes
      } else {
        n += 3;
      }
    }
    return n;
  }

  private static String tagKey(String tag) {
    return dev.quire.protocol.ContentRules.tagKey(tag);
  }

  /**
   * {@code at} within the years the content rules allow. They refuse other dates, but an event
   * stored before that check may hold one, and a date the columns cannot hold (beyond the year
   * 292,278,994 in milliseconds) stopped the projection at that event for good.
   */
  private static Instant storable(Instant at) {
    if (at.isBefore(ContentRules.EARLIEST)) {
      return ContentRules.EARLIEST;
    }
    return at.isAfter(ContentRules.LATEST) ? ContentRules.LATEST : at;
  }

  /** yyyymm of the date a post is filed under; NULL until it has one (undated drafts). */
  private void setMonth(PreparedStatement ps, int i, Instant at) throws SQLException {
    if (at == null) {
      ps.setNull(i, Types.INTEGER);
    } else {
      ZonedDateTime t = storable(at).atZone(zone);
      ps.setInt(i, t.getYear() * 100 + t.getMonthValue());
    }
  }

  private static void bind(PreparedStatement ps, List<String> args) throws SQLException {
    for (int i = 0; i < args.size(); i++) {
      setText(ps, i + 1, args.get(i));
    }
  }

  private static void setInstant(PreparedStatement ps, int i, Instant at) throws SQLException {
    if (at == null) {
      ps.setNull(i, Types.BIGINT);
    } else {
      ps.setLong(i, storable(at).toEpochMilli());
    }
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? null : Instant.ofEpochMilli(v);
  }

  private static Instant instant(ResultSet rs, int column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? null : Instant.ofEpochMilli(v);
  }
}
