package dev.quire.protocol;

import java.time.Instant;

/** One step in an item's history: the event that made the revision and what it looked like. */
public record RevisionEntry(
    long revision,
    String event,
    Instant at,
    String actor,
    ContentStatus status,
    String title,
    String slug,
    String body)
    implements QuireSerializable {}
