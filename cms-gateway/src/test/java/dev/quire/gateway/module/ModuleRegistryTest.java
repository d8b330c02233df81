package dev.quire.gateway.module;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ModuleRegistryTest {

  record Named(String id) implements CmsModule {}

  @Test
  void theBuiltInModulesAreDiscoveredAndEnabledInConfiguredOrder() {
    List<CmsModule> enabled = ModuleRegistry.enabled(List.of("api", "site"));
    assertThat(enabled).extracting(CmsModule::id).containsExactly("api", "site");
  }

  @Test
  void failsFastOnDuplicateIds() {
    assertThatThrownBy(
            () -> ModuleRegistry.enabled(List.of("a"), List.of(new Named("a"), new Named("a"))))
        .hasMessageContaining("two modules share the id 'a'");
  }

  @Test
  void failsFastOnUnknownOrRepeatedIds() {
    assertThatThrownBy(() -> ModuleRegistry.enabled(List.of("nope"), List.of(new Named("a"))))
        .hasMessageContaining("lists 'nope' but no such module is installed; available: [a]");
    assertThatThrownBy(() -> ModuleRegistry.enabled(List.of("a", "a"), List.of(new Named("a"))))
        .hasMessageContaining("lists 'a' twice");
  }

  @Test
  void aModuleNotListedDoesNotRun() {
    assertThat(ModuleRegistry.enabled(List.of("b"), List.of(new Named("a"), new Named("b"))))
        .extracting(CmsModule::id)
        .containsExactly("b");
  }
}
