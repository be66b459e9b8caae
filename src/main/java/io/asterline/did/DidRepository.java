package io.asterline.did;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.OUTBOUND_CALL;
import static org.jooq.impl.DSL.coalesce;
import static org.jooq.impl.DSL.condition;
import static org.jooq.impl.DSL.excluded;
import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.inline;
import static org.jooq.impl.DSL.noCondition;
import static org.jooq.impl.DSL.val;
import static org.jooq.impl.DSL.when;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.QueryPart;
import org.jooq.Record;
import org.jooq.SortField;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * DIDs as stored in PostgreSQL, and the caller-ID pick.
 *
 * <p>A pick is one statement: lock the best eligible row that no one else holds (SKIP LOCKED), count the
 * use and stamp the time. Every eligibility rule (status, daily cap, cooldown, the least-used bound) is a
 * condition on the locked row, so when another node updated that row after this statement's snapshot,
 * PostgreSQL re-checks the rules against the committed row before taking it.
 */
public final class DidRepository {

  /**
   * What rotation picks from: a tenant's numbers, in one segment or all of them, near a callee or not; for a
   * lead, whose last call's caller ID comes first while it is still eligible (sticky).
   */
  public record Pool(long tenantId, Optional<String> segment, Optional<String> calleeAreaCode, Optional<Long> leadId,
      boolean twilioOnly) {

    public Pool(long tenantId, Optional<String> segment, Optional<String> calleeAreaCode) {
      this(tenantId, segment, calleeAreaCode, Optional.empty());
    }

    public Pool(long tenantId, Optional<String> segment, Optional<String> calleeAreaCode, Optional<Long> leadId) {
      this(tenantId, segment, calleeAreaCode, leadId, false);
    }

    /** The same pool, only the numbers Twilio holds (a call placed through Twilio's REST API presents one). */
    public Pool twilio() {
      return new Pool(tenantId, segment, calleeAreaCode, leadId, true);
    }
  }

  /** A page of a listing, and how many match in all. */
  public record Page(List<Did> dids, long total) {}

  /** A new number. */
  public record NewDid(long tenantId, String number, String segment, String trunk, String status,
      Integer dailyCap, Integer cooldownSeconds, ObjectNode metadata) {}

  /** Changes to a number; null fields stay as they are, the clear flags set a policy back to the default. */
  public record DidPatch(String number, String segment, String trunk, String status, Integer dailyCap,
      boolean clearDailyCap, Integer cooldownSeconds, boolean clearCooldown, ObjectNode metadata) {}

  /** What an import did with one number. */
  public enum Upsert { CREATED, UPDATED, UNCHANGED, OTHER_TENANT }

  /** A number to import (already E.164), the status it gets if it is new, and metadata to merge. */
  public record Imported(String number, String statusIfNew, ObjectNode metadata) {}

  private static final List<String> USABLE = Did.USABLE.stream().sorted().toList();

  private final DSLContext dsl;
  private final ObjectMapper json;
  private final Field<Integer> defaultCap;
  private final Field<Double> defaultCooldownSeconds;
  private final Field<String> zone;

  public DidRepository(DSLContext dsl, ObjectMapper json, OptionalInt defaultDailyCap, Duration defaultCooldown,
      ZoneId dayTimeZone) {
    this.dsl = dsl;
    this.json = json;
    this.defaultCap = val(defaultDailyCap.isPresent() ? defaultDailyCap.getAsInt() : null, SQLDataType.INTEGER);
    this.defaultCooldownSeconds = val(defaultCooldown.toMillis() / 1000.0, SQLDataType.DOUBLE);
    this.zone = val(dayTimeZone.getId(), SQLDataType.CLOB);
  }

  // ---------------------------------------------------------------- reading and editing

  public Optional<Did> find(UUID id, OptionalLong tenant) {
    return dsl.select(columns()).from(DID)
        .where(DID.ID.eq(id)).and(tenantIs(DID, tenant))
        .fetchOptional(this::toDid);
  }

