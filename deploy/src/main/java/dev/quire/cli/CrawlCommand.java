package dev.quire.cli;

import com.typesafe.config.Config;
import dev.quire.crawler.AddressGuard;
import dev.quire.crawler.Audit;
import dev.quire.crawler.CitationChecker;
import dev.quire.crawler.CrawlConfig;
import dev.quire.crawler.Crawler;
import dev.quire.crawler.Fetcher;
import dev.quire.crawler.Finding;
import dev.quire.crawler.Report;
import dev.quire.embedding.EmbeddingService;
import dev.quire.embedding.model.Embedder;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code quire crawl [URL]}: the site audit, and citation checks when asked. */
@Command(
    name = "crawl",
    mixinStandardHelpOptions = true,
    description = {
      "Audit a site: broken links (internal and outbound), redirect chains and loops, missing",
      "titles, descriptions, canonical URLs and Open Graph tags, duplicate titles, images",
      "without alt text, mixed content, sitemap gaps, slow pages. With --verify-citations, also",
      "whether each source a post links to supports the paragraph that cites it.",
      "Writes report.json and report.html into --out; exits 1 when it finds errors, so it can",
      "gate a deploy. Loopback, link-local and private addresses are refused except for the",
      "start URL's and the site's base URL's origin (scheme, host and port) and the hosts",
      "given with --allow-host (any port)."
    })
final class CrawlCommand implements Callable<Integer> {

  @Parameters(
      arity = "0..1",
      paramLabel = "URL",
      description = "Where to start (default: the site's quire.site.base-url).")
  String url;

  @Option(names = "--max-pages", paramLabel = "N", description = "Pages to visit at most.")
  Integer maxPages;

