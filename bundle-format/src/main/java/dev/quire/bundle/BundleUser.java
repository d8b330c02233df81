package dev.quire.bundle;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An account of the site's admin (format 2.x, {@code users.jsonl}, written only when asked for):
 * its name, role and state, its password as the site keeps it (an Argon2id hash in PHC form, never
 * the password), and its API tokens as the site keeps them (the SHA-256 of each secret, never a
 * usable token). A bundle that carries accounts is as sensitive as the site's database.
 */
public record BundleUser(
    String username,
    String displayName,
    String role,
    Boolean disabled,
    String passwordHash,
    Instant createdAt,
    List<Token> tokens) {

  public static final Set<String> ROLES = Set.of("author", "editor", "admin");

  /** As the site takes usernames: 1-64 of a-z 0-9 . - _, starting with a letter or digit. */
  public static final Pattern USERNAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

  /** An Argon2id hash in PHC string form, as the site stores passwords (version 19). */
  public static final Pattern PASSWORD_HASH =
      Pattern.compile(
          "\\$argon2id\\$v=19\\$m=\\d{1,8},t=\\d{1,3},p=\\d{1,2}\\$[A-Za-z0-9+/]{11,88}\\$[A-Za-z0-9+/]{16,88}");

  public static final int MAX_DISPLAY_NAME = 100;
  public static final int MAX_TOKEN_NAME = 100;

  /** Tokens one account may carry in a bundle (a site's limit is its own, and lower). */
  public static final int MAX_TOKENS = 1000;

  public static final int MAX_HASH = 512;

  public BundleUser {
    tokens = tokens == null ? List.of() : List.copyOf(tokens);
  }

  /** Never the hashes: a record's own would print them into any log that shows this. */
  @Override
  public String toString() {
    return "BundleUser["
        + username
        + ", "
        + role
        + (Boolean.TRUE.equals(disabled) ? ", disabled" : "")
        + "]";
  }

  /**
   * An API token of the account: {@code id} (16 hex digits), what it is for, the SHA-256 (hex) of
   * its secret, when and by whom it was made, and when it stops working (null: never).
   */
  public record Token(
      String id,
      String name,
      String secretHash,
      Instant createdAt,
      String createdBy,
      Instant expiresAt) {
    public static final Pattern ID = Pattern.compile("[0-9a-f]{16}");

    /** Never the hash: a record's own would print it into any log that shows this. */
    @Override
    public String toString() {
      return "Token[" + id + "]";
    }
  }
}