  /** The DID with this (E.164) number, whichever tenant holds it. */
  public Optional<Did> findByNumber(String number) {
    return dsl.select(columns()).from(DID).where(DID.NUMBER.eq(number)).fetchOptional(this::toDid);
  }

  /**
   * Merges {@code facts} into the metadata of {@code number} while it is still the Twilio number
   * {@code externalSid}, in one statement (keys written meanwhile by anyone else are kept). False when the number
   * is gone or is no longer that Twilio number.
   */
  public boolean mergeTwilioMetadata(String number, String externalSid, ObjectNode facts) {
    return dsl.update(DID)
        .set(DID.METADATA, field("{0} || {1}", SQLDataType.JSONB, DID.METADATA, val(jsonb(facts), SQLDataType.JSONB)))
        .set(DID.UPDATED_AT, field("now()", SQLDataType.TIMESTAMPWITHTIMEZONE))
        .where(DID.NUMBER.eq(number))
        .and(field("{0} ->> 'external_sid'", SQLDataType.CLOB, DID.METADATA).eq(externalSid))
        .execute() == 1;
  }

  /** The tenant holding {@code number}, if any: for a conflict's message. */
  public OptionalLong ownerOf(String number) {
    return dsl.select(DID.TENANT_ID).from(DID).where(DID.NUMBER.eq(number))
        .fetchOptional(DID.TENANT_ID).map(OptionalLong::of).orElse(OptionalLong.empty());
  }

  public Page list(OptionalLong tenant, Optional<String> segment, Optional<String> status, Optional<String> trunk,
      int offset, int limit) {
    Condition where = tenantIs(DID, tenant)
        .and(segment.map(DID.SEGMENT::eq).orElse(noCondition()))
        .and(status.map(DID.STATUS::eq).orElse(noCondition()))
        .and(trunk.map(DID.TRUNK::eq).orElse(noCondition()));
    List<Did> dids = dsl.select(columns()).from(DID).where(where)
        .orderBy(DID.TENANT_ID, DID.NUMBER)
        .offset(offset).limit(limit)
        .fetch(this::toDid);
    long total = dsl.fetchCount(DID, where);
    return new Page(dids, total);
  }

  public List<String> segments(OptionalLong tenant) {
    return dsl.selectDistinct(DID.SEGMENT).from(DID).where(tenantIs(DID, tenant))
        .orderBy(DID.SEGMENT)
        .fetch(DID.SEGMENT);
  }

  /**
   * One pool as the console's DIDs page shows it, over all its numbers: how many per status, the trunks, the
   * distinct daily caps and cooldowns (null = the configured default), and the picks today and in all.
   */
  public record SegmentSummary(String segment, long dids, Map<String, Long> statuses, List<String> trunks,
      List<Integer> dailyCaps, List<Integer> cooldownSeconds, long usesToday, long usageCount) {}

  public List<SegmentSummary> segmentSummaries(OptionalLong tenant) {
    Field<Integer> today = when(DID.DAILY_USAGE_DATE.eq(today()), DID.DAILY_USAGE_COUNT).otherwise(0);
    Map<String, Map<String, Long>> statuses = new LinkedHashMap<>();
    dsl.select(DID.SEGMENT, DID.STATUS, DSL.count()).from(DID).where(tenantIs(DID, tenant))
        .groupBy(DID.SEGMENT, DID.STATUS).orderBy(DID.SEGMENT, DID.STATUS)
        .forEach(r -> statuses.computeIfAbsent(r.value1(), k -> new LinkedHashMap<>()).put(r.value2(),
            r.value3().longValue()));
    return dsl.select(DID.SEGMENT, DSL.count(),
            DSL.arrayAggDistinct(DID.TRUNK),
            DSL.arrayAggDistinct(DID.DAILY_CAP),
            DSL.arrayAggDistinct(DID.COOLDOWN_SECONDS),
            DSL.sum(today), DSL.sum(DID.USAGE_COUNT))
        .from(DID).where(tenantIs(DID, tenant))
        .groupBy(DID.SEGMENT).orderBy(DID.SEGMENT)
        .fetch(r -> new SegmentSummary(r.value1(), r.value2(), statuses.getOrDefault(r.value1(), Map.of()),
            java.util.Arrays.asList(r.value3()), java.util.Arrays.asList(r.value4()),
            java.util.Arrays.asList(r.value5()), r.value6() == null ? 0 : r.value6().longValue(),
            r.value7() == null ? 0 : r.value7().longValue()));
  }

