package io.asterline.agi;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;
import static org.jooq.impl.DSL.greatest;
import static org.jooq.impl.DSL.inline;
import static org.jooq.impl.DSL.lower;
import static org.jooq.impl.DSL.select;
import static org.jooq.impl.DSL.val;
import static org.jooq.impl.DSL.when;

import io.asterline.db.generated.Routines;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record1;
import org.jooq.Table;

/**
 * What the FastAGI scripts read and write: the DID -> tenant lookup, inbound call rows with their admission
 * slot, the end of a call, and the agent's decision. Every write is one statement, so it is atomic on its
 * own and a retry can never half-apply.
 */
final class AgiRepository {

  /**
   * DID statuses that take inbound calls. {@code inactive} numbers are out of service and {@code quarantined}
   * ones are held back by the DID admin; both answer UNKNOWN_DID (the dialplan hangs up with cause 1,
   * "unallocated number").
   */
  static final Set<String> ROUTABLE_DID_STATUSES = Set.of("active", "available");

  /** Where a dialled number (or a tenant named by the dialplan) sends a call. */
  record Route(
      UUID didId,
      long tenantId,
      String didStatus,
      String trunk,
      boolean tenantActive,
      String inboundRoute,
      String transferNumber,
      boolean recordingEnabled) {

    boolean routable() {
      return didStatus == null || ROUTABLE_DID_STATUSES.contains(didStatus);
    }
  }

  /** A call row to create. */
  record NewCall(UUID id, long tenantId, UUID didId, String remoteNumber, String uniqueId, String channel,
      OffsetDateTime createdAt) {}

  /** A call that has just ended (the first call-end only). */
  record Ended(long tenantId, String recordingFile, String direction) {}

  /** What the agent left for after-agent, with the tenant's fallback. */
  record Decision(long tenantId, String agentDecision, String transferTo, String tenantTransferNumber) {}

  private final DSLContext dsl;

  AgiRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  Optional<Route> findByDid(String e164) {
    return dsl.select(DID.ID, DID.TENANT_ID, DID.STATUS, DID.TRUNK, TENANT.STATUS, TENANT.INBOUND_ROUTE,
            TENANT.TRANSFER_NUMBER, TENANT.RECORDING_ENABLED)
        .from(DID).join(TENANT).on(TENANT.ID.eq(DID.TENANT_ID))
        .where(DID.NUMBER.eq(e164))
        .fetchOptional(r -> new Route(r.value1(), r.value2(), r.value3(), r.value4(), "active".equals(r.value5()),
            r.value6(), r.value7(), r.value8()));
  }

  /** For the dialplan's static DID -> tenant lines: the tenant alone, no DID row. */
  Optional<Route> findByTenant(long tenantId) {
    return dsl.select(TENANT.ID, TENANT.STATUS, TENANT.INBOUND_ROUTE, TENANT.TRANSFER_NUMBER, TENANT.RECORDING_ENABLED)
        .from(TENANT)
        .where(TENANT.ID.eq(tenantId))
        .fetchOptional(r -> new Route(null, r.value1(), null, null, "active".equals(r.value2()), r.value3(),
            r.value4(), r.value5()));
  }

  /** Every number that takes calls now, for the last-known-good map. */
  List<DidCache.Entry> routableDids() {
    return dsl.select(DID.NUMBER, DID.ID, DID.TENANT_ID, DID.TRUNK, TENANT.RECORDING_ENABLED)
        .from(DID).join(TENANT).on(TENANT.ID.eq(DID.TENANT_ID))
        .where(DID.STATUS.in(ROUTABLE_DID_STATUSES)).and(TENANT.STATUS.eq("active"))
        .fetch(r -> new DidCache.Entry(r.value1(), r.value2(), r.value3(), r.value4(), r.value5()));
  }

