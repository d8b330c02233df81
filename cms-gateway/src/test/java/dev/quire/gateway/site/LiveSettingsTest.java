package dev.quire.gateway.site;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.protocol.SiteProfile;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LiveSettingsTest {

  static final SiteSettings CONFIGURED =
      new SiteSettings("Quire", "A site.", "https://example.org", "en", "", 10, 10, "", "");

  @Test
  void theEditorsProfileGoesOverTheConfigurationExceptWhatTheEnvironmentSets() {
    assertThat(SiteSettings.pinned(Map.of("QUIRE_SITE_TITLE", "Ops title")::get))
        .containsExactly("title");
    assertThat(SiteSettings.pinned(Map.of("QUIRE_SITE_LANGUAGE", "de")::get))
        .containsExactly("language");
    LiveSettings live = new LiveSettings(CONFIGURED, Set.of("title"));
    assertThat(live.known()).isNotDone();
    assertThat(live.get()).isEqualTo(CONFIGURED);
    AtomicInteger changes = new AtomicInteger();
    live.onChange(changes::incrementAndGet);

    live.install(1, new SiteProfile("Editors' title", "Theirs.", null, "de", null, 3));
    assertThat(live.known()).isDone();
    assertThat(live.get())
        .isEqualTo(
            new SiteSettings("Quire", "Theirs.", "https://example.org", "de", "", 10, 3, "", ""));
    assertThat(changes).hasValue(1);

    // The same again, or a change only to what the environment pins: nothing shows differently.
    live.install(2, new SiteProfile("Editors' title", "Theirs.", null, "de", null, 3));
    live.install(3, new SiteProfile("Another title", "Theirs.", null, "de", null, 3));
    assertThat(changes).hasValue(1);
    assertThat(live.profile().title()).isEqualTo("Another title");
    // An older answer arriving late (two reads crossed) is not shown over a newer one.
    live.install(2, new SiteProfile("Stale", "Older.", null, "de", null, 3));
    assertThat(live.get().description()).isEqualTo("Theirs.");
    assertThat(changes).hasValue(1);

    live.install(4, SiteProfile.NONE);
    assertThat(live.get()).isEqualTo(CONFIGURED);
    assertThat(changes).hasValue(2);
  }

  @Test
  void aProfileIsCheckedNamingTheSettingAndReadFromSettingsByName() {
    SiteProfile p =
        SiteProfile.fromSettings(Map.of("title", " Notes ", "page-size", "20", "author", ""));
    assertThat(p).isEqualTo(new SiteProfile("Notes", null, null, null, null, 20));
    assertThat(p.asSettings())
        .containsExactly(Map.entry("title", "Notes"), Map.entry("page-size", "20"));
    assertThat(new SiteProfile(null, null, null, "pt-BR", null, null).problem()).isEmpty();
    assertThat(
            new SiteProfile(null, "Notes\r\n  from the field.\n", null, null, null, null)
                .description())
        .as("one line, for meta tags and feeds")
        .isEqualTo("Notes from the field.");
    assertThat(new SiteProfile(null, null, null, "en_US", null, null).language())
        .as("a locale's spelling is the tag")
        .isEqualTo("en-US");
    assertThat(new SiteProfile(null, null, null, "<script>", null, null).problem())
        .hasValueSatisfying(e -> assertThat(e.field()).isEqualTo("language"));
    assertThat(new SiteProfile(null, null, "a\nb", null, null, null).problem())
        .hasValueSatisfying(e -> assertThat(e.field()).isEqualTo("author"));
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> SiteProfile.fromSettings(Map.of("home-posts", "ten")))
        .hasMessage("home-posts: 'ten' is not a whole number");
  }

  @Test
  void theConfiguredLanguageIsReadAsATagAndOneThatIsNotIsNamed() {
    var localeSpelling =
        com.typesafe.config.ConfigFactory.parseString("quire.site.language = en_US")
            .withFallback(com.typesafe.config.ConfigFactory.load());
    assertThat(SiteSettings.fromConfig(localeSpelling).language()).isEqualTo("en-US");
    var bad =
        com.typesafe.config.ConfigFactory.parseString("quire.site.language = \"english please\"")
            .withFallback(com.typesafe.config.ConfigFactory.load());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> SiteSettings.fromConfig(bad))
        .hasMessageContaining("QUIRE_SITE_LANGUAGE")
        .hasMessageContaining("'english please'");
  }

  @Test
  void aHomePageIsASlugByNameHomePageAndFallsBackToTheConfiguration() {
    SiteProfile p = SiteProfile.fromSettings(Map.of("home-page", " about-us ", "title", "Notes"));
    assertThat(p.homePage()).isEqualTo("about-us");
    assertThat(p.asSettings()).containsEntry("home-page", "about-us");
    assertThat(p.problem()).isEmpty();
    assertThat(SiteProfile.fromSettings(Map.of("home-page", "  ")).homePage())
        .as("blank is not set: the latest posts")
        .isNull();
    assertThat(CONFIGURED.with(p, Set.of()).homePage()).isEqualTo("about-us");
    assertThat(CONFIGURED.with(p, Set.of()).hasHomePage()).isTrue();
    assertThat(CONFIGURED.with(SiteProfile.NONE, Set.of()).hasHomePage()).isFalse();
    assertThat(CONFIGURED.with(p, Set.of()).profileSettings())
        .containsEntry("home-page", "about-us");
    for (String bad : new String[] {"About", "../admin", "a--b", "x".repeat(201), "/about/"}) {
      assertThat(SiteProfile.fromSettings(Map.of("home-page", bad)).problem())
          .as(bad)
          .hasValueSatisfying(
              e -> {
                assertThat(e.field()).isEqualTo("home-page");
                assertThat(e.message()).contains("slug of a page");
              });
    }
    // Profiles stored before there was a home page: the six-setting form has none.
    assertThat(new SiteProfile("T", null, null, null, null, null).homePage()).isNull();
  }
}
