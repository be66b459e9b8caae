package io.asterline.call;

import static io.asterline.db.generated.Tables.CALL;

import io.asterline.db.generated.tables.records.CallRecord;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.InsertSetMoreStep;
import org.jooq.JSONB;
import org.jooq.UpdateSetMoreStep;
import org.jooq.impl.DSL;

/**
 * Every write to a {@code call} row, one named operation per step of the call's life ({@link CallState} says
 * which step may follow which). Each step of a call may run on a different node (AGI on one, the conversation on
 * another), so everything a later step needs is written here, never kept in memory. Every operation is one
 * conditional statement from the states it may leave, so the AMI event, the dialplan's scripts, the agent's leg
 * and the sweepers can report the same step in any order and only the first one counts.
 *
 * <p>Inbound admission writes its call rows inside {@code inbound_admit_batch} (V7), with the slot it takes.
 */
public final class CallRepository {

  /** A call row to create. {@code createdAt} null: now. {@code uniqueId}: the Asterisk channel's uniqueid. */
  public record NewCall(UUID id, long tenantId, String direction, UUID didId, String remoteNumber, String uniqueId,
      String channel, OffsetDateTime createdAt) {}

  /**
   * One call-end for {@link #ended(List)}. {@code outcome} is as reported: Asterisk's DIALSTATUS as call-end got it
   * (empty or null when no Dial ran), or one of {@link CallOutcome} (ABANDONED when the caller left during the
   * answer); the outcome stored is call_end_batch's verdict on it (V9). {@code agentLeg}: the dialplan sent this
   * call to the agent (it was given an AudioSocket address), so a Dial whose leg never reached Asterline means the
   * agent was unavailable. {@code answeredSeconds}: the last Dial's ANSWEREDTIME, or null; it dates the answer of a
   * call the dialplan forwarded without the agent (V14).
   */
  public record EndAsk(UUID callId, String outcome, String hangupCause, String recordingFile, OffsetDateTime at,
      boolean agentLeg, Integer answeredSeconds) {

    public EndAsk(UUID callId, String outcome, String hangupCause, String recordingFile, OffsetDateTime at,
        boolean agentLeg) {
      this(callId, outcome, hangupCause, recordingFile, at, agentLeg, null);
    }

    /** An end that says nothing about an agent leg: the DIALSTATUS is taken as it is. */
    public EndAsk(UUID callId, String outcome, String hangupCause, String recordingFile, OffsetDateTime at) {
      this(callId, outcome, hangupCause, recordingFile, at, false, null);
    }
  }

  /**
   * A call that has just ended (the first call-end only), with the outcome stored for it: one of
   * {@link CallOutcome}, or a DIALSTATUS newer than this code ({@link CallOutcome#find}).
   */
  public record Ended(long tenantId, String recordingFile, String direction, String outcome) {}

  /** A call's voicemail as stored: the first file reported wins. */
  public record Voicemail(long tenantId, String file) {}

  /**
   * What the agent leg measured and decided, written when it ends. {@code decision} null (the caller hung up)
   * leaves a stored decision alone. {@code conversationJson} is the JSON array of {role, text, at} turns.
   */
  public record AgentOutcome(
      Decision decision,
      String transferTo,
      String endReason,
      OffsetDateTime firstAudioAt,
      int bargeInCount,
      Integer bargeInMaxStopMs,
      String voicemailResult,
      String conversationJson,
      /** Summed over the call's response.done events; null (from a journal written before V19) = none known. */
      RealtimeUsage usage) {}

  private static final String END_BATCH = "SELECT ord, tenant_id, recording_file, direction, outcome"
      + " FROM call_end_batch(?, ?, ?, ?, ?::timestamptz[], ?, ?)";

  private final DSLContext dsl;

  /** {@code dsl} may be a transaction's, for a call write that belongs with the caller's own. */
  public CallRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  /**
   * A new call, state created: an outbound call before its originate leaves, or an inbound call admitted while
   * the database was unreachable (no slot: it was admitted without one). Returns false when the row already exists
   * (a replay, or a request whose database work finished after its deadline); nothing changes then.
   */
  public boolean created(NewCall call) {
    InsertSetMoreStep<CallRecord> insert = dsl.insertInto(CALL)
        .set(CALL.ID, call.id())
        .set(CALL.TENANT_ID, call.tenantId())
        .set(CALL.DIRECTION, call.direction())
        .set(CALL.DID_ID, call.didId())
        .set(CALL.REMOTE_NUMBER, call.remoteNumber())
        .set(CALL.ASTERISK_UNIQUEID, call.uniqueId())
        .set(CALL.ASTERISK_CHANNEL, call.channel())
        .set(CALL.STATE, CallState.CREATED.dbValue());
    if (call.createdAt() != null) {
      insert = insert.set(CALL.CREATED_AT, call.createdAt());
    }
    return insert.onConflict(CALL.ID).doNothing().execute() == 1;
  }

