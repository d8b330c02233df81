package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quire embeddings reindex|status --data DIR} on a stopped site: the command starts the
 * content and embedding roles in its own process on the data directory, with the real model.
 */
class EmbeddingsLocalTest {

  @TempDir Path tmp;

  @Test
  void aStoppedSiteIsReindexedAndItsIndexReported() throws Exception {
    Path md = EndToEndTest.writeFolder(Files.createDirectories(tmp.resolve("md")));
    Path data = tmp.resolve("data");
    var imported =
        EmbeddingRoleClusterTest.runCli(
            "import", "markdown", md.toString(), "--data", data.toString());
    assertThat(imported.code()).as(imported.err()).isZero();

    var reindex =
        EmbeddingRoleClusterTest.runCli("embeddings", "reindex", "--data", data.toString());
    assertThat(reindex.code()).as(reindex.err()).isZero();
    // The folder holds three published items (two posts and a page) and a draft.
    assertThat(reindex.out()).matches("(?s)Re-embedded 3 item\\(s\\) in .*");

    var status =
        EmbeddingRoleClusterTest.runCli(
            "embeddings", "status", "--data", data.toString(), "--json");
    assertThat(status.code()).as(status.err()).isZero();
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(status.out());
    assertThat(json.get("model").asText()).isEqualTo("all-minilm-l6-v2-q");
    assertThat(json.get("documents").asLong()).isEqualTo(3);
    assertThat(json.get("chunks").asLong()).isGreaterThanOrEqualTo(3);
  }
}
