package dev.quire.crawler;

import dev.quire.crawler.Finding.Severity;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Turns a crawl into findings, each naming the page, the element and what is wrong. */
public final class Audit {

  /** The Open Graph properties a shared link needs to show a title, image and address. */
  static final List<String> OPEN_GRAPH = List.of("og:title", "og:type", "og:url", "og:image");

  private final CrawlConfig config;

  public Audit(CrawlConfig config) {
    this.config = config;
  }

  public List<Finding> findings(Crawler.Result crawl) {
    List<Finding> out = new ArrayList<>();
    String origin = Crawler.origin(crawl.start());
    Map<String, Fetcher.Result> byUrl = new HashMap<>();
    for (Crawler.Visit v : crawl.pages()) {
      byUrl.put(v.url(), v.result());
    }
    byUrl.putAll(crawl.checked());
    Map<String, List<String>> titles = new LinkedHashMap<>();
    Set<String> linkedPages = new HashSet<>();

    for (Crawler.Visit v : crawl.pages()) {
      Fetcher.Result r = v.result();
      if (r.broken() && "sitemap".equals(v.foundOn())) {
        out.add(
            new Finding(
                v.url(),
                "sitemap <loc>",
                "sitemap-url-broken",
                Severity.ERROR,
                "listed in the sitemap but " + describe(r)));
      } else if (r.broken() && v.foundOn() == null) {
        out.add(
            new Finding(
                v.url(),
                "(start URL)",
                "start-unreachable",
                Severity.ERROR,
                "the start page " + describe(r)));
      }
      if (r.millis() > config.slowPage().toMillis() && r.status() > 0) {
        out.add(
            new Finding(
                v.url(),
                "(page)",
                "slow-page",
                Severity.WARNING,
                "answered in "
                    + r.millis()
                    + " ms (over "
                    + config.slowPage().toMillis()
                    + " ms)"));
      }
      if (r.truncated()) {
        out.add(
            new Finding(
                v.url(),
                "(page)",
                "page-too-large",
                Severity.WARNING,
                "larger than " + config.maxResponseBytes() + " bytes; read only that much"));
      }
      PageInfo info = v.info();
      if (info == null) {
        continue;
      }
      String page = r.finalUrl();
      if (info.title().isEmpty()) {
        out.add(
            new Finding(page, "<title>", "missing-title", Severity.ERROR, "the page has no title"));
      } else {
        titles.computeIfAbsent(info.title(), t -> new ArrayList<>()).add(page);
      }
      if (info.description().isEmpty()) {
        out.add(
            new Finding(
                page,
                "<meta name=\"description\">",
                "missing-description",
                Severity.WARNING,
                "no meta description: search results will show a guess"));
      }
      if (info.canonical().isEmpty()) {
        out.add(
            new Finding(
                page,
                "<link rel=\"canonical\">",
                "missing-canonical",
                Severity.WARNING,
                "no canonical URL"));
      }
      List<String> missingOg =
          OPEN_GRAPH.stream().filter(p -> !info.openGraph().containsKey(p)).toList();
      if (!missingOg.isEmpty()) {
        out.add(
            new Finding(
                page,
                "<meta property=\"og:*\">",
                "missing-open-graph",
                Severity.WARNING,
                "no " + String.join(", ", missingOg) + ": shared links show less"));
      }
      for (PageInfo.Image img : info.images()) {
        if (!img.hasAlt()) {
          out.add(
              new Finding(
                  page,
                  img.element(),
                  "image-missing-alt",
                  Severity.WARNING,
                  "image without alt text (use alt=\"\" when it is decoration)"));
        }
        Fetcher.Result target = byUrl.get(img.src());
        if (target != null && target.broken()) {
          out.add(
              new Finding(
                  page,
                  img.element(),
                  "broken-image",
                  Severity.ERROR,
                  "the image " + describe(target)));
        }
      }
      for (String m : info.mixedContent()) {
        out.add(
            new Finding(
                page,
                m,
                "mixed-content",
                Severity.ERROR,
                "loads over http on an https page: browsers block or flag it"));
      }
      Set<String> reported = new HashSet<>();
      for (PageInfo.Link l : info.links()) {
        boolean internal = Crawler.origin(l.url()).equals(origin);
        if (internal) {
          linkedPages.add(l.url());
        }
        Fetcher.Result target = byUrl.get(l.url());
        if (target == null || !reported.add(l.url())) {
          continue;
        }
        if (target.blocked()) {
          out.add(
              new Finding(
                  page,
                  l.element(),
                  "blocked-link",
                  Severity.WARNING,
                  "not checked: " + target.error()));
        } else if (target.broken()) {
          boolean loop = target.error() != null && target.error().startsWith("redirect loop");
          out.add(
              new Finding(
                  page,
                  l.element(),
                  loop ? "redirect-loop" : internal ? "broken-link" : "broken-outbound-link",
                  internal || loop ? Severity.ERROR : Severity.WARNING,
                  (internal ? "links to " : "links out to ")
                      + l.url()
                      + ", which "
                      + describe(target)));
        } else if (target.redirects().size() > 1) {
          out.add(
              new Finding(
                  page,
                  l.element(),
                  "redirect-chain",
                  Severity.WARNING,
                  "links to "
                      + l.url()
                      + ", which redirects "
                      + target.redirects().size()
                      + " times before "
                      + target.finalUrl()));
        } else if (internal && target.redirects().size() == 1) {
          out.add(
              new Finding(
                  page,
                  l.element(),
                  "redirect",
                  Severity.INFO,
                  "links to " + l.url() + ", which redirects to " + target.finalUrl()));
        }
      }
    }
    for (var e : titles.entrySet()) {
      if (e.getValue().size() > 1) {
        for (String page : e.getValue()) {
          out.add(
              new Finding(
                  page,
                  "<title>",
                  "duplicate-title",
                  Severity.WARNING,
                  "the title \""
                      + e.getKey()
                      + "\" is also used by "
                      + (e.getValue().size() - 1)
                      + " other page(s)"));
        }
      }
    }
    if (crawl.sitemapFound()) {
      Set<String> sitemap = crawl.sitemap();
      // A site whose base URL names another host than the one crawled (localhost against
      // 127.0.0.1) lists every page elsewhere: each was reported missing from the sitemap. Its
      // pages are compared by path then, and the one cause is said once.
      Set<String> elsewhere = new HashSet<>();
      sitemap.forEach(u -> elsewhere.add(Crawler.origin(u)));
      if (!sitemap.isEmpty() && elsewhere.size() == 1 && !elsewhere.contains(origin)) {
        String other = elsewhere.iterator().next();
        Set<String> byPath = new HashSet<>();
        sitemap.forEach(u -> byPath.add(onOrigin(u, origin)));
        sitemap = byPath;
        out.add(
            new Finding(
                crawl.start(),
                "sitemap <loc>",
                "sitemap-host",
                Severity.WARNING,
                "the sitemap lists the site's pages at "
                    + other
                    + ", not at "
                    + origin
                    + " where it was crawled; they are compared by path here. A Quire site's"
                    + " quire.site.base-url (QUIRE_BASE_URL) should be the address visitors use"));
      }
      Set<String> crawledOk = new HashSet<>();
      for (Crawler.Visit v : crawl.pages()) {
        if (v.info() != null) {
          crawledOk.add(v.url());
        }
      }
      for (String u : linkedPages) {
        if (crawledOk.contains(u) && !sitemap.contains(u)) {
          out.add(
              new Finding(
                  u,
                  "(page)",
                  "not-in-sitemap",
                  Severity.WARNING,
                  "linked from the site but not listed in the sitemap"));
        }
      }
      for (String u : sitemap) {
        if (Crawler.origin(u).equals(origin)
            && !linkedPages.contains(u)
            && !u.equals(crawl.start())) {
          out.add(
              new Finding(
                  u,
                  "sitemap <loc>",
                  "sitemap-only",
                  Severity.INFO,
                  "in the sitemap but no page links to it"));
        }
      }
    } else if (crawl.robotsProblem() == null
        && out.stream().noneMatch(f -> f.kind().equals("start-unreachable"))) {
      // A site whose start page could not be fetched was not seen at all: "no sitemap" beside
      // that error said something about it no one had looked at.
      out.add(
          new Finding(
              origin + "/sitemap.xml",
              "(site)",
              "missing-sitemap",
              Severity.WARNING,
              "no sitemap (none at /sitemap.xml or named in robots.txt)"));
    }
    if (crawl.robotsProblem() != null) {
      out.add(
          new Finding(
              origin + "/robots.txt",
              "(site)",
              "robots-unreadable",
              Severity.ERROR,
              "robots.txt could not be read ("
                  + crawl.robotsProblem()
                  + "): crawlers then crawl nothing (RFC 9309), search engines included, and"
                  + " neither did this crawl"));
    }
    for (String u : crawl.disallowed()) {
      out.add(
          new Finding(
              u,
              "(page)",
              "robots-disallowed",
              Severity.INFO,
              "not visited: robots.txt disallows it"));
    }
    out.sort(Comparator.comparing(Finding::severity).thenComparing(Finding::page));
    return out;
  }

  /** {@code url}'s path and query at {@code origin}. */
  static String onOrigin(String url, String origin) {
    try {
      java.net.URI u = java.net.URI.create(url);
      String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
      return origin + path + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
    } catch (IllegalArgumentException e) {
      return url;
    }
  }

  static String describe(Fetcher.Result r) {
    if (r.status() == 0) {
      return "could not be fetched (" + r.error() + ")";
    }
    return "answers " + r.status();
  }
}