  /** Calls that used a segment's numbers on one day (UTC): inbound to one of them, or outbound with one as caller ID. */
  public record SegmentDay(LocalDate day, String segment, long calls) {}

  /**
   * Calls per segment and day over the last {@code days} days, oldest first: the usage the console charts. Outbound
   * calls count under the segment they were placed from (kept on the call even when the DID moved since).
   */
  public List<SegmentDay> usageByDay(OptionalLong tenant, int days) {
    Field<String> segment = coalesce(OUTBOUND_CALL.DID_SEGMENT, DID.SEGMENT);
    Field<LocalDate> day = field("({0} AT TIME ZONE 'UTC')::date", LocalDate.class, CALL.CREATED_AT);
    Condition where = CALL.CREATED_AT.ge(field("now() - make_interval(days => {0})",
        java.time.OffsetDateTime.class, val(days)));
    if (tenant.isPresent()) {
      where = where.and(CALL.TENANT_ID.eq(tenant.getAsLong()));
    }
    return dsl.select(day, segment, DSL.count())
        .from(CALL)
        .leftJoin(OUTBOUND_CALL).on(OUTBOUND_CALL.CALL_ID.eq(CALL.ID))
        .leftJoin(DID).on(DID.ID.eq(CALL.DID_ID))
        .where(where).and(segment.isNotNull())
        .groupBy(day, segment)
        .orderBy(day, segment)
        .fetch(r -> new SegmentDay(r.value1(), r.value2(), r.value3()));
  }

  /** Inserts a number; a number that exists already fails on did_number_unique. */
  public Did insert(NewDid d) {
    return dsl.insertInto(DID)
        .set(DID.TENANT_ID, d.tenantId())
        .set(DID.NUMBER, d.number())
        .set(DID.SEGMENT, d.segment())
        .set(DID.TRUNK, d.trunk())
        .set(DID.STATUS, d.status())
        .set(DID.DAILY_CAP, d.dailyCap())
        .set(DID.COOLDOWN_SECONDS, d.cooldownSeconds())
        .set(DID.METADATA, jsonb(d.metadata() == null ? json.createObjectNode() : d.metadata()))
        .returningResult(columns())
        .fetchOne(this::toDid);
  }

  public Optional<Did> update(UUID id, OptionalLong tenant, DidPatch p) {
    Map<Field<?>, Object> set = new LinkedHashMap<>();
    if (p.number() != null) {
      set.put(DID.NUMBER, p.number());
    }
    if (p.segment() != null) {
      set.put(DID.SEGMENT, p.segment());
    }
    if (p.trunk() != null) {
      set.put(DID.TRUNK, p.trunk());
    }
    if (p.status() != null) {
      set.put(DID.STATUS, p.status());
    }
    if (p.dailyCap() != null || p.clearDailyCap()) {
      set.put(DID.DAILY_CAP, p.dailyCap());
    }
    if (p.cooldownSeconds() != null || p.clearCooldown()) {
      set.put(DID.COOLDOWN_SECONDS, p.cooldownSeconds());
    }
    if (p.metadata() != null) {
      set.put(DID.METADATA, jsonb(p.metadata()));
    }
    set.put(DID.UPDATED_AT, field("now()", SQLDataType.TIMESTAMPWITHTIMEZONE));
    return dsl.update(DID).set(set)
        .where(DID.ID.eq(id)).and(tenantIs(DID, tenant))
        .returningResult(columns())
        .fetchOptional(this::toDid);
  }

