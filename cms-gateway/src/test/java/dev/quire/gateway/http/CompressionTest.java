package dev.quire.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.junit.jupiter.api.Test;

/** Content negotiation and the compressed copies the gateway keeps of its pages and assets. */
class CompressionTest {

  final Compression compression = new Compression(new Compression.Settings(true, 1024, 6));
  final byte[] page =
      "<p>A paragraph that repeats, as pages do.</p>\n"
          .repeat(100)
          .getBytes(StandardCharsets.UTF_8);

  static HttpRequest withHeader(String name, String value) {
    // Parsed into its typed model class, as the server's request parser does.
    return HttpRequest.GET("/").addHeader(HttpHeader.parse(name, value));
  }

  static boolean accepts(String acceptEncoding) {
    return Compression.acceptsGzip(withHeader("Accept-Encoding", acceptEncoding));
  }

  @Test
  void gzipIsSentOnlyWhereAcceptEncodingAllowsIt() {
    assertThat(Compression.acceptsGzip(HttpRequest.GET("/"))).isFalse();
    assertThat(accepts("gzip")).isTrue();
    assertThat(accepts("gzip, deflate, br")).isTrue();
    assertThat(accepts("br;q=1.0, gzip;q=0.5")).isTrue();
    assertThat(accepts("*")).isTrue();
    assertThat(accepts("deflate, br")).isFalse();
    assertThat(accepts("identity")).isFalse();
    assertThat(accepts("gzip;q=0")).isFalse();
    assertThat(accepts("*;q=0")).isFalse();
    // An explicit refusal wins over the wildcard, in either order.
    assertThat(accepts("gzip;q=0, *")).isFalse();
    assertThat(accepts("*, gzip;q=0")).isFalse();
    assertThat(accepts("*;q=0, gzip")).isTrue();
    // x-gzip is gzip's old name, to be treated as gzip (RFC 9110 8.4.1.3).
    assertThat(accepts("x-gzip")).isTrue();
    assertThat(accepts("X-GZIP;q=0.3, deflate")).isTrue();
    assertThat(accepts("x-gzip;q=0")).isFalse();
    assertThat(accepts("gzip;q=0, x-gzip")).isFalse();
  }

  @Test
  void ifNoneMatchComparesWholeTags() {
    assertThat(Compression.noneMatchHits(withHeader("If-None-Match", "\"12-ab\""), "12-ab"))
        .isTrue();
    assertThat(
            Compression.noneMatchHits(withHeader("If-None-Match", "\"1-x\", W/\"12-ab\""), "12-ab"))
        .isTrue();
    assertThat(Compression.noneMatchHits(withHeader("If-None-Match", "*"), "12-ab")).isTrue();
    // A tag that merely contains the page's is another page's (the earlier check matched it).
    assertThat(Compression.noneMatchHits(withHeader("If-None-Match", "\"112-ab\""), "12-ab"))
        .isFalse();
    assertThat(Compression.noneMatchHits(withHeader("If-None-Match", "\"12-ab-gz\""), "12-ab"))
        .isFalse();
    assertThat(Compression.noneMatchHits(HttpRequest.GET("/"), "12-ab")).isFalse();
    assertThat(Compression.noneMatchHits(withHeader("If-None-Match", "\"\""), "")).isFalse();
  }

  @Test
  void aPageGetsAGzipCopyWithItsOwnTagThatDecompressesToThePage() throws Exception {
    var v = compression.variants(HttpResponse.create(), ContentTypes.TEXT_HTML_UTF8, page, "7-x");
    assertThat(v.gzip()).isNotNull();
    assertThat(header(v.identity(), "ETag")).isEqualTo("\"7-x\"");
    assertThat(header(v.gzip(), "ETag")).isEqualTo("\"7-x-gz\"");
    assertThat(header(v.gzip(), "Content-Encoding")).isEqualTo("gzip");
    assertThat(header(v.identity(), "Vary")).isEqualTo("Accept-Encoding");
    assertThat(header(v.gzip(), "Vary")).isEqualTo("Accept-Encoding");
    byte[] compressed = bytes(v.gzip());
    assertThat(compressed.length).isLessThan(page.length / 4);
    try (var in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
      assertThat(in.readAllBytes()).isEqualTo(page);
    }
    assertThat(bytes(v.identity())).isEqualTo(page);
    assertThat(v.choose(withHeader("Accept-Encoding", "gzip"))).isSameAs(v.gzip());
    assertThat(v.choose(HttpRequest.GET("/"))).isSameAs(v.identity());
  }

  @Test
  void smallBodiesCompressedTypesAndADisabledSettingStayAsTheyAre() {
    var small =
        compression.variants(
            HttpResponse.create(), ContentTypes.TEXT_HTML_UTF8, new byte[1000], null);
    assertThat(small.gzip()).isNull();
    assertThat(small.identity().getHeader("Vary")).isEmpty();
    var png =
        compression.variants(
            HttpResponse.create(),
            ContentTypes.create(MediaTypes.IMAGE_PNG),
            new byte[100_000],
            null);
    assertThat(png.gzip()).isNull();
    var svg =
        compression.variants(
            HttpResponse.create(), ContentTypes.create(MediaTypes.IMAGE_SVG_XML), page, null);
    assertThat(svg.gzip()).isNotNull();
    var off =
        new Compression(new Compression.Settings(false, 1024, 6))
            .variants(HttpResponse.create(), ContentTypes.TEXT_HTML_UTF8, page, "t");
    assertThat(off.gzip()).isNull();
    assertThat(off.identity().getHeader("Vary")).isEmpty();
  }

  @Test
  void settingsOutOfRangeAreRefusedNamingTheKey() {
    assertThatThrownBy(() -> new Compression.Settings(true, 1024, 0))
        .hasMessageContaining("quire.gateway.compression.level");
    assertThatThrownBy(() -> new Compression.Settings(true, -1, 6))
        .hasMessageContaining("quire.gateway.compression.min-bytes");
  }

  static String header(HttpResponse r, String name) {
    return r.getHeader(name).orElseThrow().value();
  }

  static byte[] bytes(HttpResponse r) {
    return ((HttpEntity.Strict) r.entity()).getData().toArray();
  }
}
