package io.asterline.report;

import io.asterline.feature.Feature;
import io.javalin.Javalin;
import java.time.Clock;
import java.util.function.Consumer;
import org.jooq.DSLContext;

/** The admin reports feature: the catalog (built-in and {@code reports.dir}), the runner and the API routes. */
public final class Reports implements Feature {

  private final ReportCatalog catalog;
  private final ReportRunner runner;
  private final ReportRoutes routes;

  private Reports(ReportCatalog catalog, ReportRunner runner, ReportRoutes routes) {
    this.catalog = catalog;
    this.runner = runner;
    this.routes = routes;
  }

  public static Reports start(ReportConfig config, DSLContext dsl) {
    ReportCatalog catalog = new ReportCatalog(config.dir());
    ReportRunner runner = new ReportRunner(dsl, config.timeout());
    return new Reports(catalog, runner, new ReportRoutes(catalog, runner, Clock.systemUTC()));
  }

  /** The catalog, for features that present a report of their own (the provider comparison). */
  public ReportCatalog catalog() {
    return catalog;
  }

  /** The runner (read-only, with reports.timeout), for features that present a report of their own. */
  public ReportRunner runner() {
    return runner;
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
