package io.asterline.cost;

import io.asterline.error.InvalidInputException;
import io.asterline.error.NotFoundException;
import io.asterline.http.Auth;
import io.asterline.http.Principal;
import io.asterline.report.ReportException;
import io.asterline.report.ReportParams;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code GET /api/providers/comparison?tenant=&from=&to=}: Asterisk and Twilio side by side per tenant
 * ({@link ProviderComparison}). The admin token sees every tenant; a tenant token sees only its own, as with
 * {@code /api/reports} (another tenant's id is "not found", so ids of other tenants are not even confirmed).
 */
final class ProviderComparisonRoutes implements Consumer<Javalin> {

  private final ProviderComparison comparison;
  private final Clock clock;

  ProviderComparisonRoutes(ProviderComparison comparison, Clock clock) {
    this.comparison = comparison;
    this.clock = clock;
  }

  @Override
  public void accept(Javalin app) {
    app.get("/api/providers/comparison", this::compare);
  }

  private void compare(Context ctx) {
    Principal principal = Auth.principal(ctx);
    Map<String, String> raw = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> q : ctx.queryParamMap().entrySet()) {
      if (q.getValue().size() > 1) {
        throw new InvalidInputException(q.getKey(), "parameter " + q.getKey() + " is given more than once");
      }
      raw.put(q.getKey(), q.getValue().isEmpty() ? "" : q.getValue().get(0));
    }
    ReportParams params;
    try {
      params = ReportParams.parse(raw, clock);
    } catch (ReportException e) {
      throw new InvalidInputException(e.field(), e.getMessage());
    }
    if (!principal.admin()) {
      long own = principal.tenantId().getAsLong();
      params.tenant().filter(requested -> requested != own).ifPresent(requested -> {
        throw new NotFoundException("no tenant " + requested);
      });
      params = params.forTenant(own);
    }
    ctx.json(comparison.compare(params));
  }
}
