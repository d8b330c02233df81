package dev.quire.content.project;

import dev.quire.content.Content;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Applies a batch of content events to the read model in one transaction (together with the
 * projection offset), then, once committed, tells subscribers the newest seq.
 */
public final class ContentProjectionHandler
    extends JdbcHandler<List<EventEnvelope<Content.Event>>, TransactionalSession> {

  /** Event written to read model committed, per batch: the projection's lag. */
  private static final Timer LAG =
      Timer.builder("quire.projection.lag")
          .description("Age of a batch's newest event when the read model committed it")
          .tag("projection", ContentProjection.NAME)
          .publishPercentiles(0.5, 0.99)
          .register(Metrics.globalRegistry);

  private final ReadModel readModel;
  private final LongConsumer committed;

  /** {@code committed} receives the newest seq after each commit (the pub-sub notifier). */
  public ContentProjectionHandler(ReadModel readModel, LongConsumer committed) {
    this.readModel = readModel;
    this.committed = committed;
  }

  @Override
  public void process(TransactionalSession session, List<EventEnvelope<Content.Event>> envelopes)
      throws Exception {
    long last =
        session.withConnection(
            c -> {
              long seq = readModel.maxSeq(c);
              for (EventEnvelope<Content.Event> env : envelopes) {
                readModel.apply(c, env.event(), ++seq);
              }
              return seq;
            });
    session.afterCommit(
        () -> {
          // How far the read model trails the journal: the newest event's age once committed.
          long newest = envelopes.get(envelopes.size() - 1).timestamp();
          LAG.record(Math.max(0, System.currentTimeMillis() - newest), TimeUnit.MILLISECONDS);
          committed.accept(last);
        });
  }
}
