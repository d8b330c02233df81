package dev.quire.gateway.http;

import com.typesafe.config.Config;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.AcceptEncoding;
import org.apache.pekko.http.javadsl.model.headers.ContentEncoding;
import org.apache.pekko.http.javadsl.model.headers.ETag;
import org.apache.pekko.http.javadsl.model.headers.EntityTag;
import org.apache.pekko.http.javadsl.model.headers.HttpEncoding;
import org.apache.pekko.http.javadsl.model.headers.HttpEncodingRange;
import org.apache.pekko.http.javadsl.model.headers.HttpEncodings;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * Gzip for what the gateway serves from memory (rendered pages, theme assets). Each body is
 * compressed once, when it is rendered or first served, and kept beside the plain one; a request
 * gets the copy its {@code Accept-Encoding} allows. Compressing per request (Pekko HTTP's {@code
 * encodeResponse}) would spend CPU on every visit to a page that has not changed. The JDK's zlib
 * ({@code java.util.zip}) does the compressing.
 */
public final class Compression {

  /** Added to a page's entity tag for its gzip copy: two representations, two tags (RFC 9110). */
  public static final String GZIP_ETAG_SUFFIX = "-gz";

  /** On every response that has a compressed sibling, and on its 304s. */
  public static final HttpHeader VARY = RawHeader.create("Vary", "Accept-Encoding");

  private static final HttpHeader GZIP = ContentEncoding.create(HttpEncodings.GZIP);

  /** {@code quire.gateway.compression}. */
  public record Settings(boolean enabled, int minBytes, int level) {
    public Settings {
      if (minBytes < 0) {
        throw new IllegalArgumentException(
            "quire.gateway.compression.min-bytes must be 0 or more, not " + minBytes);
      }
      if (level < Deflater.BEST_SPEED || level > Deflater.BEST_COMPRESSION) {
        throw new IllegalArgumentException(
            "quire.gateway.compression.level must be 1 to 9, not " + level);
      }
    }

    public static Settings fromConfig(Config config) {
      Config c = config.getConfig("quire.gateway.compression");
      return new Settings(
          c.getBoolean("enabled"), (int) c.getBytes("min-bytes").longValue(), c.getInt("level"));
    }
  }

  /** A body as it is and, when worth it, gzip-compressed ({@code gzip} is then non-null). */
  public record Variants(HttpResponse identity, HttpResponse gzip) {

    /** The copy for this request. */
    public HttpResponse choose(HttpRequest request) {
      return gzip != null && acceptsGzip(request) ? gzip : identity;
    }
  }

  private final Settings settings;

  public Compression(Settings settings) {
    this.settings = settings;
  }

  /**
   * {@code head} (status and headers, no entity) with {@code body}, and a gzip copy when the body
   * is at least {@code min-bytes}, of a compressible type, and smaller compressed. {@code etag}
   * (may be null) is set on both, with {@link #GZIP_ETAG_SUFFIX} on the compressed one.
   */
  public Variants variants(HttpResponse head, ContentType type, byte[] body, String etag) {
    byte[] gz =
        settings.enabled() && body.length >= settings.minBytes() && compressible(type)
            ? gzip(body, settings.level())
            : null;
    if (gz == null || gz.length >= body.length) {
      return new Variants(
          withTag(head, etag, "").withEntity(HttpEntities.create(type, body)), null);
    }
    return new Variants(
        withTag(head, etag, "").addHeader(VARY).withEntity(HttpEntities.create(type, body)),
        withTag(head, etag, GZIP_ETAG_SUFFIX)
            .addHeader(VARY)
            .addHeader(GZIP)
            .withEntity(HttpEntities.create(type, gz)));
  }

  private static HttpResponse withTag(HttpResponse head, String etag, String suffix) {
    if (etag == null || etag.isEmpty()) {
      return head;
    }
    return head.addHeader(ETag.create(EntityTag.create(etag + suffix, false)));
  }

  /** Text compresses; images (other than SVG), fonts and archives are compressed already. */
  static boolean compressible(ContentType type) {
    String media = type.mediaType().toString().toLowerCase(Locale.ROOT);
    return media.startsWith("text/")
        || media.equals("image/svg+xml")
        || media.endsWith("/json")
        || media.endsWith("+json")
        || media.endsWith("/xml")
        || media.endsWith("+xml")
        || media.equals("application/javascript");
  }

  private static final HttpEncoding X_GZIP =
      org.apache.pekko.http.scaladsl.model.headers.HttpEncoding.custom("x-gzip");

  /**
   * Whether the request accepts gzip: its {@code Accept-Encoding} names gzip (or x-gzip), or {@code
   * *}, with a q-value above 0; an explicit {@code gzip;q=0} refuses it whatever {@code *} says. No
   * header, or one that does not parse, means the plain body.
   */
  public static boolean acceptsGzip(HttpRequest request) {
    var header = request.getHeader(AcceptEncoding.class);
    if (header.isEmpty()) {
      return false;
    }
    float gzip = -1;
    float xGzip = -1;
    float wildcard = -1;
    for (HttpEncodingRange range : header.get().getEncodings()) {
      // Only the wildcard range matches two different codings.
      if (range.matches(HttpEncodings.IDENTITY) && range.matches(HttpEncodings.GZIP)) {
        wildcard = Math.max(wildcard, range.qValue());
      } else if (range.matches(HttpEncodings.GZIP)) {
        gzip = Math.max(gzip, range.qValue());
      } else if (range.matches(X_GZIP)) {
        xGzip = Math.max(xGzip, range.qValue());
      }
    }
    // x-gzip is gzip's old name (RFC 9110 8.4.1.3); a refusal under either name refuses both.
    if (gzip == 0 || xGzip == 0) {
      return false;
    }
    float explicit = Math.max(gzip, xGzip);
    return (explicit >= 0 ? explicit : wildcard) > 0;
  }

  /**
   * Whether {@code If-None-Match} lists {@code etag} (or is {@code *}): the weak comparison RFC
   * 9110 asks for, on whole tags, so one page's tag never matches inside another's.
   */
  public static boolean noneMatchHits(HttpRequest request, String etag) {
    var header = request.getHeader("If-None-Match");
    if (header.isEmpty() || etag == null || etag.isEmpty()) {
      return false;
    }
    for (String part : header.get().value().split(",")) {
      String tag = part.trim();
      if (tag.equals("*")) {
        return true;
      }
      if (tag.startsWith("W/")) {
        tag = tag.substring(2);
      }
      if (tag.length() >= 2 && tag.startsWith("\"") && tag.endsWith("\"")) {
        tag = tag.substring(1, tag.length() - 1);
      }
      if (tag.equals(etag)) {
        return true;
      }
    }
    return false;
  }

  static byte[] gzip(byte[] body, int level) {
    var out = new ByteArrayOutputStream(body.length / 3 + 64);
    try (var gz =
        new GZIPOutputStream(out) {
          {
            def.setLevel(level);
          }
        }) {
      gz.write(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return out.toByteArray();
  }
}
