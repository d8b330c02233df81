package dev.quire.gateway.semantic;

import dev.quire.gateway.content.Asks;
import dev.quire.gateway.content.ServiceDirectory;
import dev.quire.gateway.http.HttpError;
import dev.quire.protocol.EmbeddingQuery;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * The gateway's facade to the embedding service (role {@code embedding}), found through the
 * receptionist. No reachable service, a timeout or a failed query become {@link HttpError} 503s
 * with the reason.
 */
public final class EmbeddingClient {

  private final ActorSystem<?> system;
  private final Duration timeout;
  private final ServiceDirectory<EmbeddingQuery> services;

  public EmbeddingClient(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.timeout = timeout;
    this.services = DirectoryId.INSTANCE.apply(system).services;
  }

  /**
   * One directory of embedding services per actor system, shared by every client on it (the
   * semantic and search modules each have a client, with its own timeout).
   */
  static final class Directory implements org.apache.pekko.actor.typed.Extension {
    final ServiceDirectory<EmbeddingQuery> services;

    Directory(ActorSystem<?> system) {
      this.services =
          new ServiceDirectory<>(system, EmbeddingQuery.SERVICE_KEY, "embedding-directory");
    }
  }

  static final class DirectoryId extends org.apache.pekko.actor.typed.ExtensionId<Directory> {
    static final DirectoryId INSTANCE = new DirectoryId();

    @Override
    public Directory createExtension(ActorSystem<?> system) {
      return new Directory(system);
    }
  }

  public boolean reachable() {
    return services.reachable();
  }

  /** Runs {@code action} each time the embedding service becomes reachable after none was. */
  public void whenReachable(Runnable action) {
    services.whenReachable(action);
  }

  public CompletionStage<EmbeddingQuery.Hits> similar(String text, int k) {
    return this.<EmbeddingQuery.Hits>ask(r -> new EmbeddingQuery.Similar(text, k, r), timeout)
        .thenApply(EmbeddingClient::ok);
  }

  public CompletionStage<EmbeddingQuery.Hits> related(String contentId, int k, Duration within) {
    return this.<EmbeddingQuery.Hits>ask(r -> new EmbeddingQuery.Related(contentId, k, r), within)
        .thenApply(EmbeddingClient::ok);
  }

  public CompletionStage<EmbeddingQuery.PassageHits> passages(String text, int k) {
    return this.<EmbeddingQuery.PassageHits>ask(
            r -> new EmbeddingQuery.Passages(text, k, r), timeout)
        .thenApply(
            h -> {
              if (h.error() != null) {
                throw failure(h.error());
              }
              return h;
            });
  }

  public CompletionStage<EmbeddingQuery.Status> status() {
    return this.<EmbeddingQuery.Status>ask(EmbeddingQuery.GetStatus::new, timeout);
  }

  public CompletionStage<EmbeddingQuery.Status> reindex() {
    return this.<EmbeddingQuery.Status>ask(EmbeddingQuery.Reindex::new, timeout);
  }

  private static EmbeddingQuery.Hits ok(EmbeddingQuery.Hits h) {
    if (h.error() != null) {
      throw failure(h.error());
    }
    return h;
  }

  /** Problems with the request name their field ("q: ...", "k: ..."): 400; the rest is 503. */
  private static HttpError failure(String error) {
    int colon = error.indexOf(':');
    String field = colon > 0 ? error.substring(0, colon) : "";
    if (field.equals("q") || field.equals("k")) {
      return HttpError.badRequest(field, error.substring(colon + 1).strip());
    }
    return HttpError.unavailable(error);
  }

  private <R> CompletionStage<R> ask(
      org.apache.pekko.japi.function.Function<ActorRef<R>, EmbeddingQuery> make, Duration within) {
    return services
        .pick()
        .map(
            target ->
                Asks.unavailableOnTimeout(
                    Asks.on(
                        AskPattern.ask(target, make, within, system.scheduler()),
                        system.executionContext()),
                    "the embedding service"))
        .orElseGet(
            () ->
                CompletableFuture.failedFuture(
                    HttpError.unavailable(
                        "the embedding service is not running or not reachable")));
  }
}
