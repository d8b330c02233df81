package dev.quire.content.query;

import dev.quire.content.Content;
import dev.quire.content.project.ReadModel;
import dev.quire.content.render.MarkdownRenderer;
import dev.quire.protocol.ContentCommand;
import dev.quire.protocol.ContentQuery;
import dev.quire.protocol.ContentReply;
import java.sql.Connection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Answers {@link ContentQuery} messages from the read model. The actor itself never blocks: each
 * query runs on the JDBC executor and the answer goes straight to the asker. Registered with the
 * receptionist so gateways anywhere in the cluster find it.
 */
public final class ContentQueries {

  private ContentQueries() {}

  /**
   * The text budget of an answer: {@code max} when it crosses the cluster as one remoting message
   * (bounded by the frame size), none when the asker is in this JVM and gets the object itself.
   */
  static long replyBytes(ActorRef<?> replyTo, long max) {
    return replyTo.path().address().hasLocalScope() ? Long.MAX_VALUE : max;
  }

  public static Behavior<ContentQuery> create(
      DataSource dataSource,
      ReadModel readModel,
      Executor jdbc,
      int maxPageSize,
      long maxReplyBytes,
      dev.quire.protocol.ContentRules rules,
      // Read on the actor's thread: a value kept in memory, not a file-system call.
      java.util.function.LongSupplier freeBytes) {
    return Behaviors.setup(
        ctx -> {
          ctx.getSystem()
              .receptionist()
              .tell(Receptionist.register(ContentQuery.SERVICE_KEY, ctx.getSelf()));
          return Behaviors.receive(ContentQuery.class)
              .onMessage(
                  ContentQuery.ChangesSince.class,
                  q ->
                      run(
                          dataSource,
                          jdbc,
                          q.replyTo(),
                          c ->
                              readModel.changesSince(
                                  c,
                                  q.afterSeq(),
                                  page(q.limit(), maxPageSize),
                                  replyBytes(q.replyTo(), maxReplyBytes))))
              .onMessage(
                  ContentQuery.ListItems.class,
                  q ->
                      run(
                          dataSource,
                          jdbc,
                          q.replyTo(),
                          c ->
                              readModel.list(
                                  c,
                                  q.kind(),
                                  q.status(),
                                  q.tag(),
                                  q.text(),
                                  Math.max(1, q.page()),
                                  page(q.size(), maxPageSize))))
              .onMessage(
                  ContentQuery.Revisions.class,
                  q ->
                      run(
                          dataSource,
                          jdbc,
                          q.replyTo(),
                          c ->
                              readModel.revisions(
                                  c,
                                  q.contentId(),
                                  q.beforeRevision(),
                                  // Paged by size for an asker in this JVM too: each revision
                                  // carries its whole body, and an item's history is unbounded.
                                  q.paged() ? maxReplyBytes : Long.MAX_VALUE,
                                  q.withoutBodies())))
              .onMessage(
                  ContentQuery.History.class,
                  q -> {
                    String pid = ContentCommand.ENTITY_KEY.name() + "|" + q.contentId();
                    journal(ctx.getSystem())
                        .currentEventsByPersistenceId(pid, 0L, Long.MAX_VALUE)
                        .map(env -> Content.step((Content.Event) env.event()))
                        .runWith(Sink.seq(), ctx.getSystem())
                        .whenComplete(
                            (steps, failure) -> {
                              if (failure != null) {
                                LOG.warn("history of {} failed: {}", pid, failure.toString());
                              } else {
                                q.replyTo()
                                    .tell(new ContentQuery.HistoryList(q.contentId(), steps));
                              }
                            });
                    return Behaviors.same();
                  })
              .onMessage(
                  ContentQuery.CheckHistory.class,
                  q -> {
                    // The entity's own check of a restore, run off the actor's thread (a history
                    // can be long): CPU only, nothing read or written.
                    CompletableFuture.runAsync(
                        () -> {
                          ContentReply.Rejected problem;
                          try {
                            problem = Content.checkHistory(q.contentId(), rules, q.steps());
                          } catch (RuntimeException e) {
                            // Answered at once: the asker would otherwise wait out its timeout.
                            LOG.warn("checking the history of {} failed", q.contentId(), e);
                            problem =
                                ContentReply.Rejected.of(
                                    dev.quire.protocol.ErrorCode.INVALID,
                                    "history",
                                    "could not be checked: " + e);
                          }
                          q.replyTo().tell(new ContentQuery.HistoryChecked(q.contentId(), problem));
                        },
                        jdbc);
                    return Behaviors.same();
                  })
              .onMessage(
                  ContentQuery.RevisionAt.class,
                  q -> {
                    String pid = ContentCommand.ENTITY_KEY.name() + "|" + q.contentId();
                    // The events up to that revision only (revisions are the journal's sequence
                    // numbers), folded as they stream by: memory stays that of one item however
                    // long its history.
                    journal(ctx.getSystem())
                        .currentEventsByPersistenceId(pid, 0L, q.revision())
                        .runFold(
                            Replay.START,
                            (r, env) -> r.next((Content.Event) env.event(), q.revision()),
                            ctx.getSystem())
                        .whenComplete(
                            (r, failure) -> {
                              if (failure != null) {
                                LOG.warn(
                                    "revision {} of {} failed: {}",
                                    q.revision(),
                                    pid,
                                    failure.toString());
                                // An answer without the item, at once: the gateway, which knows
                                // the revision exists, says it could not be read (503) instead
                                // of waiting for its ask to time out.
                                q.replyTo()
                                    .tell(
                                        new ContentQuery.RevisionState(
                                            q.contentId(), null, null, null, null));
                              } else {
                                q.replyTo().tell(r.answer(q.contentId(), q.revision()));
                              }
                            });
                    return Behaviors.same();
                  })
              .onMessage(
                  ContentQuery.StoreHealth.class,
                  q -> {
                    // On the actor's thread, from values kept in memory: the JDBC executor's
                    // queries wait out the pool's timeout while the database is gone, and this
                    // answer must not queue behind them.
                    var h = dev.quire.content.metrics.TimedJdbcJournal.health();
                    q.replyTo()
                        .tell(
                            new ContentQuery.StoreReport(
                                h.failedWrites(),
                                h.lastFailureAt(),
                                h.lastFailure(),
                                h.lastSuccessAt(),
                                freeBytes.getAsLong(),
                                System.currentTimeMillis()));
                    return Behaviors.same();
                  })
              .onMessage(
                  ContentQuery.Slugs.class,
                  q ->
                      run(
                          dataSource,
                          jdbc,
                          q.replyTo(),
                          c -> readModel.slugs(c, q.afterId(), page(q.limit(), maxPageSize))))
              .onMessage(
                  ContentQuery.Preview.class,
                  q -> {
                    // Rendering is CPU work: off the actor's thread, as the queries are.
                    CompletableFuture.runAsync(
                        () ->
                            q.replyTo()
                                .tell(
                                    new ContentQuery.Rendered(
                                        readModel.render(q.markdown()),
                                        MarkdownRenderer.wordCount(q.markdown()))),
                        jdbc);
                    return Behaviors.same();
                  })
              .onMessage(
                  ContentQuery.AllIds.class,
                  q -> {
                    String prefix = ContentCommand.ENTITY_KEY.name() + "|";
                    journal(ctx.getSystem())
                        .currentPersistenceIds()
                        .filter(pid -> pid.startsWith(prefix))
                        .map(pid -> pid.substring(prefix.length()))
                        .runWith(Sink.seq(), ctx.getSystem())
                        .whenComplete(
                            (ids, failure) -> {
                              if (failure != null) {
                                LOG.warn("listing content ids failed: {}", failure.toString());
                              } else {
                                q.replyTo().tell(new ContentQuery.IdList(ids));
                              }
                            });
                    return Behaviors.same();
                  })
              .onMessage(
                  ContentQuery.JournalIds.class,
                  q ->
                      run(
                          dataSource,
                          jdbc,
                          q.replyTo(),
                          c ->
                              dev.quire.content.JournalHistories.contentIdsAfter(
                                  c,
                                  q.afterId() == null ? "" : q.afterId(),
                                  page(q.limit(), maxPageSize))))
              .onMessage(
                  ContentQuery.ExportItem.class,
                  q -> {
                    exportItem(
                        ctx.getSystem(), q, maxPageSize, replyBytes(q.replyTo(), maxReplyBytes));
                    return Behaviors.same();
                  })
              .onMessage(
                  ContentQuery.Referencing.class,
                  q ->
                      run(
                          dataSource,
                          jdbc,
                          q.replyTo(),
                          c ->
                              readModel.referencing(
                                  c, q.text(), q.statuses(), page(q.limit(), maxPageSize))))
              .onMessage(
                  ContentQuery.ReferencedBefore.class,
                  q ->
                      run(
                          dataSource,
                          jdbc,
                          q.replyTo(),
                          c ->
                              readModel.referencedBefore(
                                  c, q.text(), page(q.limit(), maxPageSize))))
              .onMessage(
                  ContentQuery.Archive.class,
                  q ->
                      run(
                          dataSource,
                          jdbc,
                          q.replyTo(),
                          c -> new ContentQuery.ArchiveMonths(readModel.archive(c))))
              .build();
        });
  }

