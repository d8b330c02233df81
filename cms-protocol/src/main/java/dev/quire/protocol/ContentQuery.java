package dev.quire.protocol;

import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Queries answered from the read model by query actors registered with the receptionist under
 * {@link #SERVICE_KEY}. Gateways use them to load and follow the published site.
 */
public interface ContentQuery extends QuireSerializable {

  ServiceKey<ContentQuery> SERVICE_KEY = ServiceKey.create(ContentQuery.class, "content-query");

  /**
   * Every item (any status) changed after {@code afterSeq}, oldest change first, with its HTML and
   * without its Markdown body ({@code body} is null: editors read it from the entity).
   */
  record ChangesSince(long afterSeq, int limit, ActorRef<Changes> replyTo)
      implements ContentQuery {}

  /** {@code more} is true when the limit cut the list. */
  record Changes(List<ReadItem> items, long lastSeq, boolean more) implements QuireSerializable {}

  /**
   * A page of items, newest update first; null filters match everything. {@code text}: the items
   * whose title, slug or description contains it, ignoring case (at most {@link #MAX_FIND_TEXT}
   * characters).
   */
  record ListItems(
      ContentKind kind,
      ContentStatus status,
      String tag,
      String text,
      int page,
      int size,
      ActorRef<Page> replyTo)
      implements ContentQuery {
    public ListItems(
        ContentKind kind,
        ContentStatus status,
        String tag,
        int page,
        int size,
        ActorRef<Page> replyTo) {
      this(kind, status, tag, null, page, size, replyTo);
    }
  }

  /** The longest text {@link ListItems} and {@link Referencing} look for. */
  int MAX_FIND_TEXT = 200;

  /**
   * Items in one of {@code statuses} (empty: any) whose current body or cover image contains {@code
   * text} as written (a media file's address, {@code /media/<sha256>/}), newest update first, at
   * most {@code limit}; the answer's {@code total} counts every match. A scan of the items' text:
   * for rare questions such as whether a file may be deleted.
   */
  record Referencing(String text, List<ContentStatus> statuses, int limit, ActorRef<Page> replyTo)
      implements ContentQuery {
    public Referencing {
      statuses = statuses == null ? List.of() : List.copyOf(statuses);
    }
  }

  /**
   * Items, any status, whose current body and cover image do not contain {@code text} but an older
   * revision's did: what a revert could bring back. Newest update first, at most {@code limit};
   * {@code total} counts every match. A scan of every revision's text, for rare questions such as
   * whether a file about to be deleted is still in the history.
   */
  record ReferencedBefore(String text, int limit, ActorRef<Page> replyTo) implements ContentQuery {}

  /** Items without bodies (lists stay small); {@code total} counts every match. */
  record Page(List<ReadItem> items, int page, int size, long total) implements QuireSerializable {}

  /**
   * An item's revisions, newest first: those older than {@code beforeRevision} (0: from the
   * newest). When {@code paged}, an answer that crosses the cluster stops at the query actor's text
   * budget, with {@code more} set, and the asker asks again from the oldest revision it got. A node
   * from before these fields asks without them (0, false) and gets every revision in one answer, as
   * it did.
   */
  record Revisions(
      String contentId,
      long beforeRevision,
      boolean paged,
      boolean withoutBodies,
      ActorRef<RevisionList> replyTo)
      implements ContentQuery {

    public Revisions(String contentId, ActorRef<RevisionList> replyTo) {
      this(contentId, 0, false, false, replyTo);
    }

    public Revisions(
        String contentId, long beforeRevision, boolean paged, ActorRef<RevisionList> replyTo) {
      this(contentId, beforeRevision, paged, false, replyTo);
    }
  }

  /** {@code more}: older revisions than the last one here remain (ask again from it). */
  record RevisionList(String contentId, List<RevisionEntry> revisions, boolean more)
      implements QuireSerializable {

    public RevisionList(String contentId, List<RevisionEntry> revisions) {
      this(contentId, revisions, false);
    }
  }

  /**
   * The item's full history from the journal (the source of truth, not the read model), oldest
   * first; empty {@code steps} when the item does not exist.
   */
  record History(String contentId, ActorRef<HistoryList> replyTo) implements ContentQuery {}

  record HistoryList(String contentId, List<HistoryStep> steps) implements QuireSerializable {}

  /**
   * Whether the item's entity would take {@code steps} as a new item's whole history ({@code
   * ContentCommand.Restore}), checked by the content role's own rules without writing anything:
   * what an import into a running site plans with before its first write.
   */
  record CheckHistory(String contentId, List<HistoryStep> steps, ActorRef<HistoryChecked> replyTo)
      implements ContentQuery {
    public CheckHistory {
      steps = steps == null ? List.of() : List.copyOf(steps);
    }
  }

  /** {@code problem}: why the history would be refused, naming the step and field; null: fine. */
  record HistoryChecked(String contentId, ContentReply.Rejected problem)
      implements QuireSerializable {}

  /**
   * The item as it stood at {@code revision}, replayed from the journal (the source of truth, not
   * the read model): every field, its status then, and the event that made that revision. What an
   * editor reads, compares and reverts to. Only the events up to that revision are read.
   */
  record RevisionAt(String contentId, long revision, ActorRef<RevisionState> replyTo)
      implements ContentQuery {}

  /**
   * {@code item}: the item at the revision asked for, null when there is no such item or revision
   * (the item's entity says which, and what its newest revision is); {@code event}, {@code at} and
   * {@code actor}: the event that made that revision (named as in the revision list: draft-created,
   * edited, published, ...).
   */
  record RevisionState(
      String contentId, ContentSnapshot item, String event, java.time.Instant at, String actor)
      implements QuireSerializable {}

  /**
   * Markdown rendered as the site would render it (the same extensions and sanitizer), for an
   * editor's preview: nothing is stored.
   */
  record Preview(String markdown, ActorRef<Rendered> replyTo) implements ContentQuery {}

  /** The body's HTML, and its words as the site counts them (for the reading time). */
  record Rendered(String html, int wordCount) implements QuireSerializable {}

  /** Ids of every content item in the journal, any status, in no particular order. */
  record AllIds(ActorRef<IdList> replyTo) implements ContentQuery {}

  record IdList(List<String> ids) implements QuireSerializable {}

  /**
   * Which item holds which slug: items (any status) with an id after {@code afterId} ("" for the
   * first page), in id order, at most {@code limit} (the query actor's largest page bounds it).
   * Paged by id, so each page is an index range however large the site: an import checks its files
   * against this before it writes.
   */
  record Slugs(String afterId, int limit, ActorRef<SlugPage> replyTo) implements ContentQuery {}

  /** {@code aliases}: the item's old slugs, which redirect to it. */
  record SlugEntry(
      String id, ContentKind kind, String slug, List<String> aliases, ContentStatus status)
      implements QuireSerializable {
    public SlugEntry {
      aliases = aliases == null ? List.of() : List.copyOf(aliases);
    }
  }

  /** {@code more}: there are items after the last of these. */
  record SlugPage(List<SlugEntry> items, boolean more) implements QuireSerializable {}

  /**
   * Ids of the items the journal holds (any status), after {@code afterId} ("" for the first page)
   * in id order, at most {@code limit} (the query actor's largest page bounds it). From the
   * journal, not the read model: an item written a moment ago is listed even while the read model
   * is behind, so that a backup leaves none out.
   */
  record JournalIds(String afterId, int limit, ActorRef<IdPage> replyTo) implements ContentQuery {}

  /** {@code more}: there are ids after the last of these. */
  record IdPage(List<String> ids, boolean more) implements QuireSerializable {
    public IdPage {
      ids = ids == null ? List.of() : List.copyOf(ids);
    }
  }

  /**
   * One item for a backup of the running site, from the journal (the source of truth, not the read
   * model). The first page ({@code afterRevision} 0, {@code upTo} 0) holds the item as it stands,
   * replayed from its whole history, and {@code upTo}, its newest revision then: each later page
   * asks with that {@code upTo}, so that an item edited meanwhile is still written as one
   * consistent history, the item's. Then, when {@code withSteps}, its history steps after {@code
   * afterRevision} and up to {@code upTo}, oldest first: at most the query actor's largest page of
   * them, and no more text than one reply that crosses the cluster may carry (on the first page the
   * item's own text counts too, so it may hold no step). {@code more}: ask again after the last
   * step's revision. An item that does not exist gives a first page with no item and no steps.
   */
  record ExportItem(
      String contentId,
      long afterRevision,
      long upTo,
      boolean withSteps,
      ActorRef<ExportPage> replyTo)
      implements ContentQuery {}

  /** {@code item}: on the first page only (null after it, and for an item that does not exist). */
  record ExportPage(
      String contentId, ContentSnapshot item, List<HistoryStep> steps, long upTo, boolean more)
      implements QuireSerializable {
    public ExportPage {
      steps = steps == null ? List.of() : List.copyOf(steps);
    }
  }

  /** Published posts counted by month, newest first. */
  record Archive(ActorRef<ArchiveMonths> replyTo) implements ContentQuery {}

  record ArchiveMonth(int year, int month, int posts) implements QuireSerializable {}

  record ArchiveMonths(List<ArchiveMonth> months) implements QuireSerializable {}

  /**
   * How this content node's journal writes have been going: gateways tell editors when saving fails
   * (a full disk, a database that went away) rather than leave them with timeouts.
   */
  record StoreHealth(ActorRef<StoreReport> replyTo) implements ContentQuery {}

  /**
   * {@code failedWrites} since the node started; {@code lastFailureAt} and {@code lastSuccessAt} in
   * epoch milliseconds (0: none yet); {@code lastFailure} what the last failure said (null: none);
   * {@code freeBytes} the room left on the embedded database's disk (-1: not known, as for
   * PostgreSQL, whose disk is the database server's); {@code reportedAt} the node's clock as it
   * answered, for how long ago the failure was.
   */
  record StoreReport(
      long failedWrites,
      long lastFailureAt,
      String lastFailure,
      long lastSuccessAt,
      long freeBytes,
      long reportedAt)
      implements QuireSerializable {

    /** Whether the last write failed: none has succeeded since. */
    public boolean failing() {
      return lastFailureAt != 0 && lastFailureAt >= lastSuccessAt;
    }
  }
}
