package dev.quire.crawler;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import com.typesafe.config.ConfigFactory;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import okhttp3.ConnectionSpec;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fetcher's two clients: plain http never sets up TLS, and an https URL goes through TLS (a
 * real HTTPS server on loopback, its self-signed certificate made by the JDK's keytool).
 */
class FetcherTlsTest {

  static final char[] PASSWORD = "quire-test".toCharArray();

  static CrawlConfig config() {
    return CrawlConfig.from(ConfigFactory.defaultReference())
        .withMoreAllowedHosts(List.of("127.0.0.1"));
  }

  @Test
  void httpUrlsUseTheCleartextClientAndHttpsTheTlsOne() {
    CrawlConfig c = config();
    Fetcher f = new Fetcher(c, new AddressGuard(c.allowHosts()));
    try {
      var http = f.clientFor(HttpUrl.get("http://127.0.0.1/"));
      assertThat(http.connectionSpecs()).containsExactly(ConnectionSpec.CLEARTEXT);
      var https = f.clientFor(HttpUrl.get("https://127.0.0.1/"));
      assertThat(https.connectionSpecs()).contains(ConnectionSpec.MODERN_TLS);
      assertThat(https.sslSocketFactory()).isNotNull();
      // One set of limits and one pool for both.
      assertThat(https.dispatcher()).isSameAs(http.dispatcher());
      assertThat(https.connectionPool()).isSameAs(http.connectionPool());
      assertThat(f.clientFor(HttpUrl.get("https://example.org/"))).isSameAs(https);
    } finally {
      f.close();
    }
  }

  @Test
  void anHttpsFetchShakesHandsAndRefusesAnUntrustedCertificate(@TempDir Path dir) throws Exception {
    Path ks = dir.resolve("server.p12");
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "server",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-dname",
                "CN=127.0.0.1",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                ks.toString(),
                "-storepass",
                new String(PASSWORD),
                "-keypass",
                new String(PASSWORD))
            .redirectErrorStream(true)
            .start();
    assertThat(keytool.waitFor()).as(new String(keytool.getInputStream().readAllBytes())).isZero();
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(ks)) {
      store.load(in, PASSWORD);
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, PASSWORD);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(kmf.getKeyManagers(), null, null);
    HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(ssl));
    server.createContext(
        "/",
        ex -> {
          byte[] body = "<html><title>t</title></html>".getBytes();
          ex.sendResponseHeaders(200, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    server.start();
    CrawlConfig c = config();
    Fetcher f = new Fetcher(c, new AddressGuard(c.allowHosts()));
    try {
      Fetcher.Result r = f.fetch("https://127.0.0.1:" + server.getAddress().getPort() + "/", true);
      // The handshake happened (the cleartext client would not even connect): the certificate is
      // not one the JVM trusts, and the fetch says so.
      assertThat(r.status()).isZero();
      assertThat(r.error()).containsIgnoringCase("certif");
    } finally {
      f.close();
      server.stop(0);
    }
  }
}