  @Option(
      names = "--max-depth",
      paramLabel = "N",
      description = "Links to follow from the start, at most.")
  Integer maxDepth;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "Where the reports go (default: ./crawl-report).")
  Path out = Path.of("crawl-report");

  @Option(names = "--verify-citations", description = "Check that cited sources support the text.")
  boolean verifyCitations;

  @Option(
      names = "--allow-host",
      paramLabel = "HOST",
      description = "A host that may resolve to a private or local address (repeatable).")
  List<String> allowHosts = new ArrayList<>();

  @Option(
      names = "--delay",
      paramLabel = "MS",
      description =
          "Pause between two requests to one host (default: quire.crawler.politeness-delay).")
  Long delayMillis;

  @Option(names = "--concurrency", paramLabel = "N", description = "Requests in flight at once.")
  Integer concurrency;

  @Option(
      names = "--max-duration",
      paramLabel = "DURATION",
      description =
          "The whole crawl at most, e.g. 10m or 90s (default: quire.crawler.max-duration, 30m);"
              + " past it the crawl ends with what it has.")
  String maxDuration;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description = "Data directory, for the embedding model files (default: ./data).")
  String data;

  @Override
  public Integer call() throws Exception {
    java.util.Map<String, Object> overrides = new java.util.HashMap<>();
    if (data != null) {
      overrides.put("quire.data-dir", data);
    }
    Config config = QuireNode.config(overrides);
    String start = url != null ? url : config.getString("quire.site.base-url");
    URI u;
    try {
      u = URI.create(start);
    } catch (IllegalArgumentException e) {
      System.err.println("error: '" + start + "' is not a URL");
      return 2;
    }
    if (u.getHost() == null || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))) {
      System.err.println("error: '" + start + "' is not an http(s) URL");
      return 2;
    }
    CrawlConfig cc = CrawlConfig.from(config);
    // Limits that make no crawl: refused, as --concurrency 0 is (a page limit of -5 crawled
    // nothing and passed the gate).
    if (maxPages != null && maxPages < 1) {
      System.err.println("error: --max-pages must be at least 1, was " + maxPages);
      return 2;
    }
    if (maxDepth != null && maxDepth < 0) {
      System.err.println(
          "error: --max-depth must be 0 (the start page only) or more, was " + maxDepth);
      return 2;
    }
    if (delayMillis != null && delayMillis < 0) {
      System.err.println("error: --delay must be 0 or more milliseconds, was " + delayMillis);
      return 2;
    }
    if (maxPages != null) {
      cc = cc.withMaxPages(maxPages);
    }
    if (maxDepth != null) {
      cc = cc.withMaxDepth(maxDepth);
    }
    if (delayMillis != null) {
      cc = cc.withPolitenessDelay(Duration.ofMillis(delayMillis));
    }
    if (maxDuration != null) {
      Duration d;
      try {
        d =
            com.typesafe.config.ConfigFactory.parseString(
                    "d = \"" + maxDuration.replace("\"", "") + "\"")
                .getDuration("d");
      } catch (com.typesafe.config.ConfigException e) {
        System.err.println(
            "error: --max-duration must be a duration such as 10m or 90s, was '"
                + maxDuration
                + "'");
        return 2;
      }
      if (d.isNegative() || d.isZero()) {
        System.err.println("error: --max-duration must be longer than 0, was " + maxDuration);
        return 2;
      }
      cc = cc.withMaxDuration(d);
    }
    if (concurrency != null) {
      if (concurrency < 1) {
        // 0 left the crawl waiting for a free slot for ever.
        System.err.println("error: --concurrency must be at least 1, was " + concurrency);
        return 2;
      }
      cc = cc.withConcurrency(concurrency, Math.max(cc.perHostConcurrency(), concurrency));
    }
    cc = cc.withMoreAllowedHosts(allowHosts);
    // The site itself may be on a private address: its origin (scheme, host, port) is allowed,
    // not its host on every port, where a link or a redirect could reach other services.
    Set<String> site = new HashSet<>(List.of(start, config.getString("quire.site.base-url")));
    Fetcher fetcher = new Fetcher(cc, new AddressGuard(cc.allowHosts(), site));
    try {
      Crawler crawler = new Crawler(cc, fetcher);
      Crawler.Result result;
      try (ProgressBar bar = EmbeddingsCommand.bar("Crawling", -1)) {
        result =
            crawler.crawl(
                start,
                (pages, checks, queued) -> {
                  bar.maxHint(pages + checks + queued);
                  bar.stepTo(pages + checks);
                  bar.setExtraMessage(pages + " page(s), " + checks + " link(s)");
                });
      }
      List<Finding> findings = new Audit(cc).findings(result);
      List<Report.Citation> citations = List.of();
      if (verifyCitations) {
        citations = citations(config, cc, fetcher, result);
      }
      Report report = Report.of(result, findings, citations);
      report.write(out);
      print(report);
      if (report.pages() == 0) {
        // Nothing audited is no pass: the start was disallowed by robots.txt, or the limits left
        // no page to visit.
        System.err.println(
            result.robotsProblem() != null
                ? "error: no page was crawled: the site's robots.txt could not be read ("
                    + result.robotsProblem()
                    + "), which means crawl nothing (RFC 9309); a deploy gate should not pass on"
                    + " that"
                : "error: no page was crawled (see the report's notes: robots.txt may disallow"
                    + " the start); a deploy gate should not pass on that");
        return 1;
      }
      return report.errors() > 0 ? 1 : 0;
    } finally {
      fetcher.close();
    }
  }

  private static List<Report.Citation> citations(
      Config config, CrawlConfig cc, Fetcher fetcher, Crawler.Result result) throws Exception {
    // The embedding service's model, loaded in this process (the command runs without a cluster).
    EmbeddingService.Settings s = EmbeddingService.Settings.fromConfig(config);
    try (Embedder embedder =
        Embedder.load(s.model(), s.dir().resolve("models"), s.intraOpThreads())) {
      CitationChecker checker =
          new CitationChecker(cc, fetcher, (claim, passages) -> cosines(embedder, claim, passages));
      try (ProgressBar bar = EmbeddingsCommand.bar("Citations", -1)) {
        return checker.check(
            result,
            (done, total) -> {
              bar.maxHint(total);
              bar.stepTo(done);
            });
      }
    }
  }

  static double[] cosines(Embedder embedder, String claim, List<String> passages) {
    float[] q = embedder.embed(List.of(claim))[0];
    double[] out = new double[passages.size()];
    int batch = 32;
    for (int from = 0; from < passages.size(); from += batch) {
      List<String> part = passages.subList(from, Math.min(passages.size(), from + batch));
      float[][] v = embedder.embed(part);
      for (int i = 0; i < v.length; i++) {
        out[from + i] = EmbeddingService.cosine(q, v[i]);
      }
    }
    return out;
  }

  private void print(Report r) {
    System.out.printf(
        "Crawled %s: %d page(s), %d link(s) and image(s) checked in %.1f s%s.%n",
        r.start(),
        r.pages(),
        r.checkedLinks(),
        r.millis() / 1000.0,
        (r.pageLimitReached() ? " (page limit reached)" : "")
            + (r.timeLimitReached() ? " (time limit reached: quire.crawler.max-duration)" : ""));
    System.out.printf(
        "%d error(s), %d warning(s), %d note(s).%n",
        r.counts().get("error"), r.counts().get("warning"), r.counts().get("info"));
    r.findings().stream()
        .filter(f -> f.severity() == Finding.Severity.ERROR)
        .limit(20)
        .forEach(
            f ->
                System.out.println(
                    "  error "
                        + f.kind()
                        + ": "
                        + f.page()
                        + " "
                        + f.element()
                        + ": "
                        + f.message()));
    if (!r.citations().isEmpty()) {
      java.util.Map<String, Long> verdicts = new java.util.TreeMap<>();
      r.citations().forEach(c -> verdicts.merge(c.verdict(), 1L, Long::sum));
      System.out.println("Citations: " + verdicts);
    }
    System.out.println(
        "Reports: " + out.resolve("report.json") + ", " + out.resolve("report.html"));
  }
}
