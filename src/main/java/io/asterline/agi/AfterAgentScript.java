package io.asterline.agi;

import io.asterline.call.Decision;
import io.asterline.degraded.LocalCalls;
import io.asterline.degraded.TenantSettings;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import org.asteriskjava.fastagi.AgiChannel;
import org.asteriskjava.fastagi.AgiException;
import org.asteriskjava.fastagi.AgiRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * {@code agi://host/after-agent,<call id>}: the agent's AudioSocket leg ended normally; what next? Reads the
 * decision the conversation stored on the call (whichever node held it). With none stored (the agent
 * crashed, or the caller's audio ended before it decided) the tenant's fallback applies: a transfer to its
 * transfer number when it has one, else hang up. Never silence.
 */
public final class AfterAgentScript extends AsterlineAgiScript {

  private static final Logger log = LoggerFactory.getLogger(AfterAgentScript.class);

  private final AgiRepository repository;
  private final DbDeadline db;
  private final LocalCalls localCalls;
  private final Path recordingsDir;

  AfterAgentScript(AgiRepository repository, DbDeadline db, LocalCalls localCalls, Path recordingsDir,
      MeterRegistry metrics) {
    super("after-agent", metrics);
    this.repository = repository;
    this.db = db;
    this.localCalls = localCalls;
    this.recordingsDir = recordingsDir;
  }

  @Override
  protected ScriptResult decide(AgiRequest request, AgiChannel channel) throws AgiException {
    Optional<UUID> callId = uuid(input(request, channel, 1, AgiVariables.CALL_ID));
    if (callId.isEmpty()) {
      return ScriptResult.of(AgiStatus.UNKNOWN_CALL).with(AgiVariables.NEXT, Decision.HANGUP.dbValue());
    }
    MDC.put("callId", callId.get().toString());
    Optional<LocalCalls.DegradedCall> degraded = localCalls.degradedCall(callId.get());
    if (degraded.isPresent()) {
      // admitted DEGRADED here: its row and decision may not be in the database yet, even if it is back
      return route(callId.get(), fromMemory(degraded.get().tenantId(), callId.get()));
    }
    Optional<AgiRepository.AgentDecision> found;
    try {
      found = db.call(() -> repository.decision(callId.get()));
    } catch (DbDeadline.Unavailable e) {
      Optional<LocalCalls.Decision> local = localCalls.decision(callId.get());
      if (local.isPresent()) {
        // this node held the conversation and kept its decision: the outage does not change where the caller goes
        log.warn("after-agent: database unavailable ({}), answering from this node's memory", e.getMessage());
        return route(callId.get(), fromMemory(local.get().tenantId(), callId.get()));
      }
      // the decision is only in the database; the dialplan's failure route (announcement or forward) takes over
      log.warn("after-agent: database unavailable ({}), leaving the call to the fallback route", e.getMessage());
      return ScriptResult.of(AgiStatus.ERROR).with(AgiVariables.NEXT, Decision.HANGUP.dbValue());
    }
    if (found.isEmpty()) {
      return ScriptResult.of(AgiStatus.UNKNOWN_CALL).with(AgiVariables.NEXT, Decision.HANGUP.dbValue());
    }
    return route(callId.get(), found.get());
  }

  /** The decision this node kept for the call, with its tenant's fallback as last loaded (none if never loaded). */
  private AgiRepository.AgentDecision fromMemory(long tenantId, UUID callId) {
    Optional<LocalCalls.Decision> local = localCalls.decision(callId);
    Optional<TenantSettings> tenant = localCalls.tenant(tenantId);
    return new AgiRepository.AgentDecision(tenantId, local.map(LocalCalls.Decision::decision).orElse(null),
        local.map(LocalCalls.Decision::transferTo).orElse(null),
        tenant.flatMap(TenantSettings::transferNumber).orElse(null),
        tenant.flatMap(TenantSettings::voicemailGreetingSound).orElse(null));
  }

  private ScriptResult route(UUID callId, AgiRepository.AgentDecision d) {
    if (d.agentDecision() == Decision.VOICEMAIL) {
      return VoicemailDoneScript.toVoicemail(
          ScriptResult.of(AgiStatus.OK).with(AgiVariables.NEXT, Decision.VOICEMAIL.dbValue()), recordingsDir,
          d.tenantId(), callId, d.voicemailGreetingSound());
    }
    if (d.agentDecision() == Decision.HANGUP) {
      return ScriptResult.of(AgiStatus.OK).with(AgiVariables.NEXT, Decision.HANGUP.dbValue());
    }
    if (d.agentDecision() == Decision.TRANSFER && d.transferTo() != null) {
      return ScriptResult.of(AgiStatus.OK).with(AgiVariables.NEXT, Decision.TRANSFER.dbValue())
          .with(AgiVariables.TRANSFER_TO, d.transferTo());
    }
    log.info("after-agent: agent decision {}{}; tenant fallback {}", d.agentDecision(),
        d.agentDecision() == null ? " (none stored)" : " without a number",
        d.tenantTransferNumber() == null ? Decision.HANGUP.dbValue() : "transfer to the tenant's number");
    if (d.tenantTransferNumber() != null) {
      return ScriptResult.of(AgiStatus.FALLBACK).with(AgiVariables.NEXT, Decision.TRANSFER.dbValue())
          .with(AgiVariables.TRANSFER_TO, d.tenantTransferNumber());
    }
    return ScriptResult.of(AgiStatus.FALLBACK).with(AgiVariables.NEXT, Decision.HANGUP.dbValue());
  }
}
