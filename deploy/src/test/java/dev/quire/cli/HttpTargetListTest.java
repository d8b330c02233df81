package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code import}/{@code export --server} list a running site by pages, newest change first: an item
 * saved between two pages moves to the front, so the item at the page's edge comes twice and the
 * moved one not at all. A stand-in for the content API (JDK HttpServer, loopback) answers the first
 * read of the list as that race does: the real server cannot be made to save an item exactly
 * between two page reads of a test.
 */
class HttpTargetListTest {

  static final int ITEMS = 250;

  HttpServer server;
  final AtomicInteger passes = new AtomicInteger();
  volatile boolean maxPageSize100;

  @BeforeEach
  void start() throws Exception {
    server =
        StandInSite.start(
            exchange -> {
              String path = exchange.getRequestURI().getPath();
              String query = exchange.getRequestURI().getQuery();
              String body;
              if (!path.startsWith("/api/v1/content")) {
                StandInSite.json(exchange, 404, "{\"error\":{\"code\":\"not_found\"}}");
                return;
              }
              if (path.equals("/api/v1/content") && maxPageSize100 && query.contains("size=200")) {
                StandInSite.json(
                    exchange,
                    400,
                    "{\"error\":{\"code\":\"invalid\",\"field\":\"size\",\"message\":\"must be between 1 and 100\"}}");
                return;
              }
              if (path.equals("/api/v1/content")) {
                int page = query.contains("page=2") ? 2 : 1;
                if (page == 1) {
                  passes.incrementAndGet();
                }
                List<Integer> ids = new ArrayList<>();
                boolean raced = passes.get() == 1;
                if (page == 1) {
                  if (!raced) {
                    ids.add(ITEMS - 1); // the item saved during the first read, now first
                  }
                  for (int i = 0; i < (raced ? 200 : 199); i++) {
                    ids.add(i);
                  }
                } else {
                  // The first read's second page starts one late: 199 again, 249 never.
                  for (int i = 199; i < ITEMS - 1; i++) {
                    ids.add(i);
                  }
                }
                StringBuilder items = new StringBuilder();
                for (int i : ids) {
                  items.append(items.length() == 0 ? "" : ",").append(item(i));
                }
                body = "{\"items\":[" + items + "],\"total\":" + ITEMS + "}";
              } else {
                body = item(Integer.parseInt(path.substring(path.lastIndexOf('-') + 1)));
              }
              StandInSite.json(exchange, 200, body);
            });
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  static String item(int i) {
    return "{\"id\":\"id-"
        + i
        + "\",\"kind\":\"post\",\"status\":\"draft\",\"revision\":1,\"title\":\"Post "
        + i
        + "\",\"slug\":\"post-"
        + i
        + "\",\"tags\":[],\"aliases\":[]}";
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @Test
  void aReadThatMetAnItemTwiceIsReadAgainAndNoItemIsLeftOut() throws Exception {
    HttpTarget target = new HttpTarget(url(), "a-token-of-16-chars", Duration.ofSeconds(10), 5);
    var all = target.all().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertThat(all).hasSize(ITEMS);
    assertThat(all.stream().map(s -> s.id()).distinct().count()).isEqualTo(ITEMS);
    assertThat(all.stream().map(s -> s.id())).contains("id-" + (ITEMS - 1));
    assertThat(passes).hasValue(2);
  }

  @Test
  void aSiteThatKeepsChangingIsAnErrorNotAShortList() {
    HttpTarget target = new HttpTarget(url(), "a-token-of-16-chars", Duration.ofSeconds(10), 1);
    assertThatThrownBy(() -> target.slugUses().toCompletableFuture().get(30, TimeUnit.SECONDS))
        .hasRootCauseInstanceOf(java.io.IOException.class)
        .hasMessageContaining("kept changing while they were listed");
  }

  /** A server whose max-page-size is under the command's 200 is asked for its own page size. */
  @Test
  void aServerWithSmallerPagesIsAskedForItsOwn() throws Exception {
    maxPageSize100 = true;
    HttpTarget target = new HttpTarget(url(), "a-token-of-16-chars", Duration.ofSeconds(10), 5);
    assertThat(target.slugUses().toCompletableFuture().get(30, TimeUnit.SECONDS)).hasSize(ITEMS);
  }
}
