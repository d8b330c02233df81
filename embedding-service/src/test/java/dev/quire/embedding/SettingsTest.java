package dev.quire.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

/** Settings that cannot work are refused at start, naming the key and the limit. */
class SettingsTest {

  private static Config with(String overrides) {
    return ConfigFactory.parseString(overrides).withFallback(ConfigFactory.load());
  }

  @Test
  void theDefaultsLoad() {
    EmbeddingService.Settings s = EmbeddingService.Settings.fromConfig(ConfigFactory.load());
    assertThat(s.chunkTokens()).isEqualTo(160);
    assertThat(s.chunkOverlapTokens()).isEqualTo(24);
    assertThat(s.searchCandidates()).isEqualTo(100);
    assertThat(s.unloadIdleModelAfter()).isEqualTo(java.time.Duration.ofMinutes(2));
  }

  @Test
  void aNegativeIdleTimeIsRefusedAndZeroKeepsTheModel() {
    assertThatThrownBy(
            () ->
                EmbeddingService.Settings.fromConfig(
                    with("quire.embedding.unload-idle-model-after = -1s")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("quire.embedding.unload-idle-model-after: -1s is negative");
    assertThat(
            EmbeddingService.Settings.fromConfig(
                    with("quire.embedding.unload-idle-model-after = 0"))
                .unloadIdleModelAfter())
        .isZero();
  }

  @Test
  void noSearchCandidatesIsRefused() {
    assertThatThrownBy(
            () ->
                EmbeddingService.Settings.fromConfig(with("quire.embedding.search-candidates = 0")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("quire.embedding.search-candidates: 0 must be at least 1");
  }

  @Test
  void aChunkLongerThanTheModelsWindowIsRefused() {
    assertThatThrownBy(
            () -> EmbeddingService.Settings.fromConfig(with("quire.embedding.chunk-tokens = 300")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("quire.embedding.chunk-tokens: 300")
        .hasMessageContaining("254 text tokens");
  }

  @Test
  void anOverlapOfMoreThanHalfAChunkIsRefused() {
    assertThatThrownBy(
            () ->
                EmbeddingService.Settings.fromConfig(
                    with("quire.embedding.chunk-overlap-tokens = 100")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("quire.embedding.chunk-overlap-tokens: 100")
        .hasMessageContaining("(80)");
  }
}
