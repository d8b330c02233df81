package dev.quire.content.users;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.quire.protocol.Role;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * User and session events as version 1 stores them (serializer id, manifest, JSON) must still
 * deserialize and replay to the same state: if this fails, an event's shape changed, and it needs a
 * migration rather than an edit of the fixture.
 */
class UserEventsFixtureTest {

  static final ActorTestKit KIT =
      ActorTestKit.create(
          ConfigFactory.parseString("pekko.actor.provider = local")
              .withFallback(ConfigFactory.load()));

  @AfterAll
  static void stop() {
    KIT.shutdownTestKit();
  }

  @Test
  void storedUserAndSessionEventsOfVersion1StillReplay() throws Exception {
    List<Object> events = read("user-events-v1.tsv");
    assertThat(events).hasSize(10);
    Users.State state = new Users.State(Map.of());
    for (Object e : events.subList(0, 8)) {
      state = state.apply((Users.Event) e, 5);
    }
    Users.Account ann = state.accounts().get("ann");
    assertThat(ann.displayName()).isEqualTo("Ann Lee");
    assertThat(ann.role()).isEqualTo(Role.EDITOR);
    assertThat(ann.credentials()).as("added, role changed, password set").isEqualTo(3);
    assertThat(ann.passwordHash()).contains("bmV3c2FsdG5ld3NhbHQ");
    assertThat(ann.lastLogin()).isEqualTo(Instant.parse("2026-12-04T10:03:01Z"));
    assertThat(ann.attempts()).containsExactly(Instant.parse("2026-12-04T12:05:00Z"));
    assertThat(state.enabledAdmins()).isEqualTo(1);

    AdminSession.SessionOpened opened = (AdminSession.SessionOpened) events.get(8);
    assertThat(opened.credentials()).isEqualTo(3);
    assertThat(opened.idleTimeout()).as("stored before idle timeouts: none").isNull();
    assertThat(opened.expiresAt()).isEqualTo(Instant.parse("2026-12-05T00:05:01Z"));
    assertThat(((AdminSession.SessionClosed) events.get(9)).at())
        .isEqualTo(Instant.parse("2026-12-04T13:00:00Z"));
  }

  /** Version 2 (devices): a sign-in that trusts a device, and attempts from elsewhere and it. */
  @Test
  void storedDeviceEventsOfVersion2StillReplay() throws Exception {
    List<Object> events = read("user-events-v2.tsv");
    Users.State state = new Users.State(Map.of());
    for (Object e : events.subList(0, 4)) {
      state = state.apply((Users.Event) e, 5, 10);
    }
    Users.Account ann = state.accounts().get("ann");
    assertThat(ann.lastLogin()).isEqualTo(Instant.parse("2026-12-04T10:02:00Z"));
    assertThat(ann.attempts()).containsExactly(Instant.parse("2026-12-04T10:03:00Z"));
    assertThat(ann.devices())
        .containsExactly(
            new Users.Device(
                "a".repeat(64),
                Instant.parse("2026-12-04T10:02:00Z"),
                List.of(Instant.parse("2026-12-04T10:04:00Z"))));
    // Signed in through that device, with a new secret: the account's attempt stays.
    ann = state.apply((Users.Event) events.get(4), 5, 10).accounts().get("ann");
    assertThat(ann.attempts()).containsExactly(Instant.parse("2026-12-04T10:03:00Z"));
    assertThat(ann.devices())
        .containsExactly(
            new Users.Device("e".repeat(64), Instant.parse("2026-12-04T10:05:00Z"), List.of()));

    // A session with an idle timeout, and a use of it.
    var opened = (AdminSession.SessionOpened) events.get(5);
    assertThat(opened.idleTimeout()).isEqualTo(java.time.Duration.ofHours(2));
    assertThat(((AdminSession.SessionSeen) events.get(6)).at())
        .isEqualTo(Instant.parse("2026-12-04T10:12:00Z"));

    // "Sign out everywhere": the credentials count moves on.
    long before = state.accounts().get("ann").credentials();
    assertThat(state.apply((Users.Event) events.get(7), 5, 10).accounts().get("ann").credentials())
        .isEqualTo(before + 1);
  }

