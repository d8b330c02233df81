package dev.quire.gateway.site;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The site's address is every canonical link's, feed's and sitemap entry's start: one that is no
 * http(s) address stops the start naming it ("notaurl" went into every {@code <loc>}), while every
 * address that worked before still does.
 */
class SiteBaseUrlTest {

  private static SiteSettings with(String baseUrl) {
    return SiteSettings.fromConfig(
        ConfigFactory.parseMap(Map.of("quire.site.base-url", baseUrl))
            .withFallback(ConfigFactory.load())
            .resolve());
  }

  @Test
  void anAddressThatIsNoneIsRefusedAndEveryOtherTaken() {
    for (String fine :
        List.of(
            "https://example.org",
            "http://localhost:8080",
            "https://example.org/blog",
            "HTTPS://Example.org",
            // A compose service's name; a name outside ASCII; none (QUIRE_BASE_URL= in a compose
            // file): links relative, as before.
            "http://quire_web:8080",
            "https://b\u00fccher.example",
            "")) {
      assertThat(with(fine).baseUrl()).as(fine).isNotNull();
    }
    for (String bad : List.of("notaurl", "ftp://x", "https://example.org/?q=1", "https://", "/")) {
      assertThatThrownBy(() -> with(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("quire.site.base-url (QUIRE_BASE_URL)")
          .hasMessageContaining("'" + bad + "'");
    }
  }
}
