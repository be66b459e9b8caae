package io.asterline.degraded;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A write a call needed while the database could not take it, as the {@link Journal} keeps it. Each one is
 * idempotent when replayed (the row insert does nothing when the row exists, the connection and the end only
 * change a call that has not had them yet, the agent's outcome sets the same values again), so a replay cut
 * short by a crash can simply run again. Never holds a secret: tenants' API keys are not part of any write.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = HeldWrite.CallAdmitted.class, name = "admitted"),
    @JsonSubTypes.Type(value = HeldWrite.AgentConnected.class, name = "connected"),
    @JsonSubTypes.Type(value = HeldWrite.AgentOutcome.class, name = "outcome"),
    @JsonSubTypes.Type(value = HeldWrite.VoicemailLeft.class, name = "voicemail"),
    @JsonSubTypes.Type(value = HeldWrite.CallEnded.class, name = "ended"),
    @JsonSubTypes.Type(value = HeldWrite.ConsentAnnounced.class, name = "consent")})
public sealed interface HeldWrite {

  UUID callId();

  /** inbound answered DEGRADED: the call row, without an admission slot. */
  record CallAdmitted(UUID callId, long tenantId, UUID didId, String remoteNumber, String uniqueId, String channel,
      OffsetDateTime createdAt) implements HeldWrite {}

  /** The agent's AudioSocket leg connected (and so the dialplan had answered the call). */
  record AgentConnected(UUID callId, OffsetDateTime at) implements HeldWrite {}

  /** What the agent leg decided and measured; as {@code CallRepository.AgentOutcome}. */
  record AgentOutcome(UUID callId, String decision, String transferTo, String endReason, OffsetDateTime firstAudioAt,
      int bargeInCount, Integer bargeInMaxStopMs, String voicemailResult, String conversationJson, Tokens tokens)
      implements HeldWrite {}

  /** The Realtime tokens the call used, as {@code call.RealtimeUsage}; null in records written before V19. */
  record Tokens(long textIn, long audioIn, long cachedTextIn, long cachedAudioIn, long textOut, long audioOut) {}

  /** consent-announced: the dialplan played the tenant's recording-consent announcement at {@code at}. */
  record ConsentAnnounced(UUID callId, OffsetDateTime at) implements HeldWrite {}

  /** voicemail-done: the caller's message, in the recordings folder; the first one reported is kept. */
  record VoicemailLeft(UUID callId, String file, Integer durationMs, OffsetDateTime at) implements HeldWrite {}

  /** call-end: as {@code CallRepository.EndAsk}, without the Dial's answered time (the answer stays undated). */
  record CallEnded(UUID callId, String outcome, String hangupCause, String recordingFile, OffsetDateTime at,
      boolean agentLeg) implements HeldWrite {}
}
