package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The admin in a real browser (headless chromium through Selenium, see {@link LiveSearchBrowser}):
 * the first admin signs in with the password the first start wrote, writes a post in the form,
 * saves it again unchanged (the browser's own textarea handling must not change the text),
 * publishes it, finds it on the site, makes a backup, and signs out, after which the admin sends
 * the browser to sign in.
 */
final class AdminBrowser {

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final String BODY = "A first paragraph.\n\n  Indented, and *Markdown*.\n";

  private AdminBrowser() {}

  static void check(String base, Path dataDir, String apiToken) {
    LiveSearchBrowser.withBrowser(driver -> run(driver, base, dataDir, apiToken));
  }

  private static void run(WebDriver driver, String base, Path dataDir, String apiToken) {
    var wait = new WebDriverWait(driver, WAIT);
    String password;
    try {
      password = Files.readString(dataDir.resolve("admin-password")).strip();
    } catch (java.io.IOException e) {
      throw new AssertionError("the first start wrote no admin-password", e);
    }

    driver.get(base + "/admin/");
    wait.until(d -> d.getCurrentUrl().startsWith(base + "/admin/login"));
    driver.findElement(By.id("username")).sendKeys("admin");
    driver.findElement(By.id("password")).sendKeys(password);
    driver.findElement(By.id("sign-in")).click();
    wait.until(d -> d.getCurrentUrl().equals(base + "/admin/content/"));
    assertThat(driver.findElement(By.cssSelector("table.list")).getText())
        .contains("Welcome to Quire");

    // A demo post, opened and saved as it is: its date (a day in the form, an instant stored)
    // and everything else come back unchanged, so no revision is made.
    driver.findElement(By.linkText("Welcome to Quire")).click();
    wait.until(d -> d.getCurrentUrl().matches(".*/admin/content/[^/]+/$"));
    String welcome = driver.getCurrentUrl().replaceAll(".*/admin/content/([^/]+)/.*", "$1");
    String before = stored(base, welcome, apiToken);
    assertThat(driver.findElement(By.id("field-date")).getAttribute("value"))
        .matches("\\d{4}-\\d{2}-\\d{2}");
    driver.findElement(By.id("save")).click();
    wait.until(d -> d.getCurrentUrl().endsWith("/?done=saved"));
    assertThat(stored(base, welcome, apiToken)).isEqualTo(before);
    driver.get(base + "/admin/content/");

    driver.findElement(By.id("new-post")).click();
    wait.until(d -> d.getCurrentUrl().endsWith("/admin/content/new?kind=post"));
    driver.findElement(By.id("field-title")).sendKeys("Typed in a browser");
    driver.findElement(By.id("field-tags")).sendKeys("admin, browser");
    driver.findElement(By.id("field-body")).sendKeys(BODY);
    driver.findElement(By.id("save")).click();
    wait.until(d -> d.getCurrentUrl().endsWith("/?done=created"));
    String id = driver.getCurrentUrl().replaceAll(".*/admin/content/([^/]+)/.*", "$1");
    assertThat(driver.findElement(By.cssSelector("[role=status]")).getText())
        .isEqualTo("Created as a draft.");
    assertThat(stored(base, id, apiToken)).contains("\"body\":\"" + json(BODY) + "\"");

    // Saved again as the page shows it: every field comes back the same, to the byte, so the
    // entity sees no change and makes no revision (one changed byte, a newline the textarea
    // added or a date that lost its time, would have made revision 2).
    driver.findElement(By.id("save")).click();
    wait.until(d -> d.getCurrentUrl().endsWith("/?done=saved"));
    String after = stored(base, id, apiToken);
    assertThat(after).contains("\"revision\":1").contains("\"body\":\"" + json(BODY) + "\"");

    // "Preview as page" opens the typed text in the site's own page, in a new tab; nothing saved.
    String editor = driver.getWindowHandle();
    driver.findElement(By.id("field-title")).sendKeys(", previewed");
    driver.findElement(By.id("page-preview-button")).click();
    wait.until(d -> d.getWindowHandles().size() == 2);
    for (String handle : driver.getWindowHandles()) {
      if (!handle.equals(editor)) {
        driver.switchTo().window(handle);
      }
    }
    wait.until(d -> !d.findElements(By.cssSelector(".preview-banner")).isEmpty());
    assertThat(driver.findElement(By.cssSelector("h1.post__title")).getText())
        .isEqualTo("Typed in a browser, previewed");
    driver.close();
    driver.switchTo().window(editor);
    assertThat(stored(base, id, apiToken)).isEqualTo(after);
    // Opened afresh (a reload could give back the typed title), so the publish below saves nothing.
    driver.get(base + "/admin/content/" + id + "/");

    driver.findElement(By.id("publish")).click();
    wait.until(d -> d.getCurrentUrl().endsWith("/?done=publish"));
    assertThat(driver.findElement(By.id("item-status")).getText()).isEqualTo("published");
    // The site follows the read model within moments of the publish: load the page until it is
    // there (a page loaded once before that is the site's 404, and stays so).
    wait.until(
        d -> {
          d.get(base + "/posts/typed-in-a-browser/");
          return d.getTitle().contains("Typed in a browser");
        });
    assertThat(driver.findElement(By.tagName("article")).getText())
        .contains("Indented, and Markdown.");

    // Typing is kept in the browser: a tab that goes away unsaved (here a reload) offers it back.
    String itemPage = base + "/admin/content/" + id + "/";
    driver.get(itemPage);
    driver.findElement(By.id("field-body")).sendKeys("Typed, never saved.");
    wait.until(d -> keptDrafts(d) == 1);
    driver.get(itemPage);
    wait.until(d -> d.findElement(By.id("draft-notice")).isDisplayed());
    // Someone else saves a newer revision meanwhile (through the API).
    String current = stored(base, id, apiToken);
    long revision = Long.parseLong(current.replaceAll(".*\"revision\":(\\d+).*", "$1"));
    assertThat(
            api(
                base,
                apiToken,
                "PUT",
                "/api/v1/content/" + id,
                "{\"revision\": " + revision + ", \"title\": \"Typed in a browser, retitled\"}"))
        .isEqualTo(200);
    driver.findElement(By.id("draft-restore")).click();
    assertThat(driver.findElement(By.id("field-body")).getAttribute("value"))
        .endsWith("Typed, never saved.");
    // The restored text keeps the revision it was typed on: saving it is a conflict, not an
    // overwrite of the newer title.
    driver.findElement(By.id("save")).click();
    wait.until(d -> !d.findElements(By.id("conflict")).isEmpty());
    assertThat(stored(base, id, apiToken)).contains("retitled").doesNotContain("never saved");
    driver.findElement(By.id("save")).click();
    wait.until(d -> d.getCurrentUrl().endsWith("/?done=saved"));
    assertThat(stored(base, id, apiToken)).contains("Typed, never saved.");
    assertThat(keptDrafts(driver)).as("a successful save forgets it").isZero();
    // Typed after the save, then the answer page (?done=saved) reloaded: kept, and offered.
    driver.findElement(By.id("field-body")).sendKeys(" More.");
    wait.until(d -> keptDrafts(d) == 1);
    driver.navigate().refresh();
    wait.until(d -> d.findElement(By.id("draft-notice")).isDisplayed());
    driver.findElement(By.id("draft-discard")).click();
    assertThat(keptDrafts(driver)).isZero();
    driver.get(itemPage);
    assertThat(driver.findElement(By.id("draft-notice")).isDisplayed()).isFalse();

    // The site's settings, from the admin's navigation: the title shows on the site at once.
    driver.findElement(By.linkText("Settings")).click();
    wait.until(d -> d.getCurrentUrl().equals(base + "/admin/settings/"));
    assertThat(driver.findElement(By.id("setting-title")).getAttribute("placeholder"))
        .isEqualTo("Quire");
    driver.findElement(By.id("setting-title")).sendKeys("Browser <Notes>");
    driver.findElement(By.id("settings-save")).click();
    wait.until(d -> d.getCurrentUrl().endsWith("/admin/settings/?done=1"));
    assertThat(driver.findElement(By.cssSelector("p.notice")).getText()).startsWith("Saved");
    driver.get(base + "/");
    assertThat(driver.getTitle()).isEqualTo("Browser <Notes>");
    driver.get(base + "/admin/settings/");
    driver.findElement(By.id("setting-title")).clear();
    driver.findElement(By.id("settings-save")).click();
    wait.until(d -> d.getCurrentUrl().endsWith("/admin/settings/?done=1"));
    driver.get(base + "/");
    assertThat(driver.getTitle()).as("emptied: the configuration's again").isEqualTo("Quire");

    // The site's icon: one of its images, chosen from the settings' list. The browser shows it in
    // the header (the page's policy lets it load) and names it as the tab's icon.
    String icon = upload(base, apiToken, "mark.png", 48);
    driver.get(base + "/admin/settings/");
    new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("setting-icon")))
        .selectByValue(icon);
    driver.findElement(By.id("settings-save")).click();
    wait.until(d -> d.getCurrentUrl().endsWith("/admin/settings/?done=1"));
    assertThat(driver.findElement(By.id("setting-icon-preview")).getAttribute("src"))
        .isEqualTo(base + icon);
    driver.get(base + "/");
    wait.until(
        d ->
            Boolean.TRUE.equals(
                ((org.openqa.selenium.JavascriptExecutor) d)
                    .executeScript(
                        "const i = document.querySelector('.site-title__mark');"
                            + " return i.complete && i.naturalWidth === 48;")));
    assertThat(driver.findElement(By.cssSelector("link[rel=icon]")).getAttribute("href"))
        .isEqualTo(base + icon);
    driver.get(base + "/admin/settings/");
    new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("setting-icon")))
        .selectByValue("");
    driver.findElement(By.id("settings-save")).click();
    wait.until(d -> d.getCurrentUrl().endsWith("/admin/settings/?done=1"));
    driver.get(base + "/");
    assertThat(driver.findElement(By.cssSelector("link[rel=icon]")).getAttribute("href"))
        .as("the theme's again")
        .contains("/assets/favicon.");

    // A backup from the admin's navigation: the page reloads itself while it is made, until the
    // backup shows complete with a link to download it.
    driver.get(base + "/admin/content/");
    driver.findElement(By.linkText("Backups")).click();
    wait.until(d -> d.getCurrentUrl().equals(base + "/admin/backups/"));
    assertThat(driver.findElement(By.id("backup-history")).isSelected()).isTrue();
    driver.findElement(By.id("backup-start")).click();
    wait.until(
        d ->
            d.findElements(By.cssSelector("#backups .backup-state")).stream()
                .anyMatch(e -> e.getText().startsWith("complete")));
    var download = driver.findElement(By.linkText("Download"));
    assertThat(download.getAttribute("href"))
        .matches(
            java.util.regex.Pattern.quote(base)
                + "/admin/backups/quire-\\d{8}-\\d{6}(-\\d+)?\\.quire");
    assertThat(driver.findElement(By.cssSelector("#backups tbody tr")).getText())
        .contains("by admin");

    // Restored into the running site from its Restore link: nothing differs yet, so every item
    // compares unchanged. The import's page reloads itself until the import ends.
    String backupName = download.getAttribute("href").replaceAll(".*/", "");
    // The page reloads itself while the import runs: an element found just before a reload is
    // stale, or (chromium's words for the same race) "does not belong to the document".
    var importWait =
        new WebDriverWait(driver, WAIT).ignoring(org.openqa.selenium.WebDriverException.class);
    driver.findElement(By.cssSelector("a[aria-label='Restore " + backupName + "']")).click();
    wait.until(d -> d.getCurrentUrl().endsWith("/admin/backups/" + backupName + "/restore"));
    assertThat(
            driver.findElement(By.cssSelector("input[name=policy][value=overwrite]")).isSelected())
        .isTrue();
    driver.findElement(By.id("restore")).click();
    importWait.until(
        d -> "complete".equals(d.findElement(By.id("import-state")).getAttribute("data-state")));
    assertThat(driver.findElement(By.id("import-summary")).getText())
        .contains("Items unchanged")
        .contains("Items overwritten (a new revision) 0");
    // The same file chosen in the upload form: taken from the browser, imported the same way.
    driver.get(base + "/admin/backups/");
    driver
        .findElement(By.id("import-file"))
        .sendKeys(dataDir.resolve("backups").resolve(backupName).toString());
    driver.findElement(By.id("import-start")).click();
    wait.until(d -> d.getCurrentUrl().contains("/admin/backups/imports/import-"));
    importWait.until(
        d -> "complete".equals(d.findElement(By.id("import-state")).getAttribute("data-state")));
    assertThat(driver.findElement(By.tagName("main")).getText()).contains("upload " + backupName);
    // A file larger than the site takes is refused in the page, before a byte is sent: a sparse
    // file of 3 GiB against the default 2 GiB (quire.gateway.imports.max-bytes).
    java.nio.file.Path huge;
    try {
      huge = Files.createTempFile("quire-huge", ".quire");
      try (var f = new java.io.RandomAccessFile(huge.toFile(), "rw")) {
        f.setLength(3L << 30);
      }
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    try {
      driver.get(base + "/admin/backups/");
      assertThat(driver.findElement(By.id("import-start")).isEnabled()).isTrue();
      driver.findElement(By.id("import-file")).sendKeys(huge.toString());
      wait.until(
          d ->
              d.findElement(By.id("import-file-status"))
                  .getText()
                  .contains("this site takes bundles of at most"));
      assertThat(driver.findElement(By.id("import-start")).isEnabled()).isFalse();
    } finally {
      try {
        Files.deleteIfExists(huge);
      } catch (java.io.IOException e) {
        // a temporary file: the system's to clean
      }
    }

    // A box to tick sits before its words, on their line (it once stood alone, centred in a
    // text box's width, above them).
    driver.get(base + "/admin/audits/");
    var box = driver.findElement(By.id("audit-citations")).getRect();
    var label = driver.findElement(By.cssSelector("label.inline-check")).getRect();
    assertThat(box.getWidth()).isLessThan(40);
    assertThat(box.getX() - label.getX()).isLessThan(10);
    assertThat(label.getHeight()).isLessThan(40);
    // Inputs in a row's form keep their own width; the Find box is wide enough for its hint.
    driver.get(base + "/admin/users/");
    assertThat(
            driver
                .findElement(By.cssSelector("form.inline input[name=password]"))
                .getRect()
                .getWidth())
        .isLessThan(300);
    driver.get(base + "/admin/content/");
    assertThat(driver.findElement(By.id("find-q")).getRect().getWidth()).isBetween(260, 320);
    driver.get(itemPage);

    // A file chosen under the body is uploaded and its Markdown written at the cursor, the cursor
    // left between the image's brackets for its alt text; saved, the item shows the image.
    java.nio.file.Path png;
    try {
      png = Files.createTempFile("quire-browser", ".png");
      Files.write(png, pngBytes(4));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    var body = driver.findElement(By.id("field-body"));
    ((org.openqa.selenium.JavascriptExecutor) driver)
        .executeScript("arguments[0].setSelectionRange(0, 0);", body);
    driver.findElement(By.id("body-file")).sendKeys(png.toString());
    wait.until(d -> body.getAttribute("value").startsWith("![](/media/"));
    assertThat(driver.findElement(By.id("body-file-status")).getText()).startsWith("Inserted ");
    Object cursor =
        ((org.openqa.selenium.JavascriptExecutor) driver)
            .executeScript("return arguments[0].selectionStart;", body);
    assertThat(((Number) cursor).intValue()).isEqualTo(2);
    body.sendKeys("a grey square");
    assertThat(body.getAttribute("value")).startsWith("![a grey square](/media/");
    // A file pasted into the body (as a screenshot is): the same, at the cursor, here the end.
    ((org.openqa.selenium.JavascriptExecutor) driver)
        .executeScript(
            "var t = arguments[0]; t.setSelectionRange(t.value.length, t.value.length);"
                + " var bytes = Uint8Array.from(atob(arguments[1]), function (c) {"
                + " return c.charCodeAt(0); });"
                + " var dt = new DataTransfer();"
                + " dt.items.add(new File([bytes], 'pasted.png', {type: 'image/png'}));"
                + " t.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt,"
                + " bubbles: true, cancelable: true}));",
            body,
            java.util.Base64.getEncoder().encodeToString(pngBytes(2)));
    wait.until(
        d ->
            body.getAttribute("value")
                .matches("(?s).*!\\[\\]\\(/media/[0-9a-f]{64}/pasted\\.png\\)$"));
    // Two files chosen at once: each its own paragraph, one after the other (they went in each
    // inside the one before's brackets, three deep for three files).
    java.nio.file.Path[] two = new java.nio.file.Path[2];
    try {
      for (int i = 0; i < 2; i++) {
        two[i] = Files.createTempFile("quire-two-" + i + "-", ".png");
        Files.write(two[i], pngBytes(5 + i));
      }
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    driver.findElement(By.id("body-file")).sendKeys(two[0] + "\n" + two[1]);
    String image = "!\\[\\]\\(/media/[0-9a-f]{64}/[A-Za-z0-9._-]+\\.png\\)";
    wait.until(
        d ->
            body.getAttribute("value")
                .matches("(?s).*pasted\\.png\\)\n\n" + image + "\n\n" + image + "$"));
    assertThat(body.getAttribute("value")).contains("quire-two-0-").contains("quire-two-1-");
    driver.findElement(By.id("save")).click();
    wait.until(d -> d.getCurrentUrl().endsWith("/?done=saved"));
    assertThat(stored(base, id, apiToken)).contains("![a grey square](/media/");
    driver.get(itemPage);

    // An API token of one's own, from the account page: shown once, it acts for its maker;
    // revoked from the same page, it stops working.
    driver.get(base + "/admin/account");
    driver.findElement(By.id("api-tokens-link")).click();
    wait.until(d -> d.getCurrentUrl().equals(base + "/admin/account/tokens"));
    assertThat(driver.findElement(By.id("no-tokens")).getText()).contains("no API tokens");
    driver.findElement(By.id("token-name")).sendKeys("Browser <script>");
    driver.findElement(By.id("token-current-password")).sendKeys("not the password");
    driver.findElement(By.id("make-token-button")).click();
    wait.until(d -> !d.findElements(By.cssSelector(".field-error")).isEmpty());
    assertThat(driver.findElement(By.cssSelector(".field-error")).getText())
        .isEqualTo("is not your current password");
    assertThat(driver.findElements(By.id("new-token"))).isEmpty();
    driver.findElement(By.id("token-name")).clear();
    driver.findElement(By.id("token-name")).sendKeys("Browser <script>");
    driver.findElement(By.id("token-current-password")).sendKeys(password);
    driver.findElement(By.id("make-token-button")).click();
    wait.until(d -> !d.findElements(By.id("new-token")).isEmpty());
    String token = driver.findElement(By.id("new-token")).getAttribute("value");
    assertThat(token).matches("quire_[0-9a-f]{16}_[A-Za-z0-9_-]{43}");
    assertThat(driver.findElement(By.id("tokens")).getText()).contains("Browser <script>");
    java.time.Instant expires =
        java.time.Instant.parse(
            driver
                .findElement(By.cssSelector("#tokens .token-expires time"))
                .getAttribute("datetime"));
    assertThat(expires)
        .as("the default life, 90 days")
        .isBetween(
            java.time.Instant.now().plus(Duration.ofDays(89)),
            java.time.Instant.now().plus(Duration.ofDays(91)));
    assertThat(api(base, token, "GET", "/api/v1/me", "")).isEqualTo(200);
    driver.get(base + "/admin/account/tokens");
    assertThat(driver.findElements(By.id("new-token"))).as("shown once").isEmpty();
    assertThat(driver.getPageSource()).doesNotContain(token.substring(24));
    driver.findElement(By.cssSelector("#tokens button.danger")).click();
    wait.until(d -> d.getCurrentUrl().endsWith("/admin/account/tokens?done=revoked"));
    assertThat(driver.findElement(By.id("no-tokens")).isDisplayed()).isTrue();
    assertThat(api(base, token, "GET", "/api/v1/me", "")).isEqualTo(401);
    driver.get(itemPage);

    // Signing out forgets what this browser kept.
    driver.findElement(By.id("field-description")).sendKeys("left unsaved");
    wait.until(d -> keptDrafts(d) == 1);
    // A link to the signed-out page (from anywhere) is not a sign-out: nothing is forgotten.
    driver.get(base + "/admin/login?done=out");
    assertThat(driver.getPageSource()).contains("You are signed out.");
    assertThat(keptDrafts(driver)).isEqualTo(1);
    driver.get(base + "/admin/content/");
    driver.findElement(By.id("sign-out")).click();
    wait.until(d -> d.getCurrentUrl().endsWith("/admin/login?done=out"));
    assertThat(driver.getPageSource()).contains("You are signed out.");
    wait.until(d -> keptDrafts(d) == 0);
    driver.get(base + "/admin/content/");
    wait.until(d -> d.getCurrentUrl().startsWith(base + "/admin/login"));
  }

  /** How many drafts the editing page's script keeps in this browser's localStorage. */
  private static long keptDrafts(WebDriver driver) {
    Object n =
        ((org.openqa.selenium.JavascriptExecutor) driver)
            .executeScript(
                "return Object.keys(window.localStorage)"
                    + ".filter(function (k) { return k.indexOf('quire-draft:') === 0; }).length;");
    return ((Number) n).longValue();
  }

  private static int api(String base, String token, String method, String path, String json) {
    try {
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create(base + path))
                  .header("Authorization", "Bearer " + token)
                  .header("Content-Type", "application/json")
                  .method(method, HttpRequest.BodyPublishers.ofString(json))
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .statusCode();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Uploads a square PNG of {@code size} pixels through the API; answers the file's address. */
  private static String upload(String base, String token, String name, int size) {
    try {
      var r = EndToEndTest.upload(base, token, AdminEndToEndTest.pngBytes(size), "image/png", name);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
      return new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(r.body())
          .get("url")
          .asText();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static String stored(String base, String id, String token) {
    try {
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create(base + "/api/v1/content/" + id))
                  .header("Authorization", "Bearer " + token)
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static String json(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  /** A grey square PNG, {@code size} pixels a side. */
  static byte[] pngBytes(int size) {
    var image =
        new java.awt.image.BufferedImage(size, size, java.awt.image.BufferedImage.TYPE_INT_RGB);
    var out = new java.io.ByteArrayOutputStream();
    try {
      javax.imageio.ImageIO.write(image, "png", out);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
