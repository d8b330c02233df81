package dev.quire.cli;

import dev.quire.bundle.BundleEvent;
import dev.quire.bundle.BundleItem;
import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.ContentStatus;
import dev.quire.protocol.HistoryStep;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Between the site's protocol records and the bundle's: one field for one field. */
final class BundleMapping {

  /** A media URL as {@code MediaStore.Media#url} makes them: {@code /media/<sha256>/<name>}. */
  private static final Pattern MEDIA_URL = Pattern.compile("/media/([0-9a-f]{64})(?=/)");

  private BundleMapping() {}

  static BundleItem item(ContentSnapshot s, List<String> media) {
    ContentFields f = s.fields();
    return new BundleItem(
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
        f.author(),
        f.date(),
        s.createdAt(),
        s.updatedAt(),
        s.publishedAt(),
        s.scheduledAt(),
        s.aliases(),
        media);
  }

  /** The stored media an item's body and cover image point at, each once, in order of use. */
  static List<String> mediaUsed(ContentFields f, Set<String> stored) {
    Set<String> used = new LinkedHashSet<>();
    for (String text : new String[] {f.coverImage(), f.body()}) {
      Matcher m = MEDIA_URL.matcher(text == null ? "" : text);
      while (m.find()) {
        if (stored.contains(m.group(1))) {
          used.add(m.group(1));
        }
      }
    }
    return List.copyOf(used);
  }

  static BundleEvent event(String itemId, HistoryStep s) {
    return new BundleEvent(
        itemId,
        s.revision(),
        s.type(),
        s.at(),
        s.actor(),
        s.kind() == null ? null : s.kind().id(),
        s.fields() == null ? null : fields(s.fields()),
        s.publishAt(),
        s.aliasAdded(),
        s.slugReleased(),
        s.revertedTo());
  }

  static HistoryStep step(BundleEvent e) {
    return new HistoryStep(
        e.revision(),
        e.type(),
        e.at(),
        e.actor(),
        e.kind() == null ? null : ContentKind.parse(e.kind()),
        e.fields() == null ? null : fields(e.fields()),
        e.publishAt(),
        e.aliasAdded(),
        e.slugReleased(),
        e.revertedTo());
  }

  static BundleEvent.Fields fields(ContentFields f) {
    return new BundleEvent.Fields(
        f.title(),
        f.slug(),
        f.body(),
        f.description(),
        f.tags(),
        f.coverImage(),
        f.author(),
        f.date());
  }

  static ContentFields fields(BundleEvent.Fields f) {
    return new ContentFields(
        f.title(),
        f.slug(),
        f.body(),
        f.description(),
        f.tags(),
        f.coverImage(),
        f.author(),
        f.date());
  }

  static ContentFields fields(BundleItem i) {
    return new ContentFields(
        i.title(),
        i.slug(),
        i.body(),
        i.description(),
        i.tags(),
        i.coverImage(),
        i.author(),
        i.date());
  }

  /**
   * A history for an item from a bundle made without one: created, then the step to its status. Its
   * old slugs cannot be replayed; the importer turns them into redirects.
   */
  static List<HistoryStep> synthesize(BundleItem i, Instant now) {
    List<HistoryStep> steps = new ArrayList<>();
    Instant created = first(i.createdAt(), i.updatedAt(), i.publishedAt(), now);
    Instant changed = first(i.updatedAt(), created);
    steps.add(
        new HistoryStep(
            1,
            "created",
            created,
            "import",
            ContentKind.parse(i.kind()),
            fields(i),
            null,
            null,
            null));
    ContentStatus status = ContentStatus.parse(i.status());
    switch (status) {
      case PUBLISHED -> steps.add(step(2, "published", first(i.publishedAt(), changed), null));
      case SCHEDULED ->
          steps.add(step(2, "scheduled", changed, first(i.scheduledAt(), i.publishedAt(), now)));
      case ARCHIVED -> {
        if (i.publishedAt() != null) {
          steps.add(step(2, "published", i.publishedAt(), null));
        }
        steps.add(step(steps.size() + 1, "archived", changed, null));
      }
      default -> {}
    }
    return steps;
  }

  private static HistoryStep step(long revision, String type, Instant at, Instant publishAt) {
    return new HistoryStep(revision, type, at, "import", null, null, publishAt, null, null);
  }

  private static Instant first(Instant... candidates) {
    for (Instant i : candidates) {
      if (i != null) {
        return i;
      }
    }
    return null;
  }
}
