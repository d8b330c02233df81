package dev.quire.cli;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;

/**
 * A Pekko Management readiness check: true once {@link QuireNode} has started every role of this
 * node and, on a gateway, while its site is loaded (what {@code /healthz} says): a gateway's port
 * opens, and its roles start, 7-12 s before it has pages to serve, and a readiness probe or a load
 * balancer that sent it requests then got "The site is starting" (503) all that time. (Cluster
 * membership is checked by Pekko Management's own cluster check beside it.)
 */
public final class NodeReady implements Supplier<CompletionStage<Boolean>> {

  private static final Map<ActorSystem, BooleanSupplier> STARTED =
      Collections.synchronizedMap(new WeakHashMap<>());

  private final ActorSystem system;

  public NodeReady(ActorSystem system) {
    this.system = system;
  }

  /** Every role of {@code system}'s node has started; {@code serving}: whether it serves now. */
  static void started(ActorSystem system, BooleanSupplier serving) {
    STARTED.put(system, serving);
  }

  @Override
  public CompletionStage<Boolean> get() {
    BooleanSupplier serving = STARTED.get(system);
    return CompletableFuture.completedFuture(serving != null && serving.getAsBoolean());
  }
}
