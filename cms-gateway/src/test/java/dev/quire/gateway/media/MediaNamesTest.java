package dev.quire.gateway.media;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MediaNamesTest {

  /**
   * A file's name in its address: accents dropped as a slug's are (the letter itself was dropped:
   * "red dot ü.png" became "red-dot-.png"); what cannot be spelled so becomes a hyphen; a name
   * already safe stays as it is, so stored files keep their addresses.
   */
  @Test
  void aNameKeepsItsLettersWithoutTheirAccents() {
    assertThat(MediaStore.safeName("red dot \u00fc.png")).isEqualTo("red-dot-u.png");
    assertThat(MediaStore.safeName("Cafe\u0301 cr\u00e8me.JPG")).isEqualTo("Cafe-creme.JPG");
    assertThat(MediaStore.safeName("C:\\photos\\../x y.png")).isEqualTo("x-y.png");
    assertThat(MediaStore.safeName("")).isEqualTo("file");
    for (String safe : new String[] {"red-dot-.png", "diagram.png", "a_b-c.9.pdf"}) {
      assertThat(MediaStore.safeName(safe)).isEqualTo(safe);
    }
  }
}
