package dev.quire.gateway.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.fasterxml.jackson.datatype.jsr310.deser.InstantDeserializer;
import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * The JSON mapper of the API (every module's): what a client sends is taken as it is. A key given
 * twice is refused (not the last one kept); a value of the wrong type is refused, not converted: a
 * number or true where text is expected, text or a fraction where a whole number is expected
 * ({@code "revision": "6"} or {@code 5.9} once passed the stale-revision check as 6 and 5), and a
 * number where an instant is expected ({@code "at": 1893456000000} was read as seconds, a date in
 * the year 61971).
 */
public final class ApiJson {

  private ApiJson() {}

  public static ObjectMapper mapper() {
    ObjectMapper json =
        new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .registerModule(
                new SimpleModule("iso-instants-only")
                    .addDeserializer(Instant.class, new IsoInstant()))
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
    json.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    for (var shape :
        List.of(CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean)) {
      json.coercionConfigFor(LogicalType.Textual).setCoercion(shape, CoercionAction.Fail);
    }
    for (var shape :
        List.of(CoercionInputShape.String, CoercionInputShape.Float, CoercionInputShape.Boolean)) {
      json.coercionConfigFor(LogicalType.Integer).setCoercion(shape, CoercionAction.Fail);
    }
    for (var shape : List.of(CoercionInputShape.String, CoercionInputShape.Integer)) {
      json.coercionConfigFor(LogicalType.Boolean).setCoercion(shape, CoercionAction.Fail);
    }
    return json;
  }

  /** An instant only as ISO-8601 text; JSON null stays null. */
  private static final class IsoInstant extends StdScalarDeserializer<Instant> {
    IsoInstant() {
      super(Instant.class);
    }

    @Override
    public Instant deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      if (!p.hasToken(JsonToken.VALUE_STRING)) {
        return (Instant) ctx.handleUnexpectedToken(Instant.class, p);
      }
      return InstantDeserializer.INSTANT.deserialize(p, ctx);
    }
  }

  /**
   * {@code body} as {@code type}, or a 400 naming the field (unknown, of the wrong type) or the
   * line and column where the JSON breaks.
   */
  public static <T> T parse(ObjectMapper json, String body, Class<T> type) {
    if (body.isBlank()) {
      throw dev.quire.gateway.http.HttpError.badRequest("", "the request needs a JSON body");
    }
    T value;
    try {
      value = json.readValue(body, type);
    } catch (com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException e) {
      throw dev.quire.gateway.http.HttpError.badRequest(
          pathOf(e.getPath()), "unknown field '" + e.getPropertyName() + "'");
    } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
      // A break in the JSON inside a list or an object comes wrapped with where it was read:
      // it is still a break in the JSON, named by line and column, not a value of a wrong type.
      for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
        // (Not a number too large for its field, InputCoercionException: that is the field's.)
        if (c instanceof com.fasterxml.jackson.core.JsonParseException syntax) {
          throw notJson(syntax);
        }
      }
      var path = e.getPath();
      if (path.isEmpty()) {
        throw dev.quire.gateway.http.HttpError.badRequest("", "the body must be a JSON object");
      }
      Class<?> target =
          e instanceof com.fasterxml.jackson.databind.exc.MismatchedInputException m
              ? m.getTargetType()
              : null;
      var last = path.get(path.size() - 1);
      boolean element = last.getFieldName() == null && last.getIndex() >= 0;
      if (element && (target == null || target == String.class)) {
        // An element of a list of strings (tags: [1]): named as the list, as the docs say it.
        String list = pathOf(path.subList(0, path.size() - 1));
        throw dev.quire.gateway.http.HttpError.badRequest(
            list, expected(java.util.List.class, list));
      }
      String field = pathOf(path);
      throw dev.quire.gateway.http.HttpError.badRequest(field, expected(target, field));
    } catch (Exception e) {
      throw notJson(e);
    }
    if (value == null) { // the body was the literal null
      throw dev.quire.gateway.http.HttpError.badRequest("", "the body must be a JSON object");
    }
    return value;
  }

  /** Where a value sits in the body, as the docs name it: {@code links[0].url}. */
  static String pathOf(List<com.fasterxml.jackson.databind.JsonMappingException.Reference> path) {
    StringBuilder b = new StringBuilder();
    for (var r : path) {
      if (r.getFieldName() != null) {
        if (b.length() > 0) {
          b.append('.');
        }
        b.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        b.append('[').append(r.getIndex()).append(']');
      }
    }
    return b.toString();
  }

  /** A body that is not JSON: where it breaks, by line and column, when the parser knows. */
  private static dev.quire.gateway.http.HttpError notJson(Exception e) {
    String where =
        e instanceof com.fasterxml.jackson.core.JsonProcessingException jp
                && jp.getLocation() != null
            ? " at line "
                + jp.getLocation().getLineNr()
                + ", column "
                + jp.getLocation().getColumnNr()
                + (jp.getOriginalMessage() != null
                        && jp.getOriginalMessage().startsWith("Duplicate field")
                    ? ": "
                        + jp.getOriginalMessage().replace("Duplicate field", "the key")
                        + " is given twice"
                    : "")
            : "";
    return dev.quire.gateway.http.HttpError.badRequest("", "the body is not valid JSON" + where);
  }

  // Fields of a body read as a tree (one whose shape varies, or whose errors name a list index):
  // the same rules as parse, a value of the wrong type refused with the field's name.

  /** The text at {@code field} of {@code n}, null when absent or null. */
  public static String text(com.fasterxml.jackson.databind.JsonNode n, String field, String where) {
    var v = n.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw dev.quire.gateway.http.HttpError.badRequest(where + field, expected(String.class));
    }
    return v.textValue();
  }

  /** The whole number (an int) at {@code field} of {@code n}, null when absent or null. */
  public static Integer whole(
      com.fasterxml.jackson.databind.JsonNode n, String field, String where) {
    var v = n.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw dev.quire.gateway.http.HttpError.badRequest(
          where + field, v.isIntegralNumber() ? "is out of range" : expected(Integer.class));
    }
    return v.intValue();
  }

  /** The boolean at {@code field} of {@code n}, null when absent or null. */
  public static Boolean bool(
      com.fasterxml.jackson.databind.JsonNode n, String field, String where) {
    var v = n.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isBoolean()) {
      throw dev.quire.gateway.http.HttpError.badRequest(where + field, expected(Boolean.class));
    }
    return v.booleanValue();
  }

  /** What a field of type {@code target} must be, in the words of the API's docs. */
  private static String expected(Class<?> target) {
    return expected(target, "tags");
  }

  /**
   * What {@code field}, of type {@code target}, must be: a list of strings for tags, a list for
   * other lists (a menu's links are objects), an object for a value read into one of the API's
   * records.
   */
  private static String expected(Class<?> target, String field) {
    if (target == null) {
      return "has the wrong type";
    }
    if (java.util.Collection.class.isAssignableFrom(target)) {
      return field.endsWith("tags")
          ? "must be a list of strings, e.g. [\"news\", \"java\"]"
          : "must be a list";
    }
    if (target.isRecord() || java.util.Map.class.isAssignableFrom(target)) {
      return "must be an object";
    }
    if (target == java.time.Instant.class) {
      return "must be an ISO-8601 instant such as 2030-01-01T09:00:00Z";
    }
    if (target == Long.class
        || target == long.class
        || target == Integer.class
        || target == int.class) {
      return "must be a whole number";
    }
    if (target == Boolean.class || target == boolean.class) {
      return "must be true or false";
    }
    return "must be a string";
  }
}
