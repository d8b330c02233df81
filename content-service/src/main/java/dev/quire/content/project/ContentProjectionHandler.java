package dev.quire.content.project;

import dev.quire.content.Content;
import java.util.List;
import java.util.function.LongConsumer;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Applies a batch of content events to the read model in one transaction (together with the
 * projection offset), then, once committed, tells subscribers the newest seq.
 */
public final class ContentProjectionHandler
    extends JdbcHandler<List<EventEnvelope<Content.Event>>, TransactionalSession> {

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
    session.afterCommit(() -> committed.accept(last));
  }
}
