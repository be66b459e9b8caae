package io.asterline.app;

import io.asterline.http.HealthCheck;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;

/** The one meter registry, exposed at /metrics; features register their meters on it. */
public final class Metrics {

  private Metrics() {}

  public static PrometheusMeterRegistry registry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags("service", "asterline");
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    return registry;
  }

  /**
   * {@code asterline_health{part="database"|"agi"|"ami"|...}}: 1 while the part is up (or degraded but
   * serving), 0 otherwise; read at each scrape, so an alert fires on the same facts /health shows.
   */
  public static void bindHealth(MeterRegistry registry, List<HealthCheck> checks) {
    for (HealthCheck check : checks) {
      Gauge.builder("asterline.health", check, c -> {
            try {
              HealthCheck.State state = c.check().state();
              return state == HealthCheck.State.UP || state == HealthCheck.State.DEGRADED ? 1 : 0;
            } catch (RuntimeException e) {
              return 0;
            }
          })
          .tag("part", check.name())
          .description("1 when this part of the service is up")
          .strongReference(true)
          .register(registry);
    }
  }
}
