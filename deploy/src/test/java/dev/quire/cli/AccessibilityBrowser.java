package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.deque.html.axecore.args.AxeRunOnlyOptions;
import com.deque.html.axecore.args.AxeRunOptions;
import com.deque.html.axecore.results.CheckedNode;
import com.deque.html.axecore.results.Results;
import com.deque.html.axecore.results.Rule;
import com.deque.html.axecore.selenium.AxeBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chromium.HasCdp;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The site and the admin checked by axe-core (Deque's rules engine, the one browsers' own audits
 * build on) in a real browser ({@link LiveSearchBrowser}): every address the sitemap lists but its
 * tags' pages past the first three (which differ from them in their posts alone), the site's other
 * pages (tag and author indexes, search results, the second page of the blog, a 404), and each
 * admin page signed in (and its sign-in page signed out), against the rules for WCAG 2.2 A and AA
 * and axe's best practices. Each page is checked in the light and the dark colour scheme at a
 * desktop width, and again at a phone's width (light), where tables and code scroll sideways. Any
 * violation fails the test, naming the page, the scheme and width, the rule and the elements; so
 * does a {@code <time>} whose {@code datetime} HTML does not take, and a page wider than the
 * window.
 *
 * <p>axe finds what a program can (names, contrast, landmarks, focusable scrolling boxes, labels);
 * what it cannot judge (whether alt text describes the image, reading order that makes sense) is
 * left to people.
 */
final class AccessibilityBrowser {

  static final List<String> RULES =
      List.of("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice");

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final Dimension DESKTOP = new Dimension(1200, 900);
  private static final Dimension PHONE = new Dimension(390, 844);
  private static final int TAG_PAGES = 3;

  /**
   * The forms of HTML's datetime the pages use, as the standard writes them: a year, month or day;
   * a local date and time; or one with its zone. A second has at most three digits.
   */
  private static final Pattern DATETIME =
      Pattern.compile(
          "\\d{4}(-\\d{2}(-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?"
              + "(Z|[+-]\\d{2}:?\\d{2})?)?)?)?");

  private static final Pattern LOC = Pattern.compile("<loc>https?://[^/<]+(/[^<]*)</loc>");

  private AccessibilityBrowser() {}

  /**
   * Checks the site at {@code base}, and its admin signed in as {@code admin} with the password the
   * first start wrote under {@code dataDir}.
   */
  static void check(String base, Path dataDir) {
    LiveSearchBrowser.withBrowser(driver -> run(driver, base, dataDir));
  }

  private static void run(WebDriver driver, String base, Path dataDir) {
    List<String> problems = new ArrayList<>();
    List<String> site = sitePages(base);
    assertThat(site).as("the sitemap's addresses").hasSizeGreaterThan(15);

    for (String scheme : List.of("light", "dark")) {
      colours(driver, scheme);
      driver.manage().window().setSize(DESKTOP);
      for (String path : site) {
        check(driver, base, path, scheme + ", desktop", problems);
      }
      check(driver, base, "/admin/login", scheme + ", desktop", problems);
    }
    colours(driver, "light");
    driver.manage().window().setSize(PHONE);
    for (String path : site) {
      check(driver, base, path, "light, phone", problems);
    }

    driver.manage().window().setSize(DESKTOP);
    signIn(driver, base, dataDir);
    List<String> admin = adminPages(driver, base);
    for (String scheme : List.of("light", "dark")) {
      colours(driver, scheme);
      for (String path : admin) {
        check(driver, base, path, scheme + ", desktop", problems);
      }
      // A form sent with a mistake: the page that names it, its field marked.
      driver.get(base + "/admin/content/new?kind=post");
      driver.findElement(By.id("save")).click();
      new WebDriverWait(driver, WAIT)
          .until(d -> !d.findElements(By.cssSelector("[aria-invalid=true]")).isEmpty());
      analyze(driver, "a new post saved without a title (" + scheme + ", desktop)", problems);
    }
    colours(driver, "light");
    driver.manage().window().setSize(PHONE);
    for (String path : admin) {
      check(driver, base, path, "light, phone", problems);
    }

    assertThat(problems).as("axe-core's findings (rules %s)", RULES).isEmpty();
  }

  /** Every address in the sitemap, and the site's pages it does not list. */
  private static List<String> sitePages(String base) {
    Set<String> paths = new LinkedHashSet<>();
    Matcher m = LOC.matcher(get(base, "/sitemap.xml"));
    int tags = 0;
    while (m.find()) {
      // Tag pages differ only in their posts: the first few stand for the rest.
      if (!m.group(1).startsWith("/tags/") || tags++ < TAG_PAGES) {
        paths.add(m.group(1));
      }
    }
    paths.addAll(
        List.of("/tags/", "/authors/", "/search/?q=backups", "/blog/page/2/", "/no-such-page/"));
    return List.copyOf(paths);
  }

