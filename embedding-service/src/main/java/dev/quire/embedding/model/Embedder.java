package dev.quire.embedding.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.Batchifier;
import ai.djl.translate.NoopTranslator;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * A sentence-embedding model (BERT family, ONNX) run through DJL's ONNX Runtime engine. The weights
 * and tokenizer ship inside a Maven artifact; they are copied to a file once (DJL loads models from
 * a path) and nothing is ever downloaded: DJL runs in offline mode.
 *
 * <p>Thread safety: a {@link Predictor} is not thread-safe, so each inference thread gets its own.
 * A model unused for a while can be unloaded ({@link #unloadIfIdle}) and is loaded again by its
 * next use. Pooling and normalisation are done on the float array in Java (DJL's NDArray maths on
 * ONNX Runtime outputs falls back to an engine without {@code norm}).
 */
public final class Embedder implements AutoCloseable {

  static {
    // Before any DJL class looks for an engine: never reach for the network.
    System.setProperty("ai.djl.offline", "true");
  }

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Embedder.class);

  private final ModelSpec spec;
  private final Path dir;
  private final int intraOpThreads;
  private final boolean allowSpinning;
  private static final String MODEL_NAME = "model";

  /**
   * The loaded model: its ONNX Runtime session, its tokenizers and the predictors on it. A {@link
   * Predictor} is not thread-safe: an inference takes one from {@code idle} (or makes one) and
   * gives it back, so there are never more than inferences have run at once. One per thread, as
   * until 2026-12-07, made one more for each new thread of a dispatcher (idle ones end after a
   * minute), kept until the model was unloaded.
   */
  private record Loaded(
      HuggingFaceTokenizer tokenizer,
      // The same vocabulary without truncation or padding: splits whole texts into chunks.
      HuggingFaceTokenizer spanTokenizer,
      Model model,
      java.util.concurrent.ConcurrentLinkedQueue<Predictor<NDList, NDList>> idle,
      java.util.function.Supplier<Predictor<NDList, NDList>> maker,
      // Every predictor made on this session, closed with it.
      List<Predictor<NDList, NDList>> made) {

    Predictor<NDList, NDList> take() {
      Predictor<NDList, NDList> p = idle.poll();
      return p != null ? p : maker.get();
    }

    void close() {
      made.forEach(Predictor::close);
      model.close();
      tokenizer.close();
      spanTokenizer.close();
    }
  }

  // Inference holds the read side; loading, unloading and close() the write side. close() waits
  // for running inferences (freeing the ONNX Runtime session under one crashed the JVM with
  // SIGSEGV at shutdown), unloading never waits (it only takes a model no call holds), and an
  // inference after close fails with an exception instead of touching freed memory.
  private final java.util.concurrent.locks.ReentrantReadWriteLock lifecycle =
      new java.util.concurrent.locks.ReentrantReadWriteLock();
  private volatile Loaded loaded; // written under the write lock
  private boolean closed; // guarded by lifecycle
  private volatile long lastUseNanos = System.nanoTime();
  private volatile long loadMillis;
  private final java.util.concurrent.atomic.AtomicInteger loads =
      new java.util.concurrent.atomic.AtomicInteger();

  private Embedder(ModelSpec spec, Path dir, int intraOpThreads, boolean allowSpinning) {
    this.spec = spec;
    this.dir = dir;
    this.intraOpThreads = intraOpThreads;
    this.allowSpinning = allowSpinning;
  }

  /** Loads {@code spec}'s files from the classpath, copying them under {@code modelDir} first. */
  public static Embedder load(ModelSpec spec, Path modelDir, int intraOpThreads)
      throws IOException {
    return load(spec, modelDir, intraOpThreads, true);
  }

  /**
   * {@code allowSpinning}: ONNX Runtime's intra-op threads busy-wait between operators (its
   * default). Faster on a machine the model has to itself; off gives the CPU back to other
   * processes.
   */
  public static Embedder load(
      ModelSpec spec, Path modelDir, int intraOpThreads, boolean allowSpinning) throws IOException {
    // Before ONNX Runtime's first use in this JVM: its libraries from under modelDir, not a new
    // copy in /tmp at every start.
    OnnxRuntimeLibraries.prepare(modelDir);
    Embedder embedder =
        new Embedder(spec, modelDir.resolve(spec.id()), intraOpThreads, allowSpinning);
    embedder.loaded = embedder.open();
    return embedder;
  }

  /**
   * Opens the model's session and tokenizers, copying their files out of the jar first if they are
   * missing or not whole (also at a load after an unload: the data directory may have been tidied
   * meanwhile). Whatever was opened is closed again if a later part fails.
   */
  private Loaded open() throws IOException {
    long t0 = System.nanoTime();
    Files.createDirectories(dir);
    extract(spec.onnxResource(), dir.resolve(MODEL_NAME + ".onnx"));
    Path tokenizerJson = extract(spec.tokenizerResource(), dir.resolve("tokenizer.json"));
    HuggingFaceTokenizer tokenizer = null;
    HuggingFaceTokenizer spanTokenizer = null;
    Model model = null;
    try {
      tokenizer =
          HuggingFaceTokenizer.builder()
              .optTokenizerPath(tokenizerJson)
              .optMaxLength(spec.maxTokens())
              .optTruncation(true)
              .optPadding(false) // texts are encoded one at a time and padded in infer()
              .build();
      spanTokenizer =
          HuggingFaceTokenizer.builder()
              .optTokenizerPath(tokenizerJson)
              .optTruncation(false)
              .optPadding(false)
              .optAddSpecialTokens(false)
              .build();
      model = Model.newInstance(spec.id(), Device.cpu(), "OnnxRuntime");
      OrtSession.SessionOptions session = new OrtSession.SessionOptions();
      session.addConfigEntry("session.intra_op.allow_spinning", allowSpinning ? "1" : "0");
      // OrtModel takes a prepared SessionOptions under "sessionOptions" and applies the thread
      // counts to it.
      model.load(
          dir,
          MODEL_NAME,
          Map.of(
              "sessionOptions",
              session,
              "intraOpNumThreads",
              Integer.toString(intraOpThreads),
              "interOpNumThreads",
              "1"));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      loadMillis = ms;
      lastUseNanos = System.nanoTime();
      LOG.info(
          "embedding model {} loaded in {} ms{}",
          spec.id(),
          ms,
          loads.incrementAndGet() > 1 ? " (again, after it was unloaded while idle)" : "");
      NoopTranslator translator = new NoopTranslator(Batchifier.fromString("none"));
      List<Predictor<NDList, NDList>> made = new java.util.concurrent.CopyOnWriteArrayList<>();
      Model opened = model;
      return new Loaded(
          tokenizer,
          spanTokenizer,
          model,
          new java.util.concurrent.ConcurrentLinkedQueue<>(),
          () -> {
            Predictor<NDList, NDList> p = opened.newPredictor(translator);
            made.add(p);
            return p;
          },
          made);
    } catch (Exception e) {
      for (AutoCloseable c : new AutoCloseable[] {model, tokenizer, spanTokenizer}) {
        if (c != null) {
          try {
            c.close();
          } catch (Exception ignored) {
            // the load's own failure is the one to report
          }
        }
      }
      throw new IOException("cannot load the embedding model " + spec.id() + ": " + e, e);
    }
  }

  /**
   * Copies a classpath resource to {@code target} unless a copy of the same size is there (the
   * directory is named after the model id, so its files never change). Written to a temporary file
   * and moved, so a crash never leaves a half-copied model behind.
   */
  private static Path extract(String resource, Path target) throws IOException {
    java.net.URL url = Embedder.class.getClassLoader().getResource(resource);
    if (url == null) {
      throw new IOException(
          "model file " + resource + " is not on the classpath (is the model artifact there?)");
    }
    java.net.URLConnection connection = url.openConnection();
    long size = connection.getContentLengthLong();
    if (size >= 0 && Files.exists(target) && Files.size(target) == size) {
      return target;
    }
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try (InputStream in = connection.getInputStream()) {
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
    }
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return target;
  }

  public ModelSpec spec() {
    return spec;
  }

  /** How long the model's last load took. */
  public long loadMillis() {
    return loadMillis;
  }

  /** Whether the model is in memory now (it is unloaded by {@link #unloadIfIdle}). */
  public boolean isLoaded() {
    return loaded != null;
  }

  /** How many times the model has been loaded: once, plus once after every unload that was used. */
  public int loads() {
    return loads.get();
  }

  /**
   * Frees the model's session and tokenizers if nothing has used them for {@code idle} and no
   * inference is running; the next use loads them again (about as long as {@link #loadMillis}).
   * Never waits: a running inference means the model is not idle. Returns whether it unloaded.
   */
  public boolean unloadIfIdle(java.time.Duration idle) {
    if (loaded == null || System.nanoTime() - lastUseNanos < idle.toNanos()) {
      return false;
    }
    if (!lifecycle.writeLock().tryLock()) {
      return false;
    }
    try {
      Loaded l = loaded;
      if (closed || l == null || System.nanoTime() - lastUseNanos < idle.toNanos()) {
        return false;
      }
      loaded = null;
      l.close();
      LOG.info("embedding model {} unloaded after {} s unused", spec.id(), idle.toSeconds());
      return true;
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  /** Number of tokens {@code text} takes, special tokens included, before truncation. */
  public int tokenCount(String text) {
    return whileOpen(m -> m.tokenizer().encode(wellFormed(text), true, false).getIds().length);
  }

  /**
   * The character spans {@code {start, end}} (UTF-16 indexes into {@code text}) of its tokens,
   * special tokens left out, the whole text however long.
   */
  public int[][] tokenSpans(String text) {
    return whileOpen(
        m -> {
          try {
            return spans(m.spanTokenizer(), text);
          } catch (RuntimeException e) {
            throw new UnsplittableText(e);
          }
        });
  }

  /** The tokenizer failed on a text (not a closed or missing model): that text's own problem. */
  public static final class UnsplittableText extends IllegalArgumentException {
    UnsplittableText(RuntimeException cause) {
      super("the tokenizer failed on the text: " + cause, cause);
    }
  }

  private static int[][] spans(HuggingFaceTokenizer spanTokenizer, String text) {
    ai.djl.huggingface.tokenizers.jni.CharSpan[] spans =
        spanTokenizer.encode(wellFormed(text), false, false).getCharTokenSpans();
    // The tokenizer counts code points; Java strings count UTF-16 units (two for an emoji).
    int[] utf16 = null;
    int codePoints = text.codePointCount(0, text.length());
    if (codePoints != text.length()) {
      utf16 = new int[codePoints + 1];
      for (int cp = 0, at = 0; cp < codePoints; cp++) {
        utf16[cp] = at;
        at += Character.charCount(text.codePointAt(at));
        utf16[cp + 1] = at;
      }
    }
    int[][] out = new int[spans.length][];
    for (int i = 0; i < spans.length; i++) {
      int start = spans[i].getStart();
      int end = spans[i].getEnd();
      // Bounded by the text: a span past its end (a count that differs from the tokenizer's)
      // failed the whole page of items, again at every retry.
      start = Math.min(start, codePoints);
      end = Math.min(Math.max(end, start), codePoints);
      out[i] = utf16 == null ? new int[] {start, end} : new int[] {utf16[start], utf16[end]};
    }
    return out;
  }

  /**
   * {@code text} with each half of a surrogate pair that has no other half (text cut inside an
   * emoji, kept from an older site or a restored bundle) made U+FFFD. The native tokenizer counts
   * such a text's characters otherwise than Java does, and its spans ran past the end of the text.
   * Same length, so spans found in the result are spans of {@code text}.
   */
  public static String wellFormed(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean paired =
          Character.isHighSurrogate(c)
              ? i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))
              : !Character.isLowSurrogate(c)
                  || i > 0 && Character.isHighSurrogate(text.charAt(i - 1));
      if (Character.isHighSurrogate(c) && paired) {
        if (out != null) {
          out.append(c).append(text.charAt(i + 1));
        }
        i++;
        continue;
      }
      if (!paired && out == null) {
        out = new StringBuilder(text.length()).append(text, 0, i);
      }
      if (out != null) {
        out.append(paired ? c : '\uFFFD');
      }
    }
    return out == null ? text : out.toString();
  }

  /**
   * Runs {@code call} with the model held open, loading it first if it was unloaded while idle:
   * unloading and close() wait for it; after close() it fails.
   */
  private <T> T whileOpen(java.util.function.Function<Loaded, T> call) {
    while (true) {
      lifecycle.readLock().lock();
      try {
        if (closed) {
          throw new IllegalStateException("the embedding model " + spec.id() + " is closed");
        }
        Loaded l = loaded;
        if (l != null) {
          lastUseNanos = System.nanoTime();
          try {
            return call.apply(l);
          } finally {
            lastUseNanos = System.nanoTime();
          }
        }
      } finally {
        lifecycle.readLock().unlock();
      }
      reload();
    }
  }

  /** Loads the model again after an unload (another thread may have done so meanwhile). */
  private void reload() {
    lifecycle.writeLock().lock();
    try {
      if (!closed && loaded == null) {
        loaded = open();
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  /** Predictors made on the model loaded now (0 while it is not loaded). */
  int predictorsMade() {
    Loaded m = loaded;
    return m == null ? 0 : m.made().size();
  }

  /** One L2-normalised vector per text, in order; texts longer than the window are truncated. */
  public float[][] embed(List<String> texts) {
    if (texts.isEmpty()) {
      return new float[0][];
    }
    return whileOpen(m -> infer(m, texts));
  }

  private float[][] infer(Loaded m, List<String> texts) {
    // One text at a time, padded here: the tokenizer's batch call hands the texts to its own
    // thread pool (one thread per core), which on the query path woke two more threads for every
    // visitor's query, and the batches here are small and already run on several threads.
    int batch = texts.size();
    Encoding[] encodings = new Encoding[batch];
    int len = 0;
    for (int i = 0; i < batch; i++) {
      encodings[i] = m.tokenizer().encode(wellFormed(texts.get(i)));
      len = Math.max(len, encodings[i].getIds().length);
    }
    long[][] ids = new long[batch][];
    long[][] mask = new long[batch][];
    long[][] types = new long[batch][];
    for (int i = 0; i < batch; i++) {
      // Padding positions have attention mask 0: the model ignores them and so does pooling.
      ids[i] = java.util.Arrays.copyOf(encodings[i].getIds(), len);
      mask[i] = java.util.Arrays.copyOf(encodings[i].getAttentionMask(), len);
      types[i] = java.util.Arrays.copyOf(encodings[i].getTypeIds(), len);
    }
    try (NDManager manager = m.model().getNDManager().newSubManager()) {
      NDArray idArray = manager.create(ids);
      idArray.setName("input_ids");
      NDArray maskArray = manager.create(mask);
      maskArray.setName("attention_mask");
      NDArray typeArray = manager.create(types);
      typeArray.setName("token_type_ids");
      Predictor<NDList, NDList> predictor = m.take();
      NDList out;
      try {
        out = predictor.predict(new NDList(idArray, maskArray, typeArray));
      } finally {
        m.idle().add(predictor);
      }
      float[] states = out.get(0).toFloatArray();
      int dim = states.length / (batch * len);
      float[][] vectors = new float[batch][];
      for (int b = 0; b < batch; b++) {
        vectors[b] = spec.pooling().pool(states, b, len, dim, mask[b]);
      }
      return vectors;
    } catch (ai.djl.translate.TranslateException e) {
      throw new IllegalStateException("embedding inference failed: " + e.getMessage(), e);
    }
  }

  /** Waits for running inferences, then frees the model; later calls fail. Idempotent. */
  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      Loaded l = loaded;
      loaded = null;
      if (l != null) {
        l.close();
      }
    } finally {
      lifecycle.writeLock().unlock();
    }
  }
}
