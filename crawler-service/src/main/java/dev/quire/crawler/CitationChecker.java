package dev.quire.crawler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * Does a cited source say what the post says? For each post page of a crawl (a page under {@code
 * /posts/}), every outbound link inside its article and the paragraph that holds it: the source is
 * fetched (through the same guarded {@link Fetcher}), its main text cut into overlapping word
 * windows, and the passages ranked by meaning against the paragraph. The best score gives the
 * verdict against the thresholds in {@code quire.crawler.citations}.
 */
public final class CitationChecker {

  /** Scores passages against a claim by meaning: cosine similarity, one per passage. */
  @FunctionalInterface
  public interface Similarity {
    double[] scores(String claim, List<String> passages) throws Exception;
  }

  public static final String SUPPORTED = "supported";
  public static final String WEAK = "weakly supported";
  public static final String NOT_SUPPORTED = "not supported";
  public static final String UNREACHABLE = "unreachable";

  /**
   * Not scored: the crawl was cancelled, the crawl's limit of sources was reached, or the
   * similarity could not be had (the embedding service refused or did not answer); the passage
   * column says which.
   */
  public static final String UNCHECKED = "unchecked";

  /**
   * Scoring failures in a row after which the rest are not tried: an embedding service that is down
   * would otherwise cost each citation its whole timeout.
   */
  static final int FAILURES_BEFORE_GIVING_UP = 3;

  private final CrawlConfig.Citations config;
  private final java.time.Duration maxDuration;
  private final Fetcher fetcher;
  private final Similarity similarity;

  public CitationChecker(CrawlConfig config, Fetcher fetcher, Similarity similarity) {
    this.config = config.citations();
    this.maxDuration = config.maxDuration();
    this.fetcher = fetcher;
    this.similarity = similarity;
  }

  /** Called after each source, for a progress bar. */
  @FunctionalInterface
  public interface Progress {
    void update(int done, int total);
  }

  public List<Report.Citation> check(Crawler.Result crawl, Progress progress) {
    return check(crawl, progress, () -> false);
  }

  /**
   * Checks every citation of the crawl's posts; {@code cancelled} is asked before each (a job's
   * Cancel), and once it answers true the rest are reported {@link #UNCHECKED}. A citation whose
   * similarity fails is reported unchecked too, with why, rather than ending the check.
   */
  public List<Report.Citation> check(
      Crawler.Result crawl, Progress progress, java.util.function.BooleanSupplier cancelled) {
    String origin = Crawler.origin(crawl.start());
    List<Cited> cited = new ArrayList<>();
    for (Crawler.Visit v : crawl.pages()) {
      if (v.info() == null || !isPost(v.result().finalUrl())) {
        continue;
      }
      for (PageInfo.Link l : v.info().links()) {
        // A paragraph with no text (an image link alone in it) claims nothing to check.
        if (l.paragraph() != null
            && !l.paragraph().isBlank()
            && !Crawler.origin(l.url()).equals(origin)) {
          cited.add(new Cited(v.result().finalUrl(), l));
        }
      }
    }
    Map<String, Source> sources = new LinkedHashMap<>(); // each source fetched once
    List<Report.Citation> out = new ArrayList<>();
    int done = 0;
    int failuresInARow = 0;
    String givenUp = null;
    // The check after the crawl is bounded like the crawl: up to max-sources fetches of their
    // call timeout each would otherwise hold a deploy gate on a slow source for an hour.
    long deadline = System.nanoTime() + maxDuration.toNanos();
    for (Cited c : cited) {
      String post = c.post();
      PageInfo.Link link = c.link();
      if (givenUp == null && cancelled.getAsBoolean()) {
        givenUp = "not checked: the crawl was cancelled";
      }
      if (givenUp == null && System.nanoTime() - deadline > 0) {
        givenUp =
            "not checked: the check's time limit of "
                + maxDuration
                + " was reached (quire.crawler.max-duration)";
      }
      if (givenUp == null
          && !sources.containsKey(link.url())
          && sources.size() >= config.maxSources()) {
        out.add(
            unchecked(
                c,
                "not checked: this crawl's limit of "
                    + config.maxSources()
                    + " sources was reached (quire.crawler.citations.max-sources)"));
        progress.update(++done, cited.size());
        continue;
      }
      if (givenUp != null) {
        out.add(unchecked(c, givenUp));
        progress.update(++done, cited.size());
        continue;
      }
      Source source = sources.computeIfAbsent(link.url(), this::source);
      if (source.error() != null) {
        out.add(
            new Report.Citation(
                post, link.paragraph(), link.url(), UNREACHABLE, 0, source.error()));
      } else {
        List<String> passages = source.passages();
        double[] scores;
        try {
          scores = similarity.scores(link.paragraph(), passages);
          failuresInARow = 0;
        } catch (Exception e) {
          String why = "not checked: " + (e.getMessage() == null ? e.toString() : e.getMessage());
          out.add(unchecked(c, why));
          if (++failuresInARow >= FAILURES_BEFORE_GIVING_UP) {
            givenUp = why;
          }
          progress.update(++done, cited.size());
          continue;
        }
        int best = 0;
        for (int i = 1; i < scores.length; i++) {
          if (scores[i] > scores[best]) {
            best = i;
          }
        }
        double score = scores.length == 0 ? 0 : scores[best];
        out.add(
            new Report.Citation(
                post,
                link.paragraph(),
                link.url(),
                verdict(score),
                Math.round(score * 1000) / 1000.0,
                passages.isEmpty() ? "" : passages.get(best)));
      }
      progress.update(++done, cited.size());
    }
    return out;
  }

