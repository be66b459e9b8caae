package io.asterline.compliance;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.CALLING_WINDOW;
import static io.asterline.db.generated.Tables.JOURNEY;
import static io.asterline.db.generated.Tables.JOURNEY_RUN;
import static io.asterline.db.generated.Tables.SUPPRESSION;
import static org.jooq.impl.DSL.currentOffsetDateTime;
import static org.jooq.impl.DSL.inline;
import static org.jooq.impl.DSL.select;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Record;

/** Calling windows and the suppression list as stored (V18). */
public final class ComplianceRepository {

  /** A number a tenant must not call, who put it there and when. */
  public record Suppression(long tenantId, String number, String source, UUID callId, String note,
      OffsetDateTime createdAt) {}

  /** What a removal found. */
  public enum Removal { REMOVED, NOT_FOUND, OPT_OUT_KEPT }

  private final DSLContext dsl;

  public ComplianceRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  // ---------------------------------------------------------------- calling windows

  /** The window a call is held to: its journey's (through its run) if that has one, else its tenant's. */
  public Optional<CallingWindow> windowFor(long tenantId, Long journeyRunId) {
    Condition scope = CALLING_WINDOW.JOURNEY_ID.isNull();
    if (journeyRunId != null) {
      scope = scope.or(CALLING_WINDOW.JOURNEY_ID.eq(
          select(JOURNEY_RUN.JOURNEY_ID).from(JOURNEY_RUN).where(JOURNEY_RUN.ID.eq(journeyRunId))));
    }
    return dsl.selectFrom(CALLING_WINDOW)
        .where(CALLING_WINDOW.TENANT_ID.eq(tenantId)).and(scope)
        .orderBy(CALLING_WINDOW.JOURNEY_ID.desc().nullsLast())
        .limit(1)
        .fetchOptional(ComplianceRepository::window);
  }

  /** The tenant's own window ({@code journeyId} null) or the journey's override, without falling back. */
  public Optional<CallingWindow> window(long tenantId, Long journeyId) {
    return dsl.selectFrom(CALLING_WINDOW)
        .where(CALLING_WINDOW.TENANT_ID.eq(tenantId))
        .and(journeyId == null ? CALLING_WINDOW.JOURNEY_ID.isNull() : CALLING_WINDOW.JOURNEY_ID.eq(journeyId))
        .fetchOptional(ComplianceRepository::window);
  }

  /** Sets the tenant's window or a journey's override in one statement (the partial unique index arbitrates). */
  public void setWindow(long tenantId, Long journeyId, CallingWindow w) {
    var insert = dsl.insertInto(CALLING_WINDOW)
        .set(CALLING_WINDOW.TENANT_ID, tenantId)
        .set(CALLING_WINDOW.JOURNEY_ID, journeyId)
        .set(CALLING_WINDOW.DAYS, w.dayBits())
        .set(CALLING_WINDOW.OPENS, w.opens())
        .set(CALLING_WINDOW.CLOSES, w.closes());
    var conflict = journeyId == null
        ? insert.onConflict(CALLING_WINDOW.TENANT_ID).where(CALLING_WINDOW.JOURNEY_ID.isNull())
        : insert.onConflict(CALLING_WINDOW.JOURNEY_ID).where(CALLING_WINDOW.JOURNEY_ID.isNotNull());
    conflict.doUpdate()
        .set(CALLING_WINDOW.DAYS, w.dayBits())
        .set(CALLING_WINDOW.OPENS, w.opens())
        .set(CALLING_WINDOW.CLOSES, w.closes())
        .set(CALLING_WINDOW.UPDATED_AT, currentOffsetDateTime())
        .execute();
  }

  public boolean deleteWindow(long tenantId, Long journeyId) {
    return dsl.deleteFrom(CALLING_WINDOW)
        .where(CALLING_WINDOW.TENANT_ID.eq(tenantId))
        .and(journeyId == null ? CALLING_WINDOW.JOURNEY_ID.isNull() : CALLING_WINDOW.JOURNEY_ID.eq(journeyId))
        .execute() == 1;
  }

  /** True when the journey exists and belongs to the tenant. */
  public boolean journeyOf(long tenantId, long journeyId) {
    return dsl.fetchExists(JOURNEY, JOURNEY.ID.eq(journeyId).and(JOURNEY.TENANT_ID.eq(tenantId)));
  }

  private static CallingWindow window(Record r) {
    return new CallingWindow(CallingWindow.days(r.get(CALLING_WINDOW.DAYS)), r.get(CALLING_WINDOW.OPENS),
        r.get(CALLING_WINDOW.CLOSES));
  }

