package dev.quire.gateway.content;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.gateway.site.SiteSnapshot;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A service coming (back) is announced, so that pages rendered without it render again: the post
 * page's related posts, memoised empty while the embedding service was not yet up after a start,
 * appear once it is (SemanticModule forgets the memoised pages then).
 */
class ServiceDirectoryTest {

  final ActorTestKit kit = ActorTestKit.create("service-directory");

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waited 5 s").isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  @Test
  void becomingReachableIsAnnouncedAtTheFirstStartAndAfterEveryOutage() throws Exception {
    ServiceKey<String> key = ServiceKey.create(String.class, "echo");
    ServiceDirectory<String> directory = new ServiceDirectory<>(kit.system(), key, "directory");
    AtomicInteger announced = new AtomicInteger();
    directory.whenReachable(announced::incrementAndGet);
    assertThat(directory.reachable()).isFalse();

    ActorRef<String> first = kit.spawn(Behaviors.ignore());
    kit.system().receptionist().tell(Receptionist.register(key, first));
    await(() -> announced.get() == 1 && directory.reachable());

    ActorRef<String> second = kit.spawn(Behaviors.ignore());
    kit.system().receptionist().tell(Receptionist.register(key, second));
    await(() -> directory.pick().isPresent());
    Thread.sleep(200);
    assertThat(announced).as("a second instance is no comeback").hasValue(1);

    kit.stop(first);
    kit.stop(second);
    await(() -> !directory.reachable());
    ActorRef<String> third = kit.spawn(Behaviors.ignore());
    kit.system().receptionist().tell(Receptionist.register(key, third));
    await(() -> announced.get() == 2 && directory.reachable());
  }

  @Test
  void forgottenPagesRenderAgain() {
    SiteSnapshot snapshot = SiteSnapshot.of(1, List.of(), 100);
    AtomicInteger renders = new AtomicInteger();
    java.util.function.Supplier<SiteSnapshot.Rendered> render =
        () -> {
          renders.incrementAndGet();
          return new SiteSnapshot.Rendered(200, "e", HttpResponse.create());
        };
    snapshot.page("/posts/a/", render);
    snapshot.page("/posts/a/", render);
    assertThat(renders).as("memoised").hasValue(1);
    snapshot.forgetPages();
    snapshot.page("/posts/a/", render);
    assertThat(renders).as("rendered again after forgetPages").hasValue(2);
  }
}
