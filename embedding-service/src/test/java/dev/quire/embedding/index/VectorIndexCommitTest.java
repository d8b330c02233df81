package dev.quire.embedding.index;

import static dev.quire.embedding.index.VectorIndexChunkingTest.unit;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes between commits (a catch-up commits every commit-interval, not every page): not searched
 * until the commit, made durable with their seq by the commit or by closing the index.
 */
class VectorIndexCommitTest {

  @TempDir Path dir;

  private static VectorIndex.Entry entry(String id) {
    return new VectorIndex.Entry(
        id, id, "Title " + id, "h-" + id, unit(8, 0), List.of("chunk"), List.of(unit(8, 1)));
  }

  @Test
  void writtenPagesBecomeVisibleAtTheCommitAndSurviveAClose() throws Exception {
    try (VectorIndex index = new VectorIndex(dir, "m", "c", 100)) {
      index.put(entry("a"));
      index.commit(10);
      index.put(entry("b"));
      index.written(20);
      assertThat(index.count(false)).as("not searched before the commit").isEqualTo(1);
      assertThat(index.indexedSeq()).isEqualTo(20);
      index.put(entry("c"));
      index.written(30);
    } // closed without a commit: the close commits what was written, with its seq
    try (VectorIndex reopened = new VectorIndex(dir, "m", "c", 100)) {
      assertThat(reopened.indexedSeq()).isEqualTo(30);
      assertThat(reopened.count(false)).isEqualTo(3);
      assertThat(reopened.hash("c")).isEqualTo("h-c");
    }
  }
}
