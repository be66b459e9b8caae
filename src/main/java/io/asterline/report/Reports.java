package io.asterline.report;

import io.asterline.http.HttpServer;
import java.time.Clock;
import org.jooq.DSLContext;

/** Wires the admin reports: the catalog (built-in and {@code reports.dir}), the runner and the API routes. */
public final class Reports {

  private Reports() {}

  public static void routes(ReportConfig config, DSLContext dsl, HttpServer http) {
    http.routes(new ReportRoutes(new ReportCatalog(config.dir()), new ReportRunner(dsl, config.timeout()),
        Clock.systemUTC()));
  }
}
