package dev.quire.gateway.content;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * The instances of one cluster service the receptionist currently knows, kept up to date by a small
 * subscriber actor. Callers pick one per request without asking anyone.
 */
public final class ServiceDirectory<T> {

  private final ServiceKey<T> key;
  private final AtomicReference<List<ActorRef<T>>> instances = new AtomicReference<>(List.of());
  private final List<Runnable> onReachable = new java.util.concurrent.CopyOnWriteArrayList<>();

  public ServiceDirectory(ActorSystem<?> system, ServiceKey<T> key, String actorName) {
    this.key = key;
    system.systemActorOf(
        Behaviors.<Receptionist.Listing>setup(
            ctx -> {
              ctx.getSystem().receptionist().tell(Receptionist.subscribe(key, ctx.getSelf()));
              return Behaviors.receiveMessage(
                  listing -> {
                    List<ActorRef<T>> now = List.copyOf(listing.getServiceInstances(key));
                    boolean cameBack = instances.getAndSet(now).isEmpty() && !now.isEmpty();
                    if (cameBack) {
                      onReachable.forEach(Runnable::run);
                    }
                    return Behaviors.same();
                  });
            }),
        actorName,
        Props.empty());
  }

  public boolean reachable() {
    return !instances.get().isEmpty();
  }

  /**
   * Runs {@code action} (on the directory's actor; keep it short) each time the service becomes
   * reachable after none was: at its first start and after every outage.
   */
  public void whenReachable(Runnable action) {
    onReachable.add(action);
  }

  /** One instance, spread over callers by thread; empty while none is reachable. */
  public Optional<ActorRef<T>> pick() {
    List<ActorRef<T>> all = instances.get();
    return all.isEmpty()
        ? Optional.empty()
        : Optional.of(all.get(Math.floorMod(Thread.currentThread().hashCode(), all.size())));
  }

  /** Every instance known now. */
  public List<ActorRef<T>> all() {
    return instances.get();
  }

  public ServiceKey<T> key() {
    return key;
  }
}
