package dev.quire.embedding.index;

import dev.quire.protocol.EmbeddingQuery.Hit;
import dev.quire.protocol.EmbeddingQuery.Passage;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.document.BinaryDocValuesField;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;

/**
 * The vectors of one model, persisted in a Lucene index on disk and searched through its HNSW
 * graphs. Each published item has one document with its document vector and one per chunk; all
 * carry the content id, the model id and the hash of the embedded text, so a restart re-embeds
 * nothing that did not change. The read-model seq the index has caught up to is stored in the
 * commit itself, atomically with the vectors.
 *
 * <p>Not thread-safe for writes: the service calls it from one single-threaded dispatcher.
 */
public final class VectorIndex implements Closeable {

  public static final String SEQ = "seq";
  private static final String CHUNKING = "chunking";
  static final String ID = "id";
  static final String TYPE = "type";
  static final String DOC = "doc";
  private static final String CHUNK = "chunk";
  static final String SLUG = "slug";
  static final String TITLE = "title";
  static final String DOC_VECTOR = "doc_vector";
  private static final String CHUNK_VECTOR = "chunk_vector";
  private static final String STORED_VECTOR = "vector";

  /** What is stored for an item: its document vector and its chunks with their vectors. */
  public record Entry(
      String id,
      String slug,
      String title,
      String hash,
      float[] vector,
      List<String> chunks,
      List<float[]> chunkVectors) {}

  private final String modelId;
  private final String chunking;
  // Nearest neighbours each HNSW search collects before the best k are kept: a search for k alone
  // walks the graphs with a beam of k, and on the demo site a query for the best 3 missed the
  // item that a query for 10 ranked first.
  private final int candidates;
  private final FSDirectory directory;
  private final IndexWriter writer;
  private final SearcherManager searchers;

  public VectorIndex(Path dir, String modelId, int candidates) throws IOException {
    this(dir, modelId, "", candidates);
  }

  /**
   * {@code chunking} names how texts are cut into chunks (e.g. "tokens-160-24"); it is kept with
   * each commit, and an index committed under another chunking reports seq 0, so everything is
   * embedded again in the background (the old vectors answer queries until each item is replaced).
   * {@code candidates}: how many nearest neighbours a search collects before it keeps the best k
   * ({@code quire.embedding.search-candidates}).
   */
  public VectorIndex(Path dir, String modelId, String chunking, int candidates) throws IOException {
    if (candidates < 1) {
      throw new IllegalArgumentException("candidates must be at least 1, was " + candidates);
    }
    this.modelId = modelId;
    this.chunking = chunking;
    this.candidates = candidates;
    this.directory = FSDirectory.open(dir);
    this.writer = new IndexWriter(directory, new IndexWriterConfig());
    this.searchers = new SearcherManager(writer, null);
  }

  public String modelId() {
    return modelId;
  }

  /**
   * The read-model seq of the last commit: 0 for a new index or one committed under another
   * chunking.
   */
  public long indexedSeq() {
    Iterable<Map.Entry<String, String>> data = writer.getLiveCommitData();
    long seq = 0;
    String committedChunking = "";
    if (data != null) {
      for (Map.Entry<String, String> e : data) {
        if (e.getKey().equals(SEQ)) {
          seq = Long.parseLong(e.getValue());
        } else if (e.getKey().equals(CHUNKING)) {
          committedChunking = e.getValue();
        }
      }
    }
    return committedChunking.equals(chunking) ? seq : 0;
  }

  public void put(Entry e) throws IOException {
    List<Document> docs = new ArrayList<>();
    Document doc = base(e.id(), DOC, e);
    doc.add(new KnnFloatVectorField(DOC_VECTOR, e.vector(), VectorSimilarityFunction.DOT_PRODUCT));
    doc.add(new StoredField(STORED_VECTOR, toBytes(e.vector())));
    // What a search hit shows, as doc values: reading stored fields decompresses the block the
    // document sits in (with its chunks' texts), which cost most of a semantic search's CPU.
    doc.add(new BinaryDocValuesField(dv(ID), new BytesRef(e.id())));
    doc.add(new BinaryDocValuesField(dv(SLUG), new BytesRef(e.slug())));
    doc.add(new BinaryDocValuesField(dv(TITLE), new BytesRef(e.title())));
    docs.add(doc);
    for (int i = 0; i < e.chunks().size(); i++) {
      Document c = base(e.id(), CHUNK, e);
      c.add(new StoredField(CHUNK, i));
      c.add(new StoredField("text", e.chunks().get(i)));
      c.add(
          new KnnFloatVectorField(
              CHUNK_VECTOR, e.chunkVectors().get(i), VectorSimilarityFunction.DOT_PRODUCT));
      docs.add(c);
    }
    writer.updateDocuments(new Term(ID, e.id()), docs);
  }

