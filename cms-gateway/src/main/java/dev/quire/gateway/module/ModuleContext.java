package dev.quire.gateway.module;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import dev.quire.gateway.content.ContentClient;
import dev.quire.gateway.render.Templates;
import dev.quire.gateway.site.PageRenderer;
import dev.quire.gateway.site.SiteState;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The narrow view of the gateway a module gets: content (through protocol messages only), the
 * in-memory site, templates and JSON. Nothing here reaches the write side's classes or tables.
 */
public interface ModuleContext {
  ActorSystem<?> system();

  Config config();

  /** The site's time zone ({@code quire.site.time-zone}): dates on pages, times in the admin. */
  default java.time.ZoneId zone() {
    return dev.quire.protocol.ConfigChecks.timeZone(config());
  }

  ContentClient content();

  SiteState site();

  Templates templates();

  /** Theme pages with the variables every page has. */
  PageRenderer pages();

  ObjectMapper json();

  /** The enabled modules, in order (for pages that gather fragments from all of them). */
  java.util.List<CmsModule> modules();

  /** Items' histories: one read, diff and revert for the API and the admin. */
  dev.quire.gateway.api.Revisions revisions();

  /**
   * The site's settings as pages show them now (the configuration's, with what editors set over
   * them); read them at each use, never keep a copy.
   */
  dev.quire.gateway.site.LiveSettings settings();

  /** A context of these parts: the gateway's own, and a test's (null for parts it does not use). */
  record Of(
      ActorSystem<?> system,
      Config config,
      ContentClient content,
      SiteState site,
      Templates templates,
      PageRenderer pages,
      ObjectMapper json,
      java.util.List<CmsModule> modules,
      dev.quire.gateway.api.Revisions revisions,
      dev.quire.gateway.site.LiveSettings settings)
      implements ModuleContext {

    /** A test's context, without histories, with the configuration's site settings. */
    public Of(
        ActorSystem<?> system,
        Config config,
        ContentClient content,
        SiteState site,
        Templates templates,
        PageRenderer pages,
        ObjectMapper json,
        java.util.List<CmsModule> modules) {
      this(
          system,
          config,
          content,
          site,
          templates,
          pages,
          json,
          modules,
          null,
          config == null || !config.hasPath("quire.site")
              ? null
              : dev.quire.gateway.site.LiveSettings.fixed(
                  dev.quire.gateway.site.SiteSettings.fromConfig(config)));
    }
  }
}
