package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.protocol.ContentFields;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quire import markdown} into a stopped site opens the site while it checks the files. A
 * folder that fails the check leaves nothing imported and the site closed again (its data directory
 * unlocked for the next command).
 */
class ImportCommandTest {

  @TempDir Path tmp;

  @Test
  void aFolderThatFailsItsCheckImportsNothingAndLeavesTheSiteClosed() throws Exception {
    Path data = tmp.resolve("data");
    Path bad = Files.createDirectories(tmp.resolve("bad"));
    Files.writeString(bad.resolve("ok.md"), "---\ntitle: Fine\nslug: fine\n---\nBody.\n");
    Files.writeString(bad.resolve("broken.md"), "---\ntitle: Broken\nslug: Not A Slug\n---\nx\n");
    assertThat(Main.run("import", "markdown", bad.toString(), "--data", data.toString()))
        .as("a problem in one file: exit 2, nothing imported")
        .isEqualTo(2);
    assertThat(data).as("the site the failed import opened was new: removed again").doesNotExist();

    Path good = Files.createDirectories(tmp.resolve("good"));
    Files.writeString(good.resolve("other.md"), "---\ntitle: Other\nslug: other\n---\nBody.\n");
    assertThat(Main.run("import", "markdown", good.toString(), "--data", data.toString()))
        .as("the data directory was unlocked by the failed import")
        .isZero();

    Path out = tmp.resolve("out");
    assertThat(exportedFiles(data, out))
        .as("only the second folder's post was imported")
        .containsExactly("other.md");
    // The item's id (in its persistence id, which the journal indexes) is time-ordered.
    try (Connection c = siteDatabase(data);
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT DISTINCT \"persistence_id\" FROM \"event_journal\""
                        + " WHERE \"persistence_id\" LIKE 'Content|%'")) {
      assertThat(rs.next()).isTrue();
      String id = rs.getString(1).substring("Content|".length());
      assertThat(UUID.fromString(id).version()).isEqualTo(7);
      assertThat(rs.next()).as("one item").isFalse();
    }
  }

  /** A server that is down is named as such, not as a bare java.net.ConnectException. */
  @Test
  void aServerThatIsDownIsSaidPlainly() throws Exception {
    Path one = Files.createDirectories(tmp.resolve("one"));
    Files.writeString(one.resolve("a.md"), "---\ntitle: A\n---\nA.\n");
    var down =
        EmbeddingRoleClusterTest.runCli(
            "import", "markdown", one.toString(), "--server", "http://127.0.0.1:1", "--token", "t");
    assertThat(down.code()).isNotZero();
    assertThat(down.err()).contains("the server did not accept a connection");
  }

  @Test
  void aFileTheSiteWouldRefuseStopsTheWholeImportBeforeAnythingIsWritten() throws Exception {
    Path data = tmp.resolve("data");
    Path first = Files.createDirectories(tmp.resolve("first"));
    Files.writeString(
        first.resolve("about.md"), "---\ntitle: About\nslug: about\nkind: page\n---\nUs.\n");
    Files.writeString(first.resolve("zed.md"), "---\ntitle: Zed\nslug: zed\n---\nZ.\n");
    assertThat(Main.run("import", "markdown", first.toString(), "--data", data.toString()))
        .isZero();
    // An editor renames the published post on the site: 'zed' becomes an old slug that redirects.
    try (var session = localSite(data)) {
      var item = session.target.findBySlug("zed").toCompletableFuture().get().orElseThrow();
      var f = item.fields();
      session
          .target
          .edit(
              item.id(),
              item.revision(),
              new ContentFields(
                  f.title(),
                  "zed-two",
                  f.body(),
                  f.description(),
                  f.tags(),
                  f.coverImage(),
                  f.author(),
                  f.date(),
                  ""))
          .toCompletableFuture()
          .get();
    }

    Path folder = Files.createDirectories(tmp.resolve("folder"));
    Files.writeString(
        folder.resolve("1.md"), "---\ntitle: Brand new\nslug: brand-new\n---\nNew.\n");
    // The kind's own line is named, not the slug's.
    Files.writeString(
        folder.resolve("2.md"), "---\ntitle: About\nslug: about\nkind: post\n---\nA post?\n");
    Files.writeString(folder.resolve("3.md"), "---\ntitle: Zed\nslug: zed\n---\nOld name.\n");
    Run refused = run("import", "markdown", folder.toString(), "--data", data.toString());
    assertThat(refused.code()).as("problems against the site: exit 2").isEqualTo(2);
    assertThat(refused.err())
        .contains(
            folder.resolve("2.md")
                + ":4: kind: the site has 'about' as a page, this file as a post",
            folder.resolve("3.md") + ":3: slug: 'zed' is an old slug of the item now at 'zed-two'",
            "2 problem(s) in " + folder + " against the site; nothing was imported.");

    Path after = tmp.resolve("after");
    assertThat(exportedFiles(data, after))
        .as("the new post of the refused folder was not imported, and nothing was renamed back")
        .containsExactlyInAnyOrder("about.md", "zed-two.md");
  }

  @Test
  void publishDateSurvivesAnExportAndAnImportIntoAnotherSite() throws Exception {
    Path posts = Files.createDirectories(tmp.resolve("posts"));
    Files.writeString(
        posts.resolve("dated.md"),
        "---\ntitle: Dated\nslug: dated\ndate: 2025-03-04\n"
            + "publish_date: 2025-03-05T10:30:00Z\n---\nD.\n");
    Files.writeString(
        posts.resolve("plain.md"), "---\ntitle: Plain\nslug: plain\ndate: 2024-02-01\n---\nP.\n");
    Files.writeString(
        posts.resolve("undated.md"),
        "---\ntitle: Undated\nslug: undated\npublish_date: 2023-07-08T09:10:11Z\n---\nU.\n");
    Path one = tmp.resolve("one");
    assertThat(Main.run("import", "markdown", posts.toString(), "--data", one.toString())).isZero();
    Path out1 = tmp.resolve("out1");
    assertThat(Main.run("export", "markdown", out1.toString(), "--data", one.toString())).isZero();
    assertThat(Files.readString(out1.resolve("dated.md")))
        .contains("date: 2025-03-04\n", "publish_date: 2025-03-05T10:30:00Z\n");
    assertThat(Files.readString(out1.resolve("plain.md")))
        .as("published on its date: nothing more to say")
        .contains("date: 2024-02-01\n")
        .doesNotContain("publish_date");
    assertThat(Files.readString(out1.resolve("undated.md")))
        .contains("publish_date: 2023-07-08T09:10:11Z\n");

    Path two = tmp.resolve("two");
    assertThat(Main.run("import", "markdown", out1.toString(), "--data", two.toString())).isZero();
    Path out2 = tmp.resolve("out2");
    assertThat(Main.run("export", "markdown", out2.toString(), "--data", two.toString())).isZero();
    for (String f : new String[] {"dated.md", "plain.md", "undated.md"}) {
      // The second site gave the items ids of its own; everything else comes back the same.
      assertThat(Files.readString(out2.resolve(f)).replaceAll("(?m)^id: .*\n", ""))
          .as("%s after a second site", f)
          .isEqualTo(Files.readString(out1.resolve(f)).replaceAll("(?m)^id: .*\n", ""));
    }
  }

  @Test
  void anExportNeedsASiteAndSaysWhatElseIsInItsFolder() throws Exception {
    Path typo = tmp.resolve("typo");
    Path data = tmp.resolve("data");
    Path posts = Files.createDirectories(tmp.resolve("posts"));
    Files.writeString(posts.resolve("a.md"), "---\ntitle: A\nslug: a\n---\nA.\n");
    Path out = Files.createDirectories(tmp.resolve("out"));
    Files.writeString(out.resolve("old-name.md"), "---\ntitle: Old\nslug: old-name\n---\nO.\n");
    Run missing = run("export", "markdown", out.toString(), "--data", typo.toString());
    Run both =
        run(
            "export",
            "markdown",
            out.toString(),
            "--data",
            data.toString(),
            "--server",
            "http://127.0.0.1:9",
            "--token",
            "t");
    assertThat(Main.run("import", "markdown", posts.toString(), "--data", data.toString()))
        .isZero();
    Run exported = run("export", "markdown", out.toString(), "--data", data.toString());
    assertThat(exported.code()).isZero();
    Run blocked =
        run(
            "export",
            "markdown",
            out.resolve("a.md").resolve("sub").toString(),
            "--data",
            data.toString());
    assertThat(blocked.code()).as("a file where the folder should be").isEqualTo(1);
    String printed = missing.err() + both.err() + exported.err() + blocked.err();
    assertThat(missing.code()).isEqualTo(2);
    assertThat(typo).as("no empty site made at the mistyped path").doesNotExist();
    assertThat(both.code()).isEqualTo(2);
    assertThat(printed)
        .contains("error: there is no site at " + typo.toAbsolutePath() + " (no quire.mv.db)")
        .contains("error: --server and --data name two sites")
        .contains("warning: " + out + " also holds 1 .md file(s) that are not items of the site")
        .contains("(old-name.md)")
        .contains("error: " + out.resolve("a.md").resolve("sub") + ": Not a directory")
        .doesNotContain("\tat ");
    assertThat(out.resolve("a.md")).exists();
    assertThat(out.resolve("old-name.md")).as("left alone: not the export's to delete").exists();
  }

  /**
   * A backup or a user listing with a mistyped --data made an empty site there and answered as if
   * all was well (a bundle of nothing, exit 0). Only adding a user may start a site.
   */
  @Test
  void commandsThatReadASiteRefuseAFolderWithoutOne() throws Exception {
    Path typo = tmp.resolve("no-site-here");
    for (String[] args :
        List.of(
            new String[] {"bundle", "export", tmp.resolve("b.quire").toString()},
            new String[] {"user", "list"},
            new String[] {"user", "token", "list", "ann"},
            new String[] {"user", "sign-out", "ann"})) {
      List<String> all = new java.util.ArrayList<>(List.of(args));
      all.addAll(List.of("--data", typo.toString()));
      Run r = run(all.toArray(String[]::new));
      assertThat(r.code()).as(String.join(" ", args) + ": " + r.err()).isEqualTo(2);
      assertThat(r.err())
          .contains("error: there is no site at " + typo.toAbsolutePath() + " (no quire.mv.db)");
      assertThat(typo).as("no empty site made by " + String.join(" ", args)).doesNotExist();
    }
    assertThat(tmp.resolve("b.quire")).doesNotExist();
    // A folder given for the bundle's file is named at once, not after the site was read.
    Run folder = run("bundle", "export", tmp.toString(), "--data", typo.toString());
    assertThat(folder.code()).isEqualTo(2);
    assertThat(folder.err())
        .contains("error: " + tmp + " is a folder; give the bundle's file name");
  }

  @Test
  void anExportedFileWithANewSlugRenamesItsItem() throws Exception {
    Path data = tmp.resolve("data");
    Path posts = Files.createDirectories(tmp.resolve("posts"));
    Files.writeString(posts.resolve("a.md"), "---\ntitle: A\nslug: renamable\n---\nA.\n");
    Files.writeString(posts.resolve("b.md"), "---\ntitle: B\nslug: other\n---\nB.\n");
    assertThat(Main.run("import", "markdown", posts.toString(), "--data", data.toString()))
        .isZero();
    Path out = tmp.resolve("out");
    assertThat(Main.run("export", "markdown", out.toString(), "--data", data.toString())).isZero();
    String exported = Files.readString(out.resolve("renamable.md"));
    assertThat(exported).containsPattern("(?m)^id: [0-9a-f-]{36}$");

    // A file that would take another item's slug is refused before anything is written.
    Path clash = Files.createDirectories(tmp.resolve("clash"));
    Files.writeString(
        clash.resolve("renamable.md"), exported.replace("slug: renamable\n", "slug: other\n"));
    Run refused = run("import", "markdown", clash.toString(), "--data", data.toString());
    assertThat(refused.code()).isEqualTo(2);
    assertThat(refused.err())
        .contains(
            "slug: 'other' belongs to another item of the site (now at 'other')",
            "nothing was imported");
    // A new file may not take the slug of an item another file renames by its id.
    Path claim = Files.createDirectories(tmp.resolve("claim"));
    Files.writeString(
        claim.resolve("renamable.md"), exported.replace("slug: renamable\n", "slug: moved\n"));
    Files.writeString(claim.resolve("new.md"), "---\ntitle: New\nslug: renamable\n---\nN.\n");
    Run claimed = run("import", "markdown", claim.toString(), "--data", data.toString());
    assertThat(claimed.code()).isEqualTo(2);
    assertThat(claimed.err())
        .contains("new.md:3: slug: 'renamable' is a slug of item ")
        .contains("which renamable.md names by its id (as 'moved')");

    Files.delete(out.resolve("renamable.md"));
    Files.writeString(
        out.resolve("renamed.md"), exported.replace("slug: renamable\n", "slug: renamed\n"));
    assertThat(Main.run("import", "markdown", out.toString(), "--data", data.toString())).isZero();
    Path again = tmp.resolve("again");
    assertThat(exportedFiles(data, again))
        .as("renamed, not copied")
        .containsExactlyInAnyOrder("renamed.md", "other.md");
    String id = exported.lines().filter(l -> l.startsWith("id: ")).findFirst().orElseThrow();
    assertThat(Files.readString(again.resolve("renamed.md"))).contains(id);
    try (var session = localSite(data)) {
      var item = session.target.findBySlug("renamable").toCompletableFuture().get().orElseThrow();
      assertThat(item.fields().slug()).isEqualTo("renamed");
      assertThat(item.aliases()).as("the old URL keeps answering").containsExactly("renamable");
    }
  }

  /**
   * Before 2026-12-07 a file without a slug whose title has no Latin letter was imported at
   * "untitled". The same file imported again now makes "privet-mir": it renames the item it made
   * then (same title and kind) instead of adding a second one; an unrelated item at "untitled" is
   * left alone.
   */
  @Test
  void aFileImportedAsUntitledBeforeRenamesThatItemInsteadOfCopyingIt() throws Exception {
    String russian = "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440";
    Path data = tmp.resolve("untitled");
    Path other = tmp.resolve("unrelated");
    for (var site : List.of(List.of(data, russian), List.of(other, "\u65e5\u672c\u8a9e"))) {
      try (var session = localSite((Path) site.get(0))) {
        session
            .target
            .create(
                dev.quire.protocol.ContentKind.POST,
                new ContentFields(
                    (String) site.get(1), "untitled", "Old.", "", List.of(), "", "", null, ""))
            .toCompletableFuture()
            .get();
      }
    }
    Path posts = Files.createDirectories(tmp.resolve("ru"));
    Files.writeString(posts.resolve("ru.md"), "---\ntitle: " + russian + "\n---\nNew.\n");

    Run renamed = run("import", "markdown", posts.toString(), "--data", data.toString());
    assertThat(renamed.code()).as(renamed.err()).isZero();
    assertThat(exportedFiles(data, tmp.resolve("out1"))).containsExactly("privet-mir.md");
    assertThat(Files.readString(tmp.resolve("out1/privet-mir.md"))).contains("New.");

    Run created = run("import", "markdown", posts.toString(), "--data", other.toString());
    assertThat(created.code()).as(created.err()).isZero();
    assertThat(exportedFiles(other, tmp.resolve("out2")))
        .containsExactlyInAnyOrder("untitled.md", "privet-mir.md");
    assertThat(Files.readString(tmp.resolve("out2/untitled.md"))).contains("Old.");
  }

  /** What a command answered, and what it printed on standard error. */
  record Run(int code, String err) {}

  /** The stopped site in {@code data}, opened as a command opens it. */
  static TargetSession localSite(Path data) throws Exception {
    SiteOptions site = new SiteOptions();
    site.data = data.toString();
    return TargetSession.open(
        site, "test", new java.io.PrintStream(OutputStream.nullOutputStream()));
  }

  /** Exports the site in {@code data} into {@code out}; the names of the files written. */
  static List<String> exportedFiles(Path data, Path out) throws Exception {
    assertThat(Main.run("export", "markdown", out.toString(), "--data", data.toString())).isZero();
    try (Stream<Path> files = Files.list(out)) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }

  /** The H2 database of the stopped site in {@code data}. */
  static Connection siteDatabase(Path data) throws java.sql.SQLException {
    return DriverManager.getConnection("jdbc:h2:file:" + data.resolve("quire"), "quire", "");
  }

  static Run run(String... args) {
    var err = new java.io.ByteArrayOutputStream();
    var stderr = System.err;
    System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      int code = Main.run(args);
      return new Run(code, err.toString(java.nio.charset.StandardCharsets.UTF_8));
    } finally {
      System.setErr(stderr);
    }
  }

  @Test
  void whatAUserCanPutRightIsOneLineNotAStackTrace() throws Exception {
    Run missing =
        run(
            "import",
            "markdown",
            tmp.resolve("nowhere").toString(),
            "--data",
            tmp.resolve("data").toString());
    Run noToken =
        run(
            "import",
            "markdown",
            Files.createDirectories(tmp.resolve("posts")).toString(),
            "--server",
            "http://127.0.0.1:9");
    String printed = missing.err() + noToken.err();
    // A usage error, as the other importers' missing file is (it was 1 until 2026-12-06).
    assertThat(missing.code()).isEqualTo(2);
    assertThat(noToken.code()).isEqualTo(2);
    assertThat(printed)
        .contains("error: " + tmp.resolve("nowhere") + " is not a directory")
        .contains("error: --server needs --token")
        .doesNotContain("Exception")
        .doesNotContain("\tat ");
  }

  /**
   * The read model is what a site is served from: an import into a stopped site ends only once it
   * holds every imported post, so that the next {@code quire serve} shows the whole site from its
   * first page. (It used to stop the projection mid-way: a 1,000-post import left 489 of its 917
   * published posts to the next start, which served the rest as 404s until it had caught up.)
   */
  @Test
  void anImportIntoAStoppedSiteEndsWithTheReadModelHoldingEveryPost() throws Exception {
    int posts = 400;
    Path data = tmp.resolve("data");
    Path dir = Files.createDirectories(tmp.resolve("many"));
    for (int i = 1; i <= posts; i++) {
      Files.writeString(
          dir.resolve("p" + i + ".md"),
          "---\ntitle: Post "
              + i
              + "\nslug: post-"
              + i
              + "\ndate: 2025-01-02\ntags: a, b\n---\n## Heading\n\nBody of post "
              + i
              + ".\n");
    }
    Run imported = run("import", "markdown", dir.toString(), "--data", data.toString());
    assertThat(imported.code()).as(imported.err()).isZero();
    assertThat(imported.err()).as("the wait ended by catching up").doesNotContain("warning:");
    try (Connection c = siteDatabase(data);
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT COUNT(*) FROM content_item WHERE status = 'published'"
                        + " AND html IS NOT NULL")) {
      rs.next();
      assertThat(rs.getInt(1)).as("published posts in the read model").isEqualTo(posts);
    }
    // What the wait reads: the projection's stored offset, at the newest content event.
    org.h2.jdbcx.JdbcDataSource ds = new org.h2.jdbcx.JdbcDataSource();
    ds.setURL("jdbc:h2:file:" + data.resolve("quire"));
    ds.setUser("quire");
    try (Connection c = ds.getConnection();
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT MAX(\"event_id\") FROM \"event_tag\" WHERE \"tag\" = 'content'")) {
      rs.next();
      assertThat(
              dev.quire.content.project.ContentProjection.storedOffset(
                  ds, com.typesafe.config.ConfigFactory.load()))
          .hasValue(rs.getLong(1));
    }
  }

  /**
   * An archived item cannot be edited: a file that would change one is refused by the check, before
   * anything is written (it used to fail half-way through the import). A file that matches it only
   * publishes it again, as the folder says.
   */
  @Test
  void aFileThatWouldEditAnArchivedItemIsRefusedBeforeAnythingIsWritten() throws Exception {
    Path data = tmp.resolve("data");
    Path folder = Files.createDirectories(tmp.resolve("folder"));
    String old = "---\ntitle: Old news\nslug: old-news\n---\nAs it was.\n";
    Files.writeString(folder.resolve("old-news.md"), old);
    assertThat(Main.run("import", "markdown", folder.toString(), "--data", data.toString()))
        .isZero();
    try (var session = localSite(data)) {
      var item = session.target.findBySlug("old-news").toCompletableFuture().get().orElseThrow();
      ((LocalTarget) session.target)
          .archive(item.id(), item.revision())
          .toCompletableFuture()
          .get();
    }

    Files.writeString(
        folder.resolve("old-news.md"),
        "---\ntitle: Old news\nslug: old-news\n---\nAs it is now.\n");
    Files.writeString(folder.resolve("fresh.md"), "---\ntitle: Fresh\nslug: fresh\n---\nNew.\n");
    Run refused = run("import", "markdown", folder.toString(), "--data", data.toString());
    assertThat(refused.code()).as(refused.err()).isEqualTo(2);
    assertThat(refused.err())
        .contains(folder.resolve("old-news.md") + ":3: item: the site has item ")
        .contains("('old-news') archived, and an archived item cannot be edited");

    Files.writeString(
        folder.resolve("old-news.md"),
        "---\ntitle: Old news\nslug: old-news\npublish_date: 2099-01-01\n---\nAs it was.\n");
    Run scheduled = run("import", "markdown", folder.toString(), "--data", data.toString());
    assertThat(scheduled.code()).as(scheduled.err()).isEqualTo(2);
    assertThat(scheduled.err()).contains("archived, and an archived item cannot be scheduled");

    Files.delete(folder.resolve("fresh.md"));
    Files.writeString(folder.resolve("old-news.md"), old);
    Run same = run("import", "markdown", folder.toString(), "--data", data.toString());
    assertThat(same.code()).as(same.err()).isZero();
    try (var session = localSite(data)) {
      var item = session.target.findBySlug("old-news").toCompletableFuture().get().orElseThrow();
      assertThat(item.status())
          .as("published again, as the file says; the refused folder wrote nothing")
          .isEqualTo(dev.quire.protocol.ContentStatus.PUBLISHED);
      assertThat(session.target.findBySlug("fresh").toCompletableFuture().get()).isEmpty();
    }
  }

  @Test
  void aBadSettingForTheLocalSiteFailsTheCommandAndLeavesTheDirectoryFree() throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Path posts = Files.createDirectories(tmp.resolve("posts"));
    Files.writeString(posts.resolve("one.md"), "---\ntitle: One\nslug: one\n---\nBody.\n");
    // The local target's media limit: read before the node starts (it once left a node running).
    Path siteConf = data.resolve(dev.quire.gateway.backup.BundleSettings.FILE);
    Files.writeString(siteConf, "quire.media.max-upload-bytes = \"lots\"\n");
    assertThat(Main.run("import", "markdown", posts.toString(), "--data", data.toString()))
        .as("the bad setting fails the command")
        .isNotZero();

    Files.delete(siteConf);
    assertThat(Main.run("import", "markdown", posts.toString(), "--data", data.toString()))
        .as("no node of the failed command holds the directory")
        .isZero();
  }
}
