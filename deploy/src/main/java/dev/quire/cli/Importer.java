package dev.quire.cli;

import dev.quire.protocol.ContentCommand;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.ContentStatus;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Brings a site in line with a set of validated entries: creates what is new, edits what changed
 * (from the revision it read, so a concurrent edit is refused, not overwritten), and moves each
 * item to the status its file asks for. What is already equal is left alone.
 */
public final class Importer {

  /** What the import did. */
  public record Summary(
      int created,
      int updated,
      int published,
      int scheduled,
      int unpublished,
      int unchanged,
      List<String> failures) {
    @Override
    public String toString() {
      return created
          + " created, "
          + updated
          + " updated, "
          + published
          + " published, "
          + scheduled
          + " scheduled, "
          + unpublished
          + " unpublished, "
          + unchanged
          + " unchanged, "
          + failures.size()
          + " failed";
    }
  }

  private final ContentTarget target;
  private final int parallelism;
  private final Clock clock;

  public Importer(ContentTarget target, int parallelism, Clock clock) {
    this.target = target;
    this.parallelism = parallelism;
    this.clock = clock;
  }

  public Summary run(List<MarkdownFolder.Entry> entries) throws InterruptedException {
    AtomicInteger created = new AtomicInteger();
    AtomicInteger updated = new AtomicInteger();
    AtomicInteger published = new AtomicInteger();
    AtomicInteger scheduled = new AtomicInteger();
    AtomicInteger unpublished = new AtomicInteger();
    AtomicInteger unchanged = new AtomicInteger();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    Semaphore inFlight = new Semaphore(parallelism);
    for (MarkdownFolder.Entry e : entries) {
      inFlight.acquire();
      long[] before = {-1};
      CompletionStage<Boolean> done =
          target
              .findBySlug(e.fields().slug())
              .thenApply(
                  existing -> {
                    before[0] = existing.map(ContentSnapshot::revision).orElse(-1L);
                    return existing;
                  })
              .thenCompose(
                  existing -> {
                    if (existing.isEmpty()) {
                      created.incrementAndGet();
                      // Created in the status its file asks for, in one write; the status step
                      // below then finds nothing to do.
                      ContentCommand.Initially then = initially(e);
                      switch (then.status()) {
                        case PUBLISHED -> published.incrementAndGet();
                        case SCHEDULED -> scheduled.incrementAndGet();
                        default -> {}
                      }
                      return target.create(e.kind(), e.fields(), then);
                    }
                    ContentSnapshot s = existing.get();
                    if (s.kind() != e.kind()) {
                      throw new ContentTarget.Refused(
                          "kind",
                          "the site has it as a "
                              + s.kind().id()
                              + ", the file as a "
                              + e.kind().id());
                    }
                    if (s.fields().equals(e.fields())) {
                      return CompletableFuture.completedFuture(s);
                    }
                    updated.incrementAndGet();
                    return target.edit(s.id(), s.revision(), e.fields());
                  })
              .thenCompose(s -> status(e, s, published, scheduled, unpublished))
              .handle(
                  (after, failure) -> {
                    if (failure == null && after.revision() == before[0]) {
                      unchanged.incrementAndGet();
                    }
                    if (failure != null) {
                      Throwable c = failure.getCause() != null ? failure.getCause() : failure;
                      String field =
                          c instanceof ContentTarget.Refused r && !r.field.isEmpty()
                              ? r.field + ": "
                              : "";
                      failures.add(e.file() + ": " + field + c.getMessage());
                    }
                    inFlight.release();
                    return true;
                  });
      done.toCompletableFuture();
    }
    inFlight.acquire(parallelism);
    return new Summary(
        created.get(),
        updated.get(),
        published.get(),
        scheduled.get(),
        unpublished.get(),
        unchanged.get(),
        List.copyOf(failures));
  }

  /** The status its file asks for: what a new item starts in, and what an existing one moves to. */
  private ContentCommand.Initially initially(MarkdownFolder.Entry e) {
    if (e.draft()) {
      return ContentCommand.Initially.DRAFT;
    }
    if (e.publishAt() != null && e.publishAt().isAfter(clock.instant())) {
      return ContentCommand.Initially.scheduled(e.publishAt());
    }
    return ContentCommand.Initially.PUBLISHED;
  }

  private CompletionStage<ContentSnapshot> status(
      MarkdownFolder.Entry e,
      ContentSnapshot s,
      AtomicInteger published,
      AtomicInteger scheduled,
      AtomicInteger unpublished) {
    ContentStatus now = s.status();
    ContentCommand.Initially want = initially(e);
    if (want.status() == ContentStatus.DRAFT) {
      if (now == ContentStatus.PUBLISHED || now == ContentStatus.SCHEDULED) {
        unpublished.incrementAndGet();
        return target.unpublish(s.id(), s.revision());
      }
      return CompletableFuture.completedFuture(s);
    }
    if (want.status() == ContentStatus.SCHEDULED) {
      Instant at = want.scheduleAt();
      if (now == ContentStatus.SCHEDULED && at.equals(s.scheduledAt())) {
        return CompletableFuture.completedFuture(s);
      }
      scheduled.incrementAndGet();
      if (now == ContentStatus.PUBLISHED) {
        return target
            .unpublish(s.id(), s.revision())
            .thenCompose(u -> target.schedule(u.id(), u.revision(), at));
      }
      return target.schedule(s.id(), s.revision(), at);
    }
    if (now != ContentStatus.PUBLISHED) {
      published.incrementAndGet();
      return target.publish(s.id(), s.revision());
    }
    return CompletableFuture.completedFuture(s);
  }
}
