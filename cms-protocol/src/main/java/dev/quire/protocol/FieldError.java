package dev.quire.protocol;

/** One validation problem: the field it concerns and what is wrong with it. */
public record FieldError(String field, String message) implements QuireSerializable {
  @Override
  public String toString() {
    return field + ": " + message;
  }
}
