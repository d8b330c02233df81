package dev.quire.gateway.admin;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Session secrets: made at random, stored only as a hash, and a CSRF token derived from each. */
final class Secrets {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int SECRET_BYTES = 32;

  private Secrets() {}

  /** 256 random bits, URL-safe. */
  static String random() {
    byte[] raw = new byte[SECRET_BYTES];
    RANDOM.nextBytes(raw);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
  }

  /** Whether {@code value} has the shape of {@link #random()}'s secrets (43 URL-safe chars). */
  static boolean wellFormed(String value) {
    return value != null && value.length() == 43 && value.matches("[A-Za-z0-9_-]+");
  }

  /** A random password of {@code length} letters and digits (no look-alikes). */
  static String password(int length) {
    String alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    StringBuilder out = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      out.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
    }
    return out.toString();
  }

  /** The session's entity id: what the journal holds instead of the cookie's secret. */
  static String sessionId(String secret) {
    return dev.quire.gateway.api.UserTokens.sha256(secret);
  }

  /**
   * The session's CSRF token: an HMAC of a fixed label keyed by the session's secret. A page of
   * another site can neither read the cookie nor compute this, and nothing needs to be stored.
   */
  static String csrf(String secret) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(mac.doFinal("quire-admin-csrf".getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Constant-time, so a comparison does not tell how much of a guess was right. */
  static boolean same(String a, String b) {
    return a != null
        && b != null
        && MessageDigest.isEqual(
            a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
