package dev.quire.gateway.render;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code jsonLd} filter of templates: a map (a Pebble map literal) as the JSON of a {@code
 * <script type="application/ld+json">} element, the structured data search engines read (schema.org
 * {@code BlogPosting} on the default theme's posts). Written by Jackson; keys whose value is null,
 * blank text or empty are left out (a post without an author names none), and {@code <}, {@code >},
 * {@code &} and the two JavaScript line separators are written as {@code \\u} escapes, so no text
 * of an item can close the script element or open markup in it.
 */
public final class JsonLd {

  private static final ObjectMapper JSON = new ObjectMapper();

  private JsonLd() {}

  /** {@code value} as the text of a script element, pruned and escaped (see the class comment). */
  public static String write(Object value) {
    String json;
    try {
      json = JSON.writeValueAsString(prune(value));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("jsonLd: " + e.getOriginalMessage(), e);
    }
    StringBuilder out = new StringBuilder(json.length() + 16);
    for (int i = 0; i < json.length(); i++) {
      char c = json.charAt(i);
      switch (c) {
        case '<' -> out.append("\\u003c");
        case '>' -> out.append("\\u003e");
        case '&' -> out.append("\\u0026");
        case '\u2028' -> out.append("\\u2028");
        case '\u2029' -> out.append("\\u2029");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  /** Maps and lists without null, blank or empty values; anything else as its text or number. */
  static Object prune(Object value) {
    if (value instanceof Map<?, ?> map) {
      // Keys in one order whatever map the template made (a Pebble map literal is a HashMap):
      // "@context" and "@type" first, then by name, so a page's bytes and ETag do not move.
      java.util.TreeMap<String, Object> sorted =
          new java.util.TreeMap<>(
              java.util.Comparator.comparing((String k) -> !k.startsWith("@"))
                  .thenComparing(java.util.Comparator.naturalOrder()));
      map.forEach(
          (k, v) -> {
            Object p = prune(v);
            if (p != null) {
              sorted.put(String.valueOf(k), p);
            }
          });
      return sorted.isEmpty() ? null : new LinkedHashMap<>(sorted);
    }
    if (value instanceof Collection<?> list) {
      List<Object> out = list.stream().map(JsonLd::prune).filter(p -> p != null).toList();
      return out.isEmpty() ? null : out;
    }
    if (value == null) {
      return null;
    }
    if (value instanceof Number || value instanceof Boolean) {
      return value;
    }
    String text = value.toString();
    return text.isBlank() ? null : text;
  }
}
