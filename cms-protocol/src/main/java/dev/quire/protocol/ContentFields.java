package dev.quire.protocol;

import java.time.Instant;
import java.util.List;

/**
 * What an editor writes. {@code date} is the date the item claims (front matter {@code date}); when
 * null the publish time is shown instead. {@code coverAlt}: what the cover image shows, for readers
 * who do not see it (its {@code alt} text); empty for a cover that only decorates.
 */
public record ContentFields(
    String title,
    String slug,
    String body,
    String description,
    List<String> tags,
    String coverImage,
    String author,
    Instant date,
    String coverAlt)
    implements QuireSerializable {

  public ContentFields {
    description = description == null ? "" : description;
    // A null tag (JSON's [null]) becomes an empty one, which is dropped as empty tags are;
    // List.copyOf threw on it, and the API answered 500.
    // (contains(null) throws on an immutable list: asked element by element.)
    tags =
        tags == null
            ? List.of()
            : tags.stream().anyMatch(java.util.Objects::isNull)
                ? List.copyOf(tags.stream().map(t -> t == null ? "" : t).toList())
                : List.copyOf(tags);
    coverImage = coverImage == null ? "" : coverImage;
    author = author == null ? "" : author;
    body = body == null ? "" : body;
    // One line, as an alt attribute is read out.
    coverAlt = coverAlt == null ? "" : ContentRules.oneLine(coverAlt);
  }

  public ContentFields withSlug(String newSlug) {
    return new ContentFields(
        title, newSlug, body, description, tags, coverImage, author, date, coverAlt);
  }
}
