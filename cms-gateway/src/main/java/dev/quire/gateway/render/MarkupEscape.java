package dev.quire.gateway.render;

import io.pebbletemplates.pebble.extension.escaper.EscapingStrategy;

/**
 * Pebble's {@code html} escaping strategy, done here: the five characters that mean something in
 * markup ({@code & < > " '}) become {@code &amp; &lt; &gt; &quot; &#39;}, and everything else is
 * left as it is. That is exactly what Pebble's own strategy writes (unbescape's {@code
 * escapeHtml4Xml}, checked character by character in {@code MarkupEscapeTest}), but unbescape
 * builds its tables of every HTML 5 named character reference the first time it escapes anything:
 * ~170 ms of CPU on the first page a server renders, in the interpreter, for five characters it
 * never names. The other strategies ({@code js}, {@code css}, {@code url_param}, {@code json}) stay
 * Pebble's.
 */
public final class MarkupEscape implements EscapingStrategy {

  @Override
  public String escape(String input) {
    if (input == null) {
      return null;
    }
    int n = input.length();
    int i = 0;
    while (i < n && replacement(input.charAt(i)) == null) {
      i++;
    }
    if (i == n) {
      return input;
    }
    StringBuilder out = new StringBuilder(n + 16);
    out.append(input, 0, i);
    for (; i < n; i++) {
      char c = input.charAt(i);
      String r = replacement(c);
      if (r == null) {
        out.append(c);
      } else {
        out.append(r);
      }
    }
    return out.toString();
  }

  private static String replacement(char c) {
    return switch (c) {
      case '&' -> "&amp;";
      case '<' -> "&lt;";
      case '>' -> "&gt;";
      case '"' -> "&quot;";
      case '\'' -> "&#39;";
      default -> null;
    };
  }
}