  public String verdict(double score) {
    if (score >= config.supported()) {
      return SUPPORTED;
    }
    return score >= config.weaklySupported() ? WEAK : NOT_SUPPORTED;
  }

  static boolean isPost(String url) {
    try {
      String path = java.net.URI.create(url).getPath();
      return path != null && path.startsWith("/posts/") && path.length() > "/posts/".length();
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static Report.Citation unchecked(Cited c, String why) {
    return new Report.Citation(c.post(), c.link().paragraph(), c.link().url(), UNCHECKED, 0, why);
  }

  /** A post's outbound link in its article. */
  private record Cited(String post, PageInfo.Link link) {}

  /** A fetched source: its passages, or why there are none. */
  private record Source(List<String> passages, String error) {
    static Source failed(String why) {
      return new Source(List.of(), why);
    }
  }

  private Source source(String url) {
    Fetcher.Result r = fetcher.fetch(url, true);
    if (!r.ok()) {
      return Source.failed(r.status() == 0 ? r.error() : "answers " + r.status());
    }
    if (!r.html() || r.body() == null) {
      return Source.failed("not an HTML page (" + r.contentType() + ")");
    }
    List<String> passages = split(mainText(r.body(), r.finalUrl()));
    return passages.isEmpty() ? Source.failed("no text on the page") : new Source(passages, null);
  }

  /** The page's main text: its article or main element, without navigation and boilerplate. */
  static String mainText(byte[] html, String url) {
    Document doc = Jsoup.parse(new String(html, java.nio.charset.StandardCharsets.UTF_8), url);
    doc.select("script, style, noscript, nav, header, footer, aside, form, template").remove();
    Element main = doc.selectFirst("article");
    if (main == null) {
      main = doc.selectFirst("main, [role=main]");
    }
    if (main == null) {
      main = doc.body();
    }
    return main == null ? "" : main.text();
  }

  List<String> split(String text) {
    String[] words = text.strip().split("\\s+");
    if (words.length == 0 || words[0].isEmpty()) {
      return List.of();
    }
    int size = Math.max(8, config.passageWords());
    int step = Math.max(1, size / 2);
    List<String> out = new ArrayList<>();
    for (int from = 0; from < words.length && out.size() < config.maxPassages(); from += step) {
      int to = Math.min(words.length, from + size);
      String passage = String.join(" ", Arrays.copyOfRange(words, from, to));
      // Text without spaces (Chinese, Japanese) is one long "word": each passage is bounded.
      out.add(
          passage.length() > config.maxPassageChars()
              ? passage.substring(0, config.maxPassageChars())
              : passage);
      if (to == words.length) {
        break;
      }
    }
    return out;
  }
}
