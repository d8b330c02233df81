package dev.quire.gateway.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The API's bearer token: {@code QUIRE_API_TOKEN} when set, else the one in {@code
 * <data>/api-token}, created on first start with owner-only permissions and printed once.
 */
public final class ApiToken {

  private static final int TOKEN_BYTES = 32;

  /**
   * The shortest token taken. The API token can do anything an admin can, and nothing limits how
   * often a wrong one may be tried; a made one has 43 characters.
   */
  static final int MIN_CHARS = 16;

  /** How the placeholders in deploy/k8s and the docs begin. */
  static final String PLACEHOLDER = "change-me";

  private final byte[] token;

  private ApiToken(String token) {
    if (token.isEmpty()) {
      // An empty token would match an empty presented one: every client would be let in.
      throw new IllegalArgumentException("the API token is empty");
    }
    if (token.startsWith(PLACEHOLDER)) {
      throw new IllegalArgumentException(
          "the API token is still the placeholder '"
              + token
              + "': set QUIRE_API_TOKEN to a long random one (openssl rand -base64 32)");
    }
    if (token.length() < MIN_CHARS) {
      throw new IllegalArgumentException(
          "the API token has "
              + token.length()
              + " characters, at least "
              + MIN_CHARS
              + " are needed: set QUIRE_API_TOKEN to a long random one (openssl rand -base64 32)");
    }
    this.token = token.getBytes(StandardCharsets.UTF_8);
  }

  public static ApiToken of(String token) {
    return new ApiToken(token);
  }

  /** Loads or creates the token; {@code created} is told the new token so it can be shown once. */
  public static ApiToken load(
      String fromEnv, Path dataDir, java.util.function.Consumer<String> created)
      throws IOException {
    if (fromEnv != null && !fromEnv.isBlank()) {
      return new ApiToken(fromEnv.strip());
    }
    Path file = dataDir.resolve("api-token");
    if (Files.exists(file)) {
      String stored = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (stored.isEmpty()) {
        throw new IOException(
            file
                + " is empty, and an empty token would let any client in: delete the file to have"
                + " a new token made at the next start, or set QUIRE_API_TOKEN");
      }
      return new ApiToken(stored);
    }
    byte[] raw = new byte[TOKEN_BYTES];
    new SecureRandom().nextBytes(raw);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    Files.createDirectories(dataDir);
    Path tmp =
        Files.createTempFile(
            dataDir,
            "api-token",
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmp, token + "\n", StandardCharsets.UTF_8);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    created.accept(token);
    return new ApiToken(token);
  }

  /**
   * Constant-time, so the comparison does not leak how much of a guess was right. The presented
   * value is compared as sent: nothing is stripped from it here.
   */
  public boolean matches(String presented) {
    return presented != null
        && !presented.isEmpty()
        && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
  }
}
