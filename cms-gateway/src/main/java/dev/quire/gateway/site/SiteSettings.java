package dev.quire.gateway.site;

import com.typesafe.config.Config;

/** {@code site} in templates: what the site says about itself ({@code quire.site}). */
public record SiteSettings(
    String title,
    String description,
    String baseUrl,
    String language,
    String author,
    int homePosts,
    int pageSize) {

  public static SiteSettings fromConfig(Config c) {
    Config s = c.getConfig("quire.site");
    String base = s.getString("base-url");
    return new SiteSettings(
        s.getString("title"),
        s.getString("description"),
        base.endsWith("/") ? base.substring(0, base.length() - 1) : base,
        s.getString("language"),
        s.getString("author"),
        s.getInt("home-posts"),
        s.getInt("page-size"));
  }
}
