package dev.quire.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

public enum ContentStatus {
  DRAFT,
  SCHEDULED,
  PUBLISHED,
  ARCHIVED;

  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static ContentStatus parse(String value) {
    for (ContentStatus s : values()) {
      if (s.id().equalsIgnoreCase(value)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "status must be draft, scheduled, published or archived, was '" + value + "'");
  }
}
