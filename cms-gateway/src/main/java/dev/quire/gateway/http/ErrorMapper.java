package dev.quire.gateway.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractUri;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quire.gateway.site.PageRenderer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place errors become responses: JSON ({@code {"error": {code, field, message}}}) for the
 * API, theme-rendered HTML pages for the site. Unexpected exceptions are logged with an id that the
 * visitor sees, and never leak internals.
 */
public final class ErrorMapper {

  private static final Logger LOG = LoggerFactory.getLogger(ErrorMapper.class);
  private final ObjectMapper json;
  private final PageRenderer pages;
  private final java.util.function.LongSupplier retryAfterSeconds;

  public ErrorMapper(
      ObjectMapper json, PageRenderer pages, java.util.function.LongSupplier retryAfterSeconds) {
    this.json = json;
    this.pages = pages;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public ExceptionHandler jsonExceptions() {
    return ExceptionHandler.newBuilder()
        .matchAny(e -> complete(toJson(asHttpError(dev.quire.gateway.content.Asks.unwrap(e)))))
        .build();
  }

  public ExceptionHandler htmlExceptions() {
    return ExceptionHandler.newBuilder()
        .matchAny(
            e -> {
              HttpError error = asHttpError(dev.quire.gateway.content.Asks.unwrap(e));
              return extractUri(uri -> complete(toHtml(error, uri.path())));
            })
        .build();
  }

  /** {@code error} as the API's JSON under {@code /api/}, as the theme's error page elsewhere. */
  public HttpResponse forPath(HttpError error, String path) {
    return path.startsWith("/api/") ? toJson(error) : toHtml(error, path);
  }

  /** {@code error} as the theme's error page for {@code path}. */
  public HttpResponse toHtml(HttpError error, String path) {
    HttpResponse r =
        HttpResponse.create()
            .withStatus(error.status())
            .withEntity(HttpEntities.create(ContentTypes.TEXT_HTML_UTF8, safePage(error, path)));
    return withRetry(r, error);
  }

  /** Pekko's own rejections (bad JSON, wrong method, unknown path) in the API's JSON shape. */
  public RejectionHandler jsonRejections() {
    return RejectionHandler.defaultHandler()
        .mapRejectionResponse(
            response -> {
              HttpEntity entity = response.entity();
              String text = entity instanceof HttpEntity.Strict s ? s.getData().utf8String() : "";
              int status = response.status().intValue();
              String code =
                  status == 404
                      ? "not_found"
                      : status == 405
                          ? "method_not_allowed"
                          : status == 413
                              ? "too_large"
                              : status == 401 ? "unauthorized" : "invalid";
              if (status == 413) {
                // Pekko's text names its exception class; say what was too large, and the limit.
                var limit = java.util.regex.Pattern.compile("\\((\\d+) bytes\\)").matcher(text);
                return toJson(
                        new HttpError(
                            status,
                            code,
                            "body",
                            limit.find()
                                ? "is larger than the limit of "
                                    + limit.group(1)
                                    + " bytes (the whole request as sent, its JSON escapes"
                                    + " included)"
                                : "is too large (the whole request as sent)"))
                    .withHeaders(response.getHeaders());
              }
              return toJson(
                      new HttpError(
                          status,
                          code,
                          "",
                          text.isBlank() ? response.status().reason() : text.strip()))
                  .withHeaders(withHead(response.getHeaders()));
            });
  }

  /**
   * A method the page's address does not take (a form posted to a post page, a DELETE of the home
   * page): 405 as the theme's error page, with an {@code Allow} that names HEAD beside GET, as the
   * API's does. Pekko's own answer was plain text naming GET only. Other rejections go on to the
   * handlers around.
   */
  public RejectionHandler htmlRejections() {
    return RejectionHandler.newBuilder()
        .handleAll(
            org.apache.pekko.http.javadsl.server.MethodRejection.class,
            rejections ->
                extractUri(
                    uri -> {
                      String allow =
                          String.join(
                              ", ",
                              headBesideGet(
                                  rejections.stream()
                                      .map(r -> r.supported().name())
                                      .distinct()
                                      .toList()));
                      return complete(
                          toHtml(
                                  new HttpError(
                                      405,
                                      "method_not_allowed",
                                      "",
                                      "This address answers " + allow + " only."),
                                  uri.path())
                              .addHeader(RawHeader.create("Allow", allow)));
                    }))
        .build();
  }

  /**
   * A 405's {@code Allow} with HEAD wherever GET is allowed: the gateway answers HEAD as GET
   * ({@code HeadRequests}), so routes name only GET and Pekko's header left HEAD out.
   */
  static java.util.List<String> headBesideGet(java.util.List<String> allowed) {
    java.util.List<String> methods = new java.util.ArrayList<>(allowed);
    if (methods.contains("GET") && !methods.contains("HEAD")) {
      methods.add(methods.indexOf("GET") + 1, "HEAD");
    }
    return methods;
  }

  /** {@code headers}, a 405's {@code Allow} given HEAD beside GET ({@link #headBesideGet}). */
  static Iterable<org.apache.pekko.http.javadsl.model.HttpHeader> withHead(
      Iterable<org.apache.pekko.http.javadsl.model.HttpHeader> headers) {
    java.util.List<org.apache.pekko.http.javadsl.model.HttpHeader> out =
        new java.util.ArrayList<>();
    for (var h : headers) {
      if (h.is("allow")) {
        out.add(
            RawHeader.create(
                "Allow",
                String.join(
                    ", ", headBesideGet(java.util.Arrays.asList(h.value().split(",\\s*"))))));
      } else {
        out.add(h);
      }
    }
    return out;
  }

  public HttpResponse toJson(HttpError e) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("code", e.code());
    body.put("field", e.field());
    body.put("message", e.getMessage());
    if (!e.errors().isEmpty()) {
      body.put(
          "errors",
          e.errors().stream()
              .map(f -> Map.of("field", f.field(), "message", f.message()))
              .toList());
    }
    try {
      byte[] bytes = json.writeValueAsBytes(Map.of("error", body));
      return withRetry(
          HttpResponse.create()
              .withStatus(e.status())
              .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, bytes)),
          e);
    } catch (Exception ex) {
      throw new IllegalStateException(ex);
    }
  }

  private HttpResponse withRetry(HttpResponse r, HttpError e) {
    return e.status() == 503
        ? r.addHeader(
            RawHeader.create("Retry-After", String.valueOf(retryAfterSeconds.getAsLong())))
        : r;
  }

  private byte[] safePage(HttpError error, String path) {
    try {
      // Messages the gateway writes for visitors; a 500's may name internals, so it is not shown.
      // A 400 names the input at fault ("q: at most 200 characters, ..."); a 422 why the site
      // will not make what was asked (a PDF of an item too large to print).
      boolean shown =
          error.status() == 400
              || error.status() == 404
              || error.status() == 405
              || error.status() == 422
              || error.status() == 503;
      String message =
          error.status() == 400 && !error.field().isEmpty()
              ? error.field() + ": " + error.getMessage()
              : error.getMessage();
      return pages.errorPage(error.status(), shown ? message : "", path);
    } catch (RuntimeException renderFailure) {
      LOG.error("the error page itself failed to render", renderFailure);
      return ("<!doctype html><title>Error</title><h1>" + error.status() + "</h1>")
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /** What a failed route's exception is to the visitor: itself if an HttpError, else a 500. */
  public static HttpError httpError(Throwable e) {
    return asHttpError(dev.quire.gateway.content.Asks.unwrap(e));
  }

  private static HttpError asHttpError(Throwable e) {
    if (e instanceof HttpError h) {
      return h;
    }
    String id = java.util.UUID.randomUUID().toString().substring(0, 8);
    LOG.error("unexpected error {}", id, e);
    return new HttpError(500, "internal", "", "internal error (reference " + id + ")");
  }
}
