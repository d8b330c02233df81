package dev.quire.content.query;

import dev.quire.content.project.ReadModel;
import dev.quire.protocol.ContentQuery;
import java.sql.Connection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * Answers {@link ContentQuery} messages from the read model. The actor itself never blocks: each
 * query runs on the JDBC executor and the answer goes straight to the asker. Registered with the
 * receptionist so gateways anywhere in the cluster find it.
 */
public final class ContentQueries {

  private ContentQueries() {}

  public static Behavior<ContentQuery> create(
      DataSource dataSource, ReadModel readModel, Executor jdbc, int maxPageSize) {
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
                                  c, q.afterSeq(), Math.max(1, Math.min(q.limit(), maxPageSize)))))
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
                                  Math.max(1, q.page()),
                                  Math.max(1, Math.min(q.size(), maxPageSize)))))
              .onMessage(
                  ContentQuery.Revisions.class,
                  q ->
                      run(
                          dataSource,
                          jdbc,
                          q.replyTo(),
                          c ->
                              new ContentQuery.RevisionList(
                                  q.contentId(), readModel.revisions(c, q.contentId()))))
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
}
