package dev.quire.gateway.backup;

import com.typesafe.config.Config;
import dev.quire.bundle.BundleException;
import dev.quire.bundle.BundleItem;
import dev.quire.bundle.BundleReader;
import dev.quire.bundle.Redirect;
import dev.quire.gateway.media.MediaStore;
import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentReply;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.ContentStatus;
import dev.quire.protocol.FieldError;
import dev.quire.protocol.HistoryStep;
import dev.quire.protocol.RedirectRule;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Imports a verified bundle into a site, stopped ({@code quire bundle import --data}) or running
 * (the backups module's {@code /api/v1/imports}), in two passes. The first only reads: it decides
 * what happens to every item, redirect and setting, runs each new item's history through the same
 * checks {@code Content.Restore} applies, and stops with every reason when anything could not be
 * written, or, under {@link Policy#FAIL}, when anything already exists. Only then does the second
 * pass write: media, items (a new item's history in one journal write), redirects, settings. An
 * import never deletes: existing items are skipped or get a new revision.
 */
public final class BundleImport {

  /** A redirect table as read at one {@code version}. */
  public record RedirectsAt(long version, List<RedirectRule> rules) {}

  /** What an import writes through: the site's entities, by protocol messages. */
  public interface Site {
    CompletionStage<Optional<ContentSnapshot>> get(String id);

    /** Writes a new item's whole history in one journal write ({@code ContentCommand.Restore}). */
    CompletionStage<ContentSnapshot> restore(String id, List<HistoryStep> history);

    CompletionStage<ContentSnapshot> edit(String id, long revision, ContentFields fields);

    CompletionStage<ContentSnapshot> publish(String id, long revision);

    CompletionStage<ContentSnapshot> schedule(String id, long revision, java.time.Instant at);

    CompletionStage<ContentSnapshot> unpublish(String id, long revision);

    CompletionStage<ContentSnapshot> archive(String id, long revision);

    CompletionStage<List<RedirectRule>> redirects();

    CompletionStage<Long> putRedirects(List<RedirectRule> rules);

    /** The whole redirect table, read at one version, with that version. */
    CompletionStage<RedirectsAt> redirectsAt();

    /** Adds or replaces rules while the table is still at {@code expectedVersion}; its new one. */
    CompletionStage<Long> putRedirects(List<RedirectRule> rules, long expectedVersion);

    CompletionStage<List<dev.quire.protocol.SiteMenu>> menus();

    CompletionStage<Long> putMenu(dev.quire.protocol.SiteMenu menu);

    /** The menus with the version they are at. */
    CompletionStage<dev.quire.protocol.MenuCommand.MenuTable> menuTable();

    /** Sets one menu if the menus are still at {@code expectedVersion}; refused otherwise. */
    CompletionStage<Long> putMenu(dev.quire.protocol.SiteMenu menu, long expectedVersion);

    CompletionStage<dev.quire.protocol.ProfileCommand.ProfileTable> profile();

    CompletionStage<Long> putProfile(dev.quire.protocol.SiteProfile profile, long baseVersion);

    CompletionStage<List<dev.quire.protocol.UserCommand.AccountRecord>> accounts();

    CompletionStage<dev.quire.protocol.UserCommand.Restored> restoreAccounts(
        List<dev.quire.protocol.UserCommand.AccountRecord> accounts);
  }

  /**
   * What the first pass reads to decide: a stopped site answers from its journal at once, a running
   * one through the content role.
   */
  public interface Planner {
    /** Every content id the journal holds. */
    Set<String> contentIds() throws Exception;

    /** The owners of those of {@code slugs} (current or old) that an item holds. */
    Map<String, String> slugOwners(Set<String> slugs) throws Exception;

    /**
     * Why the entity would refuse {@code steps} as a new item's history; null when it would not.
     */
    ContentReply.Rejected checkHistory(String id, List<HistoryStep> steps) throws Exception;
  }

  /** How far an import has come: {@code phase} is "checking", "media", "items" or "tables". */
  public interface Progress {
    void at(String phase, long done, long total);
  }

  /**
   * Limits of the import and of the site it plans against. {@code maxHistoryBytes}: the UTF-8 text
   * one new item's history may hold (0: any), where it must cross the cluster in one message.
   * {@code siteConf}: the deployment's settings file an import writes the bundle's address and time
   * zone to, empty where it may not (a running site keeps its configuration's).
   */
  public record Settings(
      int parallelism,
      Duration timeout,
      long maxHeldChars,
      long maxHistoryBytes,
      int maxTokens,
      long maxUsers,
      int redirectBatch,
      long maxRedirects,
      long maxMenus,
      Path siteConfRead,
      boolean writeSiteConf,
      String how) {

    /** The limits as {@code config} holds them (the content role's, where this node has them). */
    public static Settings of(
        Config config,
        int parallelism,
        Duration timeout,
        long maxHeldChars,
        long maxHistoryBytes,
        boolean writeSiteConf,
        String how) {
      return new Settings(
          parallelism,
          timeout,
          maxHeldChars,
          maxHistoryBytes,
          (int) limit(config, "quire.content.users.max-tokens"),
          limit(config, "quire.content.users.max-users"),
          (int) Math.min(Integer.MAX_VALUE, limit(config, "quire.content.redirects.max-batch")),
          limit(config, "quire.content.redirects.max-rules"),
          limit(config, "quire.content.menus.max-menus"),
          BundleSettings.file(config),
          writeSiteConf,
          how);
    }

    private static long limit(Config config, String path) {
      return config.hasPath(path) ? config.getLong(path) : Integer.MAX_VALUE;
    }
  }

  public enum Policy {
    SKIP,
    OVERWRITE,
    FAIL
  }

  /** The bundle cannot be imported as asked; nothing was written. */
  public static final class Refused extends Exception {
    public final List<String> reasons;

    Refused(String what, List<String> reasons) {
      super(what);
      this.reasons = List.copyOf(reasons);
    }
  }

  public record Summary(
      long created,
      long overwritten,
      long skipped,
      long unchanged,
      long mediaAdded,
      long mediaBytesAdded,
      long mediaPresent,
      long redirectsAdded,
      long redirectsKept,
      String settings,
      List<String> notes,
      List<String> failures) {}

  private enum Action {
    CREATE,
    OVERWRITE,
    SKIP,
    UNCHANGED
  }

  /** What happens to one bundle item; {@code siteRevision} is where the site's copy stands. */
  private record Plan(Action action, long bundleRevision, long siteRevision) {}

  private static final int MAX_REASONS = 50;

  private final Site site;
  private final Planner planner;
  private final MediaStore media;
  private final Config config;
  private final Settings limits;
  private final int parallelism;
  private final Duration timeout;
  private final Clock clock;
  private final long maxHeldChars;
  private final Progress progress;

  /**
   * {@code config}: the site's settings as this process has them (what a bundle's settings are
   * compared with); {@code how}, in {@code limits}: how the asker names the options, {@code
   * "--policy"} or {@code "policy"}, for the messages.
   */
  public BundleImport(
      Site site,
      Planner planner,
      MediaStore media,
      Config config,
      Settings limits,
      Clock clock,
      Progress progress) {
    this.site = site;
    this.planner = planner;
    this.media = media;
    this.config = config;
    this.limits = limits;
    this.parallelism = limits.parallelism();
    this.timeout = limits.timeout();
    this.maxHeldChars = limits.maxHeldChars();
    this.clock = clock;
    this.progress = progress;
  }

  /** {@code --policy} or {@code policy}: how the asker names an option, for the messages. */
  private String option(String name) {
    return limits.how().startsWith("--") ? "--" + name : "\"" + name + "\"";
  }

  // ---- pass 1: decide and check, write nothing ----

  private final Map<String, Plan> plans = new HashMap<>();
  private Set<String> siteIds = Set.of();
  private final Set<String> claimed = new HashSet<>();

  /**
   * The slug each new item's record gives, which the check claimed: its history must end there, as
   * the restore claims what the history says (a history ending at another item's slug passed the
   * check and failed when written).
   */
  private final Map<String, String> recordSlugs = new HashMap<>();

  private final Reasons problems = new Reasons();
  private final Reasons conflicts = new Reasons();

  /**
   * Reasons, the first {@link #MAX_LISTED_REASONS} kept with a count of all: a bundle of 100,000
   * conflicts is counted, not listed whole (in a reply, in a gateway's memory).
   */
  private static final class Reasons {
    private final List<String> shown = new ArrayList<>();
    private long total;

    void add(String reason) {
      total++;
      if (shown.size() < MAX_LISTED_REASONS) {
        shown.add(reason);
      }
    }

    boolean isEmpty() {
      return total == 0;
    }

    long size() {
      return total;
    }

    /** The reasons kept, and a last line saying how many more there were. */
    List<String> listed() {
      List<String> out = new ArrayList<>(shown);
      if (total > shown.size()) {
        out.add("... and " + (total - shown.size()) + " more");
      }
      return out;
    }
  }

  private static final int MAX_LISTED_REASONS = 1000;
  private final List<String> notes = new ArrayList<>();
  private final Map<String, RedirectRule> redirectsToPut = new LinkedHashMap<>();
  private final List<dev.quire.protocol.SiteMenu> menusToPut = new ArrayList<>();

  /** The menus' version the plan read: a menu is set only while they are still at it. */
  private long menusVersion;

  /** What the site had for each redirect this import writes, when the plan read its table. */
  private final Map<String, Optional<RedirectRule>> redirectsSeen = new HashMap<>();

  private long redirectsKept;

  /** The site settings this import writes to site.conf; null when it writes none. */
  private Map<String, String> settingsToWrite;

  private String settingsOutcome = "none in the bundle";

  /** The site profile this import sets, at the version it was planned against; null: none. */
  private dev.quire.protocol.SiteProfile profileToPut;

  private long profileBase;

  public Summary run(BundleReader bundle, Policy policy) throws Exception {
    return run(bundle, policy, false);
  }

  /**
   * {@code withUsers}: restore the bundle's accounts (format 2.x) too; without it they are left
   * out, and said so: accounts, admins among them, come only from a bundle one asked them from.
   */
  public Summary run(BundleReader bundle, Policy policy, boolean withUsers) throws Exception {
    this.withUsers = withUsers;
    plan(bundle, policy);
    if (!problems.isEmpty()) {
      throw new Refused(problems.size() + " problem(s) in the bundle", problems.listed());
    }
    if (policy == Policy.FAIL && !conflicts.isEmpty()) {
      throw new Refused(
          conflicts.size()
              + " item(s), redirect(s) or setting(s) already on this site"
              + " ("
              + option("policy")
              + " fail)",
          conflicts.listed());
    }
    checkRoom(bundle);
    return write(bundle);
  }

  /**
   * Refuses, before anything is written, a bundle whose media the site does not hold yet would
   * leave less than {@code quire.media.keep-free} on the media directory's disk: the room uploads
   * keep for the database that shares it.
   */
  private void checkRoom(BundleReader bundle) throws Exception {
    long keepFree =
        config.hasPath("quire.media.keep-free") ? config.getBytes("quire.media.keep-free") : 0;
    if (keepFree <= 0) {
      return;
    }
    long[] incoming = {0};
    bundle.forEachMedia(
        m -> {
          if (media.get(m.sha256()).isEmpty()) {
            incoming[0] += m.size();
          }
        });
    long free = media.usableBytes();
    if (incoming[0] > 0 && free >= 0 && free - incoming[0] < keepFree) {
      throw new Refused(
          "not enough room on the disk for the bundle's media",
          List.of(
              "its media files this site does not hold ("
                  + MediaStore.megabytes(incoming[0])
                  + ") would leave less than quire.media.keep-free ("
                  + MediaStore.megabytes(keepFree)
                  + ") of the "
                  + MediaStore.megabytes(free)
                  + " free on the media directory's disk; nothing was changed"));
    }
  }

  private void plan(BundleReader bundle, Policy policy) throws Exception {
    boolean history = bundle.manifest().includesHistory();
    siteIds = planner.contentIds();
    List<BundleItem> batch = new ArrayList<>();
    long items = bundle.manifest().counts().items();
    long[] planned = {0};
    progress.at("checking", 0, items);
    bundle.forEachItem(
        i -> {
          batch.add(i);
          if (batch.size() >= parallelism) {
            planItems(batch, policy, history);
            planned[0] += batch.size();
            progress.at("checking", planned[0], items);
            batch.clear();
          }
        });
    planItems(batch, policy, history);
    progress.at("checking", items, items);
    if (history) {
      forEachHistory(
          bundle,
          (id, steps) -> {
            if (plans.get(id).action() == Action.CREATE) {
              check(id, checked(id, steps));
              String last = null;
              for (HistoryStep step : steps) {
                if (step.fields() != null) {
                  last = step.fields().slug();
                }
              }
              String record = recordSlugs.get(id);
              if (last != null && record != null && !last.equals(record)) {
                problem(
                    "item "
                        + id
                        + ": its history ends at slug '"
                        + last
                        + "', its record says '"
                        + record
                        + "'");
              }
            }
          });
    }
    planRedirects(bundle, policy);
    planSettings(bundle, policy);
    planMenus(bundle, policy);
    planAccounts(bundle);
  }

  private boolean withUsers;

  /** The role a restored account has, as the import's note names it. */
  private String roleOf(String username) {
    return accountsToRestore.stream()
        .filter(a -> a.username().equals(username))
        .map(a -> a.role().name().toLowerCase(java.util.Locale.ROOT))
        .findFirst()
        .orElse("?");
  }

  /** The bundle's accounts (format 2.x) the site lacks, restored after everything else. */
  private final List<dev.quire.protocol.UserCommand.AccountRecord> accountsToRestore =
      new ArrayList<>();

  /**
   * Accounts (format 2.x): one whose name the site has is kept as the site has it, whatever the
   * policy (its password stays this site's: a site's first start makes an {@code admin} that a
   * restore must not take over, or be refused for); the others are restored as they were, checked
   * here against the site's limits so that a problem stops the import before anything is written.
   */
  private void planAccounts(BundleReader bundle) throws Exception {
    long carried = bundle.manifest().counts().users();
    if (carried == 0) {
      return;
    }
    if (!withUsers) {
      notes.add(
          "the bundle carries "
              + carried
              + " account(s), not restored: "
              + (limits.how().startsWith("--")
                  ? "add --with-users"
                  : "ask for them (users=true, or the form's box for the accounts)")
              + " to restore those this site lacks");
      return;
    }
    List<dev.quire.protocol.UserCommand.AccountRecord> fromBundle = new ArrayList<>();
    bundle.forEachUser(u -> fromBundle.add(BundleMapping.account(u)));
    Set<String> present = new HashSet<>();
    Set<String> tokenIds = new HashSet<>();
    for (dev.quire.protocol.UserCommand.AccountRecord a : await(site.accounts())) {
      present.add(a.username());
      a.tokens().forEach(t -> tokenIds.add(t.id()));
    }
    List<String> kept = new ArrayList<>();
    int maxTokens = limits.maxTokens();
    for (dev.quire.protocol.UserCommand.AccountRecord a : fromBundle) {
      if (present.contains(a.username())) {
        kept.add(a.username());
        continue;
      }
      // The user directory's own check, so that it cannot refuse what this import then writes.
      String wrong =
          dev.quire.protocol.UserCommand.restoreProblem(a, maxTokens, java.time.Instant.now());
      if (wrong != null) {
        problem("users.jsonl: " + wrong);
      }
      a.tokens().stream()
          .filter(t -> tokenIds.contains(t.id()))
          .forEach(
              t ->
                  notes.add(
                      "account '"
                          + a.username()
                          + "': its API token "
                          + t.id()
                          + " is left out: an account of this site has a token with that id"));
      accountsToRestore.add(a);
    }
    long max = limits.maxUsers();
    if (present.size() + accountsToRestore.size() > max) {
      problem(
          "users.jsonl: the site would hold "
              + (present.size() + accountsToRestore.size())
              + " accounts, more than quire.content.users.max-users ("
              + max
              + ")");
    }
    if (!kept.isEmpty()) {
      notes.add(
          "accounts kept as this site has them (their passwords and roles are this site's, not"
              + " the bundle's): "
              + String.join(", ", kept));
    }
  }

  private void planItems(List<BundleItem> batch, Policy policy, boolean history)
      throws java.io.IOException {
    // Only items the site already has are asked for; everything else is known from the journal.
    List<CompletableFuture<Optional<ContentSnapshot>>> existing = new ArrayList<>();
    Set<String> batchSlugs = new HashSet<>();
    batch.forEach(i -> batchSlugs.addAll(slugsOf(i)));
    Map<String, String> slugOwners;
    try {
      slugOwners = planner.slugOwners(batchSlugs);
    } catch (java.io.IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new java.io.IOException("the site did not say who holds the slugs: " + e, e);
    }
    for (BundleItem i : batch) {
      existing.add(
          siteIds.contains(i.id())
              ? site.get(i.id()).toCompletableFuture()
              : CompletableFuture.completedFuture(Optional.empty()));
    }
    for (int n = 0; n < batch.size(); n++) {
      BundleItem item = batch.get(n);
      Optional<ContentSnapshot> current = awaitIo(existing.get(n));
      Set<String> others = new HashSet<>();
      for (String slug : slugsOf(item)) {
        String owner = slugOwners.get(slug);
        if (owner != null && !owner.equals(item.id())) {
          others.add(owner);
        }
      }
      String label = "item " + item.id() + " ('" + item.slug() + "')";
      Plan plan;
      if (current.isPresent()) {
        ContentSnapshot s = current.get();
        if (s.fields().equals(BundleMapping.fields(item))
            && s.status().id().equals(item.status())) {
          plan = new Plan(Action.UNCHANGED, item.revision(), s.revision());
        } else {
          conflicts.add(label + " exists on this site at revision " + s.revision());
          plan = new Plan(Action.SKIP, item.revision(), s.revision());
          if (policy == Policy.OVERWRITE) {
            if (!others.isEmpty()) {
              problem(label + ": its slug belongs to item " + others.iterator().next());
            }
            if (!s.kind().id().equals(item.kind())) {
              // Overwrite edits the site's item, which keeps its kind: the bundle's fields were
              // checked for the other kind, and the edit (after a publish) was refused.
              problem(
                  label
                      + ": is a "
                      + item.kind()
                      + " in the bundle and a "
                      + s.kind().id()
                      + " on this site; overwrite does not change an item's kind");
            }
            fieldsCheck(label, item.id(), s.kind(), BundleMapping.fields(item));
            if (item.status().equals(ContentStatus.SCHEDULED.id()) && item.scheduledAt() == null) {
              // Found now, not after the item was unpublished to be scheduled.
              problem(label + ": is scheduled with no time (scheduledAt)");
            }
            // Its slugs are taken as a new item's are: a new item of the bundle with the same
            // slug passed the check, and one of the two failed when written.
            for (String slug : slugsOf(item)) {
              if (!claimed.add(slug)) {
                problem(label + ": slug '" + slug + "' is also used by another item of the bundle");
              }
            }
            plan = new Plan(Action.OVERWRITE, item.revision(), s.revision());
          }
        }
      } else if (!others.isEmpty()) {
        conflicts.add(
            label
                + ": its slug or an old slug belongs to item "
                + others.iterator().next()
                + " on this site");
        if (policy == Policy.OVERWRITE) {
          problem(
              label
                  + ": its slug belongs to another item on this site, which overwrite would"
                  + " not replace; import with "
                  + option("policy")
                  + " skip, or change the slug");
        }
        plan = new Plan(Action.SKIP, item.revision(), 0);
      } else {
        plan = new Plan(Action.CREATE, item.revision(), 0);
        recordSlugs.put(item.id(), item.slug());
        for (String slug : slugsOf(item)) {
          if (!claimed.add(slug)) {
            problem(label + ": slug '" + slug + "' is also used by another item of the bundle");
          }
        }
        if (!history) {
          check(item.id(), checked(item.id(), synthesize(item)));
          for (String alias : item.aliases()) {
            RedirectRule r = aliasRedirect(item, alias);
            redirectsToPut.put(r.from(), r);
          }
        }
      }
      plans.put(item.id(), plan);
    }
  }

  private static List<String> slugsOf(BundleItem item) {
    List<String> all = new ArrayList<>();
    all.add(item.slug());
    all.addAll(item.aliases());
    return all;
  }

  private static RedirectRule aliasRedirect(BundleItem item, String alias) {
    String prefix = item.kind().equals("page") ? "/" : "/posts/";
    return new RedirectRule(prefix + alias + "/", prefix + item.slug() + "/", 301);
  }

  /** The planner's check of a history, waited for as an ask is. */
  private ContentReply.Rejected checked(String id, List<HistoryStep> steps)
      throws java.io.IOException {
    if (tooLong(id, steps)) {
      return null; // refused already: the history is not sent to be checked either
    }
    try {
      return planner.checkHistory(id, steps);
    } catch (java.io.IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new java.io.IOException("the site did not check item " + id + ": " + e, e);
    }
  }

  /**
   * A new item's history is one message to its entity: where that must cross the cluster, it must
   * fit one remoting frame (the large-message stream's 2 MiB).
   */
  private boolean tooLong(String id, List<HistoryStep> steps) {
    if (limits.maxHistoryBytes() <= 0) {
      return false;
    }
    long bytes = 0;
    for (HistoryStep step : steps) {
      bytes +=
          STEP_JSON_BYTES
              + json(step.actor())
              + json(step.aliasAdded())
              + json(step.slugReleased());
      ContentFields f = step.fields();
      if (f != null) {
        bytes +=
            json(f.body())
                + json(f.title())
                + json(f.description())
                + json(f.slug())
                + json(f.coverImage())
                + json(f.coverAlt())
                + json(f.author());
        if (f.tags() != null) {
          for (String t : f.tags()) {
            bytes += json(t) + 1;
          }
        }
      }
    }
    if (bytes > limits.maxHistoryBytes()) {
      problem(
          "item "
              + id
              + ": its history holds "
              + bytes
              + " bytes of text, more than one write to a running site carries"
              + " (quire.gateway.imports.max-history-bytes, "
              + limits.maxHistoryBytes()
              + "); import the bundle with `quire bundle import --data` into the stopped site, or"
              + " raise the limit on a site of one node");
      return true;
    }
    return false;
  }

  /**
   * What a step costs in the JSON message beside its texts: its field names, times, kind, revision
   * and type, with room to spare.
   */
  private static final long STEP_JSON_BYTES = 512;

  /** {@code s} as a JSON string in UTF-8: escapes counted, as the serializer writes them. */
  private static long json(String s) {
    if (s == null) {
      return 4;
    }
    long n = 2;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
        n += 2;
      } else if (c < 0x20) {
        n += 6;
      } else {
        n += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
      }
    }
    return n;
  }

  private List<HistoryStep> synthesize(BundleItem item) {
    return BundleMapping.synthesize(item, clock.instant());
  }

  /**
   * The fields an overwrite edits the site's item to, checked by the site's own rules: those of a
   * new item's first step, which the planner checks as the entity would.
   */
  private void fieldsCheck(String label, String id, ContentKind kind, ContentFields fields)
      throws java.io.IOException {
    HistoryStep created =
        new HistoryStep(1, "created", clock.instant(), null, kind, fields, null, null, null, null);
    ContentReply.Rejected r = checked(id, List.of(created));
    if (r == null) {
      return;
    }
    if (r.errors().isEmpty()) {
      problem(label + ": field '" + fieldName(r.field()) + "': " + r.message());
    }
    for (FieldError e : r.errors()) {
      problem(label + ": field '" + fieldName(e.field()) + "': " + e.message());
    }
  }

  private static String fieldName(String field) {
    return field.startsWith(CREATED_FIELDS) ? field.substring(CREATED_FIELDS.length()) : field;
  }

  /** How a first step's check names a field of its fields. */
  private static final String CREATED_FIELDS = "history[0].fields.";

  private void check(String id, ContentReply.Rejected rejected) {
    if (rejected != null) {
      problem(
          "item "
              + id
              + ": field '"
              + rejected.field()
              + "': "
              + rejected.message()
              + " (the site would refuse this history)");
    }
  }

  private void problem(String p) {
    problems.add(p);
  }

  private void planRedirects(BundleReader bundle, Policy policy) throws Exception {
    Map<String, RedirectRule> current = new HashMap<>();
    for (RedirectRule r : await(site.redirects())) {
      current.put(r.from(), r);
    }
    List<String> leftOut = new ArrayList<>();
    for (Redirect r : bundle.redirects()) {
      RedirectRule rule = new RedirectRule(r.from(), r.to(), r.status());
      Optional<FieldError> bad = rule.shapeProblem();
      if (bad.isPresent()) {
        problem("redirects.jsonl: " + r.from() + ": " + bad.get());
        continue;
      }
      // What an older Quire stored and this one refuses, as never met by a request: left out.
      Optional<FieldError> unmet = rule.neverFollowed();
      if (unmet.isPresent()) {
        leftOut.add(r.from() + " (its 'from' " + unmet.get().message() + ")");
        continue;
      }
      redirectsToPut.put(rule.from(), rule);
    }
    for (RedirectRule rule : redirectsToPut.values()) {
      redirectsSeen.put(rule.from(), Optional.ofNullable(current.get(rule.from())));
    }
    for (var it = redirectsToPut.values().iterator(); it.hasNext(); ) {
      RedirectRule rule = it.next();
      RedirectRule there = current.get(rule.from());
      if (there == null) {
        continue;
      }
      if (there.equals(rule)) {
        it.remove();
        redirectsKept++;
        continue;
      }
      conflicts.add(
          "redirect from "
              + rule.from()
              + " goes to "
              + there.to()
              + " on this site, "
              + rule.to()
              + " in the bundle");
      if (policy != Policy.OVERWRITE) {
        it.remove();
        redirectsKept++;
      }
    }
    // A rule that would loop through the site's table with the bundle's (the site refuses to
    // store one): left out, said so. First one rule of each loop the bundle's rules close, in the
    // bundle's order (the rest of that loop then leads somewhere), then any rule still leading
    // into a loop of the site's own or down a chain longer than browsers follow: two passes over
    // the rules, each following at most MAX_HOPS of them.
    Map<String, RedirectRule> table = new HashMap<>(current);
    table.putAll(redirectsToPut);
    for (boolean closing : new boolean[] {true, false}) {
      for (RedirectRule rule : List.copyOf(redirectsToPut.values())) {
        Optional<String> loop =
            closing && !RedirectRule.onLoop(table, rule)
                ? Optional.empty()
                : RedirectRule.loopFrom(table, rule);
        if (loop.isPresent()) {
          leftOut.add(rule.from() + " (it " + loop.get() + ")");
          redirectsToPut.remove(rule.from());
          redirectsSeen.remove(rule.from());
          RedirectRule before = current.get(rule.from());
          if (before == null) {
            table.remove(rule.from());
          } else {
            table.put(rule.from(), before);
          }
        }
      }
    }
    if (!leftOut.isEmpty()) {
      notes.add(
          leftOut.size()
              + " redirect(s) left out, which no visitor could follow: "
              + String.join("; ", leftOut.subList(0, Math.min(MAX_LISTED_FAILURES, leftOut.size())))
              + (leftOut.size() > MAX_LISTED_FAILURES
                  ? "; and " + (leftOut.size() - MAX_LISTED_FAILURES) + " more"
                  : ""));
    }
    long max = limits.maxRedirects();
    long after =
        current.size()
            + redirectsToPut.keySet().stream().filter(f -> !current.containsKey(f)).count();
    if (after > max) {
      problem(
          "redirects: the site would hold "
              + after
              + " redirects, more than"
              + " quire.content.redirects.max-rules ("
              + max
              + ")");
    }
  }

  /**
   * Menus by name: a new one is added; one the site has the same is kept; one that differs is a
   * conflict, replaced with {@code overwrite} and kept otherwise (as redirects are).
   */
  private void planMenus(BundleReader bundle, Policy policy) throws Exception {
    Map<String, dev.quire.protocol.SiteMenu> current = new HashMap<>();
    dev.quire.protocol.MenuCommand.MenuTable table = await(site.menuTable());
    menusVersion = table.version();
    for (dev.quire.protocol.SiteMenu m : table.menus()) {
      current.put(m.name(), m);
    }
    int added = 0;
    int kept = 0;
    for (dev.quire.bundle.Menu m : bundle.menus()) {
      dev.quire.protocol.SiteMenu menu =
          new dev.quire.protocol.SiteMenu(
              m.name(),
              m.links().stream()
                  .map(l -> new dev.quire.protocol.SiteMenu.Link(l.label(), l.url()))
                  .toList());
      Optional<FieldError> bad = menu.problem();
      if (bad.isPresent()) {
        problem(
            "menus.json: menu '"
                + m.name()
                + "': "
                + bad.get().field()
                + ": "
                + bad.get().message());
        continue;
      }
      dev.quire.protocol.SiteMenu there = current.get(menu.name());
      if (menu.equals(there)) {
        kept++;
        continue;
      }
      if (there != null) {
        conflicts.add("menu '" + menu.name() + "' differs on this site and in the bundle");
        if (policy != Policy.OVERWRITE) {
          kept++;
          continue;
        }
      }
      menusToPut.add(menu);
      added++;
    }
    long max = limits.maxMenus();
    long after =
        current.size() + menusToPut.stream().filter(m -> !current.containsKey(m.name())).count();
    if (after > max) {
      problem(
          "menus: the site would hold "
              + after
              + " menus, more than quire.content.menus.max-menus ("
              + max
              + ")");
    }
    menusKept = kept;
  }

  /** Menus the plan keeps as the site has them (said with those set, once written). */
  private int menusKept;

  /**
   * Settings: the site's profile (title, description, ... as editors set them in the admin) is set
   * from the bundle's, a change journaled like theirs; it conflicts when the site's editors set it
   * to something else. The deployment's settings (address, time zone) go to {@code site.conf} as
   * before: written when there is none, conflicting when it holds others.
   */
  private void planSettings(BundleReader bundle, Policy policy) throws Exception {
    Map<String, String> settings = bundle.settings();
    if (settings.isEmpty()) {
      return;
    }
    BundleSettings.problems(settings).forEach(this::problem);
    List<String> unknown = BundleSettings.unknown(settings);
    if (!unknown.isEmpty()) {
      notes.add("settings this Quire does not know were not imported: " + unknown);
    }
    List<String> outcomes = new ArrayList<>();
    planProfile(settings, policy, outcomes);
    planDeploymentSettings(settings, policy, outcomes);
    settingsOutcome = outcomes.isEmpty() ? "none in the bundle" : String.join("; ", outcomes);
  }

  /**
   * The bundle holds the settings as its site showed them, its configuration's and its admins'
   * alike. What this site already shows the same is left alone; a value that is this site's
   * configured one is left unset (the configuration keeps saying it); any other is set. It
   * conflicts only with what this site says of its own: a value its admins set, or its {@code
   * site.conf} holds.
   */
  private void planProfile(Map<String, String> settings, Policy policy, List<String> outcomes)
      throws Exception {
    Map<String, String> fromBundle = new LinkedHashMap<>();
    settings.forEach(
        (k, v) -> {
          if (dev.quire.protocol.SiteProfile.KEYS.contains(k)) {
            fromBundle.put(k, v);
          }
        });
    if (fromBundle.isEmpty() || !BundleSettings.problems(settings).isEmpty()) {
      return; // what is wrong is reported already
    }
    // A value this Quire refuses that an older one took (any language): left out, said so.
    for (String key : List.copyOf(fromBundle.keySet())) {
      var alone = dev.quire.protocol.SiteProfile.fromSettings(Map.of(key, fromBundle.get(key)));
      var bad = alone.problem();
      if (bad.isPresent()) {
        notes.add("setting '" + key + "' was not imported: " + bad.get().message());
        fromBundle.remove(key);
      }
    }
    var there = await(site.profile());
    Map<String, String> configured = BundleSettings.of(config);
    Map<String, String> shown = BundleSettings.of(config, there.profile());
    Map<String, String> own = there.profile().asSettings();
    Map<String, String> inSiteConf = BundleSettings.inFile(limits.siteConfRead());
    Map<String, String> wanted = new LinkedHashMap<>(own);
    List<String> ownDiffering = new ArrayList<>();
    fromBundle.forEach(
        (k, v) -> {
          String bundleValue =
              dev.quire.protocol.SiteProfile.fromSettings(Map.of(k, v))
                  .asSettings()
                  .getOrDefault(k, "");
          if (bundleValue.equals(shown.getOrDefault(k, ""))) {
            return;
          }
          if (own.containsKey(k) || inSiteConf.containsKey(k)) {
            ownDiffering.add(k);
          }
          if (bundleValue.equals(configured.getOrDefault(k, ""))) {
            wanted.remove(k);
          } else {
            wanted.put(k, bundleValue);
          }
        });
    dev.quire.protocol.SiteProfile profile = dev.quire.protocol.SiteProfile.fromSettings(wanted);
    if (profile.equals(there.profile())) {
      outcomes.add("profile unchanged");
      return;
    }
    if (ownDiffering.isEmpty()) {
      profileToPut = profile;
      profileBase = there.version();
      outcomes.add("profile set");
      return;
    }
    conflicts.add(
        "settings: this site's own "
            + String.join(", ", ownDiffering)
            + " (set in its admin or its site.conf) differ from the bundle's");
    if (policy == Policy.OVERWRITE) {
      profileToPut = profile;
      profileBase = there.version();
      outcomes.add("profile replaced");
      return;
    }
    // Skip: the site keeps what it says of its own; the bundle's other settings are taken.
    for (String k : ownDiffering) {
      if (own.containsKey(k)) {
        wanted.put(k, own.get(k));
      } else {
        wanted.remove(k);
      }
    }
    profile = dev.quire.protocol.SiteProfile.fromSettings(wanted);
    if (!profile.equals(there.profile())) {
      profileToPut = profile;
      profileBase = there.version();
    }
    outcomes.add("kept the site's own " + String.join(", ", ownDiffering));
  }

  /**
   * Address and time zone: {@code site.conf}, which a conflict is only about when it holds them.
   */
  private void planDeploymentSettings(
      Map<String, String> settings, Policy policy, List<String> outcomes) throws Exception {
    Map<String, String> fromBundle = new LinkedHashMap<>();
    settings.forEach(
        (k, v) -> {
          if (BundleSettings.DEPLOYMENT.contains(k)) {
            fromBundle.put(k, v);
          }
        });
    if (fromBundle.isEmpty()) {
      return;
    }
    if (!limits.writeSiteConf()) {
      // A running site's address and time zone are its deployment's (its configuration and
      // environment), which an import through it does not rewrite.
      Map<String, String> configured = BundleSettings.of(config);
      List<String> differ =
          fromBundle.entrySet().stream()
              .filter(e -> !e.getValue().equals(configured.get(e.getKey())))
              .map(e -> e.getKey() + " '" + e.getValue() + "'")
              .toList();
      if (!differ.isEmpty()) {
        notes.add(
            "the bundle's "
                + String.join(", ", differ)
                + " not set: a running site keeps its configuration's (QUIRE_BASE_URL,"
                + " QUIRE_TIME_ZONE)");
        outcomes.add("address and time zone kept as configured");
      }
      return;
    }
    Path file = limits.siteConfRead();
    Map<String, String> there = BundleSettings.inFile(file);
    Map<String, String> wanted = new LinkedHashMap<>(there);
    wanted.putAll(fromBundle);
    if (wanted.equals(there)) {
      outcomes.add(file + " unchanged");
      return;
    }
    boolean differs =
        fromBundle.entrySet().stream()
            .anyMatch(
                e -> there.containsKey(e.getKey()) && !there.get(e.getKey()).equals(e.getValue()));
    if (!differs) {
      settingsToWrite = wanted;
      outcomes.add("written to " + file);
      return;
    }
    conflicts.add("settings: " + file + " already holds this site's address or time zone");
    if (policy == Policy.OVERWRITE) {
      settingsToWrite = wanted;
      outcomes.add("replaced in " + file);
    } else {
      outcomes.add("kept the site's own (" + file + ")");
    }
  }

  // ---- pass 2: write ----

  /** Whether the write pass has begun: past it, a failure leaves what was written so far. */
  public boolean writing() {
    return writing;
  }

  private volatile boolean writing;

  private Summary write(BundleReader bundle) throws Exception {
    writing = true;
    List<String> failures = new ArrayList<>();
    long[] mediaAdded = {0, 0, 0};
    long mediaTotal = bundle.manifest().counts().media();
    long[] mediaDone = {0};
    progress.at("media", 0, mediaTotal);
    {
      bundle.forEachMedia(
          m -> {
            if (media.get(m.sha256()).isPresent()) {
              mediaAdded[2]++;
            } else {
              MediaStore.Media stored;
              try (InputStream in = bundle.openMedia(m.sha256())) {
                stored = media.restore(in, m.contentType(), m.filename(), m.size());
              }
              if (!stored.sha256().equals(m.sha256())) {
                throw new BundleException(
                    "media/" + m.sha256(), "stored as " + stored.sha256() + ": bytes changed");
              }
              mediaAdded[0]++;
              mediaAdded[1] += m.size();
            }
            progress.at("media", ++mediaDone[0], mediaTotal);
          });
    }
    Window window = new Window(failures);
    long[] counts = new long[4];
    for (Plan p : plans.values()) {
      counts[p.action().ordinal()]++;
    }
    long itemTotal = bundle.manifest().counts().items();
    long[] itemsDone = {0};
    Runnable step = () -> progress.at("items", ++itemsDone[0], itemTotal);
    progress.at("items", 0, itemTotal);
    {
      if (bundle.manifest().includesHistory()) {
        forEachHistory(
            bundle,
            (id, steps) -> {
              if (plans.get(id).action() == Action.CREATE) {
                window.submit(id, () -> site.restore(id, steps));
              }
              step.run();
            });
      }
      bundle.forEachItem(
          item -> {
            Plan plan = plans.get(item.id());
            if (plan.action() == Action.CREATE && !bundle.manifest().includesHistory()) {
              List<HistoryStep> steps = synthesize(item);
              window.submit(item.id(), () -> site.restore(item.id(), steps));
              step.run();
            } else if (plan.action() == Action.OVERWRITE) {
              window.submit(item.id(), () -> overwrite(item, plan.siteRevision()));
            }
            if (!bundle.manifest().includesHistory() && plan.action() != Action.CREATE) {
              step.run();
            }
          });
      window.drain();
    }
    progress.at("tables", 0, 1);
    long redirectsWritten = 0;
    if (!redirectsToPut.isEmpty()) {
      redirectsWritten = writeRedirects(failures);
    }
    long version = menusVersion;
    int menusSet = 0;
    for (dev.quire.protocol.SiteMenu menu : menusToPut) {
      try {
        version = await(site.putMenu(menu, version));
        menusSet++;
      } catch (Exception e) {
        failures.add(
            "menu '"
                + menu.name()
                + "' not set (the menus changed on the site since the import checked them, or it"
                + " was refused): "
                + cause(e));
      }
    }
    if (settingsToWrite != null) {
      BundleSettings.write(limits.siteConfRead(), settingsToWrite);
    }
    if (menusSet + menusKept > 0) {
      notes.add(
          "menus: "
              + menusSet
              + " set from the bundle, "
              + menusKept
              + " kept as the site has them");
    }
    if (profileToPut != null) {
      try {
        await(site.putProfile(profileToPut, profileBase));
      } catch (Exception e) {
        settingsOutcome = "profile not set (see the failures)";
        failures.add(
            "settings not set (the site's changed since the import checked them, or they were"
                + " refused): "
                + cause(e));
      }
    }
    if (!accountsToRestore.isEmpty()) {
      restoreAccounts(failures);
    }
    return new Summary(
        counts[Action.CREATE.ordinal()] - window.failed(plans, Action.CREATE),
        counts[Action.OVERWRITE.ordinal()] - window.failed(plans, Action.OVERWRITE),
        counts[Action.SKIP.ordinal()],
        counts[Action.UNCHANGED.ordinal()],
        mediaAdded[0],
        mediaAdded[1],
        mediaAdded[2],
        redirectsWritten,
        redirectsKept,
        settingsOutcome,
        notes,
        failures);
  }

  /**
   * Writes the planned redirects that the site's table still has as the plan read it (one an editor
   * changed since is the site's now, left as it is and listed); answers how many were written. The
   * table is read again first, twice at most: a read spanning a change is torn.
   */
  private long writeRedirects(List<String> failures) {
    Map<String, RedirectRule> now = new HashMap<>();
    Exception lastFailure = null;
    long version = -1;
    for (int attempt = 0; attempt < REDIRECT_READS; attempt++) {
      try {
        RedirectsAt table = await(site.redirectsAt());
        version = table.version();
        for (RedirectRule r : table.rules()) {
          now.put(r.from(), r);
        }
        lastFailure = null;
        break;
      } catch (Exception e) {
        now.clear();
        lastFailure = e;
      }
    }
    if (lastFailure != null) {
      failures.add(
          redirectsToPut.size()
              + " redirect(s) not written: the site's table could not be read again: "
              + cause(lastFailure));
      return 0;
    }
    List<RedirectRule> rules = new ArrayList<>();
    long changed = 0;
    for (RedirectRule rule : redirectsToPut.values()) {
      if (Optional.ofNullable(now.get(rule.from())).equals(redirectsSeen.get(rule.from()))) {
        rules.add(rule);
      } else if (++changed <= MAX_LISTED_FAILURES) {
        failures.add(
            "redirect from "
                + rule.from()
                + ": changed on the site since the import checked it; not replaced");
      }
    }
    if (changed > MAX_LISTED_FAILURES) {
      failures.add(
          "... and " + (changed - MAX_LISTED_FAILURES) + " more redirect(s) changed meanwhile");
    }
    // Each batch only while the table is as read (or as the batch before left it): one an editor
    // changes in between is theirs, and the rest of the import's redirects are left out, listed.
    long written = 0;
    int batch = Math.max(1, limits.redirectBatch());
    for (int from = 0; from < rules.size(); from += batch) {
      List<RedirectRule> part = rules.subList(from, Math.min(rules.size(), from + batch));
      try {
        version = await(site.putRedirects(part, version));
        written += part.size();
      } catch (Exception e) {
        failures.add(
            (rules.size() - from)
                + " redirect(s) not written (the table changed on the site while the import wrote"
                + " it, or was refused): "
                + cause(e));
        break;
      }
    }
    return written;
  }

  /** Reads of the redirect table before the import gives its redirects up. */
  private static final int REDIRECT_READS = 2;

  /** Failures of one kind listed one by one; past it, a count. */
  private static final int MAX_LISTED_FAILURES = 50;

  /**
   * The accounts, in pages as the directory exports them (a page stays within a cluster message);
   * each was checked in the plan, so a page the directory refuses is one that changed meanwhile.
   */
  private void restoreAccounts(List<String> failures) {
    List<String> added = new ArrayList<>();
    List<String> kept = new ArrayList<>();
    List<String> leftOut = new ArrayList<>();
    int tokens = 0;
    for (List<dev.quire.protocol.UserCommand.AccountRecord> part : accountPages()) {
      dev.quire.protocol.UserCommand.Restored r;
      try {
        r = await(site.restoreAccounts(part));
      } catch (Exception e) {
        failures.add("accounts: " + part.size() + " not restored: " + cause(e));
        continue;
      }
      if (r.problem() != null) {
        failures.add("accounts: " + part.size() + " not restored: " + r.problem());
        continue;
      }
      added.addAll(r.added());
      kept.addAll(r.kept());
      leftOut.addAll(r.tokensLeftOut());
      tokens += r.tokens();
    }
    if (!added.isEmpty()) {
      notes.add(
          "accounts: "
              + added.size()
              + " restored ("
              + added.stream()
                  .map(n -> n + " as " + roleOf(n))
                  .collect(java.util.stream.Collectors.joining(", "))
              + ") with "
              + tokens
              + " API token(s); they sign in with the passwords they had");
    }
    if (!kept.isEmpty()) {
      notes.add(
          "accounts made on the site since the import checked it, kept as they are: "
              + String.join(", ", kept));
    }
    if (!leftOut.isEmpty()) {
      notes.add(
          "API tokens left out, their ids taken on the site meanwhile or revoked on it before: "
              + String.join(", ", leftOut));
    }
  }

  /**
   * The accounts to restore in pages as the directory exports them: at most {@code EXPORT_PAGE}
   * accounts and {@code EXPORT_PAGE_TOKENS} tokens each (one account always), so that a page stays
   * under the ordinary stream's frame.
   */
  private List<List<dev.quire.protocol.UserCommand.AccountRecord>> accountPages() {
    List<List<dev.quire.protocol.UserCommand.AccountRecord>> pages = new ArrayList<>();
    List<dev.quire.protocol.UserCommand.AccountRecord> page = new ArrayList<>();
    int tokens = 0;
    for (dev.quire.protocol.UserCommand.AccountRecord a : accountsToRestore) {
      if (!page.isEmpty()
          && (page.size() >= dev.quire.protocol.UserCommand.EXPORT_PAGE
              || tokens + a.tokens().size() > dev.quire.protocol.UserCommand.EXPORT_PAGE_TOKENS)) {
        pages.add(page);
        page = new ArrayList<>();
        tokens = 0;
      }
      page.add(a);
      tokens += a.tokens().size();
    }
    if (!page.isEmpty()) {
      pages.add(page);
    }
    return pages;
  }

  /** What went wrong, past the wrappers of futures. */
  static String cause(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null
        && (c instanceof java.util.concurrent.ExecutionException
            || c instanceof java.util.concurrent.CompletionException)) {
      c = c.getCause();
    }
    return c.getMessage() == null ? c.toString() : c.getMessage();
  }

  /** Brings an existing item to the bundle's fields and status, each step a new revision. */
  private CompletionStage<ContentSnapshot> overwrite(BundleItem item, long revision) {
    ContentFields fields = BundleMapping.fields(item);
    ContentStatus target = ContentStatus.parse(item.status());
    if (target == ContentStatus.SCHEDULED && !item.scheduledAt().isAfter(clock.instant())) {
      // A schedule whose time has passed (a backup restored later): the site would have published
      // the item at that time, so it is published; it was unpublished, then refused the schedule.
      target = ContentStatus.PUBLISHED;
    }
    ContentStatus to = target;
    // Where the plan saw it: an edit saved since is the site's, not overwritten.
    CompletionStage<ContentSnapshot> at =
        site.get(item.id())
            .thenApply(Optional::orElseThrow)
            .thenApply(
                s -> {
                  if (s.revision() != revision) {
                    throw new IllegalStateException(
                        "changed on the site since the import checked it (revision "
                            + revision
                            + ", now "
                            + s.revision()
                            + "); not overwritten: import again to compare it anew");
                  }
                  return s;
                });
    // An archived item cannot be edited: it is published again first, as an editor would.
    at =
        at.thenCompose(
            s ->
                s.status() == ContentStatus.ARCHIVED && !s.fields().equals(fields)
                    ? site.publish(s.id(), s.revision())
                    : CompletableFuture.completedFuture(s));
    at =
        at.thenCompose(
            s ->
                s.fields().equals(fields)
                    ? CompletableFuture.completedFuture(s)
                    : site.edit(s.id(), s.revision(), fields));
    return at.thenCompose(s -> moveTo(s, to, item));
  }

  private CompletionStage<ContentSnapshot> moveTo(
      ContentSnapshot s, ContentStatus target, BundleItem item) {
    if (s.status() == target) {
      return CompletableFuture.completedFuture(s);
    }
    return switch (target) {
      case PUBLISHED -> site.publish(s.id(), s.revision());
      case ARCHIVED -> site.archive(s.id(), s.revision());
      case DRAFT ->
          s.status() == ContentStatus.ARCHIVED
              ? site.publish(s.id(), s.revision())
                  .thenCompose(p -> site.unpublish(p.id(), p.revision()))
              : site.unpublish(s.id(), s.revision());
      case SCHEDULED -> {
        CompletionStage<ContentSnapshot> draft =
            s.status() == ContentStatus.DRAFT
                ? CompletableFuture.completedFuture(s)
                : moveTo(s, ContentStatus.DRAFT, item);
        yield draft.thenCompose(d -> site.schedule(d.id(), d.revision(), item.scheduledAt()));
      }
    };
  }

  // ---- reading the history grouped by item, in bounded memory ----

  @FunctionalInterface
  private interface HistoryConsumer {
    void accept(String itemId, List<HistoryStep> steps) throws Exception;
  }

  /**
   * Hands over each item's history once its last event (the item's revision) has been read. A
   * bundle written by Quire keeps an item's events together, so one history is held at a time.
   */
  private void forEachHistory(BundleReader bundle, HistoryConsumer consumer) throws Exception {
    Map<String, List<HistoryStep>> open = new HashMap<>();
    Map<String, Long> openChars = new HashMap<>();
    long[] held = {0};
    try {
      bundle.forEachEvent(
          e -> {
            List<HistoryStep> steps = open.computeIfAbsent(e.itemId(), k -> new ArrayList<>());
            HistoryStep step = BundleMapping.step(e);
            steps.add(step);
            long chars = chars(step);
            openChars.merge(e.itemId(), chars, Long::sum);
            held[0] += chars;
            if (held[0] > maxHeldChars) {
              throw new BundleException(
                  "history/events-*.jsonl",
                  "holding the histories of "
                      + open.size()
                      + " item(s) at once passes "
                      + maxHeldChars
                      + " characters of text ("
                      + (limits.how().startsWith("--")
                          ? "quire.cli.bundle-import-max-held-chars"
                          : "quire.gateway.imports.max-held-chars")
                      + "): a bundle Quire writes keeps each item's events together; raise the"
                      + " limit, and the heap ("
                      + (limits.how().startsWith("--") ? "QUIRE_HEAP" : "the gateway's -Xmx")
                      + "), for an item with a history this long");
            }
            if (e.revision() == plans.get(e.itemId()).bundleRevision()) {
              open.remove(e.itemId());
              held[0] -= openChars.remove(e.itemId());
              try {
                consumer.accept(e.itemId(), steps);
              } catch (RuntimeException | java.io.IOException | BundleException ex) {
                throw ex;
              } catch (Exception ex) {
                throw new java.io.IOException(ex);
              }
            }
          });
    } catch (java.io.IOException e) {
      if (e.getCause() instanceof Exception inner && !(inner instanceof java.io.IOException)) {
        throw inner;
      }
      throw e;
    }
  }

  /**
   * The text a history step holds, what its size in the heap grows with, plus a fixed cost per
   * step, so that a history of status changes alone counts too.
   */
  private static long chars(HistoryStep step) {
    ContentFields f = step.fields();
    if (f == null) {
      return STEP_CHARS;
    }
    return STEP_CHARS + length(f.body()) + length(f.title()) + length(f.description());
  }

  /** What a step costs beside its text (its record, times, names), counted as characters. */
  private static final long STEP_CHARS = 64;

  private static long length(String s) {
    return s == null ? 0 : s.length();
  }

  /** At most {@code parallelism} writes in flight; a failed one is recorded, not fatal. */
  private final class Window {
    private final ArrayDeque<CompletableFuture<?>> inFlight = new ArrayDeque<>();
    private final List<String> failures;
    private final Set<String> failedIds = new HashSet<>();

    Window(List<String> failures) {
      this.failures = failures;
    }

    void submit(String id, Supplier<CompletionStage<?>> write) {
      while (inFlight.size() >= parallelism) {
        inFlight.poll().join();
      }
      inFlight.add(
          write
              .get()
              .toCompletableFuture()
              .handle(
                  (ok, error) -> {
                    if (error != null) {
                      Throwable cause = error.getCause() != null ? error.getCause() : error;
                      synchronized (failures) {
                        failedIds.add(id);
                        if (failures.size() < MAX_REASONS) {
                          failures.add("item " + id + ": " + cause.getMessage());
                        }
                      }
                    }
                    return null;
                  }));
    }

    void drain() {
      while (!inFlight.isEmpty()) {
        inFlight.poll().join();
      }
    }

    long failed(Map<String, Plan> plans, Action action) {
      synchronized (failures) {
        return failedIds.stream().filter(id -> plans.get(id).action() == action).count();
      }
    }
  }

  private <T> T awaitIo(CompletionStage<T> stage) throws java.io.IOException {
    try {
      return await(stage);
    } catch (java.io.IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new java.io.IOException("the site did not answer: " + e, e);
    }
  }

  private <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
  }
}
