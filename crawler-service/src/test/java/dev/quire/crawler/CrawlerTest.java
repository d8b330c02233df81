package dev.quire.crawler;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.quire.crawler.FixtureSite.Page;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The crawl engine and the audit against two fixture sites on loopback: the site under audit
 * (reached as 127.0.0.1, its own host, so allowed) and "another host" (reached as localhost, a
 * loopback name the guard refuses unless it is allowed).
 */
class CrawlerTest {

  FixtureSite site;
  FixtureSite other;

  static String page(String title, String extraHead, String body) {
    return "<!doctype html><html><head>"
        + (title == null ? "" : "<title>" + title + "</title>")
        + extraHead
        + "</head><body>"
        + body
        + "</body></html>";
  }

  String meta(String path) {
    return "<meta name=\"description\" content=\"d\"><link rel=\"canonical\" href=\""
        + site.url(path)
        + "\">"
        + "<meta property=\"og:title\" content=\"t\"><meta property=\"og:type\" content=\"website\">"
        + "<meta property=\"og:url\" content=\""
        + site.url(path)
        + "\"><meta property=\"og:image\" content=\"/i.png\">";
  }

  @BeforeEach
  void sites() throws Exception {
    site = new FixtureSite("127.0.0.1");
    other = new FixtureSite("localhost");
    other.pages.put("/ok", Page.html(page("Fine", "", "fine")));
    site.pages.put(
        "/robots.txt",
        new Page(
            200,
            "text/plain",
            "User-agent: *\nDisallow: /private/\n\nSitemap: " + site.url("/sitemap.xml") + "\n",
            Map.of(),
            0));
    site.pages.put(
        "/sitemap.xml",
        new Page(
            200,
            "application/xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
                + "<url><loc>"
                + site.url("/")
                + "</loc></url><url><loc>"
                + site.url("/a/")
                + "</loc></url>"
                + "<url><loc>"
                + site.url("/orphan/")
                + "</loc></url><url><loc>"
                + site.url("/gone/")
                + "</loc></url>"
                + "</urlset>",
            Map.of(),
            0));
    site.pages.put(
        "/",
        Page.html(
            page(
                "Home",
                meta("/"),
                "<a href=\"/a/\">a</a> <a href=\"/b/\">b</a> <a href=\"/missing/\">missing</a>"
                    + " <a href=\"/r1\">chain</a> <a href=\"/loop1\">loop</a> <a href=\"/private/\">private</a>"
                    + " <a href=\"/to-other\">hop</a> <a href=\"/slow/\">slow</a>"
                    + " <a href=\""
                    + other.url("/ok")
                    + "\">other</a>"
                    + " <a href=\""
                    + other.url("/ok").replace("localhost", "127.0.0.2")
                    + "\">literal</a>"
                    + " <img src=\"/i.png\"> <img src=\"/j.png\" alt=\"\">")));
    site.pages.put("/i.png", new Page(200, "image/png", "png", Map.of(), 0));
    site.pages.put("/a/", Page.html(page(null, "", "<a href=\"/\">home</a>")));
    site.pages.put("/b/", Page.html(page("Home", meta("/b/"), "<a href=\"/a/\">a</a>")));
    site.pages.put("/orphan/", Page.html(page("Orphan", meta("/orphan/"), "alone")));
    site.pages.put("/private/", Page.html(page("Private", "", "secret")));
    site.pages.put(
        "/slow/", new Page(200, "text/html", page("Slow", meta("/slow/"), "zzz"), Map.of(), 400));
    site.pages.put("/r1", Page.redirect(301, "/r2"));
    site.pages.put("/r2", Page.redirect(302, "/a/"));
    site.pages.put("/loop1", Page.redirect(301, "/loop2"));
    site.pages.put("/loop2", Page.redirect(301, "/loop1"));
    site.pages.put("/to-other", Page.redirect(302, other.url("/ok")));
  }

  @AfterEach
  void stop() {
    site.close();
    other.close();
  }

