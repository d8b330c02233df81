package dev.quire.cli;

import dev.quire.protocol.ContentCommand;
import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.RedirectRule;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Where an import writes and an export reads: a stopped site opened directly ({@link LocalTarget})
 * or a running one over its API ({@link HttpTarget}). A refused command completes exceptionally
 * with {@link Refused}.
 */
public interface ContentTarget extends AutoCloseable {

  CompletionStage<Optional<ContentSnapshot>> findBySlug(String slug);

  /** The item with this id, or empty when the site has none. */
  CompletionStage<Optional<ContentSnapshot>> get(String id);

  /** Creates a draft. */
  default CompletionStage<ContentSnapshot> create(ContentKind kind, ContentFields fields) {
    return create(kind, fields, ContentCommand.Initially.DRAFT);
  }

  /**
   * Creates an item that starts as {@code then} says (draft, published or scheduled), in one write:
   * an import of a published post costs one command, not a create and a publish.
   */
  CompletionStage<ContentSnapshot> create(
      ContentKind kind, ContentFields fields, ContentCommand.Initially then);

  CompletionStage<ContentSnapshot> edit(String id, long revision, ContentFields fields);

  CompletionStage<ContentSnapshot> publish(String id, long revision);

  CompletionStage<ContentSnapshot> schedule(String id, long revision, Instant at);

  CompletionStage<ContentSnapshot> unpublish(String id, long revision);

  /** Every item, any status (for export). */
  CompletionStage<List<ContentSnapshot>> all();

  /**
   * The ids of items read so far whose text the target did not give: another's drafts, to an
   * author's token on a running site (docs/api.md). Their bodies read as empty, so an export leaves
   * them out rather than write them so.
   */
  default java.util.Set<String> withoutText() {
    return java.util.Set.of();
  }

  /**
   * Who the import writes as, when that limits it to the drafts they started: a running site's
   * answer to {@code GET /api/v1/me} for a user's token whose role may not publish; empty for the
   * site's token, a user who may publish, a stopped site, or a site older than that path.
   */
  default CompletionStage<java.util.Optional<DraftsOnly>> draftsOnly() {
    return java.util.concurrent.CompletableFuture.completedFuture(java.util.Optional.empty());
  }

  /** A token's user held to the drafts they started: {@code who} as messages name them. */
  record DraftsOnly(String username, String role) {
    String who() {
      return "'" + username + "' (" + role + ")";
    }
  }

  /** An item as the site lists it: which slug it has, and which old slugs still answer for it. */
  record SlugUse(
      String id,
      ContentKind kind,
      String slug,
      List<String> aliases,
      dev.quire.protocol.ContentStatus status) {}

  /**
   * Every item's slug and old slugs, from the site's read model (which trails the journal by a
   * moment): what an import checks its files against before it writes anything.
   */
  CompletionStage<List<SlugUse>> slugUses();

  /**
   * The limits the site checks items against, when they may differ from this command's own
   * configuration (a running site's); empty: the same (a stopped site, opened with this
   * configuration), or a site too old to say.
   */
  default CompletionStage<java.util.Optional<dev.quire.protocol.ContentRules.Limits>> limits() {
    return java.util.concurrent.CompletableFuture.completedFuture(java.util.Optional.empty());
  }

  /**
   * Why storing media files of these sizes (by SHA-256) would leave less than {@code
   * quire.media.keep-free} on the media directory's disk, counting only the files the site does not
   * hold yet; empty when there is room. A running site checks each upload itself (507 {@code
   * storage_full}), so over HTTP this is always empty.
   */
  default java.util.Optional<String> mediaRoomProblem(java.util.Map<String, Long> sizeBySha)
      throws java.io.IOException {
    return java.util.Optional.empty();
  }

  /**
   * Stores a media file (once per content hash) and answers its URL on the site, {@code
   * /media/<sha256>/<name>}.
   */
  CompletionStage<String> putMedia(Path file, String contentType, String filename);

  /** Adds redirects, replacing any with the same {@code from}. */
  CompletionStage<Void> addRedirects(List<RedirectRule> rules);

  /** A command the site refused, with the field and reason it gave. */
  class Refused extends dev.quire.gateway.backup.ProtocolImportSite.Refused {
    public Refused(String field, String message) {
      super(field, message);
    }
  }

  /**
   * The site's database is refusing writes (503 {@code store_failing}: a full disk, a database gone
   * away): later writes would fail too.
   */
  final class StoreFailing extends Refused {
    public StoreFailing(String message) {
      super("", message);
    }
  }

  /**
   * The site did not answer in time (its own ask timed out: 503 {@code unavailable}); the change
   * may still be applied.
   */
  final class Unavailable extends Refused {
    public Unavailable(String field, String message) {
      super(field, message);
    }
  }
}
