package dev.quire.content;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.protocol.RedirectRule;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The redirect table keys each rule by its {@code from} as {@link RedirectRule} holds it
 * (percent-encoded). A snapshot taken while rules kept raw non-ASCII paths, and a removal recorded
 * then, still meet the rule they name: a deleted rule must not come back after an upgrade.
 */
class SiteRedirectsStateTest {

  static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void aRawKeyFromAnOldSnapshotAndAnOldRawRemovalMeetTheEncodedRule() {
    var rule = new RedirectRule("/café/", "/x/", 301);
    assertThat(rule.from()).isEqualTo("/caf%C3%A9/");
    assertThat(new RedirectRule("/a[1]/%c3%a9/", "/x/", 301).from())
        .as("as requests arrive: brackets escaped, escapes in upper case")
        .isEqualTo("/a%5B1%5D/%C3%A9/");
    var fromSnapshot = new SiteRedirects.State(3, Map.of("/café/", rule));
    assertThat(fromSnapshot.rules()).containsOnlyKeys("/caf%C3%A9/");

    var removed = fromSnapshot.apply(new SiteRedirects.RuleRemoved("/café/", T, "ed"));
    assertThat(removed.rules()).isEmpty();
    assertThat(removed.version()).isEqualTo(4);

    var putAgain =
        fromSnapshot.apply(
            new SiteRedirects.RulesPut(List.of(new RedirectRule("/café/", "/y/", 302)), T, "ed"));
    assertThat(putAgain.rules()).as("replaced, not a second entry").hasSize(1);
    assertThat(putAgain.rules().get("/caf%C3%A9/").to()).isEqualTo("/y/");
  }

  /**
   * A read of the table is answered a page at a time (whole, 25,000 rules passed the 2 MiB a
   * cluster message carries, and gateways on other nodes never had them): the pages hold every rule
   * once, in order, each under the page's size unless a single rule is larger.
   */
  @Test
  void theTableIsReadAPageAtATimeEachRuleOnce() {
    Map<String, RedirectRule> rules = new java.util.LinkedHashMap<>();
    for (int i = 0; i < 250; i++) {
      RedirectRule r = new RedirectRule("/old-" + i + "/", "/new-" + i + "/", 301);
      rules.put(r.from(), r);
    }
    var state = new SiteRedirects.State(7, rules);
    List<RedirectRule> read = new java.util.ArrayList<>();
    Integer next = 0;
    int pages = 0;
    while (next != null) {
      var page = SiteRedirects.page(state, next, 200);
      assertThat(page.version()).isEqualTo(7);
      assertThat(page.rules())
          .isNotEmpty()
          .allSatisfy(r -> assertThat(r.from().length() + r.to().length()).isLessThan(200));
      assertThat(page.rules().stream().mapToInt(r -> r.from().length() + r.to().length()).sum())
          .isLessThanOrEqualTo(200);
      read.addAll(page.rules());
      next = page.next();
      pages++;
    }
    assertThat(pages).isGreaterThan(10);
    assertThat(read).containsExactlyElementsOf(rules.values());
    // A page larger than one rule is still one rule.
    assertThat(SiteRedirects.page(state, 0, 1).rules()).hasSize(1);
    assertThat(SiteRedirects.page(state, 249, 1).next()).isNull();
  }
}
