package dev.quire.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/** Every redirect write is answered with exactly one of these. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = RedirectReply.Stored.class, name = "stored"),
  @JsonSubTypes.Type(value = RedirectReply.Refused.class, name = "refused")
})
public sealed interface RedirectReply extends QuireSerializable {

  /** The change is journaled; the table is now at {@code version} with {@code count} rules. */
  record Stored(long version, int count) implements RedirectReply {}

  record Refused(ErrorCode code, String field, String message) implements RedirectReply {}
}
