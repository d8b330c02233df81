package dev.quire.cli;

import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.ContentStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;

/** Writes items back as the Markdown folder format, one {@code <slug>.md} per item. */
public final class Exporter {

  /** What the export wrote; archived items have no place in the format and are counted. */
  public record Summary(int written, int archivedSkipped) {}

  private Exporter() {}

  /** The {@code *.md} files in {@code dir} that are not one of {@code items}, by name. */
  public static List<String> others(List<ContentSnapshot> items, Path dir) throws IOException {
    java.util.Set<String> mine = new java.util.HashSet<>();
    for (ContentSnapshot s : items) {
      if (s.status() != ContentStatus.ARCHIVED) {
        mine.add(s.fields().slug() + ".md");
      }
    }
    try (var files = Files.list(dir)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".md") && !mine.contains(n))
          .sorted()
          .toList();
    }
  }

  public static Summary write(List<ContentSnapshot> items, Path dir) throws IOException {
    return write(items, dir, java.time.ZoneOffset.UTC);
  }

  /** {@code zone}: the site's, where a date written without a time falls. */
  public static Summary write(List<ContentSnapshot> items, Path dir, java.time.ZoneId zone)
      throws IOException {
    Files.createDirectories(dir);
    int written = 0;
    int archived = 0;
    for (ContentSnapshot s : items) {
      if (s.status() == ContentStatus.ARCHIVED) {
        archived++;
        continue;
      }
      boolean draft = s.status() == ContentStatus.DRAFT;
      Instant publishAt =
          switch (s.status()) {
            case SCHEDULED -> s.scheduledAt();
            // When the item counts as published since; left out when it is its date, which an
            // import takes for the publication time of a file without publish_date.
            case PUBLISHED ->
                s.publishedAt() == null || s.publishedAt().equals(s.fields().date())
                    ? null
                    : s.publishedAt();
            default -> null;
          };
      String text = MarkdownFolder.format(s.id(), s.kind(), s.fields(), draft, publishAt, zone);
      // Slugs are validated ([a-z0-9-]), so the name cannot leave the folder.
      Path file = dir.resolve(s.fields().slug() + ".md");
      Path tmp = dir.resolve("." + s.fields().slug() + ".md.tmp");
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      written++;
    }
    return new Summary(written, archived);
  }
}
