package io.asterline.did;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.feature.Feature;
import io.javalin.Javalin;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Consumer;
import org.jooq.DSLContext;

/**
 * The DID feature started: the DID service (outbound picks caller ids from it), the DID admin API, and this node's
 * number health evaluations.
 */
public final class Dids implements Feature {

  private final DidService service;
  private final NumberHealth health;
  private final Consumer<Javalin> routes;

  private Dids(DidService service, NumberHealth health, Consumer<Javalin> routes) {
    this.service = service;
    this.health = health;
    this.routes = routes;
  }

  public static Dids start(DidConfig config, DSLContext dsl, ObjectMapper json, MeterRegistry metrics) {
    DidService service = DidService.create(dsl, json, config, metrics);
    NumberHealth health = new NumberHealth(dsl, config.health(), config.defaultDailyCap());
    health.start();
    return new Dids(service, health, DidRoutes.of(service, health, json));
  }

  public DidService service() {
    return service;
  }

  public NumberHealth health() {
    return health;
  }

  @Override
  public String name() {
    return "did";
  }

  @Override
  public Consumer<Javalin> routes() {
    return routes;
  }

  @Override
  public void close() {
    health.close();
  }
}
