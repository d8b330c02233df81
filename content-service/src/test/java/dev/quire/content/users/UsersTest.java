package dev.quire.content.users;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.quire.protocol.ErrorCode;
import dev.quire.protocol.Role;
import dev.quire.protocol.UserCommand;
import dev.quire.protocol.UserCommand.LoginTicket;
import dev.quire.protocol.UserCommand.UserReply;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The user directory with Pekko's serialization checks on for every command, event, reply and
 * state: accounts, the last-admin rule, and the login lockout on a clock the test moves.
 */
class UsersTest {

  static final ActorTestKit KIT =
      ActorTestKit.create(
          EventSourcedBehaviorTestKit.config()
              .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
              .withFallback(ConfigFactory.load()));

  static final Instant NOW = Instant.parse("2026-12-04T10:00:00Z");

  static final class TestClock extends Clock {
    volatile Instant now = NOW;

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

  final TestClock clock = new TestClock();
  EventSourcedBehaviorTestKit<UserCommand, Users.Event, Users.State> kit;

  @BeforeEach
  void fresh() {
    kit = EventSourcedBehaviorTestKit.create(KIT.system(), Users.create("site", SETTINGS, clock));
  }

  /** Three users, three attempts in 15 min, two trusted devices for 90 days, three tokens each. */
  static final Users.Settings SETTINGS =
      new Users.Settings(
          3, 3, Duration.ofMinutes(15), 50, 2, Duration.ofDays(90), 3, Duration.ofHours(1));

  @AfterAll
  static void stop() {
    KIT.shutdownTestKit();
  }

  UserReply add(String name, Role role) {
    return kit.<UserReply>runCommand(
            r -> new UserCommand.Add(name, null, role, "$argon2id$hash-of-" + name, "setup", r))
        .reply();
  }

  UserReply change(String name, Role role, Boolean disabled) {
    return kit.<UserReply>runCommand(
            r -> new UserCommand.Change(name, null, role, disabled, "admin", r))
        .reply();
  }

  LoginTicket begin(String name) {
    return kit.<LoginTicket>runCommand(r -> new UserCommand.BeginLogin(name, r)).reply();
  }

  @Test
  void accountsAreAddedOnceWithValidNamesUpToTheLimit() {
    UserReply added = add("alice", Role.AUTHOR);
    assertThat(added).isInstanceOf(UserReply.Done.class);
    UserCommand.UserView alice = ((UserReply.Done) added).user();
    assertThat(alice.displayName()).isEqualTo("alice");
    assertThat(alice.credentials()).isEqualTo(1);
    assertThat(alice.createdAt()).isEqualTo(NOW);

    assertThat(refusal(add("alice", Role.EDITOR)).code()).isEqualTo(ErrorCode.ALREADY_EXISTS);
    // The very same add again (a retry whose answer was lost): done, and nothing stored.
    var retry =
        kit.<UserReply>runCommand(
            r ->
                new UserCommand.Add("alice", null, Role.AUTHOR, "$argon2id$hash-of-alice", "s", r));
    assertThat(retry.reply()).isEqualTo(added);
    assertThat(retry.hasNoEvents()).isTrue();
    var otherHash =
        kit.<UserReply>runCommand(
            r -> new UserCommand.Add("alice", null, Role.AUTHOR, "$argon2id$another", "s", r));
    assertThat(refusal(otherHash.reply()).code()).isEqualTo(ErrorCode.ALREADY_EXISTS);
    UserReply.Refused bad = refusal(add("Alice Smith", Role.AUTHOR));
    assertThat(bad.field()).isEqualTo("username");
    assertThat(bad.code()).isEqualTo(ErrorCode.INVALID);
    // The names the journal records for changes made with the site's token or without a user:
    // an account so named was taken for the one who started those items.
    for (String reserved : List.of("api", "unknown")) {
      UserReply.Refused taken = refusal(add(reserved, Role.AUTHOR));
      assertThat(taken.field()).isEqualTo("username");
      assertThat(taken.message()).contains("changes made without a user");
    }
    var noRole =
        refusal(
            kit.<UserReply>runCommand(r -> new UserCommand.Add("bob", null, null, "h", "a", r))
                .reply());
    assertThat(noRole.field()).isEqualTo("role");
    var longName =
        refusal(
            kit.<UserReply>runCommand(
                    r -> new UserCommand.Add("bob", "x".repeat(101), Role.AUTHOR, "h", "a", r))
                .reply());
    assertThat(longName.field()).isEqualTo("displayName");

    add("bob", Role.EDITOR);
    add("carol", Role.ADMIN);
    UserReply.Refused full = refusal(add("dave", Role.AUTHOR));
    assertThat(full.message()).contains("quire.content.users.max-users");

    var list = kit.<UserCommand.UserList>runCommand(UserCommand.ListUsers::new).reply();
    assertThat(list.users())
        .extracting(UserCommand.UserView::username)
        .containsExactly("alice", "bob", "carol");
  }

