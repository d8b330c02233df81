package dev.quire.gateway.feeds;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.reject;

import com.typesafe.config.Config;
import dev.quire.gateway.http.Compression;
import dev.quire.gateway.module.CmsModule;
import dev.quire.gateway.module.ModuleContext;
import dev.quire.gateway.site.ItemView;
import dev.quire.gateway.site.SiteSettings;
import dev.quire.gateway.site.SiteSnapshot;
import dev.quire.gateway.site.SiteState;
import dev.quire.protocol.RedirectRule;
import io.pebbletemplates.pebble.extension.Extension;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * What readers and search engines fetch besides pages: an Atom feed of the newest posts ({@code
 * /feed.xml}, full content), a sitemap of every published URL ({@code /sitemap.xml}; past {@code
 * sitemap-max-urls} a sitemap index of {@code /sitemap-N.xml} files, as the protocol requires) and
 * {@code /robots.txt} pointing at it. Built from the gateway's in-memory site like its pages: once
 * per change, kept with the site's pages, compressed once, with an ETag for conditional requests.
 * XML is written by the JDK's StAX writer, which escapes text and attributes.
 */
public final class FeedsModule implements CmsModule {

  static final String FEED = "/feed.xml";
  static final String SITEMAP = "/sitemap.xml";
  static final String ROBOTS = "/robots.txt";
  private static final String TAGS = "/tags/";
  private static final String TAG_FEED = "/feed.xml";
  private static final String ATOM = "http://www.w3.org/2005/Atom";
  private static final String XML_NS = "http://www.w3.org/XML/1998/namespace";
  private static final String SITEMAPS = "http://www.sitemaps.org/schemas/sitemap/0.9";
  private static final ContentType.WithCharset ATOM_TYPE =
      MediaTypes.applicationWithOpenCharset("atom+xml").toContentType(HttpCharsets.UTF_8);
  private static final ContentType.WithCharset XML_TYPE =
      MediaTypes.APPLICATION_XML.toContentType(HttpCharsets.UTF_8);

  private static final org.apache.pekko.http.javadsl.model.HttpHeader NO_CACHE =
      CacheControl.create(CacheDirectives.NO_CACHE);

  /** {@code quire.gateway.feeds}. */
  record Settings(int entries, int sitemapMaxUrls) {
    static Settings fromConfig(Config config) {
      Config c = config.getConfig("quire.gateway.feeds");
      int entries = c.getInt("entries");
      int max = c.getInt("sitemap-max-urls");
      if (entries < 1 || max < 1) {
        throw new IllegalArgumentException(
            "quire.gateway.feeds: entries and sitemap-max-urls must be at least 1");
      }
      return new Settings(entries, max);
    }
  }

  private SiteState state;
  private dev.quire.gateway.site.LiveSettings live;
  private Settings settings;
  private Compression compression;
  private dev.quire.gateway.site.PageRenderer pages;

  @Override
  public String id() {
    return "feeds";
  }

  @Override
  public void start(ModuleContext ctx) {
    this.state = ctx.site();
    this.live = ctx.settings();
    this.settings = Settings.fromConfig(ctx.config());
    this.compression = new Compression(Compression.Settings.fromConfig(ctx.config()));
    this.pages = ctx.pages();
    this.started = Instant.now();
  }

  /**
   * When this gateway started: the {@code updated} of a site feed that has never had a post (Atom
   * requires one; it said 1970).
   */
  private volatile Instant started = Instant.EPOCH;

  @Override
  public List<Extension> pebbleExtensions() {
    // The layout links the feed only when this module runs (it tests "feedUrl is defined").
    return List.of(CmsModule.globals(Map.of("feedUrl", FEED)));
  }

  @Override
  public Optional<Route> publicRoutes(ModuleContext ctx) {
    return Optional.of(
        get(
            () ->
                extractRequest(
                    req -> {
                      String path = req.getUri().path();
                      return ours(path) ? complete(handle(req, path)) : reject();
                    })));
  }

  private boolean ours(String path) {
    return path.equals(FEED)
        || path.equals(SITEMAP)
        || path.equals(ROBOTS)
        || sitemapPart(path) > 0
        || tagOfFeed(path) != null;
  }

  /**
   * The tag key (decoded) of {@code /tags/<key>/feed.xml}, a tag's own feed, or null. The key is
   * one path segment, as the tag page's.
   */
  static String tagOfFeed(String path) {
    if (path.length() <= TAGS.length() + TAG_FEED.length()
        || !path.startsWith(TAGS)
        || !path.endsWith(TAG_FEED)) {
      return null;
    }
    String segment = path.substring(TAGS.length(), path.length() - TAG_FEED.length());
    if (segment.isEmpty() || segment.indexOf('/') >= 0) {
      return null;
    }
    return dev.quire.gateway.site.SiteModule.decodeSegment(segment);
  }

