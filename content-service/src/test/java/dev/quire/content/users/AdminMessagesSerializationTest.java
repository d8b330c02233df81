package dev.quire.content.users;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.protocol.ContentQuery;
import dev.quire.protocol.ErrorCode;
import dev.quire.protocol.Role;
import dev.quire.protocol.SessionCommand;
import dev.quire.protocol.UserCommand;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The admin's messages cross the cluster between a gateway and a content node: each survives
 * Pekko's Jackson serialization as the same value (answers with and without their optional parts).
 */
class AdminMessagesSerializationTest {

  static ActorTestKit kit;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("admin-messages");
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void usersSessionsAndPreviewsRoundTrip() {
    SerializationTestKit s = new SerializationTestKit(kit.system());
    Instant t = Instant.parse("2026-12-04T10:15:30.123456Z");
    var userReplies = kit.<UserCommand.UserReply>createTestProbe().ref();
    var view = new UserCommand.UserView("ann", "Ann Lée", Role.EDITOR, false, 3, t, null);
    for (Object m :
        List.of(
            new UserCommand.Add("ann", "Ann", Role.AUTHOR, "$argon2id$x", "admin", userReplies),
            new UserCommand.Change("ann", null, Role.ADMIN, true, "admin", userReplies),
            new UserCommand.SetPassword("ann", "$argon2id$y", "ann", userReplies),
            new UserCommand.BeginLogin("ann", kit.<UserCommand.LoginTicket>createTestProbe().ref()),
            new UserCommand.LoginSucceeded("ann", userReplies),
            new UserCommand.BeginLogin(
                "ann", "a".repeat(64), kit.<UserCommand.LoginTicket>createTestProbe().ref()),
            new UserCommand.LoginSucceeded("ann", "a".repeat(64), "b".repeat(64), userReplies),
            new UserCommand.LoginSucceeded(
                "ann", null, null, "$argon2id$old", "$argon2id$new", userReplies),
            new Users.PasswordRehashed("ann", "$argon2id$new", t),
            new Users.LoginAttempted("ann", t, "a".repeat(64)),
            new Users.LoggedIn("ann", t, "a".repeat(64), "b".repeat(64)),
            new Users.LoggedIn("ann", t),
            new Users.State(
                java.util.Map.of(
                    "ann",
                    new Users.Account(
                        "ann",
                        "Ann",
                        Role.AUTHOR,
                        "$argon2id$x",
                        false,
                        2,
                        t,
                        t,
                        List.of(t),
                        List.of(new Users.Device("a".repeat(64), t, List.of(t))),
                        List.of(
                            new Users.ApiKey(
                                "0123456789abcdef",
                                "Deploy script",
                                "c".repeat(64),
                                t,
                                "admin",
                                t.plusSeconds(86_400),
                                t)))),
                java.util.Set.of("fedcba9876543210")),
            new UserCommand.IssueToken(
                "ann",
                "0123456789abcdef",
                "Deploy script",
                "c".repeat(64),
                t.plusSeconds(86_400),
                "admin",
                kit.<UserCommand.TokenReply>createTestProbe().ref()),
            new UserCommand.RevokeToken(
                "ann",
                "0123456789abcdef",
                "admin",
                kit.<UserCommand.TokenReply>createTestProbe().ref()),
            new UserCommand.ListTokens("ann", kit.<UserCommand.TokenReply>createTestProbe().ref()),
            new UserCommand.CheckToken(
                "0123456789abcdef",
                "c".repeat(64),
                kit.<UserCommand.TokenCheck>createTestProbe().ref()),
            new UserCommand.TokenReply.Tokens(
                view,
                List.of(
                    new UserCommand.TokenView(
                        "0123456789abcdef", "Deploy script", t, "admin", null, t)),
                new UserCommand.TokenView(
                    "0123456789abcdef", "Deploy script", t, "admin", null, null)),
            new UserCommand.TokenReply.Refused(ErrorCode.NOT_FOUND, "id", "no"),
            new UserCommand.TokenCheck(view),
            new UserCommand.TokenCheck(null),
            new Users.TokenIssued(
                "ann", "0123456789abcdef", "Deploy script", "c".repeat(64), t, "admin", null),
            new Users.TokenIssued(
                "ann",
                "0123456789abcdef",
                "Deploy script",
                "c".repeat(64),
                t,
                "admin",
                t.plusSeconds(86_400)),
            new Users.TokenRevoked("ann", "0123456789abcdef", t, "admin"),
            new Users.TokenUsed("ann", "0123456789abcdef", t),
            new UserCommand.GetUser("ann", userReplies),
            new UserCommand.EndSessions("ann", "admin", userReplies),
            new Users.SessionsEnded("ann", t, "admin"),
            new UserCommand.ListUsers(kit.<UserCommand.UserList>createTestProbe().ref()),
            new UserCommand.UserReply.Done(view),
            new UserCommand.UserReply.Refused(ErrorCode.NOT_FOUND, "username", "no"),
            new UserCommand.UserList(List.of(view)),
            new UserCommand.LoginTicket(view, "$argon2id$z", null),
            new UserCommand.LoginTicket(view, null, t),
            new UserCommand.LoginTicket(null, null, null),
            new SessionCommand.Open(
                "ann", 3, t, kit.<SessionCommand.SessionState>createTestProbe().ref()),
            new SessionCommand.Open(
                "ann",
                3,
                t,
                java.time.Duration.ofHours(2),
                kit.<SessionCommand.SessionState>createTestProbe().ref()),
            new AdminSession.SessionOpened("ann", 3, t, t, java.time.Duration.ofHours(2)),
            new AdminSession.SessionSeen(t),
            new AdminSession.State("ann", 3, t, false, java.time.Duration.ofHours(2), t),
            new SessionCommand.Check(kit.<SessionCommand.SessionState>createTestProbe().ref()),
            new SessionCommand.Close(kit.<SessionCommand.SessionState>createTestProbe().ref()),
            new SessionCommand.SessionState(true, "ann", 3, t),
            SessionCommand.SessionState.CLOSED,
            new ContentQuery.ListItems(
                dev.quire.protocol.ContentKind.POST,
                null,
                null,
                "caf\u00e9 50%",
                2,
                25,
                kit.<ContentQuery.Page>createTestProbe().ref()),
            new ContentQuery.ReferencedBefore(
                "/media/" + "ab".repeat(32) + "/",
                5,
                kit.<ContentQuery.Page>createTestProbe().ref()),
            new ContentQuery.Preview(
                "# T\u00edtulo", kit.<ContentQuery.Rendered>createTestProbe().ref()),
            new ContentQuery.Rendered("<h1>T\u00edtulo</h1>", 1),
            new dev.quire.protocol.MenuCommand.Put(
                new dev.quire.protocol.SiteMenu(
                    "main", List.of(new dev.quire.protocol.SiteMenu.Link("Caf\u00e9", "/cafe/"))),
                "ed",
                kit.<dev.quire.protocol.MenuCommand.MenuReply>createTestProbe().ref()),
            new dev.quire.protocol.MenuCommand.Remove(
                "main",
                "ed",
                kit.<dev.quire.protocol.MenuCommand.MenuReply>createTestProbe().ref()),
            new dev.quire.protocol.MenuCommand.Get(
                3, kit.<dev.quire.protocol.MenuCommand.MenuTable>createTestProbe().ref()),
            new dev.quire.protocol.MenuCommand.MenuTable(3, true, null),
            new dev.quire.protocol.MenuCommand.MenuTable(
                4, false, List.of(new dev.quire.protocol.SiteMenu("main", List.of()))),
            new dev.quire.protocol.MenuCommand.MenuReply.Stored(4),
            new dev.quire.protocol.MenuCommand.MenuReply.Refused(ErrorCode.INVALID, "name", "x"))) {
      assertThat(s.verifySerialization(m, true)).as(m.toString()).isEqualTo(m);
    }
  }

