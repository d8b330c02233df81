package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The admin's idle timeout, on a node whose sessions end after {@value #IDLE_SECONDS} s unused:
 * over HTTP, a session in use stays open past it and an unused one ends; in chromium, the editing
 * page keeps its session open while someone types for longer than that, and says at once when it
 * has ended anyway.
 *
 * <p>The node also closes connections with no request's headers after {@value
 * #HEADER_TIMEOUT_SECONDS} s (quire.gateway.http.request-header-timeout), shorter than every pause
 * here: the sign-ins, saves and keep-alives after a pause go over a connection the server has
 * closed in the meantime, as a browser's and a client's kept-alive connections do after 60 s
 * unused. It also takes at most {@value #PER_ADDRESS} connections from one address, the loopback
 * included here (chromium opens up to six).
 */
class AdminIdleSessionTest {

  static final int IDLE_SECONDS = 4;
  static final int HEADER_TIMEOUT_SECONDS = 2;
  static final int PER_ADDRESS = 24;

  @TempDir static Path tmp;
  static QuireNode node;
  static String base;
  static String password;

  @BeforeAll
  static void start() throws Exception {
    var config =
        AdminEndToEndTest.adminNodeConfig(
            tmp.resolve("data"),
            Map.of(
                "quire.gateway.admin.session-idle-timeout",
                IDLE_SECONDS + "s",
                "quire.gateway.http.request-header-timeout",
                HEADER_TIMEOUT_SECONDS + "s",
                "quire.gateway.http.max-connections-per-address",
                String.valueOf(PER_ADDRESS),
                // The test connects from the loopback, which is not counted by default.
                "quire.gateway.http.connection-limit-exempt",
                ""));
    node =
        QuireNode.start(
            config,
            true,
            new java.io.PrintStream(java.io.OutputStream.nullOutputStream()),
            "idle-test-token-0123456789");
    base = "http://127.0.0.1:" + node.gateway().binding().localAddress().getPort();
    Path file = tmp.resolve("data/admin-password");
    EndToEndTest.await(() -> Files.exists(file), Duration.ofSeconds(20));
    EndToEndTest.await(() -> !Files.readString(file).isBlank(), Duration.ofSeconds(5));
    password = Files.readString(file).strip();
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  @Test
  void aSessionInUseOutlivesTheIdleTimeoutAndAnUnusedOneEnds() throws Exception {
    AdminForms editor = new AdminForms(base);
    assertThat(editor.signIn("admin", password).statusCode()).isEqualTo(303);
    // A request every 1.5 s for 6 s, longer than the idle timeout: still signed in.
    for (int i = 0; i < 4; i++) {
      Thread.sleep(1500);
      // The account page needs only the session (the content list also needs the read model's
      // query service, which a node just started may not have yet).
      assertThat(editor.get("/admin/account").statusCode()).as("request " + i).isEqualTo(200);
    }
    // The script's keep-alive is a use like any other, and needs the form's token.
    Thread.sleep(1500);
    var page = editor.get("/admin/content/new");
    assertThat(page.body())
        .contains("data-keepalive-ms=\"" + IDLE_SECONDS * 1000 / 12 + "\"")
        .containsPattern("<script src=\"/assets/js/admin-editor\\.[0-9a-f]{10}\\.js\" defer>");
    var alive =
        editor.post("/admin/session/keepalive", Map.of("_csrf", AdminForms.csrf(page.body())));
    assertThat(alive.statusCode()).isEqualTo(204);
    var forged = editor.post("/admin/session/keepalive", Map.of("_csrf", "forged"));
    assertThat(forged.statusCode()).isEqualTo(403);

    Thread.sleep(IDLE_SECONDS * 1000L + 500);
    var after = editor.get("/admin/account");
    assertThat(after.statusCode()).isEqualTo(303);
    assertThat(AdminForms.location(after)).contains("/admin/login").contains("expired=1");
    assertThat(
            editor
                .post("/admin/session/keepalive", Map.of("_csrf", AdminForms.csrf(page.body())))
                .statusCode())
        .as("nor does a keep-alive open it again")
        .isNotEqualTo(204);
  }

  @Test
  void aConnectionTricklingRequestHeadersIsClosedAfterTheHeaderTimeout() throws Exception {
    var uri = java.net.URI.create(base);
    try (var socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout(15_000);
      var out = socket.getOutputStream();
      long t0 = System.nanoTime();
      out.write("GET /admin/login HTTP/1.1\r\nHost: localhost\r\n".getBytes());
      out.flush();
      // A header line every 500 ms (Pekko's idle timeout, 60 s, would start again at each) until
      // the server closes the connection, which a read then sees.
      var trickle =
          new Thread(
              () -> {
                try {
                  for (int i = 0; i < 30; i++) {
                    Thread.sleep(500);
                    out.write(("X-Slow-" + i + ": y\r\n").getBytes());
                    out.flush();
                  }
                } catch (Exception closed) {
                  // The server closed it.
                }
              });
      trickle.start();
      int read;
      try {
        read = socket.getInputStream().read();
      } catch (java.net.SocketException reset) {
        read = -1;
      }
      trickle.interrupt();
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(read).as("closed without an answer").isEqualTo(-1);
      assertThat(ms).isBetween(HEADER_TIMEOUT_SECONDS * 1000L - 50, HEADER_TIMEOUT_SECONDS * 4000L);
    }
  }

  @Test
  void connectionsPastTheLimitPerAddressAreClosedAsTheyOpen() throws Exception {
    var uri = java.net.URI.create(base);
    var sockets = new java.util.ArrayList<java.net.Socket>();
    try {
      for (int i = 0; i < PER_ADDRESS + 6; i++) {
        sockets.add(new java.net.Socket(uri.getHost(), uri.getPort()));
      }
      // Well within the header timeout: a connection closed by then was refused as it opened.
      Thread.sleep(700);
      int closed = 0;
      for (var s : sockets) {
        s.setSoTimeout(5);
        try {
          if (s.getInputStream().read() == -1) {
            closed++;
          }
        } catch (java.net.SocketTimeoutException open) {
          // still open
        } catch (java.net.SocketException reset) {
          closed++;
        }
      }
      // At least the six past the limit; more if connections of the tests before are still open.
      assertThat(closed).isBetween(6, PER_ADDRESS + 6);
    } finally {
      for (var s : sockets) {
        s.close();
      }
    }
    // Once they are closed, the address is admitted again: six at once, as a browser opens them.
    Thread.sleep(500);
    var fresh = new java.util.ArrayList<java.net.Socket>();
    try {
      for (int i = 0; i < 6; i++) {
        fresh.add(new java.net.Socket(uri.getHost(), uri.getPort()));
      }
      for (var s : fresh) {
        s.setSoTimeout(10_000);
        s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes());
        s.getOutputStream().flush();
        byte[] head = s.getInputStream().readNBytes(12);
        assertThat(new String(head, java.nio.charset.StandardCharsets.US_ASCII))
            .isEqualTo("HTTP/1.1 200");
      }
    } finally {
      for (var s : fresh) {
        s.close();
      }
    }
  }

  @Test
  void theEditingPageKeepsItsSessionOpenWhileSomeoneTypes() {
    LiveSearchBrowser.withBrowser(
        driver -> {
          var wait = new WebDriverWait(driver, Duration.ofSeconds(15));
          signIn(driver, wait);

          driver.get(base + "/admin/content/new");
          driver.findElement(By.id("field-title")).sendKeys("Written slowly");
          var body = driver.findElement(By.id("field-body"));
          // A key every 0.5 s for twice the idle timeout, with no page loaded or form sent.
          long until = System.nanoTime() + Duration.ofSeconds(2L * IDLE_SECONDS).toNanos();
          while (System.nanoTime() < until) {
            body.sendKeys("a");
            sleep(500);
          }
          assertThat(driver.findElement(By.id("session-ended")).isDisplayed()).isFalse();
          driver.findElement(By.id("save")).click();
          wait.until(d -> d.getCurrentUrl().endsWith("/?done=created"));
          assertThat(driver.findElement(By.id("field-title")).getAttribute("value"))
              .as("saved, not shown back unsaved")
              .isEqualTo("Written slowly");

          // Left alone past the idle timeout, the session ends; the next keystroke says so.
          sleep(IDLE_SECONDS * 1000L + 500);
          driver.findElement(By.id("field-body")).sendKeys("b");
          wait.until(d -> d.findElement(By.id("session-ended")).isDisplayed());

          // Saved while still signed out: nothing is sent, the form stays as typed, and says so.
          String itemPage = driver.getCurrentUrl();
          driver.findElement(By.id("save")).click();
          wait.until(
              d -> d.findElement(By.id("session-ended")).getText().contains("still signed out"));
          assertThat(driver.getCurrentUrl()).isEqualTo(itemPage);
          assertThat(driver.findElement(By.id("field-body")).getAttribute("value")).endsWith("ab");

          // Signed in again in another tab, then saved here: the save takes the new session's
          // form token and goes through (it was refused as a form from an earlier session).
          String editorTab = driver.getWindowHandle();
          driver.switchTo().newWindow(org.openqa.selenium.WindowType.TAB);
          signIn(driver, wait);
          driver.close();
          driver.switchTo().window(editorTab);
          driver.findElement(By.id("save")).click();
          wait.until(d -> d.getCurrentUrl().endsWith("/?done=saved"));
          assertThat(driver.findElement(By.id("field-body")).getAttribute("value")).endsWith("ab");

          // Typed, not saved, and signed out in another tab: the sign-out forgets this browser's
          // kept drafts, and this page keeps its own again at once (it was lost with the tab).
          driver.findElement(By.id("field-body")).sendKeys("c");
          wait.until(d -> keptBody(d) != null && keptBody(d).endsWith("abc"));
          driver.switchTo().newWindow(org.openqa.selenium.WindowType.TAB);
          driver.get(base + "/admin/account");
          driver.findElement(By.id("sign-out")).click();
          wait.until(d -> d.getCurrentUrl().contains("/admin/login"));
          // The sign-in page's deferred script, which forgets them, has run by then.
          wait.until(
              d ->
                  "complete"
                      .equals(
                          ((org.openqa.selenium.JavascriptExecutor) d)
                              .executeScript("return document.readyState")));
          String signOutTab = driver.getWindowHandle();
          driver.switchTo().window(editorTab);
          wait.until(d -> keptBody(d) != null && keptBody(d).endsWith("abc"));
          driver.switchTo().window(signOutTab);
          assertThat(keptBody(driver)).as("seen from the signed-out tab too").endsWith("abc");
        });
  }

  private static void signIn(
      org.openqa.selenium.WebDriver driver, org.openqa.selenium.support.ui.WebDriverWait wait) {
    driver.get(base + "/admin/login");
    driver.findElement(By.id("username")).sendKeys("admin");
    driver.findElement(By.id("password")).sendKeys(password);
    driver.findElement(By.id("sign-in")).click();
    wait.until(d -> d.getCurrentUrl().equals(base + "/admin/content/"));
  }

  /** The body of the one draft this browser keeps, or null. */
  private static String keptBody(org.openqa.selenium.WebDriver driver) {
    return (String)
        ((org.openqa.selenium.JavascriptExecutor) driver)
            .executeScript(
                "var ks = Object.keys(window.localStorage)"
                    + ".filter(function (k) { return k.indexOf('quire-draft:') === 0; });"
                    + "return ks.length === 1"
                    + " ? JSON.parse(window.localStorage.getItem(ks[0])).fields.body : null;");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