  CrawlConfig config(String... allow) {
    Set<String> hosts = new java.util.HashSet<>(List.of(allow));
    hosts.add("127.0.0.1");
    return CrawlConfig.from(
            ConfigFactory.parseMap(Map.of("quire.crawler.slow-page", "300ms"))
                .withFallback(ConfigFactory.defaultReference()))
        .withPolitenessDelay(Duration.ofMillis(5))
        .withMoreAllowedHosts(List.copyOf(hosts));
  }

  List<Finding> audit(CrawlConfig c, Crawler.Result[] out) throws Exception {
    Fetcher fetcher = new Fetcher(c, new AddressGuard(c.allowHosts()));
    try {
      // Started from the bare origin, as people type it; the home page links to "/".
      Crawler.Result r = new Crawler(c, fetcher).crawl(site.url(""), (p, k, q) -> {});
      if (out != null) {
        out[0] = r;
      }
      return new Audit(c).findings(r);
    } finally {
      fetcher.close();
    }
  }

  static boolean has(List<Finding> fs, String kind, String page, String element) {
    return fs.stream()
        .anyMatch(
            f ->
                f.kind().equals(kind)
                    && f.page().equals(page)
                    && (element == null || f.element().equals(element)));
  }

  /**
   * A site whose base URL names localhost, crawled at 127.0.0.1: its sitemap lists every page at
   * the other host, and each linked page was reported missing from it. They are compared by path,
   * and the cause said once.
   */
  @Test
  void aSitemapAtAnotherHostOfTheSiteIsComparedByPathAndSaidOnce() throws Exception {
    String local = site.url("").replace("127.0.0.1", "localhost");
    site.pages.put(
        "/sitemap.xml",
        new Page(
            200,
            "application/xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><urlset"
                + " xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
                + "<url><loc>"
                + local
                + "/</loc></url><url><loc>"
                + local
                + "/a/</loc></url><url><loc>"
                + local
                + "/b/</loc></url></urlset>",
            Map.of(),
            0));
    List<Finding> f = audit(config("localhost"), null);
    assertThat(f.stream().filter(x -> x.kind().equals("sitemap-host")))
        .singleElement()
        .satisfies(x -> assertThat(x.message()).contains(local).contains("compared by path"));
    assertThat(has(f, "not-in-sitemap", site.url("/a/"), null)).as(f.toString()).isFalse();
    assertThat(has(f, "not-in-sitemap", site.url("/b/"), null)).isFalse();
  }

  @Test
  void findsWhatIsBrokenOrMissingAndNamesThePageAndElement() throws Exception {
    Crawler.Result[] crawl = new Crawler.Result[1];
    List<Finding> f = audit(config(), crawl);
    String home = site.url("/");
    assertThat(has(f, "broken-link", home, "a[href=\"/missing/\"]")).as(f.toString()).isTrue();
    assertThat(f)
        .filteredOn(x -> x.kind().equals("broken-link"))
        .allMatch(x -> x.severity() == Finding.Severity.ERROR);
    assertThat(has(f, "redirect-chain", home, "a[href=\"/r1\"]")).as(f.toString()).isTrue();
    assertThat(has(f, "redirect-loop", home, "a[href=\"/loop1\"]")).as(f.toString()).isTrue();
    assertThat(has(f, "missing-title", site.url("/a/"), "<title>")).isTrue();
    assertThat(has(f, "missing-description", site.url("/a/"), null)).isTrue();
    assertThat(has(f, "missing-canonical", site.url("/a/"), null)).isTrue();
    assertThat(has(f, "missing-open-graph", site.url("/a/"), null)).isTrue();
    assertThat(has(f, "duplicate-title", home, "<title>")).isTrue();
    assertThat(has(f, "duplicate-title", site.url("/b/"), "<title>")).isTrue();
    assertThat(has(f, "image-missing-alt", home, "img[src=\"/i.png\"]")).isTrue();
    assertThat(has(f, "image-missing-alt", home, "img[src=\"/j.png\"]"))
        .as("alt=\"\" is decoration, fine")
        .isFalse();
    assertThat(has(f, "broken-image", home, "img[src=\"/j.png\"]")).isTrue();
    assertThat(has(f, "not-in-sitemap", site.url("/b/"), null)).isTrue();
    assertThat(has(f, "sitemap-only", site.url("/orphan/"), null)).isTrue();
    assertThat(has(f, "sitemap-url-broken", site.url("/gone/"), null)).isTrue();
    assertThat(has(f, "slow-page", site.url("/slow/"), null)).isTrue();
    assertThat(has(f, "robots-disallowed", site.url("/private/"), null)).isTrue();
    assertThat(site.hits("/private/")).as("robots.txt is obeyed").isZero();
    // Pages that are fine have no findings of their own but the sitemap ones.
    assertThat(f)
        .noneMatch(x -> x.page().equals(site.url("/orphan/")) && !x.kind().equals("sitemap-only"));
    assertThat(crawl[0].pages()).extracting(Crawler.Visit::url).contains(site.url("/orphan/"));
    // "/" and the bare origin are one page, not two pages with the same title.
    assertThat(crawl[0].pages())
        .extracting(Crawler.Visit::url)
        .doesNotHaveDuplicates()
        .doesNotContain(site.url(""));
  }