  /** Asterisk queued the originate: the callee's phone is being dialled. False unless the call was created. */
  public boolean ringing(UUID id) {
    return moveFrom(id, CallState.RINGING, dsl.update(CALL).set(CALL.STATE, CallState.RINGING.dbValue())) == 1;
  }

  /**
   * The callee answered (AMI's OriginateResponse, or outbound-answered when that came first): outcome answered
   * until the end says more, the first answer time kept, {@code channel} (may be null) stored if none was.
   * False when the call had already left the pending states.
   */
  public boolean answered(UUID id, String channel) {
    return moveFrom(id, CallState.ANSWERED, dsl.update(CALL)
        .set(CALL.STATE, CallState.ANSWERED.dbValue())
        .set(CALL.OUTCOME, DSL.coalesce(CALL.OUTCOME, DSL.inline(CallOutcome.ANSWERED.dbValue())))
        .set(CALL.ANSWERED_AT, DSL.coalesce(CALL.ANSWERED_AT, DSL.currentOffsetDateTime()))
        .set(CALL.ASTERISK_CHANNEL, DSL.coalesce(CALL.ASTERISK_CHANNEL, DSL.val(channel)))) == 1;
  }

  /**
   * The call never got through (busy, no answer, rejected before it left, ...): failed and ended now with
   * {@code outcome}. False when the call had already left the pending states (its end was already reported).
   */
  public boolean failed(UUID id, CallOutcome outcome, String channel) {
    return moveFrom(id, CallState.FAILED, failing(outcome)
        .set(CALL.ASTERISK_CHANNEL, DSL.coalesce(CALL.ASTERISK_CHANNEL, DSL.val(channel)))) == 1;
  }

  /**
   * Fails, with {@code outcome}, the pending calls {@code which} selects (calls nobody reported on); returns their
   * ids.
   */
  public List<UUID> failedUnreported(Condition which, CallOutcome outcome) {
    return failing(outcome)
        .where(CALL.STATE.in(states(CallState.from(CallState.FAILED))))
        .and(which)
        .returningResult(CALL.ID)
        .fetch(CALL.ID);
  }

  private UpdateSetMoreStep<CallRecord> failing(CallOutcome outcome) {
    return dsl.update(CALL)
        .set(CALL.STATE, CallState.FAILED.dbValue())
        .set(CALL.OUTCOME, outcome.dbValue())
        .set(CALL.ENDED_AT, DSL.currentOffsetDateTime());
  }

  private int moveFrom(UUID id, CallState next, UpdateSetMoreStep<CallRecord> update) {
    return update.where(CALL.ID.eq(id)).and(CALL.STATE.in(states(CallState.from(next)))).execute();
  }

  private static List<String> states(Iterable<CallState> states) {
    List<String> out = new ArrayList<>();
    states.forEach(s -> out.add(s.dbValue()));
    return out;
  }

  /**
   * What the dialplan decided for an answered call it ends without the agent (an answering machine hung up on,
   * or left a message); call-end keeps it (V9).
   */
  public void outcomeDecided(UUID id, CallOutcome outcome) {
    dsl.update(CALL).set(CALL.OUTCOME, outcome.dbValue()).where(CALL.ID.eq(id)).execute();
  }

  /** Whether a person or a machine answered, as AMD heard it: human, machine or unknown. */
  public void voicemailResult(UUID id, String result) {
    dsl.update(CALL).set(CALL.VOICEMAIL_RESULT, result).where(CALL.ID.eq(id)).execute();
  }

  /**
   * The columns the agent's leg connecting at {@code at} sets: connected (from a state before the agent), and
   * answered then if nothing said so before. An inbound call is answered by the dialplan's Answer() just before it
   * dials the agent; this connect is the first Asterline hears of it (an outbound call has its answer from AMI or
   * outbound-answered). Nothing is set a second time, so a replayed connection never moves a time.
   */
  public static Map<Field<?>, Field<?>> agentConnected(Field<OffsetDateTime> at) {
    Map<Field<?>, Field<?>> set = new LinkedHashMap<>();
    set.put(CALL.AGENT_CONNECTED_AT, DSL.coalesce(CALL.AGENT_CONNECTED_AT, at));
    set.put(CALL.ANSWERED_AT, DSL.coalesce(CALL.ANSWERED_AT, at));
    set.put(CALL.STATE, DSL.when(CALL.STATE.in(states(CallState.from(CallState.CONNECTED))),
            DSL.inline(CallState.CONNECTED.dbValue()))
        .otherwise(CALL.STATE));
    return set;
  }

