package dev.quire.embedding.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.embedding.Chunker;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A change of chunking embeds everything again, as a change of model does. */
class VectorIndexChunkingTest {

  @TempDir Path dir;

  static float[] unit(int dim, int hot) {
    float[] v = new float[dim];
    v[hot] = 1f;
    return v;
  }

  @Test
  void anIndexCommittedUnderAnotherChunkingStartsAgainFromSeqZero() throws Exception {
    try (VectorIndex index = new VectorIndex(dir, "m", "100-20", 100)) {
      assertThat(index.indexedSeq()).isZero();
      index.put(
          new VectorIndex.Entry(
              "id-1", "a-post", "A post", "h1", unit(8, 0), List.of("chunk"), List.of(unit(8, 1))));
      index.commit(42);
      assertThat(index.indexedSeq()).isEqualTo(42);
    }
    try (VectorIndex same = new VectorIndex(dir, "m", "100-20", 100)) {
      assertThat(same.indexedSeq()).as("same chunking: carry on").isEqualTo(42);
    }
    try (VectorIndex other = new VectorIndex(dir, "m", "160-40", 100)) {
      assertThat(other.indexedSeq()).as("other chunking: embed everything again").isZero();
      assertThat(other.hash("id-1")).as("old vectors answer until replaced").isEqualTo("h1");
    }
  }

  @Test
  void theTextHashDependsOnTheChunking() {
    String text = "The same text, cut two ways.";
    Chunker.Spans words = dev.quire.embedding.ChunkerTest::whitespaceSpans;
    assertThat(new Chunker(100, 20, words).hash("m", text))
        .isEqualTo(new Chunker(100, 20, words).hash("m", text))
        .isNotEqualTo(new Chunker(160, 40, words).hash("m", text))
        .isNotEqualTo(new Chunker(100, 20, words).hash("other-model", text));
  }
}
