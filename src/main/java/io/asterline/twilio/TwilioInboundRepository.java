package io.asterline.twilio;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.TENANT;

import io.asterline.call.CallRepository;
import io.asterline.call.Decision;
import io.asterline.call.Route;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Record;

/**
 * What the Twilio call control reads and writes beyond {@link CallRepository}: the inbound admission of a Twilio
 * call ({@code twilio_inbound_admit}, V22: inbound_admit_batch's lookup, verdicts, slot and row, marked as
 * Twilio's with its CallSid, in one statement) and the agent's decision, as after-agent reads it.
 */
final class TwilioInboundRepository {

  /** What {@code twilio_inbound_admit} decided; {@code tenantId} null only for UNKNOWN. */
  record Admitted(UUID callId, String verdict, Long tenantId, String didStatus, boolean tenantActive, Route route,
      String transferNumber, boolean recordingEnabled, String consentSound, String consentOrder,
      String voicemailGreetingSound, String language) {}

  /** The stored decision of the agent (null: none), with the tenant's fallback. */
  record AgentDecision(long tenantId, Decision agentDecision, String transferTo, String tenantTransferNumber,
      String voicemailGreetingSound, String language) {}

  private final DSLContext dsl;
  private final CallRepository calls;

  TwilioInboundRepository(DSLContext dsl) {
    this.dsl = dsl;
    this.calls = new CallRepository(dsl);
  }

  CallRepository calls() {
    return calls;
  }

  Admitted admit(UUID callId, String callSid, String did, String remote, OffsetDateTime created, int globalMax,
      int holdSeconds) {
    Record r = dsl.fetchOne("SELECT call_id, verdict, tenant_id, did_status, tenant_active, inbound_route,"
            + " transfer_number, recording_enabled, consent_sound, consent_order, voicemail_greeting_sound, language"
            + " FROM twilio_inbound_admit(?::uuid, ?, ?, ?, ?::timestamptz, ?, ?)",
        callId.toString(), callSid, did, CallRepository.text(remote), created.toString(), globalMax, holdSeconds);
    if (r == null) {
        throw new IllegalStateException("twilio_inbound_admit gave no answer for " + callSid);
    }
    String route = r.get("inbound_route", String.class);
    return new Admitted(r.get("call_id", UUID.class), r.get("verdict", String.class), r.get("tenant_id", Long.class),
        r.get("did_status", String.class), Boolean.TRUE.equals(r.get("tenant_active", Boolean.class)),
        route == null ? null : Route.ofDbValue(route), r.get("transfer_number", String.class),
        Boolean.TRUE.equals(r.get("recording_enabled", Boolean.class)), r.get("consent_sound", String.class),
        r.get("consent_order", String.class), r.get("voicemail_greeting_sound", String.class),
        r.get("language", String.class));
  }

  Optional<AgentDecision> decision(UUID callId) {
    return dsl.select(CALL.TENANT_ID, CALL.AGENT_DECISION, CALL.TRANSFER_TO, TENANT.TRANSFER_NUMBER,
            TENANT.VOICEMAIL_GREETING_SOUND, TENANT.AI_LANGUAGE)
        .from(CALL).join(TENANT).on(TENANT.ID.eq(CALL.TENANT_ID))
        .where(CALL.ID.eq(callId))
        .fetchOptional(r -> new AgentDecision(r.value1(),
            r.value2() == null ? null : Decision.ofDbValue(r.value2()), r.value3(), r.value4(), r.value5(),
            r.value6()));
  }

  /** The inbound call Twilio names {@code callSid}; empty for another call (an outbound one: its own callbacks). */
  Optional<UUID> inboundCallBySid(String callSid) {
    return dsl.select(CALL.ID).from(CALL).where(CALL.PROVIDER_CALL_SID.eq(callSid)).and(CALL.DIRECTION.eq("inbound"))
        .fetchOptional(CALL.ID);
  }

  /** The tenant a call belongs to; empty when there is no such call. */
  Optional<Long> tenantOf(UUID callId) {
    return dsl.select(CALL.TENANT_ID).from(CALL).where(CALL.ID.eq(callId)).fetchOptional(CALL.TENANT_ID);
  }

  /** The tenant of a call and its CallSid, to check a webhook's callId against the CallSid Twilio sent. */
  Optional<String> callSid(UUID callId) {
    return dsl.select(CALL.PROVIDER_CALL_SID).from(CALL).where(CALL.ID.eq(callId)).fetchOptional(CALL.PROVIDER_CALL_SID);
  }
}
