package dev.quire.protocol;

import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Semantic queries, answered by the embedding service registered with the receptionist under {@link
 * #SERVICE_KEY} (role {@code embedding}). Scores are cosine similarities, best first.
 */
public interface EmbeddingQuery extends QuireSerializable {

  ServiceKey<EmbeddingQuery> SERVICE_KEY =
      ServiceKey.create(EmbeddingQuery.class, "embedding-query");

  /** Published items whose meaning is closest to {@code text}. */
  record Similar(String text, int k, ActorRef<Hits> replyTo) implements EmbeddingQuery {}

  /** Published items closest to item {@code contentId}, itself excluded. */
  record Related(String contentId, int k, ActorRef<Hits> replyTo) implements EmbeddingQuery {}

  /** The chunks of published items that best match {@code text} (for citation checks). */
  record Passages(String text, int k, ActorRef<PassageHits> replyTo) implements EmbeddingQuery {}

  /**
   * How close in meaning each of {@code passages} is to {@code text} (cosine similarity, in the
   * order given): the crawler's citation check. At most {@link #MAX_SCORED} passages.
   */
  record Score(String text, List<String> passages, ActorRef<Scores> replyTo)
      implements EmbeddingQuery {}

  int MAX_SCORED = 500;

  record Scores(List<Double> scores, String model, String error) implements QuireSerializable {
    public Scores {
      scores = scores == null ? List.of() : List.copyOf(scores);
    }
  }

  record GetStatus(ActorRef<Status> replyTo) implements EmbeddingQuery {}

  /** Re-embeds every published item in the background; answers with the status at the start. */
  record Reindex(ActorRef<Status> replyTo) implements EmbeddingQuery {}

  record Hit(String id, String slug, String title, double score) implements QuireSerializable {}

  /**
   * {@code found} is false when {@link Related} names an item the index does not hold; {@code
   * error} is set (and {@code items} empty) when the query could not be answered.
   */
  record Hits(List<Hit> items, String model, boolean found, String error)
      implements QuireSerializable {
    public Hits {
      items = items == null ? List.of() : List.copyOf(items);
    }
  }

  record Passage(String id, String slug, String title, int chunk, String text, double score)
      implements QuireSerializable {}

  record PassageHits(List<Passage> items, String model, String error) implements QuireSerializable {
    public PassageHits {
      items = items == null ? List.of() : List.copyOf(items);
    }
  }

  /**
   * {@code indexedSeq} is the read-model seq the index has caught up to, {@code contentSeq} the
   * newest one this service has heard of; {@code lagMillis} is how long the oldest change not yet
   * indexed has waited (0 when caught up). {@code modelLoaded} is false while the model is unloaded
   * for lack of use ({@code quire.embedding.unload-idle-model-after}); {@code modelLoadMillis} is
   * how long its last load took.
   */
  record Status(
      String model,
      long documents,
      long chunks,
      long indexedSeq,
      long contentSeq,
      long lagMillis,
      boolean reindexing,
      long reindexDone,
      long reindexTotal,
      long modelLoadMillis,
      boolean modelLoaded)
      implements QuireSerializable {}
}