  /** A tag feed's other spelling moves to its key's (as {@link #handle} answers it). */
  @Override
  public java.util.Optional<String> movedTo(String path) {
    String tag = tagOfFeed(path);
    if (tag == null || !state.ready()) {
      return java.util.Optional.empty();
    }
    SiteSnapshot snap = state.snapshot();
    String key =
        dev.quire.protocol.ContentRules.tagKey(dev.quire.protocol.ContentRules.composed(tag));
    if (!snap.tagged(tag).isEmpty() || key.equals(tag) || snap.tagged(key).isEmpty()) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(dev.quire.protocol.RedirectRule.encoded(TAGS + key + TAG_FEED));
  }

  /** N of {@code /sitemap-N.xml}, or -1. */
  static int sitemapPart(String path) {
    if (!path.startsWith("/sitemap-") || !path.endsWith(".xml")) {
      return -1;
    }
    String n = path.substring("/sitemap-".length(), path.length() - ".xml".length());
    if (n.isEmpty()
        || n.length() > 6
        || n.startsWith("0")
        || !n.chars().allMatch(Character::isDigit)) {
      return -1;
    }
    return Integer.parseInt(n);
  }

  private HttpResponse handle(HttpRequest req, String path) {
    if (path.equals(ROBOTS) && !state.ready()) {
      // It names no content: a crawler that met a 5xx here would take the whole site as
      // disallowed for a while.
      return robots(live.get()).answer(req, NO_CACHE);
    }
    if (!state.ready()) {
      return HttpResponse.create()
          .withStatus(StatusCodes.SERVICE_UNAVAILABLE)
          .addHeader(RawHeader.create("Retry-After", "1"));
    }
    SiteSnapshot snap = state.snapshot();
    SiteSnapshot.Rendered r = snap.page(path, () -> render(snap, path));
    return r.answer(req, NO_CACHE);
  }

  private SiteSnapshot.Rendered robots(SiteSettings site) {
    return ok(
        ContentTypes.TEXT_PLAIN_UTF8,
        ("User-agent: *\nDisallow: /api/\n\nSitemap: " + site.baseUrl() + SITEMAP + "\n")
            .getBytes(StandardCharsets.UTF_8));
  }

  /** The site's own 404 page (it was an empty body a browser showed as a blank page). */
  private SiteSnapshot.Rendered notFound(String path, String message) {
    return new SiteSnapshot.Rendered(
        404,
        "",
        HttpResponse.create()
            .withStatus(StatusCodes.NOT_FOUND)
            .withEntity(
                HttpEntities.create(
                    ContentTypes.TEXT_HTML_UTF8, pages.errorPage(404, message, path))));
  }

  private SiteSnapshot.Rendered render(SiteSnapshot snap, String path) {
    SiteSettings site = live.get();
    if (path.equals(FEED)) {
      Instant floor = snap.postsLeftAt();
      return ok(
          ATOM_TYPE,
          atom(
              snap.posts(),
              site,
              settings.entries(),
              floor == null && snap.posts().isEmpty() ? started : floor));
    }
    String tag = tagOfFeed(path);
    if (tag != null) {
      // Only the tag's own URL (its key, as the site links it) has a feed: another spelling
      // ("Java") answers 301 to it, as the tag's page does; a tag that does not exist is a 404.
      // Neither is kept in the page memo, so made-up paths do not fill it. (Pekko gives the path
      // re-encoded in one form, so "%6Aava" arrives as "java".)
      List<ItemView> tagged = snap.tagged(tag);
      String page = TAGS + tag + "/";
      if (tagged.isEmpty()) {
        String key =
            dev.quire.protocol.ContentRules.tagKey(dev.quire.protocol.ContentRules.composed(tag));
        if (!key.equals(tag) && !snap.tagged(key).isEmpty()) {
          return dev.quire.gateway.site.SiteModule.redirect(
                  dev.quire.protocol.RedirectRule.encoded(TAGS + key + TAG_FEED))
              .once();
        }
        return notFound(path, "there is no feed here").once();
      }
      return ok(
          ATOM_TYPE,
          atom(
              tagged,
              site,
              settings.entries(),
              site.title() + ": " + snap.tagName(tag),
              page + TAG_FEED.substring(1),
              page,
              snap.tagLeftAt(tag)));
    }
    if (path.equals(ROBOTS)) {
      return robots(site);
    }
    // The sitemap and its parts: the site's URLs are listed only for them.
    List<SitemapUrl> urls =
        sitemapUrls(snap, dev.quire.gateway.site.SiteModule.homePage(snap, site));
    int parts =
        Math.max(1, (urls.size() + settings.sitemapMaxUrls() - 1) / settings.sitemapMaxUrls());
    if (path.equals(SITEMAP)) {
      return ok(XML_TYPE, parts == 1 ? urlset(urls, site) : sitemapIndex(parts, site));
    }
    int part = sitemapPart(path);
    if (parts == 1 || part > parts) {
      return notFound(path, "there is no such part of the sitemap");
    }
    int from = (part - 1) * settings.sitemapMaxUrls();
    return ok(
        XML_TYPE,
        urlset(urls.subList(from, Math.min(urls.size(), from + settings.sitemapMaxUrls())), site));
  }

