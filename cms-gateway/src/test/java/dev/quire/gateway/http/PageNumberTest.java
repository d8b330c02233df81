package dev.quire.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** A page number's 400 says what was wrong with it, also for one too large to be a page. */
class PageNumberTest {

  @Test
  void eachBadPageNumberIsNamedWithWhatItMustBe() {
    assertThat(HttpError.pageNumber("page", " 3 ")).isEqualTo(3);
    assertThatThrownBy(() -> HttpError.pageNumber("page", "-1"))
        .hasMessageContaining("must be a whole number from 1, was '-1'");
    assertThatThrownBy(() -> HttpError.pageNumber("page", "two"))
        .hasMessageContaining("must be a whole number from 1, was 'two'");
    assertThatThrownBy(() -> HttpError.pageNumber("page", "99999999999"))
        .isInstanceOfSatisfying(HttpError.class, e -> assertThat(e.field()).isEqualTo("page"))
        .hasMessageContaining("must be a whole number from 1 to 2147483647, was '99999999999'");
  }
}
