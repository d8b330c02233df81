package dev.quire.cli;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.path;

import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/**
 * {@code /metrics} on the Pekko Management port, in Prometheus's text format: the JVM (memory, GC,
 * threads, classes, CPU, uptime) and the gateway's {@code quire_http_requests_seconds} by route
 * group, method and status. Registered in {@code pekko.management.http.routes}.
 */
public final class MetricsRoutes implements ManagementRouteProvider {

  /** One Prometheus registry per JVM, added to Micrometer's global registry. */
  private static final PrometheusMeterRegistry PROMETHEUS = create();

  private static PrometheusMeterRegistry create() {
    PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(r);
    new JvmGcMetrics().bindTo(r);
    new JvmThreadMetrics().bindTo(r);
    new ClassLoaderMetrics().bindTo(r);
    new ProcessorMetrics().bindTo(r);
    new UptimeMetrics().bindTo(r);
    Metrics.globalRegistry.add(r);
    return r;
  }

  /** Pekko Management creates route providers reflectively with the actor system. */
  public MetricsRoutes(ExtendedActorSystem system) {}

  public MetricsRoutes() {}

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    return path(
        "metrics",
        () ->
            org.apache.pekko.http.javadsl.server.Directives.get(
                () ->
                    complete(
                        HttpResponse.create()
                            .withEntity(
                                HttpEntities.create(
                                    ContentTypes.TEXT_PLAIN_UTF8, PROMETHEUS.scrape())))));
  }
}
