package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The search page's live results in a real browser: Debian's chromium, headless, driven through its
 * chromedriver by Selenium. {@code .ci/run} installs both and sets {@code QUIRE_REQUIRE_BROWSER=1},
 * so in CI a missing browser fails the test; elsewhere (a machine with only a JDK and Maven, as the
 * README's test command allows) it is skipped, and says so.
 */
final class LiveSearchBrowser {

  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Duration WAIT = Duration.ofSeconds(15);

  private LiveSearchBrowser() {}

  /** Runs the checks against the demo site at {@code base} (served without the embedding role). */
  static void check(String base) {
    withBrowser(driver -> run(driver, base));
  }

  /**
   * Runs {@code checks} in a headless chromium, or skips the test when there is none (fails it when
   * {@code QUIRE_REQUIRE_BROWSER=1}).
   */
  static void withBrowser(java.util.function.Consumer<WebDriver> checks) {
    boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    if ("1".equals(System.getenv("QUIRE_REQUIRE_BROWSER"))) {
      assertThat(present)
          .as("QUIRE_REQUIRE_BROWSER=1 but %s or %s is missing", CHROMIUM, CHROMEDRIVER)
          .isTrue();
    }
    Assumptions.assumeTrue(
        present,
        "no "
            + CHROMIUM
            + " and "
            + CHROMEDRIVER
            + ": apt-get install -y chromium chromium-driver to run the browser test");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,900");
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    WebDriver driver = new ChromeDriver(service, options);
    try {
      checks.accept(driver);
    } finally {
      driver.quit();
    }
  }

  private static void run(WebDriver driver, String base) {
    JavascriptExecutor js = (JavascriptExecutor) driver;
    // The results region is replaced as a whole: a read may meet the old one just as it goes.
    var wait =
        new WebDriverWait(driver, WAIT)
            .ignoring(org.openqa.selenium.StaleElementReferenceException.class);

    // The box in every page's header sends the reader to the search page (a plain form).
    driver.get(base + "/");
    driver.findElement(By.id("site-search-q")).sendKeys("backups", Keys.ENTER);
    wait.until(
        d ->
            d.getCurrentUrl().endsWith("/search/?q=backups")
                && results(d).contains("Backups you can read"));

    // On the search page, results follow the typing without a page load: a mark set on this
    // page's window survives only if the page is never replaced.
    driver.get(base + "/search/");
    js.executeScript("window.quireStayed = true;");
    WebElement box = driver.findElement(By.id("search-q"));
    // autofocus is applied at a later rendering step than the load: wait for it.
    wait.until(d -> d.switchTo().activeElement().equals(box));
    box.sendKeys("markd");
    // An answer for "mar" or "mark" already lists the Markdown items: wait for the one for
    // "markd", which the address names once it is shown.
    wait.until(
        d ->
            d.getCurrentUrl().endsWith("/search/?q=markd")
                && results(d).contains("Markdown style guide"));
    assertThat(results(driver)).contains("Writing in Markdown without fighting it");
    assertThat(js.executeScript("return window.quireStayed === true;")).isEqualTo(true);
    // The script asked for the results alone (/search/live/), not for the whole page again; the
    // document's title follows the query.
    assertThat(
            js.executeScript(
                "return performance.getEntriesByType('resource').map(e => e.name)"
                    + ".filter(n => n.includes('/search/')).join(' ');"))
        .asString()
        .contains("/search/live/?q=markd")
        .doesNotContain("/search/?q=");
    assertThat(driver.getTitle()).startsWith("Search: markd");

    // A new query replaces the results; nothing found says so.
    box.sendKeys(Keys.chord(Keys.CONTROL, "a"), "xyzzy");
    wait.until(d -> results(d).contains("Nothing found for “xyzzy”."));
    assertThat(results(driver)).doesNotContain("Markdown style guide");

    // What the reader types is shown as text, never run as markup.
    box.sendKeys(Keys.chord(Keys.CONTROL, "a"), "<img src=x onerror=window.quireHit=1>");
    wait.until(d -> results(d).contains("<img src=x onerror=window.quireHit=1>"));
    assertThat(driver.findElements(By.cssSelector("#search-results img"))).isEmpty();
    assertThat(js.executeScript("return window.quireHit === undefined;")).isEqualTo(true);
    assertThat(js.executeScript("return window.quireStayed === true;")).isEqualTo(true);
  }

  /** The visible text of the results region, as the reader sees it now. */
  private static String results(WebDriver driver) {
    return driver.findElement(By.id("search-results")).getText();
  }
}
