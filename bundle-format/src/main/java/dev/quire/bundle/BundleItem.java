package dev.quire.bundle;

import java.time.Instant;
import java.util.List;

/**
 * One post or page as it stands: the latest revision. {@code aliases} are old slugs that redirect
 * to it; {@code media} the SHA-256 of media blobs in the bundle that it uses; {@code coverAlt} what
 * the cover image shows (its alt text), empty when none was written.
 */
public record BundleItem(
    String id,
    String kind,
    String status,
    long revision,
    String title,
    String slug,
    String body,
    String description,
    List<String> tags,
    String coverImage,
    String author,
    Instant date,
    Instant createdAt,
    Instant updatedAt,
    Instant publishedAt,
    Instant scheduledAt,
    List<String> aliases,
    List<String> media,
    String coverAlt) {

  public static final List<String> KINDS = List.of("post", "page");
  public static final List<String> STATUSES =
      List.of("draft", "scheduled", "published", "archived");

  public BundleItem {
    description = description == null ? "" : description;
    body = body == null ? "" : body;
    coverImage = coverImage == null ? "" : coverImage;
    coverAlt = coverAlt == null ? "" : coverAlt;
    author = author == null ? "" : author;
    tags = tags == null ? List.of() : List.copyOf(tags);
    aliases = aliases == null ? List.of() : List.copyOf(aliases);
    media = media == null ? List.of() : List.copyOf(media);
  }
}
