package dev.quire.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;

/** Every content command is answered with exactly one of these. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = ContentReply.Accepted.class, name = "accepted"),
  @JsonSubTypes.Type(value = ContentReply.Rejected.class, name = "rejected")
})
public sealed interface ContentReply extends QuireSerializable {

  record Accepted(ContentSnapshot content) implements ContentReply {}

  /** {@code field} names the offending field, or is empty when the whole command is refused. */
  /**
   * {@code field} names the first field at fault and {@code message} says what is wrong with all;
   * {@code errors} lists each field with its own message when the input had several problems (empty
   * otherwise, and in replies from nodes older than it).
   */
  record Rejected(ErrorCode code, String field, String message, List<FieldError> errors)
      implements ContentReply {
    public Rejected {
      errors = errors == null ? List.of() : List.copyOf(errors);
    }

    public Rejected(ErrorCode code, String field, String message) {
      this(code, field, message, List.of());
    }

    public static Rejected of(ErrorCode code, String field, String message) {
      return new Rejected(code, field == null ? "" : field, message);
    }

    /**
     * Input refused for each of {@code errors} (at least one): the first field named, the message
     * covering them all ("title: must not be empty; slug: ..."), each listed.
     */
    public static Rejected invalid(List<FieldError> errors) {
      StringBuilder message = new StringBuilder();
      for (FieldError e : errors) {
        if (message.length() > 0) {
          message.append("; ");
        }
        message.append(e);
      }
      return new Rejected(ErrorCode.INVALID, errors.get(0).field(), message.toString(), errors);
    }
  }
}