  /**
   * Answers {@link ContentQuery.ExportItem}: the first page folds the whole history (the item as it
   * stands) and keeps the steps that fit; a later page reads only the revisions it can hold.
   */
  private static void exportItem(
      ActorSystem<?> system, ContentQuery.ExportItem q, int maxSteps, long budget) {
    String pid = ContentCommand.ENTITY_KEY.name() + "|" + q.contentId();
    boolean first = q.afterRevision() <= 0 && q.upTo() <= 0;
    var events =
        first
            ? journal(system).currentEventsByPersistenceId(pid, 0L, Long.MAX_VALUE)
            : journal(system)
                .currentEventsByPersistenceId(pid, q.afterRevision() + 1, q.upTo())
                .take(maxSteps);
    events
        .runFold(
            new ExportFold(Content.State.empty(), new java.util.ArrayList<>(), 0L, false),
            (f, env) -> f.next((Content.Event) env.event(), q.withSteps(), maxSteps, budget),
            system)
        .whenComplete(
            (f, failure) -> {
              if (failure != null) {
                // Not answered: the asker's timeout says the content role could not read it.
                LOG.warn("export of {} failed: {}", pid, failure.toString());
              } else {
                q.replyTo().tell(f.page(q, first, budget));
              }
            });
  }

  /**
   * An export page being read: the item's state so far, the steps kept, their text in bytes, and
   * whether a step was left out (for the next page).
   */
  record ExportFold(
      Content.State state,
      java.util.List<dev.quire.protocol.HistoryStep> steps,
      long bytes,
      boolean cut) {

    ExportFold next(Content.Event e, boolean withSteps, int maxSteps, long budget) {
      Content.State next = state.apply(e);
      if (!withSteps || cut) {
        return new ExportFold(next, steps, bytes, cut);
      }
      dev.quire.protocol.HistoryStep step = Content.step(e);
      long size = textBytes(step);
      if (steps.size() >= maxSteps || (!steps.isEmpty() && bytes + size > budget)) {
        return new ExportFold(next, steps, bytes, true);
      }
      steps.add(step);
      return new ExportFold(next, steps, bytes + size, false);
    }

    ContentQuery.ExportPage page(ContentQuery.ExportItem q, boolean first, long budget) {
      if (!first) {
        long last = steps.isEmpty() ? q.upTo() : steps.get(steps.size() - 1).revision();
        return new ContentQuery.ExportPage(q.contentId(), null, steps, q.upTo(), last < q.upTo());
      }
      if (!state.exists()) {
        return new ContentQuery.ExportPage(q.contentId(), null, java.util.List.of(), 0, false);
      }
      dev.quire.protocol.ContentSnapshot item = state.snapshot(q.contentId());
      // The item's own text shares the first reply's budget: drop steps from the end until both
      // fit (maybe all of them; the next page starts after the last one kept).
      long room = budget - textBytes(item);
      int keep = steps.size();
      long total = bytes;
      while (keep > 0 && total > room) {
        keep--;
        total -= textBytes(steps.get(keep));
      }
      java.util.List<dev.quire.protocol.HistoryStep> kept = steps.subList(0, keep);
      long last = keep == 0 ? 0 : kept.get(keep - 1).revision();
      return new ContentQuery.ExportPage(
          q.contentId(), item, kept, item.revision(), q.withSteps() && last < item.revision());
    }
  }

