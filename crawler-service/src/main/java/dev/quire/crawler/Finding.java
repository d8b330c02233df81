package dev.quire.crawler;

/** One thing wrong: on which page, at which element, what kind, how bad, and in words. */
public record Finding(String page, String element, String kind, Severity severity, String message) {

  public enum Severity {
    ERROR,
    WARNING,
    INFO;

    @com.fasterxml.jackson.annotation.JsonValue
    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
