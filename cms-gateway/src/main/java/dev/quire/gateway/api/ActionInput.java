package dev.quire.gateway.api;

import java.time.Instant;

/** The optional JSON body of publish/unpublish/archive, and schedule's {@code at}. */
public record ActionInput(Long revision, Instant at) {
  static final ActionInput NONE = new ActionInput(null, null);
}