  /**
   * Creates the inbound call row and reserves its admission slot in one statement. Returns the reservation's
   * verdict ({@code OK}, {@code TENANT_FULL}, {@code GLOBAL_FULL}); a call that is not admitted is stored as
   * failed, with the verdict as its outcome, so refused calls show in reports.
   */
  String admitInbound(NewCall call, int globalMax, int holdSeconds) {
    Table<Record1<String>> reservation =
        select(Routines.admissionReserve(call.id(), call.tenantId(), globalMax, holdSeconds).as("verdict"))
            .asTable("reservation");
    Field<String> verdict = reservation.field("verdict", String.class);
    var admitted = verdict.in("OK", "HELD");
    // created_at is when the request arrived, not when this statement ran: work that finishes after its
    // deadline must not date the call after an end that was already reported
    return dsl.insertInto(CALL, CALL.ID, CALL.TENANT_ID, CALL.DIRECTION, CALL.DID_ID, CALL.REMOTE_NUMBER,
            CALL.ASTERISK_UNIQUEID, CALL.ASTERISK_CHANNEL, CALL.CREATED_AT, CALL.STATE, CALL.ENDED_AT, CALL.OUTCOME)
        .select(select(val(call.id()), val(call.tenantId()), inline("inbound"), val(call.didId(), CALL.DID_ID),
            val(call.remoteNumber(), CALL.REMOTE_NUMBER), val(call.uniqueId(), CALL.ASTERISK_UNIQUEID),
            val(call.channel(), CALL.ASTERISK_CHANNEL), val(call.createdAt(), CALL.CREATED_AT),
            when(admitted, inline("created")).otherwise(inline("failed")),
            when(admitted.not(), val(call.createdAt(), CALL.ENDED_AT)),
            when(admitted.not(), lower(verdict)))
            .from(reservation))
        .returningResult(CALL.OUTCOME)
        .fetchOptional()
        .map(r -> r.value1() == null ? "OK" : r.value1().toUpperCase(Locale.ROOT))
        .orElseThrow(() -> new IllegalStateException("call " + call.id() + " was not stored"));
  }

  /**
   * Writes a call admitted while the database was unreachable. No slot: the call is already in progress and
   * was admitted without one. Returns false when the row already exists (a replay, or a request whose
   * database work finished after its deadline).
   */
  boolean insertAdmittedWhileDegraded(NewCall call) {
    return dsl.insertInto(CALL)
        .set(CALL.ID, call.id())
        .set(CALL.TENANT_ID, call.tenantId())
        .set(CALL.DIRECTION, "inbound")
        .set(CALL.DID_ID, call.didId())
        .set(CALL.REMOTE_NUMBER, call.remoteNumber())
        .set(CALL.ASTERISK_UNIQUEID, call.uniqueId())
        .set(CALL.ASTERISK_CHANNEL, call.channel())
        .set(CALL.CREATED_AT, call.createdAt())
        .onConflict(CALL.ID).doNothing()
        .execute() == 1;
  }

  /**
   * Ends the call and releases its slot, in one statement. Empty when the call is unknown or has already
   * ended: then nothing changes, so call-end may run any number of times.
   */
  Optional<Ended> endCall(UUID id, String outcome, String hangupCause, String recordingFile, OffsetDateTime at) {
    return dsl.update(CALL)
        .set(CALL.STATE, "ended")
        // never before the start: the end may come from another node, whose clock may be a little behind
        .set(CALL.ENDED_AT, greatest(val(at, CALL.ENDED_AT), CALL.CREATED_AT))
        .set(CALL.OUTCOME, outcome)
        .set(CALL.HANGUP_CAUSE, hangupCause)
        .set(CALL.RECORDING_FILE, recordingFile)
        .where(CALL.ID.eq(id))
        .and(CALL.ENDED_AT.isNull())
        .returningResult(CALL.TENANT_ID, CALL.RECORDING_FILE, CALL.DIRECTION, Routines.admissionRelease(CALL.ID))
        .fetchOptional(r -> new Ended(r.value1(), r.value2(), r.value3()));
  }

  Optional<Decision> decision(UUID callId) {
    return dsl.select(CALL.TENANT_ID, CALL.AGENT_DECISION, CALL.TRANSFER_TO, TENANT.TRANSFER_NUMBER)
        .from(CALL).join(TENANT).on(TENANT.ID.eq(CALL.TENANT_ID))
        .where(CALL.ID.eq(callId))
        .fetchOptional(r -> new Decision(r.value1(), r.value2(), r.value3(), r.value4()));
  }

  /** Releases the slots of calls that outlived the maximum call duration; returns how many. */
  int reclaimExpiredSlots() {
    Integer n = dsl.select(Routines.admissionReclaim()).fetchOne(0, Integer.class);
    return n == null ? 0 : n;
  }
}
