package dev.quire.gateway.render;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonLdTest {

  @Test
  void emptyValuesAreLeftOutAndNothingCanCloseTheScript() throws Exception {
    Map<String, Object> author = new LinkedHashMap<>();
    author.put("@type", "Person");
    author.put("name", " ");
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("@type", "BlogPosting");
    data.put("headline", "</script><script>alert(1)</script> & more\u2028");
    data.put("description", "");
    data.put("image", null);
    data.put("keywords", List.of("rust", ""));
    data.put("wordCount", 3);
    data.put("empty", List.of());
    data.put("author", author);
    String json = JsonLd.write(data);
    assertThat(json)
        .doesNotContain("<")
        .doesNotContain(">")
        .doesNotContain("&")
        .doesNotContain("\u2028")
        .contains("\\u003c/script\\u003e")
        .doesNotContain("description")
        .doesNotContain("image")
        .doesNotContain("empty");
    // A blank field of a nested map is left out, the map kept with what it has; a map with
    // nothing at all is left out.
    var read = new ObjectMapper().readTree(json);
    assertThat(read.get("headline").asText())
        .isEqualTo("</script><script>alert(1)</script> & more\u2028");
    assertThat(read.get("keywords")).hasSize(1);
    assertThat(read.get("wordCount").asInt()).isEqualTo(3);
    assertThat(read.at("/author/@type").asText()).isEqualTo("Person");
    assertThat(read.at("/author/name").isMissingNode()).isTrue();
    assertThat(JsonLd.write(Map.of("a", Map.of("b", "")))).isEqualTo("null");
    // "@" keys first, then by name, whatever order the map had.
    assertThat(JsonLd.write(Map.of("b", 1, "@type", "T", "a", 2, "@context", "c")))
        .isEqualTo("{\"@context\":\"c\",\"@type\":\"T\",\"a\":2,\"b\":1}");
  }
}
