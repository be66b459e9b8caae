package io.asterline.outbound;

import io.asterline.agi.AgiStatus;
import io.asterline.agi.AgiVariables;
import io.asterline.agi.AsterlineAgiScript;
import io.asterline.agi.ScriptResult;
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
 * {@code agi://<asterline>/outbound-failed}: the {@code failed} extension of [asterline-outbound], which Asterisk
 * runs when an originate does not connect. Records the reason exactly as the OriginateResponse AMI event does
 * (whichever arrives first counts) and gives the slot back, so a call is closed even when AMI missed the event.
 *
 * <p>Reads ASTERLINE_CALL_ID and the Reason (first AGI argument, else the REASON variable). Sets ASTERLINE_STATUS:
 * OK, or ERROR when the call id is missing or unknown or the failure could not be recorded (the AMI event, or the
 * sweeper, still closes the call).
 */
public final class OutboundFailedScript extends AsterlineAgiScript {

  /** The URL path: agi://host/outbound-failed. */
  public static final String NAME = "outbound-failed";

  private static final Logger log = LoggerFactory.getLogger(OutboundFailedScript.class);

  private final OutboundService service;

  public OutboundFailedScript(OutboundService service, MeterRegistry metrics) {
    super(NAME, metrics);
    this.service = service;
  }

  @Override
  protected ScriptResult decide(AgiRequest request, AgiChannel channel) throws AgiException {
    String rawId = channel.getVariable(AgiVariables.CALL_ID);
    Optional<UUID> id = uuid(rawId == null ? null : rawId.trim());
    if (id.isEmpty()) {
      log.warn("{}: {} is not a call id: '{}'", NAME, AgiVariables.CALL_ID, rawId);
      return ScriptResult.of(AgiStatus.ERROR);
    }
    UUID callId = id.get();
    MDC.put("callId", callId.toString());
    String raw = input(request, channel, 1, AgiVariables.REASON);
    int reason;
    try {
      reason = Integer.parseInt(raw == null ? "" : raw);
    } catch (NumberFormatException e) {
      log.warn("{}: Reason '{}' is not a number; recording it as a failure", NAME, raw);
      reason = 0;
    }
    if (reason == 4) {
      // the failed extension runs only for originates that did not connect
      log.warn("{}: Reason 4 (answered) reported by the failed extension; recording a failure", NAME);
      reason = 0;
    }
    try {
      boolean known = service.originateEnded(new OriginateResponse(callId, reason, null));
      return ScriptResult.of(known ? AgiStatus.OK : AgiStatus.ERROR);
    } catch (RuntimeException e) {
      log.error("{}: recording the failure failed", NAME, e);
      return ScriptResult.of(AgiStatus.ERROR);
    }
  }
}
