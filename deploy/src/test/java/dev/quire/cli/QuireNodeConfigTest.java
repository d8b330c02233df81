package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's configuration as the quire command assembles it. */
class QuireNodeConfigTest {

  @TempDir static Path dataDir;

  static Config config(Map<String, Object> overrides) throws Exception {
    Map<String, Object> all = new HashMap<>(overrides);
    all.put("quire.data-dir", dataDir.toString());
    return QuireNode.config(all);
  }

  @Test
  void theJournalHasOneWriterOnH2AndTheLibrarysDefaultElsewhere() throws Exception {
    assertThat(config(Map.of()).getInt("jdbc-journal.parallelism")).isEqualTo(1);
    Config postgres = config(Map.of("quire.db.url", "jdbc:postgresql://127.0.0.1:5432/quire"));
    assertThat(postgres.getInt("jdbc-journal.parallelism")).isEqualTo(8);
    Config set = config(Map.of("quire.db.journal-write-parallelism", "4"));
    assertThat(set.getInt("jdbc-journal.parallelism")).isEqualTo(4);
  }

  @Test
  void entitiesSpreadOverAHundredShardsAndEveryJoinerMustAgree() throws Exception {
    assertThat(config(Map.of()).getInt("pekko.cluster.sharding.number-of-shards")).isEqualTo(100);
    Config set = config(Map.of("pekko.cluster.sharding.number-of-shards", "1000"));
    assertThat(set.getInt("pekko.cluster.sharding.number-of-shards")).isEqualTo(1000);
    // Pekko's join check that refuses a node with another number (changing it means a full stop).
    assertThat(
            config(Map.of())
                .getString(
                    "pekko.cluster.configuration-compatibility-check.checkers"
                        + ".pekko-cluster-sharding-hash-extractor"))
        .endsWith("JoinConfigCompatCheckerClusterSharding");
    assertThat(
            config(Map.of())
                .getBoolean("pekko.cluster.configuration-compatibility-check.enforce-on-join"))
        .isTrue();
  }

  @Test
  void aBadNumberOfShardsNamesTheSettingAndTheValue() {
    for (String bad : new String[] {"0", "many", "-2"}) {
      assertThatThrownBy(() -> config(Map.of("pekko.cluster.sharding.number-of-shards", bad)))
          .hasMessageContaining("pekko.cluster.sharding.number-of-shards")
          .hasMessageContaining("\"" + bad + "\"");
    }
  }

  @Test
  void aBadParallelismNamesTheSettingAndTheValue() {
    for (String bad : new String[] {"0", "many", "-2"}) {
      assertThatThrownBy(() -> config(Map.of("quire.db.journal-write-parallelism", bad)))
          .hasMessageContaining("quire.db.journal-write-parallelism")
          .hasMessageContaining("\"" + bad + "\"");
    }
  }

  @Test
  void theDataDirectoryIsMadeAbsolute() throws Exception {
    Config c = QuireNode.config(Map.of("quire.data-dir", "relative/dir"));
    assertThat(Path.of(c.getString("quire.data-dir")).isAbsolute()).isTrue();
    assertThat(c.getString("quire.db.url")).contains(c.getString("quire.data-dir"));
  }

  @Test
  void aCommandsNodeAloneSkipsLeavingTheClusterAndOneWithCompanyDoesNot() throws Exception {
    String leave = "pekko.coordinated-shutdown.phases.cluster-leave.enabled";
    String exiting = "pekko.coordinated-shutdown.phases.cluster-exiting.enabled";
    String regions = "pekko.coordinated-shutdown.phases.cluster-sharding-shutdown-region.enabled";
    Config alone = QuireNode.aloneAtShutdown(config(Map.of()));
    assertThat(alone.getBoolean(leave)).isFalse();
    assertThat(alone.getBoolean(exiting)).isFalse();
    assertThat(alone.hasPath(regions))
        .as("the projection stops with the shard regions, before the pools close: left on")
        .isFalse();
    Config seeded =
        QuireNode.aloneAtShutdown(config(Map.of("quire.cluster.seed-nodes", "127.0.0.1:25520")));
    assertThat(seeded.hasPath(leave)).isFalse();
    assertThat(seeded.hasPath(exiting)).isFalse();
    Config bootstrap = QuireNode.aloneAtShutdown(config(Map.of("quire.cluster.join", "bootstrap")));
    assertThat(bootstrap.hasPath(leave)).isFalse();
  }
}
