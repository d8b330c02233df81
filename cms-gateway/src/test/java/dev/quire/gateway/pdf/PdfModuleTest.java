package dev.quire.gateway.pdf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.gateway.search.SiteSearchTest;
import dev.quire.gateway.site.SiteSnapshot;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which address prints what: a post under /posts/, a page at the root, nothing else. */
class PdfModuleTest {

  @Test
  void anAddressNamesOnePublishedItemOfItsKind() {
    var post = SiteSearchTest.RUST; // slug s-1, a post
    var page = SiteSearchTest.ABOUT; // slug s-5, a page
    SiteSnapshot snap = SiteSnapshot.of(1, List.of(post, page), 10);
    assertThat(PdfModule.pdfUrl(post)).isEqualTo("/posts/s-1.pdf");
    assertThat(PdfModule.pdfUrl(page)).isEqualTo("/s-5.pdf");
    assertThat(PdfModule.itemFor(snap, "/posts/s-1.pdf")).isEqualTo(post);
    assertThat(PdfModule.itemFor(snap, "/s-5.pdf")).isEqualTo(page);
    // The other kind's address, or anything that is not one slug, prints nothing.
    assertThat(PdfModule.itemFor(snap, "/s-1.pdf")).isNull();
    assertThat(PdfModule.itemFor(snap, "/posts/s-5.pdf")).isNull();
    for (String path :
        List.of(
            "/posts/.pdf",
            "/.pdf",
            "/posts/a/s-1.pdf",
            "/POSTS/s-1.pdf",
            "/posts/s-1.PDF",
            "/posts/s%2D1.pdf",
            "/assets/s-1.pdf",
            "/posts/-s-1.pdf")) {
      assertThat(PdfModule.itemFor(snap, path)).as(path).isNull();
    }
  }
}
