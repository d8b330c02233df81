package dev.quire.gateway.redirect;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.quire.gateway.content.ContentClient;
import dev.quire.gateway.module.ModuleContext;
import dev.quire.protocol.RedirectCommand;
import dev.quire.protocol.RedirectRule;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A gateway whose redirect table is not reachable when the module starts (its sharding not started
 * yet) loads it at a later refresh. A failed first fetch used to end the refresh schedule for good.
 * The table's entity is stood in for by a small behavior answering Get, because the point is the
 * gateway's refresh, not the journaled table (EndToEndTest covers that through a whole node).
 */
class RedirectsRefreshTest {

  final Config config =
      ConfigFactory.parseString(
              "pekko.actor.provider = cluster\n"
                  + "pekko.remote.artery.canonical.port = 0\n"
                  + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n"
                  + "quire.gateway.redirects.refresh-interval = 100ms\n")
          .withFallback(ConfigFactory.load());
  final ActorTestKit kit = ActorTestKit.create("redirects-refresh", config);

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void aTableNotReachableAtStartIsLoadedLater() throws Exception {
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    ContentClient content = new ContentClient(kit.system(), Duration.ofSeconds(1));
    RedirectsModule module = new RedirectsModule();
    module.start(context(kit.system(), config, content));
    Thread.sleep(300); // a few refreshes, each failing: no shard region for the table yet

    RedirectRule rule = new RedirectRule("/old/", "/new/", 301);
    ClusterSharding.get(kit.system())
        .init(
            Entity.of(
                RedirectCommand.ENTITY_KEY,
                ctx ->
                    Behaviors.receive(RedirectCommand.class)
                        .onMessage(
                            RedirectCommand.Get.class,
                            get -> {
                              get.replyTo()
                                  .tell(new RedirectCommand.RedirectTable(1, false, List.of(rule)));
                              return Behaviors.same();
                            })
                        .build()));

    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (module.match("/old/", Optional.empty()).isEmpty()) {
      assertThat(System.nanoTime()).as("the table loaded within 10 s").isLessThan(deadline);
      Thread.sleep(50);
    }
    assertThat(module.match("/old/", Optional.empty())).contains(rule);
  }

  /**
   * A table answered a page at a time is read to its end and installed whole; a page of another
   * version (the table changed meanwhile) fails that read, and the next one starts over.
   */
  @Test
  void aTableAnsweredInPagesIsReadWhole() throws Exception {
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    List<RedirectRule> rules = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      rules.add(new RedirectRule("/old-" + i + "/", "/new-" + i + "/", 301));
    }
    java.util.concurrent.atomic.AtomicInteger reads =
        new java.util.concurrent.atomic.AtomicInteger();
    ClusterSharding.get(kit.system())
        .init(
            Entity.of(
                RedirectCommand.ENTITY_KEY,
                ctx ->
                    Behaviors.receive(RedirectCommand.class)
                        .onMessage(
                            RedirectCommand.Get.class,
                            get -> {
                              // One rule a page; the first read's last page is of a newer
                              // version, as if the table changed under it.
                              int at = get.offset();
                              long version = at == 4 && reads.getAndIncrement() == 0 ? 2 : 1;
                              get.replyTo()
                                  .tell(
                                      new RedirectCommand.RedirectTable(
                                          version,
                                          false,
                                          List.of(rules.get(at)),
                                          at + 1 < rules.size() ? at + 1 : null));
                              return Behaviors.same();
                            })
                        .build()));
    ContentClient content = new ContentClient(kit.system(), Duration.ofSeconds(1));
    RedirectsModule module = new RedirectsModule();
    module.start(context(kit.system(), config, content));
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (module.match("/old-4/", Optional.empty()).isEmpty()) {
      assertThat(System.nanoTime()).as("the table loaded within 10 s").isLessThan(deadline);
      Thread.sleep(50);
    }
    for (RedirectRule r : rules) {
      assertThat(module.match(r.from(), Optional.empty())).contains(r);
    }
    assertThat(reads.get()).as("the first read was dropped and read again").isGreaterThan(1);
  }

  static ModuleContext context(ActorSystem<?> system, Config config, ContentClient content) {
    // The redirects module uses neither the site nor its templates.
    return new dev.quire.gateway.module.ModuleContext.Of(
        system, config, content, null, null, null, new ObjectMapper(), List.of());
  }
}
