package dev.quire.gateway.api;

import dev.quire.gateway.content.Asks;
import dev.quire.gateway.content.ContentClient;
import dev.quire.protocol.UserCommand;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Users' own API tokens: {@code quire_<id>_<secret>}, the id 16 hex digits (which token: shown in
 * lists, safe to log), the secret 256 random bits in URL-safe base64. The user directory keeps only
 * the SHA-256 of the secret (a random 256-bit secret needs no slow hash: no guess list exists for
 * it), so neither its journal nor a backup holds a usable token; the token is shown once, when
 * made. The prefix lets secret scanners and people tell it from other credentials.
 */
public final class UserTokens {

  /** What every user's token starts with. */
  public static final String PREFIX = "quire_";

  private static final Pattern TOKEN =
      Pattern.compile(Pattern.quote(PREFIX) + "([0-9a-f]{16})_([A-Za-z0-9_-]{43})");

  private static final int ID_BYTES = 8;
  private static final int SECRET_BYTES = 32;

  /** A token just made: {@code token} is shown once, {@code secretHash} is what is kept. */
  public record Made(String id, String token, String secretHash) {
    /** Never the token: a record's own would print it into any log that shows this. */
    @Override
    public String toString() {
      return "Made[id=" + id + "]";
    }
  }

  /** A presented token's parts: its id and its secret's hash. */
  public record Presented(String id, String secretHash) {}

  private final ActorSystem<?> system;
  private final ContentClient content;
  private static final SecureRandom RANDOM = new SecureRandom();

  public UserTokens(ActorSystem<?> system, ContentClient content) {
    this.system = system;
    this.content = content;
  }

  /** A new token: the gateway sends its id and hash to the user directory, and shows it once. */
  public static Made make() {
    return make(newId());
  }

  /**
   * A new token with the id {@code hexId} (16 hex digits), so that a form sent twice asks for the
   * same id twice, and the directory makes one token, not two.
   */
  public static Made make(String hexId) {
    if (!UserCommand.TOKEN_ID.matcher(hexId).matches()) {
      throw new IllegalArgumentException("a token id is 16 hex digits, was " + hexId);
    }
    byte[] secret = new byte[SECRET_BYTES];
    RANDOM.nextBytes(secret);
    String s = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    return new Made(hexId, PREFIX + hexId + "_" + s, sha256(s));
  }

  /** A random token id, 16 hex digits. */
  public static String newId() {
    byte[] id = new byte[ID_BYTES];
    RANDOM.nextBytes(id);
    return HexFormat.of().formatHex(id);
  }

  /**
   * The token id a form with the one-off value {@code formId} makes for {@code owner}: the same
   * each time that form is sent, and no id another user's form can reach.
   */
  public static String idFor(String owner, String formId) {
    return sha256(owner + "\n" + formId).substring(0, 2 * ID_BYTES);
  }

  /** The id and hash of a presented value shaped as a user's token; empty for anything else. */
  public static Optional<Presented> parse(String presented) {
    if (presented == null) {
      return Optional.empty();
    }
    Matcher m = TOKEN.matcher(presented);
    return m.matches()
        ? Optional.of(new Presented(m.group(1), sha256(m.group(2))))
        : Optional.empty();
  }

  /**
   * The user a presented token acts for, when it is one the directory issued and has not revoked,
   * to a user not disabled; empty otherwise (nothing is asked for a value not shaped as a token).
   */
  public CompletionStage<Optional<UserCommand.UserView>> check(String presented) {
    Optional<Presented> p = parse(presented);
    if (p.isEmpty()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return this.<UserCommand.TokenCheck>ask(
            r -> new UserCommand.CheckToken(p.get().id(), p.get().secretHash(), r))
        .thenApply(c -> Optional.ofNullable(c.user()));
  }

  /** An ask to the user directory, with the content client's timeout (503 past it). */
  public <R> CompletionStage<R> ask(
      org.apache.pekko.japi.function.Function<ActorRef<R>, UserCommand> make) {
    return Asks.unavailableOnTimeout(
        Asks.on(
            ClusterSharding.get(system)
                .entityRefFor(UserCommand.ENTITY_KEY, UserCommand.SITE)
                .ask(make, content.askTimeout()),
            system.executionContext()),
        "the user directory");
  }

  /** The SHA-256 of {@code s} (UTF-8), in lower-case hex. */
  public static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
