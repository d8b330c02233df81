package dev.quire.protocol;

/**
 * Marker for every message and event that crosses a process or is journaled. Bound to Pekko's
 * Jackson JSON serializer in {@code reference.conf}, so stored events stay human-readable and a
 * shape change shows up in the replay fixture test.
 */
public interface QuireSerializable {}