  // ---------------------------------------------------------------- suppression list

  public boolean suppressed(long tenantId, String number) {
    return dsl.fetchExists(SUPPRESSION, SUPPRESSION.TENANT_ID.eq(tenantId).and(SUPPRESSION.NUMBER.eq(number)));
  }

  /** Adds the numbers that are not there yet; returns how many were new. One statement, so one import is atomic. */
  public int add(long tenantId, List<String> numbers, String source, String note) {
    if (numbers.isEmpty()) {
      return 0;
    }
    var insert = dsl.insertInto(SUPPRESSION, SUPPRESSION.TENANT_ID, SUPPRESSION.NUMBER, SUPPRESSION.SOURCE,
        SUPPRESSION.NOTE);
    for (String n : numbers) {
      insert = insert.values(tenantId, n, source, note);
    }
    return insert.onConflictDoNothing().execute();
  }

  /**
   * Suppresses the remote party of a call, at once and in one statement: the callee of an outbound call, the caller
   * of an inbound one (the call row's remote_number, when it is a full E.164 number). An entry already there from
   * the API or a CSV becomes an opt_out entry (so a later removal cannot undo the callee's request); one already an
   * opt_out stays as it was. Empty when the call has no usable number.
   */
  public Optional<String> optOut(UUID callId) {
    return dsl.insertInto(SUPPRESSION, SUPPRESSION.TENANT_ID, SUPPRESSION.NUMBER, SUPPRESSION.SOURCE,
            SUPPRESSION.CALL_ID)
        .select(select(CALL.TENANT_ID, CALL.REMOTE_NUMBER, inline("opt_out"), CALL.ID)
            .from(CALL)
            .where(CALL.ID.eq(callId))
            .and(CALL.REMOTE_NUMBER.likeRegex("^\\+[1-9][0-9]{1,14}$")))
        .onConflict(SUPPRESSION.TENANT_ID, SUPPRESSION.NUMBER)
        .doUpdate()
        .set(SUPPRESSION.SOURCE, inline("opt_out"))
        .set(SUPPRESSION.CALL_ID, callId)
        .set(SUPPRESSION.CREATED_AT, currentOffsetDateTime())
        .where(SUPPRESSION.SOURCE.ne(inline("opt_out")))
        .returningResult(SUPPRESSION.NUMBER)
        .fetchOptional(SUPPRESSION.NUMBER)
        .or(() -> dsl.select(CALL.REMOTE_NUMBER).from(CALL).join(SUPPRESSION)
            .on(SUPPRESSION.TENANT_ID.eq(CALL.TENANT_ID)).and(SUPPRESSION.NUMBER.eq(CALL.REMOTE_NUMBER))
            .where(CALL.ID.eq(callId)).fetchOptional(CALL.REMOTE_NUMBER));
  }

  /** Removes an entry; an opt_out one only with {@code overrideOptOut} (an admin's explicit decision). */
  public Removal remove(long tenantId, String number, boolean overrideOptOut) {
    int n = dsl.deleteFrom(SUPPRESSION)
        .where(SUPPRESSION.TENANT_ID.eq(tenantId)).and(SUPPRESSION.NUMBER.eq(number))
        .and(overrideOptOut ? org.jooq.impl.DSL.noCondition() : SUPPRESSION.SOURCE.ne(inline("opt_out")))
        .execute();
    if (n == 1) {
      return Removal.REMOVED;
    }
    return suppressed(tenantId, number) ? Removal.OPT_OUT_KEPT : Removal.NOT_FOUND;
  }

  public Optional<Suppression> find(long tenantId, String number) {
    return dsl.selectFrom(SUPPRESSION).where(SUPPRESSION.TENANT_ID.eq(tenantId)).and(SUPPRESSION.NUMBER.eq(number))
        .fetchOptional(ComplianceRepository::suppression);
  }

  /** The tenant's list, newest first. */
  public List<Suppression> list(long tenantId, int limit, int offset) {
    return dsl.selectFrom(SUPPRESSION).where(SUPPRESSION.TENANT_ID.eq(tenantId))
        .orderBy(SUPPRESSION.CREATED_AT.desc(), SUPPRESSION.NUMBER)
        .limit(limit).offset(offset)
        .fetch(ComplianceRepository::suppression);
  }

  private static Suppression suppression(Record r) {
    return new Suppression(r.get(SUPPRESSION.TENANT_ID), r.get(SUPPRESSION.NUMBER), r.get(SUPPRESSION.SOURCE),
        r.get(SUPPRESSION.CALL_ID), r.get(SUPPRESSION.NOTE), r.get(SUPPRESSION.CREATED_AT));
  }
}
