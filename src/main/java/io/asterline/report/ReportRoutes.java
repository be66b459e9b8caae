package io.asterline.report;

import io.asterline.http.ApiException;
import io.asterline.http.Auth;
import io.asterline.http.Principal;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code GET /api/reports} lists the reports; {@code GET /api/reports/{name}?tenant=&from=&to=&segment=&format=}
 * runs one (format json by default; table, csv, html). The admin token sees every tenant; a tenant token is
 * held to its own tenant and cannot run reports that cover all tenants.
 */
final class ReportRoutes implements Consumer<Javalin> {

  private final ReportCatalog catalog;
  private final ReportRunner runner;
  private final Clock clock;

  ReportRoutes(ReportCatalog catalog, ReportRunner runner, Clock clock) {
    this.catalog = catalog;
    this.runner = runner;
    this.clock = clock;
  }

  @Override
  public void accept(Javalin app) {
    app.get("/api/reports", this::list);
    app.get("/api/reports/{name}", this::run);
  }

  private void list(Context ctx) {
    Principal principal = Auth.principal(ctx);
    List<Map<String, Object>> reports = catalog.entries().values().stream()
        .filter(e -> principal.admin() || e.report().map(r -> !r.coversAllTenants()).orElse(false))
        .map(e -> {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("name", e.name());
          e.report().ifPresent(r -> {
            m.put("title", r.title());
            m.put("description", r.description());
            m.put("params", r.params().stream().map(Report.Param::key).toList());
            m.put("allTenants", r.coversAllTenants());
            // the series the report is drawn as (the console's chart), when its header declares one
            m.put("chart", r.chart().map(c -> Map.of("x", c.x(), "ys", c.ys())).orElse(null));
          });
          e.problem().ifPresent(p -> m.put("problem", p));
          return m;
        })
        .toList();
    ctx.json(Map.of("reports", reports));
  }

  private void run(Context ctx) {
    Principal principal = Auth.principal(ctx);
    try {
      Report report = catalog.find(ctx.pathParam("name"));
      Map<String, String> raw = new LinkedHashMap<>();
      String format = null;
      for (Map.Entry<String, List<String>> q : ctx.queryParamMap().entrySet()) {
        if (q.getValue().size() > 1) {
          throw new ReportException(q.getKey(), "parameter " + q.getKey() + " is given more than once");
        }
        String value = q.getValue().isEmpty() ? "" : q.getValue().get(0);
        if (q.getKey().equals("format")) {
          format = value;
        } else {
          raw.put(q.getKey(), value);
        }
      }
      ReportFormat f = ReportFormat.parse(format);
      ReportParams params = ReportParams.parse(raw, clock);
      if (!principal.admin()) {
        if (report.coversAllTenants()) {
          throw new ApiException(403, null, "report '" + report.name() + "' covers all tenants: it needs the admin token");
        }
        Long requested = params.given().contains(Report.Param.TENANT) ? (Long) params.value(Report.Param.TENANT) : null;
        params = params.forTenant(principal.scope(requested, "tenant"));
      }
      ReportFormat out = f == null ? ReportFormat.JSON : f;
      ctx.contentType(out.contentType()).result(out.write(report, runner.run(report, params)));
    } catch (ReportException e) {
      throw new ApiException(e.notFound() ? 404 : 400, e.field(), e.getMessage());
    }
  }
}
