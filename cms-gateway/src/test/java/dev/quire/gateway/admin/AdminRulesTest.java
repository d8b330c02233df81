package dev.quire.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Where a sign-in may send the editor, the sign-in guard (per address, per unknown name), and the
 * session secrets.
 */
class AdminRulesTest {

  @Test
  void afterSignInOnlyAnAdminPathOfThisSiteIsFollowed() {
    assertThat(AdminModule.safeNext("/admin/content/x/?done=1"))
        .isEqualTo("/admin/content/x/?done=1");
    assertThat(AdminModule.safeNext(null)).isEqualTo("/admin/");
    for (String evil :
        new String[] {
          "https://evil.example/",
          "//evil.example/",
          "/admin//evil.example",
          "/\\evil.example",
          "/admin/\\\\evil.example",
          "/admin/../posts/x/",
          "/admin/./x",
          "/admin/login?next=/admin/",
          "/admin/x\r\nSet-Cookie: a=b",
          "/posts/hello/",
          "javascript:alert(1)",
          "/admin/caf\u00e9/",
          "/admin/x%zz",
          // Dots written as escapes: the Location header decodes them into a real "..".
          "/admin/%2e%2e/%2e%2e/evil",
          "/admin/%2E%2E/posts/x/",
          "/admin/.%2e/x",
          "/admin/%2e/x"
        }) {
      assertThat(AdminModule.safeNext(evil)).as(evil).isEqualTo("/admin/");
    }
  }

  static final LoginGuard.Settings GUARD =
      new LoginGuard.Settings(
          3, Duration.ofMinutes(10), 2, Duration.ofMinutes(15), 4, Duration.ofMinutes(5), 100, 100);

  /** A guard entity outside sharding (its messages' serialization: theGuardsMessagesCrossNodes). */
  static final class Guard {
    final org.apache.pekko.actor.testkit.typed.javadsl.BehaviorTestKit<LoginGuard.Command> kit;
    final org.apache.pekko.actor.testkit.typed.javadsl.TestInbox<LoginGuard.Verdict> inbox =
        org.apache.pekko.actor.testkit.typed.javadsl.TestInbox.create();

    Guard(String key, Clock clock) {
      kit =
          org.apache.pekko.actor.testkit.typed.javadsl.BehaviorTestKit.create(
              LoginGuard.create(key, GUARD, clock));
    }

    Instant check() {
      kit.run(new LoginGuard.Check(inbox.getRef()));
      return inbox.receiveMessage().lockedUntil();
    }

    Instant fail() {
      kit.run(new LoginGuard.Fail(inbox.getRef()));
      return inbox.receiveMessage().lockedUntil();
    }

    Instant attempt() {
      kit.run(new LoginGuard.Attempt(inbox.getRef()));
      return inbox.receiveMessage().lockedUntil();
    }
  }

  @Test
  void anAddressIsTurnedAwayAfterItsFailuresUntilTheyLeaveTheWindow() throws Exception {
    dev.quire.gateway.MovableClock clock =
        new dev.quire.gateway.MovableClock(Instant.parse("2026-12-04T10:00:00Z"));
    Guard address =
        new Guard(LoginGuard.address(java.net.InetAddress.getByName("10.0.0.1")), clock);
    Instant start = clock.now;
    for (int i = 0; i < 3; i++) {
      assertThat(address.check()).isNull();
      clock.now = clock.now.plusSeconds(60);
      address.fail();
    }
    assertThat(address.check()).isEqualTo(start.plusSeconds(60).plus(Duration.ofMinutes(10)));
    clock.now = start.plusSeconds(60).plus(Duration.ofMinutes(10)).plusMillis(1);
    assertThat(address.check()).as("the first failure left the window").isNull();
    assertThat(address.fail()).as("the third in the window again").isNotNull();

    // A name that does not exist counts by the account limit (2 in 15 minutes here), as the
    // user directory counts an account's: each attempt before its check, refused once locked.
    Guard name = new Guard(LoginGuard.name("ghost"), clock);
    Instant first = clock.now;
    assertThat(name.attempt()).as("counted").isNull();
    clock.now = clock.now.plusSeconds(1);
    assertThat(name.attempt()).as("counted").isNull();
    assertThat(name.attempt())
        .as("refused, not counted")
        .isEqualTo(first.plus(Duration.ofMinutes(15)));
    clock.now = first.plus(Duration.ofMinutes(15)).plusMillis(1);
    assertThat(name.attempt()).as("the first left the window").isNull();
    assertThat(name.check()).isNotNull();

    // An address's failed API tokens count apart from its sign-ins, by their own limit (4 in 5
    // minutes here): the address that failed 3 sign-ins above has no API failures yet.
    java.net.InetAddress a = java.net.InetAddress.getByName("10.0.0.1");
    assertThat(LoginGuard.apiAddress(a)).isNotEqualTo(LoginGuard.address(a)).startsWith("api:");
    Guard api = new Guard(LoginGuard.apiAddress(a), clock);
    Instant apiFirst = clock.now;
    for (int i = 0; i < 3; i++) {
      assertThat(api.fail()).as("failure " + (i + 1) + " of 4").isNull();
    }
    assertThat(api.fail()).isEqualTo(apiFirst.plus(Duration.ofMinutes(5)));
    clock.now = apiFirst.plus(Duration.ofMinutes(5)).plusMillis(1);
    assertThat(api.check()).as("all four left the window").isNull();
  }

