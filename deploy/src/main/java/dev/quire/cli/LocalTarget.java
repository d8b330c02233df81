package dev.quire.cli;

import dev.quire.gateway.content.Asks;
import dev.quire.protocol.ContentCommand;
import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentReply;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.SlugCommand;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/** Talks to the entities of a node started in this process (the site itself is stopped). */
public final class LocalTarget implements ContentTarget {

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Duration timeout;
  private final String actor;

  public LocalTarget(ActorSystem<?> system, Duration timeout, String actor) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
    this.actor = actor;
  }

  @Override
  public CompletionStage<Optional<ContentSnapshot>> findBySlug(String slug) {
    return Asks.on(
            sharding
                .entityRefFor(SlugCommand.ENTITY_KEY, slug)
                .<SlugCommand.Owner>ask(SlugCommand.GetOwner::new, timeout),
            system.executionContext())
        .thenCompose(
            owner ->
                owner.contentId().isEmpty()
                    ? CompletableFuture.completedFuture(Optional.empty())
                    : ask(owner.contentId(), ContentCommand.Get::new)
                        .thenApply(Optional::of)
                        .exceptionally(e -> Optional.empty()));
  }

  @Override
  public CompletionStage<ContentSnapshot> create(ContentKind kind, ContentFields fields) {
    return ask(
        UUID.randomUUID().toString(), r -> new ContentCommand.CreateDraft(kind, fields, actor, r));
  }

  @Override
  public CompletionStage<ContentSnapshot> edit(String id, long revision, ContentFields fields) {
    return ask(id, r -> new ContentCommand.Edit(revision, fields, actor, r));
  }

  @Override
  public CompletionStage<ContentSnapshot> publish(String id, long revision) {
    return ask(id, r -> new ContentCommand.Publish(revision, actor, r));
  }

  @Override
  public CompletionStage<ContentSnapshot> schedule(String id, long revision, Instant at) {
    return ask(id, r -> new ContentCommand.Schedule(revision, at, actor, r));
  }

  @Override
  public CompletionStage<ContentSnapshot> unpublish(String id, long revision) {
    return ask(id, r -> new ContentCommand.Unpublish(revision, actor, r));
  }

  @Override
  public CompletionStage<List<ContentSnapshot>> all() {
    String prefix = ContentCommand.ENTITY_KEY.name() + "|";
    return PersistenceQuery.get(system)
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier())
        .currentPersistenceIds()
        .filter(pid -> pid.startsWith(prefix))
        .mapAsync(8, pid -> ask(pid.substring(prefix.length()), ContentCommand.Get::new))
        .runWith(Sink.seq(), system);
  }

  private CompletionStage<ContentSnapshot> ask(
      String id, Function<ActorRef<ContentReply>, ContentCommand> make) {
    return Asks.on(
            sharding
                .entityRefFor(ContentCommand.ENTITY_KEY, id)
                .<ContentReply>ask(make::apply, timeout),
            system.executionContext())
        .thenApply(
            reply -> {
              if (reply instanceof ContentReply.Rejected r) {
                throw new Refused(r.field(), r.message());
              }
              return ((ContentReply.Accepted) reply).content();
            });
  }

  @Override
  public void close() {}
}
