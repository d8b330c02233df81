package dev.quire.crawler;

import com.typesafe.config.Config;
import dev.quire.protocol.CrawlJobCommand;
import dev.quire.protocol.CrawlJobCommand.Cancel;
import dev.quire.protocol.CrawlJobCommand.Get;
import dev.quire.protocol.CrawlJobCommand.Job;
import dev.quire.protocol.CrawlJobCommand.Jobs;
import dev.quire.protocol.CrawlJobCommand.ListJobs;
import dev.quire.protocol.CrawlJobCommand.Start;
import dev.quire.protocol.CrawlJobCommand.Wake;
import dev.quire.protocol.QuireSerializable;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * A site's crawl jobs: queued, run one at a time on the crawler dispatcher, progress and outcome
 * journaled. A job that was running when its node stopped runs again when the entity comes back
 * (the crawler role wakes it at start).
 */
public final class CrawlJobs
    extends EventSourcedBehaviorWithEnforcedReplies<
        CrawlJobCommand, CrawlJobs.Event, CrawlJobs.State> {

  // ---- events: never renamed ----

  public sealed interface Event extends QuireSerializable {}

  public record Queued(
      String id, String url, int maxPages, boolean verifyCitations, String actor, Instant at)
      implements Event {}

  public record Started(String id, Instant at) implements Event {}

  public record Progressed(String id, int pages, int checks) implements Event {}

  public record Finished(
      String id, Instant at, int pages, int checks, Map<String, Long> counts, String report)
      implements Event {}

  public record Failed(String id, Instant at, String message) implements Event {}

  public record Cancelled(String id, Instant at, String actor) implements Event {}

  /** A job that was running when its node stopped runs again from the start. */
  public record Resumed(String id, Instant at) implements Event {}

  /**
   * The entity was stopped cleanly while the job ran (a node's graceful stop, a rebalance): its
   * next run again is not counted against it as a crash would be.
   */
  public record Interrupted(String id, Instant at) implements Event {}

  // ---- state: immutable ----

  /**
   * Jobs in the order queued; at most {@code maxKept} ended ones are kept. {@code resumes}: how
   * often each running job has been run again after its node stopped without a clean stop since
   * (absent from snapshots taken before it was counted).
   */
  public record State(Map<String, Job> jobs, Map<String, Integer> resumes)
      implements QuireSerializable {
    public State {
      jobs = Collections.unmodifiableMap(new LinkedHashMap<>(jobs));
      resumes = resumes == null ? Map.of() : Map.copyOf(resumes);
    }

    public State(Map<String, Job> jobs) {
      this(jobs, Map.of());
    }

    int resumes(String id) {
      return resumes.getOrDefault(id, 0);
    }

    Job running() {
      return jobs.values().stream()
          .filter(j -> j.state().equals("running"))
          .findFirst()
          .orElse(null);
    }

    Job nextQueued() {
      return jobs.values().stream()
          .filter(j -> j.state().equals("queued"))
          .findFirst()
          .orElse(null);
    }

    State apply(Event e, int maxKept) {
      Map<String, Job> next = new LinkedHashMap<>(jobs);
      if (e instanceof Queued q) {
        next.put(
            q.id(),
            new Job(
                q.id(),
                "queued",
                q.url(),
                q.maxPages(),
                q.verifyCitations(),
                q.actor(),
                q.at(),
                null,
                null,
                0,
                0,
                Map.of(),
                null,
                null,
                null));
      } else if (e instanceof Started s) {
        next.computeIfPresent(
            s.id(),
            (k, j) ->
                with(j, "running", s.at(), null, j.pages(), j.checks(), j.counts(), null, null));
      } else if (e instanceof Progressed p) {
        next.computeIfPresent(
            p.id(),
            (k, j) ->
                with(
                    j,
                    j.state(),
                    j.startedAt(),
                    null,
                    p.pages(),
                    p.checks(),
                    j.counts(),
                    null,
                    null));
      } else if (e instanceof Finished f) {
        next.computeIfPresent(
            f.id(),
            (k, j) ->
                with(
                    j,
                    "finished",
                    j.startedAt(),
                    f.at(),
                    f.pages(),
                    f.checks(),
                    f.counts(),
                    null,
                    f.report()));
      } else if (e instanceof Failed f) {
        next.computeIfPresent(
            f.id(),
            (k, j) ->
                with(
                    j,
                    "failed",
                    j.startedAt(),
                    f.at(),
                    j.pages(),
                    j.checks(),
                    j.counts(),
                    f.message(),
                    null));
      } else if (e instanceof Cancelled c) {
        next.computeIfPresent(
            c.id(),
            (k, j) ->
                with(
                    j,
                    "cancelled",
                    j.startedAt(),
                    c.at(),
                    j.pages(),
                    j.checks(),
                    j.counts(),
                    "cancelled by " + c.actor(),
                    null));
      }
      List<String> ended =
          next.values().stream().filter(j -> j.endedAt() != null).map(Job::id).toList();
      for (int i = 0; i < ended.size() - maxKept; i++) {
        next.remove(ended.get(i));
      }
      Map<String, Integer> counted = new java.util.HashMap<>(resumes);
      if (e instanceof Resumed r) {
        counted.merge(r.id(), 1, Integer::sum);
      } else if (e instanceof Interrupted i) {
        counted.remove(i.id());
      }
      counted.keySet().retainAll(next.keySet());
      counted.keySet().removeIf(id -> next.get(id).endedAt() != null);
      return new State(next, counted);
    }

    private static Job with(
        Job j,
        String state,
        Instant startedAt,
        Instant endedAt,
        int pages,
        int checks,
        Map<String, Long> counts,
        String message,
        String report) {
      return new Job(
          j.id(),
          state,
          j.url(),
          j.maxPages(),
          j.verifyCitations(),
          j.actor(),
          j.queuedAt(),
          startedAt,
          endedAt,
          pages,
          checks,
          counts,
          message,
          report,
          null);
    }
  }

  // ---- messages from the running crawl to the entity (local only) ----

  private record Progress(String id, int pages, int checks) implements CrawlJobCommand {}

  private record Begin(String id) implements CrawlJobCommand {}

  /** Local only: run again the job that was running when the node stopped, or give up on it. */
  private record Resume(String id) implements CrawlJobCommand {}

  /** Local only: sharding's request that the entity stop (a graceful stop, a rebalance). */
  record Stop() implements CrawlJobCommand {}

  private record Done(String id, Report report, String reportJson, String failure)
      implements CrawlJobCommand {}

  /** What a job needs from outside: how to run a crawl. */
  public interface Runner {
    /** Runs the job to its report (blocking), calling {@code progress} now and then. */
    Report run(Job job, Crawler.Progress progress, java.util.function.Consumer<Crawler> started)
        throws Exception;
  }

  /**
   * {@code maxWaiting}: jobs queued or running at once; one more is refused. {@code maxResumes}:
   * how often a job running when its node stopped is run again before it is failed.
   */
  public record Settings(
      int maxKept,
      int progressEvery,
      int snapshotEvery,
      int maxPages,
      String defaultUrl,
      int maxWaiting,
      int maxResumes) {
    public static Settings fromConfig(Config c) {
      Config j = c.getConfig("quire.crawler.jobs");
      return new Settings(
          j.getInt("max-kept"),
          j.getInt("progress-every"),
          j.getInt("snapshot-every"),
          c.getInt("quire.crawler.max-pages"),
          c.getString("quire.site.base-url"),
          dev.quire.protocol.ConfigChecks.atLeastOne(c, "quire.crawler.jobs.max-waiting"),
          j.getInt("max-resumes"));
    }
  }

  public static void init(ActorSystem<?> system, Settings settings, Runner runner) {
    Executor executor =
        system.dispatchers().lookup(DispatcherSelector.fromConfig("quire.crawler.dispatcher"));
    ClusterSharding.get(system)
        .init(
            Entity.of(
                    CrawlJobCommand.ENTITY_KEY,
                    ctx -> create(ctx.getEntityId(), settings, runner, executor, Clock.systemUTC()))
                // Never stopped for being idle: a running job's outcome comes back to the entity
                // as a message to itself, which does not count as activity, and the citation
                // check sends nothing for minutes. Stopped meanwhile, the entity would lose the
                // outcome and run the job again when woken. One entity per site.
                .withSettings(
                    org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings.create(system)
                        .withNoPassivationStrategy())
                .withStopMessage(new Stop())
                .withRole("crawler"));
  }

  public static Behavior<CrawlJobCommand> create(
      String id, Settings settings, Runner runner, Executor executor, Clock clock) {
    return Behaviors.setup(ctx -> new CrawlJobs(id, settings, runner, executor, clock, ctx));
  }

  private final Settings settings;
  private final Runner runner;
  private final Executor executor;
  private final Clock clock;
  private final ActorContext<CrawlJobCommand> ctx;

  /** Transient: the crawl running now (its id and engine), to cancel it. */
  private String runningId;

  private volatile Crawler runningCrawler;
  private boolean cancelRequested;

  /** Set by {@link Stop}: a crawl that registers itself after it is cancelled at once. */
  private volatile boolean stopped;

  private CrawlJobs(
      String id,
      Settings settings,
      Runner runner,
      Executor executor,
      Clock clock,
      ActorContext<CrawlJobCommand> ctx) {
    super(PersistenceId.of(CrawlJobCommand.ENTITY_KEY.name(), id));
    this.settings = settings;
    this.runner = runner;
    this.executor = executor;
    this.clock = clock;
    this.ctx = ctx;
  }

  @Override
  public State emptyState() {
    return new State(Map.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // The state holds everything kept (the last max-kept reports); events older than the
    // snapshots are deleted, or every job's progress and report stayed in the journal for good.
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2)
        .withDeleteEventsOnSnapshot();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> ctx.getSelf().tell(new Wake()))
        .build();
  }

  @Override
  public CommandHandlerWithReply<CrawlJobCommand, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Start.class, this::onStart)
        .onCommand(
            Get.class,
            (s, c) ->
                Effect()
                    .reply(
                        c.replyTo(),
                        s.jobs().containsKey(c.id())
                            ? s.jobs().get(c.id())
                            : refused(c.id(), "not_found")))
        .onCommand(
            ListJobs.class,
            (s, c) ->
                Effect()
                    .reply(
                        c.replyTo(),
                        new Jobs(s.jobs().values().stream().map(CrawlJobs::summary).toList())))
        .onCommand(Cancel.class, this::onCancel)
        .onCommand(
            Wake.class,
            (s, c) -> {
              runNext(s);
              return Effect().noReply();
            })
        .onCommand(Progress.class, this::onProgress)
        .onCommand(Resume.class, this::onResume)
        .onCommand(
            Stop.class,
            (s, stop) -> {
              // The crawl is run again where the job starts next: this one ends here, rather
              // than going on for up to max-duration, its pool and connections held, for a
              // report no one would receive.
              stopped = true;
              Crawler running = runningCrawler;
              if (running != null) {
                running.cancel();
              }
              return runningId != null && s.jobs().containsKey(runningId)
                  ? Effect()
                      .persist(new Interrupted(runningId, clock.instant()))
                      .thenStop()
                      .thenNoReply()
                  : Effect().stop().thenNoReply();
            })
        .onCommand(
            Begin.class,
            (s, b) ->
                s.jobs().containsKey(b.id()) && "queued".equals(s.jobs().get(b.id()).state())
                    ? Effect().persist(new Started(b.id(), clock.instant())).thenNoReply()
                    : Effect().noReply())
        .onCommand(Done.class, this::onDone)
        .build();
  }

  /** A job without its report, for lists. */
  static Job summary(Job j) {
    return new Job(
        j.id(),
        j.state(),
        j.url(),
        j.maxPages(),
        j.verifyCitations(),
        j.actor(),
        j.queuedAt(),
        j.startedAt(),
        j.endedAt(),
        j.pages(),
        j.checks(),
        j.counts(),
        j.message(),
        null,
        null);
  }

  /** The answer to a Start that is refused: {@code error} "invalid" or "busy", and why. */
  private static Job refusedStart(String url, String message, String error) {
    return new Job(
        null, null, url, 0, false, null, null, null, null, 0, 0, Map.of(), message, null, error);
  }

  private static Job refused(String id, String error) {
    return new Job(
        id, null, null, 0, false, null, null, null, null, 0, 0, Map.of(), null, null, error);
  }

  private ReplyEffect<Event, State> onStart(State state, Start cmd) {
    String url =
        cmd.url() == null || cmd.url().isBlank() ? settings.defaultUrl() : cmd.url().strip();
    String problem = urlProblem(url);
    if (problem == null && (cmd.maxPages() < 0 || cmd.maxPages() > settings.maxPages())) {
      problem = "maxPages: between 1 and " + settings.maxPages();
    }
    if (problem != null) {
      return Effect().reply(cmd.replyTo(), refusedStart(url, problem, "invalid"));
    }
    long waiting = state.jobs().values().stream().filter(j -> j.endedAt() == null).count();
    if (waiting >= settings.maxWaiting()) {
      return Effect()
          .reply(
              cmd.replyTo(),
              refusedStart(
                  url,
                  waiting
                      + " crawls are queued or running, the most at once"
                      + " (quire.crawler.jobs.max-waiting); wait for one to end or cancel one",
                  "busy"));
    }
    int max = cmd.maxPages() == 0 ? settings.maxPages() : cmd.maxPages();
    String id = UUID.randomUUID().toString();
    return Effect()
        .persist(new Queued(id, url, max, cmd.verifyCitations(), cmd.actor(), clock.instant()))
        .thenRun(this::runNext)
        .thenReply(cmd.replyTo(), s -> s.jobs().get(id));
  }

  static String urlProblem(String url) {
    try {
      URI u = URI.create(url);
      if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
        return "url: '" + url + "' is not an http(s) URL";
      }
      return url.length() > 2000 ? "url: longer than 2000 characters" : null;
    } catch (IllegalArgumentException e) {
      return "url: '" + url + "' is not a URL";
    }
  }

  private ReplyEffect<Event, State> onCancel(State state, Cancel cmd) {
    Job j = state.jobs().get(cmd.id());
    if (j == null) {
      return Effect().reply(cmd.replyTo(), refused(cmd.id(), "not_found"));
    }
    if (cmd.id().equals(runningId)) {
      cancelRequested = true;
      Crawler c = runningCrawler;
      if (c != null) {
        c.cancel();
      }
      return Effect().reply(cmd.replyTo(), j);
    }
    if (j.endedAt() != null) {
      return Effect().reply(cmd.replyTo(), j);
    }
    return Effect()
        .persist(new Cancelled(cmd.id(), clock.instant(), cmd.actor()))
        .thenReply(cmd.replyTo(), s -> s.jobs().get(cmd.id()));
  }

  private ReplyEffect<Event, State> onProgress(State state, Progress p) {
    Job j = state.jobs().get(p.id());
    if (j == null || !"running".equals(j.state())) {
      return Effect().noReply();
    }
    return Effect().persist(new Progressed(p.id(), p.pages(), p.checks())).thenNoReply();
  }

  private ReplyEffect<Event, State> onDone(State state, Done d) {
    runningId = null;
    runningCrawler = null;
    boolean cancelled = cancelRequested || (d.report() != null && d.report().cancelled());
    cancelRequested = false;
    Event e;
    if (cancelled) {
      e = new Cancelled(d.id(), clock.instant(), "request");
    } else if (d.failure() != null) {
      e = new Failed(d.id(), clock.instant(), d.failure());
    } else {
      e =
          new Finished(
              d.id(),
              clock.instant(),
              d.report().pages(),
              d.report().checkedLinks(),
              d.report().counts(),
              d.reportJson());
    }
    return Effect().persist(e).thenRun(this::runNext).thenNoReply();
  }

  /** Starts the job that should run now, if none is running in this incarnation. */
  private void runNext(State state) {
    if (runningId != null) {
      return;
    }
    Job job = state.running();
    if (job != null) {
      // Running when its node stopped: counted first, so that a job that takes its node down
      // (out of memory) is not run again at every start for ever.
      runningId = job.id();
      ctx.getSelf().tell(new Resume(job.id()));
      return;
    }
    job = state.nextQueued();
    if (job == null) {
      return;
    }
    // The Started event is journaled by a self-message: this runs as a side effect.
    ctx.getSelf().tell(new Begin(job.id()));
    launch(job);
  }

  private ReplyEffect<Event, State> onResume(State state, Resume r) {
    Job job = state.jobs().get(r.id());
    if (job == null || !"running".equals(job.state())) {
      runningId = null;
      return Effect().noReply();
    }
    if (cancelRequested) {
      // Cancelled while it waited to be run again.
      runningId = null;
      cancelRequested = false;
      return Effect()
          .persist(new Cancelled(r.id(), clock.instant(), "request"))
          .thenRun(this::runNext)
          .thenNoReply();
    }
    if (state.resumes(r.id()) >= settings.maxResumes()) {
      runningId = null;
      return Effect()
          .persist(
              new Failed(
                  r.id(),
                  clock.instant(),
                  "its node stopped while it ran "
                      + (state.resumes(r.id()) + 1)
                      + " times (quire.crawler.jobs.max-resumes); not run again: see the node's"
                      + " log (out of memory?)"))
          .thenRun(this::runNext)
          .thenNoReply();
    }
    return Effect()
        .persist(new Resumed(r.id(), clock.instant()))
        .thenRun(s -> launch(s.jobs().get(r.id())))
        .thenNoReply();
  }

  private void launch(Job job) {
    runningId = job.id();
    cancelRequested = false;
    String id = job.id();
    var self = ctx.getSelf();
    int every = Math.max(1, settings.progressEvery());
    // Once per `every` pages: the progress callback also runs for every link checked, and while
    // the page count stood at a multiple of `every` each of those was journaled.
    java.util.concurrent.atomic.AtomicInteger reported =
        new java.util.concurrent.atomic.AtomicInteger();
    CompletableFuture<Done> run =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                Report r =
                    runner.run(
                        job,
                        (pages, checks, queued) -> {
                          int last = reported.get();
                          if (pages >= last + every && reported.compareAndSet(last, pages)) {
                            self.tell(new Progress(id, pages, checks));
                          }
                        },
                        c -> {
                          runningCrawler = c;
                          if (stopped) {
                            c.cancel(); // the entity stopped before the crawl had started
                          }
                        });
                return new Done(id, r, Report.json().writeValueAsString(r), null);
              } catch (Exception e) {
                return new Done(
                    id, null, null, e.getClass().getSimpleName() + ": " + e.getMessage());
              }
            },
            executor);
    ctx.pipeToSelf(
        run,
        (done, failure) -> done != null ? done : new Done(id, null, null, String.valueOf(failure)));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onAnyEvent((s, e) -> s.apply(e, settings.maxKept()));
  }
}
