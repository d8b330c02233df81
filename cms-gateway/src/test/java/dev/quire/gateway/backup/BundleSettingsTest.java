package dev.quire.gateway.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.quire.gateway.site.SiteSettings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BundleSettingsTest {

  private static Config with(Map<String, Object> set) {
    return ConfigFactory.parseMap(set).withFallback(ConfigFactory.load()).resolve();
  }

  /**
   * Only an address someone set goes into a bundle: the built-in default, or the one {@code quire
   * serve} makes up for a trial on another port, went into the bundle's settings and from there
   * into the {@code site.conf} of every site it was imported into, whose links then named it.
   */
  @Test
  void onlyASetBaseUrlIsCarried() {
    // (This JVM's QUIRE_BASE_URL, were it set, would count as set: CI does not set it.)
    if (System.getenv("QUIRE_BASE_URL") != null) {
      return;
    }
    Config byDefault = ConfigFactory.load();
    assertThat(SiteSettings.baseUrlSet(byDefault)).isFalse();
    assertThat(BundleSettings.of(byDefault)).doesNotContainKey("base-url").containsKey("time-zone");

    Config guessed =
        with(Map.of("quire.site.base-url", "http://localhost:18301", SiteSettings.GUESSED, true));
    assertThat(SiteSettings.baseUrlSet(guessed)).isFalse();
    assertThat(BundleSettings.of(guessed)).doesNotContainKey("base-url");

    Config set = with(Map.of("quire.site.base-url", "https://example.org"));
    assertThat(SiteSettings.baseUrlSet(set)).isTrue();
    assertThat(BundleSettings.of(set)).containsEntry("base-url", "https://example.org");
  }
}
