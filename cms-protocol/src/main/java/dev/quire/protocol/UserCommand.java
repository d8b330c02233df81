package dev.quire.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * Commands to the site's user directory: one sharded entity ({@link #SITE}) journals every account
 * change and every login attempt, so a lockout holds whichever gateway the attempts reach.
 * Passwords arrive already hashed (Argon2id, by the gateway, off the actors' threads); the
 * directory never sees one in clear.
 */
public interface UserCommand extends QuireSerializable {

  EntityTypeKey<UserCommand> ENTITY_KEY = EntityTypeKey.create(UserCommand.class, "Users");

  /** The entity id of the site's one user directory. */
  String SITE = "site";

  /** Lowercase letters, digits, dot, dash and underscore; 1 to 64 of them. */
  Pattern USERNAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

  /**
   * Names a new account may not take: what the journal records as the actor of a change made with
   * the site's token ("api") or without one ("unknown"). A user so named was taken for the one who
   * started every such item: they edited and read its drafts.
   */
  java.util.Set<String> RESERVED_USERNAMES = java.util.Set.of("api", "unknown");

  int MAX_DISPLAY_NAME = 100;

  /**
   * A new account. A name that is taken is refused, except by the very same add again (same role
   * and password hash, whose salt no other add has, the account unchanged since): a retry whose
   * first answer was lost, answered as done.
   */
  record Add(
      String username,
      String displayName,
      Role role,
      String passwordHash,
      String actor,
      ActorRef<UserReply> replyTo)
      implements UserCommand {}

  /** Changes what is not null; a change of role or of disabled ends the user's sessions. */
  record Change(
      String username,
      String displayName,
      Role role,
      Boolean disabled,
      String actor,
      ActorRef<UserReply> replyTo)
      implements UserCommand {}

  /** A new password hash; ends the user's sessions. */
  record SetPassword(
      String username, String passwordHash, String actor, ActorRef<UserReply> replyTo)
      implements UserCommand {}

  /**
   * Ends every session of the user, on every gateway ("sign out everywhere"): their {@link
   * UserView#credentials()} count moves on, and no browser is trusted any more (see {@link
   * LoginSucceeded}); password and role unchanged.
   */
  record EndSessions(String username, String actor, ActorRef<UserReply> replyTo)
      implements UserCommand {}

  /**
   * Counts a login attempt before the password is checked, and answers the hash to check it
   * against; past the attempts allowed in the window it answers {@code lockedUntil} instead, and
   * counts nothing. Attempts are counted first so that guesses sent at once through many gateways
   * are held to the same limit. {@code device}: the {@link #DEVICE_HASH} of the browser's device
   * secret, or null; when the account trusts it (see {@link LoginSucceeded}) the attempt counts
   * against that device instead of the account.
   */
  record BeginLogin(String username, String device, ActorRef<LoginTicket> replyTo)
      implements UserCommand {
    /** An attempt from a browser without a device secret: counted against the account. */
    public BeginLogin(String username, ActorRef<LoginTicket> replyTo) {
      this(username, null, replyTo);
    }
  }

  /**
   * The password was right. {@code device} (a {@link #DEVICE_HASH}, or null) is trusted from now
   * on: a later {@link BeginLogin} that names it counts against that device alone, so a lockout of
   * the account by someone else's guesses does not keep its owner out of the browser they signed in
   * from before. {@code via}: the device the sign-in came from (null: none), which {@code device},
   * a fresh secret, replaces; when the account knew it, only its attempts are forgotten, otherwise
   * the account's. {@code rehash} (or null): the same password hashed with the site's present
   * Argon2 parameters, sent when the one it was checked against, {@code rehashFrom}, has older
   * ones; it replaces that hash, and only that one (a password set since stays), without ending any
   * session.
   */
  record LoginSucceeded(
      String username,
      String device,
      String via,
      String rehashFrom,
      String rehash,
      ActorRef<UserReply> replyTo)
      implements UserCommand {
    public LoginSucceeded(String username, ActorRef<UserReply> replyTo) {
      this(username, null, null, null, null, replyTo);
    }

    public LoginSucceeded(String username, String device, String via, ActorRef<UserReply> replyTo) {
      this(username, device, via, null, null, replyTo);
    }
  }

  /** A device's id: the SHA-256 (hex) of the secret in the browser's device cookie. */
  java.util.regex.Pattern DEVICE_HASH = java.util.regex.Pattern.compile("[0-9a-f]{64}");

  /** A token's id: 16 hex digits, the part of a user's API token that names it. */
  Pattern TOKEN_ID = Pattern.compile("[0-9a-f]{16}");

  /** A token's secret as the directory keeps it: the SHA-256 (hex) of the secret part. */
  Pattern TOKEN_HASH = DEVICE_HASH;

  int MAX_TOKEN_NAME = 100;

  /**
   * The longest life a token may be given: a century, so that every expiry can be shown as a date
   * in any time zone (an instant near {@code Instant.MAX} cannot).
   */
  java.time.Duration MAX_TOKEN_LIFE = java.time.Duration.ofDays(36_525);

  /**
   * A new API token for the user, acting with their role (whatever it is at each use) until it is
   * revoked, it expires ({@code expiresAt}; null: never), or the user is disabled. {@code
   * secretHash}: the SHA-256 (hex) of the token's secret, made by the gateway, which shows the
   * token once: the directory never holds a usable one. The same issue again (same id and hash) is
   * answered as done.
   */
  record IssueToken(
      String username,
      String tokenId,
      String name,
      String secretHash,
      java.time.Instant expiresAt,
      String actor,
      ActorRef<TokenReply> replyTo)
      implements UserCommand {}

  /** Revokes one token of the user: it is refused from then on, by every gateway. */
  record RevokeToken(String username, String tokenId, String actor, ActorRef<TokenReply> replyTo)
      implements UserCommand {}

  record ListTokens(String username, ActorRef<TokenReply> replyTo) implements UserCommand {}

  /**
   * Whether a presented token is one the directory issued and has not revoked, to a user who is not
   * disabled: answers that user (their role now), or null. Changes nothing.
   */
  record CheckToken(String tokenId, String secretHash, ActorRef<TokenCheck> replyTo)
      implements UserCommand {}

  /**
   * A token as anyone may see it: never its secret or hash. {@code expiresAt}: null, never; {@code
   * lastUsed}: when it last let a request in, to the directory's resolution ({@code
   * quire.content.users.token-use-resolution}); null, not since it was made.
   */
  record TokenView(
      String id,
      String name,
      Instant createdAt,
      String createdBy,
      Instant expiresAt,
      Instant lastUsed)
      implements QuireSerializable {
    public boolean expired(Instant now) {
      return expiresAt != null && !now.isBefore(expiresAt);
    }
  }

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = TokenReply.Tokens.class, name = "tokens"),
    @JsonSubTypes.Type(value = TokenReply.Refused.class, name = "refused")
  })
  sealed interface TokenReply extends QuireSerializable {
    /** The user's tokens after the command, oldest first; {@code issued} the new one, or null. */
    record Tokens(UserView user, List<TokenView> tokens, TokenView issued) implements TokenReply {}

    record Refused(ErrorCode code, String field, String message) implements TokenReply {}
  }

  /** {@code user}: whom the token acts for; null when it is not a valid token. */
  record TokenCheck(UserView user) implements QuireSerializable {}

  record GetUser(String username, ActorRef<UserReply> replyTo) implements UserCommand {}

  record ListUsers(ActorRef<UserList> replyTo) implements UserCommand {}

  /**
   * An account as others may see it: never its hash. {@code credentials} counts changes of
   * password, role and disabled, and every {@link EndSessions}; a session opened under an older
   * count is no longer valid.
   */
  record UserView(
      String username,
      String displayName,
      Role role,
      boolean disabled,
      long credentials,
      Instant createdAt,
      Instant lastLogin)
      implements QuireSerializable {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = UserReply.Done.class, name = "done"),
    @JsonSubTypes.Type(value = UserReply.Refused.class, name = "refused")
  })
  sealed interface UserReply extends QuireSerializable {
    record Done(UserView user) implements UserReply {}

    record Refused(ErrorCode code, String field, String message) implements UserReply {}
  }

  record UserList(List<UserView> users) implements QuireSerializable {}

  /**
   * Every account whole, its password's hash and its tokens' hashes included: for a bundle of the
   * site that is asked to carry its accounts (the command's export, an admin's backup). Nothing
   * else asks for it, and nothing shows it.
   */
  record ExportAccounts(String after, int max, ActorRef<Accounts> replyTo) implements UserCommand {}

  /**
   * Accounts by username, at most {@link #EXPORT_PAGE} a page so that a page stays well under the
   * cluster's message size (each carries up to {@code max-tokens} tokens); {@code more}: ask again
   * after the last.
   */
  record Accounts(List<AccountRecord> accounts, boolean more) implements QuireSerializable {}

  int EXPORT_PAGE = 25;

  /** Tokens in one page of {@link Accounts} at most (one account's all, if it has more). */
  int EXPORT_PAGE_TOKENS = 400;

  /**
   * An Argon2id hash as the site stores a password (PHC string): memory in KiB, passes and lanes as
   * groups 1 to 3.
   */
  Pattern PASSWORD_HASH =
      Pattern.compile(
          "\\$argon2id\\$v=19\\$m=(\\d{1,8}),t=(\\d{1,3}),p=(\\d{1,2})\\$([A-Za-z0-9+/]{11,88})\\$([A-Za-z0-9+/]{16,88})");

  /**
   * The most a stored password hash may ask of each sign-in, for the site's own settings, the
   * hashes it checks and the ones a bundle restores alike: a hash decides how much memory and time
   * checking a password against it takes.
   */
  int MAX_HASH_MEMORY_KIB = 1 << 20;

  int MAX_HASH_PASSES = 64;

  /**
   * Why a password hash is not one the site can check (null when it is): Argon2id in PHC form,
   * version 19, at least 1 pass and 1 lane and 8 KiB a lane, at most {@link #MAX_HASH_MEMORY_KIB}
   * and {@link #MAX_HASH_PASSES}. Never names the hash.
   */
  static String hashProblem(String hash) {
    java.util.regex.Matcher m = hash == null ? null : PASSWORD_HASH.matcher(hash);
    if (m == null || !m.matches()) {
      return "is not an Argon2id hash as Quire stores passwords";
    }
    long memory = Long.parseLong(m.group(1));
    int passes = Integer.parseInt(m.group(2));
    int lanes = Integer.parseInt(m.group(3));
    if (lanes < 1 || passes < 1 || memory < 8L * lanes) {
      return "has parameters no sign-in can use";
    }
    if (memory > MAX_HASH_MEMORY_KIB || passes > MAX_HASH_PASSES) {
      return "asks more of each sign-in than the site checks (at most m="
          + MAX_HASH_MEMORY_KIB
          + " KiB, t="
          + MAX_HASH_PASSES
          + ")";
    }
    return null;
  }

  /**
   * Why {@code name} cannot be a username by its shape (null when it can): what the directory
   * refuses an add for first, checked by the gateway too, before a password is hashed, so that a
   * form's every problem is named at once.
   */
  static String usernameShapeProblem(String name) {
    return name == null || !USERNAME.matcher(name).matches()
        ? "must be 1 to 64 of a-z, 0-9, '.', '-' and '_', starting with a letter or digit"
        : null;
  }

  /**
   * Why the user directory would not restore {@code r} as an account of its own (null when it
   * would): its name, display name, role, password hash and tokens, as the directory checks its
   * own. The one check, run by the import before it writes anything and by the directory.
   */
  static String restoreProblem(AccountRecord r, int maxTokens, Instant now) {
    if (r.username() == null || !USERNAME.matcher(r.username()).matches()) {
      return "an account's username is not 1 to 64 of a-z, 0-9, '.', '-' and '_'";
    }
    String who = "account '" + r.username() + "': ";
    if (r.displayName() != null
        && (r.displayName().strip().length() > MAX_DISPLAY_NAME
            || r.displayName().chars().anyMatch(Character::isISOControl))) {
      return who + "displayName is over " + MAX_DISPLAY_NAME + " characters or has control ones";
    }
    if (r.role() == null) {
      return who + "role is missing";
    }
    // Never the value in a message: it is a password's hash.
    String hash = hashProblem(r.passwordHash());
    if (hash != null) {
      return who + "passwordHash " + hash;
    }
    if (r.tokens().size() > maxTokens) {
      return who
          + r.tokens().size()
          + " API tokens, past the limit of "
          + maxTokens
          + " (quire.content.users.max-tokens)";
    }
    for (TokenRecord t : r.tokens()) {
      if (t.id() == null || !TOKEN_ID.matcher(t.id()).matches()) {
        return who + "a token's id is not 16 hex digits";
      }
      if (t.secretHash() == null || !TOKEN_HASH.matcher(t.secretHash()).matches()) {
        return who + "token " + t.id() + ": secretHash is not a SHA-256";
      }
      if (t.name() == null
          || t.name().isBlank()
          || t.name().strip().length() > MAX_TOKEN_NAME
          || t.name().chars().anyMatch(Character::isISOControl)) {
        return who
            + "token "
            + t.id()
            + ": name must be 1 to "
            + MAX_TOKEN_NAME
            + " characters, none of them control characters";
      }
      if (t.expiresAt() != null && t.expiresAt().isAfter(now.plus(MAX_TOKEN_LIFE))) {
        return who + "token " + t.id() + ": expiresAt is more than 100 years ahead";
      }
    }
    return null;
  }

  /**
   * An account as a bundle carries it: its password as the directory keeps it (an Argon2id hash)
   * and its tokens by their secrets' hashes.
   */
  record AccountRecord(
      String username,
      String displayName,
      Role role,
      boolean disabled,
      String passwordHash,
      Instant createdAt,
      List<TokenRecord> tokens)
      implements QuireSerializable {
    public AccountRecord {
      tokens = tokens == null ? List.of() : List.copyOf(tokens);
    }

    /** Never the hashes: a record's own would print them into any log that shows this. */
    @Override
    public String toString() {
      return "AccountRecord[" + username + ", " + role + (disabled ? ", disabled" : "") + "]";
    }
  }

  /** A token as a bundle carries it: {@code secretHash}, the SHA-256 (hex) of its secret. */
  record TokenRecord(
      String id,
      String name,
      String secretHash,
      Instant createdAt,
      String createdBy,
      Instant expiresAt)
      implements QuireSerializable {
    @Override
    public String toString() {
      return "TokenRecord[" + id + "]";
    }
  }

  /**
   * Accounts from a bundle, restored as they were: each whose name the directory does not have is
   * added with its password's hash, role, state and tokens (the tokens' ids must be free, or they
   * are left out); one whose name it has is kept as the site has it, unchecked. Those to add are
   * all checked first ({@link #restoreProblem}): one the directory would refuse refuses them all,
   * and nothing is added.
   */
  record RestoreAccounts(List<AccountRecord> accounts, String actor, ActorRef<Restored> replyTo)
      implements UserCommand {}

  /**
   * {@code added} and {@code kept} (already on the site) by name; {@code tokens} restored; {@code
   * tokensLeftOut}: ids another account of the site holds; {@code problem} set: nothing was added.
   */
  record Restored(
      List<String> added, List<String> kept, int tokens, List<String> tokensLeftOut, String problem)
      implements QuireSerializable {}

  /**
   * {@code user} null: no such user. {@code lockedUntil} set: too many attempts, try after it (the
   * hash is then null).
   */
  record LoginTicket(UserView user, String passwordHash, Instant lockedUntil)
      implements QuireSerializable {}
}
