package dev.quire.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What a new password must be, wherever one is set. */
class PasswordRulesTest {

  @Test
  void lengthIsCountedAsAReaderCountsIt() {
    assertThat(PasswordRules.problem("correct horse", 10, 20)).isNull();
    assertThat(PasswordRules.problem("123456789", 10, 20))
        .isEqualTo("must be at least 10 characters (it has 9)");
    // Five emoji are five characters (ten UTF-16 units): too short, as they look.
    assertThat(PasswordRules.problem("😀".repeat(5), 10, 20))
        .isEqualTo("must be at least 10 characters (it has 5)");
    assertThat(PasswordRules.problem("😀".repeat(10), 10, 20)).isNull();
    assertThat(PasswordRules.problem("x".repeat(21), 10, 20))
        .isEqualTo("must be at most 20 characters (it has 21)");
    assertThat(PasswordRules.problem("", 10, 20)).isEqualTo("is required");
    assertThat(PasswordRules.problem(null, 10, 20)).isEqualTo("is required");
  }

  @Test
  void spacesAloneAndControlCharactersAreRefusedSpacesWithinAreFine() {
    assertThat(PasswordRules.problem(" ".repeat(10), 10, 20))
        .isEqualTo("must hold something besides spaces");
    assertThat(PasswordRules.problem("\t \u3000".repeat(4), 10, 20))
        .isEqualTo("must hold something besides spaces");
    assertThat(PasswordRules.problem("\u0000".repeat(10), 10, 20))
        .isEqualTo("must not hold a control character (character 1)");
    assertThat(PasswordRules.problem("😀secret\u001bpass", 10, 20))
        .isEqualTo("must not hold a control character (character 8)");
    assertThat(PasswordRules.problem("a long pass phrase", 10, 20)).isNull();
  }

  @Test
  void aSignInLongerThanAnyPasswordSetIsToldApartWithoutHashing() {
    assertThat(PasswordRules.longerThan("😀".repeat(20), 20)).isFalse();
    assertThat(PasswordRules.longerThan("😀".repeat(21), 20)).isTrue();
    assertThat(PasswordRules.longerThan("x".repeat(20), 20)).isFalse();
    assertThat(PasswordRules.longerThan("x".repeat(21), 20)).isTrue();
  }
}