  private SiteSnapshot.Rendered ok(ContentType type, byte[] body) {
    String etag = dev.quire.gateway.site.SiteModule.etagOf(body);
    HttpResponse head = HttpResponse.create().withStatus(StatusCodes.OK).addHeader(NO_CACHE);
    var v = compression.variants(head, type, body, etag);
    return new SiteSnapshot.Rendered(200, etag, v.identity(), v.gzip(), true);
  }

  /**
   * A sitemap entry: a site-relative path and when what it shows last changed (W3C date-time), or
   * null when unknown.
   */
  record SitemapUrl(String path, String lastmod) {}

  /**
   * Everything published: home, blog, posts, pages, tags, authors, the archive's months, each with
   * its last change (a list page's is its newest post's), so search engines revisit what changed
   * and only that. {@code front}: the page the home shows (its own address redirects there), or
   * null.
   */
  static List<SitemapUrl> sitemapUrls(SiteSnapshot snap, ItemView front) {
    List<SitemapUrl> urls = new ArrayList<>();
    String newest = null;
    java.util.Map<String, String> tags = new java.util.TreeMap<>();
    java.util.Map<String, String> tagKeys = new java.util.HashMap<>();
    for (ItemView p : snap.posts()) {
      newest = later(newest, p.updatedIso());
      for (ItemView.TagRef t : p.tags()) {
        tags.merge(t.url(), p.updatedIso(), FeedsModule::later);
        tagKeys.putIfAbsent(t.url(), t.key());
      }
    }
    // A post that left a tag changed its page then (see SiteSnapshot.tagLeftAt).
    tags.replaceAll(
        (url, lastmod) -> {
          Instant left = snap.tagLeftAt(tagKeys.get(url));
          return left == null ? lastmod : later(lastmod, left.toString());
        });
    // A post that left the blog changed its lists then, later perhaps than every post left in it.
    if (snap.postsLeftAt() != null) {
      newest = later(newest, snap.postsLeftAt().toString());
    }
    urls.add(new SitemapUrl("/", front != null ? front.updatedIso() : newest));
    if (!snap.posts().isEmpty()) {
      urls.add(new SitemapUrl("/blog/", newest));
    }
    snap.posts().forEach(p -> urls.add(new SitemapUrl(p.url(), p.updatedIso())));
    snap.pages().stream()
        .filter(p -> front == null || !p.id().equals(front.id()))
        .forEach(p -> urls.add(new SitemapUrl(p.url(), p.updatedIso())));
    tags.forEach((url, lastmod) -> urls.add(new SitemapUrl(url, lastmod)));
    // Each author's page, as new as the last change to one of their posts; the index of authors,
    // where the site serves it, as new as the newest of those.
    String authored = null;
    for (String key : new java.util.TreeSet<>(snap.authorKeys())) {
      List<ItemView> theirs = snap.byAuthor(key);
      String lastmod = theirs.stream().map(ItemView::updatedIso).reduce(null, FeedsModule::later);
      urls.add(new SitemapUrl(theirs.get(0).authorUrl(), lastmod));
      authored = later(authored, lastmod);
    }
    if (snap.servesAuthorIndex()) {
      urls.add(new SitemapUrl("/authors/", authored));
    }
    // The index of tags, where the site serves it (no page holds its slug): it changes with them.
    if (!tags.isEmpty() && snap.servesTagIndex()) {
      urls.add(new SitemapUrl("/tags/", tags.values().stream().reduce(null, FeedsModule::later)));
    }
    // The archive, where the site serves it, and each month's page, as new as the last change to
    // one of its posts.
    if (snap.servesArchive()) {
      urls.add(new SitemapUrl("/archive/", newest));
      for (SiteSnapshot.MonthCount m : snap.archive()) {
        urls.add(
            new SitemapUrl(
                m.url(),
                snap.inMonth(m.month()).stream()
                    .map(ItemView::updatedIso)
                    .reduce(null, FeedsModule::later)));
      }
    }
    return urls;
  }

