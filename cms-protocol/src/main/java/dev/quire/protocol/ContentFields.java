package dev.quire.protocol;

import java.time.Instant;
import java.util.List;

/**
 * What an editor writes. {@code date} is the date the item claims (front matter {@code date}); when
 * null the publish time is shown instead.
 */
public record ContentFields(
    String title,
    String slug,
    String body,
    String description,
    List<String> tags,
    String coverImage,
    String author,
    Instant date)
    implements QuireSerializable {

  public ContentFields {
    description = description == null ? "" : description;
    tags = tags == null ? List.of() : List.copyOf(tags);
    coverImage = coverImage == null ? "" : coverImage;
    author = author == null ? "" : author;
    body = body == null ? "" : body;
  }

  public ContentFields withSlug(String newSlug) {
    return new ContentFields(title, newSlug, body, description, tags, coverImage, author, date);
  }
}
