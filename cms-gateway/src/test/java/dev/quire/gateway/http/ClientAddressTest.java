package dev.quire.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.net.InetSocketAddress;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.junit.jupiter.api.Test;

/** Whose address a request is counted under, with and without trusted proxies. */
class ClientAddressTest {

  static ClientAddress with(Object trusted) {
    return ClientAddress.fromConfig(
        ConfigFactory.parseMap(Map.of("quire.gateway.http.trusted-proxies", trusted))
            .withFallback(ConfigFactory.defaultReference()));
  }

  static HttpRequest from(String peer, String... forwardedFor) {
    HttpRequest r =
        HttpRequest.create("/admin/login")
            .addAttribute(
                AttributeKeys.remoteAddress,
                RemoteAddress.create(new InetSocketAddress(peer, 40000)));
    for (String f : forwardedFor) {
      r = r.addHeader(RawHeader.create("X-Forwarded-For", f));
    }
    return r;
  }

  static String of(ClientAddress c, HttpRequest r) {
    return c.of(r).map(a -> a.getHostAddress()).orElse(null);
  }

  @Test
  void withoutTrustedProxiesTheConnectionIsTheClientWhateverTheHeaderSays() {
    ClientAddress none = ClientAddress.fromConfig(ConfigFactory.defaultReference());
    assertThat(of(none, from("127.0.0.1", "203.0.113.7"))).isEqualTo("127.0.0.1");
    assertThat(of(none, HttpRequest.create("/"))).isNull();
  }

  @Test
  void behindATrustedProxyTheLastAddressItWasNotGivenIsTheClient() {
    ClientAddress proxy = with(java.util.List.of("127.0.0.1", "10.0.0.0/8"));
    // The proxy appended the address it was reached from.
    assertThat(of(proxy, from("127.0.0.1", "203.0.113.7"))).isEqualTo("203.0.113.7");
    // What the client wrote itself comes before: not believed.
    assertThat(of(proxy, from("127.0.0.1", "198.51.100.1, 203.0.113.7"))).isEqualTo("203.0.113.7");
    // Two trusted proxies in a row, and the header split over two lines.
    assertThat(of(proxy, from("127.0.0.1", "198.51.100.1, 203.0.113.7", "10.1.2.3")))
        .isEqualTo("203.0.113.7");
    // No header, or one that is no address (never looked up as a name): the connection's.
    assertThat(of(proxy, from("127.0.0.1"))).isEqualTo("127.0.0.1");
    assertThat(of(proxy, from("127.0.0.1", "cafe"))).isEqualTo("127.0.0.1");
    assertThat(of(proxy, from("127.0.0.1", "203.0.113.7, evil.example"))).isEqualTo("127.0.0.1");
    // A connection from elsewhere: its header is the client's to write.
    assertThat(of(proxy, from("192.0.2.5", "127.0.0.1"))).isEqualTo("192.0.2.5");
    assertThat(of(proxy, from("127.0.0.1", "[2001:db8::1]"))).isEqualTo("2001:db8:0:0:0:0:0:1");
  }

  @Test
  void theEnvironmentsCommaListWorksAndNonsenseIsRefusedByName() {
    assertThat(of(with("127.0.0.1, 10.0.0.0/8"), from("10.9.9.9", "203.0.113.7")))
        .isEqualTo("203.0.113.7");
    assertThatThrownBy(() -> with("proxy.internal"))
        .hasMessageContaining("quire.gateway.http.trusted-proxies")
        .hasMessageContaining("'proxy.internal' is not an IP address");
    assertThatThrownBy(() -> with("10.0.0.0/33"))
        .hasMessageContaining("prefix length outside 0 to 32");
  }
}
