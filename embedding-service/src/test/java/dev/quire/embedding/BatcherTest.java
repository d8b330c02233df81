package dev.quire.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quire.embedding.model.Embedder;
import dev.quire.embedding.model.ModelSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batcher with the real model: requests of any size come back with their own vectors in order,
 * and batches are filled (a request is cut to fill one) rather than run part empty.
 */
class BatcherTest {

  @TempDir static Path dir;
  static Embedder embedder;
  static final ActorTestKit testKit = ActorTestKit.create();
  static final ExecutorService pool = Executors.newFixedThreadPool(2);

  @BeforeAll
  static void load() throws Exception {
    embedder = Embedder.load(ModelSpec.MINILM_L6_V2_Q, dir, 1);
  }

  @AfterAll
  static void close() throws Exception {
    testKit.shutdownTestKit();
    pool.shutdown();
    pool.awaitTermination(10, TimeUnit.SECONDS);
    embedder.close();
  }

  static final String[] SUBJECTS = {
    "The baker",
    "A mountain guide",
    "The database",
    "My guitar teacher",
    "The river",
    "A city bus",
    "The winter storm",
    "An old printer",
    "The garden",
    "A marathon runner",
    "The orchestra"
  };
  static final String[] PREDICATES = {
    "starts work long before sunrise", "measures everything twice", "was louder than expected"
  };

  /** 33 distinct sentences: text {@code n} never matches another one's vector. */
  static String text(int request, int i) {
    int n = request * 3 + i;
    return SUBJECTS[n % SUBJECTS.length] + " " + PREDICATES[(n / SUBJECTS.length) % 3] + ".";
  }

  @Test
  void everyRequestGetsItsOwnVectorsInOrderAndBatchesAreFilled() {
    int maxBatch = 2;
    Batcher.Lane queries = new Batcher.Lane(embedder, pool, 1, 8);
    Batcher.Lane background = new Batcher.Lane(embedder, pool, 2, maxBatch);
    ActorRef<Batcher.Msg> batcher = testKit.spawn(Batcher.create(queries, background));

    // Ten requests of three texts each, sent at once: the old packing ran each as a batch of two
    // and a batch of one (20 batches); filled batches need 15.
    List<List<String>> requests = new ArrayList<>();
    List<CompletableFuture<float[][]>> results = new ArrayList<>();
    for (int r = 0; r < 10; r++) {
      List<String> texts = List.of(text(r, 0), text(r, 1), text(r, 2));
      requests.add(texts);
      results.add(Batcher.embed(batcher, texts, false));
    }
    List<String> query = List.of("how do I bake bread", "what is the weather");
    CompletableFuture<float[][]> queryResult = Batcher.embed(batcher, query, true);
    CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).join();

    List<String> all = requests.stream().flatMap(List::stream).toList();
    float[][] alone = embedder.embed(all);
    for (int r = 0; r < requests.size(); r++) {
      float[][] got = results.get(r).join();
      assertThat(got.length).isEqualTo(3);
      for (int i = 0; i < got.length; i++) {
        assertThat(nearest(got[i], alone))
            .as("request %d text %d has its own vector", r, i)
            .isEqualTo(r * 3 + i);
        // Not 1.0: the int8 model quantizes activations with one scale per call, so a text's
        // vector moves a little with what it is batched with (and with padding).
        assertThat(cosine(got[i], alone[r * 3 + i])).isGreaterThan(0.98);
      }
    }
    float[][] q = queryResult.join();
    assertThat(cosine(q[0], embedder.embed(List.of(query.get(0)))[0])).isGreaterThan(0.98);
    assertThat(queries.batches().get()).isEqualTo(1);
    // 30 texts in batches of 2 is 15; the first batches may start before the rest arrived.
    assertThat(background.batches().get()).isBetween(15L, 15L + 2);
  }

  @Test
  void aRequestLargerThanABatchIsSplitAndReassembledInOrder() {
    Batcher.Lane background = new Batcher.Lane(embedder, pool, 2, 3);
    ActorRef<Batcher.Msg> batcher =
        testKit.spawn(Batcher.create(new Batcher.Lane(embedder, pool, 1, 8), background));
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      texts.add(text(0, i));
    }
    float[][] got = Batcher.embed(batcher, texts, false).join();
    float[][] alone = embedder.embed(texts);
    assertThat(got.length).isEqualTo(11);
    for (int i = 0; i < got.length; i++) {
      assertThat(nearest(got[i], alone)).as("text %d", i).isEqualTo(i);
    }
    assertThat(background.batches().get()).isEqualTo(4);
  }

  @Test
  void aFailedBatchFailsItsRequestsAndTheLaneCarriesOn() throws Exception {
    Embedder closed = Embedder.load(ModelSpec.MINILM_L6_V2_Q, dir, 1);
    closed.close();
    Batcher.Lane background = new Batcher.Lane(closed, pool, 2, 2);
    ActorRef<Batcher.Msg> batcher =
        testKit.spawn(Batcher.create(new Batcher.Lane(embedder, pool, 1, 8), background));
    List<String> texts = List.of(text(1, 0), text(1, 1), text(1, 2), text(1, 3), text(1, 4));
    CompletableFuture<float[][]> first = Batcher.embed(batcher, texts, false);
    CompletableFuture<float[][]> second = Batcher.embed(batcher, List.of(text(2, 0)), false);
    assertThatThrownBy(first::join).hasMessageContaining("closed");
    assertThatThrownBy(second::join).hasMessageContaining("closed");
    // The query lane, on a working model, still answers.
    assertThat(Batcher.embed(batcher, List.of("bread"), true).join()).hasNumberOfRows(1);
  }

  /** Index of the vector in {@code candidates} closest to {@code v}. */
  static int nearest(float[] v, float[][] candidates) {
    int best = -1;
    double bestScore = -2;
    for (int i = 0; i < candidates.length; i++) {
      double score = cosine(v, candidates[i]);
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    return best;
  }

  static double cosine(float[] a, float[] b) {
    double dot = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
    }
    return dot;
  }
}
