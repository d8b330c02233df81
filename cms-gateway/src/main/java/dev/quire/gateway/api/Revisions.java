package dev.quire.gateway.api;

import dev.quire.gateway.content.ContentClient;
import dev.quire.gateway.http.HttpError;
import dev.quire.protocol.ContentCommand;
import dev.quire.protocol.ContentQuery;
import dev.quire.protocol.ContentReply;
import dev.quire.protocol.ContentSnapshot;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;

/**
 * An item's history as the API and the admin read it: the item now (from its entity), the item at a
 * revision (from the journal), the diff of two revisions (bounded CPU work on the blocking
 * dispatcher), and a revert (an ordinary edit with old fields). One instance per gateway, so its
 * {@code max-concurrent} holds for both.
 */
public final class Revisions {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Revisions.class);

  private final ContentClient content;
  private final RevisionDiff.Limits limits;
  private final Executor blocking;
  private final Semaphore diffSlots;
  private final java.time.Duration historyWait;
  private final java.time.Duration historyPoll;

  public Revisions(
      ContentClient content,
      RevisionDiff.Limits limits,
      Executor blocking,
      int maxConcurrent,
      com.typesafe.config.Config config) {
    this.content = content;
    this.limits = limits;
    this.blocking = blocking;
    this.diffSlots = new Semaphore(maxConcurrent);
    this.historyWait =
        dev.quire.protocol.ConfigChecks.atLeast(
            config, "quire.gateway.api.history-wait", java.time.Duration.ZERO);
    // Not 0: a poll of 0 asks again at once, for as long as the wait.
    this.historyPoll =
        dev.quire.protocol.ConfigChecks.atLeast(
            config, "quire.gateway.api.history-poll", java.time.Duration.ofMillis(1));
  }

  /**
   * The item's revisions from the newest, once the read model holds {@code newest} (its entity's
   * revision), waiting up to {@code quire.gateway.api.history-wait} (see {@link
   * ContentClient#revisionsThrough}): the API's list and the admin's History page.
   */
  public CompletionStage<dev.quire.protocol.ContentQuery.RevisionList> history(
      String id, long newest, long maxChars, boolean bodies) {
    return content.revisionsThrough(id, newest, maxChars, bodies, historyWait, historyPoll);
  }

  /** What changed from {@code from} to {@code to}, with the newest revision when compared. */
  public record Compared(
      long from, long to, ContentSnapshot now, List<Map<String, Object>> changes) {}

  /** The item as its entity holds it now; a 404 naming {@code id} when there is none. */
  public CompletionStage<ContentSnapshot> current(String id) {
    return content
        .command(id, ContentCommand.Get::new)
        .thenApply(
            reply -> {
              if (reply instanceof ContentReply.Rejected rej) {
                throw HttpError.of(rej);
              }
              return ((ContentReply.Accepted) reply).content();
            });
  }

  /**
   * The item at {@code rev}, read from the journal up to that revision; a 404 naming {@code param}
   * when the item ({@code now}) has no such revision.
   */
  public CompletionStage<ContentQuery.RevisionState> stateAt(
      String id, long rev, String param, ContentSnapshot now) {
    if (rev > now.revision()) {
      return CompletableFuture.failedFuture(beyond(rev, param, now));
    }
    return content
        .revisionAt(id, rev)
        .thenApply(
            st -> {
              if (st.item() == null) {
                // The entity has this revision, so its events are in the journal: not an answer
                // to give as "no such revision".
                LOG.warn(
                    "the journal gave no revision {} of {} (at revision {})",
                    rev,
                    id,
                    now.revision());
                throw HttpError.unavailable(
                    "revision " + rev + " of this item could not be read; try again in a moment");
              }
              return st;
            });
  }

  /**
   * The diff from revision {@code from} to {@code to} (null: the newest, which the entity holds, so
   * only revision {@code from} is read from the journal). Both bounds are checked before any
   * journal read.
   */
  public CompletionStage<Compared> diff(String id, long from, Long to) {
    return current(id).thenCompose(now -> diff(id, from, to, now));
  }

  /** As {@link #diff(String, long, Long)}, against {@code now}, the item its caller has read. */
  public CompletionStage<Compared> diff(String id, long from, Long to, ContentSnapshot now) {
    long target = to != null ? to : now.revision();
    if (from > now.revision()) {
      throw beyond(from, "from", now);
    }
    if (target > now.revision()) {
      throw beyond(target, "to", now);
    }
    return stateAt(id, from, "from", now)
        .thenCompose(
            a ->
                (target == now.revision()
                        ? CompletableFuture.completedFuture(now)
                        : stateAt(id, target, "to", now)
                            .thenApply(ContentQuery.RevisionState::item))
                    .thenCompose(b -> compare(from, target, now, a.item(), b)));
  }

  /**
   * The fields of revision {@code to} written back as a new revision, made like any edit (the same
   * rules, the slug claimed again, a stale {@code revision} refused); the status stays as it is.
   */
  public CompletionStage<ContentReply> revert(String id, long to, long revision, String actor) {
    return current(id)
        .thenCompose(now -> stateAt(id, to, "to", now))
        .thenCompose(
            st ->
                content.command(
                    id, r -> new ContentCommand.Edit(revision, st.item().fields(), actor, r, to)));
  }

  /**
   * CPU work bounded by {@code quire.gateway.api.diff} (lines, time), on the blocking dispatcher
   * rather than the threads that answer requests, at most {@code max-concurrent} at once (past that
   * a 503).
   */
  private CompletionStage<Compared> compare(
      long from, long to, ContentSnapshot now, ContentSnapshot a, ContentSnapshot b) {
    if (!diffSlots.tryAcquire()) {
      throw HttpError.unavailable("Other diffs are being made; try again in a moment.");
    }
    try {
      return CompletableFuture.supplyAsync(
          () -> {
            try {
              return new Compared(from, to, now, RevisionDiff.changes(a, b, limits));
            } finally {
              diffSlots.release();
            }
          },
          blocking);
    } catch (RuntimeException refused) {
      diffSlots.release();
      throw HttpError.unavailable("the server is stopping; try again in a moment");
    }
  }

  private static HttpError beyond(long rev, String param, ContentSnapshot now) {
    return new HttpError(
        404,
        "not_found",
        param,
        "revision " + rev + " does not exist: the item is at revision " + now.revision());
  }

  /** A revision number from a request: 1 or more, else a 400 naming {@code field}. */
  public static long number(String field, String value) {
    // Written as the API writes them: Long.parseLong also took "+1" and other scripts' digits
    // ("١"), so one revision answered at many addresses.
    if (value != null && value.matches("[1-9][0-9]{0,17}")) {
      return Long.parseLong(value);
    }
    throw HttpError.badRequest(field, "must be a revision number, 1 or more, was '" + value + "'");
  }
}
