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
}
