package dev.quire.cli;

import static dev.quire.cli.BundleRoundTripTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.gateway.media.MediaStore;
import dev.quire.protocol.ContentKind;
import dev.quire.protocol.ContentSnapshot;
import dev.quire.protocol.ContentStatus;
import dev.quire.protocol.RedirectRule;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quire import wordpress} on a WXR fixture written for these tests (every item kind and
 * status a migration meets) with a copy of its uploads folder, into a real data directory.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WordPressImportTest {

  @TempDir static Path tmp;
  static Path wxr;
  static Path uploads;

  @BeforeAll
  static void fixture() throws Exception {
    wxr = tmp.resolve("export.xml");
    try (var in = WordPressImportTest.class.getResourceAsStream("/wordpress/export.xml")) {
      Files.copy(in, wxr);
    }
    uploads = Files.createDirectories(tmp.resolve("uploads/2024/05")).getParent().getParent();
    Files.write(uploads.resolve("2024/05/cat.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, 1, 2, 3});
    Files.write(
        uploads.resolve("2024/05/cat-300x200.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, 4});
    Files.writeString(uploads.resolve("2024/05/report.pdf"), "%PDF-1.4 report");
    // Outside the uploads folder: an export naming ../../secret must not reach it.
    Files.writeString(tmp.resolve("secret.txt"), "not for the site");
  }

  /**
   * A WordPress tag's name as a tag: what a tag holds stays as it is, well-known symbols are
   * spelled out so that names stay apart ("C++" and "C#" were both "C"), and the rest becomes a
   * space.
   */
  @Test
  void aTagsNameKeepsWhatATagHolds() {
    WordPressImport wp =
        new WordPressImport(
            dev.quire.content.render.MarkdownRenderer.contentRules(
                com.typesafe.config.ConfigFactory.load()),
            null,
            java.time.Instant.now());
    Map<String, String> expected =
        Map.of(
            "node.js", "node.js",
            "e-commerce", "e-commerce",
            "C++", "Cpp",
            "C#", "Csharp",
            "Q&A", "Q and A",
            "what's new", "whats new",
            "rock & roll", "rock and roll",
            "2026/12", "2026 12",
            "--a..b--", "a b",
            "<b>Bold</b> tag", "Bold tag");
    expected.forEach((name, tag) -> assertThat(wp.cleanTag(name)).as(name).isEqualTo(tag));
  }

  static String sha(Path f) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(
            java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
  }

  @Test
  @Order(1)
  void postsPagesMediaAndOldPermalinksArriveAsQuireContent() throws Exception {
    Path data = tmp.resolve("site");
    var r = importInto(data);
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out())
        .contains("Read " + wxr + " (Old Blog): 6 post(s), 2 page(s), 3 media file(s)")
        .contains("2 comment(s) left out")
        .contains("status trash=1")
        .contains("type nav_menu_item=1");
    assertThat(r.err())
        .contains(
            "export.xml:157: WordPress item 5: slug 'blog' is reserved for the site's own pages; imported as 'blog-5'")
        .contains("WordPress item 6: private, imported as a draft")
        // Published, its text would be public: what the password kept from visitors.
        .contains(
            "WordPress item 12: protected by a password, imported as a draft (Quire has no"
                + " password-protected items")
        .contains("1 WordPress shortcode(s) left in the text")
        // A tag's name that a tag cannot hold is said, and well-known symbols are spelled out:
        // "C++" was stored as "C", without a word, and met "C#" there.
        .contains(
            "tag 'C++' imported as 'Cpp': a tag holds letters and digits, with - _ . or a space"
                + " between words")
        // A name a tag holds as it is ("Java") is not warned about.
        .doesNotContain("tag 'Java'");

    Map<String, ContentSnapshot> bySlug = new HashMap<>();
    List<RedirectRule>[] redirects = new List[1];
    List<MediaStore.Media>[] media = new List[1];
    BundleRoundTripTest.withSite(
        data,
        (site, store) -> {
          for (String id : await(site.ids())) {
            ContentSnapshot s = await(site.get(id)).orElseThrow();
            bySlug.put(s.fields().slug(), s);
          }
          redirects[0] = await(site.redirects());
          media[0] = store.list();
        });
    assertThat(bySlug.keySet())
        .containsExactlyInAnyOrder(
            "hello-world",
            "notes-on-the-block-editor",
            "coming-soon",
            "about",
            "blog-5",
            "only-for-me",
            "members-only",
            "a-cat");

    String cat = "/media/" + sha(uploads.resolve("2024/05/cat.jpg")) + "/cat.jpg";
    String small = "/media/" + sha(uploads.resolve("2024/05/cat-300x200.jpg")) + "/cat-300x200.jpg";
    String report = "/media/" + sha(uploads.resolve("2024/05/report.pdf")) + "/report.pdf";
    assertThat(media[0])
        .extracting(MediaStore.Media::url)
        .containsExactlyInAnyOrder(cat, small, report);

    ContentSnapshot hello = bySlug.get("hello-world");
    assertThat(hello.status()).isEqualTo(ContentStatus.PUBLISHED);
    assertThat(hello.kind()).isEqualTo(ContentKind.POST);
    assertThat(hello.fields().title()).isEqualTo("Hello & welcome");
    assertThat(hello.fields().author()).isEqualTo("Ada Lovelace");
    assertThat(hello.fields().date()).isEqualTo(Instant.parse("2024-05-06T10:00:00Z"));
    assertThat(hello.fields().tags()).containsExactly("News", "Java", "Cpp");
    assertThat(hello.fields().description()).isEqualTo("The first post on the old blog.");
    assertThat(hello.fields().coverImage()).isEqualTo(cat);
    assertThat(hello.fields().coverAlt())
        .as("the featured image's alt text")
        .isEqualTo("A grey cat asleep on a <red> chair");
    assertThat(hello.fields().body())
        .contains("Welcome to **the new** blog. Read [the docs](https://example.org/docs).")
        .contains("![A cat](" + small + ")")
        .contains("* first")
        .doesNotContain("<p>")
        .doesNotContain("wp-content");

    ContentSnapshot notes = bySlug.get("notes-on-the-block-editor");
    assertThat(notes.status()).isEqualTo(ContentStatus.DRAFT);
    assertThat(notes.fields().author()).isEqualTo("bob");
    assertThat(notes.fields().date()).isEqualTo(Instant.parse("2024-06-01T08:30:00Z"));
    assertThat(notes.fields().body())
        .contains("## Code")
        .contains("```\nint x = 1;\n```")
        .doesNotContain("wp:paragraph")
        .doesNotContain("<script>");

    assertThat(bySlug.get("coming-soon").status()).isEqualTo(ContentStatus.SCHEDULED);
    assertThat(bySlug.get("coming-soon").scheduledAt())
        .isEqualTo(Instant.parse("2031-01-01T09:00:00Z"));
    assertThat(bySlug.get("about").kind()).isEqualTo(ContentKind.PAGE);
    assertThat(bySlug.get("about").fields().body()).contains("[report](" + report + ")");
    assertThat(bySlug.get("blog-5").status()).isEqualTo(ContentStatus.PUBLISHED);
    // Published since its WordPress date, not since the import.
    assertThat(bySlug.get("about").publishedAt()).isEqualTo(Instant.parse("2024-01-01T00:00:00Z"));
    assertThat(bySlug.get("only-for-me").status()).isEqualTo(ContentStatus.DRAFT);
    assertThat(bySlug.get("members-only").status()).isEqualTo(ContentStatus.DRAFT);
    assertThat(bySlug.get("a-cat").fields().body())
        .contains("![cat](" + cat + ")")
        .contains("[gallery ids=")
        .doesNotContain("[caption");

    assertThat(redirects[0])
        .contains(
            new RedirectRule("/2024/05/hello-world/", "/posts/hello-world/", 301),
            new RedirectRule("/?p=1", "/posts/hello-world/", 301),
            new RedirectRule("/?p=3", "/posts/coming-soon/", 301),
            new RedirectRule("/?page_id=4", "/about/", 301),
            new RedirectRule("/blog/", "/blog-5/", 301),
            new RedirectRule("/2024/08/a-cat/", "/posts/a-cat/", 301),
            // The old category and tag pages, their feeds, and the site's feed.
            new RedirectRule("/category/news/", "/tags/news/", 301),
            new RedirectRule("/category/news/feed/", "/tags/news/feed.xml", 301),
            new RedirectRule("/tag/java/", "/tags/java/", 301),
            new RedirectRule("/tag/java/feed/", "/tags/java/feed.xml", 301),
            new RedirectRule("/tag/c/", "/tags/cpp/", 301),
            new RedirectRule("/feed/", "/feed.xml", 301))
        // "Uncategorized" is no tag here, so its old page keeps no redirect.
        .noneMatch(x -> x.from().startsWith("/category/uncategorized/"))
        .noneMatch(x -> x.from().equals("/about/"))
        // Its old link had no trailing slash: the site answers /about with /about/ itself, and a
        // rule for it would loop (the site refuses one, with the whole batch it came in).
        .noneMatch(x -> x.from().equals("/about"))
        .noneMatch(
            x ->
                x.to().contains("only-for-me")
                    || x.to().contains("members-only")
                    || x.to().contains("notes-on"));

    // Running it again changes nothing.
    var again = importInto(data);
    assertThat(again.code()).as(again.err()).isZero();
    assertThat(again.out())
        .contains("0 created, 0 updated, 0 published, 0 scheduled, 0 unpublished, 8 unchanged");
  }

  @Test
  @Order(2)
  void brokenOrHostileExportsAreRefusedWithTheLineAndNothingIsWritten() throws Exception {
    Path data = tmp.resolve("untouched");
    Path broken = tmp.resolve("broken.xml");
    String xml = Files.readString(wxr);
    Files.writeString(
        broken, xml.replace("<wp:post_id>4</wp:post_id>", "<wp:post_id>4</wp:post_idx>"));
    var r =
        EmbeddingRoleClusterTest.runCli(
            "import", "wordpress", broken.toString(), "--data", data.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .contains("broken.xml:")
        .contains("not well-formed XML")
        .contains("Nothing was imported.");

    // XXE: an external entity naming a local file is not expanded into the site.
    Path xxe = tmp.resolve("xxe.xml");
    Files.writeString(
        xxe,
        xml.replace(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>",
                "<?xml version=\"1.0\" encoding=\"UTF-8\" ?><!DOCTYPE rss [<!ENTITY xxe SYSTEM \""
                    + tmp.resolve("secret.txt").toUri()
                    + "\">]>")
            .replace("Who we are.", "Who we are. &xxe;"),
        StandardCharsets.UTF_8);
    var x =
        EmbeddingRoleClusterTest.runCli(
            "import", "wordpress", xxe.toString(), "--data", data.toString());
    assertThat(x.code()).isEqualTo(2);
    assertThat(x.err()).contains("xxe.xml:1: a <!DOCTYPE> declaration");
    assertThat(x.out() + x.err()).doesNotContain("not for the site");

    // A body over the site's limit: named by file, line and field, and nothing imported.
    Path huge = tmp.resolve("huge.xml");
    Files.writeString(huge, xml.replace("<p>Later.</p>", "<p>" + "x".repeat(1_100_000) + "</p>"));
    var h =
        EmbeddingRoleClusterTest.runCli(
            "import", "wordpress", huge.toString(), "--data", data.toString());
    assertThat(h.code()).isEqualTo(2);
    assertThat(h.err()).contains("huge.xml:").contains(": body: ").contains("nothing was imported");
    assertThat(Files.exists(data)).isFalse();

    // One element of 20 MB of HTML, and one attribute of 5 MB, in an export within the file limit:
    // the parser held each whole and ran the heap out. Refused naming the line and the limit.
    Path longText = tmp.resolve("long-text.xml");
    Files.writeString(longText, xml.replace("<p>Later.</p>", "<p>word</p>".repeat(2_000_000)));
    var lt =
        EmbeddingRoleClusterTest.runCli(
            "import", "wordpress", longText.toString(), "--data", data.toString());
    assertThat(lt.code()).as(lt.err()).isEqualTo(2);
    assertThat(lt.err())
        .containsPattern("long-text.xml:\\d+: <content:encoded> holds more than 4194304 characters")
        .contains("quire.cli.wordpress.max-text-chars")
        .contains("Nothing was imported.")
        .doesNotContain("OutOfMemoryError");
    Path longAttribute = tmp.resolve("long-attribute.xml");
    Files.writeString(
        longAttribute, xml.replaceFirst("<item>", "<item a=\"" + "A".repeat(5_000_000) + "\">"));
    var la =
        EmbeddingRoleClusterTest.runCli(
            "import", "wordpress", longAttribute.toString(), "--data", data.toString());
    assertThat(la.code()).as(la.err()).isEqualTo(2);
    assertThat(la.err())
        .contains("long-attribute.xml:27: more than 4194304 bytes without markup")
        .doesNotContain("OutOfMemoryError");
    // A comment is held whole as well, '<' in it or not.
    Path longComment = tmp.resolve("long-comment.xml");
    Files.writeString(
        longComment, xml.replaceFirst("<item>", "<!-- " + "<a>".repeat(2_000_000) + " --><item>"));
    var lc =
        EmbeddingRoleClusterTest.runCli(
            "import", "wordpress", longComment.toString(), "--data", data.toString());
    assertThat(lc.code()).as(lc.err()).isEqualTo(2);
    assertThat(lc.err())
        .contains("long-comment.xml:27: more than 4194304 bytes without markup")
        .doesNotContain("OutOfMemoryError");
    assertThat(Files.exists(data)).isFalse();

    // An export over the file limit (96 MiB: its items are held while checked, and a 283 MB one
    // ran the default heap out) is refused before it is parsed, naming the limit. Sparse.
    Path tooBig = tmp.resolve("too-big.xml");
    try (var raf = new java.io.RandomAccessFile(tooBig.toFile(), "rw")) {
      raf.setLength(97L << 20);
    }
    var t =
        EmbeddingRoleClusterTest.runCli(
            "import", "wordpress", tooBig.toString(), "--data", data.toString());
    assertThat(t.code()).isEqualTo(2);
    assertThat(t.err())
        .contains("more than quire.cli.wordpress.max-file-bytes (100663296")
        .contains("QUIRE_HEAP");
    assertThat(Files.exists(data)).isFalse();

    // Content nested 50,000 elements deep: a problem of that item, named by its line, and
    // nothing imported, not a stack trace at the end of the run.
    Path deep = tmp.resolve("deep.xml");
    Files.writeString(
        deep,
        xml.replace("<p>Later.</p>", "<div>".repeat(50_000) + "Later." + "</div>".repeat(50_000)));
    var d =
        EmbeddingRoleClusterTest.runCli(
            "import", "wordpress", deep.toString(), "--data", data.toString());
    assertThat(d.code()).as(d.err()).isEqualTo(2);
    assertThat(d.err())
        .contains("deep.xml:")
        .contains("nests too deeply")
        .contains("nothing was imported")
        .doesNotContain("StackOverflowError");
    assertThat(Files.exists(data)).isFalse();

    // A media file over the site's upload limit: refused before anything is written (the site
    // would refuse it, after the media before it were stored). Sparse: no 65 MB on disk.
    Path bigUploads = tmp.resolve("big-uploads");
    Files.createDirectories(bigUploads.resolve("2024/05"));
    for (String f : List.of("cat-300x200.jpg", "report.pdf")) {
      Files.copy(uploads.resolve("2024/05/" + f), bigUploads.resolve("2024/05/" + f));
    }
    Path bigCat = bigUploads.resolve("2024/05/cat.jpg");
    try (var raf = new java.io.RandomAccessFile(bigCat.toFile(), "rw")) {
      raf.write(new byte[] {(byte) 0xFF, (byte) 0xD8});
      raf.setLength(65L << 20);
    }
    var big =
        EmbeddingRoleClusterTest.runCli(
            "import",
            "wordpress",
            wxr.toString(),
            "--media",
            bigUploads.toString(),
            "--data",
            data.toString());
    assertThat(big.code()).as(big.out() + big.err()).isEqualTo(2);
    assertThat(big.err())
        .contains(
            bigCat
                + ": file: is 68157440 bytes, at most 67108864 allowed"
                + " (quire.media.max-upload-bytes)")
        .contains("nothing was imported");
    assertThat(Files.exists(data)).isFalse();

    // An attachment whose file name climbs out of the uploads folder is not read.
    Path climbing = tmp.resolve("climb.xml");
    Files.writeString(
        climbing, xml.replace("<![CDATA[2024/05/report.pdf]]>", "<![CDATA[../../secret.txt]]>"));
    var c =
        EmbeddingRoleClusterTest.runCli(
            "import", "wordpress", climbing.toString(), "--media", uploads.toString(), "--dry-run");
    assertThat(c.code()).as(c.err()).isZero();
    assertThat(c.out())
        .contains("3 media file(s)"); // cat.jpg, cat-300x200.jpg and report.pdf via the About link
  }

  /**
   * Into a stopped site, media that would leave less than quire.media.keep-free on the disk (set
   * above the disk's room here) is refused before anything is written, as an upload is.
   */
  @Test
  @Order(3)
  void mediaThatWouldEatTheDatabasesRoomIsRefusedAndNothingIsWritten() throws Exception {
    Path data = tmp.resolve("full");
    // A dry run says so too, and touches nothing (no data directory is made).
    var dry = withNoRoom(() -> importInto(data, "--dry-run"));
    assertThat(dry.code()).as(dry.out() + dry.err()).isEqualTo(2);
    assertThat(dry.err())
        .contains(wxr + ": the media files this site does not hold (")
        .contains("an import would stop here");
    assertThat(data).doesNotExist();
    var r = withNoRoom(() -> importInto(data));
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(2);
    assertThat(r.err())
        .contains(wxr + ": the media files this site does not hold (")
        .contains("would leave less than quire.media.keep-free (")
        .contains("nothing was imported");
    BundleRoundTripTest.withSite(
        data,
        (site, store) -> {
          assertThat(await(site.ids())).isEmpty();
          assertThat(store.list()).isEmpty();
        });

    // Media the site already holds takes no more room: imported once with room, the same export
    // goes in again under the same setting (its three files counted as none).
    var first = importInto(data);
    assertThat(first.code()).as(first.out() + first.err()).isZero();
    var dryAgain = withNoRoom(() -> importInto(data, "--dry-run"));
    assertThat(dryAgain.code()).as(dryAgain.out() + dryAgain.err()).isZero();
    var again = withNoRoom(() -> importInto(data));
    assertThat(again.code()).as(again.out() + again.err()).isZero();
    assertThat(again.out()).contains("8 unchanged");
  }

  /** The export, with its uploads, into the stopped site at {@code data}. */
  private static EmbeddingRoleClusterTest.Cli importInto(Path data, String... more) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "import",
                "wordpress",
                wxr.toString(),
                "--media",
                uploads.toString(),
                "--data",
                data.toString()));
    args.addAll(List.of(more));
    return EmbeddingRoleClusterTest.runCli(args.toArray(String[]::new));
  }

  /** {@code run} with quire.media.keep-free above any disk's room (BundleRoundTripTest's too). */
  static <T> T withNoRoom(java.util.function.Supplier<T> run) {
    System.setProperty("quire.media.keep-free", Long.toString(1L << 60));
    com.typesafe.config.ConfigFactory.invalidateCaches();
    try {
      return run.get();
    } finally {
      System.clearProperty("quire.media.keep-free");
      com.typesafe.config.ConfigFactory.invalidateCaches();
    }
  }
}
