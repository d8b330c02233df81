package dev.quire.content.project;

import java.util.Locale;

/** The few places where H2 and PostgreSQL SQL differ for the read model. */
public enum SqlDialect {
  H2("CHARACTER LARGE OBJECT"),
  POSTGRES("TEXT");

  private final String textType;

  SqlDialect(String textType) {
    this.textType = textType;
  }

  public String textType() {
    return textType;
  }

  public static SqlDialect fromJdbcUrl(String url) {
    String lower = url.toLowerCase(Locale.ROOT);
    if (lower.startsWith("jdbc:h2:")) {
      return H2;
    }
    if (lower.startsWith("jdbc:postgresql:")) {
      return POSTGRES;
    }
    throw new IllegalArgumentException("quire.db.url: unsupported database " + url);
  }
}
