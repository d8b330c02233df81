package dev.quire.embedding.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.protocol.EmbeddingQuery.Hit;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.lucene.util.VectorUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A search for the best few items finds the items an exact search finds. HNSW is approximate: a
 * Lucene search for k nearest neighbours walks each segment's graph with a beam of k, and with a
 * small k it misses close matches (on the demo site the best 3 for a query left out the item the
 * best 10 ranked first). The index collects {@code candidates} neighbours and keeps the best k.
 * Measured here against brute force over the same vectors, in an index of several segments as a
 * catch-up leaves it.
 */
class VectorIndexRecallTest {

  @TempDir Path dir;

  static final int DIM = 64;
  static final int DOCS = 3000;
  static final int QUERIES = 200;
  static final int K = 3;

  static float[] randomUnit(Random random) {
    float[] v = new float[DIM];
    double norm = 0;
    for (int i = 0; i < DIM; i++) {
      v[i] = (float) random.nextGaussian();
      norm += v[i] * v[i];
    }
    for (int i = 0; i < DIM; i++) {
      v[i] /= (float) Math.sqrt(norm);
    }
    return v;
  }

  /** Mean share of the exact best K that the index returns, over random queries. */
  double recall(Path where, int candidates) throws Exception {
    Random random = new Random(7);
    List<float[]> vectors = new ArrayList<>();
    try (VectorIndex index = new VectorIndex(where, "m", "c", candidates)) {
      for (int i = 0; i < DOCS; i++) {
        float[] v = randomUnit(random);
        vectors.add(v);
        index.put(
            new VectorIndex.Entry(
                "id-" + i, "s-" + i, "T" + i, "h", v, List.of("chunk"), List.of(v)));
        if ((i + 1) % 250 == 0) {
          index.commit(i + 1); // a segment per commit, as a catch-up's commit interval leaves
        }
      }
      index.commit(DOCS);
      double found = 0;
      for (int q = 0; q < QUERIES; q++) {
        float[] query = randomUnit(random);
        Set<String> exact = new HashSet<>();
        IntStream.range(0, DOCS)
            .boxed()
            .sorted(Comparator.comparingDouble(i -> -VectorUtil.dotProduct(query, vectors.get(i))))
            .limit(K)
            .forEach(i -> exact.add("id-" + i));
        List<Hit> hits = index.similar(query, K, null);
        assertThat(hits).hasSize(K);
        found += hits.stream().filter(h -> exact.contains(h.id())).count() / (double) K;
      }
      return found / QUERIES;
    }
  }

  @Test
  void theBestFewAreTheExactBestFew() throws Exception {
    double withCandidates = recall(dir.resolve("candidates"), 100);
    double kAlone = recall(dir.resolve("k-alone"), K);
    System.out.printf(
        "recall@%d over %d random queries, %d docs: %.3f collecting 100 candidates, %.3f with k"
            + " alone%n",
        K, QUERIES, DOCS, withCandidates, kAlone);
    // 0.982 against 0.593 when this was written (Lucene 9.12): the margin leaves room for merges
    // that build the graphs a little differently from run to run.
    assertThat(withCandidates).isGreaterThanOrEqualTo(0.95);
  }
}
