package dev.quire.crawler;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionSpec;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;

/**
 * One HTTP exchange as the crawler needs it, on OkHttp: gzip handled by the client, timeouts on
 * connect, read and the whole call, redirects followed here (so each hop is recorded, loops are
 * caught and every hop's host goes through the {@link AddressGuard}), bodies read up to a limit.
 * Blocking: call it from the crawler's own threads.
 */
public final class Fetcher {

  /** One redirect hop: the URL asked for and the status it answered with. */
  public record Hop(String url, int status) {}

  /**
   * What came back. {@code status} is 0 when there was no HTTP answer ({@code error} says why:
   * timeout, refused, blocked, too many redirects, redirect loop). {@code body} is null unless
   * asked for and the type is HTML or XML.
   */
  public record Result(
      String url,
      String finalUrl,
      int status,
      List<Hop> redirects,
      String contentType,
      byte[] body,
      boolean truncated,
      long millis,
      String error,
      boolean blocked) {
    public boolean ok() {
      return status >= 200 && status < 300;
    }

    public boolean broken() {
      return status == 0 || status >= 400;
    }

    public boolean html() {
      return contentType != null
          && (contentType.startsWith("text/html") || contentType.startsWith("application/xhtml"));
    }

    /** This result without its body (what a crawl keeps once the page is read). */
    public Result withoutBody() {
      return body == null
          ? this
          : new Result(
              url,
              finalUrl,
              status,
              redirects,
              contentType,
              null,
              truncated,
              millis,
              error,
              blocked);
    }
  }

  /**
   * A client for http URLs, and the https one made from it on the first https URL: TLS set-up (the
   * platform's trust store and SSL context) is ~0.1 s of a crawl's start, and a site on plain http
   * may never need it.
   */
  private static final class Clients {
    final OkHttpClient plain;
    private volatile OkHttpClient tls;

    Clients(OkHttpClient plain) {
      this.plain = plain;
    }

    OkHttpClient forScheme(HttpUrl url) {
      if (!url.isHttps()) {
        return plain;
      }
      OkHttpClient t = tls;
      if (t == null) {
        synchronized (this) {
          if (tls == null) {
            tls =
                plain
                    .newBuilder()
                    .connectionSpecs(List.of(ConnectionSpec.MODERN_TLS, ConnectionSpec.CLEARTEXT))
                    .build();
          }
          t = tls;
        }
      }
      return t;
    }
  }

  /**
   * Through the guard, and {@code trusted}: resolving without the guard's check, for URLs whose
   * origin the guard allows only ({@link AddressGuard#allowsOrigin}): the site being crawled, which
   * may be on a private address. All share the dispatcher (the concurrency limits) and the
   * connection pool; OkHttp keys pooled connections by their resolver too, so a connection made for
   * the site is never reused for another request.
   */
  private final Clients guarded;

  private final Clients trusted;
  private final CrawlConfig config;
  private final AddressGuard guard;

