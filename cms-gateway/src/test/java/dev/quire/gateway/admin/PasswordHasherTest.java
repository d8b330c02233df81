package dev.quire.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.junit.jupiter.api.Test;

class PasswordHasherTest {

  /** Small parameters: the same code paths, a fraction of the time. */
  final PasswordHasher hasher = new PasswordHasher(new PasswordHasher.Params(1024, 1, 1));

  @Test
  void hashesAreArgon2idPhcStringsWithTheirOwnSaltAndVerify() {
    String a = hasher.hash("correct horse battery");
    String b = hasher.hash("correct horse battery");
    assertThat(a).startsWith("$argon2id$v=19$m=1024,t=1,p=1$");
    assertThat(a).as("a fresh salt each time").isNotEqualTo(b);
    assertThat(hasher.verify("correct horse battery", a)).isTrue();
    assertThat(hasher.verify("correct horse batterY", a)).isFalse();
    assertThat(hasher.verify("", a)).isFalse();
    assertThat(hasher.verify("ünïcødé pässwörd", hasher.hash("ünïcødé pässwörd"))).isTrue();
    assertThat(hasher.verifyNobody("anything")).isFalse();
  }

  /** An unknown name costs one derivation, as a wrong password does, the first time too. */
  @Test
  void anUnknownNameCostsWhatAWrongPasswordCosts() {
    PasswordHasher fresh = new PasswordHasher(new PasswordHasher.Params(1024, 1, 1));
    assertThat(fresh.verifyNobody("guess")).isFalse();
    assertThat(fresh.derivations()).isEqualTo(1);
    assertThat(fresh.verifyNobody("guess again")).isFalse();
    assertThat(fresh.derivations()).isEqualTo(2);
    String stored = fresh.hash("the right one");
    assertThat(fresh.verify("wrong", stored)).isFalse();
    assertThat(fresh.derivations()).isEqualTo(4);
  }

  @Test
  void aHashMadeWithOtherParametersStillVerifies() {
    String old = new PasswordHasher(new PasswordHasher.Params(2048, 2, 2)).hash("s3cret-enough");
    assertThat(old).contains("m=2048,t=2,p=2");
    assertThat(hasher.verify("s3cret-enough", old)).isTrue();
  }

  @Test
  void aHashIsOutdatedWhenItHasLessMemoryOrFewerPassesThanConfigured() {
    PasswordHasher strong = new PasswordHasher(new PasswordHasher.Params(2048, 2, 1));
    assertThat(strong.outdated(strong.hash("s3cret-enough"))).isFalse();
    assertThat(strong.outdated(new PasswordHasher(new PasswordHasher.Params(1024, 2, 1)).hash("x")))
        .as("less memory")
        .isTrue();
    assertThat(strong.outdated(new PasswordHasher(new PasswordHasher.Params(2048, 1, 1)).hash("x")))
        .as("fewer passes")
        .isTrue();
    assertThat(strong.outdated(new PasswordHasher(new PasswordHasher.Params(2048, 2, 2)).hash("x")))
        .as("other lanes, as strong")
        .isFalse();
    assertThat(strong.outdated(new PasswordHasher(new PasswordHasher.Params(4096, 3, 1)).hash("x")))
        .as("stronger than configured: never made weaker")
        .isFalse();
    assertThat(strong.outdated("not a hash")).as("nothing to rehash from").isFalse();
  }

  @Test
  void theRfc9106TestVectorIsReadAsThePhcStringOfTheReferenceImplementation() {
    // The reference implementation's argon2 tool prints, for password "password", salt
    // "somesalt", t=2, m=65536, p=1 (its README):
    String reference =
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
    assertThat(hasher.verify("password", reference)).isTrue();
    assertThat(hasher.verify("passwore", reference)).isFalse();
    // And Bouncy Castle, asked directly, gives the same bytes.
    Argon2BytesGenerator g = new Argon2BytesGenerator();
    g.init(
        new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
            .withVersion(Argon2Parameters.ARGON2_VERSION_13)
            .withMemoryAsKB(65536)
            .withIterations(2)
            .withParallelism(1)
            .withSalt("somesalt".getBytes(StandardCharsets.UTF_8))
            .build());
    byte[] out = new byte[32];
    g.generateBytes("password".getBytes(StandardCharsets.UTF_8), out);
    assertThat(java.util.Base64.getEncoder().withoutPadding().encodeToString(out))
        .isEqualTo("CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc");
  }

  @Test
  void unreadableOrExcessiveHashesAreRefusedWithoutRunning() {
    assertThat(hasher.verify("x", null)).isFalse();
    assertThat(hasher.verify("x", "")).isFalse();
    assertThat(hasher.verify("x", "$2b$12$abcdefghijklmnopqrstuv")).as("bcrypt").isFalse();
    assertThat(hasher.verify("x", "$argon2i$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$c29tZXNhbHQxMjM0NTY"))
        .as("argon2i, not id")
        .isFalse();
    // 4 GiB of memory asked for by a stored hash: refused, not attempted.
    assertThat(
            hasher.verify("x", "$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHQ$c29tZXNhbHQxMjM0NTY"))
        .isFalse();
  }

  @Test
  void settingsPastWhatTheSiteChecksAreRefusedAtStart() {
    // What the site makes it must also check, and a restore of its own backup must take.
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new PasswordHasher.Params(2 << 20, 2, 1))
        .hasMessageContaining("quire.gateway.admin.argon2")
        .hasMessageContaining("1048576 KiB");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new PasswordHasher.Params(1024, 0, 1))
        .hasMessageContaining("at least 1 iteration");
  }
}
