package dev.quire.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A site played by the JDK's HttpServer on loopback, for the commands' answers that the real server
 * cannot be made to give on demand (a list that trails the journal, limits of its own, items that
 * move while they are listed). Each test says why it needs one.
 */
final class StandInSite {

  private StandInSite() {}

  /** Started on a free loopback port, every path answered by {@code handler}. */
  static HttpServer start(HttpHandler handler) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", handler);
    server.start();
    return server;
  }

  /** Answers {@code exchange} with {@code status} and the JSON {@code body}, and closes it. */
  static void json(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  /** The server's base URL. */
  static String url(HttpServer server) {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }
}