  public Fetcher(CrawlConfig config, AddressGuard guard) {
    this.config = config;
    this.guard = guard;
    OkHttpClient client =
        new OkHttpClient.Builder()
            .connectionSpecs(List.of(ConnectionSpec.CLEARTEXT))
            .dns(guard)
            // Straight to the target: through a proxy (a JVM's http.proxyHost, the system's), the
            // proxy would resolve the name, and the guard would never see the address.
            .proxy(java.net.Proxy.NO_PROXY)
            .followRedirects(false)
            .followSslRedirects(false)
            .retryOnConnectionFailure(false)
            .connectTimeout(config.connectTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .readTimeout(config.readTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .callTimeout(config.callTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .connectionPool(
                new okhttp3.ConnectionPool(Math.max(5, config.concurrency()), 1, TimeUnit.MINUTES))
            .dispatcher(dispatcher(config))
            .build();
    this.guarded = new Clients(client);
    this.trusted = new Clients(client.newBuilder().dns(guard.trusting()).build());
  }

  /**
   * The client for {@code url}: by its scheme, and the trusting resolver only for an origin the
   * guard allows; an https one is made on first use.
   */
  OkHttpClient clientFor(HttpUrl url) {
    return (guard.allowsOrigin(url) ? trusted : guarded).forScheme(url);
  }

  private static okhttp3.Dispatcher dispatcher(CrawlConfig config) {
    okhttp3.Dispatcher d = new okhttp3.Dispatcher();
    d.setMaxRequests(Math.max(1, config.concurrency()));
    d.setMaxRequestsPerHost(Math.max(1, config.perHostConcurrency()));
    return d;
  }

  /** GET with the body when it is HTML or XML ({@code wantBody}), else HEAD falling back to GET. */
  public Result fetch(String url, boolean wantBody) {
    return fetch(url, wantBody, false, config.maxResponseBytes());
  }

  /**
   * GET with the body whatever its type, at most {@code maxBytes} of it: robots.txt, which many
   * servers send as {@code application/octet-stream} or with no type (read as empty, it allowed
   * everything).
   */
  public Result fetchText(String url, long maxBytes) {
    return fetch(url, true, true, Math.min(maxBytes, config.maxResponseBytes()));
  }

  private Result fetch(String url, boolean wantBody, boolean anyType, long limit) {
    long t0 = System.nanoTime();
    List<Hop> hops = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    String current = url;
    boolean head = !wantBody;
    for (int hop = 0; ; hop++) {
      HttpUrl httpUrl = HttpUrl.parse(current);
      if (httpUrl == null) {
        return failure(url, current, hops, t0, "not an http(s) URL", false);
      }
      if (!seen.add(current)) {
        return failure(url, current, hops, t0, "redirect loop back to " + current, false);
      }
      if (hop > config.maxRedirects()) {
        return failure(
            url, current, hops, t0, "more than " + config.maxRedirects() + " redirects", false);
      }
      try {
        guard.checkLiteral(httpUrl);
      } catch (AddressGuard.Blocked e) {
        return failure(url, current, hops, t0, "blocked: " + e.getMessage(), true);
      }
      // call-timeout bounds the whole fetch, redirects included: each hop is a call of its own,
      // and with the whole timeout each, ten slow hops took ten times as long.
      long left = config.callTimeout().toNanos() - (System.nanoTime() - t0);
      if (left <= 0) {
        return failure(url, current, hops, t0, "timed out", false);
      }
      Request.Builder rb =
          new Request.Builder()
              .url(httpUrl)
              .header("User-Agent", config.userAgent())
              .header("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.5");
      Request request = head ? rb.head().build() : rb.get().build();
      okhttp3.Call call = clientFor(httpUrl).newCall(request);
      call.timeout().timeout(left, java.util.concurrent.TimeUnit.NANOSECONDS);
      try (Response r = call.execute()) {
        int status = r.code();
        if (head && (status == 405 || status == 403 || status == 501)) {
          // Some servers refuse HEAD; ask again with GET, not counting a hop.
          head = false;
          seen.remove(current);
          hop--;
          continue;
        }
        if (r.isRedirect()) {
          String location = r.header("Location");
          HttpUrl next = location == null ? null : httpUrl.resolve(location);
          hops.add(new Hop(current, status));
          if (next == null) {
            return new Result(
                url,
                current,
                status,
                hops,
                null,
                null,
                false,
                ms(t0),
                "redirect without a usable Location",
                false);
          }
          current = next.toString();
          continue;
        }
        String type = contentType(r);
        byte[] body = null;
        boolean truncated = false;
        ResponseBody rbody = r.body();
        if (!head && rbody != null && wantBody && (anyType || isHtml(type) || isXml(type))) {
          Buffer buf = new Buffer();
          BufferedSource source = rbody.source();
          while (buf.size() <= limit) {
            if (source.read(buf, 64 * 1024) == -1) {
              break;
            }
          }
          truncated = buf.size() > limit;
          body = buf.readByteArray(Math.min(buf.size(), limit));
        }
        return new Result(url, current, status, hops, type, body, truncated, ms(t0), null, false);
      } catch (AddressGuard.Blocked e) {
        return failure(url, current, hops, t0, "blocked: " + e.getMessage(), true);
      } catch (InterruptedIOException e) {
        return failure(url, current, hops, t0, "timed out", false);
      } catch (java.net.UnknownHostException e) {
        return failure(url, current, hops, t0, "unknown host " + httpUrl.host(), false);
      } catch (java.net.ConnectException e) {
        return failure(url, current, hops, t0, "connection refused", false);
      } catch (IOException e) {
        return failure(
            url, current, hops, t0, e.getClass().getSimpleName() + ": " + e.getMessage(), false);
      }
    }
  }

  private static String contentType(Response r) {
    String t = r.header("Content-Type");
    return t == null ? null : t.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
  }

  static boolean isHtml(String type) {
    return type != null && (type.equals("text/html") || type.equals("application/xhtml+xml"));
  }

  static boolean isXml(String type) {
    return type != null
        && (type.endsWith("/xml") || type.endsWith("+xml") || type.equals("text/plain"));
  }

  private static Result failure(
      String url, String at, List<Hop> hops, long t0, String error, boolean blocked) {
    return new Result(url, at, 0, hops, null, null, false, ms(t0), error, blocked);
  }

  private static long ms(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  /** Releases the client's threads and connections. */
  public void close() {
    guarded.plain.dispatcher().executorService().shutdown();
    guarded.plain.connectionPool().evictAll();
  }
}