  /** Room a record takes in a reply beyond its text: names, times, JSON punctuation. */
  private static final long RECORD_OVERHEAD_BYTES = 512;

  private static long textBytes(dev.quire.protocol.HistoryStep s) {
    return RECORD_OVERHEAD_BYTES
        + ReadModel.utf8(s.actor())
        + ReadModel.utf8(s.aliasAdded())
        + ReadModel.utf8(s.slugReleased())
        + (s.fields() == null ? 0 : textBytes(s.fields()));
  }

  private static long textBytes(dev.quire.protocol.ContentSnapshot s) {
    long n = RECORD_OVERHEAD_BYTES + textBytes(s.fields());
    for (String a : s.aliases()) {
      n += ReadModel.utf8(a) + 4;
    }
    return n;
  }

  private static long textBytes(dev.quire.protocol.ContentFields f) {
    long n =
        ReadModel.utf8(f.title())
            + ReadModel.utf8(f.slug())
            + ReadModel.utf8(f.body())
            + ReadModel.utf8(f.description())
            + ReadModel.utf8(f.coverImage())
            + ReadModel.utf8(f.coverAlt())
            + ReadModel.utf8(f.author());
    for (String t : f.tags()) {
      n += ReadModel.utf8(t) + 4;
    }
    return n;
  }

