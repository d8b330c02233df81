package dev.quire.gateway.module;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import dev.quire.gateway.content.ContentClient;
import dev.quire.gateway.render.Templates;
import dev.quire.gateway.site.PageRenderer;
import dev.quire.gateway.site.SiteState;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * What a module under test is started with: the parts it uses, null for the ones it does not (the
 * gateway's own context is built in {@code Gateway.init}).
 */
public record TestModuleContext(
    ActorSystem<?> system,
    Config config,
    ContentClient content,
    SiteState site,
    Templates templates,
    PageRenderer pages,
    ObjectMapper json,
    List<CmsModule> modules)
    implements ModuleContext {}
