package dev.quire.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The API takes values as sent: a wrong type is refused, naming what was expected. */
class ApiJsonTest {

  private final ObjectMapper json = ApiJson.mapper();

  private ContentInput read(String body) throws Exception {
    return json.readValue(body, ContentInput.class);
  }

  private ActionInput action(String body) throws Exception {
    return json.readValue(body, ActionInput.class);
  }

  @Test
  void valuesOfTheRightTypeAreRead() throws Exception {
    ContentInput in =
        read("{\"title\":\"T\",\"revision\":6,\"date\":\"2030-01-01T09:00:00Z\",\"tags\":[\"a\"]}");
    assertThat(in.revision()).isEqualTo(6L);
    assertThat(in.date()).isEqualTo(Instant.parse("2030-01-01T09:00:00Z"));
    assertThat(action("{\"revision\":3,\"at\":\"2030-01-01T09:00:00+02:00\"}").at())
        .isEqualTo(Instant.parse("2030-01-01T07:00:00Z"));
    assertThat(action("{\"revision\":3,\"at\":null}").at()).isNull();
  }

  @Test
  void aRevisionAsTextOrAFractionIsRefused() {
    for (String body :
        new String[] {"{\"revision\":\"6\"}", "{\"revision\":5.9}", "{\"revision\":true}"}) {
      assertThatThrownBy(() -> action(body))
          .as(body)
          .isInstanceOf(MismatchedInputException.class)
          .satisfies(
              e ->
                  assertThat(((MismatchedInputException) e).getPath().get(0).getFieldName())
                      .isEqualTo("revision"));
    }
  }

  @Test
  void anInstantAsANumberIsRefused() {
    for (String body : new String[] {"{\"at\":1893456000000}", "{\"at\":0}", "{\"at\":1.5}"}) {
      assertThatThrownBy(() -> action(body))
          .as(body)
          .isInstanceOf(MismatchedInputException.class)
          .satisfies(
              e ->
                  assertThat(((MismatchedInputException) e).getTargetType())
                      .isEqualTo(Instant.class));
    }
    assertThatThrownBy(() -> read("{\"date\":0}")).isInstanceOf(MismatchedInputException.class);
  }

  @Test
  void textAsANumberOrABooleanIsRefusedAndAKeyTwiceToo() {
    assertThatThrownBy(() -> read("{\"title\":123}")).isInstanceOf(MismatchedInputException.class);
    assertThatThrownBy(() -> read("{\"title\":true}")).isInstanceOf(MismatchedInputException.class);
    assertThatThrownBy(() -> read("{\"title\":\"a\",\"title\":\"b\"}"))
        .hasMessageContaining("Duplicate field 'title'");
  }
}
