package dev.quire.gateway.site;

import dev.quire.gateway.render.Templates;
import java.time.Year;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.Map;

/**
 * Renders theme templates with the variables every page has ({@code site}, {@code nav}, {@code
 * currentPath}, {@code year}); used by the site and by the error pages.
 */
public final class PageRenderer {

  private final Templates templates;
  private final LiveSettings site;
  private final SiteState state;
  private final ZoneId zone;

  public PageRenderer(Templates templates, LiveSettings site, SiteState state, ZoneId zone) {
    this.templates = templates;
    this.site = site;
    this.state = state;
    this.zone = zone;
  }

  public byte[] render(String template, String path, Map<String, Object> vars) {
    return render(state.snapshot(), template, path, vars);
  }

  public byte[] render(
      SiteSnapshot snapshot, String template, String path, Map<String, Object> vars) {
    Map<String, Object> model = new HashMap<>(vars);
    SiteSettings settings = site.get();
    model.put("site", settings);
    model.put("nav", snapshot.nav());
    model.put("currentPath", path);
    model.put("year", Year.now(zone).getValue());
    return templates.renderBytes(
        template, model, dev.quire.gateway.render.DisplayDate.locale(settings.language()));
  }

  /** The site's settings, as pages show them now. */
  public LiveSettings settings() {
    return site;
  }

  /**
   * The theme's error page for {@code status}; {@code message} is shown under its own words. The
   * site's "starting" message ({@link SiteState#STARTING}) is said by the theme's words instead
   * ({@code error.starting.*}, in the site's language).
   */
  public byte[] errorPage(int status, String message, String path) {
    boolean starting = SiteState.STARTING.equals(message);
    return render(
        "site/" + (status == 404 ? 404 : 500) + ".peb",
        path,
        Map.of(
            "status",
            status,
            "message",
            message == null || starting ? "" : message,
            "starting",
            starting));
  }
}
