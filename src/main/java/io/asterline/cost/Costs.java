package io.asterline.cost;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.feature.Feature;
import io.asterline.report.Reports;
import io.javalin.Javalin;
import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cost ledger feature: every {@code costs.interval} this node prices the calls that ended ({@link CostLedger});
 * every node may, each call is priced once. The figures are read through the {@code call_costs} and
 * {@code provider_comparison} reports, and the latter per tenant, both providers side by side, at
 * {@code GET /api/providers/comparison} ({@link ProviderComparison}).
 */
public final class Costs implements Feature {

  private static final Logger log = LoggerFactory.getLogger(Costs.class);

  private final ScheduledExecutorService timer;
  private final ProviderComparisonRoutes routes;

  private Costs(ScheduledExecutorService timer, ProviderComparisonRoutes routes) {
    this.timer = timer;
    this.routes = routes;
  }

  /**
   * @param reports the report feature, whose runner and built-in {@code provider_comparison} the view runs
   * @param defaultShare the Asterisk share of tenants without their own (telephony.provider: asterisk 100, twilio 0)
   */
  public static Costs start(CostConfig config, DSLContext dsl, Reports reports, ObjectMapper json, int defaultShare) {
    ProviderComparisonRoutes routes = new ProviderComparisonRoutes(new ProviderComparison(dsl, reports.runner(),
        reports.catalog().builtIn(ProviderComparison.REPORT), json, defaultShare), Clock.systemUTC());
    if (config.interval().isZero()) {
      return new Costs(null, routes);
    }
    CostLedger ledger = new CostLedger(dsl, config);
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "cost-ledger");
      t.setDaemon(true);
      return t;
    });
    long every = config.interval().toMillis();
    timer.scheduleWithFixedDelay(() -> {
      try {
        int priced = ledger.priceEnded();
        if (priced > 0) {
          log.debug("priced {} ended calls", priced);
        }
      } catch (RuntimeException e) {
        // the database is away: the next round prices them, nothing is lost (costs.lookback is the limit)
        log.warn("pricing ended calls failed ({}); trying again in {} ms", e.getMessage(), every);
      }
    }, every, every, TimeUnit.MILLISECONDS);
    return new Costs(timer, routes);
  }

  @Override
  public Consumer<Javalin> routes() {
    return routes;
  }

  @Override
  public String name() {
    return "cost";
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
  }
}