  /**
   * An operator's word on a number's health: {@code pinned} true keeps it out of automatic quarantine for good
   * (and ends one it is in), false lets the evaluation judge it again; {@code release} ends a quarantine now and
   * starts its health window afresh. Null {@code pinned}: unchanged.
   */
  public Optional<Did> setHealth(UUID id, OptionalLong tenant, Boolean pinned, boolean release) {
    Map<Field<?>, Object> set = new LinkedHashMap<>();
    if (pinned != null) {
      set.put(DID.HEALTH_PINNED, pinned);
    }
    if (release || Boolean.TRUE.equals(pinned)) {
      set.put(DID.QUARANTINED_UNTIL, null);
      set.put(DID.QUARANTINED_AT, null);
      set.put(DID.QUARANTINE_REASON, null);
    }
    if (release) {
      set.put(DID.HEALTH_SINCE, field("now()", SQLDataType.TIMESTAMPWITHTIMEZONE));
    }
    set.put(DID.UPDATED_AT, field("now()", SQLDataType.TIMESTAMPWITHTIMEZONE));
    return dsl.update(DID).set(set)
        .where(DID.ID.eq(id)).and(tenantIs(DID, tenant))
        .returningResult(columns())
        .fetchOptional(this::toDid);
  }

  public boolean delete(UUID id, OptionalLong tenant) {
    return dsl.deleteFrom(DID).where(DID.ID.eq(id)).and(tenantIs(DID, tenant)).execute() == 1;
  }

  // ---------------------------------------------------------------- the pick

  /**
   * One attempt at picking from the pool; counts the use. When nothing was picked, {@code lowestCount} is
   * the lowest usage count among the eligible numbers this attempt saw, which concurrent picks took first
   * (worth another attempt); empty when the pool held no eligible number at all.
   */
  public record Attempt(Optional<Did> did, OptionalLong lowestCount) {
    public boolean contended() {
      return did.isEmpty() && lowestCount.isPresent();
    }
  }

  /**
   * One attempt at a pick. For a lead, the DID of its last call when that is still eligible; else candidates are
   * the eligible numbers (status, quarantine, daily cap, cooldown), local ones
   * only when the callee's area code is known and the pool has some, else all; they are taken in order of
   * usage count, then least recently used.
   *
   * <p>With {@code fair}, only rows at the lowest usage count (as this statement's snapshot saw it) qualify:
   * a row another pick raised meanwhile fails that bound on re-check and is passed over, so counts never
   * drift more than one apart. Without it, any eligible row that is not locked qualifies: the way out when a
   * row at the lowest count stays locked by something slower than a pick (a long import transaction).
   */
  public Attempt pick(Pool pool, boolean fair) {
    Record r = dsl.resultQuery(PICK.get(PickVariant.of(pool, fair)), arguments(pool))
        .coerce(pickColumns())
        .fetchOne();
    if (r.get(DID.ID) != null) {
      return new Attempt(Optional.of(toDid(r)), OptionalLong.empty());
    }
    Long lowest = r.get(LOWEST_SEEN);
    return new Attempt(Optional.empty(), lowest == null ? OptionalLong.empty() : OptionalLong.of(lowest));
  }

  private static final Field<Long> LOWEST_SEEN = field(DSL.name("lowest_seen"), SQLDataType.BIGINT);

  private List<Field<?>> pickColumns() {
    List<Field<?>> f = columns();
    f.add(LOWEST_SEEN);
    return f;
  }

