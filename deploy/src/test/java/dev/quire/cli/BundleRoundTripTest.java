package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quire.bundle.BundleEvent;
import dev.quire.bundle.BundleItem;
import dev.quire.bundle.BundleReader;
import dev.quire.bundle.BundleWriter;
import dev.quire.bundle.Limits;
import dev.quire.bundle.Manifest;
import dev.quire.content.render.MarkdownRenderer;
import dev.quire.gateway.backup.BundleImport;
import dev.quire.gateway.media.MediaModule;
import dev.quire.gateway.media.MediaStore;
import dev.quire.protocol.ContentFields;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.ContentStatus;
import dev.quire.protocol.HistoryStep;
import dev.quire.protocol.RedirectRule;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quire bundle export} and {@code import} on real data directories (H2 files, the media
 * store on disk), run in this JVM as the command line runs them: a site with history, slug changes,
 * every status, media and redirects goes through a bundle into an empty site and comes out equal;
 * conflicts and bad bundles change nothing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BundleRoundTripTest {

  @TempDir static Path tmp;
  static Path bundle;
  static Site original;

  /** Everything a site holds that a bundle carries, as the journal and stores answer. */
  record Site(
      Map<String, ContentSnapshot> items,
      Map<String, List<HistoryStep>> history,
      List<RedirectRule> redirects,
      List<dev.quire.protocol.SiteMenu> menus,
      Map<String, String> media,
      Map<String, String> settings) {}

  static <T> T await(CompletionStage<T> s) throws Exception {
    return s.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static ContentFields fields(String title, String slug, String body) {
    return new ContentFields(
        title, slug, body, "About " + title, List.of("java", "Pekko"), "", "Ada", null, "");
  }

  /** Opens a data directory as the command line does, with the content role only. */
  interface Work {
    void run(LocalTarget site, MediaStore media) throws Exception;
  }

  static void withSite(Path data, Work work) throws Exception {
    var config = QuireNode.config(Map.of("quire.data-dir", data.toString()));
    try (QuireNode node = QuireNode.start(config, false, System.out)) {
      work.run(
          new LocalTarget(node.system(), Duration.ofSeconds(10), "test"),
          MediaModule.store(config));
    }
  }

  static Site read(Path data) throws Exception {
    Site[] out = new Site[1];
    withSite(
        data,
        (site, media) -> {
          Map<String, ContentSnapshot> items = new TreeMap<>();
          Map<String, List<HistoryStep>> history = new TreeMap<>();
          for (String id : await(site.ids())) {
            items.put(id, await(site.get(id)).orElseThrow());
            history.put(id, await(site.history(id)));
          }
          List<RedirectRule> redirects = new ArrayList<>(await(site.redirects()));
          redirects.sort(java.util.Comparator.comparing(RedirectRule::from));
          Map<String, String> blobs = new TreeMap<>();
          for (MediaStore.Media m : media.list()) {
            String bytes =
                new String(Files.readAllBytes(media.blob(m.sha256())), StandardCharsets.ISO_8859_1);
            blobs.put(
                m.sha256(), m.contentType() + "|" + m.filename() + "|" + m.size() + "|" + bytes);
          }
          List<dev.quire.protocol.SiteMenu> menus = new ArrayList<>(await(site.menus()));
          menus.sort(java.util.Comparator.comparing(dev.quire.protocol.SiteMenu::name));
          // What the site says about itself: its configuration with its editors' profile over it.
          Map<String, String> settings =
              new TreeMap<>(
                  dev.quire.gateway.backup.BundleSettings.of(
                      QuireNode.config(Map.of("quire.data-dir", data.toString())),
                      await(site.profile()).profile()));
          out[0] = new Site(items, history, redirects, menus, blobs, settings);
        });
    return out[0];
  }

  @BeforeAll
  static void buildASite() throws Exception {
    Path a = tmp.resolve("a");
    withSite(
        a,
        (site, media) -> {
          MediaStore.Media photo =
              media.put(
                  new ByteArrayInputStream(
                      new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 1, 2}),
                  "image/png",
                  "cat photo.png",
                  1 << 20);
          media.put(
              new ByteArrayInputStream("%PDF-1.4 unused".getBytes(StandardCharsets.US_ASCII)),
              "application/pdf",
              "spec.pdf",
              1 << 20);
          // A published post whose slug changed (an alias), then whose body gained an image.
          ContentSnapshot p =
              await(site.create(ContentKind.POST, fields("Moved", "old-name", "One.")));
          p = await(site.publish(p.id(), p.revision()));
          p = await(site.edit(p.id(), p.revision(), fields("Moved", "new-name", "One.")));
          p =
              await(
                  site.edit(
                      p.id(),
                      p.revision(),
                      fields("Moved", "new-name", "One. ![cat](" + photo.url() + ")")));
          assertThat(p.aliases()).containsExactly("old-name");
          ContentSnapshot s =
              await(site.create(ContentKind.POST, fields("Later", "later", "Soon.")));
          await(site.schedule(s.id(), s.revision(), Instant.parse("2031-01-01T09:00:00Z")));
          ContentSnapshot g =
              await(site.create(ContentKind.PAGE, fields("Old page", "old-page", "Gone.")));
          g = await(site.publish(g.id(), g.revision()));
          await(site.archive(g.id(), g.revision()));
          ContentSnapshot d = await(site.create(ContentKind.POST, fields("Draft", "draft", "v1")));
          d = await(site.edit(d.id(), d.revision(), fields("Draft", "draft", "v2")));
          // The third change a revert to the first: the history keeps saying so, across bundles.
          long at = d.revision();
          await(
              site.ask(
                  d.id(),
                  r ->
                      new dev.quire.protocol.ContentCommand.Edit(
                          at, fields("Draft", "draft", "v1"), "test", r, 1L)));
          ContentSnapshot u = await(site.create(ContentKind.PAGE, fields("About", "about", "Us.")));
          u = await(site.publish(u.id(), u.revision()));
          await(site.unpublish(u.id(), u.revision()));
          await(
              site.putRedirects(
                  List.of(
                      new RedirectRule("/2019/01/hello.html", "/posts/new-name/", 301),
                      new RedirectRule("/feed.xml", "/feed/", 308))));
          await(
              site.putMenu(
                  new dev.quire.protocol.SiteMenu(
                      "main",
                      List.of(
                          new dev.quire.protocol.SiteMenu.Link("Writing", "/blog/"),
                          new dev.quire.protocol.SiteMenu.Link(
                              "Source", "https://example.org/src")))));
          await(
              site.putProfile(
                  new dev.quire.protocol.SiteProfile(
                      "Field Notes", null, "Ada", "en-GB", null, 5, "about", photo.url()),
                  0));
        });
    original = read(a);
    assertThat(original.menus()).hasSize(1);
    assertThat(original.settings())
        .containsEntry("title", "Field Notes")
        .containsEntry("page-size", "5")
        .as("the page the home shows")
        .containsEntry("home-page", "about")
        .as("the site's icon, one of its media files")
        .hasEntrySatisfying(
            "icon", v -> assertThat(v).matches("/media/[0-9a-f]{64}/cat-photo\\.png"))
        .containsEntry("description", "A site made with Quire.");
    assertThat(original.history().values().stream().flatMap(List::stream))
        .filteredOn(h -> h.revertedTo() != null)
        .singleElement()
        .satisfies(h -> assertThat(h.revertedTo()).isEqualTo(1L));
    assertThat(original.items()).hasSize(5);
    assertThat(original.media()).hasSize(2);
    bundle = tmp.resolve("a.quire");
    var r =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "export", bundle.toString(), "--data", a.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("Exported 5 item(s), 15 event(s), 2 media blob(s)")
        .contains("2 redirect(s)");
  }

  /**
   * A bundle whose media would leave less than quire.media.keep-free on the disk (set above the
   * disk's room here) is refused before anything is written, as an upload is.
   */
  @Test
  @Order(1)
  void aBundleWhoseMediaWouldEatTheDatabasesRoomIsRefusedAndNothingIsWritten() throws Exception {
    Path full = tmp.resolve("full");
    var r =
        WordPressImportTest.withNoRoom(
            () ->
                EmbeddingRoleClusterTest.runCli(
                    "bundle", "import", bundle.toString(), "--data", full.toString()));
    assertThat(r.code()).as(r.out()).isNotZero();
    assertThat(r.err())
        .contains("not enough room on the disk for the bundle's media")
        .contains("quire.media.keep-free")
        .contains("nothing was changed");
    withSite(
        full,
        (site, media) -> {
          assertThat(await(site.ids())).isEmpty();
          assertThat(media.list()).isEmpty();
        });
  }

  @Test
  @Order(1)
  void anEmptySiteGetsEveryItemRevisionMediaBlobAndRedirect() throws Exception {
    Path b = tmp.resolve("b");
    var r =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", bundle.toString(), "--data", b.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("5 item(s) created, 0 overwritten, 0 skipped, 0 unchanged")
        .contains("2 media blob(s) added");
    Site copy = read(b);
    assertThat(copy.items()).isEqualTo(original.items());
    assertThat(copy.history()).isEqualTo(original.history());
    assertThat(copy.redirects()).isEqualTo(original.redirects());
    assertThat(copy.menus()).isEqualTo(original.menus());
    assertThat(r.out()).contains("menus: 1 set from the bundle");
    assertThat(copy.settings())
        .as("the site says the same of itself")
        .isEqualTo(original.settings());
    assertThat(r.out()).contains("settings profile set; written to");
    assertThat(copy.media()).isEqualTo(original.media());
    // The old slug still belongs to the moved post on the new site.
    withSite(b, (site, media) -> assertThat(await(site.slugOwner("old-name"))).isPresent());

    // Importing the same bundle again finds everything there already, even under --policy fail.
    var again =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", bundle.toString(), "--data", b.toString());
    assertThat(again.code()).as(again.err()).isZero();
    assertThat(again.out())
        .contains("0 item(s) created, 0 overwritten, 0 skipped, 5 unchanged")
        .contains("2 already here");
    assertThat(read(b)).isEqualTo(original);
    assertThat(again.out()).contains("settings profile unchanged");
    // Only what differs from the configuration was stored: the rest stays the configuration's.
    withSite(
        b,
        (site, media) ->
            assertThat(await(site.profile()).profile())
                .isEqualTo(
                    new dev.quire.protocol.SiteProfile(
                        "Field Notes",
                        null,
                        "Ada",
                        "en-GB",
                        null,
                        5,
                        "about",
                        original.settings().get("icon"))));
  }

  /**
   * A redirect stored before the site refused a {@code //} inside a path is still in its table, but
   * no bundle reader takes it: the export leaves it out and says so, and the bundle verifies and
   * imports. The rule is planted in the journal as that version stored it (the entity refuses it
   * now): an event-sourced behaviour with the table's persistence id, run before the table's own
   * entity starts.
   */
  @Test
  void aRedirectTheSiteTookBeforeItRefusedSuchPathsIsLeftOutOfTheExportByName() throws Exception {
    Path data = tmp.resolve("legacy-redirect");
    var config = QuireNode.config(Map.of("quire.data-dir", data.toString()));
    try (QuireNode node = QuireNode.start(config, false, System.out)) {
      var site = new LocalTarget(node.system(), Duration.ofSeconds(10), "test");
      {
        RedirectRule legacy = new RedirectRule("/archive//2019/", "/blog/", 301);
        assertThat(legacy.problem()).isPresent();
        var planted = new java.util.concurrent.CompletableFuture<Void>();
        node.system()
            .systemActorOf(
                org.apache.pekko.actor.typed.javadsl.Behaviors.<Void>setup(
                    ctx -> {
                      var planter =
                          ctx.spawn(
                              new LegacyEvent(
                                  new dev.quire.content.SiteRedirects.RulesPut(
                                      List.of(legacy),
                                      Instant.parse("2026-11-20T10:00:00Z"),
                                      "admin"),
                                  planted),
                              "planter");
                      planter.tell("plant");
                      return org.apache.pekko.actor.typed.javadsl.Behaviors.empty();
                    }),
                "legacy-redirect",
                org.apache.pekko.actor.typed.Props.empty());
        await(planted);
        await(site.addRedirects(List.of(new RedirectRule("/old-feed/", "/feed.xml", 301))));
        assertThat(await(site.redirects()))
            .extracting(RedirectRule::from)
            .containsExactlyInAnyOrder("/archive//2019/", "/old-feed/");
      }
    }
    Path file = tmp.resolve("legacy-redirect.quire");
    var out =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "export", file.toString(), "--data", data.toString());
    assertThat(out.code()).as(out.err()).isZero();
    assertThat(out.err())
        .contains("warning: redirect /archive//2019/ -> /blog/ left out of the bundle: its 'from'")
        .contains("remove it on the admin's redirects page");
    assertThat(out.out()).contains("1 redirect(s)");
    var verified = EmbeddingRoleClusterTest.runCli("bundle", "verify", file.toString());
    assertThat(verified.code()).as(verified.err()).isZero();
    Path copy = tmp.resolve("legacy-redirect-copy");
    var imported =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", file.toString(), "--data", copy.toString());
    assertThat(imported.code()).as(imported.err()).isZero();
    assertThat(read(copy).redirects())
        .containsExactly(new RedirectRule("/old-feed/", "/feed.xml", 301));
    // A stored path's control characters reach the terminal as text, not as escapes it runs.
    assertThat(BundleExport.printable("/a\u001b[31m/\u009b/")).isEqualTo("/a\\u001b[31m/\\u009b/");
  }

  /** Persists one event under the redirect table's persistence id, as an older version did. */
  static final class LegacyEvent
      extends org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior<
          String, dev.quire.content.SiteRedirects.Event, Integer> {
    private final dev.quire.content.SiteRedirects.Event event;
    private final java.util.concurrent.CompletableFuture<Void> done;

    LegacyEvent(
        dev.quire.content.SiteRedirects.Event event,
        java.util.concurrent.CompletableFuture<Void> done) {
      super(
          org.apache.pekko.persistence.typed.PersistenceId.of(
              dev.quire.protocol.RedirectCommand.ENTITY_KEY.name(),
              dev.quire.protocol.RedirectCommand.SITE));
      this.event = event;
      this.done = done;
    }

    @Override
    public Integer emptyState() {
      return 0;
    }

    @Override
    public org.apache.pekko.persistence.typed.javadsl.CommandHandler<
            String, dev.quire.content.SiteRedirects.Event, Integer>
        commandHandler() {
      return newCommandHandlerBuilder()
          .forAnyState()
          .onAnyCommand(
              (state, cmd) -> Effect().persist(event).thenRun(s -> done.complete(null)).thenStop());
    }

    @Override
    public org.apache.pekko.persistence.typed.javadsl.EventHandler<
            Integer, dev.quire.content.SiteRedirects.Event>
        eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((state, e) -> state + 1);
    }
  }

  @Test
  @Order(7)
  void settingsConflictOnlyWithWhatTheSiteSaysOfItsOwn() throws Exception {
    // The site the bundle came from: everything it shows is the bundle's already.
    var home =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", bundle.toString(), "--data", tmp.resolve("a").toString());
    assertThat(home.code()).as(home.err()).isZero();
    assertThat(home.out()).contains("settings profile unchanged");

    // A site whose admins set their own title: a conflict, until the policy says.
    Path g = tmp.resolve("own-settings");
    withSite(
        g,
        (site, media) ->
            await(
                site.putProfile(
                    new dev.quire.protocol.SiteProfile("Mine", null, null, null, null, null), 0)));
    var fail =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", bundle.toString(), "--data", g.toString());
    assertThat(fail.code()).isEqualTo(2);
    assertThat(fail.err()).contains("this site's own title").contains("nothing was imported");
    var skip =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", bundle.toString(), "--data", g.toString(), "--policy", "skip");
    assertThat(skip.code()).as(skip.err()).isZero();
    assertThat(read(g).settings()).containsEntry("title", "Mine").containsEntry("page-size", "5");
    var overwrite =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", bundle.toString(), "--data", g.toString(), "--policy", "overwrite");
    assertThat(overwrite.code()).as(overwrite.err()).isZero();
    assertThat(read(g).settings()).isEqualTo(original.settings());

    // A title in site.conf (as an older Quire's import wrote it) is the site's own too.
    Path h = tmp.resolve("conf-settings");
    Files.createDirectories(h);
    Files.writeString(
        h.resolve(dev.quire.gateway.backup.BundleSettings.FILE),
        "quire.site { title = \"Old conf title\" }\n");
    var conf =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", bundle.toString(), "--data", h.toString());
    assertThat(conf.code()).isEqualTo(2);
    assertThat(conf.err()).contains("this site's own title");
  }

  @Test
  @Order(2)
  void conflictsFailBeforeAnythingIsWrittenThenSkipOrOverwriteAsAsked() throws Exception {
    Path c = tmp.resolve("c");
    String[] mine = new String[1];
    withSite(
        c,
        (site, media) ->
            mine[0] = await(site.create(ContentKind.POST, fields("Mine", "later", "Taken."))).id());
    Site before = read(c);

    var fail =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", bundle.toString(), "--data", c.toString());
    assertThat(fail.code()).isEqualTo(2);
    assertThat(fail.err())
        .contains("nothing was imported")
        .contains("('later'): its slug or an old slug belongs to item " + mine[0]);
    assertThat(read(c)).isEqualTo(before);

    var overwrite =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", bundle.toString(), "--data", c.toString(), "--policy", "overwrite");
    assertThat(overwrite.code()).isEqualTo(2);
    assertThat(overwrite.err()).contains("which overwrite would not replace");
    assertThat(read(c)).isEqualTo(before);

    var skip =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", bundle.toString(), "--data", c.toString(), "--policy", "skip");
    assertThat(skip.code()).as(skip.err()).isZero();
    assertThat(skip.out()).contains("4 item(s) created, 0 overwritten, 1 skipped");
    Site after = read(c);
    assertThat(after.items()).hasSize(5).containsEntry(mine[0], before.items().get(mine[0]));
  }

  @Test
  @Order(3)
  void overwriteGivesAnExistingItemTheBundlesVersionAsANewRevisionKeepingItsHistory()
      throws Exception {
    Path d = tmp.resolve("d");
    assertThat(
            EmbeddingRoleClusterTest.runCli(
                    "bundle", "import", bundle.toString(), "--data", d.toString())
                .code())
        .isZero();
    String draftId = idOf(original, "draft");
    withSite(
        d,
        (site, media) -> {
          ContentSnapshot s = await(site.get(draftId)).orElseThrow();
          s = await(site.edit(s.id(), s.revision(), fields("Draft", "draft", "edited here")));
          await(site.publish(s.id(), s.revision()));
        });
    var fail =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", bundle.toString(), "--data", d.toString());
    assertThat(fail.code()).isEqualTo(2);
    assertThat(fail.err())
        .contains("item " + draftId + " ('draft') exists on this site at revision 5");

    var r =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", bundle.toString(), "--data", d.toString(), "--policy", "overwrite");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("0 item(s) created, 1 overwritten, 0 skipped, 4 unchanged");
    Site after = read(d);
    ContentSnapshot draft = after.items().get(draftId);
    assertThat(draft.fields()).isEqualTo(original.items().get(draftId).fields());
    assertThat(draft.status()).isEqualTo(original.items().get(draftId).status());
    assertThat(draft.revision()).isEqualTo(7);
    assertThat(after.history().get(draftId))
        .extracting(HistoryStep::type)
        .containsExactly(
            "created", "edited", "edited", "edited", "published", "edited", "unpublished");
  }

  @Test
  @Order(4)
  void aBadBundleIsRefusedNamingTheEntryAndTheSiteIsUnchanged() throws Exception {
    Path e = tmp.resolve("e");
    Path truncated = tmp.resolve("truncated.quire");
    byte[] all = Files.readAllBytes(bundle);
    Files.write(truncated, java.util.Arrays.copyOf(all, all.length / 2));
    var r =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", truncated.toString(), "--data", e.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("error: ").contains("Nothing was imported.");
    assertThat(Files.exists(e)).as("the data directory is not even created").isFalse();

    // A whole bundle whose history breaks a rule of the site (a title over the site's limit, which
    // the bundle's schema does not know): refused by the check pass; the site is opened, not
    // written.
    Path tooLong = tmp.resolve("too-long.quire");
    try (BundleWriter w = withHistory(tooLong)) {
      BundleEvent.Fields ok =
          new BundleEvent.Fields("Fine", "fine", "", "", List.of(), "", "", null, "");
      BundleEvent.Fields bad =
          new BundleEvent.Fields("x".repeat(5000), "long", "", "", List.of(), "", "", null, "");
      w.item(draft("ok-1", 1, "Fine", "fine"));
      w.event(
          new BundleEvent("ok-1", 1, "created", Instant.EPOCH, "a", "post", ok, null, null, null));
      w.item(draft("bad-1", 2, "x".repeat(5000), "long"));
      w.event(created("bad-1", "Fine", "long"));
      w.event(
          new BundleEvent("bad-1", 2, "edited", Instant.EPOCH, "a", null, bad, null, null, null));
      w.finish();
    }
    Path f = tmp.resolve("f");
    var refused =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", tooLong.toString(), "--data", f.toString());
    assertThat(refused.code()).isEqualTo(2);
    assertThat(refused.err())
        .contains("item bad-1: field 'history[1].fields.title'")
        .contains("nothing was imported");
    Site untouched = read(f);
    assertThat(untouched.items()).isEmpty();
    assertThat(untouched.redirects()).isEmpty();
    assertThat(Files.exists(f.resolve(dev.quire.gateway.backup.BundleSettings.FILE))).isFalse();

    // A record whose slug is not where its history ends: the check claimed the record's slug,
    // the restore claims the history's (another item's, and it failed when written).
    Path split = tmp.resolve("split.quire");
    try (BundleWriter w = withHistory(split)) {
      w.item(draft("split-1", 1, "Split", "new-post"));
      w.event(created("split-1", "Split", "about"));
      w.finish();
    }
    Path h = tmp.resolve("h");
    var mismatch =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", split.toString(), "--data", h.toString());
    assertThat(mismatch.code()).as(mismatch.out() + mismatch.err()).isEqualTo(2);
    assertThat(mismatch.err())
        .contains("item split-1: its history ends at slug 'about', its record says 'new-post'");
    assertThat(read(h).items()).isEmpty();
  }

  @Test
  @Order(5)
  void withoutHistoryItemsArriveAsTheyStandAndOldSlugsBecomeRedirects() throws Exception {
    Path a = tmp.resolve("a");
    Path flat = tmp.resolve("flat.quire");
    var x =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "export", flat.toString(), "--no-history", "--data", a.toString());
    assertThat(x.code()).as(x.err()).isZero();
    assertThat(x.out()).contains("5 item(s), 0 event(s)");
    Path g = tmp.resolve("g");
    var r =
        EmbeddingRoleClusterTest.runCli(
            "bundle", "import", flat.toString(), "--data", g.toString());
    assertThat(r.code()).as(r.err()).isZero();
    Site copy = read(g);
    for (ContentSnapshot o : original.items().values()) {
      ContentSnapshot c = copy.items().get(o.id());
      assertThat(c.fields()).isEqualTo(o.fields());
      assertThat(c.status()).isEqualTo(o.status());
      assertThat(c.kind()).isEqualTo(o.kind());
    }
    assertThat(copy.redirects())
        .contains(new RedirectRule("/posts/old-name/", "/posts/new-name/", 301));
    assertThat(copy.media()).isEqualTo(original.media());
  }

  /** A bundle (no history) holding one item in {@code status}, scheduled at {@code at}. */
  /** A bundle writer without history, for bundles a test makes by hand. */
  static BundleWriter withoutHistory(Path file) throws Exception {
    return BundleWriter.create(
        file, new BundleWriter.Options("test", new Manifest.Site("S", "https://s.example"), false));
  }

  /** A bundle writer with history, for bundles a test makes by hand. */
  static BundleWriter withHistory(Path file) throws Exception {
    return BundleWriter.create(
        file, new BundleWriter.Options("test", new Manifest.Site("S", "https://s.example"), true));
  }

  /** A draft post's record with nothing but a title and a slug. */
  static BundleItem draft(String id, long revision, String title, String slug) {
    return post(id, "draft", revision, title, slug, "", "");
  }

  /** A post's record with a title, slug, body and author, and nothing else. */
  static BundleItem post(
      String id,
      String status,
      long revision,
      String title,
      String slug,
      String body,
      String author) {
    return new BundleItem(
        id, "post", status, revision, title, slug, body, "", List.of(), "", author, null, null,
        null, null, null, List.of(), List.of(), "");
  }

  /** The first event of such a post's history. */
  static BundleEvent created(String id, String title, String slug) {
    return new BundleEvent(
        id,
        1,
        "created",
        Instant.EPOCH,
        "a",
        "post",
        new BundleEvent.Fields(title, slug, "", "", List.of(), "", "", null, ""),
        null,
        null,
        null);
  }

  /** {@code quire bundle import BUNDLE --data SITE --policy overwrite}, in a JVM of its own. */
  static EmbeddingRoleClusterTest.Cli overwrite(Path bundle, Path site) throws Exception {
    return EmbeddingRoleClusterTest.runCli(
        "bundle", "import", bundle.toString(), "--data", site.toString(), "--policy", "overwrite");
  }

  static Path oneItemBundle(String name, String id, String status, Instant at) throws Exception {
    Path file = tmp.resolve(name);
    try (BundleWriter w = withoutHistory(file)) {
      w.item(
          new BundleItem(
              id,
              "post",
              status,
              3,
              "Live",
              "live",
              "From the backup.",
              "About Live",
              List.of("java", "Pekko"),
              "",
              "Ada",
              null,
              null,
              null,
              null,
              at,
              List.of(),
              List.of(),
              ""));
      w.finish();
    }
    return file;
  }

  /**
   * Overwrite edits the site's item, which keeps its kind: a bundle that has a site's page as a
   * post is refused before anything is written (the edit was refused after a publish had already
   * put an archived page back on the site).
   */
  @Test
  @Order(20)
  void anOverwriteThatWouldChangeAnItemsKindIsRefusedBeforeAnythingIsWritten() throws Exception {
    Path site = tmp.resolve("other-kind");
    String[] id = new String[1];
    withSite(
        site,
        (s, media) -> {
          ContentSnapshot c = await(s.create(ContentKind.PAGE, fields("Live", "live", "Page.")));
          ContentSnapshot p = await(s.publish(c.id(), c.revision()));
          id[0] = await(s.archive(p.id(), p.revision())).id();
        });
    Path asPost = oneItemBundle("as-post.quire", id[0], "published", null);
    var r = overwrite(asPost, site);
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(2);
    assertThat(r.err())
        .contains("is a post in the bundle and a page on this site")
        .contains("nothing was imported");
    ContentSnapshot after = read(site).items().get(id[0]);
    assertThat(after.status())
        .as("still archived, not put back on the site")
        .isEqualTo(ContentStatus.ARCHIVED);
    assertThat(after.fields().body()).isEqualTo("Page.");
  }

  /**
   * An import into a running site plans, then writes: an edit an editor saves in between is the
   * site's, and the overwrite planned against the older revision is not applied over it but listed
   * as a failure (as are a redirect and a menu changed in between), so that importing again
   * compares anew. The edit lands here at the start of the write pass, from the import's own
   * progress report.
   */
  @Test
  @Order(21)
  void anEditSavedWhileAnImportWritesIsKeptAndTheImportSaysSo() throws Exception {
    Path data = tmp.resolve("race");
    var config = QuireNode.config(Map.of("quire.data-dir", data.toString()));
    String id;
    try (QuireNode node = QuireNode.start(config, false, System.out)) {
      LocalTarget site = new LocalTarget(node.system(), Duration.ofSeconds(10), "test");
      ContentSnapshot c = await(site.create(ContentKind.POST, fields("Live", "live", "Now.")));
      id = await(site.publish(c.id(), c.revision())).id();
    }
    Path bundle = oneItemBundle("race-item.quire", id, "published", null);
    Path withTables = tmp.resolve("race-tables.quire");
    try (BundleReader in = BundleReader.open(bundle, Limits.DEFAULT);
        BundleWriter w = withoutHistory(withTables)) {
      in.verify(dev.quire.bundle.ProgressListener.NONE);
      in.forEachItem(w::item);
      w.redirect(new dev.quire.bundle.Redirect("/old-race/", "/live/", 301));
      w.menus(
          List.of(
              new dev.quire.bundle.Menu(
                  "main", List.of(new dev.quire.bundle.Menu.Link("Live", "/posts/live/")))));
      w.finish();
    }
    try (QuireNode node = QuireNode.start(config, false, System.out);
        BundleReader reader = BundleReader.open(withTables, Limits.DEFAULT)) {
      reader.verify(dev.quire.bundle.ProgressListener.NONE);
      LocalTarget site = new LocalTarget(node.system(), Duration.ofSeconds(10), "editor");
      var rules = MarkdownRenderer.contentRules(config);
      boolean[] edited = {false};
      BundleImport importer =
          new BundleImport(
              site,
              new JournalPlanner(node.content().dataSource(), node.system(), 500, rules),
              MediaModule.store(config),
              config,
              BundleImport.Settings.of(
                  config, 4, Duration.ofSeconds(10), 1_000_000, 0, true, "--policy"),
              java.time.Clock.systemUTC(),
              (phase, done, total) -> {
                if (phase.equals("media") && !edited[0]) {
                  edited[0] = true;
                  try {
                    ContentSnapshot s = await(site.get(id)).orElseThrow();
                    await(site.edit(id, s.revision(), fields("Live", "live", "Edited meanwhile.")));
                    await(
                        site.putRedirects(
                            List.of(new RedirectRule("/old-race/", "/elsewhere/", 301))));
                    await(
                        site.putMenu(
                            new dev.quire.protocol.SiteMenu(
                                "main",
                                List.of(new dev.quire.protocol.SiteMenu.Link("Home", "/")))));
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                }
              });
      BundleImport.Summary s = importer.run(reader, BundleImport.Policy.OVERWRITE);
      assertThat(edited[0]).isTrue();
      assertThat(s.failures())
          .anyMatch(
              f ->
                  f.contains("item " + id)
                      && f.contains("changed on the site since the import checked it"))
          .anyMatch(f -> f.contains("redirect from /old-race/: changed on the site"))
          .anyMatch(f -> f.contains("menu 'main' not set"));
      // What was not written is not counted as written.
      assertThat(s.overwritten()).isZero();
      assertThat(s.redirectsAdded()).isZero();
      assertThat(s.notes()).noneMatch(n -> n.startsWith("menus: 1 set"));
      ContentSnapshot after = await(site.get(id)).orElseThrow();
      assertThat(after.fields().body()).isEqualTo("Edited meanwhile.");
      assertThat(await(site.redirects()))
          .contains(new RedirectRule("/old-race/", "/elsewhere/", 301));
      assertThat(await(site.menus()).get(0).links().get(0).label()).isEqualTo("Home");

      // The redirect table takes a batch only at the version its writer read (as the import
      // writes its batches): a write from an older reading is refused, the table unchanged.
      long v = await(site.redirectsAt()).version();
      await(site.putRedirects(List.of(new RedirectRule("/x-race/", "/live/", 301)), v));
      assertThatThrownBy(
              () ->
                  await(site.putRedirects(List.of(new RedirectRule("/y-race/", "/live/", 301)), v)))
          .hasStackTraceContaining("the redirects were changed after version " + v);
      assertThat(await(site.redirects())).noneMatch(r -> r.from().equals("/y-race/"));
    }
  }

  /**
   * Redirects an older Quire stored that no visitor could follow (a loop, a pair that sends a
   * visitor back and forth, one under the admin's address) are left out of an import, said so; the
   * rest of the bundle is imported.
   */
  @Test
  @Order(22)
  void redirectsNoVisitorCouldFollowAreLeftOutOfAnImportSaidSo() throws Exception {
    Path file = tmp.resolve("loops.quire");
    try (BundleWriter w = withoutHistory(file)) {
      for (String[] r :
          new String[][] {
            {"/old/", "/live/"},
            {"/about", "/about/"},
            {"/ping/", "/pong/"},
            {"/pong/", "/ping"},
            {"/admin/old/", "/live/"}
          }) {
        w.redirect(new dev.quire.bundle.Redirect(r[0], r[1], 301));
      }
      // An item an older Quire stored with a control character in its title: restored as it
      // was (the rule against them is for new values; a site's own backup was refused whole).
      w.item(
          post(
              dev.quire.protocol.ContentIds.next(),
              "published",
              3,
              "Old\u0007 title",
              "old-title",
              "Text.",
              "Ada"));
      w.finish();
    }
    Path site = tmp.resolve("loops-site");
    var r = overwrite(file, site);
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out() + r.err())
        .contains("3 redirect(s) left out, which no visitor could follow")
        .contains("/admin/old/ (its 'from' is under /admin")
        .contains("/about (it leads back to itself")
        .contains("/ping/ (it leads back to itself");
    assertThat(read(site).redirects())
        .extracting(RedirectRule::from)
        .containsExactly("/old/", "/pong/");
    assertThat(read(site).items().values())
        .singleElement()
        .satisfies(i -> assertThat(i.fields().title()).isEqualTo("Old\u0007 title"));
  }

  /**
   * A backup taken while an item was scheduled, restored after the site published it: the item
   * stays on the site (its time has passed), rather than being unpublished and then refused the
   * schedule. A scheduled item with no time is refused before anything is written.
   */
  @Test
  @Order(7)
  void overwritingWithAScheduleWhoseTimeHasPassedKeepsTheItemPublished() throws Exception {
    Path site = tmp.resolve("past-schedule");
    String[] id = new String[1];
    withSite(
        site,
        (s, media) -> {
          ContentSnapshot c = await(s.create(ContentKind.POST, fields("Live", "live", "Now.")));
          id[0] = await(s.publish(c.id(), c.revision())).id();
        });
    Path noTime = oneItemBundle("no-time.quire", id[0], "scheduled", null);
    var refused = overwrite(noTime, site);
    assertThat(refused.code()).as(refused.out() + refused.err()).isEqualTo(2);
    assertThat(refused.err()).contains("is scheduled with no time (scheduledAt)");
    assertThat(read(site).items().get(id[0]).status()).isEqualTo(ContentStatus.PUBLISHED);

    Path past =
        oneItemBundle("past.quire", id[0], "scheduled", Instant.now().minus(Duration.ofHours(1)));
    var r = overwrite(past, site);
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    ContentSnapshot after = read(site).items().get(id[0]);
    assertThat(after.status()).isEqualTo(ContentStatus.PUBLISHED);
    assertThat(after.fields().body()).isEqualTo("From the backup.");
  }

  /**
   * A bundle with history of items {@code ids}, each created and edited up to {@code revisions},
   * every body {@code text} and its revision; {@code interleaved}: every item's first event before
   * any item's last, so that all their histories are open at once.
   */
  static Path historyBundle(
      String name, List<String> ids, int revisions, String text, boolean interleaved)
      throws Exception {
    return historyBundle(tmp.resolve(name), ids, revisions, text, interleaved);
  }

  /** {@link #historyBundle(String, List, int, String, boolean)}, written to {@code file}. */
  static Path historyBundle(
      Path file, List<String> ids, int revisions, String text, boolean interleaved)
      throws Exception {
    try (BundleWriter w = withHistory(file)) {
      for (String id : ids) {
        w.item(post(id, "draft", revisions, "T " + id, "s-" + id, text + revisions, ""));
      }
      List<BundleEvent> events = new java.util.ArrayList<>();
      for (int rev = 1; rev <= revisions; rev++) {
        for (String id : ids) {
          events.add(
              new BundleEvent(
                  id,
                  rev,
                  rev == 1 ? "created" : "edited",
                  Instant.EPOCH,
                  "a",
                  rev == 1 ? "post" : null,
                  new BundleEvent.Fields(
                      "T " + id, "s-" + id, text + rev, "", List.of(), "", "", null, ""),
                  null,
                  null,
                  null));
        }
      }
      if (!interleaved) {
        events.sort(java.util.Comparator.comparing(BundleEvent::itemId));
      }
      for (BundleEvent e : events) {
        w.event(e);
      }
      w.finish();
    }
    return file;
  }

  /** What a test does with an importer of a fresh site whose held-text limit is set. */
  interface HeldImport {
    void check(LocalTarget site, java.util.concurrent.Callable<BundleImport.Summary> run)
        throws Exception;
  }

  /** Runs {@code check} with {@code bundle}'s importer into a new site at {@code data}. */
  static void withHeldLimit(Path bundle, Path data, long maxHeldChars, HeldImport check)
      throws Exception {
    var config =
        QuireNode.config(
            Map.of(
                "quire.data-dir",
                data.toString(),
                "quire.cli.bundle-import-max-held-chars",
                maxHeldChars));
    try (QuireNode node = QuireNode.start(config, false, System.out);
        BundleReader reader = BundleReader.open(bundle, Limits.DEFAULT)) {
      reader.verify(dev.quire.bundle.ProgressListener.NONE);
      LocalTarget site = new LocalTarget(node.system(), Duration.ofSeconds(10), "test");
      var rules = MarkdownRenderer.contentRules(config);
      BundleImport importer =
          new BundleImport(
              site,
              new JournalPlanner(node.content().dataSource(), node.system(), 500, rules),
              MediaModule.store(config),
              config,
              BundleImport.Settings.of(
                  config, 4, Duration.ofSeconds(10), maxHeldChars, 0, true, "--policy"),
              java.time.Clock.systemUTC(),
              (phase, done, total) -> {});
      check.check(site, () -> importer.run(reader, BundleImport.Policy.FAIL));
    }
  }

  /**
   * Item histories are held in the heap while a bundle is read, one at a time as Quire writes them:
   * a bundle that interleaves items' events past the held-text limit is refused before anything is
   * written, naming the limit.
   */
  @Test
  @Order(8)
  void historiesHeldPastTheLimitAreRefusedBeforeAnythingIsWritten() throws Exception {
    String text = "z".repeat(600);
    Path interleaved = historyBundle("interleaved.quire", List.of("i-1", "i-2"), 2, text, true);
    withHeldLimit(
        interleaved,
        tmp.resolve("held"),
        1500,
        (site, run) -> {
          assertThatThrownBy(run::call)
              .hasMessageContaining("holding the histories of 2 item(s) at once passes 1500")
              .hasMessageContaining("quire.cli.bundle-import-max-held-chars");
          assertThat(await(site.get("i-1"))).isEmpty();
        });
    // Histories one after another, as Quire writes them: each under the limit, more than it
    // together, and the bundle imports (what one item held is let go when its history ends).
    Path sequential =
        historyBundle("sequential.quire", List.of("q-1", "q-2", "q-3"), 1, text, false);
    withHeldLimit(
        sequential,
        tmp.resolve("held-sequential"),
        1500,
        (site, run) -> assertThat(run.call().created()).isEqualTo(3));
    // Within the limit (the default), the same bundle imports.
    var ok =
        EmbeddingRoleClusterTest.runCli(
            "bundle",
            "import",
            interleaved.toString(),
            "--data",
            tmp.resolve("held-ok").toString());
    assertThat(ok.code()).as(ok.out() + ok.err()).isZero();
  }

  @Test
  @Order(6)
  void aMarkdownFolderRoundTripsThroughABundle() throws Exception {
    Path md = EndToEndTest.writeFolder(Files.createDirectories(tmp.resolve("md")));
    Path h = tmp.resolve("h");
    Path i = tmp.resolve("i");
    assertThat(
            EmbeddingRoleClusterTest.runCli(
                    "import", "markdown", md.toString(), "--data", h.toString())
                .code())
        .isZero();
    Path viaBundle = tmp.resolve("md.quire");
    assertThat(
            EmbeddingRoleClusterTest.runCli(
                    "bundle", "export", viaBundle.toString(), "--data", h.toString())
                .code())
        .isZero();
    assertThat(
            EmbeddingRoleClusterTest.runCli(
                    "bundle", "import", viaBundle.toString(), "--data", i.toString())
                .code())
        .isZero();
    Path fromH = tmp.resolve("out-h");
    Path fromI = tmp.resolve("out-i");
    assertThat(
            EmbeddingRoleClusterTest.runCli(
                    "export", "markdown", fromH.toString(), "--data", h.toString())
                .code())
        .isZero();
    assertThat(
            EmbeddingRoleClusterTest.runCli(
                    "export", "markdown", fromI.toString(), "--data", i.toString())
                .code())
        .isZero();
    assertThat(files(fromI)).isEqualTo(files(fromH)).hasSize(4);
  }

  static Map<String, String> files(Path dir) throws Exception {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        out.put(p.getFileName().toString(), Files.readString(p));
      }
    }
    return out;
  }

  static String idOf(Site site, String slug) {
    return site.items().values().stream()
        .filter(s -> s.fields().slug().equals(slug))
        .findFirst()
        .orElseThrow()
        .id();
  }
}
