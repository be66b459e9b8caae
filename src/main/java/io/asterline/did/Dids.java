package io.asterline.did;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.feature.Feature;
import io.javalin.Javalin;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Consumer;
import org.jooq.DSLContext;

/** The DID feature started: the DID service (outbound picks caller ids from it) and the DID admin API. */
public final class Dids implements Feature {

  private final DidService service;
  private final Consumer<Javalin> routes;

  private Dids(DidService service, Consumer<Javalin> routes) {
    this.service = service;
    this.routes = routes;
  }

  public static Dids start(DidConfig config, DSLContext dsl, ObjectMapper json, MeterRegistry metrics) {
    DidService service = DidService.create(dsl, json, config, metrics);
    return new Dids(service, DidRoutes.of(service, json));
  }

  public DidService service() {
    return service;
  }

  @Override
  public String name() {
    return "did";
  }

  @Override
  public Consumer<Javalin> routes() {
    return routes;
  }
}