  /*
   * The pick, written out as SQL because it is the hot path (rendering it from the DSL on every call cost
   * more CPU than PostgreSQL spends executing it) and because this one statement is the whole concurrency
   * story, so it should read as such. One statement per PickVariant, so each keeps its own plan: the pool's
   * rows through did_rotation_idx (or did_tenant_rotation_idx), sorted here. No index holds usage_count or
   * last_used_at, so the UPDATE is a HOT update that leaves no dead index entries behind (see migration V3).
   * Arguments: those of arguments(). RETURNING lists the columns in the order of columns(), which coerce()
   * relies on. The statement always answers one row: the picked number, or nulls and the lowest usage count of
   * the eligible numbers the snapshot held (null: none), so a pick that lost every candidate to concurrent
   * picks needs no second query to know it should try again.
   */

  /** The shape of a pool and of a pick, which chooses the statement: every combination has its own. */
  private record PickVariant(boolean bySegment, boolean nearCallee, boolean fair, boolean sticky, boolean twilio) {

    static PickVariant of(Pool pool, boolean fair) {
      return new PickVariant(pool.segment().isPresent(), pool.calleeAreaCode().isPresent(), fair,
          pool.leadId().isPresent(), pool.twilioOnly());
    }

    static List<PickVariant> all() {
      List<PickVariant> all = new ArrayList<>();
      for (boolean segment : new boolean[] {false, true}) {
        for (boolean local : new boolean[] {false, true}) {
          for (boolean fair : new boolean[] {false, true}) {
            for (boolean sticky : new boolean[] {false, true}) {
              for (boolean twilio : new boolean[] {false, true}) {
                all.add(new PickVariant(segment, local, fair, sticky, twilio));
              }
            }
          }
        }
      }
      return all;
    }
  }

  private static final Map<PickVariant, String> PICK = new HashMap<>();

  static {
    for (PickVariant v : PickVariant.all()) {
      PICK.put(v, pickSql(v));
    }
  }

  private static String pickSql(PickVariant v) {
    String lowest = "(SELECT m.usage_count FROM did m WHERE " + eligibleSql("m", v.bySegment(), v.twilio())
        + " ORDER BY m.usage_count LIMIT 1)";
    String lowestLocal = "(SELECT l.usage_count FROM did l WHERE " + eligibleSql("l", v.bySegment(), v.twilio())
        + " AND l.area_code = {2} ORDER BY l.usage_count LIMIT 1)";
    String bound;
    if (v.fair()) {
      bound = v.nearCallee()
          ? "((c.area_code = {2} AND c.usage_count <= " + lowestLocal + ")"
              + " OR (" + lowestLocal + " IS NULL AND c.usage_count <= " + lowest + "))"
          : "c.usage_count <= " + lowest;
    } else {
      bound = v.nearCallee() ? "(c.area_code = {2} OR " + lowestLocal + " IS NULL)" : "true";
    }
    return """
        WITH picked AS (
        UPDATE did SET
          usage_count = usage_count + 1,
          last_used_at = now(),
          daily_usage_count = CASE WHEN daily_usage_date = {3} THEN daily_usage_count + 1 ELSE 1 END,
          daily_usage_date = {3}
        WHERE id = %s(
          SELECT c.id FROM did c
          WHERE %s
            AND %s
          ORDER BY c.usage_count, c.last_used_at NULLS FIRST, c.id
          LIMIT 1
          FOR NO KEY UPDATE SKIP LOCKED)%s
        RETURNING id, tenant_id, number, segment, trunk, status, usage_count, last_used_at, daily_cap,
          cooldown_seconds, area_code, metadata, created_at, updated_at, quarantined_at, quarantined_until,
          quarantine_reason, health_pinned,
          CASE WHEN daily_usage_date = {3} THEN daily_usage_count ELSE 0 END AS uses_today
        )
        SELECT p.*, CASE WHEN p.id IS NULL THEN %s END AS lowest_seen
        FROM (SELECT 1) AS one LEFT JOIN picked p ON true"""
        .formatted(v.sticky() ? "coalesce(" + stickySql(v.bySegment(), v.twilio()) + ", " : "",
            eligibleSql("c", v.bySegment(), v.twilio()), bound, v.sticky() ? ")" : "",
            v.nearCallee() ? "coalesce(" + lowestLocal + ", " + lowest + ")" : lowest);
  }

