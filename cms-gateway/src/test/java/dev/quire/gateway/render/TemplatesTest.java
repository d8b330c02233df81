package dev.quire.gateway.render;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compiling a site's templates ahead of its first request, with a theme that overrides one. */
class TemplatesTest {

  static final List<String> SITE = List.of("site/layout.peb", "site/home.peb", "site/post.peb");

  @Test
  void aTemplateThatDoesNotCompileIsNamedAndTheOthersStillCompile(@TempDir Path theme)
      throws Exception {
    Files.createDirectories(theme.resolve("templates/site"));
    Files.writeString(theme.resolve("templates/site/home.peb"), "{% if %}never closed");
    Templates templates = new Templates(theme, false, true, List.of());
    List<String> failed = templates.precompile(SITE);
    assertThat(failed).hasSize(1);
    assertThat(failed.get(0)).startsWith("site/home.peb: ");
    // The built-in templates the theme does not override compiled and render.
    assertThat(new Templates(null, false, true, List.of()).precompile(SITE)).isEmpty();
  }

  @Test
  void devModeCompilesNothingAhead(@TempDir Path theme) throws Exception {
    Files.createDirectories(theme.resolve("templates/site"));
    Files.writeString(theme.resolve("templates/site/home.peb"), "{% if %}never closed");
    // Nothing is cached in dev mode, so nothing is compiled ahead and nothing can fail here.
    assertThat(new Templates(theme, true, true, List.of()).precompile(SITE)).isEmpty();
  }
}
