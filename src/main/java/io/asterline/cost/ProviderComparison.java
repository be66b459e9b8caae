package io.asterline.cost;

import static io.asterline.db.generated.Tables.TENANT;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.error.InvalidInputException;
import io.asterline.error.NotFoundException;
import io.asterline.report.Report;
import io.asterline.report.ReportException;
import io.asterline.report.ReportParams;
import io.asterline.report.ReportRunner;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.JSON;
import org.jooq.JSONB;
import org.jooq.Record;
import org.jooq.Record3;

/**
 * The operators' view of the move from Twilio to Asterisk, per tenant: the {@code provider_comparison} report's two
 * rows side by side (the same figures, run through the same runner), the tenant's Asterisk share, and what a month
 * would save if the share rose to 100 %: the period's saving had its Twilio calls been carried on their SIP trunks
 * (each call's Twilio minutes against its trunk's rate, which is what the report's {@code saved_if_moved} sums),
 * scaled from the period's length to 30 days.
 */
public final class ProviderComparison {

  static final String REPORT = "provider_comparison";
  private static final BigDecimal MONTH_DAYS = BigDecimal.valueOf(30);
  private static final BigDecimal DAY_SECONDS = BigDecimal.valueOf(86_400);
  private static final List<String> PROVIDERS = List.of("asterisk", "twilio");

  private final DSLContext dsl;
  private final ReportRunner runner;
  private final Report report;
  private final ObjectMapper json;
  /** The share of a tenant without its own: 100 when telephony.provider is asterisk, 0 when twilio. */
  private final int defaultShare;

  public ProviderComparison(DSLContext dsl, ReportRunner runner, Report report, ObjectMapper json, int defaultShare) {
    this.dsl = dsl;
    this.runner = runner;
    this.report = report;
    this.json = json;
    this.defaultShare = defaultShare;
  }

  /**
   * Every tenant with calls in the period (or only the tenant given, with or without calls), with both providers'
   * figures ({@code null} for a provider that carried none of its calls). An unknown tenant is not found; a
   * parameter that does not parse is refused naming it.
   */
  public Map<String, Object> compare(ReportParams params) {
    params.tenant().ifPresent(id -> {
      if (!dsl.fetchExists(TENANT, TENANT.ID.eq(id))) {
        throw new NotFoundException("no tenant " + id);
      }
    });
    List<Record> rows;
    try {
      rows = runner.run(report, params);
    } catch (ReportException e) {
      throw new InvalidInputException(e.field(), e.getMessage());
    }
    Map<Long, Map<String, Map<String, Object>>> byTenant = new TreeMap<>();
    for (Record r : rows) {
      byTenant.computeIfAbsent(r.get("tenant_id", Long.class), k -> new LinkedHashMap<>())
          .put(r.get("provider", String.class), figures(r));
    }
    TreeSet<Long> ids = new TreeSet<>(byTenant.keySet());
    params.tenant().ifPresent(ids::add);
    Map<Long, Record3<Long, String, Short>> tenants = new TreeMap<>();
    dsl.select(TENANT.ID, TENANT.NAME, TENANT.ASTERISK_SHARE).from(TENANT).where(TENANT.ID.in(ids))
        .forEach(t -> tenants.put(t.value1(), t));

    BigDecimal days = BigDecimal.valueOf(Duration.between(params.from(), params.to()).getSeconds())
        .divide(DAY_SECONDS, 6, RoundingMode.HALF_UP);
    List<Map<String, Object>> out = new ArrayList<>();
    for (long id : ids) {
      Map<String, Map<String, Object>> providers = byTenant.getOrDefault(id, Map.of());
      Record3<Long, String, Short> t = tenants.get(id);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("tenant", id);
      m.put("name", t == null ? null : t.value2());
      // the share in force: the tenant's own, or telephony.provider's (asterisk = 100, twilio = 0)
      boolean own = t != null && t.value3() != null;
      m.put("asteriskShare", own ? t.value3().intValue() : defaultShare);
      m.put("asteriskShareFrom", own ? "tenant" : "telephony.provider");
      Map<String, Object> side = new LinkedHashMap<>();
      for (String p : PROVIDERS) {
        side.put(p, providers.get(p));
      }
      m.put("providers", side);
      m.put("ifAllOnAsterisk", projection(providers.get("twilio"), days));
      out.add(m);
    }
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("from", params.from().toString());
    answer.put("to", params.to().toString());
    answer.put("periodDays", days.stripTrailingZeros());
    answer.put("tenants", out);
    return answer;
  }

  /** The Twilio calls of the period moved to Asterisk, and that saving over a 30-day month. */
  private static Map<String, Object> projection(Map<String, Object> twilio, BigDecimal days) {
    BigDecimal minutes = twilio == null ? BigDecimal.ZERO : (BigDecimal) twilio.get("billed_minutes");
    BigDecimal saved = twilio == null || twilio.get("saved_if_moved") == null ? BigDecimal.ZERO
        : (BigDecimal) twilio.get("saved_if_moved");
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("twilioBilledMinutes", minutes);
    m.put("savedInPeriod", saved);
    m.put("projectedMonthlySaving", saved.multiply(MONTH_DAYS).divide(days, 4, RoundingMode.HALF_UP));
    return m;
  }

  private Map<String, Object> figures(Record r) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (Field<?> f : r.fields()) {
      String name = f.getName();
      if (name.equals("tenant_id") || name.equals("provider")) {
        continue;
      }
      Object v = r.get(f);
      m.put(name, name.equals("failures") ? jsonObject(v) : v);
    }
    return m;
  }

  private Object jsonObject(Object v) {
    String text = v instanceof JSONB b ? b.data() : v instanceof JSON j ? j.data() : v == null ? "{}" : v.toString();
    try {
      return json.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("report " + REPORT + " gave failures that are not JSON", e);
    }
  }
}
