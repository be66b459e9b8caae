package io.asterline.compliance;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.feature.Feature;
import io.javalin.Javalin;
import java.time.Clock;
import java.util.function.Consumer;
import org.jooq.DSLContext;

/**
 * Calling windows and the do-not-call list, wired: the service outbound placement and the agent's opt_out tool
 * ask, and the HTTP routes that maintain them.
 */
public final class Compliance implements Feature {

  private final ComplianceService service;
  private final ComplianceRoutes routes;

  private Compliance(ComplianceService service, ComplianceRoutes routes) {
    this.service = service;
    this.routes = routes;
  }

  /** @param defaultCountryCode for numbers given without + in the API and CSV imports */
  public static Compliance start(DSLContext dsl, ObjectMapper json, String defaultCountryCode, Clock clock) {
    ComplianceService service = ComplianceService.create(dsl, clock);
    return new Compliance(service, new ComplianceRoutes(service.repository(), json, defaultCountryCode));
  }

  public ComplianceService service() {
    return service;
  }

  @Override
  public String name() {
    return "compliance";
  }

  @Override
  public Consumer<Javalin> routes() {
    return routes::register;
  }

  @Override
  public void close() {
    // nothing runs here: the journeys' scheduled calls are placed by outbound's poller
  }
}