  /**
   * Which calls an agent leg may connect to: not over (the caller is gone, nothing to talk to), and never had an
   * agent leg, here or on another node. Asterisk never reconnects an AudioSocket leg, so a second connection
   * naming a call that already had one is a copied call id.
   */
  public static Condition agentMayConnect() {
    return CALL.STATE.notIn(states(CallState.FINAL)).and(CALL.AGENT_CONNECTED_AT.isNull());
  }

  /**
   * The agent's AudioSocket leg connected at {@code at}, for a call whose connection could only be written later
   * (it was admitted while the database was down): as the live connect, but with the time it happened, and
   * changing nothing a second time, nor reopening an ended call.
   */
  public boolean recordAgentConnected(UUID id, OffsetDateTime at) {
    return dsl.update(CALL)
        .set(agentConnected(DSL.val(at)))
        .where(CALL.ID.eq(id))
        .execute() == 1;
  }

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
      update = update.set(CALL.AGENT_DECISION, o.decision().dbValue()).set(CALL.TRANSFER_TO, o.transferTo());
    }
    if (o.firstAudioAt() != null) {
      update = update.set(CALL.FIRST_AUDIO_AT, o.firstAudioAt());
    }
    if (o.usage() != null) {
      // the totals of the whole call, so a replay sets the same values again
      update = update.set(CALL.RT_TEXT_IN_TOKENS, o.usage().textIn())
          .set(CALL.RT_AUDIO_IN_TOKENS, o.usage().audioIn())
          .set(CALL.RT_CACHED_TEXT_IN_TOKENS, o.usage().cachedTextIn())
          .set(CALL.RT_CACHED_AUDIO_IN_TOKENS, o.usage().cachedAudioIn())
          .set(CALL.RT_TEXT_OUT_TOKENS, o.usage().textOut())
          .set(CALL.RT_AUDIO_OUT_TOKENS, o.usage().audioOut());
    }
    if ("unknown".equals(o.voicemailResult())) {
      // the agent could not tell: a result AMD stored before (outbound-answered) stays
      update = update.set(CALL.VOICEMAIL_RESULT, DSL.coalesce(CALL.VOICEMAIL_RESULT, DSL.inline("unknown")));
    } else if (o.voicemailResult() != null) {
      update = update.set(CALL.VOICEMAIL_RESULT, o.voicemailResult());
    }
    return update.where(CALL.ID.eq(id)).execute() == 1;
  }

  /**
   * The dialplan played the tenant's consent announcement ([asterline-consent], reported by the consent-announced
   * AGI script right after the Playback). The first report wins: a repeat changes nothing. False when there is no
   * such call, or it had ended already (a report that late says nothing about what the callee heard first).
   */
  public boolean consentAnnounced(UUID id, OffsetDateTime at) {
    return dsl.update(CALL)
        .set(CALL.CONSENT_ANNOUNCED_AT, DSL.coalesce(CALL.CONSENT_ANNOUNCED_AT, DSL.val(at)))
        .where(CALL.ID.eq(id))
        .and(CALL.ENDED_AT.isNull())
        .execute() == 1;
  }

  /**
   * Stores the voicemail on the call, in one statement: the first report sets file, duration and time; a repeat
   * (the hangup handler after the dialplan's own report) changes nothing and returns what is stored. Empty when
   * there is no such call.
   *
   * <p>A message proves the call was answered: [asterline-voicemail] answers before its greeting, and nothing else
   * tells Asterline of that answer on the voicemail route (no agent leg connects). A call not yet answered is
   * answered, at the latest when the recording started ({@code at} less its duration), never before it was created
   * nor after it ended.
   */
  public Optional<Voicemail> voicemailLeft(UUID callId, String file, Integer durationMs, OffsetDateTime at) {
    var unset = CALL.VOICEMAIL_FILE.isNull();
    Field<OffsetDateTime> recordingStarted = DSL.greatest(CALL.CREATED_AT,
        DSL.val(durationMs == null || durationMs < 0 ? at : at.minusNanos(durationMs * 1_000_000L)));
    return dsl.update(CALL)
        .set(CALL.ANSWERED_AT, DSL.coalesce(CALL.ANSWERED_AT,
            DSL.least(recordingStarted, DSL.coalesce(CALL.ENDED_AT, recordingStarted))))
        .set(CALL.STATE, DSL.when(CALL.STATE.in(states(CallState.from(CallState.ANSWERED))),
                DSL.inline(CallState.ANSWERED.dbValue()))
            .otherwise(CALL.STATE))
        .set(CALL.VOICEMAIL_FILE, DSL.coalesce(CALL.VOICEMAIL_FILE, DSL.val(file)))
        .set(CALL.VOICEMAIL_DURATION_MS, DSL.when(unset, DSL.val(durationMs, CALL.VOICEMAIL_DURATION_MS))
            .otherwise(CALL.VOICEMAIL_DURATION_MS))
        .set(CALL.VOICEMAIL_AT, DSL.when(unset, DSL.val(at)).otherwise(CALL.VOICEMAIL_AT))
        .where(CALL.ID.eq(callId))
        .returning(CALL.TENANT_ID, CALL.VOICEMAIL_FILE)
        .fetchOptional(r -> new Voicemail(r.getTenantId(), r.getVoicemailFile()));
  }

  /** The call's recording, transcribed. */
  public void transcribed(UUID callId, String transcript) {
    dsl.update(CALL)
        .set(CALL.TRANSCRIPT, transcript)
        .set(CALL.TRANSCRIBED_AT, DSL.currentOffsetDateTime())
        .where(CALL.ID.eq(callId))
        .execute();
  }

  /** The caller's voicemail message, transcribed. */
  public void voicemailTranscribed(UUID callId, String transcript) {
    dsl.update(CALL)
        .set(CALL.VOICEMAIL_TRANSCRIPT, transcript)
        .set(CALL.VOICEMAIL_TRANSCRIBED_AT, DSL.currentOffsetDateTime())
        .where(CALL.ID.eq(callId))
        .execute();
  }

  /**
   * Ends the call and releases its slot, in one statement: a batch of one, so a single end (an abandoned answer,
   * a replayed pending end) and call-end's batches are the same SQL. Empty when the call is unknown or has
   * already ended: then nothing changes, so call-end may run any number of times.
   */
  public Optional<Ended> ended(EndAsk ask) {
    return ended(List.of(ask)).get(0);
  }

  /**
   * Ends many calls in one statement ({@code call_end_batch}, V9 and V14: it decides the outcome each call keeps): for
   * each, empty when it is unknown or has already ended (also when the same call is ended twice in one batch),
   * else what {@link #ended(EndAsk)} returns. Plain JDBC: this runs for every call, and the statement's text never
   * changes, so the driver keeps it prepared.
   */
  public List<Optional<Ended>> ended(List<EndAsk> asks) {
    int n = asks.size();
    UUID[] ids = new UUID[n];
    String[] outcomes = new String[n];
    String[] causes = new String[n];
    String[] files = new String[n];
    String[] at = new String[n];
    Boolean[] agent = new Boolean[n];
    Integer[] answered = new Integer[n];
    for (int i = 0; i < n; i++) {
      EndAsk a = asks.get(i);
      ids[i] = a.callId();
      outcomes[i] = text(a.outcome());
      causes[i] = text(a.hangupCause());
      files[i] = text(a.recordingFile());
      at[i] = a.at().toString();
      agent[i] = a.agentLeg();
      answered[i] = a.answeredSeconds();
    }
    return dsl.connectionResult(c -> {
      List<Optional<Ended>> out = new ArrayList<>(Collections.nCopies(n, Optional.empty()));
      try (PreparedStatement ps = c.prepareStatement(END_BATCH)) {
        ps.setArray(1, c.createArrayOf("uuid", ids));
        ps.setArray(2, c.createArrayOf("text", outcomes));
        ps.setArray(3, c.createArrayOf("text", causes));
        ps.setArray(4, c.createArrayOf("text", files));
        ps.setArray(5, c.createArrayOf("text", at));
        ps.setArray(6, c.createArrayOf("boolean", agent));
        ps.setArray(7, c.createArrayOf("int4", answered));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.set(rs.getInt(1) - 1, Optional.of(new Ended(rs.getLong(2), rs.getString(3), rs.getString(4),
                rs.getString(5))));
          }
        }
      }
      return out;
    });
  }

  /** PostgreSQL text cannot hold NUL; Asterisk never sends one, but nothing from the wire may fail a batch. */
  public static String text(String s) {
    return s == null || s.indexOf('\0') < 0 ? s : s.replace("\0", "");
  }

  // Twilio outbound

  /** What a Twilio status callback needs to know about the call it names. */
  public record TwilioView(long tenantId, String provider, String providerCallSid, CallState state,
      OffsetDateTime answeredAt, OffsetDateTime agentConnectedAt) {}

  /** The call as a Twilio status or AMD callback reads it; empty when unknown. */
  public Optional<TwilioView> twilioView(UUID id) {
    return dsl.select(CALL.TENANT_ID, CALL.PROVIDER, CALL.PROVIDER_CALL_SID, CALL.STATE, CALL.ANSWERED_AT,
            CALL.AGENT_CONNECTED_AT)
        .from(CALL).where(CALL.ID.eq(id))
        .fetchOptional(r -> new TwilioView(r.value1(), r.value2(), r.value3(), CallState.ofDbValue(r.value4()),
            r.value5(), r.value6()));
  }

  /**
   * Which provider carries the call ({@code asterisk} or {@code twilio}), set while it has not left: when it is
   * placed, and again when it fails over to the other provider. The Asterisk uniqueid is the call id for an AMI
   * originate (its ChannelId) and none for Twilio, whose call is known by its CallSid instead.
   */
  public boolean carriedBy(UUID id, String provider, UUID didId) {
    return dsl.update(CALL)
        .set(CALL.PROVIDER, provider)
        .set(CALL.DID_ID, didId)
        .set(CALL.ASTERISK_UNIQUEID, "asterisk".equals(provider) ? id.toString() : null)
        .set(CALL.PROVIDER_CALL_SID, (String) null)
        .where(CALL.ID.eq(id)).and(CALL.STATE.eq(CallState.CREATED.dbValue()))
        .execute() == 1;
  }

  /**
   * Twilio's CallSid of the call, from the REST answer or the first status callback, whichever comes first; never
   * replaced. False when the call is not a Twilio call or holds another sid.
   */
  public boolean providerCallSid(UUID id, String callSid) {
    return dsl.update(CALL)
        .set(CALL.PROVIDER_CALL_SID, DSL.coalesce(CALL.PROVIDER_CALL_SID, DSL.val(callSid)))
        .where(CALL.ID.eq(id)).and(CALL.PROVIDER.eq("twilio"))
        .and(CALL.PROVIDER_CALL_SID.isNull().or(CALL.PROVIDER_CALL_SID.eq(callSid)))
        .execute() == 1;
  }

  /**
   * As {@link #answered}, with the answer's time given: a Twilio call whose completed callback came first (its
   * in-progress was late or lost) is dated back by its CallDuration.
   */
  public boolean answeredAt(UUID id, OffsetDateTime at) {
    return moveFrom(id, CallState.ANSWERED, dsl.update(CALL)
        .set(CALL.STATE, CallState.ANSWERED.dbValue())
        .set(CALL.OUTCOME, DSL.coalesce(CALL.OUTCOME, DSL.inline(CallOutcome.ANSWERED.dbValue())))
        .set(CALL.ANSWERED_AT, DSL.coalesce(CALL.ANSWERED_AT, DSL.greatest(DSL.val(at), CALL.CREATED_AT)))) == 1;
  }

  /** As {@link #failed}, with the provider's cause (Twilio's SipResponseCode) kept in hangup_cause. */
  public boolean failed(UUID id, CallOutcome outcome, String channel, String hangupCause) {
    return moveFrom(id, CallState.FAILED, failing(outcome)
        .set(CALL.ASTERISK_CHANNEL, DSL.coalesce(CALL.ASTERISK_CHANNEL, DSL.val(channel)))
        .set(CALL.HANGUP_CAUSE, DSL.coalesce(DSL.val(text(hangupCause)), CALL.HANGUP_CAUSE))) == 1;
  }

  // Twilio stream recordings

  /**
   * A recording that was finished after its call had already ended (a Twilio call whose Dial's end was reported
   * before the stream's recording was written): stored on the ended row when it has none. The call's tenant when
   * stored, else empty (the call is not ended yet, or already has a recording).
   */
  public Optional<Long> recordingAfterEnd(UUID id, String recordingFile) {
    return dsl.update(CALL)
        .set(CALL.RECORDING_FILE, recordingFile)
        .where(CALL.ID.eq(id).and(CALL.RECORDING_FILE.isNull()).and(CALL.ENDED_AT.isNotNull()))
        .returning(CALL.TENANT_ID)
        .fetchOptional()
        .map(CallRecord::getTenantId);
  }
}