  /**
   * The sticky candidate: the DID of the lead's last outbound call, locked if it is still eligible (and free), else
   * null so the pick falls through to rotation in the same statement. {6} lead. Local presence and the fairness
   * bound do not apply: the callee has seen this number before, and seeing it again is the point.
   */
  private static String stickySql(boolean segment, boolean twilio) {
    return "(SELECT s.id FROM did s WHERE s.id = (SELECT lc.did_id FROM outbound_call lo JOIN call lc ON lc.id = lo.call_id"
        + " WHERE lo.tenant_id = {0} AND lo.lead_id = {6} AND lc.did_id IS NOT NULL"
        + " ORDER BY lc.created_at DESC LIMIT 1)"
        + " AND " + eligibleSql("s", segment, twilio) + " FOR NO KEY UPDATE SKIP LOCKED)";
  }

  /**
   * The eligibility rules, the one text of them: the pool's tenant (and segment), a usable status, not in an
   * automatic quarantine, under the daily cap (the DID's own, else the tenant's in did_policy, else the
   * configured one), out of its cooldown. Used by the pick and by {@link #peek}, with {@link #arguments}: {0}
   * tenant, {1} segment, {3} today, {4} default cap, {5} default cooldown in seconds. The status list is inline
   * so the partial rotation indexes ({@code WHERE status IN ('active', 'available')}) match. With {@code twilio},
   * only the numbers Twilio holds ({@link #twilioNumberSql}).
   */
  private static String eligibleSql(String t, boolean segment, boolean twilio) {
    return eligibleSql(t, segment) + (twilio ? " AND " + twilioNumberSql(t) : "");
  }

  /**
   * A number Twilio holds, so Twilio's REST API may present it as a call's From: what {@code dids import twilio}
   * marks in the number's metadata.
   */
  private static String twilioNumberSql(String t) {
    return t + ".metadata->>'provider' = 'Twilio'";
  }

  private static String eligibleSql(String t, boolean segment) {
    String cap = "coalesce(" + t + ".daily_cap, (SELECT dp.daily_cap FROM did_policy dp WHERE dp.tenant_id = {0}), {4})";
    return (t + ".tenant_id = {0}" + (segment ? " AND " + t + ".segment = {1}" : "")
        + " AND " + t + ".status IN (" + String.join(", ", USABLE.stream().map(u -> "'" + u + "'").toList()) + ")"
        + " AND (" + t + ".quarantined_until IS NULL OR " + t + ".quarantined_until <= now())"
        + " AND (" + cap + " IS NULL OR " + t + ".daily_usage_date IS DISTINCT FROM {3}"
        + " OR " + t + ".daily_usage_count < " + cap + ")"
        + " AND (coalesce(" + t + ".cooldown_seconds::float8, {5}) <= 0 OR " + t + ".last_used_at IS NULL"
        + " OR " + t + ".last_used_at <= now() - make_interval(secs => coalesce(" + t + ".cooldown_seconds::float8, {5})))");
  }

  /** The values of the placeholders in {@link #eligibleSql} and the pick statements, in order. */
  private QueryPart[] arguments(Pool pool) {
    return new QueryPart[] {val(pool.tenantId()), val(pool.segment().orElse(null), SQLDataType.CLOB),
        val(pool.calleeAreaCode().orElse(null), SQLDataType.CLOB), today(), defaultCap, defaultCooldownSeconds,
        val(pool.leadId().orElse(null), SQLDataType.BIGINT)};
  }

  /** The number {@link #pick} would take now, without counting a use. */
  public Optional<Did> peek(Pool pool) {
    return dsl.select(columns()).from(DID)
        .where(condition(eligibleSql(DID.getName(), pool.segment().isPresent(), pool.twilioOnly()), arguments(pool)))
        .orderBy(rotationOrder(DID, pool))
        .limit(1)
        .fetchOptional(this::toDid);
  }