  @Test
  void neverReachesAPrivateAddressUnlessTheHostIsAllowed() throws Exception {
    List<Finding> f = audit(config(), null);
    assertThat(other.totalHits()).as("localhost is loopback: nothing may reach it").isZero();
    assertThat(has(f, "blocked-link", site.url("/"), "a[href=\"" + other.url("/ok") + "\"]"))
        .as(f.toString())
        .isTrue();
    // An IP literal (which OkHttp would connect to without asking the DNS) is checked too.
    String literal = other.url("/ok").replace("localhost", "127.0.0.2");
    assertThat(has(f, "blocked-link", site.url("/"), "a[href=\"" + literal + "\"]"))
        .as(f.toString())
        .isTrue();
    // A redirect on the allowed site into the private host is stopped at that hop.
    assertThat(has(f, "blocked-link", site.url("/"), "a[href=\"/to-other\"]"))
        .as(f.toString())
        .isTrue();

    other.pages.remove("/ok");
    List<Finding> allowed = audit(config("localhost"), null);
    assertThat(other.hits("/ok")).isPositive();
    assertThat(
            has(
                allowed,
                "broken-outbound-link",
                site.url("/"),
                "a[href=\"" + other.url("/ok") + "\"]"))
        .as(allowed.toString())
        .isTrue();
  }

  @Test
  void theSiteIsAllowedAsAnOriginNotItsHostOnEveryPort() throws Exception {
    // The site on a private address, reached by name (the embedded default's base URL is
    // http://localhost:8080), and another service on the same host: neither a link nor a redirect
    // from the site may reach that one. Until the guard allowed origins, the site's host was
    // allowed by name, and both reached it.
    FixtureSite local = new FixtureSite("localhost");
    FixtureSite service = new FixtureSite("localhost");
    String secret = service.url("/secret");
    service.pages.put("/secret", Page.html(page("Secret", "", "an internal admin page")));
    local.pages.put(
        "/",
        Page.html(
            page(
                "Home",
                "",
                "<a href=\"/hop\">hop</a> <a href=\""
                    + secret
                    + "\">direct</a>"
                    + " <a href=\"/about/\">about</a>")));
    local.pages.put("/about/", Page.html(page("About", "", "about")));
    local.pages.put("/hop", Page.redirect(302, secret));
    CrawlConfig c =
        CrawlConfig.from(ConfigFactory.defaultReference())
            .withPolitenessDelay(Duration.ofMillis(5));
    assertThat(c.allowHosts()).as("no host allowed by name").isEmpty();
    Fetcher fetcher = new Fetcher(c, new AddressGuard(c.allowHosts(), Set.of(local.url("/"))));
    try {
      Crawler.Result r = new Crawler(c, fetcher).crawl(local.url(""), (p, k, q) -> {});
      List<Finding> f = new Audit(c).findings(r);
      assertThat(local.hits("/about/")).as("the site itself is crawled").isPositive();
      assertThat(service.totalHits()).as("another port of the site's host").isZero();
      assertThat(has(f, "blocked-link", local.url("/"), "a[href=\"" + secret + "\"]"))
          .as(f.toString())
          .isTrue();
      assertThat(has(f, "blocked-link", local.url("/"), "a[href=\"/hop\"]"))
          .as(f.toString())
          .isTrue();
    } finally {
      fetcher.close();
      local.close();
      service.close();
    }
  }

