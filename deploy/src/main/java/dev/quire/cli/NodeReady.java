package dev.quire.cli;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;

/**
 * A Pekko Management readiness check: true once {@link QuireNode} has started every role of this
 * node. (Cluster membership is checked by Pekko Management's own cluster check beside it.)
 */
public final class NodeReady implements Supplier<CompletionStage<Boolean>> {

  private static final Map<ActorSystem, Boolean> STARTED =
      Collections.synchronizedMap(new WeakHashMap<>());

  private final ActorSystem system;

  public NodeReady(ActorSystem system) {
    this.system = system;
  }

  static void started(ActorSystem system) {
    STARTED.put(system, true);
  }

  @Override
  public CompletionStage<Boolean> get() {
    return CompletableFuture.completedFuture(STARTED.getOrDefault(system, false));
  }
}
