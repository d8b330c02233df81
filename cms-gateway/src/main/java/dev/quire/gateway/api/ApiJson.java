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
}
