package dev.quire.bundle;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/** A small, complete site written as a bundle: items, history, media, redirects, menus. */
final class Fixtures {

  static final Instant T0 = Instant.parse("2026-01-02T03:04:05Z");
  static final byte[] PHOTO =
      "not really a jpeg, but bytes all the same".getBytes(StandardCharsets.UTF_8);

  private Fixtures() {}

  static BundleWriter.Options options() {
    return new BundleWriter.Options(
        "quire 0.1.0 (test)",
        new Manifest.Site("Test site", "https://example.org"),
        true,
        2,
        Clock.fixed(T0, ZoneOffset.UTC));
  }

  static Manifest writeSite(Path file) throws IOException {
    try (BundleWriter w = BundleWriter.create(file, options())) {
      MediaEntry photo = w.media(new ByteArrayInputStream(PHOTO), "image/jpeg", "photo.jpg");
      // The same bytes again (another item's upload): stored once.
      w.media(new ByteArrayInputStream(PHOTO), "image/jpeg", "photo-copy.jpg");
      for (int i = 1; i <= 3; i++) {
        w.item(item(i, photo.sha256()));
        w.event(created(i));
        w.event(
            new BundleEvent(
                "id-" + i,
                2,
                "published",
                T0.plusSeconds(60),
                "editor",
                null,
                null,
                null,
                null,
                null));
      }
      w.redirect(new Redirect("/2019/05/old-post/", "/posts/post-1/", 301));
      w.menus(List.of(new Menu("main", List.of(new Menu.Link("About", "/about/")))));
      w.settings(Map.of("site.title", "Test site"));
      return w.finish();
    }
  }

  static BundleItem item(int i, String media) {
    return new BundleItem(
        "id-" + i,
        i == 3 ? "page" : "post",
        "published",
        2,
        "Post " + i,
        "post-" + i,
        "# Post " + i + "\n\nBody with ![photo](/media/" + media + ")",
        "Description " + i,
        List.of("a", "b"),
        "",
        "Ada",
        T0,
        T0,
        T0.plusSeconds(60),
        T0.plusSeconds(60),
        null,
        i == 1 ? List.of("old-post") : List.of(),
        List.of(media),
        "");
  }

  static BundleEvent created(int i) {
    return new BundleEvent(
        "id-" + i,
        1,
        "created",
        T0,
        "editor",
        i == 3 ? "page" : "post",
        new BundleEvent.Fields(
            "Post " + i, "post-" + i, "draft body", "", List.of(), "", "Ada", T0, ""),
        null,
        null,
        null);
  }
}
