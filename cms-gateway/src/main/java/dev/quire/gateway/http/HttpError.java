package dev.quire.gateway.http;

import dev.quire.protocol.ContentReply;
import dev.quire.protocol.ErrorCode;
import dev.quire.protocol.FieldError;
import java.util.List;
import java.util.Locale;

/**
 * The one exception routes throw for an answer that is not a success. {@link ErrorMapper} turns it
 * into HTML or JSON. {@code field} names the offending input, or is empty.
 */
public class HttpError extends RuntimeException {

  private final int status;
  private final String code;
  private final String field;
  private final List<FieldError> errors;

  public HttpError(int status, String code, String field, String message) {
    this(status, code, field, message, List.of());
  }

  /** {@code errors}: each field at fault with its own message, when there were several. */
  public HttpError(int status, String code, String field, String message, List<FieldError> errors) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field == null ? "" : field;
    this.errors = List.copyOf(errors);
  }

  public List<FieldError> errors() {
    return errors;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public String field() {
    return field;
  }

  public static HttpError notFound(String message) {
    return new HttpError(404, "not_found", "", message);
  }

  public static HttpError badRequest(String field, String message) {
    return new HttpError(400, "invalid", field, message);
  }

  /**
   * {@code value} of the query parameter {@code field} as a page number: a whole number from 1,
   * else a 400 naming the field and what was sent.
   */
  public static int pageNumber(String field, String value) {
    try {
      int n = Integer.parseInt(value.strip());
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException ex) {
      if (value.strip().matches("[0-9]{1,1000}")) {
        // A whole number, too large for a page: said so ("must be a whole number" was wrong).
        throw badRequest(
            field,
            "must be a whole number from 1 to " + Integer.MAX_VALUE + ", was '" + value + "'");
      }
    }
    throw badRequest(field, "must be a whole number from 1, was '" + value + "'");
  }

  /**
   * {@code value} of the query parameter {@code field} as a whole number from {@code min} to {@code
   * max}, else a 400 naming the field, the range and what was sent.
   */
  public static int wholeNumber(String field, String value, int min, int max) {
    try {
      int n = Integer.parseInt(value);
      if (n < min || n > max) {
        throw badRequest(field, "must be between " + min + " and " + max + ", was " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw badRequest(field, "must be a whole number, was '" + value + "'");
    }
  }

  public static HttpError unavailable(String message) {
    return new HttpError(503, "unavailable", "", message);
  }

  public static HttpError of(ContentReply.Rejected r) {
    return new HttpError(
        statusOf(r.code()),
        r.code().name().toLowerCase(Locale.ROOT),
        apiName(r.field()),
        r.message().replace("cover_image: ", "coverImage: ").replace("cover_alt: ", "coverAlt: "),
        r.errors().size() < 2
            ? List.of()
            : r.errors().stream()
                .map(e -> new FieldError(apiName(e.field()), e.message()))
                .toList());
  }

  /**
   * The API's name for a field the content rules name as the front matter does: {@code cover_image}
   * is {@code coverImage} in JSON, {@code cover_alt} {@code coverAlt}.
   */
  public static String apiName(String field) {
    return switch (field == null ? "" : field) {
      case "cover_image" -> "coverImage";
      case "cover_alt" -> "coverAlt";
      default -> field;
    };
  }

  static int statusOf(ErrorCode code) {
    return switch (code) {
      case INVALID -> 400;
      case NOT_FOUND -> 404;
      case STALE_REVISION, SLUG_TAKEN, ALREADY_EXISTS, INVALID_TRANSITION -> 409;
      case UNAVAILABLE -> 503;
    };
  }
}
