package dev.quire.gateway.admin;

import com.typesafe.config.Config;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2id password hashes (Bouncy Castle's implementation), stored in the PHC string format that
 * other tools read: {@code $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>}. The
 * parameters are read back from each hash, so raising them in config applies to new passwords and
 * old hashes still verify. Slow by design (tens of milliseconds and {@code m} KiB each): callers
 * run it off the threads that answer requests and bound how many run at once.
 */
public final class PasswordHasher {

  /** OWASP's first Argon2id choice: 19 MiB, 2 passes, 1 lane. */
  public record Params(int memoryKib, int iterations, int parallelism) {
    public Params {
      // The bounds every stored hash is held to (UserCommand.hashProblem), so that what the site
      // makes it also checks, and its own backups restore.
      if (memoryKib > dev.quire.protocol.UserCommand.MAX_HASH_MEMORY_KIB
          || iterations > dev.quire.protocol.UserCommand.MAX_HASH_PASSES
          || iterations < 1
          || parallelism < 1
          || memoryKib < 8 * parallelism) {
        throw new IllegalArgumentException(
            "quire.gateway.admin.argon2: memory "
                + memoryKib
                + " KiB, iterations "
                + iterations
                + ", parallelism "
                + parallelism
                + ": at least 1 iteration and 1 lane of 8 KiB, at most "
                + dev.quire.protocol.UserCommand.MAX_HASH_MEMORY_KIB
                + " KiB and "
                + dev.quire.protocol.UserCommand.MAX_HASH_PASSES
                + " iterations");
      }
    }

    public static Params fromConfig(Config c) {
      return new Params(
          (int) (c.getBytes("memory") / 1024), c.getInt("iterations"), c.getInt("parallelism"));
    }
  }

  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 32;

  /** Hashes in the form the site stores (and a restore takes). */
  private static final Pattern PHC = dev.quire.protocol.UserCommand.PASSWORD_HASH;

  private final Params params;
  private final SecureRandom random = new SecureRandom();

  /**
   * Checked against when a username does not exist, so that a wrong name and a wrong password take
   * the same time and a guesser cannot tell them apart. Made at the first such check, not at start
   * (a hash is tens of milliseconds the first page should not wait for).
   */
  private volatile String dummy;

  private final java.util.concurrent.atomic.LongAdder derivations =
      new java.util.concurrent.atomic.LongAdder();

  public PasswordHasher(Params params) {
    this.params = params;
  }

  public String hash(String password) {
    byte[] salt = new byte[SALT_BYTES];
    random.nextBytes(salt);
    byte[] out =
        derive(
            password,
            salt,
            params.memoryKib(),
            params.iterations(),
            params.parallelism(),
            HASH_BYTES);
    Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
    return "$argon2id$v=19$m="
        + params.memoryKib()
        + ",t="
        + params.iterations()
        + ",p="
        + params.parallelism()
        + "$"
        + b64.encodeToString(salt)
        + "$"
        + b64.encodeToString(out);
  }

  /** Whether {@code password} matches {@code stored}; false for a hash this cannot read. */
  public boolean verify(String password, String stored) {
    Matcher m = stored == null ? null : PHC.matcher(stored);
    if (m == null || !m.matches()) {
      return false;
    }
    if (dev.quire.protocol.UserCommand.hashProblem(stored) != null) {
      return false; // more than the site checks, or nothing a sign-in can use: refused, not run
    }
    int memory = Integer.parseInt(m.group(1));
    int passes = Integer.parseInt(m.group(2));
    int lanes = Integer.parseInt(m.group(3));
    Base64.Decoder b64 = Base64.getDecoder();
    byte[] salt;
    byte[] expected;
    try {
      salt = b64.decode(m.group(4));
      expected = b64.decode(m.group(5));
    } catch (IllegalArgumentException e) {
      return false;
    }
    byte[] actual = derive(password, salt, memory, passes, lanes, expected.length);
    return MessageDigest.isEqual(actual, expected);
  }

  /**
   * Whether {@code stored}, a hash this can read, was made with less memory or fewer passes than
   * configured now: a sign-in that checks a password against it hashes the password again, so that
   * raised parameters reach each account at its next sign-in. Never to weaker ones: parameters
   * lowered (by mistake, or test settings in production) leave every hash as it is.
   */
  public boolean outdated(String stored) {
    Matcher m = stored == null ? null : PHC.matcher(stored);
    if (m == null || !m.matches()) {
      return false;
    }
    return Integer.parseInt(m.group(1)) < params.memoryKib()
        || Integer.parseInt(m.group(2)) < params.iterations();
  }

  /**
   * Spends the time a real check takes, and answers false. The first call makes the hash it checks
   * against, which is that time already: checking against it too made the first unknown name after
   * a start take twice as long as a wrong password.
   */
  public boolean verifyNobody(String password) {
    String d = dummy;
    if (d == null) {
      dummy = hash("not a password of anyone's");
      return false;
    }
    verify(password, d);
    return false;
  }

  /** How many Argon2 derivations this hasher has run (each hash or check is one). */
  long derivations() {
    return derivations.sum();
  }

  private byte[] derive(
      String password, byte[] salt, int memoryKib, int passes, int lanes, int length) {
    Argon2Parameters p =
        new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
            .withVersion(Argon2Parameters.ARGON2_VERSION_13)
            .withMemoryAsKB(memoryKib)
            .withIterations(passes)
            .withParallelism(lanes)
            .withSalt(salt)
            .build();
    derivations.increment();
    Argon2BytesGenerator generator = new Argon2BytesGenerator();
    generator.init(p);
    byte[] out = new byte[length];
    generator.generateBytes(password.getBytes(StandardCharsets.UTF_8), out);
    return out;
  }
}
