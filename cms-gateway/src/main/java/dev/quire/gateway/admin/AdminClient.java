package dev.quire.gateway.admin;

import dev.quire.gateway.content.Asks;
import dev.quire.gateway.content.ContentClient;
import dev.quire.protocol.SessionCommand;
import dev.quire.protocol.UserCommand;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The admin's way to its users and sessions: asks to the sharded {@code Users} and {@code
 * AdminSessions} entities (cms-protocol messages), with the content client's timeouts; a timeout is
 * "unavailable" (503).
 */
final class AdminClient {

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final ContentClient content;
  private final dev.quire.gateway.api.UserTokens users;

  AdminClient(ActorSystem<?> system, ContentClient content) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.content = content;
    this.users = new dev.quire.gateway.api.UserTokens(system, content);
  }

  /** The user directory's asks, which users' API tokens are checked with too. */
  dev.quire.gateway.api.UserTokens userTokens() {
    return users;
  }

  /** An ask to the user directory ({@link dev.quire.gateway.api.UserTokens#ask}). */
  <R> CompletionStage<R> users(
      org.apache.pekko.japi.function.Function<ActorRef<R>, UserCommand> make) {
    return users.ask(make);
  }

  CompletionStage<SessionCommand.SessionState> session(
      String secret,
      org.apache.pekko.japi.function.Function<ActorRef<SessionCommand.SessionState>, SessionCommand>
          make) {
    return Asks.unavailableOnTimeout(
        Asks.on(
            sharding
                .entityRefFor(SessionCommand.ENTITY_KEY, Secrets.sessionId(secret))
                .ask(make, content.askTimeout()),
            system.executionContext()),
        "the session store");
  }
}