  private Document base(String id, String type, Entry e) {
    Document d = new Document();
    d.add(new StringField(ID, id, Field.Store.YES));
    d.add(new StringField(TYPE, type, Field.Store.YES));
    d.add(new StringField("model", modelId, Field.Store.YES));
    d.add(new StoredField(SLUG, e.slug()));
    d.add(new StoredField(TITLE, e.title()));
    d.add(new StoredField("hash", e.hash()));
    return d;
  }

  public void remove(String id) throws IOException {
    writer.deleteDocuments(new Term(ID, id));
  }

  /** Makes everything since the last commit durable and visible, with the seq it reached. */
  public void commit(long seq) throws IOException {
    written(seq);
    writer.commit();
    searchers.maybeRefreshBlocking();
  }

  /**
   * Records that the writes so far reach {@code seq} without committing them: the next commit, or
   * closing the index, makes them durable with it. A crash before that loses only the work since
   * the last commit, which a restart redoes from the committed seq.
   */
  public void written(long seq) {
    writer.setLiveCommitData(
        Map.of(SEQ, Long.toString(seq), "model", modelId, CHUNKING, chunking).entrySet());
  }

  /** The stored hash of an item's embedded text, or null if the item is not indexed. */
  public String hash(String id) throws IOException {
    Document d = docOf(id, Set.of("hash"));
    return d == null ? null : d.get("hash");
  }

  /** An item's document vector, or null if it is not indexed. */
  public float[] vector(String id) throws IOException {
    Document d = docOf(id, Set.of(STORED_VECTOR));
    return d == null ? null : fromBytes(d.getBinaryValue(STORED_VECTOR).bytes);
  }

  /** {@code fields} of an item's document, or null if the item is not indexed. */
  private Document docOf(String id, Set<String> fields) throws IOException {
    IndexSearcher s = searchers.acquire();
    try {
      Query q =
          new BooleanQuery.Builder()
              .add(new TermQuery(new Term(ID, id)), BooleanClause.Occur.FILTER)
              .add(new TermQuery(new Term(TYPE, DOC)), BooleanClause.Occur.FILTER)
              .build();
      TopDocs top = s.search(q, 1);
      return top.scoreDocs.length == 0
          ? null
          : s.storedFields().document(top.scoreDocs[0].doc, fields);
    } finally {
      searchers.release(s);
    }
  }

  /** Items nearest to {@code query}, best first, {@code excludeId} (nullable) left out. */
  public List<Hit> similar(float[] query, int k, String excludeId) throws IOException {
    Query filter = null;
    if (excludeId != null) {
      filter =
          new BooleanQuery.Builder()
              .add(new MatchAllDocsQuery(), BooleanClause.Occur.MUST)
              .add(new TermQuery(new Term(ID, excludeId)), BooleanClause.Occur.MUST_NOT)
              .build();
    }
    IndexSearcher s = searchers.acquire();
    try {
      TopDocs top =
          s.search(new KnnFloatVectorQuery(DOC_VECTOR, query, Math.max(k, candidates), filter), k);
      HitFields fields = new HitFields(s);
      List<Hit> hits = new ArrayList<>();
      for (ScoreDoc sd : top.scoreDocs) {
        Named n = fields.read(sd.doc);
        hits.add(new Hit(n.id(), n.slug(), n.title(), cosine(sd.score)));
      }
      return hits;
    } finally {
      searchers.release(s);
    }
  }

