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
 * the gateway registers at start ({@link #use}). Before that, or if rendering fails, plain text. An
 * address under {@code /api/}, as the parser's report shows it (a malformed escape in a query,
 * say), is answered as the API answers errors, in JSON: {@code {"error": {"code": "invalid",
 * "field": "url", "message": ...}}}. An address too long to be read at all (414) is not shown in
 * the report, so it gets the page.
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
    if (underApi(info.detail())) {
      return HttpResponse.create()
          .withStatus(status.intValue())
          .withEntity(
              HttpEntities.create(ContentTypes.APPLICATION_JSON, apiError(status, message)));
    }
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

  /**
   * Whether the parser's detail, whose first line is the address as sent ("/api/v1/search?q=a%2",
   * then a line with a caret under the fault), names one under the API: a path, or an absolute
   * address's path.
   */
  static boolean underApi(String detail) {
    if (detail == null || detail.isEmpty()) {
      return false;
    }
    String target = detail.lines().findFirst().orElse("").strip();
    int scheme = target.indexOf("://");
    if (scheme > 0) {
      int path = target.indexOf('/', scheme + 3);
      target = path < 0 ? "" : target.substring(path);
    }
    return target.equals("/api") || target.startsWith("/api/") || target.startsWith("/api?");
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  /** The API's error body for a request the parser refused. */
  static byte[] apiError(StatusCode status, String message) {
    var error = new java.util.LinkedHashMap<String, Object>();
    error.put("code", "invalid");
    error.put("field", "url");
    error.put("message", message);
    try {
      return JSON.writeValueAsBytes(java.util.Map.of("error", error));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
