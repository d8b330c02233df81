package dev.quire.embedding.model;

import java.util.List;
import java.util.Optional;

/**
 * A model Quire knows how to run: where its files are on the classpath, its window and how its
 * token states become one vector. The id is recorded with every stored vector.
 */
public record ModelSpec(
    String id, String onnxResource, String tokenizerResource, int maxTokens, Pooling pooling) {

  /** all-MiniLM-L6-v2, int8-quantized, from langchain4j's model artifact (files only). */
  public static final ModelSpec MINILM_L6_V2_Q =
      new ModelSpec(
          "all-minilm-l6-v2-q",
          "all-minilm-l6-v2-q.onnx",
          "all-minilm-l6-v2-q-tokenizer.json",
          256,
          Pooling.MEAN);

  /** Tokens the model adds to every text: [CLS] and [SEP] for the BERT family. */
  public int specialTokens() {
    return 2;
  }

  public static final List<ModelSpec> KNOWN = List.of(MINILM_L6_V2_Q);

  public static Optional<ModelSpec> byId(String id) {
    return KNOWN.stream().filter(m -> m.id().equals(id)).findFirst();
  }

  /** Token states (batch, len, dim) flattened, to one L2-normalised vector for row {@code b}. */
  public enum Pooling {
    /** Mean over the tokens the attention mask keeps (sentence-transformers' MiniLM). */
    MEAN {
      @Override
      float[] pool(float[] states, int b, int len, int dim, long[] mask) {
        float[] v = new float[dim];
        int kept = 0;
        for (int t = 0; t < len; t++) {
          if (mask[t] == 0) {
            continue;
          }
          kept++;
          int base = (b * len + t) * dim;
          for (int d = 0; d < dim; d++) {
            v[d] += states[base + d];
          }
        }
        if (kept > 0) {
          for (int d = 0; d < dim; d++) {
            v[d] /= kept;
          }
        }
        return normalise(v);
      }
    },
    /** The first ([CLS]) token's state (bge models). */
    CLS {
      @Override
      float[] pool(float[] states, int b, int len, int dim, long[] mask) {
        float[] v = new float[dim];
        System.arraycopy(states, b * len * dim, v, 0, dim);
        return normalise(v);
      }
    };

    abstract float[] pool(float[] states, int b, int len, int dim, long[] mask);

    public static float[] normalise(float[] v) {
      double sum = 0;
      for (float x : v) {
        sum += (double) x * x;
      }
      double norm = Math.sqrt(sum);
      if (norm > 0) {
        for (int d = 0; d < v.length; d++) {
          v[d] = (float) (v[d] / norm);
        }
      }
      return v;
    }
  }

  public static float dot(float[] a, float[] b) {
    float s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
