package dev.quire.gateway.http;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.impl.engine.server.HttpAttributes;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ResponseEntity;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two bounds on the gateway's connections, in one stage between Pekko HTTP's connection and the
 * gateway's handler.
 *
 * <p><b>Request headers in time.</b> A connection on which no request's headers have arrived within
 * a time limit, counted from when the connection opened or from when the last answer was handed to
 * it in full (a streamed body: its last byte), with nothing in between, is closed. Pekko HTTP has
 * no limit on the time a request's headers take, and its idle timeout starts again with every byte,
 * so a client sending one header line every 30 s held a connection for as long as it liked, and
 * ~1,100 such clients (past {@code pekko.http.server.max-connections}) made the site unreachable.
 * This is the equivalent of nginx's {@code client_header_timeout} together with its {@code
 * keepalive_timeout}: a kept-alive connection with no new request is closed after the same limit.
 * The stage sees a request once its headers are complete (its body may still be coming: the routes
 * bound that with their own limits) and an answer once the handler has made it. A streamed answer
 * (a media file, a PDF, a bundle) counts as being sent until its last byte has left the handler:
 * its body is watched, and only then does the clock start. Strict answers (every page served from
 * memory) pass as they are, with no allocation: the cost on the page path is a counter and a clock
 * read per answer, and one timer per connection that looks at it a few times per limit.
 *
 * <p><b>Connections per address.</b> With the limit above, one address could still hold every
 * connection the server takes by opening them faster than they time out. A connection from an
 * address that already has {@link AddressLimit#max} open is closed as it opens, before anything is
 * read (nginx's {@code limit_conn} reads the request first and answers 503). Addresses in {@link
 * AddressLimit#exempt} (the trusted proxies, through which every visitor comes, and by default the
 * loopback, where a proxy on the same host connects from) are not counted. The address is the one
 * Pekko HTTP gives the connection ({@code remote-address-attribute}, on in quire-http.conf); where
 * it is unknown, nothing is counted.
 */
public final class ConnectionGuard {

  private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);
  private static final String TIMER = "headers";

  /**
   * The connection is looked at this many times per limit, so it is closed between the limit and a
   * quarter more. A timer armed per request and cancelled at its answer, as Pekko HTTP's
   * request-timeout does, cost pages their p99 (see ResponseDeadline), and did here too: in five
   * interleaved pairs of wrk on the post page and on {@code /}, the p99 went from 6.4-12 ms (median
   * 6.7) to 11.7-41.6 ms (median 35.8) on {@code /}.
   */
  private static final int CHECKS_PER_LIMIT = 4;

  /** Connections closed by either bound, by reason: on the management port's /metrics. */
  private static final io.micrometer.core.instrument.Counter HEADER_TIMEOUTS =
      closedCounter("header-timeout");

  private static final io.micrometer.core.instrument.Counter REFUSED =
      closedCounter("per-address-limit");

  private static io.micrometer.core.instrument.Counter closedCounter(String reason) {
    return io.micrometer.core.instrument.Counter.builder("quire.http.connections.closed")
        .description(
            "Connections the gateway closed: no request headers in time, or one too many from an"
                + " address")
        .tag("reason", reason)
        .register(io.micrometer.core.instrument.Metrics.globalRegistry);
  }

  /** At most one warning about refused connections per this long. */
  private static final Duration WARN_EVERY = Duration.ofMinutes(1);

  private ConnectionGuard() {}

  /**
   * At most {@code max} open connections per client address (0: no limit), not counting the
   * addresses {@code exempt} accepts. One instance is shared by every connection of a server: it
   * holds the counts.
   */
  public static final class AddressLimit {
    final int max;
    final Predicate<InetAddress> exempt;
    final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();
    final AtomicLong warnedAt = new AtomicLong(Long.MIN_VALUE);
    final AtomicLong refused = new AtomicLong();

    public AddressLimit(int max, Predicate<InetAddress> exempt) {
      if (max < 0) {
        throw new IllegalArgumentException(
            "the connections per address must be 0 (no limit) or more: " + max);
      }
      this.max = max;
      this.exempt = exempt;
    }

    /** No limit. */
    public static AddressLimit none() {
      return new AddressLimit(0, a -> true);
    }

    /**
     * What a connection from {@code a} is counted under: an IPv4 address itself, an IPv6 address's
     * /64 network (one client is commonly given a whole /64, so counting each address would let it
     * open as many connections as it likes).
     */
    static InetAddress counted(InetAddress a) {
      if (!(a instanceof java.net.Inet6Address)) {
        return a;
      }
      byte[] b = a.getAddress();
      java.util.Arrays.fill(b, 8, 16, (byte) 0);
      try {
        return InetAddress.getByAddress(b);
      } catch (java.net.UnknownHostException e) {
        throw new IllegalStateException("16 bytes are an IPv6 address", e);
      }
    }

    /** Counts a connection from {@code a}; false when that is one too many (still counted). */
    boolean open(InetAddress a) {
      return open.merge(a, 1, Integer::sum) <= max;
    }

    void close(InetAddress a) {
      open.computeIfPresent(a, (k, n) -> n <= 1 ? null : n - 1);
    }

    /** Connections open from {@code a} that count, for tests and logs. */
    int openFrom(InetAddress a) {
      return open.getOrDefault(a, 0);
    }

    /** Connections refused since the start. */
    public long refused() {
      return refused.get();
    }

    void refusedOne(InetAddress a) {
      refused.incrementAndGet();
      REFUSED.increment();
      long now = System.nanoTime();
      long last = warnedAt.get();
      if ((last == Long.MIN_VALUE || now - last >= WARN_EVERY.toNanos())
          && warnedAt.compareAndSet(last, now)) {
        LOG.warn(
            "closed a connection from {} as it opened: {} connections from it are open already"
                + " (quire.gateway.http.max-connections-per-address); {} refused since the start",
            a.getHostAddress(),
            max,
            refused.get());
      }
    }
  }

  /**
   * {@code handler} with the connection closed after {@code limit} without a request, and refused
   * past {@code addresses}' limit.
   */
  public static Flow<HttpRequest, HttpResponse, NotUsed> around(
      Flow<HttpRequest, HttpResponse, ?> handler, Duration limit, AddressLimit addresses) {
    if (limit.isNegative() || limit.isZero()) {
      throw new IllegalArgumentException("the request header timeout must be positive: " + limit);
    }
    return BidiFlow.fromGraph(new Stage(limit, addresses)).join(handler);
  }

  private static final class Stage
      extends GraphStage<BidiShape<HttpRequest, HttpRequest, HttpResponse, HttpResponse>> {
    final Inlet<HttpRequest> requestIn = Inlet.create("ConnectionGuard.requestIn");
    final Outlet<HttpRequest> requestOut = Outlet.create("ConnectionGuard.requestOut");
    final Inlet<HttpResponse> responseIn = Inlet.create("ConnectionGuard.responseIn");
    final Outlet<HttpResponse> responseOut = Outlet.create("ConnectionGuard.responseOut");
    final BidiShape<HttpRequest, HttpRequest, HttpResponse, HttpResponse> shape =
        BidiShape.of(requestIn, requestOut, responseIn, responseOut);
    final Duration limit;
    final AddressLimit addresses;

    final long limitNanos;
    final Duration checkEvery;

    Stage(Duration limit, AddressLimit addresses) {
      this.limit = limit;
      this.addresses = addresses;
      this.limitNanos = limit.toNanos();
      this.checkEvery = limit.dividedBy(CHECKS_PER_LIMIT);
    }

    @Override
    public BidiShape<HttpRequest, HttpRequest, HttpResponse, HttpResponse> shape() {
      return shape;
    }

    @Override
    public TimerGraphStageLogic createLogic(Attributes inheritedAttributes) {
      // Pekko HTTP gives every stage of a connection's flow its address as this attribute: an
      // internal class (the public one is the request's, which a connection that never completes a
      // request has none of). ConnectionGuardTest fails if a new Pekko HTTP drops it.
      InetAddress peer =
          addresses.max == 0
              ? null
              : inheritedAttributes
                  .getAttribute(HttpAttributes.RemoteAddress.class)
                  .map(a -> a.address().getAddress())
                  .filter(a -> a != null && !addresses.exempt.test(a))
                  .map(AddressLimit::counted)
                  .orElse(null);
      return new TimerGraphStageLogic(shape) {
        /** Requests handed to the handler whose answers have not been sent in full. */
        int open;

        /** When {@link #open} last fell to 0 (or the connection opened), by System.nanoTime. */
        long idleSince;

        AsyncCallback<Done> bodySent;

        /** Whether this connection was counted against its address (postStop takes it off). */
        boolean counted;

        @Override
        public void preStart() {
          if (peer != null) {
            counted = true;
            if (!addresses.open(peer)) {
              addresses.refusedOne(peer);
              completeStage();
              return;
            }
          }
          bodySent = createAsyncCallback(done -> answered());
          idleSince = System.nanoTime();
          scheduleWithFixedDelay(TIMER, checkEvery, checkEvery);
        }

        @Override
        public void postStop() {
          if (counted) {
            addresses.close(peer);
          }
        }

        void answered() {
          if (--open == 0) {
            idleSince = System.nanoTime();
          }
        }

        @Override
        public void onTimer(Object key) {
          if (open == 0 && System.nanoTime() - idleSince >= limitNanos) {
            LOG.debug("closing a connection that sent no complete request headers in {}", limit);
            HEADER_TIMEOUTS.increment();
            cancelTimer(TIMER);
            completeStage();
          }
        }

        {
          setHandler(
              requestIn,
              new AbstractInHandler() {
                @Override
                public void onPush() {
                  HttpRequest request = grab(requestIn);
                  open++;
                  push(requestOut, request);
                }

                @Override
                public void onUpstreamFinish() {
                  // The requests have ended (the client closed its side, or a request's body was
                  // cut off): the handler's answers still in the making go out before the answers
                  // end, as Pekko HTTP's own mapAsync does. The default, ending the whole stage,
                  // left the server with no answer to a request it had, which it answered 500.
                  complete(requestOut);
                }
              });
          setHandler(
              requestOut,
              new AbstractOutHandler() {
                @Override
                public void onPull() {
                  pull(requestIn);
                }
              });
          setHandler(
              responseIn,
              new AbstractInHandler() {
                @Override
                public void onPush() {
                  HttpResponse response = grab(responseIn);
                  ResponseEntity entity = response.entity();
                  if (entity.isStrict() || entity.isKnownEmpty()) {
                    push(responseOut, response);
                    answered();
                  } else {
                    push(responseOut, response.withEntity(watched(entity)));
                  }
                }
              });
          setHandler(
              responseOut,
              new AbstractOutHandler() {
                @Override
                public void onPull() {
                  pull(responseIn);
                }
              });
        }

        /** {@code entity} telling this stage when its body has been sent, failed or cancelled. */
        ResponseEntity watched(ResponseEntity entity) {
          var e = (org.apache.pekko.http.scaladsl.model.ResponseEntity) entity;
          if (e instanceof org.apache.pekko.http.scaladsl.model.HttpEntity.Default d) {
            return d.copy(d.contentType(), d.contentLength(), watch(d.data()));
          }
          if (e instanceof org.apache.pekko.http.scaladsl.model.HttpEntity.Chunked c) {
            return c.copy(c.contentType(), watch(c.chunks()));
          }
          if (e instanceof org.apache.pekko.http.scaladsl.model.HttpEntity.CloseDelimited c) {
            return c.copy(c.contentType(), watch(c.data()));
          }
          // No other kind of response entity exists; should one appear, the answer counts as sent.
          answered();
          return entity;
        }

        <T> org.apache.pekko.stream.scaladsl.Source<T, Object> watch(
            org.apache.pekko.stream.scaladsl.Source<T, Object> body) {
          return body.asJava()
              .watchTermination(
                  (Object mat, CompletionStage<Done> end) -> {
                    end.whenComplete((done, failure) -> bodySent.invoke(Done.getInstance()));
                    return mat;
                  })
              .asScala();
        }
      };
    }
  }
}
