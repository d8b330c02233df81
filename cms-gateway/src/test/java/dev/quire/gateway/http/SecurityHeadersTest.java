package dev.quire.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.junit.jupiter.api.Test;

class SecurityHeadersTest {

  private static Map<String, String> headers(String config) {
    Config c = ConfigFactory.parseString(config).withFallback(ConfigFactory.load()).resolve();
    return SecurityHeaders.of(c).stream()
        .collect(Collectors.toMap(HttpHeader::name, HttpHeader::value));
  }

  /**
   * An https site tells browsers to keep to HTTPS (a security review found none); a site on plain
   * HTTP does not, and 0 turns it off for a site trying HTTPS out.
   */
  @Test
  void anHttpsSiteSendsStrictTransportSecurity() {
    assertThat(headers("quire.site.base-url = \"https://example.org\""))
        .containsEntry("Strict-Transport-Security", "max-age=15552000")
        .containsEntry("X-Content-Type-Options", "nosniff");
    assertThat(headers("quire.site.base-url = \"HTTPS://example.org/\""))
        .containsKey("Strict-Transport-Security");
    assertThat(headers("quire.site.base-url = \"http://example.org\""))
        .doesNotContainKey("Strict-Transport-Security");
    assertThat(
            headers(
                "quire.site.base-url = \"https://example.org\"\n"
                    + "quire.gateway.http.headers.hsts-max-age = 0s"))
        .doesNotContainKey("Strict-Transport-Security");
    assertThat(
            headers(
                "quire.site.base-url = \"https://example.org\"\n"
                    + "quire.gateway.http.headers.hsts-max-age = 1d"))
        .containsEntry("Strict-Transport-Security", "max-age=86400");
    assertThatThrownBy(() -> headers("quire.gateway.http.headers.hsts-max-age = -1s"))
        .hasMessageContaining("quire.gateway.http.headers.hsts-max-age");
  }
}
