package dev.quire.gateway.http;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * The headers every answer of the gateway's port carries unless its module sets its own (the
 * admin's stricter policy, the media's sandbox): {@code X-Content-Type-Options: nosniff}, and the
 * configured {@code Content-Security-Policy} and {@code Referrer-Policy} ({@code
 * quire.gateway.http.headers}; an empty one is not sent), and with an https base URL {@code
 * Strict-Transport-Security} ({@code hsts-max-age}; 0 sends none). A visitor review found the
 * public pages with none of them while the admin had all; a security review, no HSTS on an https
 * site.
 */
public final class SecurityHeaders {

  private SecurityHeaders() {}

  /** The headers, in the order they are sent. */
  public static List<HttpHeader> of(Config root) {
    Config c = root.getConfig("quire.gateway.http.headers");
    List<HttpHeader> out = new ArrayList<>();
    out.add(RawHeader.create("X-Content-Type-Options", "nosniff"));
    String csp = c.getString("content-security-policy").strip();
    if (!csp.isEmpty()) {
      out.add(RawHeader.create("Content-Security-Policy", csp));
    }
    String referrer = c.getString("referrer-policy").strip();
    if (!referrer.isEmpty()) {
      out.add(RawHeader.create("Referrer-Policy", referrer));
    }
    java.time.Duration hsts = c.getDuration("hsts-max-age");
    if (hsts.isNegative()) {
      throw new IllegalArgumentException(
          "quire.gateway.http.headers.hsts-max-age must be 0 or more, was " + hsts);
    }
    boolean https =
        root.getString("quire.site.base-url")
            .strip()
            .toLowerCase(java.util.Locale.ROOT)
            .startsWith("https://");
    if (https && !hsts.isZero()) {
      out.add(RawHeader.create("Strict-Transport-Security", "max-age=" + hsts.toSeconds()));
    }
    return List.copyOf(out);
  }
}
