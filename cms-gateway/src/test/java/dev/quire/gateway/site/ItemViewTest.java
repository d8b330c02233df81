package dev.quire.gateway.site;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ItemViewTest {

  /**
   * A cover's address as pages, {@code og:image} and the JSON-LD write it: from the site root when
   * relative, and with a space as {@code %20} (a space made it no URL for a link preview).
   */
  @Test
  void aCoversAddressIsAUrl() {
    assertThat(ItemView.coverUrl("")).isEmpty();
    assertThat(ItemView.coverUrl("cover.webp")).isEqualTo("/cover.webp");
    assertThat(ItemView.coverUrl("/media/abc/a.png")).isEqualTo("/media/abc/a.png");
    assertThat(ItemView.coverUrl("https://example.com/a b.png"))
        .isEqualTo("https://example.com/a%20b.png");
    assertThat(ItemView.coverUrl("images/my photo.png")).isEqualTo("/images/my%20photo.png");
  }
}
