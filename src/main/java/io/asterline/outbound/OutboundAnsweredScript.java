package io.asterline.outbound;

import io.asterline.call.CallOutcome;
import io.asterline.call.Decision;
import io.asterline.call.Route;
import java.util.Optional;
import java.util.UUID;
import org.asteriskjava.fastagi.AgiChannel;
import org.asteriskjava.fastagi.AgiException;
import org.asteriskjava.fastagi.AgiRequest;
import org.asteriskjava.fastagi.AgiScript;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * {@code agi://<asterline>/outbound-answered}: runs after {@code AMD()} on an answered outbound call. Stores the
 * AMD result where the agent reads it (the call's voicemail_result and outbound_call.amd_status), then tells the
 * dialplan what comes next.
 *
 * <p>Reads ASTERLINE_CALL_ID, AMDSTATUS, AMDCAUSE. Sets ASTERLINE_STATUS (OK | ERROR) and ASTERLINE_NEXT:
 * {@code agent} (a person, or not sure), {@code voicemail} (a machine and the call leaves a message), or
 * {@code hangup} (a machine and the call hangs up, or the callee hung up during AMD). On ERROR, NEXT is agent:
 * somebody may be on the line, and the agent is better than silence.
 */
public final class OutboundAnsweredScript implements AgiScript {

  private static final Logger log = LoggerFactory.getLogger(OutboundAnsweredScript.class);

  private final OutboundCallRepository calls;

  public OutboundAnsweredScript(OutboundCallRepository calls) {
    this.calls = calls;
  }

  @Override
  public void service(AgiRequest request, AgiChannel channel) throws AgiException {
    Optional<UUID> id = OutboundVariables.callId(channel, "outbound-answered");
    if (id.isEmpty()) {
      answer(channel, "ERROR", Route.AGENT.dbValue());
      return;
    }
    UUID callId = id.get();
    try (MDC.MDCCloseable ignored = MDC.putCloseable("callId", callId.toString())) {
      String status = channel.getVariable(OutboundVariables.AMD_STATUS);
      String cause = channel.getVariable(OutboundVariables.AMD_CAUSE);
      String next;
      try {
        Optional<OutboundCallRepository.CallSettings> settings = calls.settings(callId);
        if (settings.isEmpty()) {
          log.warn("outbound-answered: no outbound call {}", callId);
          answer(channel, "ERROR", Route.AGENT.dbValue());
          return;
        }
        calls.amd(callId, status, cause);
        next = next(status, settings.get().voicemailAction());
        if (next.equals(Decision.HANGUP.dbValue()) && "MACHINE".equals(status)) {
          calls.outcome(callId, CallOutcome.MACHINE_HANGUP);
        } else if (next.equals(Decision.VOICEMAIL.dbValue())) {
          calls.outcome(callId, CallOutcome.VOICEMAIL);
        }
      } catch (RuntimeException e) {
        log.error("outbound-answered: storing the AMD result failed", e);
        answer(channel, "ERROR", Route.AGENT.dbValue());
        return;
      }
      log.info("outbound-answered: AMD {} ({}) -> {}", status, cause, next);
      answer(channel, "OK", next);
    }
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

  private static void answer(AgiChannel channel, String status, String next) throws AgiException {
    channel.setVariable(OutboundVariables.NEXT, next);
    channel.setVariable(OutboundVariables.STATUS, status);
  }
}