  /**
   * Counts a use of one named number, if it is the tenant's and its status is usable. A number chosen by
   * name is the caller's deliberate choice: cap and cooldown shape rotation only.
   */
  public Optional<Did> pickById(long tenantId, UUID id) {
    return pickById(tenantId, id, false);
  }

  /** As {@link #pickById(long, UUID)}; with {@code twilioOnly}, only when Twilio holds the number. */
  public Optional<Did> pickById(long tenantId, UUID id, boolean twilioOnly) {
    Field<LocalDate> today = today();
    return dsl.update(DID)
        .set(DID.USAGE_COUNT, DID.USAGE_COUNT.plus(1))
        .set(DID.LAST_USED_AT, field("now()", SQLDataType.TIMESTAMPWITHTIMEZONE))
        .set(DID.DAILY_USAGE_COUNT, when(DID.DAILY_USAGE_DATE.eq(today), DID.DAILY_USAGE_COUNT.plus(1)).otherwise(1))
        .set(DID.DAILY_USAGE_DATE, today)
        .where(DID.ID.eq(id)).and(DID.TENANT_ID.eq(tenantId)).and(DID.STATUS.in(USABLE))
        .and(twilioOnly ? condition(twilioNumberSql(DID.getName())) : noCondition())
        .returningResult(columns())
        .fetchOptional(this::toDid);
  }

  /** Gives back one use a pick counted, for a call that never left (AMI down, originate refused). */
  public void giveBack(UUID id) {
    Field<LocalDate> today = today();
    dsl.update(DID)
        .set(DID.USAGE_COUNT, DID.USAGE_COUNT.minus(1))
        .set(DID.DAILY_USAGE_COUNT, when(DID.DAILY_USAGE_DATE.eq(today).and(DID.DAILY_USAGE_COUNT.gt(0)),
            DID.DAILY_USAGE_COUNT.minus(1)).otherwise(DID.DAILY_USAGE_COUNT))
        .where(DID.ID.eq(id)).and(DID.USAGE_COUNT.gt(0L))
        .execute();
  }

  // ---------------------------------------------------------------- import

  /**
   * Imports numbers in one transaction: each is created for the tenant, or (the tenant's already) moved to
   * the segment and trunk with its metadata merged; another tenant's number is left alone. Outcomes in the
   * order of {@code numbers}.
   */
  public List<Upsert> upsertAll(long tenantId, String segment, String trunk, List<Imported> numbers) {
    return dsl.transactionResult(tx -> {
      List<Upsert> outcomes = new ArrayList<>();
      for (Imported n : numbers) {
        outcomes.add(upsert(tx.dsl(), tenantId, n.number(), segment, trunk, n.statusIfNew(), n.metadata()));
      }
      return outcomes;
    });
  }

  /** One statement, so an import racing an API edit or a second import never duplicates a number. */
  private Upsert upsert(DSLContext tx, long tenantId, String number, String segment, String trunk,
      String statusIfNew, ObjectNode metadata) {
    JSONB meta = jsonb(metadata);
    Optional<Boolean> inserted = tx.insertInto(DID)
        .set(DID.TENANT_ID, tenantId)
        .set(DID.NUMBER, number)
        .set(DID.SEGMENT, segment)
        .set(DID.TRUNK, trunk)
        .set(DID.STATUS, statusIfNew)
        .set(DID.METADATA, meta)
        .onConflict(DID.NUMBER)
        .doUpdate()
        .set(DID.SEGMENT, excluded(DID.SEGMENT))
        .set(DID.TRUNK, excluded(DID.TRUNK))
        .set(DID.METADATA, field("{0} || {1}", SQLDataType.JSONB, DID.METADATA, excluded(DID.METADATA)))
        .set(DID.UPDATED_AT, field("now()", SQLDataType.TIMESTAMPWITHTIMEZONE))
        .where(DID.TENANT_ID.eq(excluded(DID.TENANT_ID)))
        .and(DID.SEGMENT.ne(excluded(DID.SEGMENT))
            .or(DID.TRUNK.ne(excluded(DID.TRUNK)))
            .or(condition("not ({0} @> {1})", DID.METADATA, excluded(DID.METADATA))))
        // xmax is 0 on a row this statement inserted, set on one it updated
        .returningResult(field("xmax = 0", SQLDataType.BOOLEAN))
        .fetchOptional(r -> r.value1());
    if (inserted.isPresent()) {
      return inserted.get() ? Upsert.CREATED : Upsert.UPDATED;
    }
    Long owner = tx.select(DID.TENANT_ID).from(DID).where(DID.NUMBER.eq(number)).fetchOne(DID.TENANT_ID);
    return owner != null && owner == tenantId ? Upsert.UNCHANGED : Upsert.OTHER_TENANT;
  }

