package dev.quire.gateway.http;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * The answer to a request Pekko HTTP cannot parse (a malformed percent-escape such as {@code
 * /%ZZ/}, an over-long URI): the theme's error page with the parser's summary, instead of Pekko's
 * plain text. Such a request never reaches a route, so Pekko creates this by class name for the
 * gateway's port ({@code ServerSettings.withParsingErrorHandler}); the page comes from the renderer
 * the gateway registers at start ({@link #use}). Before that, or if rendering fails, plain text.
 */
public final class ParsingErrorPage extends ParsingErrorHandler {

  /** Renders the theme's error page for a status and a message. */
  public interface Renderer {
    byte[] render(int status, String message);
  }

  private static volatile Renderer renderer;

  /** The gateway's renderer; the last gateway started in this JVM wins (they share the theme). */
  public static void use(Renderer r) {
    renderer = r;
  }

  @Override
  public HttpResponse handle(
      StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    String message = "The address could not be read: " + info.summary();
    log.debug("unparsable request answered {}: {}", status.intValue(), info.formatPretty());
    Renderer r = renderer;
    if (r != null) {
      try {
        return HttpResponse.create()
            .withStatus(status.intValue())
            .withEntity(
                HttpEntities.create(
                    ContentTypes.TEXT_HTML_UTF8, r.render(status.intValue(), message)));
      } catch (RuntimeException e) {
        log.warning("the error page for an unparsable request failed: {}", e.toString());
      }
    }
    return HttpResponse.create()
        .withStatus(status.intValue())
        .withEntity(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, message));
  }
}
