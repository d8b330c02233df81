package dev.quire.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** Where a sign-in may send the editor, the per-address limit, and the session secrets. */
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
          "/admin/x%zz"
        }) {
      assertThat(AdminModule.safeNext(evil)).as(evil).isEqualTo("/admin/");
    }
  }

  @Test
  void anAddressIsTurnedAwayAfterItsFailuresUntilTheyLeaveTheWindow() {
    MutableClock clock = new MutableClock();
    LoginLimiter limiter = new LoginLimiter(3, Duration.ofMinutes(10), 2, clock);
    for (int i = 0; i < 3; i++) {
      assertThat(limiter.allowed("10.0.0.1")).isTrue();
      limiter.failed("10.0.0.1");
    }
    assertThat(limiter.allowed("10.0.0.1")).isFalse();
    assertThat(limiter.allowed("10.0.0.2")).as("another address").isTrue();
    clock.now = clock.now.plus(Duration.ofMinutes(10)).plusMillis(1);
    assertThat(limiter.allowed("10.0.0.1")).isTrue();
    // Bounded: a third address makes it forget the least recently failed one.
    limiter.failed("10.0.0.1");
    limiter.failed("10.0.0.1");
    limiter.failed("10.0.0.1");
    limiter.failed("10.0.0.2");
    limiter.failed("10.0.0.3");
    assertThat(limiter.allowed("10.0.0.1")).isTrue();
  }

  @Test
  void zeroTurnsTheLimitOffAndIpv6CountsBySlash64() throws Exception {
    MutableClock clock = new MutableClock();
    LoginLimiter off = new LoginLimiter(0, Duration.ofMinutes(10), 10, clock);
    off.failed("10.0.0.1");
    assertThat(off.allowed("10.0.0.1")).as("0 turns it off").isTrue();
    LoginLimiter limiter = new LoginLimiter(1, Duration.ofMinutes(10), 10, clock);
    limiter.failed(LoginLimiter.addressKey(java.net.InetAddress.getByName("2001:db8:1:2::1")));
    assertThat(
            limiter.allowed(
                LoginLimiter.addressKey(java.net.InetAddress.getByName("2001:db8:1:2:ffff::9"))))
        .as("the same /64")
        .isFalse();
    assertThat(
            limiter.lockedUntil(
                LoginLimiter.addressKey(java.net.InetAddress.getByName("2001:db8:1:2::7"))))
        .isEqualTo(clock.now.plus(Duration.ofMinutes(10)));
    assertThat(
            limiter.allowed(
                LoginLimiter.addressKey(java.net.InetAddress.getByName("2001:db8:1:3::1"))))
        .isTrue();
    assertThat(limiter.allowed(null)).as("no address: not counted").isTrue();
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

  static final class MutableClock extends Clock {
    Instant now = Instant.parse("2026-12-04T10:00:00Z");

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
