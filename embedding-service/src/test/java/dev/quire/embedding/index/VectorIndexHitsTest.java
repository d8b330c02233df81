package dev.quire.embedding.index;

import static dev.quire.embedding.index.VectorIndexChunkingTest.unit;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.protocol.EmbeddingQuery.Hit;
import java.nio.file.Path;
import java.util.List;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Search hits carry each item's id, slug and title: read from doc values for documents written now,
 * and from stored fields for documents an earlier version wrote without them.
 */
class VectorIndexHitsTest {

  @TempDir Path dir;

  @Test
  void hitsNameTheirItemsFromDocValuesAndFromOlderDocumentsStoredFields() throws Exception {
    // A document as an index written before the doc values looks: stored fields only.
    try (FSDirectory d = FSDirectory.open(dir);
        IndexWriter w = new IndexWriter(d, new IndexWriterConfig())) {
      Document old = new Document();
      old.add(new StringField(VectorIndex.ID, "old-id", Field.Store.YES));
      old.add(new StringField(VectorIndex.TYPE, VectorIndex.DOC, Field.Store.YES));
      old.add(new StoredField(VectorIndex.SLUG, "old-post"));
      old.add(new StoredField(VectorIndex.TITLE, "An old post"));
      old.add(
          new KnnFloatVectorField(
              VectorIndex.DOC_VECTOR, unit(8, 0), VectorSimilarityFunction.DOT_PRODUCT));
      w.addDocument(old);
      w.commit();
    }
    try (VectorIndex index = new VectorIndex(dir, "m", 100)) {
      index.put(
          new VectorIndex.Entry(
              "new-id",
              "new-post",
              "A new post",
              "h",
              unit(8, 1),
              List.of("chunk"),
              List.of(unit(8, 1))));
      index.commit(1);

      List<Hit> hits = index.similar(unit(8, 1), 2, null);
      assertThat(hits)
          .extracting(Hit::id, Hit::slug, Hit::title)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("new-id", "new-post", "A new post"),
              org.assertj.core.groups.Tuple.tuple("old-id", "old-post", "An old post"));
      assertThat(index.ids()).containsExactlyInAnyOrder("old-id", "new-id");
    }
    // The new document really carries the doc values the hits were read from.
    try (FSDirectory d = FSDirectory.open(dir);
        DirectoryReader r = DirectoryReader.open(d)) {
      assertThat(
              r.leaves().stream()
                  .mapToLong(
                      l -> {
                        try {
                          var v = l.reader().getBinaryDocValues(VectorIndex.dv(VectorIndex.SLUG));
                          long n = 0;
                          while (v != null
                              && v.nextDoc()
                                  != org.apache.lucene.search.DocIdSetIterator.NO_MORE_DOCS) {
                            assertThat(v.binaryValue().utf8ToString()).isEqualTo("new-post");
                            n++;
                          }
                          return n;
                        } catch (java.io.IOException e) {
                          throw new java.io.UncheckedIOException(e);
                        }
                      })
                  .sum())
          .isEqualTo(1);
    }
  }
}
