package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Finding the uploads folder's URLs in an item's text, and its shortcodes, in one pass: the
 * patterns they replace scanned on from every {@code //} or unclosed {@code [caption }, so 80,000
 * slashes took 37 s and the 4 million characters an item may have would take a day (measured
 * 2026-12-07). The time limit, on a thread of its own (a pattern does not heed interrupts), turns
 * such a regression into a failure instead of a hung build.
 */
class WordPressUploadUrlsTest {

  static List<String> urls(String text) {
    return WordPressImport.uploadUrls(text).stream()
        .map(u -> text.substring(u.start(), u.end()) + " -> " + u.path(text))
        .toList();
  }

  @Test
  void theUrlsOfTheUploadsFolderAreFoundAsBefore() {
    assertThat(urls("<img src=\"https://old.example/wp-content/uploads/2024/05/cat.jpg\">"))
        .containsExactly(
            "https://old.example/wp-content/uploads/2024/05/cat.jpg -> 2024/05/cat.jpg");
    assertThat(
            urls(
                "<a href='//cdn.example.com/blog/wp-content/uploads/x.png'>a</a> and"
                    + " http://example.com:8080/sub/wp-content/uploads/c.pdf#page=2"))
        .containsExactly(
            "//cdn.example.com/blog/wp-content/uploads/x.png -> x.png",
            "http://example.com:8080/sub/wp-content/uploads/c.pdf -> c.pdf");
    // A path of its own, after neither a word character nor a slash; its query is not the path.
    assertThat(urls("src=\"/wp-content/uploads/2019/b.gif?x=1\" x/wp-content/uploads/no.gif"))
        .containsExactly("/wp-content/uploads/2019/b.gif -> 2019/b.gif");
    // srcset: one per candidate.
    assertThat(
            urls(
                "srcset=\"https://o.example/wp-content/uploads/a-300.jpg 300w,"
                    + " https://o.example/wp-content/uploads/a.jpg 600w\""))
        .containsExactly(
            "https://o.example/wp-content/uploads/a-300.jpg -> a-300.jpg",
            "https://o.example/wp-content/uploads/a.jpg -> a.jpg");
    assertThat(urls("https://old.example/wp-content/uploads/")).isEmpty();
    assertThat(urls("no uploads here // at all")).isEmpty();
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void textsMadeToBacktrackTakeOnePass() {
    int n = 4_000_000;
    assertThat(urls("/".repeat(n))).isEmpty();
    assertThat(urls("//" + "a/".repeat(n / 2))).isEmpty();
    assertThat(urls("//a".repeat(n / 3))).isEmpty();
    assertThat(urls("x/wp-content/uploads/".repeat(n / 21))).isEmpty();
    String many = "//h/wp-content/uploads/f ".repeat(n / 25);
    assertThat(WordPressImport.uploadUrls(many)).hasSize(n / 25);
    assertThat(WordPressImport.CAPTION.matcher("[caption ".repeat(n / 9)).replaceAll(""))
        .hasSize(n / 9 * 9);
    assertThat(WordPressImport.SHORTCODE.matcher("[a ".repeat(n / 3)).find()).isFalse();
    assertThat(
            WordPressImport.CAPTION
                .matcher("[caption id=\"attachment_1\" width=\"300\"]<img src=x> Text[/caption]")
                .replaceAll(""))
        .isEqualTo("<img src=x> Text");
  }
}
