package dev.quire.gateway.feeds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.gateway.site.ItemView;
import dev.quire.gateway.site.SiteSettings;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** The feed and sitemap are well-formed XML whatever the content holds. */
class FeedsModuleTest {

  static final SiteSettings SITE =
      new SiteSettings(
          "Site & <Co>", "About things", "https://example.org", "en", "", 10, 10, "", "");

  static ItemView post(String id, String title, String slug, String html, List<String> tags) {
    return new ItemView(
        id,
        "post",
        title,
        slug,
        "/posts/" + slug + "/",
        "A <summary>",
        tags.stream()
            .map(t -> new ItemView.TagRef(t, t.toLowerCase(), "/tags/" + t.toLowerCase() + "/"))
            .toList(),
        "",
        "Ann",
        "2026-01-02",
        "2 January 2026",
        "2026-01-03T10:00:00Z",
        html,
        1,
        Instant.parse("2026-01-02T09:00:00Z"),
        List.of(),
        "");
  }

  static Document parse(byte[] xml) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml));
  }

  @Test
  void theFeedIsAtomWithEscapedTextAndWholeHtml() throws Exception {
    var posts =
        List.of(
            post(
                "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
                "Tom & \"Jerry\" <script>",
                "tom-jerry",
                "<p>Body with <em>markup</em> and a control \u0001 character</p>",
                List.of("Café")),
            post("legacy-id", "Second", "second", "<p>Two</p>", List.of()));
    Document d = parse(FeedsModule.atom(posts, SITE, 1, null));
    Element feed = d.getDocumentElement();
    assertThat(((Element) feed.getElementsByTagName("link").item(0)).getAttribute("href"))
        .isEqualTo("https://example.org/");
    // Readers show the site's icon beside the feed's name: the theme's at /favicon.ico, or the
    // site's own.
    assertThat(feed.getElementsByTagName("icon").item(0).getTextContent())
        .isEqualTo("https://example.org/favicon.ico");
    String mark = "/media/" + "ab".repeat(32) + "/mark.png";
    SiteSettings withIcon =
        new SiteSettings(
            SITE.title(), SITE.description(), SITE.baseUrl(), "en", "", 10, 10, "", mark);
    assertThat(
            parse(FeedsModule.atom(posts, withIcon, 1, null))
                .getDocumentElement()
                .getElementsByTagName("icon")
                .item(0)
                .getTextContent())
        .isEqualTo("https://example.org" + mark);
    // With a page as the home, the posts are listed at /blog/; the feed stays the same feed.
    SiteSettings withHome =
        new SiteSettings(
            SITE.title(), SITE.description(), SITE.baseUrl(), "en", "", 10, 10, "about", "");
    Element homeFeed = parse(FeedsModule.atom(posts, withHome, 1, null)).getDocumentElement();
    assertThat(((Element) homeFeed.getElementsByTagName("link").item(0)).getAttribute("href"))
        .isEqualTo("https://example.org/blog/");
    assertThat(homeFeed.getElementsByTagName("id").item(0).getTextContent())
        .isEqualTo(feed.getElementsByTagName("id").item(0).getTextContent());
    assertThat(feed.getNamespaceURI()).isEqualTo("http://www.w3.org/2005/Atom");
    assertThat(feed.getAttributeNS("http://www.w3.org/XML/1998/namespace", "base"))
        .isEqualTo("https://example.org/");
    assertThat(feed.getElementsByTagName("title").item(0).getTextContent())
        .isEqualTo("Site & <Co>");
    assertThat(feed.getElementsByTagName("entry").getLength()).as("entries = 1").isEqualTo(1);
    Element entry = (Element) feed.getElementsByTagName("entry").item(0);
    assertThat(entry.getElementsByTagName("title").item(0).getTextContent())
        .isEqualTo("Tom & \"Jerry\" <script>");
    assertThat(entry.getElementsByTagName("id").item(0).getTextContent())
        .isEqualTo("urn:uuid:0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
    assertThat(((Element) entry.getElementsByTagName("link").item(0)).getAttribute("href"))
        .isEqualTo("https://example.org/posts/tom-jerry/");
    assertThat(entry.getElementsByTagName("content").item(0).getTextContent())
        .isEqualTo("<p>Body with <em>markup</em> and a control  character</p>");
    assertThat(((Element) entry.getElementsByTagName("category").item(0)).getAttribute("label"))
        .isEqualTo("Café");
    assertThat(entry.getElementsByTagName("published").item(0).getTextContent())
        .isEqualTo("2026-01-02T09:00:00Z");
    assertThat(feed.getElementsByTagName("updated").item(0).getTextContent())
        .isEqualTo("2026-01-03T10:00:00Z");
    assertThat(FeedsModule.entryId(posts.get(1), SITE)).isEqualTo("https://example.org/#legacy-id");
  }

  @Test
  void aTagsFeedHasItsOwnTitleSelfLinkAndId() throws Exception {
    var posts = List.of(post("t1", "Tagged", "tagged", "<p>T</p>", List.of("Café")));
    Element feed =
        parse(
                FeedsModule.atom(
                    posts,
                    SITE,
                    20,
                    "Site & <Co>: Café",
                    "/tags/caf\u00e9/feed.xml",
                    "/tags/caf\u00e9/",
                    null))
            .getDocumentElement();
    assertThat(feed.getElementsByTagName("title").item(0).getTextContent())
        .isEqualTo("Site & <Co>: Café");
    assertThat(feed.getElementsByTagName("id").item(0).getTextContent())
        .isEqualTo("https://example.org/tags/caf%C3%A9/");
    var links = feed.getElementsByTagName("link");
    assertThat(((Element) links.item(0)).getAttribute("href"))
        .isEqualTo("https://example.org/tags/caf%C3%A9/");
    assertThat(((Element) links.item(1)).getAttribute("rel")).isEqualTo("self");
    assertThat(((Element) links.item(1)).getAttribute("href"))
        .isEqualTo("https://example.org/tags/caf%C3%A9/feed.xml");

    assertThat(FeedsModule.tagOfFeed("/tags/java/feed.xml")).isEqualTo("java");
    assertThat(FeedsModule.tagOfFeed("/tags/caf%C3%A9/feed.xml")).isEqualTo("caf\u00e9");
    assertThat(FeedsModule.tagOfFeed("/tags//feed.xml")).isNull();
    assertThat(FeedsModule.tagOfFeed("/tags/a/b/feed.xml")).isNull();
    assertThat(FeedsModule.tagOfFeed("/tags/%zz/feed.xml")).isNull();
    assertThat(FeedsModule.tagOfFeed("/feed.xml")).isNull();
    assertThat(FeedsModule.tagOfFeed("/tags/feed.xml")).as("no key (the two overlap)").isNull();
    assertThat(FeedsModule.tagOfFeed("/tags/x/feed.xml")).isEqualTo("x");
  }

  static ItemView withUpdated(ItemView v, String kind, String url, String updated) {
    return new ItemView(
        v.id(),
        kind,
        v.title(),
        v.slug(),
        url,
        v.description(),
        v.tags(),
        v.coverImage(),
        v.author(),
        v.dateIso(),
        v.dateDisplay(),
        updated,
        v.html(),
        v.readingMinutes(),
        v.sortDate(),
        v.aliases(),
        v.coverAlt());
  }

  @Test
  void aFeedCarriesImagesWithoutWhatTheSiteAddsForScreens() {
    String shown =
        "<p><img src=\"/media/abc/p.jpg\" alt=\"a srcset=&quot;x&quot;\" width=\"1800\""
            + " height=\"1200\" decoding=\"async\" srcset=\"/media/abc/w480/p.jpg 480w,"
            + " /media/abc/p.jpg 1800w\" sizes=\"100vw\"></p>";
    String at = "https://example.com/posts/x/";
    assertThat(FeedsModule.forReaders(shown, at))
        .isEqualTo(
            "<p><img src=\"https://example.com/media/abc/p.jpg\" alt=\"a srcset=&quot;x&quot;\""
                + " width=\"1800\" height=\"1200\"></p>");
    // A code sample that shows such attributes keeps them: only img elements are touched.
    String sample =
        "<p><img src=\"/media/abc/p.jpg\" alt=\"\" srcset=\"/media/abc/w480/p.jpg 480w\"></p>"
            + "<pre><code>&lt;img srcset=\"a 2x\" loading=\"lazy\"&gt;</code></pre>";
    assertThat(FeedsModule.forReaders(sample, at))
        .isEqualTo(
            "<p><img src=\"https://example.com/media/abc/p.jpg\" alt=\"\"></p>"
                + "<pre><code>&lt;img srcset=\"a 2x\" loading=\"lazy\"&gt;</code></pre>");
  }

  /**
   * Links are made absolute against the item's own URL: the feed's xml:base is the site's root, so
   * a footnote's "#fn-1" led readers to the home page. Absolute ones and other schemes stay.
   */
  @Test
  void aFeedsLinksPointWhereTheyDoOnTheItsPage() {
    String html =
        "<p>Said<sup><a href=\"#fn-1\" id=\"fnref-1\">1</a></sup>, see <a href=\"../other/\">o</a>,"
            + " <a href=\"/tags/java/\">t</a>, <a href=\"https://else.example/\">e</a>,"
            + " <a href=\"mailto:a@b.example\">m</a>.</p>";
    assertThat(FeedsModule.forReaders(html, "https://example.com/posts/x/"))
        .contains("href=\"https://example.com/posts/x/#fn-1\"")
        .contains("href=\"https://example.com/posts/other/\"")
        .contains("href=\"https://example.com/tags/java/\"")
        .contains("href=\"https://else.example/\"")
        .contains("href=\"mailto:a@b.example\"");
  }

  @Test
  void theSitemapSaysWhenEachPageLastChanged() throws Exception {
    var older =
        withUpdated(
            post("a", "A", "a", "<p>a</p>", List.of("Java")),
            "post",
            "/posts/a/",
            "2026-01-03T10:00:00Z");
    var newer =
        withUpdated(
            post("b", "B", "b", "<p>b</p>", List.of("Java", "Go")),
            "post",
            "/posts/b/",
            "2026-02-01T08:00:00+01:00");
    var page =
        withUpdated(
            post("p", "About", "about", "<p>p</p>", List.of()),
            "page",
            "/about/",
            "2026-01-05T00:00:00Z");
    var snap = dev.quire.gateway.site.SiteSnapshot.of(3, List.of(older, newer, page), 10);
    var urls = FeedsModule.sitemapUrls(snap, null);
    java.util.Map<String, String> lastmod = new java.util.HashMap<>();
    urls.forEach(u -> lastmod.put(u.path(), u.lastmod()));
    assertThat(lastmod)
        .containsEntry("/", "2026-02-01T08:00:00+01:00")
        .containsEntry("/blog/", "2026-02-01T08:00:00+01:00")
        .containsEntry("/posts/a/", "2026-01-03T10:00:00Z")
        .containsEntry("/about/", "2026-01-05T00:00:00Z")
        .containsEntry("/tags/java/", "2026-02-01T08:00:00+01:00")
        .containsEntry("/tags/go/", "2026-02-01T08:00:00+01:00")
        .as("the index of tags, as new as its newest tag")
        .containsEntry("/tags/", "2026-02-01T08:00:00+01:00")
        .as("the author of both posts: as new as the later change to either")
        .containsEntry("/authors/ann/", "2026-02-01T08:00:00+01:00")
        .as("the archive, and the month of both posts' date (2 January)")
        .containsEntry("/archive/", "2026-02-01T08:00:00+01:00")
        .containsEntry("/archive/2026/01/", "2026-02-01T08:00:00+01:00")
        .as("the index of authors")
        .containsEntry("/authors/", "2026-02-01T08:00:00+01:00")
        .hasSize(12);

    // The page the home shows: listed once, at the home, as new as its own last change.
    var front = snap.bySlug("about");
    java.util.Map<String, String> withFront = new java.util.HashMap<>();
    FeedsModule.sitemapUrls(snap, front).forEach(u -> withFront.put(u.path(), u.lastmod()));
    assertThat(withFront)
        .containsEntry("/", "2026-01-05T00:00:00Z")
        .containsEntry("/blog/", "2026-02-01T08:00:00+01:00")
        .doesNotContainKey("/about/")
        .hasSize(11);

    // The newest post unpublished later: the blog's lists changed then, and say so; they do not
    // go back to the newest post that is left.
    var left =
        dev.quire.gateway.site.SiteSnapshot.of(4, List.of(older, page), 10)
            .withLeftAt(
                java.time.Instant.parse("2026-02-03T00:00:00Z"),
                java.util.Map.of("java", java.time.Instant.parse("2026-02-03T00:00:00Z")));
    java.util.Map<String, String> after = new java.util.HashMap<>();
    FeedsModule.sitemapUrls(left, null).forEach(u -> after.put(u.path(), u.lastmod()));
    assertThat(after)
        .containsEntry("/", "2026-02-03T00:00:00Z")
        .containsEntry("/blog/", "2026-02-03T00:00:00Z")
        .containsEntry("/posts/a/", "2026-01-03T10:00:00Z")
        .as("the tag the newest post left: not back to the post left under it")
        .containsEntry("/tags/java/", "2026-02-03T00:00:00Z");
    Document feed =
        parse(
            FeedsModule.atom(
                left.posts(), SITE, 20, java.time.Instant.parse("2026-02-03T00:00:00Z")));
    assertThat(feed.getDocumentElement().getElementsByTagName("updated").item(0).getTextContent())
        .isEqualTo("2026-02-03T00:00:00Z");
  }

  @Test
  void aSitemapPastItsLimitIsAnIndexOfParts() throws Exception {
    Document set =
        parse(
            FeedsModule.urlset(
                List.of(
                    new FeedsModule.SitemapUrl("/", null),
                    new FeedsModule.SitemapUrl("/posts/a/", "2026-01-03T10:00:00Z"),
                    new FeedsModule.SitemapUrl("/tags/café/", null)),
                SITE));
    assertThat(set.getElementsByTagName("loc").item(2).getTextContent())
        .isEqualTo("https://example.org/tags/caf%C3%A9/");
    assertThat(set.getElementsByTagName("lastmod").getLength()).isEqualTo(1);
    assertThat(set.getElementsByTagName("lastmod").item(0).getTextContent())
        .isEqualTo("2026-01-03T10:00:00Z");
    Document index = parse(FeedsModule.sitemapIndex(3, SITE));
    assertThat(index.getDocumentElement().getLocalName()).isEqualTo("sitemapindex");
    assertThat(index.getElementsByTagName("loc").item(2).getTextContent())
        .isEqualTo("https://example.org/sitemap-3.xml");
    assertThat(FeedsModule.sitemapPart("/sitemap-2.xml")).isEqualTo(2);
    assertThat(FeedsModule.sitemapPart("/sitemap-02.xml")).isEqualTo(-1);
    assertThat(FeedsModule.sitemapPart("/sitemap-.xml")).isEqualTo(-1);
    assertThat(FeedsModule.sitemapPart("/sitemap-x.xml")).isEqualTo(-1);
    assertThat(new String(FeedsModule.urlset(List.of(), SITE), StandardCharsets.UTF_8))
        .contains("<urlset");
  }
}
