package dev.quire.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/** Every content command is answered with exactly one of these. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = ContentReply.Accepted.class, name = "accepted"),
  @JsonSubTypes.Type(value = ContentReply.Rejected.class, name = "rejected")
})
public sealed interface ContentReply extends QuireSerializable {

  record Accepted(ContentSnapshot content) implements ContentReply {}

  /** {@code field} names the offending field, or is empty when the whole command is refused. */
  record Rejected(ErrorCode code, String field, String message) implements ContentReply {
    public static Rejected of(ErrorCode code, String field, String message) {
      return new Rejected(code, field == null ? "" : field, message);
    }
  }
}
