package io.asterline.report;

import io.asterline.feature.Feature;
import io.javalin.Javalin;
import java.time.Clock;
import java.util.function.Consumer;
import org.jooq.DSLContext;

/** The admin reports feature: the catalog (built-in and {@code reports.dir}), the runner and the API routes. */
public final class Reports implements Feature {

  private final ReportRoutes routes;

  private Reports(ReportRoutes routes) {
    this.routes = routes;
  }

  public static Reports start(ReportConfig config, DSLContext dsl) {
    return new Reports(new ReportRoutes(new ReportCatalog(config.dir()), new ReportRunner(dsl, config.timeout()),
        Clock.systemUTC()));
  }

  @Override
  public String name() {
    return "report";
  }

  @Override
  public Consumer<Javalin> routes() {
    return routes;
  }
}