  @Test
  void zeroTurnsTheLimitOffAndIpv6CountsBySlash64() throws Exception {
    dev.quire.gateway.MovableClock clock =
        new dev.quire.gateway.MovableClock(Instant.parse("2026-12-04T10:00:00Z"));
    var offKit =
        org.apache.pekko.actor.testkit.typed.javadsl.BehaviorTestKit.create(
            LoginGuard.create(
                "address:10.0.0.1",
                new LoginGuard.Settings(
                    0,
                    Duration.ofMinutes(10),
                    5,
                    Duration.ofMinutes(15),
                    0,
                    Duration.ofMinutes(5),
                    10,
                    10),
                clock));
    var inbox = org.apache.pekko.actor.testkit.typed.javadsl.TestInbox.<LoginGuard.Verdict>create();
    offKit.run(new LoginGuard.Fail(inbox.getRef()));
    offKit.run(new LoginGuard.Check(inbox.getRef()));
    assertThat(inbox.receiveMessage().lockedUntil()).as("0 turns it off").isNull();
    assertThat(inbox.receiveMessage().lockedUntil()).isNull();

    assertThat(LoginGuard.address(java.net.InetAddress.getByName("2001:db8:1:2::1")))
        .as("the same /64")
        .isEqualTo(LoginGuard.address(java.net.InetAddress.getByName("2001:db8:1:2:ffff::9")))
        .isNotEqualTo(LoginGuard.address(java.net.InetAddress.getByName("2001:db8:1:3::1")))
        .startsWith("address:v6:");
    assertThat(LoginGuard.address(java.net.InetAddress.getByName("10.0.0.1")))
        .isEqualTo("address:10.0.0.1")
        .isNotEqualTo(LoginGuard.name("10.0.0.1"));
  }

  @Test
  void theGuardsMessagesCrossNodes() {
    var kit =
        org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit.create(
            com.typesafe.config.ConfigFactory.parseString("pekko.actor.provider = local")
                .withFallback(com.typesafe.config.ConfigFactory.load()));
    try {
      var s = new org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit(kit.system());
      var probe = kit.<LoginGuard.Verdict>createTestProbe().ref();
      for (Object m :
          java.util.List.of(
              new LoginGuard.Check(probe),
              new LoginGuard.Fail(probe),
              new LoginGuard.Attempt(probe),
              new LoginGuard.Verdict(null),
              new LoginGuard.Verdict(Instant.parse("2026-12-04T10:15:30.123Z")))) {
        assertThat(s.verifySerialization(m, true)).isEqualTo(m);
      }
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void theJournalHoldsAHashOfTheSecretAndTheCsrfTokenIsDerivedFromIt() {
    String a = Secrets.random();
    String b = Secrets.random();
    assertThat(a).hasSize(43).isNotEqualTo(b);
    assertThat(Secrets.sessionId(a)).hasSize(64).doesNotContain(a).isEqualTo(Secrets.sessionId(a));
    assertThat(Secrets.csrf(a))
        .isEqualTo(Secrets.csrf(a))
        .isNotEqualTo(Secrets.csrf(b))
        .isNotEqualTo(a);
    assertThat(Secrets.same(Secrets.csrf(a), Secrets.csrf(a))).isTrue();
    assertThat(Secrets.same(null, null)).isFalse();
    assertThat(Secrets.password(20)).hasSize(20).matches("[a-zA-Z2-9]+");
  }
}
