package io.asterline.did;

import static io.asterline.db.generated.Tables.DID_POLICY;
import static org.jooq.impl.DSL.val;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.jooq.QueryPart;
import org.jooq.Record;
import org.jooq.impl.SQLDataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Number health: per DID (and per destination) the answer rate, short-call ratio, voicemail rate and failures by
 * cause of its outbound calls over a rolling window, read from the {@code call} rows; and the evaluation that puts
 * a DID below its tenant's thresholds in quarantine for a cool-off period and takes it out again afterwards.
 *
 * <p>An evaluation is one UPDATE. Every node runs it on its own timer; two running at once cannot double anything:
 * the second waits on the rows the first changed and PostgreSQL re-checks each row's own conditions ("not
 * quarantined now", "quarantine over") against the committed row, which the first already moved on.
 */
public final class NumberHealth implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(NumberHealth.class);

  /** A DID the evaluation moved: into quarantine ({@code reason} set) or out of it ({@code reason} null). */
  public record Change(UUID didId, long tenantId, String number, String reason, OffsetDateTime until) {
    public boolean quarantined() {
      return reason != null;
    }
  }

  /**
   * A DID's (or one destination's) figures over the window: calls finished, answered, answered calls shorter than
   * the short-call threshold, answered by a machine, and the unanswered ones by outcome. Rates are null without a
   * denominator.
   */
  public record Figures(long calls, long answered, long shortCalls, long voicemail, Map<String, Long> failures,
      Double answerRate, Double shortCallRatio, Double voicemailRate) {

    static Figures of(long calls, long answered, long shortCalls, long voicemail, Map<String, Long> failures) {
      return new Figures(calls, answered, shortCalls, voicemail, failures, ratio(answered, calls),
          ratio(shortCalls, answered), ratio(voicemail, answered));
    }

    private static Double ratio(long n, long d) {
      return d == 0 ? null : Math.round(n * 10000.0 / d) / 10000.0;
    }
  }

  /** One destination of a DID's calls: {@code +1 415} (a North American area code) or {@code +44} (a country). */
  public record Destination(String destination, Figures figures) {}

  /**
   * A DID's health as the API shows it. {@code health}: {@code quarantined}, {@code pinned} or {@code ok}.
   * {@code destinations} is filled for one DID only.
   */
  public record DidHealth(UUID id, long tenantId, String number, String segment, String status, String health,
      boolean pinned, OffsetDateTime quarantinedAt, OffsetDateTime quarantinedUntil, String quarantineReason,
      OffsetDateTime since, Figures figures, List<Destination> destinations) {}

  /** A tenant's own settings; a null field is the configured default, shown in {@code effective}. */
  public record Policy(Integer dailyCap, Integer healthMinCalls, Double healthMinAnswerRate,
      Double healthMaxShortCallRatio, Double healthMaxVoicemailRate, Integer healthCoolOffSeconds) {}

  private final DSLContext dsl;
  private final DidConfig.Health config;
  private final java.util.OptionalInt defaultDailyCap;
  private ScheduledExecutorService timer;

  public NumberHealth(DSLContext dsl, DidConfig.Health config, java.util.OptionalInt defaultDailyCap) {
    this.dsl = dsl;
    this.config = config;
    this.defaultDailyCap = defaultDailyCap;
  }

  /** Starts this node's evaluations every {@code did.health.interval} (none when it is zero). */
  public synchronized void start() {
    if (config.interval().isZero() || timer != null) {
      return;
    }
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
      Thread thread = new Thread(r, "did-health");
      thread.setDaemon(true);
      return thread;
    });
    t.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    long every = config.interval().toMillis();
    t.scheduleWithFixedDelay(this::evaluateLogged, every, every, TimeUnit.MILLISECONDS);
    timer = t;
  }

  @Override
  public synchronized void close() {
    if (timer != null) {
      timer.shutdownNow();
      timer = null;
    }
  }

  private void evaluateLogged() {
    try {
      evaluate();
    } catch (RuntimeException e) {
      // the next run tries again; rotation keeps honouring the quarantines already stored
      log.warn("number health evaluation failed: {}", e.toString());
    }
  }

  // ---------------------------------------------------------------- the evaluation

  /*
   * The calls of a DID that count: outbound, over (ended or failed), in the window, after the number's last fresh
   * start (health_since), and, once a quarantine is over, after its end. {0} window in seconds.
   */
  private static final String COUNTED = """
      c.did_id = d.id AND c.direction = 'outbound' AND c.state IN ('ended', 'failed')
        AND c.created_at >= now() - make_interval(secs => {0})
        AND c.created_at >= coalesce(d.health_since, '-infinity'::timestamptz)
        AND (d.quarantined_until IS NULL OR d.quarantined_until > now() OR c.created_at >= d.quarantined_until)""";

  /** The figures' aggregates over {@code c}, {1} short-call threshold in seconds. */
  private static final String FIGURES = """
      count(c.id) AS calls,
      count(c.id) FILTER (WHERE c.answered_at IS NOT NULL) AS answered,
      count(c.id) FILTER (WHERE c.answered_at IS NOT NULL AND c.ended_at IS NOT NULL
                            AND c.ended_at - c.answered_at < make_interval(secs => {1})) AS short_calls,
      count(c.id) FILTER (WHERE c.answered_at IS NOT NULL
                            AND (c.voicemail_result = 'machine' OR c.outcome IN ('machine_hangup', 'voicemail'))) AS voicemail""";

  /**
   * {2} min calls, {3} min answer rate, {4} max short-call ratio, {5} max voicemail rate, {6} cool-off seconds
   * (the defaults, for tenants without their own in did_policy).
   */
  private static final String EVALUATE = """
      WITH counted AS (
        SELECT d.id, %s
        FROM did d JOIN call c ON %s
        WHERE NOT d.health_pinned AND (d.quarantined_until IS NULL OR d.quarantined_until <= now())
        GROUP BY d.id
      ), judged AS (
        SELECT k.id, coalesce(p.health_cool_off_seconds, {6}) AS cool_off,
          CASE
            WHEN k.calls < coalesce(p.health_min_calls, {2}) THEN NULL
            WHEN k.answered < k.calls * coalesce(p.health_min_answer_rate, {3})
              THEN format('answer rate %%s%%%% (%%s of %%s calls) below %%s%%%%', round(100.0 * k.answered / k.calls, 1),
                          k.answered, k.calls, round(100 * coalesce(p.health_min_answer_rate, {3}), 1))
            WHEN k.answered > 0 AND k.short_calls > k.answered * coalesce(p.health_max_short_call_ratio, {4})
              THEN format('short calls %%s%%%% (%%s of %%s answered under %%s s) above %%s%%%%',
                          round(100.0 * k.short_calls / k.answered, 1), k.short_calls, k.answered, {1},
                          round(100 * coalesce(p.health_max_short_call_ratio, {4}), 1))
            WHEN k.answered > 0 AND k.voicemail > k.answered * coalesce(p.health_max_voicemail_rate, {5})
              THEN format('voicemail rate %%s%%%% (%%s of %%s answered) above %%s%%%%',
                          round(100.0 * k.voicemail / k.answered, 1), k.voicemail, k.answered,
                          round(100 * coalesce(p.health_max_voicemail_rate, {5}), 1))
          END AS reason
        FROM counted k JOIN did d ON d.id = k.id LEFT JOIN did_policy p ON p.tenant_id = d.tenant_id
      ), moves AS (
        SELECT d.id, j.reason, j.cool_off
        FROM did d LEFT JOIN judged j ON j.id = d.id
        WHERE j.reason IS NOT NULL OR d.quarantined_until <= now()
      )
      UPDATE did SET
        quarantined_until = CASE WHEN m.reason IS NOT NULL THEN now() + make_interval(secs => m.cool_off) END,
        quarantined_at = CASE WHEN m.reason IS NOT NULL THEN now() END,
        quarantine_reason = m.reason,
        -- out of quarantine: a fresh start, the calls that put it there are behind it
        health_since = CASE WHEN m.reason IS NULL THEN did.quarantined_until ELSE did.health_since END,
        updated_at = now()
      FROM moves m
      WHERE did.id = m.id
        AND ((m.reason IS NOT NULL AND NOT did.health_pinned
              AND (did.quarantined_until IS NULL OR did.quarantined_until <= now()))
          OR (m.reason IS NULL AND did.quarantined_until <= now()))
      RETURNING did.id, did.tenant_id, did.number, did.quarantine_reason, did.quarantined_until"""
      .formatted(FIGURES, COUNTED);

  /** Quarantines the DIDs below their tenant's thresholds and restores those whose cool-off is over: one statement. */
  public List<Change> evaluate() {
    List<Change> changes = dsl.resultQuery(EVALUATE, arguments()).fetch(r -> new Change(
        r.get("id", UUID.class), r.get("tenant_id", Long.class), r.get("number", String.class),
        r.get("quarantine_reason", String.class), r.get("quarantined_until", OffsetDateTime.class)));
    for (Change c : changes) {
      if (c.quarantined()) {
        log.warn("tenant {}: DID {} quarantined until {}: {}", c.tenantId(), c.number(), c.until(), c.reason());
      } else {
        log.info("tenant {}: DID {} back in rotation, its cool-off is over", c.tenantId(), c.number());
      }
    }
    return changes;
  }

  private QueryPart[] arguments() {
    return new QueryPart[] {seconds(config.window()), seconds(config.shortCall()), val(config.minCalls()),
        val(BigDecimal.valueOf(config.minAnswerRate())), val(BigDecimal.valueOf(config.maxShortCallRatio())),
        val(BigDecimal.valueOf(config.maxVoicemailRate())), val(config.coolOff().toSeconds())};
  }

  private static QueryPart seconds(Duration d) {
    return val(d.toMillis() / 1000.0, SQLDataType.DOUBLE);
  }

  // ---------------------------------------------------------------- reading

  private static final String BY_DID = """
      SELECT d.id, d.tenant_id, d.number, d.segment, d.status, d.health_pinned, d.quarantined_at, d.quarantined_until,
             d.quarantine_reason, d.health_since, %s
      FROM did d LEFT JOIN call c ON %s
      WHERE ({2}::bigint IS NULL OR d.tenant_id = {2}) AND ({3}::text IS NULL OR d.segment = {3})
        AND ({4}::uuid IS NULL OR d.id = {4})
      GROUP BY d.id
      ORDER BY d.tenant_id, d.number""".formatted(FIGURES, COUNTED);

  private static final String FAILURES = """
      SELECT d.id, coalesce(c.outcome, 'unknown') AS outcome, count(*) AS n
      FROM did d JOIN call c ON %s
      WHERE c.answered_at IS NULL
        AND ({2}::bigint IS NULL OR d.tenant_id = {2}) AND ({3}::text IS NULL OR d.segment = {3})
        AND ({4}::uuid IS NULL OR d.id = {4})
      GROUP BY d.id, 2
      ORDER BY d.id, 3 DESC, 2""".formatted(COUNTED);

  private static final String BY_DESTINATION = """
      SELECT did_destination(c.remote_number) AS destination, %s
      FROM did d JOIN call c ON %s
      WHERE d.id = {4}
      GROUP BY 1
      ORDER BY 2 DESC, 1""".formatted(FIGURES, COUNTED);

  private static final String DESTINATION_FAILURES = """
      SELECT did_destination(c.remote_number) AS destination, coalesce(c.outcome, 'unknown') AS outcome, count(*) AS n
      FROM did d JOIN call c ON %s
      WHERE d.id = {4} AND c.answered_at IS NULL
      GROUP BY 1, 2
      ORDER BY 1, 3 DESC, 2""".formatted(COUNTED);

  /** The health of the DIDs {@code tenant} sees (empty: all), in one segment or all of them. */
  public List<DidHealth> list(OptionalLong tenant, Optional<String> segment) {
    return read(tenant, segment, Optional.empty(), false);
  }

  /** One DID's health with its destinations. */
  public Optional<DidHealth> one(UUID id, OptionalLong tenant) {
    return read(tenant, Optional.empty(), Optional.of(id), true).stream().findFirst();
  }

  private List<DidHealth> read(OptionalLong tenant, Optional<String> segment, Optional<UUID> id,
      boolean destinations) {
    QueryPart[] args = readArguments(tenant, segment, id);
    Map<UUID, Map<String, Long>> failures = new LinkedHashMap<>();
    dsl.resultQuery(FAILURES, args).forEach(r -> failures.computeIfAbsent(r.get("id", UUID.class),
        k -> new LinkedHashMap<>()).put(r.get("outcome", String.class), r.get("n", Long.class)));
    List<DidHealth> out = new ArrayList<>();
    for (Record r : dsl.resultQuery(BY_DID, args).fetch()) {
      UUID did = r.get("id", UUID.class);
      OffsetDateTime until = r.get("quarantined_until", OffsetDateTime.class);
      boolean pinned = r.get("health_pinned", Boolean.class);
      boolean quarantined = until != null && until.isAfter(OffsetDateTime.now());
      List<Destination> dests = destinations ? destinations(args) : List.of();
      out.add(new DidHealth(did, r.get("tenant_id", Long.class), r.get("number", String.class),
          r.get("segment", String.class), r.get("status", String.class),
          quarantined ? "quarantined" : pinned ? "pinned" : "ok", pinned,
          r.get("quarantined_at", OffsetDateTime.class), until, r.get("quarantine_reason", String.class),
          r.get("health_since", OffsetDateTime.class), figures(r, failures.getOrDefault(did, Map.of())), dests));
    }
    return out;
  }

  private List<Destination> destinations(QueryPart[] args) {
    Map<String, Map<String, Long>> failures = new LinkedHashMap<>();
    dsl.resultQuery(DESTINATION_FAILURES, args).forEach(r -> failures.computeIfAbsent(
        r.get("destination", String.class), k -> new LinkedHashMap<>())
        .put(r.get("outcome", String.class), r.get("n", Long.class)));
    return dsl.resultQuery(BY_DESTINATION, args).fetch(r -> new Destination(r.get("destination", String.class),
        figures(r, failures.getOrDefault(r.get("destination", String.class), Map.of()))));
  }

  private static Figures figures(Record r, Map<String, Long> failures) {
    return Figures.of(r.get("calls", Long.class), r.get("answered", Long.class), r.get("short_calls", Long.class),
        r.get("voicemail", Long.class), failures);
  }

  private QueryPart[] readArguments(OptionalLong tenant, Optional<String> segment, Optional<UUID> id) {
    return new QueryPart[] {seconds(config.window()), seconds(config.shortCall()),
        val(tenant.isPresent() ? tenant.getAsLong() : null, SQLDataType.BIGINT),
        val(segment.orElse(null), SQLDataType.CLOB), val(id.orElse(null), SQLDataType.UUID)};
  }

  // ---------------------------------------------------------------- the tenant's policy

  public Policy policy(long tenantId) {
    return dsl.selectFrom(DID_POLICY).where(DID_POLICY.TENANT_ID.eq(tenantId))
        .fetchOptional(p -> new Policy(p.getDailyCap(), p.getHealthMinCalls(), dbl(p.getHealthMinAnswerRate()),
            dbl(p.getHealthMaxShortCallRatio()), dbl(p.getHealthMaxVoicemailRate()), p.getHealthCoolOffSeconds()))
        .orElse(new Policy(null, null, null, null, null, null));
  }

  /** Replaces the tenant's policy (null fields: the configured defaults). */
  public Policy setPolicy(long tenantId, Policy p) {
    dsl.insertInto(DID_POLICY)
        .set(DID_POLICY.TENANT_ID, tenantId)
        .set(DID_POLICY.DAILY_CAP, p.dailyCap())
        .set(DID_POLICY.HEALTH_MIN_CALLS, p.healthMinCalls())
        .set(DID_POLICY.HEALTH_MIN_ANSWER_RATE, dec(p.healthMinAnswerRate()))
        .set(DID_POLICY.HEALTH_MAX_SHORT_CALL_RATIO, dec(p.healthMaxShortCallRatio()))
        .set(DID_POLICY.HEALTH_MAX_VOICEMAIL_RATE, dec(p.healthMaxVoicemailRate()))
        .set(DID_POLICY.HEALTH_COOL_OFF_SECONDS, p.healthCoolOffSeconds())
        .onConflict(DID_POLICY.TENANT_ID).doUpdate()
        .set(DID_POLICY.DAILY_CAP, p.dailyCap())
        .set(DID_POLICY.HEALTH_MIN_CALLS, p.healthMinCalls())
        .set(DID_POLICY.HEALTH_MIN_ANSWER_RATE, dec(p.healthMinAnswerRate()))
        .set(DID_POLICY.HEALTH_MAX_SHORT_CALL_RATIO, dec(p.healthMaxShortCallRatio()))
        .set(DID_POLICY.HEALTH_MAX_VOICEMAIL_RATE, dec(p.healthMaxVoicemailRate()))
        .set(DID_POLICY.HEALTH_COOL_OFF_SECONDS, p.healthCoolOffSeconds())
        .set(DID_POLICY.UPDATED_AT, OffsetDateTime.now())
        .execute();
    return policy(tenantId);
  }

  /** What applies to the tenant: its own settings, else the configured defaults. */
  public Map<String, Object> effective(Policy p) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("dailyCap", p.dailyCap() != null ? p.dailyCap()
        : defaultDailyCap.isPresent() ? defaultDailyCap.getAsInt() : null);
    e.put("healthMinCalls", p.healthMinCalls() != null ? p.healthMinCalls() : config.minCalls());
    e.put("healthMinAnswerRate", p.healthMinAnswerRate() != null ? p.healthMinAnswerRate() : config.minAnswerRate());
    e.put("healthMaxShortCallRatio", p.healthMaxShortCallRatio() != null ? p.healthMaxShortCallRatio()
        : config.maxShortCallRatio());
    e.put("healthMaxVoicemailRate", p.healthMaxVoicemailRate() != null ? p.healthMaxVoicemailRate()
        : config.maxVoicemailRate());
    e.put("healthCoolOffSeconds", p.healthCoolOffSeconds() != null ? p.healthCoolOffSeconds()
        : config.coolOff().toSeconds());
    e.put("healthWindowSeconds", config.window().toSeconds());
    e.put("healthShortCallSeconds", config.shortCall().toMillis() / 1000.0);
    return e;
  }

  private static Double dbl(BigDecimal d) {
    return d == null ? null : d.doubleValue();
  }

  private static BigDecimal dec(Double d) {
    return d == null ? null : BigDecimal.valueOf(d);
  }
}