  @Test
  void theLastEnabledAdminCannotBeDemotedOrDisabled() {
    add("root", Role.ADMIN);
    add("ed", Role.EDITOR);
    assertThat(refusal(change("root", Role.EDITOR, null)).field()).isEqualTo("role");
    assertThat(refusal(change("root", null, true)).field()).isEqualTo("disabled");
    assertThat(change("ed", Role.ADMIN, null)).isInstanceOf(UserReply.Done.class);
    // With a second admin, the first may step down.
    UserReply.Done demoted = (UserReply.Done) change("root", Role.EDITOR, null);
    assertThat(demoted.user().role()).isEqualTo(Role.EDITOR);
    assertThat(refusal(change("nobody", null, true)).code()).isEqualTo(ErrorCode.NOT_FOUND);
  }

  @Test
  void changesOfPasswordRoleOrStateCountAsNewCredentials() {
    add("root", Role.ADMIN);
    add("ann", Role.AUTHOR);
    assertThat(view(change("ann", null, null)).credentials()).isEqualTo(1);
    var renamed =
        view(
            kit.<UserReply>runCommand(
                    r -> new UserCommand.Change("ann", "Ann Lee", null, null, "root", r))
                .reply());
    assertThat(renamed.displayName()).isEqualTo("Ann Lee");
    assertThat(renamed.credentials()).as("a new name is not a new credential").isEqualTo(1);
    assertThat(view(change("ann", Role.EDITOR, null)).credentials()).isEqualTo(2);
    assertThat(view(change("ann", null, true)).credentials()).isEqualTo(3);
    assertThat(view(change("ann", null, true)).credentials()).as("no change").isEqualTo(3);
    var reset =
        kit.<UserReply>runCommand(r -> new UserCommand.SetPassword("ann", "new-hash", "root", r))
            .reply();
    assertThat(view(reset).credentials()).isEqualTo(4);
    assertThat(begin("ann").passwordHash()).isEqualTo("new-hash");
    // "Sign out everywhere": a new credentials count, nothing else.
    var ended = kit.<UserReply>runCommand(r -> new UserCommand.EndSessions("ann", "ann", r));
    assertThat(view(ended.reply()).credentials()).isEqualTo(5);
    assertThat(ended.event()).isInstanceOf(Users.SessionsEnded.class);
    assertThat(begin("ann").passwordHash()).isEqualTo("new-hash");
    assertThat(
            refusal(
                    kit.<UserReply>runCommand(r -> new UserCommand.EndSessions("nobody", "a", r))
                        .reply())
                .code())
        .isEqualTo(ErrorCode.NOT_FOUND);
    // Once changed, the account is no longer what its first add made: that add is refused.
    var root =
        kit.<UserReply>runCommand(r -> new UserCommand.SetPassword("root", "other", "root", r));
    assertThat(view(root.reply()).credentials()).isEqualTo(2);
    kit.<UserReply>runCommand(
        r -> new UserCommand.SetPassword("root", "$argon2id$hash-of-root", "root", r));
    assertThat(refusal(add("root", Role.ADMIN)).code()).isEqualTo(ErrorCode.ALREADY_EXISTS);
  }

  @Test
  void loginAttemptsAreCountedBeforeTheCheckAndLockTheAccountForTheWindow() {
    add("root", Role.ADMIN);
    assertThat(begin("ghost").user()).as("no such user").isNull();

    for (int i = 0; i < 3; i++) {
      LoginTicket t = begin("root");
      assertThat(t.lockedUntil()).isNull();
      assertThat(t.passwordHash()).isEqualTo("$argon2id$hash-of-root");
      clock.now = clock.now.plusSeconds(60);
    }
    // Three attempts in the window (one a minute): the fourth is refused until the first leaves.
    var locked = kit.<LoginTicket>runCommand(r -> new UserCommand.BeginLogin("root", r));
    assertThat(locked.hasNoEvents()).isTrue();
    assertThat(locked.reply().passwordHash()).isNull();
    assertThat(locked.reply().lockedUntil()).isEqualTo(NOW.plus(Duration.ofMinutes(15)));

    clock.now = NOW.plus(Duration.ofMinutes(15)).plusSeconds(1);
    assertThat(begin("root").lockedUntil()).as("the first attempt left the window").isNull();
    // A success forgets the attempts so far.
    kit.<UserReply>runCommand(r -> new UserCommand.LoginSucceeded("root", r));
    for (int i = 0; i < 3; i++) {
      assertThat(begin("root").lockedUntil()).isNull();
    }
    assertThat(begin("root").lockedUntil()).isNotNull();

    // The state survives a restart (replayed from the journal).
    kit.restart();
    assertThat(begin("root").lockedUntil()).isNotNull();
    var view = view(kit.<UserReply>runCommand(r -> new UserCommand.GetUser("root", r)).reply());
    assertThat(view.lastLogin()).isEqualTo(NOW.plus(Duration.ofMinutes(15)).plusSeconds(1));
  }

