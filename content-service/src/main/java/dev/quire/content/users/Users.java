package dev.quire.content.users;

import dev.quire.protocol.ErrorCode;
import dev.quire.protocol.QuireSerializable;
import dev.quire.protocol.Role;
import dev.quire.protocol.UserCommand;
import dev.quire.protocol.UserCommand.Add;
import dev.quire.protocol.UserCommand.BeginLogin;
import dev.quire.protocol.UserCommand.Change;
import dev.quire.protocol.UserCommand.EndSessions;
import dev.quire.protocol.UserCommand.GetUser;
import dev.quire.protocol.UserCommand.ListUsers;
import dev.quire.protocol.UserCommand.LoginSucceeded;
import dev.quire.protocol.UserCommand.LoginTicket;
import dev.quire.protocol.UserCommand.SetPassword;
import dev.quire.protocol.UserCommand.UserList;
import dev.quire.protocol.UserCommand.UserReply;
import dev.quire.protocol.UserCommand.UserView;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The site's user directory: every account, its role and password hash, and the login attempts that
 * count towards a lockout. One entity, since a site has editors by the dozen, not the million;
 * every change is journaled with who made it. It refuses a change that would leave the site without
 * an enabled admin.
 */
public final class Users
    extends EventSourcedBehaviorWithEnforcedReplies<UserCommand, Users.Event, Users.State> {

  // ---- events: never renamed ----

  public sealed interface Event extends QuireSerializable {}

  public record UserAdded(
      String username, String displayName, Role role, String passwordHash, Instant at, String actor)
      implements Event {}

  /** Null fields are unchanged. */
  public record UserChanged(
      String username, String displayName, Role role, Boolean disabled, Instant at, String actor)
      implements Event {}

  public record PasswordSet(String username, String passwordHash, Instant at, String actor)
      implements Event {}

  /**
   * The same password, hashed again with the site's present Argon2 parameters at a sign-in that
   * checked it against a hash with older ones. Unlike {@link PasswordSet}, no session ends and no
   * browser stops being trusted: the password is the one it was.
   */
  public record PasswordRehashed(String username, String passwordHash, Instant at)
      implements Event {}

  /**
   * Every session of the user ended (their credentials count moved on) and no browser trusted any
   * more (a lost laptop's included); password and role unchanged.
   */
  public record SessionsEnded(String username, Instant at, String actor) implements Event {}

  /**
   * {@code device}: the hash of the trusted device the attempt came from, which counts it against
   * that device instead of the account; null (as in every event stored before devices were): the
   * account.
   */
  public record LoginAttempted(String username, Instant at, String device) implements Event {
    public LoginAttempted(String username, Instant at) {
      this(username, at, null);
    }
  }

  /**
   * {@code device}: the hash of the browser's new device secret, trusted from now on for this
   * account (see {@link Device}); {@code via}: the hash of the secret it had, which the new one
   * replaces. A sign-in through a device the account knew forgets that device's attempts only, so
   * that its owner signing in does not give someone guessing from elsewhere a fresh count; any
   * other forgets the account's. Both null (as in every event stored before devices were): none.
   */
  public record LoggedIn(String username, Instant at, String device, String via) implements Event {
    public LoggedIn(String username, Instant at) {
      this(username, at, null, null);
    }
  }

  /**
   * An API token for the user: {@code secretHash} is the SHA-256 (hex) of its secret, never the
   * secret itself; {@code expiresAt} null: it does not expire.
   */
  public record TokenIssued(
      String username,
      String tokenId,
      String name,
      String secretHash,
      Instant at,
      String actor,
      Instant expiresAt)
      implements Event {}

  public record TokenRevoked(String username, String tokenId, Instant at, String actor)
      implements Event {}

  /**
   * A token let a request in: journaled at most once per {@code token-use-resolution} per token, so
   * that its owner can tell a token in use from one forgotten.
   */
  public record TokenUsed(String username, String tokenId, Instant at) implements Event {}

  /** An API token of an account: what it is called, its secret's hash, when and by whom made. */
  public record ApiKey(
      String id,
      String name,
      String secretHash,
      Instant createdAt,
      String createdBy,
      Instant expiresAt,
      Instant lastUsed)
      implements QuireSerializable {
    UserCommand.TokenView view() {
      return new UserCommand.TokenView(id, name, createdAt, createdBy, expiresAt, lastUsed);
    }

    ApiKey usedAt(Instant at) {
      return new ApiKey(id, name, secretHash, createdAt, createdBy, expiresAt, at);
    }

    boolean expired(Instant now) {
      return expiresAt != null && !now.isBefore(expiresAt);
    }
  }

  /**
   * A browser this account signed in from (OWASP's "device cookies"): its secret's hash, its last
   * successful sign-in, and the failed attempts made from it since. While trusted, attempts from it
   * count against it alone, so someone guessing from elsewhere, who can lock the account, cannot
   * lock its owner out of their own browser.
   */
  public record Device(String hash, Instant lastLogin, List<Instant> attempts)
      implements QuireSerializable {
    public Device {
      attempts = attempts == null ? List.of() : List.copyOf(attempts);
    }
  }

  /**
   * One account; {@code attempts}: login attempts since the last success from anywhere but a
   * trusted device, oldest first; {@code devices}: the browsers it signed in from, least recently
   * first.
   */
  public record Account(
      String username,
      String displayName,
      Role role,
      String passwordHash,
      boolean disabled,
      long credentials,
      Instant createdAt,
      Instant lastLogin,
      List<Instant> attempts,
      List<Device> devices,
      List<ApiKey> tokens)
      implements QuireSerializable {
    public Account {
      attempts = attempts == null ? List.of() : List.copyOf(attempts);
      devices = devices == null ? List.of() : List.copyOf(devices);
      // Snapshots made before API tokens were have none.
      tokens = tokens == null ? List.of() : List.copyOf(tokens);
    }

    /** This account with {@code next} for its API tokens. */
    Account withTokens(List<ApiKey> next) {
      return copy(lastLogin, attempts, devices, next);
    }

    ApiKey token(String id) {
      return tokens.stream().filter(t -> t.id().equals(id)).findFirst().orElse(null);
    }

    /** The device with this hash, if it signed in here since {@code trustedSince}; else null. */
    Device trusted(String hash, Instant trustedSince) {
      if (hash == null) {
        return null;
      }
      return devices.stream()
          .filter(d -> d.hash().equals(hash) && d.lastLogin().isAfter(trustedSince))
          .findFirst()
          .orElse(null);
    }

    Account withAttempts(List<Instant> next) {
      return withLogins(lastLogin, next, devices);
    }

    /** This account with its sign-in record (last sign-in, attempts, trusted devices) as given. */
    Account withLogins(Instant last, List<Instant> attemptsNow, List<Device> devicesNow) {
      return copy(last, attemptsNow, devicesNow, tokens);
    }

    /** This account, its name, role, password and state unchanged, with these records. */
    private Account copy(
        Instant last, List<Instant> attemptsNow, List<Device> devicesNow, List<ApiKey> tokensNow) {
      return new Account(
          username,
          displayName,
          role,
          passwordHash,
          disabled,
          credentials,
          createdAt,
          last,
          attemptsNow,
          devicesNow,
          tokensNow);
    }

    /**
     * This account with {@code hash} for its password, every session of before ended (its
     * credentials count moves on) and no browser trusted any more: each is trusted again at its
     * next sign-in. {@code attemptsKept}: the lockout's count that stays.
     */
    Account renewed(String hash, List<Instant> attemptsKept) {
      return new Account(
          username,
          displayName,
          role,
          hash,
          disabled,
          credentials + 1,
          createdAt,
          lastLogin,
          attemptsKept,
          List.of(),
          tokens);
    }

    UserView view() {
      return new UserView(username, displayName, role, disabled, credentials, createdAt, lastLogin);
    }
  }

  /**
   * Immutable: every event makes a new map. {@code revokedTokens}: the id of every token revoked
   * here, never issued again, so that an id names one token for good (in the audit trail, in the
   * lists) and the admin's token form, whose id comes from the form, sent again after the token it
   * made was revoked, does not make a second token under the first one's id. Sixteen hex digits
   * each; snapshots from before it was kept read as none.
   */
  public record State(Map<String, Account> accounts, Set<String> revokedTokens)
      implements QuireSerializable {
    public State {
      accounts = Collections.unmodifiableMap(new TreeMap<>(accounts));
      revokedTokens =
          revokedTokens == null
              ? Set.of()
              : Collections.unmodifiableSet(new TreeSet<>(revokedTokens));
    }

    public State(Map<String, Account> accounts) {
      this(accounts, Set.of());
    }

    State with(Account a) {
      Map<String, Account> next = new TreeMap<>(accounts);
      next.put(a.username(), a);
      return new State(next, revokedTokens);
    }

    long enabledAdmins() {
      return accounts.values().stream()
          .filter(a -> a.role() == Role.ADMIN && !a.disabled())
          .count();
    }

    /** For events of accounts without devices (their fixture): ten devices kept. */
    State apply(Event event, int keepAttempts) {
      return apply(event, keepAttempts, 10);
    }

    /** For events replayed with the default trust (their fixture): 90 days. */
    State apply(Event event, int keepAttempts, int keepDevices) {
      return apply(event, keepAttempts, keepDevices, Duration.ofDays(90));
    }

    State apply(Event event, int keepAttempts, int keepDevices, Duration deviceTrust) {
      if (event instanceof UserAdded e) {
        return with(
            new Account(
                e.username(),
                e.displayName(),
                e.role(),
                e.passwordHash(),
                false,
                1,
                e.at(),
                null,
                List.of(),
                List.of(),
                List.of()));
      }
      if (event instanceof UserChanged e) {
        Account a = accounts.get(e.username());
        boolean credentialsChange =
            (e.role() != null && e.role() != a.role())
                || (e.disabled() != null && e.disabled() != a.disabled());
        return with(
            new Account(
                a.username(),
                e.displayName() != null ? e.displayName() : a.displayName(),
                e.role() != null ? e.role() : a.role(),
                a.passwordHash(),
                e.disabled() != null ? e.disabled() : a.disabled(),
                credentialsChange ? a.credentials() + 1 : a.credentials(),
                a.createdAt(),
                a.lastLogin(),
                a.attempts(),
                a.devices(),
                a.tokens()));
      }
      if (event instanceof SessionsEnded e) {
        Account a = accounts.get(e.username());
        return with(a.renewed(a.passwordHash(), a.attempts()));
      }
      if (event instanceof PasswordSet e) {
        // A new password (perhaps because the account was taken over) trusts no browser of
        // before, and starts the lockout's count again.
        return with(accounts.get(e.username()).renewed(e.passwordHash(), List.of()));
      }
      if (event instanceof PasswordRehashed e) {
        Account a = accounts.get(e.username());
        return with(
            new Account(
                a.username(),
                a.displayName(),
                a.role(),
                e.passwordHash(),
                a.disabled(),
                a.credentials(),
                a.createdAt(),
                a.lastLogin(),
                a.attempts(),
                a.devices(),
                a.tokens()));
      }
      if (event instanceof TokenIssued e) {
        Account a = accounts.get(e.username());
        List<ApiKey> next = new ArrayList<>(a.tokens());
        next.add(
            new ApiKey(
                e.tokenId(), e.name(), e.secretHash(), e.at(), e.actor(), e.expiresAt(), null));
        return with(a.withTokens(next));
      }
      if (event instanceof TokenUsed e) {
        Account a = accounts.get(e.username());
        List<ApiKey> next = new ArrayList<>(a.tokens());
        next.replaceAll(t -> t.id().equals(e.tokenId()) ? t.usedAt(e.at()) : t);
        return with(a.withTokens(next));
      }
      if (event instanceof TokenRevoked e) {
        Account a = accounts.get(e.username());
        List<ApiKey> next = new ArrayList<>(a.tokens());
        next.removeIf(t -> t.id().equals(e.tokenId()));
        State after = with(a.withTokens(next));
        Set<String> revoked = new TreeSet<>(revokedTokens);
        revoked.add(e.tokenId());
        return new State(after.accounts(), revoked);
      }
      if (event instanceof LoginAttempted e) {
        Account a = accounts.get(e.username());
        int at = deviceIndex(a, e.device());
        if (at < 0) {
          return with(a.withAttempts(appended(a.attempts(), e.at(), keepAttempts)));
        }
        Device d = a.devices().get(at);
        List<Device> devices = new ArrayList<>(a.devices());
        devices.set(
            at, new Device(d.hash(), d.lastLogin(), appended(d.attempts(), e.at(), keepAttempts)));
        return with(a.withLogins(a.lastLogin(), a.attempts(), devices));
      }
      if (event instanceof LoggedIn e) {
        Account a = accounts.get(e.username());
        // Through a device the account trusted: the account's count (others' guesses) stays.
        boolean throughDevice = a.trusted(e.via(), e.at().minus(deviceTrust)) != null;
        List<Device> devices = new ArrayList<>(a.devices());
        devices.removeIf(d -> d.hash().equals(e.via()) || d.hash().equals(e.device()));
        if (e.device() != null) {
          devices.add(new Device(e.device(), e.at(), List.of()));
          while (devices.size() > keepDevices) {
            devices.remove(0);
          }
        }
        State next = with(a.withLogins(e.at(), throughDevice ? a.attempts() : List.of(), devices));
        if (e.via() == null || e.device() == null) {
          return next;
        }
        // One secret per browser: the other accounts it signed in to trust its new one instead.
        for (Account other : accounts.values()) {
          int i = other.username().equals(a.username()) ? -1 : deviceIndex(other, e.via());
          if (i >= 0) {
            List<Device> theirs = new ArrayList<>(other.devices());
            Device d = theirs.get(i);
            theirs.set(i, new Device(e.device(), d.lastLogin(), d.attempts()));
            next = next.with(other.withLogins(other.lastLogin(), other.attempts(), theirs));
          }
        }
        return next;
      }
      throw new IllegalStateException("unknown event " + event);
    }

    private static int deviceIndex(Account a, String hash) {
      for (int i = 0; hash != null && i < a.devices().size(); i++) {
        if (a.devices().get(i).hash().equals(hash)) {
          return i;
        }
      }
      return -1;
    }

    private static List<Instant> appended(List<Instant> attempts, Instant at, int keep) {
      List<Instant> next = new ArrayList<>(attempts);
      next.add(at);
      while (next.size() > keep) {
        next.remove(0);
      }
      return next;
    }
  }

  /**
   * {@code maxAttempts} login attempts per account within {@code window}, counted from the last
   * success; {@code maxUsers} accounts in all; per account the last {@code trustedDevices} browsers
   * it signed in from, each trusted for {@code deviceTrust} after its last sign-in; at most {@code
   * maxTokens} API tokens per account, the last use of each journaled at most once per {@code
   * tokenUseResolution}.
   */
  public record Settings(
      int maxUsers,
      int maxAttempts,
      Duration window,
      int snapshotEvery,
      int trustedDevices,
      Duration deviceTrust,
      int maxTokens,
      Duration tokenUseResolution) {
    public Settings {
      if (tokenUseResolution.compareTo(Duration.ofMinutes(1)) < 0) {
        // Shorter, nearly every API request with a user's token would be a journal write.
        throw new IllegalArgumentException(
            "quire.content.users.token-use-resolution must be 1m or longer, was "
                + tokenUseResolution);
      }
      if (maxTokens < 0) {
        throw new IllegalArgumentException(
            "quire.content.users.max-tokens must be 0 (no API tokens for users) or more, was "
                + maxTokens);
      }
      if (trustedDevices < 0) {
        throw new IllegalArgumentException(
            "quire.content.users.trusted-devices must be 0 (none) or more, was " + trustedDevices);
      }
      if (deviceTrust.isNegative() || deviceTrust.isZero()) {
        throw new IllegalArgumentException(
            "quire.content.users.device-trust must be longer than 0, was " + deviceTrust);
      }
    }
  }

  public static void init(ActorSystem<?> system, Settings settings) {
    ClusterSharding.get(system)
        .init(
            Entity.of(
                    UserCommand.ENTITY_KEY,
                    ctx -> create(ctx.getEntityId(), settings, Clock.systemUTC()))
                .withRole("content"));
  }

  public static Behavior<UserCommand> create(String id, Settings settings, Clock clock) {
    return new Users(id, settings, clock);
  }

  private final Settings settings;
  private final Clock clock;

  private Users(String id, Settings settings, Clock clock) {
    super(PersistenceId.of(UserCommand.ENTITY_KEY.name(), id));
    this.settings = settings;
    this.clock = clock;
  }

  @Override
  public State emptyState() {
    return new State(Map.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // Events behind the older of the two snapshots kept are deleted: nothing reads them but a
    // recovery, and a failed sign-in on a real account is one (the lockout must hold across
    // gateways and restarts), so a name guessed all day added ~480 rows a day, for good.
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2)
        .withDeleteEventsOnSnapshot();
  }

  @Override
  public CommandHandlerWithReply<UserCommand, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Add.class, this::onAdd)
        .onCommand(Change.class, this::onChange)
        .onCommand(SetPassword.class, this::onSetPassword)
        .onCommand(
            EndSessions.class,
            (state, cmd) -> {
              Account a = state.accounts().get(cmd.username());
              if (a == null) {
                return Effect().reply(cmd.replyTo(), noSuchUser(cmd.username()));
              }
              return Effect()
                  .persist(new SessionsEnded(a.username(), clock.instant(), actor(cmd.actor())))
                  .thenReply(
                      cmd.replyTo(),
                      s -> new UserReply.Done(s.accounts().get(a.username()).view()));
            })
        .onCommand(UserCommand.IssueToken.class, this::onIssueToken)
        .onCommand(UserCommand.RevokeToken.class, this::onRevokeToken)
        .onCommand(
            UserCommand.ListTokens.class,
            (state, cmd) -> {
              Account a = state.accounts().get(cmd.username());
              return Effect()
                  .reply(cmd.replyTo(), a == null ? noTokensOf(cmd.username()) : tokens(a, null));
            })
        .onCommand(
            UserCommand.CheckToken.class,
            (state, cmd) -> {
              UserCommand.TokenCheck verdict = check(state, cmd);
              if (verdict.user() == null) {
                return Effect().reply(cmd.replyTo(), verdict);
              }
              ApiKey t = state.accounts().get(verdict.user().username()).token(cmd.tokenId());
              Instant now = clock.instant();
              if (t.lastUsed() != null
                  && now.isBefore(t.lastUsed().plus(settings.tokenUseResolution()))) {
                return Effect().reply(cmd.replyTo(), verdict);
              }
              return Effect()
                  .persist(new TokenUsed(verdict.user().username(), t.id(), now))
                  .thenReply(cmd.replyTo(), s -> verdict);
            })
        .onCommand(
            UserCommand.ExportAccounts.class,
            (state, cmd) -> {
              // By username (the state's map is sorted), a page at a time: at most max accounts
              // and EXPORT_PAGE_TOKENS tokens (but one account, whatever it holds), so that a
              // page stays under the cluster's message size.
              int max = Math.max(1, Math.min(cmd.max(), UserCommand.EXPORT_PAGE));
              List<UserCommand.AccountRecord> page = new ArrayList<>();
              int tokenCount = 0;
              boolean more = false;
              for (Account a : state.accounts().values()) {
                if (cmd.after() != null && a.username().compareTo(cmd.after()) <= 0) {
                  continue;
                }
                if (page.size() >= max
                    || (!page.isEmpty()
                        && tokenCount + a.tokens().size() > UserCommand.EXPORT_PAGE_TOKENS)) {
                  more = true;
                  break;
                }
                page.add(record(a));
                tokenCount += a.tokens().size();
              }
              return Effect()
                  .reply(cmd.replyTo(), new UserCommand.Accounts(List.copyOf(page), more));
            })
        .onCommand(UserCommand.RestoreAccounts.class, this::onRestore)
        .onCommand(BeginLogin.class, this::onBeginLogin)
        .onCommand(LoginSucceeded.class, this::onLoginSucceeded)
        .onCommand(
            GetUser.class,
            (state, cmd) -> {
              Account a = state.accounts().get(cmd.username());
              return Effect()
                  .reply(
                      cmd.replyTo(),
                      a == null ? noSuchUser(cmd.username()) : new UserReply.Done(a.view()));
            })
        .onCommand(
            ListUsers.class,
            (state, cmd) ->
                Effect()
                    .reply(
                        cmd.replyTo(),
                        new UserList(
                            state.accounts().values().stream().map(Account::view).toList())))
        .build();
  }

  /** An account whole, hashes included, as a bundle carries it. */
  private static UserCommand.AccountRecord record(Account a) {
    return new UserCommand.AccountRecord(
        a.username(),
        a.displayName(),
        a.role(),
        a.disabled(),
        a.passwordHash(),
        a.createdAt(),
        a.tokens().stream()
            .map(
                t ->
                    new UserCommand.TokenRecord(
                        t.id(),
                        t.name(),
                        t.secretHash(),
                        t.createdAt(),
                        t.createdBy(),
                        t.expiresAt()))
            .toList());
  }

  /**
   * Accounts from a bundle: those the site has are kept, unchecked and unchanged; every other one
   * is checked first ({@link UserCommand#restoreProblem}, and the limit of accounts), then all are
   * added as they were, in one persist.
   */
  private ReplyEffect<Event, State> onRestore(State state, UserCommand.RestoreAccounts cmd) {
    String actor = actor(cmd.actor());
    Instant now = clock.instant();
    List<String> added = new ArrayList<>();
    List<String> kept = new ArrayList<>();
    List<String> leftOut = new ArrayList<>();
    java.util.Set<String> names = new java.util.HashSet<>();
    java.util.Set<String> ids = new java.util.HashSet<>();
    List<Event> events = new ArrayList<>();
    int tokens = 0;
    for (UserCommand.AccountRecord r : cmd.accounts()) {
      String problem =
          r.username() != null && !names.add(r.username())
              ? "the account '" + r.username() + "' is given twice"
              : null;
      if (problem == null && r.username() != null && state.accounts().containsKey(r.username())) {
        // Kept as the site has it, whatever the bundle says of it: not checked, not changed.
        kept.add(r.username());
        continue;
      }
      if (problem == null) {
        problem = UserCommand.restoreProblem(r, settings.maxTokens(), now);
      }
      if (problem != null) {
        return Effect()
            .reply(
                cmd.replyTo(),
                new UserCommand.Restored(List.of(), List.of(), 0, List.of(), problem));
      }
      added.add(r.username());
      String display =
          r.displayName() == null || r.displayName().isBlank()
              ? r.username()
              : r.displayName().strip();
      events.add(
          new UserAdded(
              r.username(),
              display,
              r.role(),
              r.passwordHash(),
              r.createdAt() == null ? now : r.createdAt(),
              actor));
      if (r.disabled()) {
        events.add(new UserChanged(r.username(), null, null, true, now, actor));
      }
      for (UserCommand.TokenRecord t : r.tokens()) {
        if (idTaken(state, t.id()) || !ids.add(t.id())) {
          leftOut.add(t.id());
          continue;
        }
        events.add(
            new TokenIssued(
                r.username(),
                t.id(),
                t.name().strip(),
                t.secretHash(),
                t.createdAt() == null ? now : t.createdAt(),
                t.createdBy() == null || t.createdBy().isBlank() ? actor : t.createdBy(),
                t.expiresAt()));
        tokens++;
      }
    }
    if (state.accounts().size() + added.size() > settings.maxUsers()) {
      return Effect()
          .reply(
              cmd.replyTo(),
              new UserCommand.Restored(
                  List.of(),
                  List.of(),
                  0,
                  List.of(),
                  "the site has "
                      + state.accounts().size()
                      + " users and the bundle "
                      + added.size()
                      + " more: past the limit of "
                      + settings.maxUsers()
                      + " (quire.content.users.max-users)"));
    }
    UserCommand.Restored done =
        new UserCommand.Restored(
            List.copyOf(added), List.copyOf(kept), tokens, List.copyOf(leftOut), null);
    return events.isEmpty()
        ? Effect().reply(cmd.replyTo(), done)
        : Effect().persist(events).thenReply(cmd.replyTo(), s -> done);
  }

  private ReplyEffect<Event, State> onAdd(State state, Add cmd) {
    String name = cmd.username();
    String shape = UserCommand.usernameShapeProblem(name);
    if (shape != null) {
      return refuse(cmd.replyTo(), ErrorCode.INVALID, "username", shape);
    }
    if (UserCommand.RESERVED_USERNAMES.contains(name) && !state.accounts().containsKey(name)) {
      return refuse(
          cmd.replyTo(),
          ErrorCode.INVALID,
          "username",
          "'"
              + name
              + "' is what the site records for changes made without a user (the site's token);"
              + " choose another name");
    }
    Account existing = state.accounts().get(name);
    if (existing != null
        && existing.role() == cmd.role()
        && existing.passwordHash().equals(cmd.passwordHash())
        && existing.credentials() == 1) {
      // The same add again (its hash has its own random salt, so no other add has it): a retry
      // whose first answer was lost. Answered as done, changing nothing.
      return Effect().reply(cmd.replyTo(), new UserReply.Done(existing.view()));
    }
    if (existing != null) {
      return refuse(cmd.replyTo(), ErrorCode.ALREADY_EXISTS, "username", "'" + name + "' is taken");
    }
    if (state.accounts().size() >= settings.maxUsers()) {
      return refuse(
          cmd.replyTo(),
          ErrorCode.INVALID,
          "username",
          "the site has "
              + state.accounts().size()
              + " users, the limit (quire.content.users.max-users)");
    }
    String problem = displayNameProblem(cmd.displayName());
    if (problem != null) {
      return refuse(cmd.replyTo(), ErrorCode.INVALID, "displayName", problem);
    }
    if (cmd.role() == null) {
      return refuse(cmd.replyTo(), ErrorCode.INVALID, "role", "is required");
    }
    if (cmd.passwordHash() == null || cmd.passwordHash().isBlank()) {
      return refuse(cmd.replyTo(), ErrorCode.INVALID, "password", "is required");
    }
    String display =
        cmd.displayName() == null || cmd.displayName().isBlank() ? name : cmd.displayName().strip();
    return Effect()
        .persist(
            new UserAdded(
                name, display, cmd.role(), cmd.passwordHash(), clock.instant(), actor(cmd.actor())))
        .thenReply(cmd.replyTo(), s -> new UserReply.Done(s.accounts().get(name).view()));
  }

  private ReplyEffect<Event, State> onChange(State state, Change cmd) {
    Account a = state.accounts().get(cmd.username());
    if (a == null) {
      return Effect().reply(cmd.replyTo(), noSuchUser(cmd.username()));
    }
    if (cmd.displayName() != null) {
      String problem = displayNameProblem(cmd.displayName());
      if (problem != null) {
        return refuse(cmd.replyTo(), ErrorCode.INVALID, "displayName", problem);
      }
    }
    boolean losesAdmin =
        a.role() == Role.ADMIN
            && !a.disabled()
            && ((cmd.role() != null && cmd.role() != Role.ADMIN)
                || Boolean.TRUE.equals(cmd.disabled()));
    if (losesAdmin && state.enabledAdmins() <= 1) {
      return refuse(
          cmd.replyTo(),
          ErrorCode.INVALID_TRANSITION,
          cmd.role() != null && cmd.role() != Role.ADMIN ? "role" : "disabled",
          "'" + a.username() + "' is the site's only enabled admin; make another admin first");
    }
    String display = cmd.displayName() == null ? null : cmd.displayName().strip();
    return Effect()
        .persist(
            new UserChanged(
                a.username(),
                display == null || display.isEmpty() ? null : display,
                cmd.role(),
                cmd.disabled(),
                clock.instant(),
                actor(cmd.actor())))
        .thenReply(cmd.replyTo(), s -> new UserReply.Done(s.accounts().get(a.username()).view()));
  }

  private ReplyEffect<Event, State> onSetPassword(State state, SetPassword cmd) {
    Account a = state.accounts().get(cmd.username());
    if (a == null) {
      return Effect().reply(cmd.replyTo(), noSuchUser(cmd.username()));
    }
    if (cmd.passwordHash() == null || cmd.passwordHash().isBlank()) {
      return refuse(cmd.replyTo(), ErrorCode.INVALID, "password", "is required");
    }
    return Effect()
        .persist(
            new PasswordSet(a.username(), cmd.passwordHash(), clock.instant(), actor(cmd.actor())))
        .thenReply(cmd.replyTo(), s -> new UserReply.Done(s.accounts().get(a.username()).view()));
  }

  private ReplyEffect<Event, State> onIssueToken(State state, UserCommand.IssueToken cmd) {
    Account a = state.accounts().get(cmd.username());
    if (a == null) {
      return Effect().reply(cmd.replyTo(), noTokensOf(cmd.username()));
    }
    if (cmd.tokenId() == null || !UserCommand.TOKEN_ID.matcher(cmd.tokenId()).matches()) {
      return refuseToken(cmd.replyTo(), ErrorCode.INVALID, "id", "must be 16 hex digits");
    }
    if (cmd.secretHash() == null || !UserCommand.TOKEN_HASH.matcher(cmd.secretHash()).matches()) {
      return refuseToken(
          cmd.replyTo(), ErrorCode.INVALID, "secretHash", "must be a SHA-256 in hex");
    }
    ApiKey same = a.token(cmd.tokenId());
    if (same != null && same.secretHash().equals(cmd.secretHash())) {
      // The same issue again: a retry whose first answer was lost.
      return Effect().reply(cmd.replyTo(), tokens(a, same.view()));
    }
    if (same != null || idTaken(state, cmd.tokenId())) {
      return refuseToken(
          cmd.replyTo(), ErrorCode.ALREADY_EXISTS, "id", "a token has the id " + cmd.tokenId());
    }
    String name = cmd.name() == null ? "" : cmd.name().strip();
    String problem =
        name.isEmpty()
            ? "is required: say what the token is for (a script, a build, a person's laptop)"
            : nameProblem(name, UserCommand.MAX_TOKEN_NAME);
    if (problem != null) {
      return refuseToken(cmd.replyTo(), ErrorCode.INVALID, "name", problem);
    }
    if (cmd.expiresAt() != null
        && (!cmd.expiresAt().isAfter(clock.instant())
            || cmd.expiresAt().isAfter(clock.instant().plus(UserCommand.MAX_TOKEN_LIFE)))) {
      return refuseToken(
          cmd.replyTo(),
          ErrorCode.INVALID,
          "expiresAt",
          "must be in the future, at most 100 years ahead (or left out: never), was "
              + cmd.expiresAt());
    }
    if (a.tokens().size() >= settings.maxTokens()) {
      return refuseToken(
          cmd.replyTo(),
          ErrorCode.INVALID,
          "name",
          "'"
              + a.username()
              + "' has "
              + a.tokens().size()
              + " API tokens, the limit (quire.content.users.max-tokens): revoke one first");
    }
    return Effect()
        .persist(
            new TokenIssued(
                a.username(),
                cmd.tokenId(),
                name,
                cmd.secretHash(),
                clock.instant(),
                actor(cmd.actor()),
                cmd.expiresAt()))
        .thenReply(
            cmd.replyTo(),
            s -> {
              Account after = s.accounts().get(a.username());
              return tokens(after, after.token(cmd.tokenId()).view());
            });
  }

  private ReplyEffect<Event, State> onRevokeToken(State state, UserCommand.RevokeToken cmd) {
    Account a = state.accounts().get(cmd.username());
    if (a == null) {
      return Effect().reply(cmd.replyTo(), noTokensOf(cmd.username()));
    }
    if (a.token(cmd.tokenId()) == null) {
      return refuseToken(
          cmd.replyTo(),
          ErrorCode.NOT_FOUND,
          "id",
          "'" + a.username() + "' has no API token " + cmd.tokenId());
    }
    return Effect()
        .persist(new TokenRevoked(a.username(), cmd.tokenId(), clock.instant(), actor(cmd.actor())))
        .thenReply(cmd.replyTo(), s -> tokens(s.accounts().get(a.username()), null));
  }

  /** Held by an account, or revoked here once: a token id is made once. */
  private boolean idTaken(State state, String id) {
    return ownerOf(state, id) != null || state.revokedTokens().contains(id);
  }

  /**
   * Which account holds the token {@code id}, from an index of every token made once per state
   * (this actor's own, rebuilt after a change): a check, asked for every API request that presents
   * a user's token (well-formed guesses included), looks one up instead of scanning every account.
   */
  private String ownerOf(State state, String id) {
    if (state != indexedFor) {
      Map<String, String> next = new java.util.HashMap<>();
      for (Account a : state.accounts().values()) {
        for (ApiKey k : a.tokens()) {
          next.put(k.id(), a.username());
        }
      }
      tokenOwners = next;
      indexedFor = state;
    }
    return tokenOwners.get(id);
  }

  private State indexedFor;
  private Map<String, String> tokenOwners = Map.of();

  /**
   * The user a presented token acts for, or none: unknown, revoked, expired, or its user disabled.
   */
  private UserCommand.TokenCheck check(State state, UserCommand.CheckToken cmd) {
    String owner =
        cmd.tokenId() == null || cmd.secretHash() == null ? null : ownerOf(state, cmd.tokenId());
    if (owner == null) {
      return new UserCommand.TokenCheck(null);
    }
    Account a = state.accounts().get(owner);
    ApiKey t = a.token(cmd.tokenId());
    boolean right =
        java.security.MessageDigest.isEqual(
            t.secretHash().getBytes(java.nio.charset.StandardCharsets.US_ASCII),
            cmd.secretHash().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    boolean live = !t.expired(clock.instant());
    return new UserCommand.TokenCheck(right && live && !a.disabled() ? a.view() : null);
  }

  private static UserCommand.TokenReply tokens(Account a, UserCommand.TokenView issued) {
    return new UserCommand.TokenReply.Tokens(
        a.view(), a.tokens().stream().map(ApiKey::view).toList(), issued);
  }

  private static UserCommand.TokenReply noTokensOf(String username) {
    return new UserCommand.TokenReply.Refused(
        ErrorCode.NOT_FOUND, "username", "there is no user '" + username + "'");
  }

  private ReplyEffect<Event, State> refuseToken(
      org.apache.pekko.actor.typed.ActorRef<UserCommand.TokenReply> replyTo,
      ErrorCode code,
      String field,
      String message) {
    return Effect().reply(replyTo, new UserCommand.TokenReply.Refused(code, field, message));
  }

  private ReplyEffect<Event, State> onBeginLogin(State state, BeginLogin cmd) {
    Account a = cmd.username() == null ? null : state.accounts().get(cmd.username());
    if (a == null) {
      return Effect().reply(cmd.replyTo(), new LoginTicket(null, null, null));
    }
    Instant now = clock.instant();
    Instant since = now.minus(settings.window());
    // From a trusted device the attempt counts against that device alone: a lockout of the
    // account by guesses from elsewhere does not hold its owner's own browser.
    Device device =
        settings.trustedDevices() > 0
            ? a.trusted(cmd.device(), now.minus(settings.deviceTrust()))
            : null;
    List<Instant> counted = device == null ? a.attempts() : device.attempts();
    List<Instant> recent = counted.stream().filter(t -> t.isAfter(since)).toList();
    if (recent.size() >= settings.maxAttempts()) {
      Instant until = recent.get(recent.size() - settings.maxAttempts()).plus(settings.window());
      return Effect().reply(cmd.replyTo(), new LoginTicket(a.view(), null, until));
    }
    return Effect()
        .persist(new LoginAttempted(a.username(), now, device == null ? null : device.hash()))
        .thenReply(
            cmd.replyTo(),
            s -> {
              Account after = s.accounts().get(a.username());
              return new LoginTicket(after.view(), after.passwordHash(), null);
            });
  }

  private ReplyEffect<Event, State> onLoginSucceeded(State state, LoginSucceeded cmd) {
    Account a = state.accounts().get(cmd.username());
    if (a == null) {
      return Effect().reply(cmd.replyTo(), noSuchUser(cmd.username()));
    }
    Instant now = clock.instant();
    LoggedIn in = new LoggedIn(a.username(), now, deviceHash(cmd.device()), deviceHash(cmd.via()));
    // Only over the hash the password was checked against: a password set in between stays.
    boolean rehash =
        cmd.rehash() != null
            && cmd.rehash().startsWith("$argon2id$")
            && a.passwordHash().equals(cmd.rehashFrom())
            && !cmd.rehash().equals(a.passwordHash());
    List<Event> events =
        rehash ? List.of(in, new PasswordRehashed(a.username(), cmd.rehash(), now)) : List.of(in);
    return Effect()
        .persist(events)
        .thenReply(cmd.replyTo(), s -> new UserReply.Done(s.accounts().get(a.username()).view()));
  }

  /** A device hash as the gateway makes it (SHA-256, hex); anything else is not kept. */
  private static String deviceHash(String device) {
    return device != null && UserCommand.DEVICE_HASH.matcher(device).matches() ? device : null;
  }

  private static String displayNameProblem(String displayName) {
    return nameProblem(displayName, UserCommand.MAX_DISPLAY_NAME);
  }

  /** A user's or a token's name: at most {@code max} characters, no control characters. */
  private static String nameProblem(String name, int max) {
    if (name != null && name.strip().length() > max) {
      return "is " + name.strip().length() + " characters; at most " + max;
    }
    if (name != null && name.chars().anyMatch(Character::isISOControl)) {
      return "must not contain control characters";
    }
    return null;
  }

  private static UserReply noSuchUser(String username) {
    return new UserReply.Refused(
        ErrorCode.NOT_FOUND, "username", "there is no user '" + username + "'");
  }

  private ReplyEffect<Event, State> refuse(
      org.apache.pekko.actor.typed.ActorRef<UserReply> replyTo,
      ErrorCode code,
      String field,
      String message) {
    return Effect().reply(replyTo, new UserReply.Refused(code, field, message));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onAnyEvent(
            (state, event) ->
                state.apply(
                    event,
                    settings.maxAttempts(),
                    settings.trustedDevices(),
                    settings.deviceTrust()));
  }

  private static String actor(String actor) {
    return actor == null || actor.isBlank() ? "unknown" : actor;
  }
}
