package dev.quire.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which rules a visitor could never get through: loops (as a request meets rules: its path with its
 * query, the path, the path with the other slash), chains longer than browsers follow, and rules no
 * request meets.
 */
class RedirectRuleTest {

  static Map<String, RedirectRule> table(RedirectRule... rules) {
    Map<String, RedirectRule> t = new HashMap<>();
    for (RedirectRule r : rules) {
      t.put(r.from(), r);
    }
    return t;
  }

  static RedirectRule rule(String from, String to) {
    return new RedirectRule(from, to, 301);
  }

  @Test
  void aFromIsHeldAsTheServerDecodesARequestForIt() {
    // Pekko HTTP decodes the escape of a character a path may hold raw before the rule is looked
    // up: /a%2Db arrives as /a-b, so a rule kept as typed was never met.
    assertThat(rule("/old%2dpost/", "/new/").from()).isEqualTo("/old-post/");
    assertThat(rule("/%41%7E%21%3A%40/", "/new/").from()).isEqualTo("/A~!:@/");
    // What it keeps escaped stays escaped (as upper-case hex): a slash, '?', '%', '#', a space,
    // non-ASCII text; and the query is matched as sent, so it is left alone.
    assertThat(rule("/a%2fb%3F%25%23%20/", "/new/").from()).isEqualTo("/a%2Fb%3F%25%23%20/");
    assertThat(rule("/caf%c3%a9/", "/new/").from()).isEqualTo("/caf%C3%A9/");
    assertThat(rule("/old/?p=%2D1", "/new/").from()).isEqualTo("/old/?p=%2D1");
    // The target is sent as stored.
    assertThat(rule("/x/", "/a%2Db/").to()).isEqualTo("/a%2Db/");
    assertThat(RedirectRule.key("/old%2Dpost/")).isEqualTo("/old-post/");
    // And a rule that only looked different, /a%2Db to /a-b/, is the loop it is.
    RedirectRule disguised = rule("/a%2Db", "/a-b/");
    assertThat(RedirectRule.loopFrom(table(disguised), disguised)).isPresent();
    // Nor one whose target only looks different.
    RedirectRule back = rule("/a-b", "/a%2Db");
    assertThat(RedirectRule.loopFrom(table(back), back)).isPresent();
  }

  @Test
  void aRuleThatComesBackToItselfOrToAnotherItPassedLoops() {
    RedirectRule slash = rule("/about", "/about/");
    assertThat(RedirectRule.loopFrom(table(slash), slash))
        .hasValueSatisfying(m -> assertThat(m).contains("/about -> /about"));
    RedirectRule ping = rule("/ping/", "/pong/");
    RedirectRule pong = rule("/pong/", "/ping");
    assertThat(RedirectRule.loopFrom(table(ping, pong), pong))
        .hasValueSatisfying(m -> assertThat(m).contains("/pong/ -> /ping/ -> /pong/"));
    // Into a loop other rules make is a loop too.
    RedirectRule a = rule("/a/", "/b/");
    RedirectRule b = rule("/b/", "/c/");
    RedirectRule c = rule("/c/", "/b/");
    assertThat(RedirectRule.loopFrom(table(a, b, c), a)).isPresent();
  }

  @Test
  void aChainThatEndsAtAPageIsFineAndOneLongerThanBrowsersFollowIsNot() {
    List<RedirectRule> chain = new java.util.ArrayList<>();
    for (int i = 0; i < 20; i++) {
      chain.add(rule("/p" + i + "/", "/p" + (i + 1) + "/"));
    }
    Map<String, RedirectRule> t = table(chain.toArray(new RedirectRule[0]));
    assertThat(RedirectRule.loopFrom(t, chain.get(0))).isEmpty();
    RedirectRule longer = rule("/p20/", "/p21/");
    t.put(longer.from(), longer);
    assertThat(RedirectRule.loopFrom(t, chain.get(0)))
        .hasValueSatisfying(m -> assertThat(m).contains("more than 20 redirects"));
    // A rule of a query (WordPress's /?p=12) to the home page: the home page meets no rule.
    RedirectRule byQuery = rule("/?p=12", "/");
    assertThat(RedirectRule.loopFrom(table(byQuery), byQuery)).isEmpty();
    // But a target with the query that rule matches comes back to it.
    RedirectRule toQuery = rule("/old/", "/?p=12");
    assertThat(RedirectRule.loopFrom(table(byQuery, rule("/", "/old/"), toQuery), toQuery))
        .isPresent();
  }

  /**
   * A rule already there can reach a new one and come back through it: a request's query is kept
   * along the way (/y/?q=1 to /x/?q=1, then /x/ to /y/ keeps ?q=1), or a chain grows past what
   * browsers follow at its end. Loops the new rules are not part of are not theirs.
   */
  @Test
  void rulesAlreadyThereThatComeBackThroughANewOneLoopToo() {
    RedirectRule byQuery = rule("/y/?q=1", "/x/?q=1");
    RedirectRule added = rule("/x/", "/y/");
    Map<String, RedirectRule> t = table(byQuery, added);
    assertThat(RedirectRule.loopFrom(t, added)).as("from the new rule, without a query").isEmpty();
    assertThat(RedirectRule.loopThrough(t, java.util.Set.of("/x/")))
        .hasValueSatisfying(m -> assertThat(m).contains("with the rule from /y/?q=1"));
    Map<String, RedirectRule> chain = new HashMap<>();
    for (int i = 0; i < 20; i++) {
      chain.put("/c" + i + "/", rule("/c" + i + "/", "/c" + (i + 1) + "/"));
    }
    chain.put("/c20/", rule("/c20/", "/c21/"));
    assertThat(RedirectRule.loopFrom(chain, chain.get("/c20/"))).isEmpty();
    assertThat(RedirectRule.loopThrough(chain, java.util.Set.of("/c20/"))).isPresent();
    // An old loop elsewhere in the table is not the new rule's to answer for.
    Map<String, RedirectRule> old =
        table(rule("/p/", "/q/"), rule("/q/", "/p/"), rule("/n/", "/page/"));
    assertThat(RedirectRule.loopThrough(old, java.util.Set.of("/n/"))).isEmpty();
    assertThat(RedirectRule.onLoop(old, old.get("/p/"))).isTrue();
    assertThat(
            RedirectRule.onLoop(
                table(rule("/o/", "/p/"), rule("/p/", "/q/"), rule("/q/", "/p/")),
                rule("/o/", "/p/")))
        .isFalse();
  }

  @Test
  void aRuleNoRequestMeetsIsRefusedAndOlderBundlesCanTellItApart() {
    for (String from : List.of("/admin/", "/admin", "/api/v1/content", "/healthz", "/x/../y/")) {
      RedirectRule r = rule(from, "/about/");
      assertThat(r.shapeProblem()).as(from).isEmpty();
      assertThat(r.neverFollowed()).as(from).isPresent();
      assertThat(r.problem())
          .as(from)
          .hasValueSatisfying(e -> assertThat(e.field()).isEqualTo("from"));
    }
    for (String from : List.of("/administration/", "/apis/", "/blog/old/", "/x/..y/", "/?p=1")) {
      assertThat(rule(from, "/about/").problem()).as(from).isEmpty();
    }
  }
}