  /** Chunks nearest to {@code query}, best first. */
  public List<Passage> passages(float[] query, int k) throws IOException {
    IndexSearcher s = searchers.acquire();
    try {
      TopDocs top =
          s.search(new KnnFloatVectorQuery(CHUNK_VECTOR, query, Math.max(k, candidates)), k);
      StoredFields stored = s.storedFields();
      List<Passage> out = new ArrayList<>();
      for (ScoreDoc sd : top.scoreDocs) {
        Document d = stored.document(sd.doc, PASSAGE_FIELDS);
        out.add(
            new Passage(
                d.get(ID),
                d.get(SLUG),
                d.get(TITLE),
                d.getField(CHUNK).numericValue().intValue(),
                d.get("text"),
                cosine(sd.score)));
      }
      return out;
    } finally {
      searchers.release(s);
    }
  }

  /** Number of indexed items ({@code chunks} false) or chunks ({@code chunks} true). */
  public long count(boolean chunks) throws IOException {
    IndexSearcher s = searchers.acquire();
    try {
      return s.count(new TermQuery(new Term(TYPE, chunks ? CHUNK : DOC)));
    } finally {
      searchers.release(s);
    }
  }

  /** Every indexed item id (for a reindex's progress and for clean-up). */
  public List<String> ids() throws IOException {
    IndexSearcher s = searchers.acquire();
    try {
      TopDocs top =
          s.search(new TermQuery(new Term(TYPE, DOC)), Math.max(1, s.getIndexReader().maxDoc()));
      HitFields fields = new HitFields(s);
      List<String> ids = new ArrayList<>();
      for (ScoreDoc sd : top.scoreDocs) {
        ids.add(fields.read(sd.doc).id());
      }
      return ids;
    } finally {
      searchers.release(s);
    }
  }

  private static final Set<String> PASSAGE_FIELDS = Set.of(ID, SLUG, TITLE, CHUNK, "text");
  private static final Set<String> HIT_FIELDS = Set.of(ID, SLUG, TITLE);

  /** The doc-values field beside a stored one (a Lucene field keeps one schema in an index). */
  static String dv(String field) {
    return field + "_dv";
  }

  /** What a hit shows of its item. */
  private record Named(String id, String slug, String title) {}

  /**
   * Reads the id, slug and title of document hits, from doc values; documents indexed before those
   * existed (an index written by an earlier version) have none, and are read from their stored
   * fields instead.
   */
  private static final class HitFields {
    private final IndexSearcher searcher;
    private StoredFields stored;

    HitFields(IndexSearcher searcher) {
      this.searcher = searcher;
    }

    Named read(int doc) throws IOException {
      List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
      LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(doc, leaves));
      int local = doc - leaf.docBase;
      String id = docValue(leaf, ID, local);
      String slug = docValue(leaf, SLUG, local);
      String title = docValue(leaf, TITLE, local);
      if (id != null && slug != null && title != null) {
        return new Named(id, slug, title);
      }
      if (stored == null) {
        stored = searcher.storedFields();
      }
      Document d = stored.document(doc, HIT_FIELDS);
      return new Named(d.get(ID), d.get(SLUG), d.get(TITLE));
    }

    private static String docValue(LeafReaderContext leaf, String field, int doc)
        throws IOException {
      BinaryDocValues values = leaf.reader().getBinaryDocValues(dv(field));
      return values != null && values.advanceExact(doc)
          ? values.binaryValue().utf8ToString()
          : null;
    }
  }

  /** Lucene's DOT_PRODUCT score is (1 + dot) / 2; callers get the cosine back. */
  private static double cosine(float score) {
    return 2.0 * score - 1.0;
  }

  private static byte[] toBytes(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * Float.BYTES);
    b.asFloatBuffer().put(v);
    return b.array();
  }

  private static float[] fromBytes(byte[] bytes) {
    float[] v = new float[bytes.length / Float.BYTES];
    ByteBuffer.wrap(bytes).asFloatBuffer().get(v);
    return v;
  }

  public static boolean exists(Path dir) {
    try (FSDirectory d = FSDirectory.open(dir)) {
      return DirectoryReader.indexExists(d);
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() throws IOException {
    searchers.close();
    writer.close();
    directory.close();
  }
}
