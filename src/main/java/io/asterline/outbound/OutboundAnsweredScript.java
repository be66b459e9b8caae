package io.asterline.outbound;

import io.asterline.agi.AgiStatus;
import io.asterline.agi.AgiVariables;
import io.asterline.agi.AsterlineAgiScript;
import io.asterline.agi.ScriptResult;
import io.asterline.call.CallOutcome;
import io.asterline.call.Decision;
import io.asterline.call.Route;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Optional;
import java.util.UUID;
import org.asteriskjava.fastagi.AgiChannel;
import org.asteriskjava.fastagi.AgiException;
import org.asteriskjava.fastagi.AgiRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * {@code agi://<asterline>/outbound-answered}: runs after {@code AMD()} on an answered outbound call. Stores the
 * AMD result where the agent reads it (the call's voicemail_result and outbound_call.amd_status), then tells the
 * dialplan what comes next.
 *
 * <p>Reads ASTERLINE_CALL_ID, AMDSTATUS, AMDCAUSE. Sets ASTERLINE_NEXT and ASTERLINE_STATUS (OK | ERROR): NEXT is
 * {@code agent} (a person, or not sure), {@code voicemail} (a machine and the call leaves a message), or
 * {@code hangup} (a machine and the call hangs up, or the callee hung up during AMD). On ERROR, NEXT is agent:
 * somebody may be on the line, and the agent is better than silence.
 */
public final class OutboundAnsweredScript extends AsterlineAgiScript {

  /** The URL path: agi://host/outbound-answered. */
  public static final String NAME = "outbound-answered";

  private static final Logger log = LoggerFactory.getLogger(OutboundAnsweredScript.class);

  private final OutboundCallRepository calls;

  public OutboundAnsweredScript(OutboundCallRepository calls, MeterRegistry metrics) {
    super(NAME, metrics);
    this.calls = calls;
  }

  @Override
  protected ScriptResult decide(AgiRequest request, AgiChannel channel) throws AgiException {
    String raw = channel.getVariable(AgiVariables.CALL_ID);
    Optional<UUID> id = uuid(raw == null ? null : raw.trim());
    if (id.isEmpty()) {
      log.warn("{}: {} is not a call id: '{}'", NAME, AgiVariables.CALL_ID, raw);
      return toAgent();
    }
    UUID callId = id.get();
    MDC.put("callId", callId.toString());
    String status = channel.getVariable(AgiVariables.AMD_STATUS);
    String cause = channel.getVariable(AgiVariables.AMD_CAUSE);
    String next;
    OutboundCallRepository.CallSettings found;
    try {
      Optional<OutboundCallRepository.CallSettings> settings = calls.settings(callId);
      if (settings.isEmpty()) {
        log.warn("{}: no outbound call {}", NAME, callId);
        return toAgent();
      }
      found = settings.get();
      calls.amd(callId, status, cause);
      next = next(status, settings.get().voicemailAction());
      if (next.equals(Decision.HANGUP.dbValue()) && "MACHINE".equals(status)) {
        calls.outcome(callId, CallOutcome.MACHINE_HANGUP);
      } else if (next.equals(Decision.VOICEMAIL.dbValue())) {
        calls.outcome(callId, CallOutcome.VOICEMAIL);
      }
    } catch (RuntimeException e) {
      log.error("{}: storing the AMD result failed", NAME, e);
      return toAgent();
    }
    log.info("{}: AMD {} ({}) -> {}", NAME, status, cause, next);
    // the agent's leg plays the tenant's recording-consent announcement first ([asterline-consent])
    return ScriptResult.of(AgiStatus.OK).with(AgiVariables.NEXT, next)
        .with(AgiVariables.CONSENT_SOUND, found.consentSound())
        .with(AgiVariables.CONSENT_ORDER, found.consentSound() == null ? null : found.consentOrder());
  }

  /** Whatever went wrong, somebody may be on the line: the agent takes the call. */
  private static ScriptResult toAgent() {
    return ScriptResult.of(AgiStatus.ERROR).with(AgiVariables.NEXT, Route.AGENT.dbValue());
  }

  static String next(String amdStatus, String voicemailAction) {
    if ("MACHINE".equals(amdStatus)) {
      return ("leave_message".equals(voicemailAction) ? Decision.VOICEMAIL : Decision.HANGUP).dbValue();
    }
    if ("HANGUP".equals(amdStatus)) {
      return Decision.HANGUP.dbValue();
    }
    return Route.AGENT.dbValue();
  }
}
