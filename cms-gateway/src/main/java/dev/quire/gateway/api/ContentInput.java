package dev.quire.gateway.api;

import com.fasterxml.jackson.annotation.JsonAlias;
import java.time.Instant;
import java.util.List;

/** The JSON body of create and edit; unknown fields are refused by name. */
public record ContentInput(
    String kind,
    String title,
    String slug,
    String body,
    String description,
    List<String> tags,
    @JsonAlias("cover_image") String coverImage,
    String author,
    Instant date,
    Long revision,
    // On create only: the status the item starts in (draft, published, scheduled) and, for
    // scheduled, when it goes public.
    String status,
    Instant at) {}
