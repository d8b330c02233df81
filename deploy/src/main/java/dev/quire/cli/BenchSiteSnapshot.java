package dev.quire.cli;

import dev.quire.gateway.site.ItemView;
import dev.quire.gateway.site.SiteSnapshot;
import dev.quire.protocol.ContentIds;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * What a gateway spends on its in-memory site per change: a new snapshot after one published change
 * and after a page of {@code BATCH} changes (a catch-up), against building the whole site from its
 * items (what every change cost before snapshots were updated in place), for sites of each given
 * size. Posts carry two tags and one of 336 dates, as {@code bench/writes.sh}'s do. Prints
 * milliseconds per snapshot, the median of the second half of {@code ROUNDS} rounds.
 *
 * <p>Usage: {@code java -cp quire.jar dev.quire.cli.BenchSiteSnapshot ROUNDS BATCH SIZE...}
 */
public final class BenchSiteSnapshot {

  private static final int DATES = 336;
  private static final int TAGS = 20;
  private static final int MEMO = 1000;

  public static void main(String[] args) {
    int rounds = Integer.parseInt(args[0]);
    int batch = Integer.parseInt(args[1]);
    for (int i = 2; i < args.length; i++) {
      run(Integer.parseInt(args[i]), rounds, batch);
    }
  }

  private static void run(int size, int rounds, int batch) {
    Random random = new Random(size);
    Map<String, ItemView> site = new HashMap<>();
    List<String> ids = new ArrayList<>();
    for (int n = 0; n < size; n++) {
      String id = ContentIds.next();
      ids.add(id);
      site.put(id, post(id, n, random));
    }
    SiteSnapshot snapshot = SiteSnapshot.of(1, site.values(), MEMO);
    long seq = 1;
    double[] one = new double[rounds];
    double[] page = new double[rounds];
    double[] full = new double[rounds];
    int reps = Math.max(5, 200_000 / size);
    for (int round = 0; round < rounds; round++) {
      long t = System.nanoTime();
      for (int r = 0; r < reps; r++) {
        snapshot = snapshot.with(++seq, List.of(edit(site, ids, random)));
      }
      one[round] = (System.nanoTime() - t) / 1e6 / reps;

      int pages = Math.max(2, reps / 10);
      t = System.nanoTime();
      for (int r = 0; r < pages; r++) {
        List<SiteSnapshot.Change> changes = new ArrayList<>(batch);
        for (int c = 0; c < batch; c++) {
          changes.add(edit(site, ids, random));
        }
        snapshot = snapshot.with(++seq, changes);
      }
      page[round] = (System.nanoTime() - t) / 1e6 / pages;

      t = System.nanoTime();
      for (int r = 0; r < pages; r++) {
        snapshot = SiteSnapshot.of(++seq, site.values(), MEMO);
      }
      full[round] = (System.nanoTime() - t) / 1e6 / pages;
      System.out.printf(
          "round=%d posts=%d one_change_ms=%.3f page_of_%d_ms=%.3f full_build_ms=%.3f%n",
          round, size, one[round], batch, page[round], full[round]);
    }
    System.out.printf(
        "posts=%d one_change_ms=%.3f page_ms=%.3f full_build_ms=%.3f%n",
        size, median(one), median(page), median(full));
  }

  /** A new version of a random post: a new date, title and tags (its slug stays). */
  private static SiteSnapshot.Change edit(
      Map<String, ItemView> site, List<String> ids, Random random) {
    String id = ids.get(random.nextInt(ids.size()));
    ItemView before = site.get(id);
    ItemView after = post(id, random.nextInt(1_000_000), random);
    after = withSlug(after, before.slug());
    site.put(id, after);
    return new SiteSnapshot.Change(before, after);
  }

  private static ItemView post(String id, int n, Random random) {
    String tag = "t" + random.nextInt(TAGS);
    List<ItemView.TagRef> tags =
        List.of(
            new ItemView.TagRef("bench", "bench", "/tags/bench/"),
            new ItemView.TagRef(tag, tag, "/tags/" + tag + "/"));
    Instant date = Instant.ofEpochSecond(86_400L * random.nextInt(DATES));
    String slug = "post-" + n;
    return new ItemView(
        id,
        "post",
        "Post " + n,
        slug,
        "/posts/" + slug + "/",
        "A generated post.",
        tags,
        "",
        "bench",
        "",
        "",
        "",
        "<p>Post " + n + "</p>",
        1,
        date,
        List.of(),
        "");
  }

  private static ItemView withSlug(ItemView v, String slug) {
    return new ItemView(
        v.id(),
        v.kind(),
        v.title(),
        slug,
        "/posts/" + slug + "/",
        v.description(),
        v.tags(),
        v.coverImage(),
        v.author(),
        v.dateIso(),
        v.dateDisplay(),
        v.updatedIso(),
        v.html(),
        v.readingMinutes(),
        v.sortDate(),
        v.aliases(),
        v.coverAlt());
  }

  private static double median(double[] rounds) {
    double[] measured = Arrays.copyOfRange(rounds, rounds.length / 2, rounds.length);
    Arrays.sort(measured);
    return measured[measured.length / 2];
  }
}
