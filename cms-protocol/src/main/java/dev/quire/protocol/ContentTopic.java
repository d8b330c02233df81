package dev.quire.protocol;

/**
 * Published on the distributed pub-sub topic {@link #NAME} after a read-model change commits. A
 * poke, not the data: subscribers fetch {@link ContentQuery.ChangesSince} their last seq, so a lost
 * notification only delays them until the next one or their periodic catch-up.
 */
public record ContentTopic(long seq) implements QuireSerializable {
  public static final String NAME = "quire-content-changes";
}
