package dev.quire.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ParsingErrorPageTest {

  /**
   * The parser's detail starts with the address as sent: under /api/ (as a path or in an absolute
   * address) the refusal is the API's JSON; /api-docs/ and the rest of the site get the page.
   */
  @Test
  void anAddressUnderTheApiIsToldFromTheParsersDetail() {
    assertThat(ParsingErrorPage.underApi("/api/v1/search?q=a%2\n                    ^")).isTrue();
    assertThat(ParsingErrorPage.underApi("http://x.example/api/v1/content?q=%ZZ\n  ^")).isTrue();
    assertThat(ParsingErrorPage.underApi("/api?x=%\n ^")).isTrue();
    assertThat(ParsingErrorPage.underApi("/api-docs/%ZZ\n ^")).isFalse();
    assertThat(ParsingErrorPage.underApi("/%ZZ/\n ^")).isFalse();
    assertThat(ParsingErrorPage.underApi("http://x.example\n ^")).isFalse();
    assertThat(ParsingErrorPage.underApi("")).isFalse();
    assertThat(ParsingErrorPage.underApi(null)).isFalse();
  }
}