  /** The admin's pages, an item's editor, history and changes among them. */
  private static List<String> adminPages(WebDriver driver, String base) {
    driver.get(base + "/admin/content/");
    driver.findElement(By.linkText("Welcome to Quire")).click();
    new WebDriverWait(driver, WAIT)
        .until(d -> d.getCurrentUrl().matches(".*/admin/content/[^/?]+/$"));
    String item = driver.getCurrentUrl().substring(base.length());
    return List.of(
        "/admin/content/",
        "/admin/content/?status=draft",
        "/admin/content/new?kind=post",
        "/admin/content/new?kind=page",
        item,
        item + "history",
        item + "diff?from=1",
        "/admin/media/",
        "/admin/menus/",
        "/admin/redirects/",
        "/admin/users/",
        "/admin/settings/",
        "/admin/backups/",
        "/admin/audits/",
        "/admin/account",
        "/admin/account/tokens");
  }

  private static void signIn(WebDriver driver, String base, Path dataDir) {
    String password;
    try {
      password = Files.readString(dataDir.resolve("admin-password")).strip();
    } catch (java.io.IOException e) {
      throw new AssertionError("the first start wrote no admin-password", e);
    }
    driver.get(base + "/admin/login");
    driver.findElement(By.id("username")).sendKeys("admin");
    driver.findElement(By.id("password")).sendKeys(password);
    driver.findElement(By.id("sign-in")).click();
    new WebDriverWait(driver, WAIT).until(d -> d.getCurrentUrl().equals(base + "/admin/content/"));
  }

  /** Loads {@code path} and checks it; a page that is not there is a finding of its own. */
  private static void check(
      WebDriver driver, String base, String path, String how, List<String> problems) {
    driver.get(base + path);
    String title = driver.getTitle();
    boolean missing =
        title.isEmpty() || title.toLowerCase(java.util.Locale.ROOT).contains("not found");
    if (missing != path.equals("/no-such-page/")) {
      problems.add(path + " (" + how + "): unexpected page '" + title + "'");
      return;
    }
    // Not axe's either: at a phone's width nothing pushes the page sideways (tables and code
    // scroll in their own boxes); the admin's menu and its tables once did.
    long wider =
        ((Number)
                ((org.openqa.selenium.JavascriptExecutor) driver)
                    .executeScript(
                        "return document.documentElement.scrollWidth"
                            + " - document.documentElement.clientWidth;"))
            .longValue();
    if (wider > 0) {
      problems.add(path + " (" + how + "): the page is " + wider + " px wider than the window");
    }
    analyze(driver, path + " (" + how + ")", problems);
  }

  private static void analyze(WebDriver driver, String where, List<String> problems) {
    // Not axe's, but read by machines as the page's own: a <time>'s datetime as HTML defines it
    // (a second has at most three digits; Instant.toString() writes nine).
    for (var time : driver.findElements(By.cssSelector("time[datetime]"))) {
      String at = time.getAttribute("datetime");
      if (!DATETIME.matcher(at).matches()) {
        problems.add(where + ": <time datetime=\"" + at + "\"> is not a date or time HTML takes");
      }
    }
    Results results = axe().analyze(driver);
    if (results.isErrored()) {
      problems.add(where + ": axe failed: " + results.getErrorMessage());
      return;
    }
    for (Rule rule : results.getViolations()) {
      List<String> nodes = new ArrayList<>();
      for (CheckedNode node : rule.getNodes()) {
        nodes.add(node.getTarget() + ": " + node.getFailureSummary().replace('\n', ' '));
      }
      problems.add(
          where
              + ": "
              + rule.getId()
              + " ["
              + rule.getImpact()
              + "] "
              + rule.getHelp()
              + " "
              + nodes);
    }
  }

  /**
   * axe run as one script in the page (its "legacy" mode: the pages have no frames, and the default
   * opens a blank window per page to gather the frames' results, ~3 times slower), reporting only
   * the violations in full.
   */
  private static AxeBuilder axe() {
    AxeRunOnlyOptions only = new AxeRunOnlyOptions();
    only.setType("tag");
    only.setValues(RULES);
    AxeRunOptions options = new AxeRunOptions();
    options.setRunOnly(only);
    options.setResultTypes(List.of("violations"));
    return new AxeBuilder().withOptions(options).disableIframeTesting().setLegacyMode(true);
  }

  /** Pages as a reader who set their system to {@code scheme} ("light", "dark") sees them. */
  private static void colours(WebDriver driver, String scheme) {
    ((HasCdp) driver)
        .executeCdpCommand(
            "Emulation.setEmulatedMedia",
            Map.of("features", List.of(Map.of("name", "prefers-color-scheme", "value", scheme))));
  }

  private static String get(String base, String path) {
    try {
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(base + path)).timeout(WAIT).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(path).isEqualTo(200);
      return r.body();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
