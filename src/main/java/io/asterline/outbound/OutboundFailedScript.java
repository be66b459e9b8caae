package io.asterline.outbound;

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
 * {@code agi://<asterline>/outbound-failed}: the {@code failed} extension of [asterline-outbound], which Asterisk
 * runs when an originate does not connect. Records the reason exactly as the OriginateResponse AMI event does
 * (whichever arrives first counts) and gives the slot back, so a call is closed even when AMI missed the event.
 *
 * <p>Reads ASTERLINE_CALL_ID and the Reason (first AGI argument, else the REASON variable). Sets ASTERLINE_STATUS
 * (OK | ERROR).
 */
public final class OutboundFailedScript implements AgiScript {

  private static final Logger log = LoggerFactory.getLogger(OutboundFailedScript.class);

  private final OutboundService service;

  public OutboundFailedScript(OutboundService service) {
    this.service = service;
  }

  @Override
  public void service(AgiRequest request, AgiChannel channel) throws AgiException {
    Optional<UUID> id = OutboundVariables.callId(channel, "outbound-failed");
    if (id.isEmpty()) {
      channel.setVariable(OutboundVariables.STATUS, "ERROR");
      return;
    }
    UUID callId = id.get();
    try (MDC.MDCCloseable ignored = MDC.putCloseable("callId", callId.toString())) {
      String[] args = request.getArguments();
      String raw = args != null && args.length > 0 && args[0] != null && !args[0].isBlank()
          ? args[0] : channel.getVariable(OutboundVariables.REASON);
      int reason;
      try {
        reason = Integer.parseInt(raw == null ? "" : raw.trim());
      } catch (NumberFormatException e) {
        log.warn("outbound-failed: Reason '{}' is not a number; recording it as a failure", raw);
        reason = 0;
      }
      if (reason == 4) {
        // the failed extension runs only for originates that did not connect
        log.warn("outbound-failed: Reason 4 (answered) reported by the failed extension; recording a failure");
        reason = 0;
      }
      try {
        boolean known = service.originateEnded(new OriginateResponse(callId, reason, null));
        channel.setVariable(OutboundVariables.STATUS, known ? "OK" : "ERROR");
      } catch (RuntimeException e) {
        log.error("outbound-failed: recording the failure failed", e);
        channel.setVariable(OutboundVariables.STATUS, "ERROR");
      }
    }
  }
}
