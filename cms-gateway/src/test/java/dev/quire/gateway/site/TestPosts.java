package dev.quire.gateway.site;

import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentStatus;
import dev.quire.protocol.ReadItem;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

/** Published posts as the gateway shows them, for tests of what pages and cards write. */
public final class TestPosts {

  private TestPosts() {}

  /**
   * Post "a-post" ("A post"), published and last changed at 2026-12-05T10:00Z, with {@code tags},
   * {@code author} and 600 words (3 minutes' reading), in UTC.
   */
  public static ItemView published(List<String> tags, String author) {
    Instant at = Instant.parse("2026-12-05T10:00:00Z");
    return ItemView.of(
        new ReadItem(
            "id-1",
            ContentKind.POST,
            ContentStatus.PUBLISHED,
            1,
            "a-post",
            "A post",
            "",
            tags,
            "",
            "",
            author,
            at,
            at,
            at,
            at,
            null,
            "",
            "<p>x</p>",
            600,
            List.of(),
            1),
        ZoneOffset.UTC);
  }
}
