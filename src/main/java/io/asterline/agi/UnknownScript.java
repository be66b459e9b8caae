package io.asterline.agi;

import io.micrometer.core.instrument.MeterRegistry;
import org.asteriskjava.fastagi.AgiChannel;
import org.asteriskjava.fastagi.AgiRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers any URL path no script is registered for with ASTERLINE_STATUS=ERROR, so a typo in the dialplan
 * sends calls down the failure route instead of on with stale or missing variables.
 */
final class UnknownScript extends AsterlineAgiScript {

  private static final Logger log = LoggerFactory.getLogger(UnknownScript.class);

  UnknownScript(MeterRegistry metrics) {
    super("unknown", metrics);
  }

  @Override
  protected ScriptResult decide(AgiRequest request, AgiChannel channel) {
    if (request.getScript() == null) {
      // agi://host with no path, or a peer that is not Asterisk at all: a line, never a stack trace
      log.error("an AGI request from {} names no script (no agi_network_script); known: inbound, call-end, "
          + "after-agent", request.getRemoteAddress() == null ? "?" : request.getRemoteAddress().getHostAddress());
    } else {
      log.error("no AGI script named '{}' (request {}); known: inbound, call-end, after-agent", request.getScript(),
          request.getRequestURL());
    }
    return ScriptResult.of(AgiStatus.ERROR);
  }
}
