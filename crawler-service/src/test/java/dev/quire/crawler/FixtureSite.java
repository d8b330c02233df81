package dev.quire.crawler;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A site served on loopback by the JDK's HTTP server for the crawler's tests: pages by path, each
 * with a status, headers and a body, and a count of requests per path.
 */
final class FixtureSite implements AutoCloseable {

  record Page(
      int status, String contentType, String body, Map<String, String> headers, long delayMillis) {
    static Page html(String body) {
      return new Page(200, "text/html; charset=utf-8", body, Map.of(), 0);
    }

    static Page redirect(int status, String location) {
      return new Page(status, "text/plain", "", Map.of("Location", location), 0);
    }
  }

  private final HttpServer server;
  final Map<String, Page> pages = new ConcurrentHashMap<>();

  /** Bodies sent as they are instead of their page's text (which gives the status and type). */
  final Map<String, byte[]> raw = new ConcurrentHashMap<>();

  final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
  final String host;

  FixtureSite(String host) throws IOException {
    this.host = host;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        ex -> {
          String path =
              ex.getRequestURI().getRawPath()
                  + (ex.getRequestURI().getRawQuery() == null
                      ? ""
                      : "?" + ex.getRequestURI().getRawQuery());
          hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
          Page p = pages.get(path);
          if (p == null) {
            p = new Page(404, "text/html", "<title>Not found</title>", Map.of(), 0);
          }
          if (p.delayMillis() > 0) {
            try {
              Thread.sleep(p.delayMillis());
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          byte[] body =
              raw.containsKey(path) ? raw.get(path) : p.body().getBytes(StandardCharsets.UTF_8);
          if (p.contentType() != null) {
            ex.getResponseHeaders().add("Content-Type", p.contentType());
          }
          p.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
          boolean head = ex.getRequestMethod().equals("HEAD");
          ex.sendResponseHeaders(p.status(), head || body.length == 0 ? -1 : body.length);
          if (!head && body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
              out.write(body);
            }
          }
          ex.close();
        });
    server.start();
  }

  String url(String path) {
    return "http://" + host + ":" + server.getAddress().getPort() + path;
  }

  int hits(String path) {
    AtomicInteger n = hits.get(path);
    return n == null ? 0 : n.get();
  }

  int totalHits() {
    return hits.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
