package dev.quire.crawler;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** What a crawl may do: {@code quire.crawler.*}, with the command line's overrides. */
public record CrawlConfig(
    String userAgent,
    String robotsAgent,
    Duration connectTimeout,
    Duration readTimeout,
    Duration callTimeout,
    long maxResponseBytes,
    int maxRedirects,
    int maxPages,
    int maxDepth,
    int maxExternalChecks,
    int concurrency,
    int perHostConcurrency,
    Duration politenessDelay,
    Duration maxCrawlDelay,
    long maxRobotsBytes,
    Duration slowPage,
    Set<String> allowHosts,
    Citations citations,
    Duration maxDuration) {

  /**
   * Thresholds and sizes of the citation check: the longest claim (the citing paragraph, cut around
   * the link beyond it) and passage scored, in characters, and the most sources one crawl fetches
   * for it.
   */
  public record Citations(
      double supported,
      double weaklySupported,
      int passageWords,
      int maxPassages,
      int maxClaimChars,
      int maxPassageChars,
      int maxSources) {}

  public CrawlConfig {
    allowHosts = Set.copyOf(allowHosts);
  }

  public static CrawlConfig from(Config root) {
    Config c = root.getConfig("quire.crawler");
    Config cit = c.getConfig("citations");
    Set<String> allow = new TreeSet<>();
    if (c.getValue("allow-hosts").valueType() == com.typesafe.config.ConfigValueType.STRING) {
      for (String h : c.getString("allow-hosts").split(",")) {
        if (!h.isBlank()) {
          allow.add(h.strip().toLowerCase(java.util.Locale.ROOT));
        }
      }
    } else {
      c.getStringList("allow-hosts").forEach(h -> allow.add(h.toLowerCase(java.util.Locale.ROOT)));
    }
    return new CrawlConfig(
        c.getString("user-agent"),
        c.getString("robots-agent"),
        c.getDuration("connect-timeout"),
        c.getDuration("read-timeout"),
        c.getDuration("call-timeout"),
        c.getBytes("max-response-bytes"),
        c.getInt("max-redirects"),
        c.getInt("max-pages"),
        c.getInt("max-depth"),
        c.getInt("max-external-checks"),
        dev.quire.protocol.ConfigChecks.atLeastOne(root, "quire.crawler.concurrency"),
        dev.quire.protocol.ConfigChecks.atLeastOne(root, "quire.crawler.per-host-concurrency"),
        c.getDuration("politeness-delay"),
        c.getDuration("max-crawl-delay"),
        c.getBytes("max-robots-bytes"),
        c.getDuration("slow-page"),
        allow,
        new Citations(
            cit.getDouble("supported"),
            cit.getDouble("weakly-supported"),
            cit.getInt("passage-words"),
            cit.getInt("max-passages"),
            dev.quire.protocol.ConfigChecks.atLeastOne(
                root, "quire.crawler.citations.max-claim-chars"),
            dev.quire.protocol.ConfigChecks.atLeastOne(
                root, "quire.crawler.citations.max-passage-chars"),
            dev.quire.protocol.ConfigChecks.atLeastOne(
                root, "quire.crawler.citations.max-sources")),
        c.getDuration("max-duration"));
  }

  /** This configuration with the crawl's time bounded by {@code d} instead. */
  public CrawlConfig withMaxDuration(Duration d) {
    return copy(
        maxPages, maxDepth, concurrency, perHostConcurrency, politenessDelay, allowHosts, d);
  }

  public CrawlConfig withMaxPages(int n) {
    return copy(
        n, maxDepth, concurrency, perHostConcurrency, politenessDelay, allowHosts, maxDuration);
  }

  public CrawlConfig withMaxDepth(int n) {
    return copy(
        maxPages, n, concurrency, perHostConcurrency, politenessDelay, allowHosts, maxDuration);
  }

  public CrawlConfig withPolitenessDelay(Duration d) {
    return copy(maxPages, maxDepth, concurrency, perHostConcurrency, d, allowHosts, maxDuration);
  }

  public CrawlConfig withMoreAllowedHosts(List<String> hosts) {
    Set<String> all = new TreeSet<>(allowHosts);
    hosts.forEach(h -> all.add(h.toLowerCase(java.util.Locale.ROOT)));
    return copy(
        maxPages, maxDepth, concurrency, perHostConcurrency, politenessDelay, all, maxDuration);
  }

  public CrawlConfig withConcurrency(int total, int perHost) {
    return copy(maxPages, maxDepth, total, perHost, politenessDelay, allowHosts, maxDuration);
  }

  /** This configuration with the settings a command line or a job may change. */
  private CrawlConfig copy(
      int pages,
      int depth,
      int total,
      int perHost,
      Duration delay,
      Set<String> allow,
      Duration duration) {
    return new CrawlConfig(
        userAgent,
        robotsAgent,
        connectTimeout,
        readTimeout,
        callTimeout,
        maxResponseBytes,
        maxRedirects,
        pages,
        depth,
        maxExternalChecks,
        total,
        perHost,
        delay,
        maxCrawlDelay,
        maxRobotsBytes,
        slowPage,
        allow,
        citations,
        duration);
  }
}