  // ---------------------------------------------------------------- parts

  private Field<LocalDate> today() {
    return field("(now() at time zone {0})::date", SQLDataType.LOCALDATE, zone);
  }

  /** Local numbers first (when the callee is known), then the lowest count, then the least recently used. */
  private static List<SortField<?>> rotationOrder(io.asterline.db.generated.tables.Did t, Pool pool) {
    List<SortField<?>> order = new ArrayList<>();
    pool.calleeAreaCode().ifPresent(area -> order.add(when(t.AREA_CODE.eq(area), inline(0)).otherwise(inline(1)).asc()));
    order.add(t.USAGE_COUNT.asc());
    order.add(t.LAST_USED_AT.asc().nullsFirst());
    order.add(t.ID.asc());
    return order;
  }

  private static Condition tenantIs(io.asterline.db.generated.tables.Did t, OptionalLong tenant) {
    return tenant.isPresent() ? t.TENANT_ID.eq(tenant.getAsLong()) : noCondition();
  }

  private List<Field<?>> columns() {
    List<Field<?>> f = new ArrayList<>(List.of(DID.ID, DID.TENANT_ID, DID.NUMBER, DID.SEGMENT, DID.TRUNK,
        DID.STATUS, DID.USAGE_COUNT, DID.LAST_USED_AT, DID.DAILY_CAP, DID.COOLDOWN_SECONDS, DID.AREA_CODE,
        DID.METADATA, DID.CREATED_AT, DID.UPDATED_AT, DID.QUARANTINED_AT, DID.QUARANTINED_UNTIL,
        DID.QUARANTINE_REASON, DID.HEALTH_PINNED));
    f.add(when(DID.DAILY_USAGE_DATE.eq(today()), DID.DAILY_USAGE_COUNT).otherwise(0).as("uses_today"));
    return f;
  }

  private Did toDid(Record r) {
    return new Did(
        r.get(DID.ID),
        r.get(DID.TENANT_ID),
        r.get(DID.NUMBER),
        r.get(DID.SEGMENT),
        r.get(DID.TRUNK),
        r.get(DID.STATUS),
        r.get(DID.USAGE_COUNT),
        r.get("uses_today", Integer.class),
        r.get(DID.LAST_USED_AT),
        r.get(DID.DAILY_CAP),
        r.get(DID.COOLDOWN_SECONDS),
        r.get(DID.AREA_CODE),
        toObject(r.get(DID.METADATA)),
        r.get(DID.CREATED_AT),
        r.get(DID.UPDATED_AT),
        r.get(DID.QUARANTINED_AT),
        r.get(DID.QUARANTINED_UNTIL),
        r.get(DID.QUARANTINE_REASON),
        r.get(DID.HEALTH_PINNED));
  }

  private ObjectNode toObject(JSONB value) {
    try {
      return (ObjectNode) json.readTree(value.data());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("did.metadata is not a JSON object", e);
    }
  }

  private JSONB jsonb(ObjectNode node) {
    try {
      return JSONB.valueOf(json.writeValueAsString(node));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("metadata cannot be written as JSON", e);
    }
  }
}
