package dev.quire.protocol;

import java.time.Instant;
import java.util.List;

/**
 * One content item as the read model holds it: what lists, the API and the public site need. {@code
 * html} is the sanitized rendering of {@code body}; {@code seq} orders changes so a gateway can ask
 * for everything after the last change it saw.
 */
public record ReadItem(
    String id,
    ContentKind kind,
    ContentStatus status,
    long revision,
    String slug,
    String title,
    String description,
    List<String> tags,
    String coverImage,
    String coverAlt,
    String author,
    Instant date,
    Instant createdAt,
    Instant updatedAt,
    Instant publishedAt,
    Instant scheduledAt,
    String body,
    String html,
    int wordCount,
    List<String> aliases,
    long seq)
    implements QuireSerializable {

  public ReadItem {
    coverAlt = coverAlt == null ? "" : coverAlt;
    tags = tags == null ? List.of() : List.copyOf(tags);
    aliases = aliases == null ? List.of() : List.copyOf(aliases);
  }

  public ReadItem withAliases(List<String> newAliases) {
    return with(html, newAliases);
  }

  /** This item with its HTML rewritten (the gateway adds to it what pages show). */
  public ReadItem withHtml(String newHtml) {
    return with(newHtml, aliases);
  }

  private ReadItem with(String newHtml, List<String> newAliases) {
    return new ReadItem(
        id,
        kind,
        status,
        revision,
        slug,
        title,
        description,
        tags,
        coverImage,
        coverAlt,
        author,
        date,
        createdAt,
        updatedAt,
        publishedAt,
        scheduledAt,
        body,
        newHtml,
        wordCount,
        newAliases,
        seq);
  }

  /** The date a reader sees: the claimed date, else the publish time, else creation. */
  public Instant displayDate() {
    if (date != null) {
      return date;
    }
    return publishedAt != null ? publishedAt : createdAt;
  }
}
