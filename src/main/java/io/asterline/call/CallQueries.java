package io.asterline.call;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.OUTBOUND_CALL;
import static io.asterline.db.generated.Tables.RECORDING_JOB;
import static org.jooq.impl.DSL.noCondition;

import io.asterline.db.generated.tables.RecordingJob;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.impl.DSL;

/** Calls as the API shows them: the call row and, for outbound calls, their settings and AMD result. */
public final class CallQueries {

  /** One call as {@code GET /api/calls} shows it. */
  public record CallView(
      UUID id,
      long tenantId,
      String direction,
      /** Who carried it: asterisk or twilio, and Twilio's CallSid for a Twilio call. */
      String provider,
      String providerCallSid,
      String state,
      String outcome,
      String remoteNumber,
      String callerId,
      UUID didId,
      Long leadId,
      OffsetDateTime createdAt,
      OffsetDateTime answeredAt,
      OffsetDateTime agentConnectedAt,
      OffsetDateTime endedAt,
      String voicemailResult,
      String amdStatus,
      String agentDecision,
      String transferTo,
      String hangupCause,
      Long journeyRunId,
      Voicemail voicemail) {}

  /**
   * The message a caller left (null when none): as Asterisk recorded it, and where its recording job got:
   * {@code state} pending / running / done / failed (null before the job is queued), {@code stored} once it is
   * kept in storage, {@code transcript} once transcribed.
   */
  public record Voicemail(
      String file,
      Integer durationMs,
      OffsetDateTime leftAt,
      String state,
      String storage,
      String storageKey,
      OffsetDateTime storedAt,
      String transcript,
      OffsetDateTime transcribedAt) {}

  /** The voicemail's job, joined beside the call's own recording job. */
  private static final RecordingJob VM_JOB = RECORDING_JOB.as("vm_job");

  /**
   * Filters of the list; null = any. {@code from} inclusive, {@code to} exclusive, on the creation time;
   * {@code number} matches the caller / callee or the DID (caller ID) by its digits; {@code outcome} exactly.
   */
  public record Filter(Long tenantId, String state, String direction, OffsetDateTime from, OffsetDateTime to,
      int limit, String number, String outcome, String provider) {

    public Filter(Long tenantId, String state, String direction, OffsetDateTime from, OffsetDateTime to, int limit) {
      this(tenantId, state, direction, from, to, limit, null, null, null);
    }
  }

  private final DSLContext dsl;

  public CallQueries(DSLContext dsl) {
    this.dsl = dsl;
  }

  public Optional<CallView> find(UUID id) {
    return select(CALL.ID.eq(id), 1).stream().findFirst();
  }

  /** Newest first. */
  public List<CallView> list(Filter f) {
    Condition c = noCondition();
    if (f.tenantId() != null) {
      c = c.and(CALL.TENANT_ID.eq(f.tenantId()));
    }
    if (f.state() != null) {
      c = c.and(CALL.STATE.eq(f.state()));
    }
    if (f.direction() != null) {
      c = c.and(CALL.DIRECTION.eq(f.direction()));
    }
    if (f.provider() != null) {
      c = c.and(CALL.PROVIDER.eq(f.provider()));
    }
    if (f.from() != null) {
      c = c.and(CALL.CREATED_AT.ge(f.from()));
    }
    if (f.to() != null) {
      c = c.and(CALL.CREATED_AT.lt(f.to()));
    }
    if (f.outcome() != null) {
      c = c.and(CALL.OUTCOME.eq(f.outcome()));
    }
    if (f.number() != null) {
      // the digits anywhere in the remote number, the inbound DID or the outbound caller ID
      String like = "%" + f.number() + "%";
      c = c.and(CALL.REMOTE_NUMBER.like(like)
          .or(OUTBOUND_CALL.CALLER_ID.like(like))
          .or(CALL.DID_ID.in(DSL.select(DID.ID).from(DID).where(DID.NUMBER.like(like)))));
    }
    return select(c, f.limit());
  }

  private List<CallView> select(Condition where, int limit) {
    return dsl.select(CALL.ID, CALL.TENANT_ID, CALL.DIRECTION, CALL.PROVIDER, CALL.PROVIDER_CALL_SID, CALL.STATE, CALL.OUTCOME, CALL.REMOTE_NUMBER,
            OUTBOUND_CALL.CALLER_ID, CALL.DID_ID, OUTBOUND_CALL.LEAD_ID, CALL.CREATED_AT, CALL.ANSWERED_AT,
            CALL.AGENT_CONNECTED_AT, CALL.ENDED_AT, CALL.VOICEMAIL_RESULT, OUTBOUND_CALL.AMD_STATUS,
            CALL.AGENT_DECISION, CALL.TRANSFER_TO, CALL.HANGUP_CAUSE, OUTBOUND_CALL.JOURNEY_RUN_ID,
            CALL.VOICEMAIL_FILE, CALL.VOICEMAIL_DURATION_MS, CALL.VOICEMAIL_AT, CALL.VOICEMAIL_TRANSCRIPT,
            CALL.VOICEMAIL_TRANSCRIBED_AT, VM_JOB.STATE, VM_JOB.STORAGE, VM_JOB.STORAGE_KEY, VM_JOB.STORED_AT)
        .from(CALL).leftJoin(OUTBOUND_CALL).on(OUTBOUND_CALL.CALL_ID.eq(CALL.ID))
        .leftJoin(VM_JOB).on(VM_JOB.CALL_ID.eq(CALL.ID)).and(VM_JOB.KIND.eq("voicemail"))
        .where(where)
        .orderBy(CALL.CREATED_AT.desc(), CALL.ID)
        .limit(limit)
        .fetch(CallQueries::view);
  }

  private static CallView view(Record r) {
    String direction = r.get(CALL.DIRECTION);
    // the caller ID the callee saw (outbound), or the caller's number (inbound)
    String callerId = "outbound".equals(direction) ? r.get(OUTBOUND_CALL.CALLER_ID) : r.get(CALL.REMOTE_NUMBER);
    return new CallView(r.get(CALL.ID), r.get(CALL.TENANT_ID), direction, r.get(CALL.PROVIDER),
        r.get(CALL.PROVIDER_CALL_SID), r.get(CALL.STATE), r.get(CALL.OUTCOME),
        r.get(CALL.REMOTE_NUMBER), callerId, r.get(CALL.DID_ID), r.get(OUTBOUND_CALL.LEAD_ID),
        r.get(CALL.CREATED_AT), r.get(CALL.ANSWERED_AT), r.get(CALL.AGENT_CONNECTED_AT), r.get(CALL.ENDED_AT),
        r.get(CALL.VOICEMAIL_RESULT), r.get(OUTBOUND_CALL.AMD_STATUS), r.get(CALL.AGENT_DECISION),
        r.get(CALL.TRANSFER_TO), r.get(CALL.HANGUP_CAUSE), r.get(OUTBOUND_CALL.JOURNEY_RUN_ID), voicemail(r));
  }

  private static Voicemail voicemail(Record r) {
    if (r.get(CALL.VOICEMAIL_FILE) == null) {
      return null;
    }
    return new Voicemail(r.get(CALL.VOICEMAIL_FILE), r.get(CALL.VOICEMAIL_DURATION_MS), r.get(CALL.VOICEMAIL_AT),
        r.get(VM_JOB.STATE), r.get(VM_JOB.STORAGE), r.get(VM_JOB.STORAGE_KEY), r.get(VM_JOB.STORED_AT),
        r.get(CALL.VOICEMAIL_TRANSCRIPT), r.get(CALL.VOICEMAIL_TRANSCRIBED_AT));
  }
}