  /**
   * An item's snapshot, and its state sent to a gateway, stored before they kept who started the
   * item read as starting with no one known (any author may edit it, as then), not as failures.
   */
  @Test
  void anItemStateAndSnapshotFromBeforeCreatedByWasKeptReadWithoutIt() throws Exception {
    var fields =
        new dev.quire.protocol.ContentFields("T", "t", "b", "", List.of(), "", "", null, "");
    Instant at = Instant.parse("2026-12-01T10:00:00Z");
    var state =
        new dev.quire.content.Content.State(
            dev.quire.protocol.ContentKind.POST,
            dev.quire.protocol.ContentStatus.DRAFT,
            1,
            fields,
            at,
            at,
            null,
            null,
            List.of(),
            "ann");
    Object[] values = {state, state.snapshot("c1")};
    var old =
        new dev.quire.content.Content.State(
            state.kind(), state.status(), 1, fields, at, at, null, null, List.of());
    Object[] before = {old, old.snapshot("c1")};
    for (int i = 0; i < values.length; i++) {
      assertThat(readWithout(values[i], ",\"createdBy\":\"ann\"")).isEqualTo(before[i]);
    }
  }

  /**
   * A snapshot of the user directory stored before it kept the ids of revoked tokens reads as
   * having revoked none (not as a failure to recover the directory).
   */
  @Test
  void aDirectorySnapshotFromBeforeRevokedIdsWereKeptReadsAsNoneRevoked() throws Exception {
    Users.State state = new Users.State(java.util.Map.of(), java.util.Set.of("fedcba9876543210"));
    Object read = readWithout(state, ",\"revokedTokens\":[\"fedcba9876543210\"]");
    assertThat(read).isEqualTo(new Users.State(java.util.Map.of()));
    assertThat(((Users.State) read).revokedTokens()).isEmpty();
  }

  /**
   * {@code value} as Pekko's Jackson serializer writes it, with {@code part} (a field it holds, as
   * written) taken out, read back: what a node reads of that value stored before the field existed.
   */
  Object readWithout(Object value, String part) throws Exception {
    var serialization = org.apache.pekko.serialization.SerializationExtension.get(kit.system());
    var serializer = serialization.findSerializerFor(value);
    String manifest = org.apache.pekko.serialization.Serializers.manifestFor(serializer, value);
    String json = new String(serializer.toBinary(value), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(json).contains(part);
    String old = json.replace(part, "");
    return serialization
        .deserialize(
            old.getBytes(java.nio.charset.StandardCharsets.UTF_8),
            serializer.identifier(),
            manifest)
        .get();
  }
}