  @Test
  void aSignInReplacesTheHashItCheckedWithTheRehashAndEndsNoSession() {
    add("root", Role.ADMIN);
    long credentials =
        view(kit.<UserReply>runCommand(r -> new UserCommand.GetUser("root", r)).reply())
            .credentials();
    var in =
        kit.<UserReply>runCommand(
            r ->
                new UserCommand.LoginSucceeded(
                    "root", null, null, "$argon2id$hash-of-root", "$argon2id$newer-of-root", r));
    assertThat(in.events()).hasSize(2);
    assertThat(in.events().get(1))
        .isEqualTo(new Users.PasswordRehashed("root", "$argon2id$newer-of-root", NOW));
    assertThat(begin("root").passwordHash()).isEqualTo("$argon2id$newer-of-root");
    assertThat(view(in.reply()).credentials()).as("no session ends").isEqualTo(credentials);

    // A password set between the check and the sign-in stays: the rehash was of the old one.
    kit.<UserReply>runCommand(
        r -> new UserCommand.SetPassword("root", "$argon2id$set-by-admin", "admin", r));
    var late =
        kit.<UserReply>runCommand(
            r ->
                new UserCommand.LoginSucceeded(
                    "root", null, null, "$argon2id$newer-of-root", "$argon2id$stale-rehash", r));
    assertThat(late.events()).hasSize(1).allMatch(e -> e instanceof Users.LoggedIn);
    assertThat(begin("root").passwordHash()).isEqualTo("$argon2id$set-by-admin");

    kit.restart();
    assertThat(begin("root").passwordHash()).isEqualTo("$argon2id$set-by-admin");
  }

  static final String LAPTOP = "a".repeat(64);
  static final String LAPTOP_NEXT = "d".repeat(64);
  static final String PHONE = "b".repeat(64);
  static final String TABLET = "c".repeat(64);

  LoginTicket begin(String name, String device) {
    return kit.<LoginTicket>runCommand(r -> new UserCommand.BeginLogin(name, device, r)).reply();
  }

  /** A sign-in that gives the browser the new secret {@code device}, replacing {@code via}. */
  void succeeded(String name, String device, String via) {
    kit.<UserReply>runCommand(r -> new UserCommand.LoginSucceeded(name, device, via, r));
  }

