package dev.quire.gateway.http;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
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
 * Closes a connection on which no request's headers have arrived within a time limit, counted from
 * when the connection opened or from when the last answer was sent in full, with nothing in
 * between.
 *
 * <p>Pekko HTTP has no limit on the time a request's headers take, and its idle timeout starts
 * again with every byte, so a client sending one header line every 30 s held a connection for as
 * long as it liked, and ~1,100 such clients (past {@code pekko.http.server.max-connections}) made
 * the site unreachable. This is the equivalent of nginx's {@code client_header_timeout} together
 * with its {@code keepalive_timeout}: a kept-alive connection with no new request is closed after
 * the same limit.
 *
 * <p>The stage sits between Pekko HTTP's connection and the gateway's handler, so it sees a request
 * once its headers are complete (its body may still be coming: the routes bound that with their own
 * limits) and an answer once the handler has made it. A streamed answer (a media file, a PDF, a
 * bundle) counts as being sent until its last byte has left the handler: its body is watched, and
 * only then does the clock start. Strict answers (every page served from memory) pass as they are,
 * with no allocation: the cost on the page path is a counter and a timer per kept-alive wait.
 */
public final class RequestHeaderDeadline {

  private static final Logger LOG = LoggerFactory.getLogger(RequestHeaderDeadline.class);
  private static final String TIMER = "headers";

  private RequestHeaderDeadline() {}

  /** {@code handler} with the connection closed after {@code limit} without a request. */
  public static Flow<HttpRequest, HttpResponse, NotUsed> around(
      Flow<HttpRequest, HttpResponse, ?> handler, Duration limit) {
    if (limit.isNegative() || limit.isZero()) {
      throw new IllegalArgumentException("the request header timeout must be positive: " + limit);
    }
    return BidiFlow.fromGraph(new Stage(limit)).join(handler);
  }

  private static final class Stage
      extends GraphStage<BidiShape<HttpRequest, HttpRequest, HttpResponse, HttpResponse>> {
    final Inlet<HttpRequest> requestIn = Inlet.create("RequestHeaderDeadline.requestIn");
    final Outlet<HttpRequest> requestOut = Outlet.create("RequestHeaderDeadline.requestOut");
    final Inlet<HttpResponse> responseIn = Inlet.create("RequestHeaderDeadline.responseIn");
    final Outlet<HttpResponse> responseOut = Outlet.create("RequestHeaderDeadline.responseOut");
    final BidiShape<HttpRequest, HttpRequest, HttpResponse, HttpResponse> shape =
        BidiShape.of(requestIn, requestOut, responseIn, responseOut);
    final Duration limit;

    Stage(Duration limit) {
      this.limit = limit;
    }

    @Override
    public BidiShape<HttpRequest, HttpRequest, HttpResponse, HttpResponse> shape() {
      return shape;
    }

    @Override
    public TimerGraphStageLogic createLogic(Attributes inheritedAttributes) {
      return new TimerGraphStageLogic(shape) {
        /** Requests handed to the handler whose answers have not been sent in full. */
        int open;

        AsyncCallback<Done> bodySent;

        @Override
        public void preStart() {
          bodySent = createAsyncCallback(done -> answered());
          scheduleOnce(TIMER, limit);
        }

        void answered() {
          open--;
          if (open == 0) {
            scheduleOnce(TIMER, limit);
          }
        }

        @Override
        public void onTimer(Object key) {
          if (open == 0) {
            LOG.debug("closing a connection that sent no complete request headers in {}", limit);
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
                  cancelTimer(TIMER);
                  push(requestOut, request);
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
                  if (entity.isStrict()) {
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
