package dev.quire.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** A post appears in the blog index and feeds; a page lives at {@code /<slug>/}. */
public enum ContentKind {
  POST,
  PAGE;

  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static ContentKind parse(String value) {
    if (value == null) {
      throw new IllegalArgumentException("kind is required (post or page)");
    }
    for (ContentKind k : values()) {
      if (k.id().equals(value.toLowerCase(Locale.ROOT))) {
        return k;
      }
    }
    throw new IllegalArgumentException("kind must be post or page, was '" + value + "'");
  }
}
