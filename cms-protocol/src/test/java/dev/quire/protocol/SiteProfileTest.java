package dev.quire.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SiteProfileTest {

  static SiteProfile language(String tag) {
    return new SiteProfile(null, null, null, tag, null, null);
  }

  @Test
  void theLanguageIsATagWhoseLanguageIsTwoOrThreeLetters() {
    for (String ok : new String[] {"en", "pt-BR", "zh-Hant", "haw", "sr-Latn-RS"}) {
      assertThat(language(ok).problem()).as(ok).isEmpty();
    }
    // "english" once became <html lang="english">.
    for (String bad : new String[] {"english", "e", "en-", "français"}) {
      assertThat(language(bad).problem())
          .as(bad)
          .hasValueSatisfying(p -> assertThat(p.field()).isEqualTo("language"));
    }
  }

  static SiteProfile icon(String url) {
    return new SiteProfile(null, null, null, null, null, null, null, url);
  }

  @Test
  void theIconIsAMediaFilesAddressAndTravelsWithTheOtherSettings() {
    String sha = "ab".repeat(32);
    String url = "/media/" + sha + "/logo.png";
    assertThat(icon(url).problem()).isEmpty();
    assertThat(icon(url).iconSha()).hasValue(sha);
    assertThat(icon("  ").icon()).as("blank: not set").isNull();
    assertThat(icon(null).iconSha()).isEmpty();
    // Another host (a page would load it from there), a path off the media, traversal, a
    // hash of the wrong length, a query: each refused, naming the field.
    for (String bad :
        new String[] {
          "https://elsewhere.example/logo.png",
          "//elsewhere.example/media/" + sha + "/logo.png",
          "/assets/favicon.svg",
          "/media/" + sha + "/../../api-token",
          "/media/" + sha.substring(2) + "/logo.png",
          "/media/" + sha + "/logo.png?x=1",
          "/media/" + sha + "/" + "a".repeat(101)
        }) {
      assertThat(icon(bad).problem())
          .as(bad)
          .hasValueSatisfying(
              p -> {
                assertThat(p.field()).isEqualTo("icon");
                assertThat(p.message()).contains("/media/<sha256>/<name>");
              });
    }
    // A bundle or a form holds it by its setting's name, as the other settings.
    SiteProfile full = new SiteProfile("T", null, null, "en", 3, 4, "about", url);
    assertThat(full.asSettings()).containsEntry("icon", url);
    assertThat(SiteProfile.fromSettings(full.asSettings())).isEqualTo(full);
    assertThat(SiteProfile.KEYS).contains("icon");
    // Profiles written before there was an icon have none.
    assertThat(new SiteProfile("T", null, null, "en", 3, 4).icon()).isNull();
  }
}