  /** Version 3: a sign-in that hashed the password again with newer parameters. */
  @Test
  void storedRehashEventsOfVersion3StillReplay() throws Exception {
    List<Object> events = read("user-events-v3.tsv");
    Users.State state = new Users.State(Map.of());
    for (Object e : events) {
      state = state.apply((Users.Event) e, 5, 10);
    }
    Users.Account ann = state.accounts().get("ann");
    assertThat(ann.passwordHash())
        .startsWith("$argon2id$v=19$m=47104,t=1,p=1$bmV3c2FsdG5ld3NhbHQ$");
    assertThat(ann.credentials()).as("a rehash ends no session").isEqualTo(1);
    assertThat(ann.lastLogin()).isEqualTo(Instant.parse("2026-12-06T09:00:00Z"));
  }

  /** Version 4: API tokens issued and one revoked. */
  @Test
  void storedTokenEventsOfVersion4StillReplay() throws Exception {
    List<Object> events = read("user-events-v4.tsv");
    Users.State state = new Users.State(Map.of());
    for (Object e : events) {
      state = state.apply((Users.Event) e, 5, 10);
    }
    Users.Account ann = state.accounts().get("ann");
    assertThat(ann.tokens())
        .containsExactly(
            new Users.ApiKey(
                "fedcba9876543210",
                "Laptop",
                "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
                Instant.parse("2026-12-07T09:01:00Z"),
                "ann",
                null,
                null));
    assertThat(ann.credentials()).as("tokens are not sign-in credentials").isEqualTo(1);
  }

  /** Version 5: a token that expires, and its last use. */
  @Test
  void storedTokenEventsOfVersion5StillReplay() throws Exception {
    List<Object> events = read("user-events-v5.tsv");
    Users.State state = new Users.State(Map.of());
    for (Object e : events) {
      state = state.apply((Users.Event) e, 5, 10);
    }
    Users.ApiKey t = state.accounts().get("ann").tokens().get(0);
    assertThat(t.expiresAt()).isEqualTo(Instant.parse("2027-03-07T09:00:00Z"));
    assertThat(t.lastUsed()).isEqualTo(Instant.parse("2026-12-07T10:00:00Z"));
    assertThat(t.name()).isEqualTo("A quarter");
  }

  /**
   * The directory's snapshot as version 1 stores it must still be read: since 2026-12-07 the events
   * behind the older of its two latest snapshots are deleted, so for an older account the snapshot
   * is the only copy. If this fails, the state's shape changed and needs a migration.
   */
  @Test
  void aStoredSnapshotOfVersion1IsStillRead() throws Exception {
    List<Object> stored = read("users-snapshot-v1.tsv");
    assertThat(stored).hasSize(1);
    Users.State state = (Users.State) stored.get(0);
    Users.Account ann = state.accounts().get("ann");
    assertThat(ann.role()).isEqualTo(Role.AUTHOR);
    assertThat(ann.passwordHash()).startsWith("$argon2id$v=19$m=19456,t=2,p=1$");
    assertThat(ann.credentials()).isEqualTo(2);
    assertThat(ann.lastLogin()).isEqualTo(Instant.parse("2026-12-04T10:05:00Z"));
    assertThat(ann.attempts()).containsExactly(Instant.parse("2026-12-04T10:03:00Z"));
    assertThat(ann.devices())
        .containsExactly(
            new Users.Device(
                "a".repeat(64),
                Instant.parse("2026-12-04T10:02:00Z"),
                List.of(Instant.parse("2026-12-04T10:04:00Z"))));
    assertThat(ann.tokens()).extracting(Users.ApiKey::name).containsExactly("Laptop", "A quarter");
    assertThat(ann.tokens().get(1).expiresAt()).isEqualTo(Instant.parse("2027-03-07T09:00:00Z"));
    assertThat(state.revokedTokens()).containsExactly("0123456789abcdef");
    assertThat(state.enabledAdmins()).isZero();
  }

  static List<Object> read(String fixture) throws Exception {
    return dev.quire.content.StoredEvents.read(KIT.system(), fixture);
  }
}