  @Test
  void aTrustedDeviceIsNotHeldByTheAccountsLockoutButByItsOwn() {
    add("root", Role.ADMIN);
    succeeded("root", LAPTOP, null);
    // Someone elsewhere locks the account.
    for (int i = 0; i < 3; i++) {
      assertThat(begin("root").lockedUntil()).isNull();
    }
    assertThat(begin("root").lockedUntil()).as("the account is locked").isNotNull();
    assertThat(begin("root", PHONE).lockedUntil())
        .as("a device the account never signed in from is held as the account")
        .isNotNull();

    // The owner's browser still gets a ticket, and its attempt is counted against it alone.
    var fromLaptop =
        kit.<LoginTicket>runCommand(r -> new UserCommand.BeginLogin("root", LAPTOP, r));
    assertThat(fromLaptop.reply().lockedUntil()).isNull();
    assertThat(fromLaptop.reply().passwordHash()).isEqualTo("$argon2id$hash-of-root");
    assertThat(fromLaptop.event()).isEqualTo(new Users.LoginAttempted("root", NOW, LAPTOP));
    // Guessing from a stolen device cookie locks that device after the same number of attempts.
    assertThat(begin("root", LAPTOP).lockedUntil()).isNull();
    assertThat(begin("root", LAPTOP).lockedUntil()).isNull();
    assertThat(begin("root", LAPTOP).lockedUntil()).as("the device is locked").isNotNull();

    // The owner signs in through the laptop (a minute later, its new secret replacing the old):
    // the laptop's attempts are forgotten, the account's are not, so the one guessing elsewhere
    // gets no fresh count.
    clock.now = NOW.plusSeconds(60);
    succeeded("root", LAPTOP_NEXT, LAPTOP);
    assertThat(begin("root").lockedUntil()).as("still locked for others").isNotNull();
    assertThat(begin("root", LAPTOP).lockedUntil()).as("the old secret is not trusted").isNotNull();
    assertThat(kit.getState().accounts().get("root").devices())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.hash()).isEqualTo(LAPTOP_NEXT);
              assertThat(d.attempts()).isEmpty();
            });
    assertThat(begin("root", LAPTOP_NEXT).lockedUntil()).isNull();

    // A sign-in not through a known device forgets the account's attempts, as before devices.
    succeeded("root", PHONE, "f".repeat(64));
    assertThat(begin("root").lockedUntil()).isNull();

    // The last two devices are kept, the least recently signed in from forgotten first.
    succeeded("root", TABLET, null);
    assertThat(kit.getState().accounts().get("root").devices())
        .extracting(Users.Device::hash)
        .containsExactly(PHONE, TABLET);
    // A malformed device is not kept.
    succeeded("root", "not-a-hash", null);
    assertThat(kit.getState().accounts().get("root").devices()).hasSize(2);

    // Trust ends 90 days after a device's last sign-in; the state survives a restart.
    for (int i = 0; i < 3; i++) {
      begin("root");
    }
    kit.restart();
    assertThat(begin("root").lockedUntil()).isNotNull();
    assertThat(begin("root", TABLET).lockedUntil()).isNull();
    clock.now = clock.now.plus(Duration.ofDays(90));
    for (int i = 0; i < 3; i++) {
      begin("root");
    }
    assertThat(begin("root", TABLET).lockedUntil())
        .as("no longer trusted: held as the account")
        .isNotNull();

    // A new password trusts no browser of before.
    succeeded("root", TABLET, null);
    kit.<UserReply>runCommand(r -> new UserCommand.SetPassword("root", "h2", "admin", r));
    assertThat(kit.getState().accounts().get("root").devices()).isEmpty();
    // Nor does signing out everywhere.
    succeeded("root", TABLET, null);
    kit.<UserReply>runCommand(r -> new UserCommand.EndSessions("root", "root", r));
    assertThat(kit.getState().accounts().get("root").devices()).isEmpty();
  }

  @Test
  void oneBrowserSignedInToTwoAccountsStaysTrustedByBoth() {
    add("root", Role.ADMIN);
    add("ann", Role.EDITOR);
    succeeded("root", LAPTOP, null);
    // The same browser signs in to ann: it came with LAPTOP and leaves with LAPTOP_NEXT.
    succeeded("ann", LAPTOP_NEXT, LAPTOP);
    assertThat(kit.getState().accounts().get("root").devices())
        .extracting(Users.Device::hash)
        .containsExactly(LAPTOP_NEXT);
    for (int i = 0; i < 3; i++) {
      begin("root");
    }
    assertThat(begin("root").lockedUntil()).isNotNull();
    assertThat(begin("root", LAPTOP_NEXT).lockedUntil())
        .as("root still trusts the browser under its new secret")
        .isNull();
    assertThat(begin("root", LAPTOP).lockedUntil()).as("not its old one").isNotNull();
  }

  @Test
  void aSignInThroughADeviceNoLongerTrustedForgetsTheAccountsCount() {
    add("root", Role.ADMIN);
    succeeded("root", LAPTOP, null);
    clock.now = NOW.plus(Duration.ofDays(91));
    for (int i = 0; i < 2; i++) {
      begin("root", LAPTOP); // counted against the account: the laptop is no longer trusted
    }
    succeeded("root", LAPTOP_NEXT, LAPTOP);
    assertThat(kit.getState().accounts().get("root").attempts()).isEmpty();
  }

  @Test
  void badDeviceSettingsAreRefusedNamingTheSetting() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                new Users.Settings(
                    3,
                    3,
                    Duration.ofMinutes(15),
                    50,
                    -1,
                    Duration.ofDays(90),
                    3,
                    Duration.ofHours(1)))
        .hasMessageContaining("quire.content.users.trusted-devices")
        .hasMessageContaining("-1");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                new Users.Settings(
                    3, 3, Duration.ofMinutes(15), 50, 10, Duration.ZERO, 3, Duration.ofHours(1)))
        .hasMessageContaining("quire.content.users.device-trust");
  }

  @Test
  void withNoTrustedDevicesEveryAttemptCountsAgainstTheAccount() {
    var none =
        EventSourcedBehaviorTestKit.<UserCommand, Users.Event, Users.State>create(
            KIT.system(),
            Users.create(
                "site",
                new Users.Settings(
                    3,
                    3,
                    Duration.ofMinutes(15),
                    50,
                    0,
                    Duration.ofDays(90),
                    3,
                    Duration.ofHours(1)),
                clock));
    none.<UserReply>runCommand(r -> new UserCommand.Add("root", null, Role.ADMIN, "h", "s", r));
    none.<UserReply>runCommand(r -> new UserCommand.LoginSucceeded("root", LAPTOP, null, r));
    for (int i = 0; i < 3; i++) {
      none.<LoginTicket>runCommand(r -> new UserCommand.BeginLogin("root", r));
    }
    assertThat(
            none.<LoginTicket>runCommand(r -> new UserCommand.BeginLogin("root", LAPTOP, r))
                .reply()
                .lockedUntil())
        .isNotNull();
  }

  static UserReply.Refused refusal(UserReply reply) {
    assertThat(reply).isInstanceOf(UserReply.Refused.class);
    return (UserReply.Refused) reply;
  }

  static UserCommand.UserView view(UserReply reply) {
    assertThat(reply).isInstanceOf(UserReply.Done.class);
    return ((UserReply.Done) reply).user();
  }

  // ---- API tokens

  static final String HASH_A = "a".repeat(64);
  static final String HASH_B = "b".repeat(64);

  UserCommand.TokenReply issue(String user, String id, String name, String hash) {
    return kit.<UserCommand.TokenReply>runCommand(
            r -> new UserCommand.IssueToken(user, id, name, hash, null, "admin", r))
        .reply();
  }

  UserCommand.UserView checkToken(String id, String hash) {
    return kit.<UserCommand.TokenCheck>runCommand(r -> new UserCommand.CheckToken(id, hash, r))
        .reply()
        .user();
  }

  @Test
  void aTokenActsForItsUserWithTheirRoleNowUntilRevokedOrTheUserIsDisabled() {
    add("admin", Role.ADMIN);
    add("ann", Role.AUTHOR);
    var issued = issue("ann", "0123456789abcdef", "  Deploy script ", HASH_A);
    assertThat(issued).isInstanceOf(UserCommand.TokenReply.Tokens.class);
    var tokens = (UserCommand.TokenReply.Tokens) issued;
    assertThat(tokens.issued().name()).isEqualTo("Deploy script");
    assertThat(tokens.issued().createdBy()).isEqualTo("admin");
    assertThat(tokens.issued().createdAt()).isEqualTo(NOW);
    assertThat(tokens.tokens())
        .extracting(UserCommand.TokenView::id)
        .containsExactly("0123456789abcdef");

    assertThat(checkToken("0123456789abcdef", HASH_A).username()).isEqualTo("ann");
    assertThat(checkToken("0123456789abcdef", HASH_A).role()).isEqualTo(Role.AUTHOR);
    // The wrong secret, an unknown id, or nothing: no one.
    assertThat(checkToken("0123456789abcdef", HASH_B)).isNull();
    assertThat(checkToken("fedcba9876543210", HASH_A)).isNull();
    assertThat(checkToken(null, null)).isNull();

    // A new role counts at once; a new password does not end the token.
    change("ann", Role.EDITOR, null);
    kit.<UserReply>runCommand(r -> new UserCommand.SetPassword("ann", "$argon2id$n", "ann", r));
    assertThat(checkToken("0123456789abcdef", HASH_A).role()).isEqualTo(Role.EDITOR);

    change("ann", null, true);
    assertThat(checkToken("0123456789abcdef", HASH_A)).isNull();
    change("ann", null, false);
    assertThat(checkToken("0123456789abcdef", HASH_A).username()).isEqualTo("ann");

    var revoked =
        kit.<UserCommand.TokenReply>runCommand(
                r -> new UserCommand.RevokeToken("ann", "0123456789abcdef", "ann", r))
            .reply();
    assertThat(((UserCommand.TokenReply.Tokens) revoked).tokens()).isEmpty();
    assertThat(checkToken("0123456789abcdef", HASH_A)).isNull();
    var again =
        kit.<UserCommand.TokenReply>runCommand(
                r -> new UserCommand.RevokeToken("ann", "0123456789abcdef", "ann", r))
            .reply();
    assertThat(again).isInstanceOf(UserCommand.TokenReply.Refused.class);
    assertThat(((UserCommand.TokenReply.Refused) again).code()).isEqualTo(ErrorCode.NOT_FOUND);
    // A revoked token's id is never issued again, with any secret (a form sent twice, the first
    // token revoked in between, would otherwise make a second token under the first one's id).
    assertThat(refusal(issue("ann", "0123456789abcdef", "Deploy script", HASH_B)))
        .isEqualTo(ErrorCode.ALREADY_EXISTS + " id");
    assertThat(refusal(issue("admin", "0123456789abcdef", "Other", HASH_A)))
        .isEqualTo(ErrorCode.ALREADY_EXISTS + " id");

    // Restarted from its journal: the same answers.
    kit.restart();
    assertThat(checkToken("0123456789abcdef", HASH_A)).isNull();
    assertThat(refusal(issue("ann", "0123456789abcdef", "Deploy script", HASH_B)))
        .isEqualTo(ErrorCode.ALREADY_EXISTS + " id");
  }

  @Test
  void tokensAreBoundedNamedAndTheirIdsUnique() {
    add("ann", Role.AUTHOR);
    add("bob", Role.EDITOR);
    assertThat(issue("ann", "0000000000000001", "one", HASH_A))
        .isInstanceOf(UserCommand.TokenReply.Tokens.class);
    // A retry of the same issue: done, nothing new.
    assertThat(issue("ann", "0000000000000001", "one", HASH_A))
        .isInstanceOf(UserCommand.TokenReply.Tokens.class);
    assertThat(refusal(issue("bob", "0000000000000001", "other", HASH_B)))
        .isEqualTo(ErrorCode.ALREADY_EXISTS + " id");
    assertThat(refusal(issue("ann", "0000000000000002", " ", HASH_B))).isEqualTo("INVALID name");
    assertThat(refusal(issue("ann", "0000000000000002", "x".repeat(101), HASH_B)))
        .isEqualTo("INVALID name");
    assertThat(refusal(issue("ann", "0000000000000002", "a\u0007b", HASH_B)))
        .isEqualTo("INVALID name");
    assertThat(refusal(issue("ann", "not-hex", "two", HASH_B))).isEqualTo("INVALID id");
    assertThat(refusal(issue("ann", "0000000000000002", "two", "secret-in-clear")))
        .isEqualTo("INVALID secretHash");
    assertThat(refusal(issue("nobody", "0000000000000002", "two", HASH_B)))
        .isEqualTo("NOT_FOUND username");
    issue("ann", "0000000000000002", "two", HASH_B);
    issue("ann", "0000000000000003", "three", HASH_B);
    var full = issue("ann", "0000000000000004", "four", HASH_B);
    assertThat(refusal(full)).isEqualTo("INVALID name");
    assertThat(((UserCommand.TokenReply.Refused) full).message())
        .contains("quire.content.users.max-tokens");
    var list =
        kit.<UserCommand.TokenReply>runCommand(r -> new UserCommand.ListTokens("ann", r)).reply();
    assertThat(((UserCommand.TokenReply.Tokens) list).tokens())
        .extracting(UserCommand.TokenView::name)
        .containsExactly("one", "two", "three");
  }

  @Test
  void anExpiringTokenWorksUntilItsTimeAndNoLonger() {
    add("ann", Role.AUTHOR);
    var in = NOW.plus(Duration.ofDays(30));
    var issued =
        kit.<UserCommand.TokenReply>runCommand(
                r ->
                    new UserCommand.IssueToken(
                        "ann", "00000000000000aa", "a month", HASH_A, in, "ann", r))
            .reply();
    assertThat(((UserCommand.TokenReply.Tokens) issued).issued().expiresAt()).isEqualTo(in);
    assertThat(checkToken("00000000000000aa", HASH_A).username()).isEqualTo("ann");
    clock.now = in.minusSeconds(1);
    assertThat(checkToken("00000000000000aa", HASH_A)).isNotNull();
    clock.now = in;
    assertThat(checkToken("00000000000000aa", HASH_A)).as("expired").isNull();
    var past =
        kit.<UserCommand.TokenReply>runCommand(
                r ->
                    new UserCommand.IssueToken(
                        "ann", "00000000000000bb", "too late", HASH_B, in, "ann", r))
            .reply();
    assertThat(refusal(past)).isEqualTo("INVALID expiresAt");
    var forever =
        kit.<UserCommand.TokenReply>runCommand(
                r ->
                    new UserCommand.IssueToken(
                        "ann",
                        "00000000000000bb",
                        "too long",
                        HASH_B,
                        java.time.Instant.MAX,
                        "ann",
                        r))
            .reply();
    assertThat(refusal(forever)).as("a century at most").isEqualTo("INVALID expiresAt");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                new Users.Settings(
                    3, 3, Duration.ofMinutes(15), 50, 2, Duration.ofDays(90), 3, Duration.ZERO))
        .hasMessageContaining("quire.content.users.token-use-resolution");
  }

  @Test
  void aTokensLastUseIsKeptAtMostOncePerResolution() {
    add("ann", Role.AUTHOR);
    issue("ann", "00000000000000cc", "used", HASH_A);
    java.util.function.Supplier<Instant> lastUsed =
        () ->
            ((UserCommand.TokenReply.Tokens)
                    kit.<UserCommand.TokenReply>runCommand(
                            r -> new UserCommand.ListTokens("ann", r))
                        .reply())
                .tokens()
                .get(0)
                .lastUsed();
    assertThat(lastUsed.get()).as("not used yet").isNull();
    var first =
        kit.<UserCommand.TokenCheck>runCommand(
            r -> new UserCommand.CheckToken("00000000000000cc", HASH_A, r));
    assertThat(first.events()).hasSize(1);
    assertThat(lastUsed.get()).isEqualTo(NOW);
    clock.now = NOW.plus(Duration.ofMinutes(59));
    var soon =
        kit.<UserCommand.TokenCheck>runCommand(
            r -> new UserCommand.CheckToken("00000000000000cc", HASH_A, r));
    assertThat(soon.events()).as("within the hour: nothing journaled").isEmpty();
    assertThat(soon.reply().user().username()).isEqualTo("ann");
    clock.now = NOW.plus(Duration.ofHours(1));
    kit.<UserCommand.TokenCheck>runCommand(
        r -> new UserCommand.CheckToken("00000000000000cc", HASH_A, r));
    assertThat(lastUsed.get()).isEqualTo(NOW.plus(Duration.ofHours(1)));
    // A refused check is not a use.
    clock.now = NOW.plus(Duration.ofHours(3));
    var wrong =
        kit.<UserCommand.TokenCheck>runCommand(
            r -> new UserCommand.CheckToken("00000000000000cc", HASH_B, r));
    assertThat(wrong.events()).isEmpty();
    assertThat(wrong.reply().user()).isNull();
  }

  static String refusal(UserCommand.TokenReply reply) {
    assertThat(reply).isInstanceOf(UserCommand.TokenReply.Refused.class);
    var no = (UserCommand.TokenReply.Refused) reply;
    return no.code() + " " + no.field();
  }

  /**
   * A bundle's accounts: exported whole (hashes included, never printed), restored into another
   * directory as they were (role, state, password, tokens that still work), those it has kept, and
   * a bad or too large set refused whole with nothing added.
   */
  @Test
  void accountsExportWholeAndRestoreIntoAnotherDirectoryAsTheyWere() {
    // Hashes as the site makes them (a restore takes nothing else).
    String annHash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$" + "A".repeat(43);
    kit.<UserReply>runCommand(
        r -> new UserCommand.Add("ann", null, Role.EDITOR, annHash, "setup", r));
    kit.<UserReply>runCommand(
        r -> new UserCommand.Add("cy", null, Role.AUTHOR, annHash.replace('A', 'D'), "setup", r));
    change("cy", null, true);
    issue("ann", "00000000000000a1", "the build", HASH_A);
    var first =
        kit.<UserCommand.Accounts>runCommand(r -> new UserCommand.ExportAccounts(null, 1, r))
            .reply();
    // A page at a time: the first holds ann, and says there is more.
    assertThat(first.accounts())
        .extracting(UserCommand.AccountRecord::username)
        .containsExactly("ann");
    assertThat(first.more()).isTrue();
    var second =
        kit.<UserCommand.Accounts>runCommand(r -> new UserCommand.ExportAccounts("ann", 10, r))
            .reply();
    assertThat(second.more()).isFalse();
    List<UserCommand.AccountRecord> exported = new java.util.ArrayList<>(first.accounts());
    exported.addAll(second.accounts());
    assertThat(exported)
        .extracting(UserCommand.AccountRecord::username)
        .containsExactly("ann", "cy");
    UserCommand.AccountRecord ann = exported.get(0);
    assertThat(ann.passwordHash()).isEqualTo(annHash);
    assertThat(ann.tokens())
        .singleElement()
        .satisfies(t -> assertThat(t.secretHash()).isEqualTo(HASH_A));
    assertThat(exported.get(1).disabled()).isTrue();
    assertThat(ann.toString() + ann.tokens()).doesNotContain("argon2").doesNotContain(HASH_A);

    var other =
        EventSourcedBehaviorTestKit.<UserCommand, Users.Event, Users.State>create(
            KIT.system(),
            Users.create(
                // Another site: a journal of its own.
                "restored-site-" + java.util.UUID.randomUUID(), SETTINGS, clock));
    other.<UserReply>runCommand(
        r -> new UserCommand.Add("admin", null, Role.ADMIN, "$argon2id$hash-of-admin", "setup", r));
    var restored =
        other
            .<UserCommand.Restored>runCommand(
                r -> new UserCommand.RestoreAccounts(exported, "bundle import", r))
            .reply();
    assertThat(restored.problem()).isNull();
    assertThat(restored.added()).containsExactly("ann", "cy");
    assertThat(restored.tokens()).isEqualTo(1);
    var ticket = other.<LoginTicket>runCommand(r -> new UserCommand.BeginLogin("ann", r)).reply();
    assertThat(ticket.passwordHash()).isEqualTo(annHash);
    assertThat(ticket.user().role()).isEqualTo(Role.EDITOR);
    var cy = other.<UserReply>runCommand(r -> new UserCommand.GetUser("cy", r)).reply();
    assertThat(((UserReply.Done) cy).user().disabled()).isTrue();
    var check =
        other
            .<UserCommand.TokenCheck>runCommand(
                r -> new UserCommand.CheckToken("00000000000000a1", HASH_A, r))
            .reply();
    assertThat(check.user()).as("the token still works").isNotNull();
    assertThat(check.user().username()).isEqualTo("ann");

    // Again: both kept as the site has them, nothing stored.
    var again =
        other.<UserCommand.Restored>runCommand(
            r -> new UserCommand.RestoreAccounts(exported, "bundle import", r));
    assertThat(again.reply().kept()).containsExactly("ann", "cy");
    assertThat(again.events()).isEmpty();

    // A bundle's "admin" (another hash, another role, disabled) never takes over the site's.
    var rival =
        new UserCommand.AccountRecord(
            "admin",
            "Mallory",
            Role.AUTHOR,
            true,
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$" + "B".repeat(43),
            NOW,
            List.of());
    var takeover =
        other.<UserCommand.Restored>runCommand(
            r -> new UserCommand.RestoreAccounts(List.of(rival), "bundle import", r));
    assertThat(takeover.reply().kept()).containsExactly("admin");
    assertThat(takeover.events()).isEmpty();
    var adminTicket =
        other.<LoginTicket>runCommand(r -> new UserCommand.BeginLogin("admin", r)).reply();
    assertThat(adminTicket.passwordHash()).isEqualTo("$argon2id$hash-of-admin");
    assertThat(adminTicket.user().role()).isEqualTo(Role.ADMIN);
    assertThat(adminTicket.user().disabled()).isFalse();

    // One more than the limit (3), or one bad hash: refused whole, nothing added.
    var dan =
        new UserCommand.AccountRecord("dan", null, Role.AUTHOR, false, annHash, NOW, List.of());
    var tooMany =
        other.<UserCommand.Restored>runCommand(
            r -> new UserCommand.RestoreAccounts(List.of(dan), "bundle import", r));
    assertThat(tooMany.reply().problem()).contains("limit of 3");
    assertThat(tooMany.events()).isEmpty();
    // A hash asking two gigabytes of each sign-in is refused as a plain password is.
    var greedy =
        new UserCommand.AccountRecord(
            "gus",
            null,
            Role.ADMIN,
            false,
            "$argon2id$v=19$m=2097152,t=2,p=1$c29tZXNhbHQ$" + "C".repeat(43),
            NOW,
            List.of());
    var tooHeavy =
        kit.<UserCommand.Restored>runCommand(
            r -> new UserCommand.RestoreAccounts(List.of(greedy), "bundle import", r));
    assertThat(tooHeavy.reply().problem()).contains("'gus'").contains("m=1048576");
    assertThat(tooHeavy.events()).isEmpty();
    var plain =
        new UserCommand.AccountRecord(
            "eve", null, Role.ADMIN, false, "a-plain-password", NOW, List.of());
    var bad =
        kit.<UserCommand.Restored>runCommand(
            r -> new UserCommand.RestoreAccounts(List.of(plain), "bundle import", r));
    assertThat(bad.reply().problem())
        .contains("'eve'")
        .contains("not an Argon2id hash")
        .doesNotContain("a-plain-password");
    assertThat(bad.events()).isEmpty();

    // A token whose id an account of the site holds is left out; the account comes all the same.
    var dee =
        new UserCommand.AccountRecord(
            "dee",
            null,
            Role.AUTHOR,
            false,
            annHash,
            NOW,
            List.of(
                new UserCommand.TokenRecord(
                    "00000000000000a1", "a copy", HASH_B, NOW, "admin", null)));
    var clash =
        kit.<UserCommand.Restored>runCommand(
                r -> new UserCommand.RestoreAccounts(List.of(dee), "bundle import", r))
            .reply();
    assertThat(clash.added()).containsExactly("dee");
    assertThat(clash.tokens()).isZero();
    assertThat(clash.tokensLeftOut()).containsExactly("00000000000000a1");
    assertThat(checkToken("00000000000000a1", HASH_B)).as("still ann's, not dee's").isNull();
    assertThat(checkToken("00000000000000a1", HASH_A).username()).isEqualTo("ann");
  }
}
