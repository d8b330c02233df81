package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A site tried out on another port than 8080, its address never set, links to itself: its canonical
 * URLs, feeds and sitemap named http://localhost:8080, where nothing listened.
 */
class ServeBaseUrlTest {

  @Test
  void anUnsetAddressFollowsThePortASetOneIsKept() {
    var onAnotherPort = QuireNode.config(Map.of("quire.gateway.http.port", 18501));
    assertThat(ServeCommand.localBaseUrl(onAnotherPort, null)).hasValue("http://localhost:18501");
    assertThat(ServeCommand.isDefaultBaseUrl(onAnotherPort, null)).isTrue();

    var onTheDefault = QuireNode.config(Map.of());
    assertThat(ServeCommand.localBaseUrl(onTheDefault, null)).isEmpty();
    assertThat(ServeCommand.isDefaultBaseUrl(onTheDefault, null)).as("still said").isTrue();

    var set =
        QuireNode.config(
            Map.of("quire.gateway.http.port", 18501, "quire.site.base-url", "https://ex.org"));
    assertThat(ServeCommand.localBaseUrl(set, null)).isEmpty();
    assertThat(ServeCommand.isDefaultBaseUrl(set, null)).isFalse();
    // A port set from outside the command line (as QUIRE_PORT or a system property sets it) is
    // another port all the same.
    System.setProperty("quire.gateway.http.port", "18502");
    com.typesafe.config.ConfigFactory.invalidateCaches();
    try {
      assertThat(ServeCommand.localBaseUrl(QuireNode.config(Map.of()), null))
          .hasValue("http://localhost:18502");
    } finally {
      System.clearProperty("quire.gateway.http.port");
      com.typesafe.config.ConfigFactory.invalidateCaches();
    }
    // QUIRE_BASE_URL set (to the default's very value, even) is set.
    assertThat(ServeCommand.localBaseUrl(onAnotherPort, "http://localhost:8080")).isEmpty();
  }
}
