package dev.quire.gateway.admin;

/**
 * What a new password must be, wherever one is set (the admin's forms, {@code /api/v1/users},
 * {@code quire user add|passwd}): between {@code min} and {@code max} characters, counted as a
 * reader counts them (an emoji is one, not the two UTF-16 units Java counts), with something in it
 * besides spaces and no control characters (a NUL or an escape cannot be typed at a sign-in form,
 * so a password holding one locks its user out of the admin).
 */
public final class PasswordRules {

  private PasswordRules() {}

  /**
   * Whether {@code password} has more than {@code max} characters as {@link #problem} counts them:
   * no such password was ever set, so a sign-in with one is refused before it is hashed.
   */
  public static boolean longerThan(String password, int max) {
    // Each character is one or two UTF-16 units: decided without counting, except in between.
    return password.length() > max
        && (password.length() > 2 * max || password.codePointCount(0, password.length()) > max);
  }

  /** Null when {@code password} may be set, else what is wrong with it. */
  public static String problem(String password, int min, int max) {
    if (password == null || password.isEmpty()) {
      return "is required";
    }
    int characters = password.codePointCount(0, password.length());
    if (characters < min) {
      return "must be at least " + min + " characters (it has " + characters + ")";
    }
    if (characters > max) {
      return "must be at most " + max + " characters (it has " + characters + ")";
    }
    if (password.isBlank()) {
      return "must hold something besides spaces";
    }
    for (int i = 0, n = 1; i < password.length(); n++) {
      int c = password.codePointAt(i);
      if (Character.getType(c) == Character.CONTROL) {
        return "must not hold a control character (character " + n + ")";
      }
      i += Character.charCount(c);
    }
    return null;
  }
}
