package io.asterline.outbound;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.OUTBOUND_CALL;
import static io.asterline.db.generated.Tables.TENANT;
import static org.jooq.impl.DSL.currentOffsetDateTime;
import static org.jooq.impl.DSL.select;

import io.asterline.call.CallOutcome;
import io.asterline.call.CallRepository;
import io.asterline.call.CallState;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Records;

/**
 * Outbound calls as stored: the row in {@code call} (direction 'outbound'), written through {@link CallRepository}'s
 * steps, and its settings in {@code outbound_call}. Every state change is a conditional UPDATE from the states it
 * may leave, so the AMI event, the dialplan's scripts and the sweeper can report the same end in any order and only
 * the first one counts.
 */
public final class OutboundCallRepository {

  /** What a new call needs stored before its originate leaves. */
  public record NewCall(
      UUID id,
      long tenantId,
      /** asterisk or twilio ({@code TwilioConfig.Provider#dbValue}) */
      String provider,
      SelectedDid did,
      String toNumber,
      Long leadId,
      String transferNumber,
      String audioFile,
      String voicemailAction,
      String voicemailMessage,
      Long journeyRunId,
      Long journeyNodeId) {}

  /**
   * The tenant facts placing a call needs. {@code asteriskShare}: the % of its calls through Asterisk, null to
   * follow telephony.provider; {@code providerFailover}: a call whose provider is down goes through the other one;
   * {@code voicemailDetection}: off, outbound or all (Twilio's answering-machine detection runs unless off).
   */
  public record TenantFacts(long id, boolean active, boolean recordingEnabled, String transferNumber,
      String consentSound, String consentOrder, Integer asteriskShare, boolean providerFailover,
      String voicemailDetection) {}

  /** Per-call settings the dialplan's scripts and the agent read back. */
  public record CallSettings(
      UUID callId,
      long tenantId,
      CallState state,
      Long leadId,
      String callerId,
      String trunk,
      String transferNumber,
      String audioFile,
      String voicemailAction,
      String voicemailMessage,
      String amdStatus,
      /** The tenant's recording-consent announcement (null: none) and its order, before_recording | after_recording. */
      String consentSound,
      String consentOrder) {}

  private final DSLContext dsl;
  private final CallRepository calls;

  public OutboundCallRepository(DSLContext dsl) {
    this.dsl = dsl;
    this.calls = new CallRepository(dsl);
  }

  public Optional<TenantFacts> tenant(long id) {
    return dsl.select(TENANT.ID, TENANT.STATUS, TENANT.RECORDING_ENABLED, TENANT.TRANSFER_NUMBER,
            TENANT.CONSENT_SOUND, TENANT.CONSENT_ORDER, TENANT.ASTERISK_SHARE, TENANT.PROVIDER_FAILOVER,
            TENANT.VOICEMAIL_DETECTION)
        .from(TENANT).where(TENANT.ID.eq(id))
        .fetchOptional(r -> new TenantFacts(r.value1(), "active".equals(r.value2()), r.value3(), r.value4(),
            r.value5(), r.value6(), r.value7() == null ? null : r.value7().intValue(), r.value8(), r.value9()));
  }

  /** Stores the call (state created) and its settings together. */
  public void create(NewCall c) {
    dsl.transaction(tx -> {
      DSLContext t = tx.dsl();
      // the originate's ChannelId: Asterisk gives the callee's channel this uniqueid
      CallRepository call = new CallRepository(t);
      if (!call.created(new CallRepository.NewCall(c.id(), c.tenantId(), "outbound", c.did().id(),
          c.toNumber(), c.id().toString(), null, null))) {
        throw new IllegalStateException("call " + c.id() + " already exists");
      }
      call.carriedBy(c.id(), c.provider(), c.did().id());
      t.insertInto(OUTBOUND_CALL)
          .set(OUTBOUND_CALL.CALL_ID, c.id())
          .set(OUTBOUND_CALL.TENANT_ID, c.tenantId())
          .set(OUTBOUND_CALL.LEAD_ID, c.leadId())
          .set(OUTBOUND_CALL.CALLER_ID, c.did().number())
          .set(OUTBOUND_CALL.DID_SEGMENT, c.did().segment())
          .set(OUTBOUND_CALL.TRUNK, c.did().trunk())
          .set(OUTBOUND_CALL.TRANSFER_NUMBER, c.transferNumber())
          .set(OUTBOUND_CALL.AUDIO_FILE, c.audioFile())
          .set(OUTBOUND_CALL.VOICEMAIL_ACTION, c.voicemailAction())
          .set(OUTBOUND_CALL.VOICEMAIL_MESSAGE, c.voicemailMessage())
          .set(OUTBOUND_CALL.JOURNEY_RUN_ID, c.journeyRunId())
          .set(OUTBOUND_CALL.JOURNEY_NODE_ID, c.journeyNodeId())
          .execute();
    });
  }

  /**
   * The call, not yet left, goes through the other provider with caller ID {@code did} (failover). False when it
   * had already left the created state: then nothing changed.
   */
  public boolean failedOver(UUID id, String provider, SelectedDid did) {
    return dsl.transactionResult(tx -> {
      DSLContext t = tx.dsl();
      if (!new CallRepository(t).carriedBy(id, provider, did.id())) {
        return false;
      }
      t.update(OUTBOUND_CALL)
          .set(OUTBOUND_CALL.CALLER_ID, did.number())
          .set(OUTBOUND_CALL.DID_SEGMENT, did.segment())
          .set(OUTBOUND_CALL.TRUNK, did.trunk())
          .setNull(OUTBOUND_CALL.ORIGINATED_AT)
          .where(OUTBOUND_CALL.CALL_ID.eq(id))
          .execute();
      return true;
    });
  }

