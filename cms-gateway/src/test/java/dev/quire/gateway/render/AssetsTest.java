package dev.quire.gateway.render;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Theme assets: what is kept in memory, and what a request may reach. */
class AssetsTest {

  @TempDir Path theme;

  @Test
  void madeUpNamesAreNotKeptInMemory() {
    Assets assets = new Assets(null, false);
    for (int i = 0; i < 10_000; i++) {
      assertThat(assets.resolve("css/made-up-" + i + ".css")).isEmpty();
      assertThat(assets.resolve("css/site.0123456789.css-" + i + ".css")).isEmpty();
    }
    assertThat(assets.cachedCount()).isZero();
    // The real stylesheet is found, kept once, and answers under its fingerprinted name too.
    var css = assets.resolve("css/site.css").orElseThrow();
    assertThat(assets.resolve(css.asset().url().substring(Assets.PREFIX.length())))
        .hasValueSatisfying(l -> assertThat(l.fingerprinted()).isTrue());
    assertThat(assets.cachedCount()).isEqualTo(1);
  }

  @Test
  void aThemeFileOverridesTheBuiltInOneAndNothingOutsideItsFolderIsServed() throws Exception {
    Files.createDirectories(theme.resolve("assets/css"));
    Files.writeString(theme.resolve("assets/css/site.css"), "body { color: red }");
    Files.writeString(theme.resolve("secret.css"), "not an asset");
    Assets assets = new Assets(theme, false);
    assertThat(new String(assets.resolve("css/site.css").orElseThrow().asset().bytes()))
        .isEqualTo("body { color: red }");
    assertThat(assets.resolve("../secret.css")).isEmpty();
    assertThat(assets.resolve("css/../../secret.css")).isEmpty();
  }

  @Test
  void highlightJsComesFromItsWebJarAndAThemeFileOfTheSameNameWins() throws Exception {
    var hl = new Assets(null, false).resolve("js/highlight.js").orElseThrow().asset();
    String js = new String(hl.bytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(js).startsWith("/*!").contains("Highlight.js v11.").contains("highlightElement");
    assertThat(hl.contentType()).startsWith("text/javascript");
    assertThat(hl.url()).matches("/assets/js/highlight\\.[0-9a-f]{10}\\.js");
    new Assets(null, false).checkVendored(); // the build has it: the gateway starts
    // Only the names the theme takes from a WebJar: not the jar's other files.
    assertThat(new Assets(null, false).resolve("js/highlight.min.js")).isEmpty();

    Files.createDirectories(theme.resolve("assets/js"));
    Files.writeString(theme.resolve("assets/js/highlight.js"), "var hljs = null; // my build");
    assertThat(
            new String(
                new Assets(theme, false).resolve("js/highlight.js").orElseThrow().asset().bytes()))
        .isEqualTo("var hljs = null; // my build");
  }
}
