package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A setting the server cannot work with stops {@code quire serve} at start, exit 2 (which the
 * systemd unit does not restart on), with one line naming the setting and its variable. Each of
 * these was taken before: a login limit of 0 refused every sign-in (503), a response timeout that
 * was no duration failed every request that reached the routes (500) after "Quire is serving", a
 * base URL that was no address went into every canonical link, an unknown time zone stopped the
 * start with a stack trace (exit 1, restarted every 5 s), a misspelt theme directory served the
 * built-in theme without a word, and backups every millisecond ran back to back.
 */
class ServeRefusesBadSettingsTest {

  @TempDir Path data;

  @Test
  void aSettingTheServerCannotWorkWithStopsTheStartNamingIt() {
    Map<String, String[]> cases =
        Map.of(
            "quire.content.users.login-attempts",
            new String[] {"0", "quire.content.users.login-attempts must be at least 1, was 0"},
            "quire.gateway.http.response-timeout",
            new String[] {"banana", "response-timeout"},
            "quire.site.base-url",
            new String[] {"notaurl", "quire.site.base-url (QUIRE_BASE_URL) must be"},
            "quire.site.time-zone",
            new String[] {"Mars/Base", "quire.site.time-zone (QUIRE_TIME_ZONE) must be"},
            "quire.gateway.theme-dir",
            new String[] {
              data.resolve("no-such-theme").toString(), "quire.gateway.theme-dir (--theme"
            },
            "quire.gateway.backups.every",
            new String[] {"1ms", "quire.gateway.backups.every (QUIRE_BACKUP_EVERY) must be"});
    for (var c : cases.entrySet()) {
      String key = c.getKey();
      String value = c.getValue()[0];
      Refusal r =
          assertTimeoutPreemptively(
              Duration.ofSeconds(90), () -> serveWith(key, value), key + " was taken");
      assertThat(r.exit()).as(key + ": " + r.err()).isEqualTo(2);
      assertThat(r.err()).as(key).contains(c.getValue()[1]).doesNotContain("\tat ");
    }
  }

  private record Refusal(int exit, String err) {}

  /** {@code quire serve} with {@code key} set to {@code value} (a system property). */
  private Refusal serveWith(String key, String value) {
    PrintStream was = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setProperty(key, value);
    System.setProperty("quire.embedding.enabled", "false");
    com.typesafe.config.ConfigFactory.invalidateCaches();
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int exit =
          Main.run(
              "serve",
              "--data",
              data.resolve(key).toString(),
              "--port",
              "0",
              "--host",
              "127.0.0.1");
      return new Refusal(exit, err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(was);
      System.clearProperty(key);
      System.clearProperty("quire.embedding.enabled");
      com.typesafe.config.ConfigFactory.invalidateCaches();
    }
  }
}
