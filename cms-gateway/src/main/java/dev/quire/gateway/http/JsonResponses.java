package dev.quire.gateway.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;

/** A JSON answer of the API: {@code body} written with the gateway's mapper. */
public final class JsonResponses {

  private JsonResponses() {}

  public static HttpResponse of(ObjectMapper json, StatusCode status, Object body) {
    try {
      return HttpResponse.create()
          .withStatus(status)
          .withEntity(
              HttpEntities.create(ContentTypes.APPLICATION_JSON, json.writeValueAsBytes(body)));
    } catch (Exception e) {
      throw new IllegalStateException("cannot write the JSON answer: " + e.getMessage(), e);
    }
  }
}
