package dev.quire.gateway.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.quire.gateway.module.ModuleContext;
import dev.quire.gateway.semantic.EmbeddingClient;
import dev.quire.gateway.site.SiteSnapshot;
import dev.quire.protocol.EmbeddingQuery;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How the search waits on the embedding role: bounded in time and in number, and never leaving a
 * slot taken. The role here is a stand-in registered under the real service key (a test double):
 * the real one answers in milliseconds and cannot be made to hold a query or stay silent on demand.
 * EndToEndTest searches the real one.
 */
class SearchModuleTest {

  final ActorTestKit kit = ActorTestKit.create("search-module");

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  static Config config(Map<String, Object> search) {
    Map<String, Object> prefixed = new java.util.HashMap<>();
    search.forEach((k, v) -> prefixed.put("quire.gateway.search." + k, v));
    return ConfigFactory.parseMap(prefixed).withFallback(ConfigFactory.load()).resolve();
  }

  static final SiteSnapshot SITE =
      SiteSnapshot.of(
          3,
          List.of(
              SiteSearchTest.RUST,
              SiteSearchTest.CAFE,
              SiteSearchTest.TAGGED,
              SiteSearchTest.DESCRIBED,
              SiteSearchTest.ABOUT),
          100);

  static EmbeddingQuery.Hit hit(dev.quire.gateway.site.ItemView v, double score) {
    return new EmbeddingQuery.Hit(v.id(), v.slug(), v.title(), score);
  }

  /** A search module started in this test's actor system, with no site, templates or content. */
  SearchModule started(Config config) {
    SearchModule module = new SearchModule();
    module.start(
        new ModuleContext.Of(kit.system(), config, null, null, null, null, null, List.of()));
    return module;
  }

  static SearchModule.Outcome done(CompletionStage<SearchModule.Outcome> s) throws Exception {
    return s.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void meaningIsBoundedInTimeAndNumberAndEverySlotIsFreed() throws Exception {
    // The stand-in keeps every query it gets, unanswered, until the test answers it.
    LinkedBlockingQueue<EmbeddingQuery.Similar> asked = new LinkedBlockingQueue<>();
    var role =
        kit.spawn(
            Behaviors.<EmbeddingQuery>receiveMessage(
                m -> {
                  if (m instanceof EmbeddingQuery.Similar s) {
                    asked.add(s);
                  }
                  return Behaviors.same();
                }));
    kit.system()
        .receptionist()
        .tell(Receptionist.register(EmbeddingQuery.SERVICE_KEY, role.narrow()));
    SearchModule module =
        started(
            config(Map.of("max-meaning-in-flight", 1, "meaning-timeout", "1s", "min-score", 0.3)));
    EmbeddingClient sameDirectory = new EmbeddingClient(kit.system(), Duration.ofSeconds(1));
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!sameDirectory.reachable()) {
      assertThat(System.nanoTime()).as("the stand-in never became reachable").isLessThan(deadline);
      Thread.sleep(10);
    }

    // One search waits on the role; a second, past max-meaning-in-flight, does not wait: words
    // alone, and it says so.
    var first = module.search("rust", 10, SITE);
    EmbeddingQuery.Similar firstAsk = asked.poll(5, TimeUnit.SECONDS);
    assertThat(firstAsk).isNotNull();
    assertThat(firstAsk.text()).isEqualTo("rust");
    var busy = done(module.search("rust", 10, SITE));
    assertThat(busy.meaning()).isFalse();
    assertThat(busy.notice()).startsWith("the search by meaning is busy");
    assertThat(busy.noticeWord())
        .as("what the search page says it with")
        .isEqualTo("search.notice.busy");
    assertThat(busy.results())
        .extracting(r -> r.item().id())
        .containsExactly(
            SiteSearchTest.RUST.id(), SiteSearchTest.TAGGED.id(), SiteSearchTest.DESCRIBED.id());
    assertThat(asked).as("the busy search never reached the role").isEmpty();

    // The answer arrives: hits below min-score are left out; the rankings are fused.
    firstAsk
        .replyTo()
        .tell(
            new EmbeddingQuery.Hits(
                List.of(hit(SiteSearchTest.CAFE, 0.8), hit(SiteSearchTest.ABOUT, 0.1)),
                "stand-in",
                true,
                null));
    var answered = done(first);
    assertThat(answered.meaning()).isTrue();
    assertThat(answered.notice()).isEmpty();
    assertThat(answered.results())
        .extracting(r -> r.item().id())
        .contains(SiteSearchTest.CAFE.id(), SiteSearchTest.RUST.id())
        .doesNotContain(SiteSearchTest.ABOUT.id());

    // The slot is free again; a role that stays silent costs meaning-timeout, then words alone.
    var silent = module.search("rust", 10, SITE);
    assertThat(asked.poll(5, TimeUnit.SECONDS)).as("the slot was freed").isNotNull();
    var timedOut = done(silent);
    assertThat(timedOut.meaning()).isFalse();
    assertThat(timedOut.notice()).startsWith("the search by meaning did not answer");
    assertThat(timedOut.noticeWord()).isEqualTo("search.notice.noAnswer");
    assertThat(timedOut.results()).hasSize(3);

    // A refusal (the role's limits below this module's) frees the slot too.
    var refused = module.search("rust", 10, SITE);
    EmbeddingQuery.Similar refusedAsk = asked.poll(5, TimeUnit.SECONDS);
    assertThat(refusedAsk).as("the slot was freed after the timeout").isNotNull();
    refusedAsk
        .replyTo()
        .tell(new EmbeddingQuery.Hits(List.of(), "stand-in", false, "k: must be between 1 and 20"));
    assertThat(done(refused).meaning()).isFalse();
    var again = module.search("rust", 10, SITE);
    EmbeddingQuery.Similar againAsk = asked.poll(5, TimeUnit.SECONDS);
    assertThat(againAsk).as("the slot was freed after the refusal").isNotNull();
    againAsk.replyTo().tell(new EmbeddingQuery.Hits(List.of(), "stand-in", true, null));
    assertThat(done(again).meaning()).isTrue();
  }

