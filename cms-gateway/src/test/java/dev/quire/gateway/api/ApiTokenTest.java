package dev.quire.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API's one credential: never empty, compared as presented. */
class ApiTokenTest {

  @TempDir Path data;

  @Test
  void aFirstStartMakesAnOwnerOnlyTokenAndTheNextStartReadsIt() throws IOException {
    String[] shown = {null};
    ApiToken made = ApiToken.load(null, data, t -> shown[0] = t);
    assertThat(shown[0]).hasSizeGreaterThanOrEqualTo(40);
    assertThat(
            PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("api-token"))))
        .isEqualTo("rw-------");
    assertThat(made.matches(shown[0])).isTrue();
    ApiToken again = ApiToken.load(null, data, t -> shown[0] = "shown twice");
    assertThat(again.matches(Files.readString(data.resolve("api-token")).strip())).isTrue();
    assertThat(shown[0]).isNotEqualTo("shown twice");
  }

  @Test
  void anEmptyTokenFileIsRefusedInsteadOfLettingEveryoneIn() throws IOException {
    Files.writeString(data.resolve("api-token"), " \n");
    assertThatThrownBy(() -> ApiToken.load(null, data, t -> {}))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(data.resolve("api-token").toString())
        .hasMessageContaining("is empty");
    assertThatThrownBy(() -> ApiToken.of("")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void onlyTheTokenItselfMatches() {
    ApiToken token = ApiToken.of("s3cret-s3cret-s3cret");
    assertThat(token.matches("s3cret-s3cret-s3cret")).isTrue();
    assertThat(token.matches(null)).isFalse();
    assertThat(token.matches("")).isFalse();
    assertThat(token.matches("s3cret-s3cret-s3cre")).isFalse();
    assertThat(ApiToken.of("from-env-from-env-1").matches("from-env-from-env-1")).isTrue();
  }

  /**
   * The token can do what an admin can: the deployment files' placeholder and short ones fail the
   * start.
   */
  @Test
  void aPlaceholderOrShortTokenIsRefusedNamingWhatToDo() {
    assertThatThrownBy(() -> ApiToken.of("change-me-to-a-long-random-token"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("placeholder")
        .hasMessageContaining("QUIRE_API_TOKEN");
    assertThatThrownBy(() -> ApiToken.load("change-me-to-a-long-random-token", data, t -> {}))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ApiToken.of("x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 characters, at least 16");
    assertThatThrownBy(() -> ApiToken.load("fifteen-chars-x", data, t -> {}))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(ApiToken.of("sixteen-chars-xx").matches("sixteen-chars-xx")).isTrue();
  }
}
