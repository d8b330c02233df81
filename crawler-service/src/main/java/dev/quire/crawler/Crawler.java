package dev.quire.crawler;

import crawlercommons.robots.BaseRobotRules;
import crawlercommons.robots.SimpleRobotRules;
import crawlercommons.robots.SimpleRobotRulesParser;
import crawlercommons.sitemaps.AbstractSiteMap;
import crawlercommons.sitemaps.SiteMap;
import crawlercommons.sitemaps.SiteMapIndex;
import crawlercommons.sitemaps.SiteMapParser;
import crawlercommons.sitemaps.SiteMapURL;
import java.net.URI;
import java.net.URL;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The crawl: from the start URL and the sitemap, every page of the start URL's origin within the
 * page and depth limits, each outbound link and image checked once. Obeys robots.txt
 * (crawler-commons) on every host it asks, keeps a pause between two requests to one host and a
 * limit on requests in flight per host and in total. Runs on its own threads; {@link #cancel()}
 * stops it between requests.
 */
public final class Crawler {

  /** A fetched page of the site, with where it was first found ("sitemap" or a page URL). */
  public record Visit(
      String url, int depth, String foundOn, Fetcher.Result result, PageInfo info) {}

  public record Result(
      String start,
      Instant startedAt,
      long millis,
      List<Visit> pages,
      Map<String, Fetcher.Result> checked,
      Set<String> sitemap,
      boolean sitemapFound,
      List<String> disallowed,
      String robotsProblem,
      boolean cancelled,
      boolean pageLimitReached,
      boolean timeLimitReached) {}

  /** Called on the crawl's thread after each page or check. */
  @FunctionalInterface
  public interface Progress {
    void update(int pages, int checks, int queued);
  }

  private record Task(String url, int depth, String foundOn, boolean page) {}

  /**
   * A fetch done on the pool: a task's, or, with {@code robotsOf} set, the robots.txt of that
   * origin (then {@code task} is the one that asked, and {@code rules} what was read).
   */
  private record Fetched(Task task, Fetcher.Result result, String robotsOf, Robots robots) {
    Fetched(Task task, Fetcher.Result result) {
      this(task, result, null, null);
    }
  }

  /**
   * A host's robots.txt as read: its rules, and {@code problem} when it could not be read (a 5xx
   * answer, a timeout, a refused connection), in which case RFC 9309 asks for complete disallow.
   */
  private record Robots(BaseRobotRules rules, String problem) {}

  private static final int TOO_MANY_REQUESTS = 429;

  private final CrawlConfig config;
  private final Fetcher fetcher;
  private final AtomicBoolean cancelled = new AtomicBoolean();

  public Crawler(CrawlConfig config, Fetcher fetcher) {
    this.config = config;
    this.fetcher = fetcher;
  }

  /** Whether {@link #cancel()} was called (the citation check after the crawl asks too). */
  public boolean isCancelled() {
    return cancelled.get();
  }

  public void cancel() {
    cancelled.set(true);
  }

  public Result crawl(String startUrl, Progress progress) throws InterruptedException {
    String start = PageInfo.strip(startUrl);
    long t0 = System.nanoTime();
    Instant startedAt = Instant.now();
    String origin = origin(start);
    Map<String, BaseRobotRules> robots = new HashMap<>();
    Set<String> robotsUnread = new java.util.HashSet<>();
    Set<String> robotsPending = new java.util.HashSet<>();
    Map<String, Long> nextSlot = new HashMap<>();
    Map<String, Integer> inFlightByHost = new HashMap<>();
    Deque<Task> frontier = new ArrayDeque<>();
    Set<String> seenPages = new LinkedHashSet<>();
    Set<String> seenChecks = new LinkedHashSet<>();
    List<Visit> pages = new ArrayList<>();
    Map<String, Fetcher.Result> checked = new LinkedHashMap<>();
    List<String> disallowed = new ArrayList<>();

    long deadline = t0 + config.maxDuration().toNanos();
    Robots site = readRobots(origin);
    robots.put(origin, site.rules());
    BaseRobotRules siteRules = site.rules();
    Set<String> sitemap = new LinkedHashSet<>();
    // Nothing may be crawled where robots.txt could not be read, sitemaps included.
    boolean sitemapFound =
        site.problem() == null && readSitemaps(origin, siteRules, sitemap, deadline);

    seenPages.add(start);
    frontier.add(new Task(start, 0, null, true));
    for (String u : sitemap) {
      if (origin(u).equals(origin) && seenPages.add(u)) {
        frontier.add(new Task(u, 1, "sitemap", true));
      }
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.max(1, config.concurrency()),
            r -> {
              Thread t = new Thread(r, "quire-crawler");
              t.setDaemon(true);
              return t;
            });
    CompletionService<Fetched> done = new ExecutorCompletionService<>(pool);
    int inFlight = 0;
    int inFlightPages = 0;
    boolean limitReached = false;
    // The sitemaps above count against the limit too (up to 50 fetches of a slow site).
    boolean outOfTime = System.nanoTime() - deadline > 0;
    try {
      while (!cancelled.get() && (!frontier.isEmpty() || inFlight > 0)) {
        if (System.nanoTime() - deadline > 0) {
          // Ends with what it has: requests under way are abandoned (the pool is stopped below).
          outOfTime = true;
          break;
        }
        // Start what may start now: a free slot overall and on the task's host, the pause kept.
        long now = System.nanoTime();
        long wakeAt = Long.MAX_VALUE;
        int scanned = 0;
        int size = frontier.size();
        while (inFlight < config.concurrency() && scanned < size) {
          Task task = frontier.poll();
          scanned++;
          String host = origin(task.url());
          BaseRobotRules rules = robots.get(host);
          if (rules == null) {
            // The host's robots.txt first, fetched on the pool like any request (on this thread,
            // a slow host held every other one up: 20,000 slow hosts took days).
            if (robotsPending.add(host)) {
              nextSlot.put(host, now + config.politenessDelay().toNanos());
              inFlightByHost.merge(host, 1, Integer::sum);
              inFlight++;
              done.submit(() -> new Fetched(task, null, host, readRobots(host)));
            }
            frontier.addLast(task);
            continue;
          }
          // A link is checked even where robots.txt could not be read (a dead host's link is
          // broken, not disallowed); pages there are not crawled.
          if (!rules.isAllowed(task.url()) && (task.page() || !robotsUnread.contains(host))) {
            disallowed.add(task.url());
            continue;
          }
          if (task.page() && pages.size() + inFlightPages >= config.maxPages()) {
            limitReached = true;
            continue;
          }
          long slot = nextSlot.getOrDefault(host, 0L);
          int busy = inFlightByHost.getOrDefault(host, 0);
          if (slot > now || busy >= config.perHostConcurrency()) {
            frontier.addLast(task);
            if (slot > now) {
              wakeAt = Math.min(wakeAt, slot);
            }
            continue;
          }
          nextSlot.put(host, now + delayNanos(host, robots));
          inFlightByHost.merge(host, 1, Integer::sum);
          inFlight++;
          if (task.page()) {
            inFlightPages++;
          }
          done.submit(() -> new Fetched(task, fetcher.fetch(task.url(), task.page())));
        }
        if (inFlight == 0) {
          if (frontier.isEmpty()) {
            break;
          }
          long wait =
              wakeAt == Long.MAX_VALUE ? 10_000_000L : Math.max(0, wakeAt - System.nanoTime());
          TimeUnit.NANOSECONDS.sleep(Math.min(wait, 1_000_000_000L));
          continue;
        }
        long wait =
            wakeAt == Long.MAX_VALUE
                ? 1_000_000_000L
                : Math.max(1_000_000L, wakeAt - System.nanoTime());
        Future<Fetched> f = done.poll(wait, TimeUnit.NANOSECONDS);
        if (f == null) {
          continue;
        }
        Fetched out;
        try {
          out = f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          throw new IllegalStateException("a fetch failed unexpectedly", e.getCause());
        }
        inFlight--;
        if (out.robotsOf() != null) {
          robots.put(out.robotsOf(), out.robots().rules());
          if (out.robots().problem() != null) {
            robotsUnread.add(out.robotsOf());
          }
          robotsPending.remove(out.robotsOf());
          inFlightByHost.merge(out.robotsOf(), -1, Integer::sum);
          continue;
        }
        Task task = out.task();
        Fetcher.Result r = out.result();
        inFlightByHost.merge(origin(task.url()), -1, Integer::sum);
        if (task.page()) {
          inFlightPages--;
        }
        if (!task.page()) {
          checked.put(task.url(), r);
        } else {
          PageInfo info = null;
          boolean inScope = origin(r.finalUrl()).equals(origin);
          if (r.ok() && r.html() && r.body() != null && inScope) {
            info = PageInfo.parse(r.body(), r.finalUrl(), config.citations().maxClaimChars());
            for (PageInfo.Link l : info.links()) {
              enqueue(l.url(), task, origin, frontier, seenPages, seenChecks);
            }
            for (PageInfo.Image img : info.images()) {
              if (img.src().startsWith("http")
                  && seenChecks.add(img.src())
                  && seenChecks.size() <= config.maxExternalChecks()) {
                frontier.add(new Task(img.src(), task.depth() + 1, task.url(), false));
              }
            }
          }
          // The body is not kept: what the audit and the citation check read of a page is in
          // its info, and a crawl of 10,000 pages held up to 5 MB of each.
          pages.add(new Visit(task.url(), task.depth(), task.foundOn(), r.withoutBody(), info));
        }
        progress.update(pages.size(), checked.size(), frontier.size() + inFlight);
      }
    } finally {
      pool.shutdownNow();
    }
    return new Result(
        start,
        startedAt,
        (System.nanoTime() - t0) / 1_000_000,
        pages,
        checked,
        sitemap,
        sitemapFound,
        disallowed,
        site.problem(),
        cancelled.get(),
        limitReached,
        outOfTime);
  }

  private void enqueue(
      String url,
      Task from,
      String origin,
      Deque<Task> frontier,
      Set<String> seenPages,
      Set<String> seenChecks) {
    if (origin(url).equals(origin)) {
      if (from.depth() + 1 <= config.maxDepth() && seenPages.add(url)) {
        frontier.add(new Task(url, from.depth() + 1, from.url(), true));
      } else if (from.depth() + 1 > config.maxDepth()
          && !seenPages.contains(url)
          && seenChecks.add(url)) {
        frontier.add(new Task(url, from.depth() + 1, from.url(), false));
      }
    } else if (seenChecks.size() < config.maxExternalChecks() && seenChecks.add(url)) {
      frontier.add(new Task(url, from.depth() + 1, from.url(), false));
    }
  }

  /**
   * {@code origin}'s robots.txt (blocking: a fetch). As RFC 9309 reads it: a 4xx means no rules, a
   * 5xx, a 429 or no answer in time means nothing may be crawled. A host that refuses the
   * connection or has no address, or that the address guard refuses, is left to the pages' own
   * fetches, which say so.
   */
  private Robots readRobots(String origin) {
    Fetcher.Result r = fetcher.fetchText(origin + "/robots.txt", config.maxRobotsBytes());
    SimpleRobotRulesParser parser = new SimpleRobotRulesParser();
    // A host that is not there at all (refused, unknown): left to the pages' own fetches, so a
    // site that is down is reported as its start unreachable, not as robots.txt unreadable.
    if (r.status() == 0
        && (r.blocked()
            || String.valueOf(r.error()).startsWith("connection refused")
            || String.valueOf(r.error()).startsWith("unknown host"))) {
      return new Robots(new SimpleRobotRules(SimpleRobotRules.RobotRulesMode.ALLOW_ALL), null);
    }
    if (r.status() == 0) {
      return new Robots(
          new SimpleRobotRules(SimpleRobotRules.RobotRulesMode.ALLOW_NONE), r.error());
    }
    if (r.status() >= 500 || r.status() == TOO_MANY_REQUESTS) {
      // (crawler-commons reads a 429 as any 4xx, "allow all".)
      return new Robots(
          new SimpleRobotRules(SimpleRobotRules.RobotRulesMode.ALLOW_NONE),
          "answered " + r.status());
    }
    if (r.status() >= 400) {
      return new Robots(parser.failedFetch(r.status()), null);
    }
    byte[] body = r.body() == null ? new byte[0] : r.body();
    return new Robots(
        parser.parseContent(origin + "/robots.txt", body, "text/plain", robotNames()), null);
  }

  /**
   * The names robots.txt groups are matched against (crawler-commons matches a group's {@code
   * User-agent} exactly, as RFC 9309 says): the configured one, and the product token of the user
   * agent sent ({@code Quire-Crawler}), which is what a site owner reads in the logs.
   */
  private java.util.Collection<String> robotNames() {
    Set<String> names = new LinkedHashSet<>();
    names.add(config.robotsAgent().toLowerCase(java.util.Locale.ROOT));
    String ua = config.userAgent().strip();
    int end = 0;
    while (end < ua.length() && ua.charAt(end) != '/' && !Character.isWhitespace(ua.charAt(end))) {
      end++;
    }
    if (end > 0) {
      names.add(ua.substring(0, end).toLowerCase(java.util.Locale.ROOT));
    }
    return names;
  }

  /**
   * The pause between two requests to {@code host}: the configured one, or the robots.txt {@code
   * Crawl-delay} the host asks for when longer, up to {@code max-crawl-delay}.
   */
  private long delayNanos(String host, Map<String, BaseRobotRules> robots) {
    long delay = config.politenessDelay().toNanos();
    BaseRobotRules rules = robots.get(host);
    if (rules != null && rules.getCrawlDelay() > 0) {
      long asked = TimeUnit.MILLISECONDS.toNanos(rules.getCrawlDelay());
      delay = Math.max(delay, Math.min(asked, config.maxCrawlDelay().toNanos()));
    }
    return delay;
  }

  /** The sitemap URLs robots.txt names, or {@code /sitemap.xml}; index files followed once. */
  private boolean readSitemaps(
      String origin, BaseRobotRules rules, Set<String> out, long deadline) {
    List<String> roots = new ArrayList<>(rules.getSitemaps());
    String usual = origin + "/sitemap.xml";
    if (roots.isEmpty()) {
      roots.add(usual);
    }
    // Partial documents allowed: a sitemap cut at the size limit still gives its first URLs.
    SiteMapParser parser = new SiteMapParser(false, true);
    boolean found = false;
    Deque<String> pending = new ArrayDeque<>(roots);
    Set<String> seen = new LinkedHashSet<>();
    while (seen.size() < MAX_SITEMAPS && System.nanoTime() - deadline <= 0) {
      if (pending.isEmpty()) {
        // None of those robots.txt names could be read (one on another host, say: a site whose
        // robots.txt names localhost, crawled at 127.0.0.1): the usual place, before saying
        // there is no sitemap.
        if (found || seen.contains(usual)) {
          break;
        }
        pending.add(usual);
      }
      String u = pending.poll();
      if (!seen.add(u)) {
        continue;
      }
      // Whatever its type: sitemap.xml.gz is often sent as application/gzip (it was not read).
      Fetcher.Result r = fetcher.fetchText(u, config.maxResponseBytes());
      if (!r.ok() || r.body() == null) {
        continue;
      }
      try {
        byte[] xml = unpacked(r.body(), config.maxResponseBytes());
        String declared = r.contentType() == null ? "" : r.contentType().toLowerCase(Locale.ROOT);
        // Told by its bytes when its type says nothing of them: none (the library failed on a
        // missing type), bytes, or gzip (unpacked here, or already by the HTTP client when it
        // came with Content-Encoding: gzip too).
        String type =
            xml != r.body()
                    || declared.isBlank()
                    || declared.contains("gzip")
                    || declared.contains("octet-stream")
                ? (looksLikeXml(xml) ? "application/xml" : "text/plain")
                : r.contentType();
        AbstractSiteMap map = parser.parseSiteMap(type, xml, new URL(r.finalUrl()));
        found = true;
        if (map instanceof SiteMapIndex index) {
          for (AbstractSiteMap child : index.getSitemaps()) {
            pending.add(child.getUrl().toString());
          }
        } else if (map instanceof SiteMap sm) {
          for (SiteMapURL su : sm.getSiteMapUrls()) {
            if (out.size() >= config.maxPages()) {
              break;
            }
            out.add(PageInfo.strip(su.getUrl().toString()));
          }
        }
      } catch (Exception e) {
        // Not a sitemap we can read: reported as no sitemap.
      }
    }
    return found;
  }

  private static final int MAX_SITEMAPS = 50;

  /**
   * A gzipped sitemap ({@code sitemap.xml.gz}, or gzip bytes under an XML type) unpacked to at most
   * {@code max} bytes, the limit of any page's body; any other body as it is. The sitemap library
   * unpacked without limit and kept every URL: 3 MB of gzip, within the response limit, unpacked to
   * 1 GB and ran a 256 MB heap out (measured 2026-12-07), which stops the server.
   */
  static byte[] unpacked(byte[] body, long max) throws java.io.IOException {
    if (body.length < 2 || (body[0] & 0xff) != 0x1f || (body[1] & 0xff) != 0x8b) {
      return body;
    }
    var out = new java.io.ByteArrayOutputStream();
    byte[] buf = new byte[UNPACK_BUFFER];
    try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(body))) {
      int n;
      while (out.size() < max
          && (n = in.read(buf, 0, (int) Math.min(buf.length, max - out.size()))) > 0) {
        out.write(buf, 0, n);
      }
    } catch (java.io.EOFException cut) {
      // a gzip stream cut short (the body was over the response limit): what it held so far
    }
    return out.toByteArray();
  }

  private static final int UNPACK_BUFFER = 8192;

  /** Whether {@code bytes} begin, after a byte order mark and white space, with {@code <}. */
  private static boolean looksLikeXml(byte[] bytes) {
    int i =
        bytes.length >= 3
                && (bytes[0] & 0xff) == 0xef
                && (bytes[1] & 0xff) == 0xbb
                && (bytes[2] & 0xff) == 0xbf
            ? 3
            : 0;
    while (i < bytes.length && Character.isWhitespace(bytes[i])) {
      i++;
    }
    return i < bytes.length && bytes[i] == '<';
  }

  /** {@code scheme://host[:port]} in lower case, the unit of scope and politeness. */
  public static String origin(String url) {
    try {
      URI u = URI.create(url);
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      String host = u.getHost() == null ? "" : u.getHost().toLowerCase(Locale.ROOT);
      int port = u.getPort();
      boolean defaultPort =
          port == -1
              || (scheme.equals("http") && port == 80)
              || (scheme.equals("https") && port == 443);
      return scheme + "://" + host + (defaultPort ? "" : ":" + port);
    } catch (IllegalArgumentException e) {
      return "";
    }
  }
}