  /** The later of two ISO-8601 date-times (null: none). */
  private static String later(String a, String b) {
    if (a == null || b == null) {
      return a == null ? b : a;
    }
    return java.time.OffsetDateTime.parse(a).isBefore(java.time.OffsetDateTime.parse(b)) ? b : a;
  }

  /**
   * An Atom feed (RFC 4287) of the newest {@code entries} posts, with their whole HTML: the site's
   * feed; {@code updatedFloor} (or null): a time the feed changed at the latest, a post that left
   * it, which its {@code <updated>} is never before.
   */
  static byte[] atom(List<ItemView> posts, SiteSettings site, int entries, Instant updatedFloor) {
    return atom(posts, site, entries, site.title(), FEED, "/", updatedFloor);
  }

  /**
   * The same for {@code posts} (newest first) as the page at {@code pagePath} lists them: its own
   * {@code title}, its {@code self} path, and the page as its link and id.
   */
  static byte[] atom(
      List<ItemView> posts,
      SiteSettings site,
      int entries,
      String title,
      String selfPath,
      String pagePath,
      Instant updatedFloor) {
    List<ItemView> newest = posts.subList(0, Math.min(entries, posts.size()));
    return xml(
        w -> {
          w.writeStartElement("feed");
          w.writeDefaultNamespace(ATOM);
          w.writeAttribute("xml", XML_NS, "lang", site.language());
          w.writeAttribute("xml", XML_NS, "base", site.baseUrl() + "/");
          text(w, "title", title);
          if (!site.description().isBlank()) {
            text(w, "subtitle", site.description());
          }
          // The site feed's posts are listed at / unless a page is the home: then at /blog/ (its
          // id stays /, so that readers keep it as the same feed).
          String listedAt = pagePath.equals("/") && site.hasHomePage() ? "/blog/" : pagePath;
          link(w, null, site.baseUrl() + RedirectRule.encoded(listedAt));
          link(w, "self", site.baseUrl() + RedirectRule.encoded(selfPath));
          text(w, "id", site.baseUrl() + RedirectRule.encoded(pagePath));
          text(
              w,
              "updated",
              java.util.stream.Stream.concat(
                      newest.stream()
                          .map(p -> java.time.OffsetDateTime.parse(p.updatedIso()).toInstant()),
                      java.util.stream.Stream.ofNullable(updatedFloor))
                  .max(Instant::compareTo)
                  .orElse(Instant.EPOCH)
                  .toString());
          w.writeStartElement("author");
          text(w, "name", site.author().isBlank() ? site.title() : site.author());
          w.writeEndElement();
          text(w, "generator", "Quire");
          // The site's icon, which readers show beside the feed's name.
          text(w, "icon", site.baseUrl() + (site.hasIcon() ? site.icon() : "/favicon.ico"));
          for (ItemView p : newest) {
            w.writeStartElement("entry");
            text(w, "title", p.title());
            link(w, null, site.baseUrl() + RedirectRule.encoded(p.url()));
            text(w, "id", entryId(p, site));
            text(w, "published", p.sortDate().toString());
            text(w, "updated", p.updatedIso());
            if (!p.author().isBlank()) {
              w.writeStartElement("author");
              text(w, "name", p.author());
              w.writeEndElement();
            }
            for (ItemView.TagRef t : p.tags()) {
              w.writeEmptyElement("category");
              w.writeAttribute("term", t.key());
              w.writeAttribute("label", t.name());
            }
            if (!p.description().isBlank()) {
              text(w, "summary", p.description());
            }
            w.writeStartElement("content");
            w.writeAttribute("type", "html");
            w.writeCharacters(
                xmlChars(forReaders(p.html(), site.baseUrl() + RedirectRule.encoded(p.url()))));
            w.writeEndElement();
            w.writeEndElement();
          }
          w.writeEndElement();
        });
  }