  @Test
  void queriesAreBoundedAndEmptyOnesFindNothing() throws Exception {
    SearchModule module =
        started(config(Map.of("max-query-chars", 10, "max-meaning-in-flight", 0)));
    assertThatThrownBy(() -> done(module.search("x".repeat(11), 10, SITE)))
        .hasRootCauseInstanceOf(dev.quire.gateway.http.HttpError.class)
        .rootCause()
        .hasMessage("at most 10 characters, was 11 characters");
    // Ten characters counted as a reader counts them, not as UTF-16 units.
    assertThat(done(module.search("é".repeat(5) + "\uD83D\uDE00".repeat(5), 10, SITE)).query())
        .hasSize(15);
    var empty = done(module.search("  ?! ", 10, SITE));
    assertThat(empty.results()).isEmpty();
    assertThat(empty.meaning()).isFalse();
    // Meaning turned off (max-meaning-in-flight = 0): words alone, without a notice.
    var words = done(module.search("cafe", 10, SITE));
    assertThat(words.results()).extracting(r -> r.item().id()).containsExactly("2");
    assertThat(words.notice()).isEmpty();
  }

  @Test
  void theWordsIndexFollowsThePublishedSiteAndIsSharedWhileItIsBuilt() throws Exception {
    SearchModule module = started(config(Map.of("max-meaning-in-flight", 0)));
    // Many searches of one site at once, before any index exists: all answer alike.
    List<java.util.concurrent.CompletableFuture<SearchModule.Outcome>> many =
        new java.util.ArrayList<>();
    for (int i = 0; i < 20; i++) {
      many.add(module.search("rust", 10, SITE).toCompletableFuture());
    }
    for (var f : many) {
      assertThat(done(f).results())
          .extracting(r -> r.item().id())
          .containsExactly(
              SiteSearchTest.RUST.id(), SiteSearchTest.TAGGED.id(), SiteSearchTest.DESCRIBED.id());
    }
    // A change to what is published: the next search reads the new site, text included.
    var essay =
        SiteSearchTest.withHtml(
            SiteSearchTest.item("9", "post", "An essay", "", "2026-05-01"),
            "<p>Ferris the crab.</p>");
    SiteSnapshot changed = SITE.with(4, List.of(new SiteSnapshot.Change(null, essay)));
    assertThat(done(module.search("ferris", 10, changed)).results())
        .extracting(r -> r.item().id())
        .containsExactly("9");
    assertThat(done(module.search("ferris", 10, SITE)).results()).isEmpty();
    // An unpublished item leaves the index with it.
    SiteSnapshot without = changed.with(5, List.of(new SiteSnapshot.Change(essay, null)));
    assertThat(done(module.search("ferris", 10, without)).results()).isEmpty();
  }

  @Test
  void meaningTurnedOffIsNotMentionedButMeaningMissingIs() throws Exception {
    // No embedding role in this actor system: expected but not there, the page says so.
    SearchModule expecting = started(config(Map.of()));
    assertThat(done(expecting.search("cafe", 10, SITE)).notice())
        .startsWith("the search by meaning is not running on this site");
    // The site turned semantic search off: words alone, and nothing said about it.
    Config off =
        ConfigFactory.parseMap(Map.of("quire.embedding.enabled", false))
            .withFallback(config(Map.of()))
            .resolve();
    assertThat(SearchModule.Settings.fromConfig(off).maxMeaningInFlight()).isZero();
    SearchModule turnedOff = started(off);
    var words = done(turnedOff.search("cafe", 10, SITE));
    assertThat(words.results()).extracting(r -> r.item().id()).containsExactly("2");
    assertThat(words.notice()).isEmpty();
  }

  @Test
  void settingsOutOfRangeStopTheStartNamingThem() {
    assertThatThrownBy(() -> SearchModule.Settings.fromConfig(config(Map.of("min-score", 1.5))))
        .hasMessageContaining("min-score");
    assertThatThrownBy(
            () -> SearchModule.Settings.fromConfig(config(Map.of("meaning-timeout", "0s"))))
        .hasMessageContaining("meaning-timeout");
    assertThatThrownBy(() -> SearchModule.Settings.fromConfig(config(Map.of("max-results", 60))))
        .hasMessageContaining("max-results");
  }
}
