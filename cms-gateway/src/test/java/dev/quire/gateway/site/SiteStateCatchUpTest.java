package dev.quire.gateway.site;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.quire.gateway.content.ContentClient;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentQuery;
import dev.quire.protocol.ContentStatus;
import dev.quire.protocol.ContentTopic;
import dev.quire.protocol.ReadItem;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's in-memory site follows the read model even when a change notification never
 * arrives: it loads what it missed on its periodic catch-up tick. The content service's query actor
 * is stood in for by a small actor answering {@code ChangesSince} from a map of rows, because the
 * point is to change the read model without the notification the real projection always sends (the
 * multi-process ContentFailoverClusterTest covers a gateway restarted against the real service).
 * The same stand-in serves the site module's warm-up: the home page rendered before any request.
 */
class SiteStateCatchUpTest {

  ActorTestKit kit;

  @BeforeEach
  void start() {
    kit =
        ActorTestKit.create(
            "site-state",
            ConfigFactory.parseString(
                    "pekko.actor.provider = cluster\n"
                        + "pekko.remote.artery.canonical.port = 0\n"
                        + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n")
                .withFallback(ConfigFactory.load()));
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    // Up before the test runs: a node shut down while still joining waited out its leave and
    // overran the kit's 10 s to stop (once in CI, on a busy machine).
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
    while (cluster.selfMember().status() != org.apache.pekko.cluster.MemberStatus.up()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the test node did not come up: " + cluster.selfMember());
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  static ReadItem published(String id, String slug, long seq) {
    return row(id, ContentStatus.PUBLISHED, slug, List.of(), seq);
  }

  static ReadItem row(String id, ContentStatus status, String slug, List<String> tags, long seq) {
    Instant t = Instant.parse("2026-01-01T00:00:00Z").plusSeconds(seq);
    return new ReadItem(
        id,
        ContentKind.POST,
        status,
        1,
        slug,
        "Title " + slug,
        "",
        tags,
        "",
        "",
        "",
        t,
        t,
        t,
        t,
        null,
        "body",
        "<p>body</p>",
        1,
        List.of(),
        seq);
  }

  @Test
  void aPostLeavesTheTagsItHadPublishedAndNoOthers() {
    java.time.ZoneId utc = java.time.ZoneOffset.UTC;
    ReadItem before = row("p", ContentStatus.PUBLISHED, "p", List.of("Java", "Event Sourcing"), 1);
    ReadItem edited = row("p", ContentStatus.PUBLISHED, "p", List.of("Java", "Go"), 2);
    ItemView was = ItemView.of(before, utc);
    assertThat(SiteState.tagsLeft(edited, was, ItemView.of(edited, utc), false))
        .as("a tag lost in an edit")
        .containsExactly("event-sourcing");
    ReadItem unpublished = row("p", ContentStatus.DRAFT, "p", List.of("Java"), 3);
    assertThat(SiteState.tagsLeft(unpublished, was, null, false))
        .as("unpublished: every tag it had")
        .containsExactlyInAnyOrder("java", "event-sourcing");
    assertThat(SiteState.tagsLeft(unpublished, null, null, true))
        .as("loaded unpublished after having been published: its present tags, the safe side")
        .containsExactly("java");
    assertThat(SiteState.tagsLeft(unpublished, null, null, false))
        .as("later, a saved draft of it: it left its tags when it was unpublished")
        .isEmpty();
    ReadItem neverPublished =
        new ReadItem(
            "d",
            ContentKind.POST,
            ContentStatus.DRAFT,
            1,
            "d",
            "D",
            "",
            List.of("Java"),
            "",
            "",
            "",
            null,
            unpublished.createdAt(),
            unpublished.updatedAt(),
            null,
            null,
            "",
            "",
            1,
            List.of(),
            4);
    assertThat(SiteState.tagsLeft(neverPublished, null, null, true)).isEmpty();
    ReadItem published = row("n", ContentStatus.PUBLISHED, "n", List.of("Java"), 5);
    assertThat(SiteState.tagsLeft(published, null, ItemView.of(published, utc), true)).isEmpty();
  }

  /**
   * A read model holding each item's latest row, answering in pages of the asked limit as the real
   * one does; it leaves unanswered (the ask times out) the first request for changes after {@code
   * failOnceAfter} (-1: none), and says when it has.
   */
  AtomicBoolean readModel(Map<String, ReadItem> rows, long failOnceAfter) {
    AtomicBoolean failed = new AtomicBoolean();
    ActorRef<ContentQuery> queries =
        kit.spawn(
            Behaviors.receive(ContentQuery.class)
                .onMessage(
                    ContentQuery.ChangesSince.class,
                    q -> {
                      if (q.afterSeq() == failOnceAfter && failed.compareAndSet(false, true)) {
                        return Behaviors.same();
                      }
                      List<ReadItem> after =
                          rows.values().stream()
                              .filter(i -> i.seq() > q.afterSeq())
                              .sorted(Comparator.comparingLong(ReadItem::seq))
                              .toList();
                      List<ReadItem> page = after.subList(0, Math.min(q.limit(), after.size()));
                      long last =
                          page.isEmpty()
                              ? rows.values().stream().mapToLong(ReadItem::seq).max().orElse(0)
                              : page.get(page.size() - 1).seq();
                      q.replyTo()
                          .tell(
                              new ContentQuery.Changes(
                                  List.copyOf(page), last, after.size() > page.size()));
                      return Behaviors.same();
                    })
                .build());
    kit.system().receptionist().tell(Receptionist.register(ContentQuery.SERVICE_KEY, queries));
    return failed;
  }

  SiteState site(Duration catchUp) {
    return new SiteState(
        kit.system(), new ContentClient(kit.system(), Duration.ofSeconds(3)), settings(catchUp));
  }

  /** Pages of 200, the catch-up tick {@code catchUp}, a 50 ms start-up poll, a 200 ms retry. */
  static SiteState.Settings settings(Duration catchUp) {
    return new SiteState.Settings(
        200, catchUp, Duration.ofMillis(50), Duration.ofMillis(200), 100, ZoneOffset.UTC);
  }

  @Test
  void aChangeWhoseNotificationIsLostStillReachesTheSiteOnTheCatchUpTick() throws Exception {
    Map<String, ReadItem> readModel =
        new ConcurrentHashMap<>(Map.of("a", published("a", "first", 1)));
    readModel(readModel, -1);
    Duration catchUp = Duration.ofMillis(500);
    SiteState site = site(catchUp);
    awaitUntil(site::ready, Duration.ofSeconds(10));
    assertThat(site.snapshot().bySlug("first")).isNotNull();

    // A change lands in the read model and its notification is lost: nothing is published.
    readModel.put("b", published("b", "second", 2));
    awaitUntil(() -> site.snapshot().bySlug("second") != null, catchUp.multipliedBy(6));
    assertThat(site.snapshot().seq()).isEqualTo(2);
    assertThat(site.snapshot().size()).isEqualTo(2);
  }

  @Test
  void aDeferredSiteLoadsOnlyOnceStartedWithItsModulesTransformsAndSurvivesAFailingOne()
      throws Exception {
    Map<String, ReadItem> readModel =
        new ConcurrentHashMap<>(
            Map.of("a", published("a", "first", 1), "b", published("b", "second", 2)));
    readModel.put("d", row("d", ContentStatus.DRAFT, "draft", List.of(), 3));
    readModel(readModel, -1);
    SiteState site =
        SiteState.deferred(
            kit.system(),
            new ContentClient(kit.system(), Duration.ofSeconds(3)),
            settings(Duration.ofHours(1)));
    var calls = new java.util.concurrent.atomic.AtomicInteger();
    site.transformItems(
        item -> {
          calls.incrementAndGet();
          return item.withHtml(item.html().replace("body", "BODY"));
        });
    // Fails for the second item it sees (items come in journal order: a, then b).
    var second = new java.util.concurrent.atomic.AtomicInteger();
    site.transformItems(
        item -> {
          if (second.incrementAndGet() == 2) {
            throw new java.io.IOException("an image could not be read");
          }
          return item.withHtml(item.html() + "<!-- t -->");
        });
    Thread.sleep(500);
    assertThat(site.snapshot().size()).as("nothing loads before start()").isZero();
    site.start();
    awaitUntil(site::ready, Duration.ofSeconds(10));
    assertThat(site.snapshot().bySlug("first").html()).isEqualTo("<p>BODY</p><!-- t -->");
    assertThat(site.snapshot().bySlug("second").html())
        .as("a failing transform: the item as stored")
        .isEqualTo("<p>body</p>");
    assertThat(calls).as("drafts are not transformed").hasValue(2);
  }

  @Test
  void aNotificationIsActedOnAtOnceWithoutWaitingForTheTick() throws Exception {
    Map<String, ReadItem> readModel =
        new ConcurrentHashMap<>(Map.of("a", published("a", "first", 1)));
    readModel(readModel, -1);
    // A tick so rare it cannot be what loads the change below.
    SiteState site = site(Duration.ofHours(1));
    awaitUntil(site::ready, Duration.ofSeconds(10));
    readModel.put("b", published("b", "second", 2));
    announceUntil(2, () -> site.snapshot().bySlug("second") != null);
    assertThat(site.snapshot().seq()).isEqualTo(2);
  }

  /**
   * A notification that arrives while a catch-up is failing (the read model's database down: the
   * query goes unanswered) is not lost with it: the change is fetched again soon after the failure,
   * not at the next catch-up tick, which here is an hour away.
   */
  @Test
  void aChangeAnnouncedWhileACatchUpFailsIsFetchedSoonAfterTheFailure() throws Exception {
    Map<String, ReadItem> readModel =
        new ConcurrentHashMap<>(Map.of("a", published("a", "first", 1)));
    AtomicBoolean unanswered = readModel(readModel, 1);
    SiteState site =
        new SiteState(
            kit.system(),
            new ContentClient(kit.system(), Duration.ofMillis(300)),
            settings(Duration.ofHours(1)));
    awaitUntil(site::ready, Duration.ofSeconds(10));
    readModel.put("b", published("b", "second", 2));
    // Announced until the fetch it starts has reached the read model (and goes unanswered); not
    // after, so that no later notification is what fetches the change.
    announceUntil(2, unanswered::get);
    awaitUntil(() -> site.snapshot().bySlug("second") != null, Duration.ofSeconds(5));
    assertThat(site.snapshot().seq()).isEqualTo(2);
    // No retry at once after a failure: a content side that fails fast would be asked in a loop.
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                new SiteState.Settings(
                    200,
                    Duration.ofHours(1),
                    Duration.ofMillis(50),
                    Duration.ZERO,
                    100,
                    ZoneOffset.UTC))
        .hasMessageContaining("quire.gateway.catch-up-retry must be more than 0");
  }

  @Test
  void aCatchUpOverSeveralPagesWithAFailureBetweenThemShowsOnlyWholeStates() throws Exception {
    Map<String, ReadItem> rows = new ConcurrentHashMap<>();
    rows.put("a", row("a", ContentStatus.PUBLISHED, "one", List.of("x"), 1));
    rows.put("b", row("b", ContentStatus.PUBLISHED, "two", List.of("x"), 2));
    readModel(rows, 3);
    // One item per page, so that every change below arrives on a page of its own.
    SiteState site =
        new SiteState(
            kit.system(),
            new ContentClient(kit.system(), Duration.ofMillis(300)),
            new SiteState.Settings(
                1,
                Duration.ofMillis(200),
                Duration.ofMillis(50),
                Duration.ofMillis(200),
                100,
                ZoneOffset.UTC));
    awaitUntil(site::ready, Duration.ofSeconds(10));
    assertThat(site.snapshot().tagged("x")).extracting(ItemView::id).containsExactly("b", "a");

    // a moves to a new slug and tag, b is unpublished, c takes a's old slug; the page after the
    // first of these goes unanswered once.
    rows.put("a", row("a", ContentStatus.PUBLISHED, "uno", List.of("y"), 3));
    rows.put("b", row("b", ContentStatus.DRAFT, "two", List.of("x"), 4));
    rows.put("c", row("c", ContentStatus.PUBLISHED, "one", List.of("x"), 5));
    java.util.Set<Long> seen = new java.util.TreeSet<>();
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (site.snapshot().seq() < 5) {
      seen.add(site.snapshot().seq());
      assertThat(System.nanoTime()).as("caught up within 10 s").isLessThan(until);
      Thread.sleep(1);
    }
    assertThat(seen).as("no snapshot between the pages of one catch-up").containsOnly(2L);

    SiteSnapshot s = site.snapshot();
    assertThat(s.bySlug("one").id()).isEqualTo("c");
    assertThat(s.bySlug("uno").id()).isEqualTo("a");
    assertThat(s.bySlug("two")).isNull();
    assertThat(s.tagged("x")).extracting(ItemView::id).containsExactly("c");
    assertThat(s.tagged("y")).extracting(ItemView::id).containsExactly("a");
    assertThat(s.posts()).extracting(ItemView::id).containsExactly("c", "a");
    assertThat(s.size()).isEqualTo(2);
  }

  @Test
  void theHomePageIsRenderedIntoTheLoadedSiteBeforeAnyoneAsksForIt() throws Exception {
    Map<String, ReadItem> rows = new ConcurrentHashMap<>();
    rows.put("a", published("a", "first", 1));
    rows.put("b", published("b", "second", 2));
    readModel(rows, -1);
    SiteState site = site(Duration.ofHours(1));
    com.typesafe.config.Config config = kit.system().settings().config();
    dev.quire.gateway.render.Templates templates =
        new dev.quire.gateway.render.Templates(null, false, true, List.of());
    PageRenderer pages =
        new PageRenderer(
            templates, LiveSettings.fixed(SiteSettings.fromConfig(config)), site, ZoneOffset.UTC);
    SiteModule module = new SiteModule();
    // The site module reads the site only: no content client.
    module.start(
        new dev.quire.gateway.module.ModuleContext.Of(
            kit.system(),
            config,
            null,
            site,
            templates,
            pages,
            new com.fasterxml.jackson.databind.ObjectMapper(),
            List.of(module)));
    // Nobody asks for a page: the module renders the home page of the loaded site by itself.
    awaitUntil(() -> site.ready() && site.snapshot().memoised("/"), Duration.ofSeconds(10));
    assertThat(site.snapshot().memoised("/blog/")).isFalse();
    var home = module.handle(org.apache.pekko.http.javadsl.model.HttpRequest.GET("/"));
    assertThat(home.status().intValue()).isEqualTo(200);
    String html =
        home.entity()
            .toStrict(5_000, org.apache.pekko.stream.Materializer.createMaterializer(kit.system()))
            .toCompletableFuture()
            .get()
            .getData()
            .utf8String();
    assertThat(html).contains("Title first").contains("Title second");
  }

  /**
   * Announces a change up to {@code seq} on the content topic, again and again (the topic's
   * subscribers reach a new publisher after a while), until {@code done} (within 10 s).
   */
  void announceUntil(long seq, java.util.function.BooleanSupplier done)
      throws InterruptedException {
    ActorRef<Topic.Command<ContentTopic>> topic =
        kit.spawn(Topic.create(ContentTopic.class, ContentTopic.NAME));
    awaitUntil(
        () -> {
          topic.tell(Topic.publish(new ContentTopic(seq)));
          return done.getAsBoolean();
        },
        Duration.ofSeconds(10));
  }

  static void awaitUntil(java.util.function.BooleanSupplier done, Duration within)
      throws InterruptedException {
    long until = System.nanoTime() + within.toNanos();
    while (!done.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within " + within).isLessThan(until);
      Thread.sleep(20);
    }
  }
}