  /**
   * An item's HTML as a feed carries it: links and images made absolute against the item's own URL
   * {@code itemUrl} (the feed's {@code xml:base} is the site's root, so a footnote's {@code #fn-1}
   * led to the home page, and not every reader resolves {@code xml:base} at all), and without the
   * copies and loading hints the site adds to its images for screens ({@code srcset}'s URLs are not
   * resolved by every feed reader, which would then show a broken image). Only {@code a} and {@code
   * img} elements are touched.
   */
  static String forReaders(String html, String itemUrl) {
    if (!html.contains("<img") && !html.contains("<a ")) {
      return html;
    }
    org.jsoup.nodes.Document doc = org.jsoup.Jsoup.parseBodyFragment(html, itemUrl);
    doc.outputSettings().prettyPrint(false);
    for (org.jsoup.nodes.Element img : doc.select("img")) {
      for (String a : List.of("srcset", "sizes", "loading", "decoding")) {
        img.removeAttr(a);
      }
      absolute(img, "src");
    }
    for (org.jsoup.nodes.Element a : doc.select("a[href]")) {
      absolute(a, "href");
    }
    return doc.body().html();
  }

  /** {@code e}'s URL attribute resolved against the document's base, when it resolves at all. */
  private static void absolute(org.jsoup.nodes.Element e, String attribute) {
    if (!e.hasAttr(attribute)) {
      return;
    }
    String abs = e.absUrl(attribute);
    if (!abs.isEmpty()) {
      e.attr(attribute, abs);
    }
  }

  /** An entry's id never changes: its item's id, not its URL (a renamed post keeps its id). */
  static String entryId(ItemView p, SiteSettings site) {
    try {
      return "urn:uuid:" + java.util.UUID.fromString(p.id());
    } catch (IllegalArgumentException notUuid) {
      return site.baseUrl() + "/#" + RedirectRule.encoded(p.id());
    }
  }

  static byte[] urlset(List<SitemapUrl> urls, SiteSettings site) {
    return xml(
        w -> {
          w.writeStartElement("urlset");
          w.writeDefaultNamespace(SITEMAPS);
          for (SitemapUrl url : urls) {
            w.writeStartElement("url");
            text(w, "loc", site.baseUrl() + RedirectRule.encoded(url.path()));
            if (url.lastmod() != null) {
              text(w, "lastmod", url.lastmod());
            }
            w.writeEndElement();
          }
          w.writeEndElement();
        });
  }

  static byte[] sitemapIndex(int parts, SiteSettings site) {
    return xml(
        w -> {
          w.writeStartElement("sitemapindex");
          w.writeDefaultNamespace(SITEMAPS);
          for (int i = 1; i <= parts; i++) {
            w.writeStartElement("sitemap");
            text(w, "loc", site.baseUrl() + "/sitemap-" + i + ".xml");
            w.writeEndElement();
          }
          w.writeEndElement();
        });
  }

  private interface Body {
    void write(XMLStreamWriter w) throws XMLStreamException;
  }

  private static byte[] xml(Body body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      XMLStreamWriter w = XMLOutputFactory.newFactory().createXMLStreamWriter(out, "UTF-8");
      w.writeStartDocument("UTF-8", "1.0");
      w.writeCharacters("\n");
      body.write(w);
      w.writeEndDocument();
      w.close();
    } catch (XMLStreamException e) {
      throw new IllegalStateException("cannot write XML: " + e.getMessage(), e);
    }
    return out.toByteArray();
  }

  private static void text(XMLStreamWriter w, String element, String value)
      throws XMLStreamException {
    w.writeStartElement(element);
    w.writeCharacters(xmlChars(value));
    w.writeEndElement();
  }

  /**
   * {@code s} without the characters XML 1.0 cannot hold (control characters other than tab and
   * line ends, lone surrogates, U+FFFE/U+FFFF): one in a post's text would make the whole feed
   * unreadable to every reader.
   */
  static String xmlChars(String s) {
    StringBuilder b = null;
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      int n = Character.charCount(c);
      boolean ok =
          c == 0x9
              || c == 0xA
              || c == 0xD
              || (c >= 0x20 && c <= 0xD7FF)
              || (c >= 0xE000 && c <= 0xFFFD)
              || (c >= 0x10000 && c <= 0x10FFFF);
      if (!ok && b == null) {
        b = new StringBuilder(s.length()).append(s, 0, i);
      } else if (ok && b != null) {
        b.appendCodePoint(c);
      }
      i += n;
    }
    return b == null ? s : b.toString();
  }

  private static void link(XMLStreamWriter w, String rel, String href) throws XMLStreamException {
    w.writeEmptyElement("link");
    if (rel != null) {
      w.writeAttribute("rel", rel);
    }
    w.writeAttribute("href", href);
  }
}