  @Test
  void theGuardKnowsPrivateAndLocalAddresses() throws Exception {
    for (String a :
        List.of(
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "224.0.0.1",
            // IPv4 behind NAT64, 6to4 and Teredo: a private address through a translator.
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::a00:5",
            "2002:c0a8:0101::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2")) {
      assertThat(AddressGuard.isPublic(InetAddress.getByName(a))).as(a).isFalse();
    }
    for (String a :
        List.of(
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "64:ff9b::5db8:d822",
            "2002:5db8:d822::1")) {
      assertThat(AddressGuard.isPublic(InetAddress.getByName(a))).as(a).isTrue();
    }
    AddressGuard guard =
        new AddressGuard(
            Set.of("intranet.example"), host -> List.of(InetAddress.getByName("10.0.0.5")));
    assertThat(guard.lookup("intranet.example")).hasSize(1);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> guard.lookup("evil.example"))
        .isInstanceOf(AddressGuard.Blocked.class)
        .hasMessageContaining("evil.example resolves to a private or local address")
        // Reports reach editors: the private address itself is not named.
        .hasMessageNotContaining("10.0.0.5");
  }

  /**
   * A paragraph of thousands of links (a post body's length allows ~30,000) is read once, and each
   * link's claim is cut around the link: read per link, it was a copy of the whole paragraph each.
   */
  @Test
  void aLinkParagraphIsBoundedAroundTheLink() {
    StringBuilder html = new StringBuilder("<article><p>");
    for (int i = 0; i < 20_000; i++) {
      html.append("<a href=\"https://example.org/").append(i).append("\">link").append(i);
      html.append("</a> words ");
    }
    html.append("</p></article>");
    int max = config().citations().maxClaimChars();
    PageInfo info =
        PageInfo.parse(
            html.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8),
            "https://site.example/posts/p/",
            max);
    assertThat(info.links()).hasSize(20_000);
    long total = info.links().stream().mapToLong(l -> l.paragraph().length()).sum();
    assertThat(total).isLessThanOrEqualTo(20_000L * max);
    assertThat(info.links().get(15_000).paragraph())
        .hasSizeLessThanOrEqualTo(max)
        .contains("link15000");
    // Links with the same text ("[1]") each get the words around themselves, not around the first.
    StringBuilder cited = new StringBuilder("<article><p>");
    for (int i = 0; i < 200; i++) {
      cited.append("claim-").append(i).append(" says <a href=\"https://example.org/s").append(i);
      cited.append("\">[1]</a> and more words here. ");
    }
    cited.append("</p></article>");
    PageInfo same =
        PageInfo.parse(
            cited.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8),
            "https://site.example/posts/p/",
            100);
    assertThat(same.links()).hasSize(200);
    assertThat(same.links().get(150).paragraph()).contains("claim-150").doesNotContain("claim-0 ");
    assertThat(PageInfo.cut("short", "x", 10)).isEqualTo("short");
    assertThat(PageInfo.cut("aaaa bbbb cccc dddd", "cccc", 9)).contains("cccc");
  }

  /** What a crawl keeps of a page is what was read from it, not its body (up to 5 MB each). */
  @Test
  void aCrawlKeepsNoPageBodies() throws Exception {
    Crawler.Result[] crawl = new Crawler.Result[1];
    audit(config(), crawl);
    assertThat(crawl[0].pages()).isNotEmpty().allMatch(v -> v.result().body() == null);
    assertThat(crawl[0].pages()).anyMatch(v -> v.info() != null);
  }

  /**
   * A citation whose similarity fails (the embedding service refused or did not answer) is reported
   * unchecked, with why, instead of failing the whole check; after a few failures in a row the rest
   * are not tried; a cancelled check reports the rest unchecked.
   */
  @Test
  void citationsThatCannotBeScoredAreReportedUncheckedAndTheRestGoOn() throws Exception {
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      body.append("<p>Claim number ")
          .append(i)
          .append(" says <a href=\"")
          .append(other.url("/src" + i))
          .append("\">this</a>.</p>");
      other.pages.put("/src" + i, Page.html(page("S", "", "<p>source text " + i + "</p>")));
    }
    site.pages.put("/posts/p/", Page.html(page("P", "", "<article>" + body + "</article>")));
    site.pages.put("/", Page.html(page("Home", "", "<a href=\"/posts/p/\">p</a>")));
    CrawlConfig c = config("localhost");
    Fetcher fetcher = new Fetcher(c, new AddressGuard(c.allowHosts()));
    try {
      Crawler.Result r = new Crawler(c, fetcher).crawl(site.url("/"), (p, k, q) -> {});
      int[] calls = {0};
      List<Report.Citation> out =
          new CitationChecker(
                  c,
                  fetcher,
                  (claim, passages) -> {
                    if (++calls[0] == 1) {
                      return new double[] {0.9};
                    }
                    throw new IllegalStateException("the embedding service is not running");
                  })
              .check(r, (d, t) -> {});
      assertThat(out).hasSize(6);
      assertThat(out.get(0).verdict())
          .as(out.get(0).passage())
          .isEqualTo(CitationChecker.SUPPORTED);
      assertThat(out.subList(1, 6))
          .allMatch(x -> x.verdict().equals(CitationChecker.UNCHECKED))
          .allMatch(x -> x.passage().contains("the embedding service is not running"));
      assertThat(calls[0]).as("given up after three failures in a row").isEqualTo(4);
      List<Report.Citation> cancelled =
          new CitationChecker(c, fetcher, (claim, passages) -> new double[] {0.9})
              .check(r, (d, t) -> {}, () -> true);
      assertThat(cancelled)
          .hasSize(6)
          .allMatch(x -> x.verdict().equals(CitationChecker.UNCHECKED))
          .allMatch(x -> x.passage().contains("cancelled"));
    } finally {
      fetcher.close();
    }
  }

  /**
   * robots.txt is read whatever type it is served as (as application/octet-stream it was read as
   * empty: everything allowed), its group for the user agent's own name (Quire-Crawler) applies,
   * and its Crawl-delay is kept between two requests to the host.
   */
  @Test
  void robotsTxtIsReadAsSentMatchedByTheUserAgentsNameAndItsCrawlDelayKept() throws Exception {
    site.pages.put(
        "/robots.txt",
        new Page(
            200,
            "application/octet-stream",
            "User-agent: Quire-Crawler\nDisallow: /private/\nCrawl-delay: 0.3\n\n"
                + "User-agent: *\nDisallow:\n",
            Map.of(),
            0));
    Crawler.Result[] crawl = new Crawler.Result[1];
    List<Finding> f = audit(config(), crawl);
    assertThat(site.hits("/private/")).as("the Quire-Crawler group is obeyed").isZero();
    assertThat(has(f, "robots-disallowed", site.url("/private/"), null)).isTrue();
    int fetched = crawl[0].pages().size();
    assertThat(fetched).isGreaterThan(3);
    assertThat(crawl[0].millis())
        .as("%d pages from one host, 0.3 s apart", fetched)
        .isGreaterThanOrEqualTo((long) ((fetched - 1) * 300 * 0.9));
  }

  /**
   * A robots.txt that names a sitemap the crawler cannot read (here on another host: a site whose
   * base URL says localhost, crawled at 127.0.0.1) leaves the usual /sitemap.xml to try before
   * saying there is none (it said so, with the sitemap answering 200 where it always is).
   */
  @Test
  void aSitemapNamedWhereItCannotBeReadLeavesTheUsualPlaceToTry() throws Exception {
    site.pages.put(
        "/robots.txt",
        new Page(
            200,
            "text/plain",
            "User-agent: *\nDisallow:\n\nSitemap: " + other.url("/sitemap.xml") + "\n",
            Map.of(),
            0));
    List<Finding> f = audit(config(), null);
    assertThat(site.hits("/sitemap.xml")).isEqualTo(1);
    assertThat(f).noneMatch(x -> x.kind().equals("missing-sitemap"));
    assertThat(has(f, "sitemap-only", site.url("/orphan/"), null)).isTrue();
  }

  /**
   * A robots.txt that answers 5xx, or not within the call timeout, means "crawl nothing" (RFC
   * 9309): no page of the site is fetched and the report says why, as an error. A timeout was read
   * as "allow all" until 2026-12-06.
   */
  @Test
  void anUnreadableRobotsTxtCrawlsNothingAndSaysWhy() throws Exception {
    CrawlConfig c =
        CrawlConfig.from(
                ConfigFactory.parseMap(
                        Map.of(
                            "quire.crawler.call-timeout", "400ms",
                            "quire.crawler.read-timeout", "400ms"))
                    .withFallback(ConfigFactory.defaultReference()))
            .withPolitenessDelay(Duration.ofMillis(5))
            .withMoreAllowedHosts(List.of("127.0.0.1"));
    for (Page robots :
        List.of(
            new Page(503, "text/plain", "", Map.of(), 0),
            new Page(429, "text/plain", "", Map.of(), 0),
            new Page(200, "text/plain", "User-agent: *\nDisallow:\n", Map.of(), 2_000))) {
      site.pages.put("/robots.txt", robots);
      site.hits.clear();
      Crawler.Result[] crawl = new Crawler.Result[1];
      List<Finding> f = audit(c, crawl);
      assertThat(crawl[0].pages()).as("robots.txt %s", robots).isEmpty();
      assertThat(site.hits("/")).isZero();
      assertThat(site.hits("/sitemap.xml")).isZero();
      assertThat(f).noneMatch(x -> x.kind().equals("missing-sitemap"));
      assertThat(crawl[0].robotsProblem()).isNotBlank();
      assertThat(f)
          .filteredOn(x -> x.kind().equals("robots-unreadable"))
          .singleElement()
          .satisfies(
              x -> {
                assertThat(x.severity()).isEqualTo(Finding.Severity.ERROR);
                assertThat(x.page()).isEqualTo(site.url("/robots.txt"));
                assertThat(x.message()).contains(crawl[0].robotsProblem());
              });
    }
  }

  /**
   * Another host's robots.txt that cannot be read stops no link check there: its missing page is a
   * broken link, not one robots.txt disallowed.
   */
  @Test
  void aLinkToAHostWhoseRobotsTxtFailsIsStillChecked() throws Exception {
    other.pages.put("/robots.txt", new Page(503, "text/plain", "", Map.of(), 0));
    other.pages.remove("/ok");
    List<Finding> f = audit(config("localhost"), null);
    assertThat(other.hits("/ok")).isPositive();
    assertThat(
            has(f, "broken-outbound-link", site.url("/"), "a[href=\"" + other.url("/ok") + "\"]"))
        .as(f.toString())
        .isTrue();
    assertThat(f).noneMatch(x -> x.kind().equals("robots-unreadable"));
  }

  /**
   * Hosts' robots.txt are fetched on the crawl's pool: read one after another on the thread that
   * schedules, two hosts answering in 3 s each held the crawl 6 s (20,000 slow hosts, days).
   */
  @Test
  void slowRobotsTxtOfTwoHostsAreReadAtOnce() throws Exception {
    FixtureSite third = new FixtureSite("localhost");
    try {
      for (FixtureSite slow : List.of(other, third)) {
        slow.pages.put(
            "/robots.txt",
            new Page(200, "text/plain", "User-agent: *\nDisallow:\n", Map.of(), 3000));
        slow.pages.put("/ok", Page.html(page("Fine", "", "fine")));
      }
      site.pages.put(
          "/",
          Page.html(
              page(
                  "Home",
                  "",
                  "<a href=\""
                      + other.url("/ok")
                      + "\">a</a> <a href=\""
                      + third.url("/ok")
                      + "\">b</a>")));
      CrawlConfig c = config("localhost").withMaxPages(1);
      Fetcher fetcher = new Fetcher(c, new AddressGuard(c.allowHosts()));
      try {
        Crawler.Result r = new Crawler(c, fetcher).crawl(site.url("/"), (p, k, q) -> {});
        assertThat(r.checked()).containsKeys(other.url("/ok"), third.url("/ok"));
        assertThat(r.millis())
            .as("two 3 s robots.txt at once (6 s one after the other)")
            .isLessThan(5_000);
      } finally {
        fetcher.close();
      }
    } finally {
      third.close();
    }
  }

  /** call-timeout bounds a whole fetch, redirects included, not each hop of it. */
  @Test
  void aChainOfSlowRedirectsEndsWithinTheCallTimeout() throws Exception {
    for (int i = 1; i <= 6; i++) {
      site.pages.put(
          "/slow" + i, new Page(302, "text/plain", "", Map.of("Location", "/slow" + (i + 1)), 600));
    }
    site.pages.put("/slow7", Page.html(page("End", "", "end")));
    CrawlConfig c =
        CrawlConfig.from(
                ConfigFactory.parseMap(Map.of("quire.crawler.call-timeout", "1s"))
                    .withFallback(ConfigFactory.defaultReference()))
            .withMoreAllowedHosts(List.of("127.0.0.1"));
    Fetcher fetcher = new Fetcher(c, new AddressGuard(c.allowHosts()));
    try {
      long t0 = System.nanoTime();
      Fetcher.Result r = fetcher.fetch(site.url("/slow1"), true);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(r.error()).isEqualTo("timed out");
      assertThat(ms).as("six hops of 0.6 s (3.6 s), stopped at the 1 s deadline").isLessThan(2_800);
    } finally {
      fetcher.close();
    }
  }

  /**
   * max-duration bounds the whole crawl: each request has its call-timeout, but a site answering
   * every page slowly held a crawl (and a deploy gate on it) for hours.
   */
  @Test
  void aCrawlEndsAtItsTimeLimitWithWhatItHas() throws Exception {
    StringBuilder links = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      site.pages.put(
          "/slow-page-" + i, new Page(200, "text/html", page("S" + i, "", "s"), Map.of(), 400));
      links.append("<a href=\"/slow-page-").append(i).append("\">").append(i).append("</a> ");
    }
    site.pages.put("/", Page.html(page("Home", "", links.toString())));
    CrawlConfig c = config().withMaxDuration(java.time.Duration.ofSeconds(1));
    Fetcher fetcher = new Fetcher(c, new AddressGuard(c.allowHosts()));
    try {
      Crawler.Result r = new Crawler(c, fetcher).crawl(site.url("/"), (p, k, q) -> {});
      assertThat(r.timeLimitReached()).isTrue();
      assertThat(r.pages().stream().filter(v -> v.url().contains("/slow-page-")).count())
          .as("not all 40 slow pages")
          .isLessThan(40);
      Report report = Report.of(r, List.of(), List.of());
      assertThat(report.timeLimitReached()).isTrue();
    } finally {
      fetcher.close();
    }
    // Without the limit the same site is crawled whole.
    Crawler.Result whole;
    CrawlConfig all = config().withConcurrency(16, 16).withPolitenessDelay(java.time.Duration.ZERO);
    Fetcher f2 = new Fetcher(all, new AddressGuard(all.allowHosts()));
    try {
      whole = new Crawler(all, f2).crawl(site.url("/"), (p, k, q) -> {});
    } finally {
      f2.close();
    }
    assertThat(whole.timeLimitReached()).isFalse();
    assertThat(whole.pages().stream().filter(v -> v.url().contains("/slow-page-")).count())
        .isEqualTo(40);
  }

  @Test
  void pageAndSizeLimitsHold() throws Exception {
    CrawlConfig c = config().withMaxPages(3);
    Crawler.Result[] crawl = new Crawler.Result[1];
    audit(c, crawl);
    assertThat(crawl[0].pages()).hasSize(3);
    assertThat(crawl[0].pageLimitReached()).isTrue();
  }

  /**
   * A gzipped sitemap is unpacked only up to the response limit, and what fits is read: here its
   * first URLs, before ~1 MB of padding, past a 16 KB limit. The sitemap library unpacked without
   * limit and kept every URL: 3 MB of gzip (within the response limit) that unpacked to 1 GB ran a
   * 256 MB heap out, measured 2026-12-07.
   */
  @Test
  void aGzippedSitemapIsUnpackedOnlyUpToTheLimit() throws Exception {
    StringBuilder xml =
        new StringBuilder(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                + "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">");
    for (String p : List.of("/", "/a/", "/orphan/", "/gone/")) {
      xml.append("<url><loc>").append(site.url(p)).append("</loc></url>");
    }
    String padding = "<url><loc>" + site.url("/padding/") + "</loc></url>";
    while (xml.length() < 1 << 20) {
      xml.append(padding);
    }
    xml.append("</urlset>");
    var gz = new java.io.ByteArrayOutputStream();
    try (var z = new java.util.zip.GZIPOutputStream(gz)) {
      z.write(xml.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    assertThat(gz.size()).as("the gzip itself within the limit").isLessThan(16 * 1024);
    site.pages.put("/sitemap.xml", new Page(200, "application/x-gzip", "", Map.of(), 0));
    site.raw.put("/sitemap.xml", gz.toByteArray());
    CrawlConfig c =
        CrawlConfig.from(
                ConfigFactory.parseMap(
                        Map.of(
                            "quire.crawler.slow-page",
                            "300ms",
                            "quire.crawler.max-response-bytes",
                            "16k"))
                    .withFallback(ConfigFactory.defaultReference()))
            .withPolitenessDelay(Duration.ofMillis(5))
            .withMoreAllowedHosts(List.of("127.0.0.1"));
    List<Finding> f = audit(c, null);
    assertThat(has(f, "sitemap-only", site.url("/orphan/"), null)).isTrue();
    assertThat(has(f, "sitemap-url-broken", site.url("/gone/"), null)).isTrue();
    assertThat(f).noneMatch(x -> x.kind().equals("missing-sitemap"));

    // The same sitemap unpacked, sent without a type: read by what it is (the library failed).
    site.raw.remove("/sitemap.xml");
    site.pages.put(
        "/sitemap.xml", new Page(200, null, xml.substring(0, 8000) + "</urlset>", Map.of(), 0));
    List<Finding> asBytes = audit(c, null);
    assertThat(has(asBytes, "sitemap-only", site.url("/orphan/"), null)).isTrue();
    assertThat(asBytes).noneMatch(x -> x.kind().equals("missing-sitemap"));

    byte[] unpacked = Crawler.unpacked(gz.toByteArray(), 16 * 1024);
    assertThat(unpacked).hasSize(16 * 1024);
    // A gzip stream cut short gives what it held; a body that is not gzip is read as it is.
    byte[] cut = java.util.Arrays.copyOf(gz.toByteArray(), gz.size() / 2);
    assertThat(Crawler.unpacked(cut, 1 << 22).length).isBetween(1, 1 << 20);
    byte[] plain = "<urlset/>".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(Crawler.unpacked(plain, 4)).isSameAs(plain);
  }

  @Test
  void theReportIsJsonAndEscapedHtml(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    site.pages.put(
        "/a/", Page.html(page("A", "", "<a href=\"/nope?q=<script>alert(1)</script>\">x</a>")));
    Crawler.Result[] crawl = new Crawler.Result[1];
    List<Finding> f = audit(config(), crawl);
    Report r = Report.of(crawl[0], f, List.of());
    r.write(dir);
    var json = Report.json().readTree(dir.resolve("report.json").toFile());
    assertThat(json.get("findings").get(0).fieldNames())
        .toIterable()
        .containsExactly("page", "element", "kind", "severity", "message");
    assertThat(json.get("counts").get("error").asLong())
        .isEqualTo(r.counts().get("error"))
        .isPositive();
    // Bounded for a job: fewer findings, the rest counted, the counts untouched.
    Report small = r.limitTo(2_000);
    assertThat(Report.json().writeValueAsBytes(small).length).isLessThanOrEqualTo(2_000);
    assertThat(small.findings().size() + small.omittedFindings()).isEqualTo(r.findings().size());
    assertThat(small.omittedFindings()).isPositive();
    assertThat(small.counts()).isEqualTo(r.counts());
    assertThat(small.findings()).isEqualTo(r.findings().subList(0, small.findings().size()));
    String html = java.nio.file.Files.readString(dir.resolve("report.html"));
    assertThat(f).anyMatch(x -> x.element().contains("<script>alert(1)</script>"));
    assertThat(html)
        .contains("broken-link")
        .contains("&lt;script&gt;alert(1)")
        .doesNotContain("<script>alert(1)</script>");
  }
}
