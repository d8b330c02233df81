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
    // Another script is spelled in Latin letters, as slugs are: such names were their extension
    // alone ("pdf", without its dot), or "qaE--.png".
    assertThat(MediaStore.safeName("\u62a5\u544a.pdf")).isEqualTo("bao-gao.pdf");
    assertThat(MediaStore.safeName("qaE-\u65e5\u672c \u5199\u771f.png"))
        .isEqualTo("qaE-ri-ben-xie-zhen.png");
    assertThat(MediaStore.safeName("\u041e\u0442\u0447\u0451\u0442.docx")).isEqualTo("Otcet.docx");
    for (String safe : new String[] {"red-dot-.png", "diagram.png", "a_b-c.9.pdf", "png", "file"}) {
      assertThat(MediaStore.safeName(safe)).isEqualTo(safe);
      assertThat(MediaStore.isSafeName(safe)).as(safe).isTrue();
    }
    String cut = MediaStore.safeName("a".repeat(50) + "-" + "b".repeat(95) + ".png");
    assertThat(cut).isEqualTo("b".repeat(95) + ".png");
    assertThat(MediaStore.isSafeName(cut)).isTrue();
    // What a request's address may name, decided as safeName would: its own safe name only.
    for (String unsafe :
        new String[] {
          "", "-x.png", ".png", "a b.png", "\u62a5\u544a.pdf", "x".repeat(101), "a/b"
        }) {
      assertThat(MediaStore.isSafeName(unsafe)).as(unsafe).isFalse();
      assertThat(MediaStore.safeName(unsafe)).isNotEqualTo(unsafe);
    }
  }
}