  /** Twilio's CallSid of a call it accepted; false when the call holds another one (or is not Twilio's). */
  public boolean providerCallSid(UUID id, String callSid) {
    return calls.providerCallSid(id, callSid);
  }

  /** The originate is about to leave for Asterisk (or the create for Twilio). */
  public void originated(UUID id) {
    dsl.update(OUTBOUND_CALL).set(OUTBOUND_CALL.ORIGINATED_AT, currentOffsetDateTime())
        .where(OUTBOUND_CALL.CALL_ID.eq(id)).execute();
  }

  /** Asterisk queued the originate: the callee's phone is being dialled. */
  public boolean ringing(UUID id) {
    return calls.ringing(id);
  }

  /**
   * Records how the originate ended. Answered moves the call to answered; every other reason fails it.
   * Returns false when the call had already left the pending states (the end was already reported).
   */
  public boolean originateEnded(UUID id, int reason, String channel) {
    return dsl.transactionResult(tx -> {
      DSLContext t = tx.dsl();
      OriginateResponse r = new OriginateResponse(id, reason, channel);
      CallRepository call = new CallRepository(t);
      boolean changed = r.answered() ? call.answered(id, channel) : call.failed(id, r.outcome(), channel);
      t.update(OUTBOUND_CALL).set(OUTBOUND_CALL.ORIGINATE_REASON, reason)
          .where(OUTBOUND_CALL.CALL_ID.eq(id)).and(OUTBOUND_CALL.ORIGINATE_REASON.isNull())
          .execute();
      return changed;
    });
  }

  /** Fails a call that never reached (or never heard back from) Asterisk, e.g. originate_rejected. */
  public boolean fail(UUID id, CallOutcome outcome) {
    return calls.failed(id, outcome, null);
  }

  /** The same, with the provider's reason kept in hangup_cause (e.g. Twilio's error code). */
  public boolean fail(UUID id, CallOutcome outcome, String cause) {
    return calls.failed(id, outcome, null, cause);
  }

  /**
   * Fails calls Asterisk never reported on: originated longer ago than {@code rang} (ring timeout plus grace;
   * the event and the failed extension were both lost), or never originated and older than {@code waited} (the
   * node holding them in its queue died). Returns their ids, for their slots to be released.
   */
  public List<UUID> failForgotten(Duration rang, Duration waited) {
    OffsetDateTime now = OffsetDateTime.now();
    return calls.failedUnreported(CALL.DIRECTION.eq("outbound")
        .and(CALL.ID.in(select(OUTBOUND_CALL.CALL_ID).from(OUTBOUND_CALL)
            .where(OUTBOUND_CALL.ORIGINATED_AT.lt(now.minus(rang)))
            .or(OUTBOUND_CALL.ORIGINATED_AT.isNull().and(CALL.CREATED_AT.lt(now.minus(waited)))))),
        CallOutcome.ORIGINATE_LOST);
  }

  /**
   * Stores the AMD result of an answered call (voicemail_result: human, machine or unknown) and makes sure the
   * call counts as answered, whichever of this and the AMI event comes first.
   */
  public void amd(UUID id, String status, String cause) {
    String voicemail = switch (status == null ? "" : status) {
      case "HUMAN" -> "human";
      case "MACHINE" -> "machine";
      default -> "unknown";
    };
    String stored = status != null && List.of("MACHINE", "HUMAN", "NOTSURE", "HANGUP").contains(status) ? status : null;
    dsl.transaction(tx -> {
      DSLContext t = tx.dsl();
      t.update(OUTBOUND_CALL)
          .set(OUTBOUND_CALL.AMD_STATUS, stored)
          .set(OUTBOUND_CALL.AMD_CAUSE, cause == null || cause.isBlank() ? null
              : cause.substring(0, Math.min(200, cause.length())))
          .where(OUTBOUND_CALL.CALL_ID.eq(id))
          .execute();
      CallRepository call = new CallRepository(t);
      call.voicemailResult(id, voicemail);
      call.answered(id, null);
    });
  }

  /** Sets the outcome of an answered call the dialplan hangs up without the agent (machine + hang_up). */
  public void outcome(UUID id, CallOutcome outcome) {
    calls.outcomeDecided(id, outcome);
  }

  public Optional<CallSettings> settings(UUID id) {
    return dsl.select(OUTBOUND_CALL.CALL_ID, OUTBOUND_CALL.TENANT_ID, CALL.STATE.convertFrom(CallState::ofDbValue),
            OUTBOUND_CALL.LEAD_ID,
            OUTBOUND_CALL.CALLER_ID, OUTBOUND_CALL.TRUNK, OUTBOUND_CALL.TRANSFER_NUMBER, OUTBOUND_CALL.AUDIO_FILE,
            OUTBOUND_CALL.VOICEMAIL_ACTION, OUTBOUND_CALL.VOICEMAIL_MESSAGE, OUTBOUND_CALL.AMD_STATUS,
            TENANT.CONSENT_SOUND, TENANT.CONSENT_ORDER)
        .from(OUTBOUND_CALL).join(CALL).on(CALL.ID.eq(OUTBOUND_CALL.CALL_ID))
        .join(TENANT).on(TENANT.ID.eq(OUTBOUND_CALL.TENANT_ID))
        .where(OUTBOUND_CALL.CALL_ID.eq(id))
        .fetchOptional(Records.mapping(CallSettings::new));
  }
}
