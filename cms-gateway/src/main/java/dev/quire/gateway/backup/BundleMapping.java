package dev.quire.gateway.backup;

import dev.quire.bundle.BundleEvent;
import dev.quire.bundle.BundleItem;
import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.ContentStatus;
import dev.quire.protocol.FieldError;
import dev.quire.protocol.HistoryStep;
import dev.quire.protocol.RedirectRule;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Between the site's protocol records and the bundle's: one field for one field. */
public final class BundleMapping {

  /** What made a bundle, in its manifest: the CLI's export and the gateway's backups. */
  public static final String CREATED_BY = "quire 0.1.0";

  /** A media URL as {@code MediaStore.Media#url} makes them: {@code /media/<sha256>/<name>}. */
  private static final Pattern MEDIA_URL = Pattern.compile("/media/([0-9a-f]{64})(?=/)");

  private BundleMapping() {}

  /** An account of the user directory as a bundle carries it (format 2.0). */
  public static dev.quire.bundle.BundleUser user(dev.quire.protocol.UserCommand.AccountRecord a) {
    return new dev.quire.bundle.BundleUser(
        a.username(),
        a.displayName(),
        a.role().name().toLowerCase(java.util.Locale.ROOT),
        a.disabled(),
        a.passwordHash(),
        a.createdAt(),
        a.tokens().stream()
            .map(
                t ->
                    new dev.quire.bundle.BundleUser.Token(
                        t.id(),
                        t.name(),
                        t.secretHash(),
                        t.createdAt(),
                        t.createdBy(),
                        t.expiresAt()))
            .toList());
  }

  /** A bundle's account as the user directory restores it. */
  public static dev.quire.protocol.UserCommand.AccountRecord account(
      dev.quire.bundle.BundleUser u) {
    return new dev.quire.protocol.UserCommand.AccountRecord(
        u.username(),
        u.displayName(),
        dev.quire.protocol.Role.valueOf(u.role().toUpperCase(java.util.Locale.ROOT)),
        Boolean.TRUE.equals(u.disabled()),
        u.passwordHash(),
        u.createdAt(),
        u.tokens().stream()
            .map(
                t ->
                    new dev.quire.protocol.UserCommand.TokenRecord(
                        t.id(),
                        t.name(),
                        t.secretHash(),
                        t.createdAt(),
                        t.createdBy(),
                        t.expiresAt()))
            .toList());
  }

  public static BundleItem item(ContentSnapshot s, List<String> media) {
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
        media,
        f.coverAlt());
  }

  /** The stored media an item's body and cover image point at, each once, in order of use. */
  public static List<String> mediaUsed(ContentFields f, Set<String> stored) {
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

  /**
   * The rules a bundle can carry: a rule the site took before it refused such paths (a {@code //}
   * inside one, from before 2026-12-04) stays in its table and still answers, but no bundle reader
   * or import takes it back, so writing it would make the whole export unreadable. Each one left
   * out is named through {@code warn}, with what is wrong and how to mend it (as the rule was
   * written: a terminal shows it through {@code BundleExport.printable}).
   */
  public static List<RedirectRule> exportable(List<RedirectRule> rules, Consumer<String> warn) {
    List<RedirectRule> out = new ArrayList<>(rules.size());
    for (RedirectRule r : rules) {
      // Only what every reader refuses: a rule no request meets (under /admin, a dot segment) is
      // exported, and an import leaves it out with a note.
      Optional<FieldError> problem = r.shapeProblem();
      if (problem.isEmpty()) {
        out.add(r);
        continue;
      }
      warn.accept(
          "redirect "
              + r.from()
              + " -> "
              + r.to()
              + " left out of the bundle: its '"
              + problem.get().field()
              + "' "
              + problem.get().message()
              + ". The site took it before such rules were refused; remove it on the admin's"
              + " redirects page or through the API, and add it again as a rule the site takes"
              + " now.");
    }
    return out;
  }

  /** The site's menus as a bundle carries them. */
  public static List<dev.quire.bundle.Menu> menus(List<dev.quire.protocol.SiteMenu> menus) {
    return menus.stream()
        .map(
            m ->
                new dev.quire.bundle.Menu(
                    m.name(),
                    m.links().stream()
                        .map(l -> new dev.quire.bundle.Menu.Link(l.label(), l.url()))
                        .toList()))
        .toList();
  }

  public static BundleEvent event(String itemId, HistoryStep s) {
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

  public static HistoryStep step(BundleEvent e) {
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

  public static BundleEvent.Fields fields(ContentFields f) {
    return new BundleEvent.Fields(
        f.title(),
        f.slug(),
        f.body(),
        f.description(),
        f.tags(),
        f.coverImage(),
        f.author(),
        f.date(),
        f.coverAlt());
  }

  public static ContentFields fields(BundleEvent.Fields f) {
    return new ContentFields(
        f.title(),
        f.slug(),
        f.body(),
        f.description(),
        f.tags(),
        f.coverImage(),
        f.author(),
        f.date(),
        f.coverAlt());
  }

  public static ContentFields fields(BundleItem i) {
    return new ContentFields(
        i.title(),
        i.slug(),
        i.body(),
        i.description(),
        i.tags(),
        i.coverImage(),
        i.author(),
        i.date(),
        i.coverAlt());
  }

  /**
   * A history for an item from a bundle made without one: created, then the step to its status. Its
   * old slugs cannot be replayed; the importer turns them into redirects.
   */
  public static List<HistoryStep> synthesize(BundleItem i, Instant now) {
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
