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
    @JsonAlias("cover_alt") String coverAlt,
    String author,
    Instant date,
    Long revision,
    // On create only: the status the item starts in (draft, published, scheduled) and, for
    // scheduled, when it goes public.
    String status,
    Instant at) {

  /**
   * Line breaks in the body as the admin and the Markdown import store them: {@code \r\n} and a
   * lone {@code \r} become {@code \n}. A body sent with CRLF was kept so, and came back with LF
   * from an export and import, which then counted it as an edit.
   */
  public ContentInput {
    if (body != null && body.indexOf('\r') >= 0) {
      body = body.replace("\r\n", "\n").replace('\r', '\n');
    }
  }
}
