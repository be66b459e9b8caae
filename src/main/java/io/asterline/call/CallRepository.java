package io.asterline.call;

import static io.asterline.db.generated.Tables.CALL;

import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.impl.DSL;
import org.jooq.UpdateSetMoreStep;
import io.asterline.db.generated.tables.records.CallRecord;

/**
 * Calls as stored in PostgreSQL. Each step of a call may run on a different node (AGI on one, the
 * conversation on another), so everything a later step needs is written here, never kept in memory.
 */
public final class CallRepository {

  /** The stored facts about one call. */
  public record Call(
      UUID id,
      long tenantId,
      String direction,
      UUID didId,
      String remoteNumber,
      String state,
      OffsetDateTime createdAt,
      OffsetDateTime endedAt,
      String outcome,
      String agentDecision,
      String transferTo) {}

  private final DSLContext dsl;

  public CallRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  public Optional<Call> find(UUID id) {
    return dsl.select(CALL.ID, CALL.TENANT_ID, CALL.DIRECTION, CALL.DID_ID, CALL.REMOTE_NUMBER, CALL.STATE,
            CALL.CREATED_AT, CALL.ENDED_AT, CALL.OUTCOME, CALL.AGENT_DECISION, CALL.TRANSFER_TO)
        .from(CALL)
        .where(CALL.ID.eq(id))
        .fetchOptional(r -> new Call(r.value1(), r.value2(), r.value3(), r.value4(), r.value5(), r.value6(),
            r.value7(), r.value8(), r.value9(), r.value10(), r.value11()));
  }

  /**
   * Stores what the agent decided (hangup, transfer, voicemail) for the after-agent AGI script to read.
   * Returns false when the call does not exist.
   */
  public boolean recordDecision(UUID id, String decision, String transferTo) {
    return dsl.update(CALL)
        .set(CALL.AGENT_DECISION, decision)
        .set(CALL.TRANSFER_TO, transferTo)
        .where(CALL.ID.eq(id))
        .execute() == 1;
  }

  /**
   * The agent's AudioSocket leg connected at {@code at}, for a call whose connection could only be written later
   * (it was admitted while the database was down). As {@code CallSettingsRepository.connect}, but with the time it
   * happened, and changing nothing a second time: a replayed connection never moves a time or reopens an ended call.
   */
  public boolean recordAgentConnected(UUID id, OffsetDateTime at) {
    return dsl.update(CALL)
        .set(CALL.AGENT_CONNECTED_AT, DSL.coalesce(CALL.AGENT_CONNECTED_AT, DSL.val(at)))
        .set(CALL.ANSWERED_AT, DSL.coalesce(CALL.ANSWERED_AT, DSL.val(at)))
        .set(CALL.STATE, DSL.when(CALL.STATE.in("created", "ringing", "answered"), DSL.inline("connected"))
            .otherwise(CALL.STATE))
        .where(CALL.ID.eq(id))
        .execute() == 1;
  }

  /**
   * What the agent leg measured and decided, written when it ends. {@code decision} null (the caller hung up)
   * leaves a stored decision alone. {@code conversationJson} is the JSON array of {role, text, at} turns.
   */
  public record AgentOutcome(
      String decision,
      String transferTo,
      String endReason,
      OffsetDateTime firstAudioAt,
      int bargeInCount,
      Integer bargeInMaxStopMs,
      String voicemailResult,
      String conversationJson) {}

  /**
   * Stores the agent leg's outcome in one statement, so the after-agent AGI script (which runs as soon as the
   * AudioSocket ends) reads the decision and the figures together. Returns false when the call does not exist.
   */
  public boolean recordAgentOutcome(UUID id, AgentOutcome o) {
    UpdateSetMoreStep<CallRecord> update = dsl.update(CALL)
        .set(CALL.AGENT_END_REASON, o.endReason())
        .set(CALL.BARGE_IN_COUNT, o.bargeInCount())
        .set(CALL.BARGE_IN_MAX_STOP_MS, o.bargeInMaxStopMs())
        .set(CALL.CONVERSATION, JSONB.valueOf(o.conversationJson()));
    if (o.decision() != null) {
      update = update.set(CALL.AGENT_DECISION, o.decision()).set(CALL.TRANSFER_TO, o.transferTo());
    }
    if (o.firstAudioAt() != null) {
      update = update.set(CALL.FIRST_AUDIO_AT, o.firstAudioAt());
    }
    if ("unknown".equals(o.voicemailResult())) {
      // the agent could not tell: a result AMD stored before (outbound-answered) stays
      update = update.set(CALL.VOICEMAIL_RESULT, DSL.coalesce(CALL.VOICEMAIL_RESULT, DSL.inline("unknown")));
    } else if (o.voicemailResult() != null) {
      update = update.set(CALL.VOICEMAIL_RESULT, o.voicemailResult());
    }
    return update.where(CALL.ID.eq(id)).execute() == 1;
  }
}