  /** An item's events folded up to one revision: its state then, and the event that made it. */
  record Replay(Content.State state, Content.Event event) {
    static final Replay START = new Replay(Content.State.empty(), null);

    Replay next(Content.Event e, long upTo) {
      return e.revision() <= upTo ? new Replay(state.apply(e), e) : this;
    }

    ContentQuery.RevisionState answer(String contentId, long revision) {
      if (event == null || event.revision() != revision || !state.exists()) {
        return new ContentQuery.RevisionState(contentId, null, null, null, null);
      }
      return new ContentQuery.RevisionState(
          contentId,
          state.snapshot(contentId),
          ReadModel.eventName(event),
          event.at(),
          event.actor());
    }
  }

  private static JdbcReadJournal journal(ActorSystem<?> system) {
    return PersistenceQuery.get(system)
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
  }

  interface Query<R> {
    R apply(Connection c) throws Exception;
  }

  /**
   * A failed query is logged and not answered: the asker's timeout turns it into "unavailable", the
   * same answer a gateway gives when no query actor is reachable at all.
   */
  private static <R> Behavior<ContentQuery> run(
      DataSource dataSource, Executor jdbc, ActorRef<? super R> replyTo, Query<R> query) {
    CompletableFuture.runAsync(
        () -> {
          try (Connection c = dataSource.getConnection()) {
            replyTo.tell(query.apply(c));
          } catch (Exception e) {
            LOG.warn("read-model query for {} failed: {}", replyTo, e.toString());
          }
        },
        jdbc);
    return Behaviors.same();
  }

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(ContentQueries.class);

  /** A page size asked for, within 1 and the largest page. */
  private static int page(int asked, int maxPageSize) {
    return Math.max(1, Math.min(asked, maxPageSize));
  }
}
