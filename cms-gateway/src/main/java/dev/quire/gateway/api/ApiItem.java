package dev.quire.gateway.api;

import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.ReadItem;
import java.time.Instant;
import java.util.List;

/** A content item as the JSON API shows it. {@code body} is null in lists, and left out. */
public record ApiItem(
    String id,
    String kind,
    String status,
    long revision,
    String title,
    String slug,
    // Left out of lists (docs/api.md: "items without body"), not sent as null.
    @com.fasterxml.jackson.annotation.JsonInclude(
            com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        String body,
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
    List<String> aliases,
    // Who started the item; only where the item's entity answers (not in lists), else left out.
    @com.fasterxml.jackson.annotation.JsonInclude(
            com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        String createdBy) {

  static ApiItem of(ContentSnapshot s) {
    var f = s.fields();
    return new ApiItem(
        s.id(),
        s.kind().id(),
        s.status().id(),
        s.revision(),
        f.title(),
        f.slug(),
        f.body(),
        f.description(),
        f.tags(),
        f.coverImage(),
        f.coverAlt(),
        f.author(),
        f.date(),
        s.createdAt(),
        s.updatedAt(),
        s.publishedAt(),
        s.scheduledAt(),
        s.aliases(),
        s.createdBy());
  }

  /** This item without its text: what an author sees of another's draft ({@code readableBy}). */
  ApiItem withoutBody() {
    return new ApiItem(
        id,
        kind,
        status,
        revision,
        title,
        slug,
        null,
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
        aliases,
        createdBy);
  }

  static ApiItem of(ReadItem i) {
    return new ApiItem(
        i.id(),
        i.kind().id(),
        i.status().id(),
        i.revision(),
        i.title(),
        i.slug(),
        i.body(),
        i.description(),
        i.tags(),
        i.coverImage(),
        i.coverAlt(),
        i.author(),
        i.date(),
        i.createdAt(),
        i.updatedAt(),
        i.publishedAt(),
        i.scheduledAt(),
        i.aliases(),
        null);
  }
}
