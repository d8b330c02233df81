package dev.quire.crawler;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.quire.protocol.CrawlJobCommand;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The crawl jobs entity with a runner standing in for the crawl (the crawl itself is {@link
 * CrawlerTest}'s; here only what the entity journals and refuses matters).
 */
class CrawlJobsTest {

  static final ActorTestKit KIT =
      ActorTestKit.create(EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));

  static final ExecutorService RUNS = Executors.newCachedThreadPool();

  @AfterAll
  static void tearDown() {
    RUNS.shutdownNow();
    KIT.shutdownTestKit();
  }

  static void await(CountDownLatch latch) {
    try {
      if (!latch.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the test never released the crawl");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Test
  void progressIsJournaledOncePerStepOfPagesAndTheQueueIsBounded() throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    CountDownLatch end = new CountDownLatch(1);
    CrawlJobs.Runner runner =
        (job, progress, started) -> {
          await(go);
          // A crawl reports after every page and every link checked: 100 link checks while the
          // page count stands at 25, then the 50th page.
          for (int i = 0; i < 100; i++) {
            progress.update(25, i, 0);
          }
          progress.update(50, 100, 0);
          await(end);
          throw new IllegalStateException("the stand-in crawl ends here");
        };
    var settings = new CrawlJobs.Settings(20, 25, 50, 100, "http://127.0.0.1:1/", 3, 2);
    var kit =
        EventSourcedBehaviorTestKit.<CrawlJobCommand, CrawlJobs.Event, CrawlJobs.State>create(
            KIT.system(),
            CrawlJobs.create(CrawlJobCommand.SITE, settings, runner, RUNS, Clock.systemUTC()));
    CrawlJobCommand.Job first =
        kit.<CrawlJobCommand.Job>runCommand(
                r -> new CrawlJobCommand.Start("http://127.0.0.1:1/", 0, false, "ed", r))
            .reply();
    assertThat(first.error()).isNull();
    String id = first.id();
    awaitState(kit, id, "running");
    go.countDown();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (kit.getState().jobs().get(id).pages() < 50 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(kit.getState().jobs().get(id).pages()).isEqualTo(50);
    long progressed =
        PersistenceTestKit.create(KIT.system())
            .persistedInStorage(CrawlJobCommand.ENTITY_KEY.name() + "|" + CrawlJobCommand.SITE)
            .stream()
            .filter(e -> e instanceof CrawlJobs.Progressed)
            .count();
    assertThat(progressed).as("one at 25 pages, one at 50").isEqualTo(2);

    // Three jobs may wait (the running one counts); a fourth is refused, naming the setting.
    for (int i = 0; i < 2; i++) {
      assertThat(
              kit.<CrawlJobCommand.Job>runCommand(
                      r -> new CrawlJobCommand.Start("http://127.0.0.1:1/", 0, false, "ed", r))
                  .reply()
                  .error())
          .isNull();
    }
    CrawlJobCommand.Job refused =
        kit.<CrawlJobCommand.Job>runCommand(
                r -> new CrawlJobCommand.Start("http://127.0.0.1:1/", 0, false, "ed", r))
            .reply();
    assertThat(refused.error()).isEqualTo("busy");
    assertThat(refused.message()).contains("quire.crawler.jobs.max-waiting");
    assertThat(kit.getState().jobs()).hasSize(3);
    end.countDown();
    awaitState(kit, id, "failed");
  }

  /**
   * A job running when its node stopped runs again when the entity comes back, at most {@code
   * max-resumes} times: a job that takes its node down (out of memory) ran again at every start.
   */
  @Test
  void aJobRunningWhenItsNodeStoppedRunsAgainAFewTimesThenFails() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicInteger runs =
        new java.util.concurrent.atomic.AtomicInteger();
    CrawlJobs.Runner runner =
        (job, progress, started) -> {
          runs.incrementAndGet();
          await(never);
          throw new IllegalStateException("never gets here in the test");
        };
    var settings = new CrawlJobs.Settings(20, 25, 50, 100, "http://127.0.0.1:1/", 3, 2);
    var kit =
        EventSourcedBehaviorTestKit.<CrawlJobCommand, CrawlJobs.Event, CrawlJobs.State>create(
            KIT.system(), CrawlJobs.create("resumed", settings, runner, RUNS, Clock.systemUTC()));
    String id =
        kit.<CrawlJobCommand.Job>runCommand(
                r -> new CrawlJobCommand.Start("http://127.0.0.1:1/", 0, false, "ed", r))
            .reply()
            .id();
    awaitState(kit, id, "running");
    for (int resumed = 1; resumed <= 2; resumed++) {
      kit.restart();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (kit.getState().resumes(id) < resumed && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(kit.getState().resumes(id)).isEqualTo(resumed);
      assertThat(kit.getState().jobs().get(id).state()).isEqualTo("running");
    }
    kit.restart();
    awaitState(kit, id, "failed");
    assertThat(kit.getState().jobs().get(id).message())
        .contains("3 times")
        .contains("quire.crawler.jobs.max-resumes");
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (runs.get() < 3 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(runs.get()).as("the first run and two runs again").isEqualTo(3);
    never.countDown();
  }

  /**
   * A clean stop while a job runs (a node's graceful stop, a rebalance) is journaled, and the run
   * again after it is not counted as a crash: two redeploys during a long crawl failed it.
   */
  @Test
  void aCleanStopWhileAJobRunsIsNotCountedAsACrash() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    CrawlConfig config = CrawlConfig.from(com.typesafe.config.ConfigFactory.defaultReference());
    Fetcher fetcher = new Fetcher(config, new AddressGuard(config.allowHosts()));
    Crawler crawler = new Crawler(config, fetcher);
    CrawlJobs.Runner runner =
        (job, progress, started) -> {
          started.accept(crawler);
          await(never);
          throw new IllegalStateException("never gets here in the test");
        };
    var settings = new CrawlJobs.Settings(20, 25, 50, 100, "http://127.0.0.1:1/", 3, 2);
    var entity = KIT.spawn(CrawlJobs.create("stopped", settings, runner, RUNS, Clock.systemUTC()));
    var replies = KIT.<CrawlJobCommand.Job>createTestProbe();
    entity.tell(new CrawlJobCommand.Start("http://127.0.0.1:1/", 0, false, "ed", replies.getRef()));
    String id = replies.receiveMessage().id();
    var journal = PersistenceTestKit.create(KIT.system());
    String pid = CrawlJobCommand.ENTITY_KEY.name() + "|stopped";
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (journal.persistedInStorage(pid).stream().noneMatch(e -> e instanceof CrawlJobs.Started)
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    var watcher = KIT.createTestProbe();
    entity.tell(new CrawlJobs.Stop());
    watcher.expectTerminated(entity, Duration.ofSeconds(10));
    // Its crawl is told to end (until 2026-12-07 it went on, for up to max-duration).
    assertThat(crawler.isCancelled()).isTrue();
    fetcher.close();
    assertThat(journal.persistedInStorage(pid))
        .last()
        .isInstanceOfSatisfying(CrawlJobs.Interrupted.class, i -> assertThat(i.id()).isEqualTo(id));
    // The count the next run again starts from: reset by the clean stop, kept by a crash.
    CrawlJobs.State state = new CrawlJobs.State(java.util.Map.of());
    for (Object e : journal.persistedInStorage(pid)) {
      state = state.apply((CrawlJobs.Event) e, 20);
    }
    var twice = new CrawlJobs.State(state.jobs(), java.util.Map.of(id, 2));
    java.time.Instant now = java.time.Instant.now();
    assertThat(twice.apply(new CrawlJobs.Interrupted(id, now), 20).resumes(id)).isZero();
    assertThat(twice.apply(new CrawlJobs.Resumed(id, now), 20).resumes(id)).isEqualTo(3);
    never.countDown();
  }

  static void awaitState(
      EventSourcedBehaviorTestKit<CrawlJobCommand, CrawlJobs.Event, CrawlJobs.State> kit,
      String id,
      String state)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!state.equals(kit.getState().jobs().get(id).state()) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(kit.getState().jobs().get(id).state()).isEqualTo(state);
  }
}
