package io.asterline.call;

import java.util.Arrays;
import java.util.Optional;

/**
 * How a call ended, as stored in {@code call.outcome} and counted by {@code asterline_calls_ended_total} and the
 * reports. Three families: Asterisk's DIALSTATUS values (upper case, stored as call-end reports them),
 * Asterline's verdicts at the end of a call (call_end_batch, sql/migrations/V9__call_outcomes.sql), and how an
 * outbound originate or an inbound admission went (lower case).
 */
public enum CallOutcome {
  // DIALSTATUS, as Asterisk sets it after Dial()
  ANSWER("ANSWER"),
  BUSY_DIAL("BUSY"),
  NOANSWER("NOANSWER"),
  CANCEL("CANCEL"),
  CONGESTION_DIAL("CONGESTION"),
  CHANUNAVAIL("CHANUNAVAIL"),
  DONTCALL("DONTCALL"),
  TORTURE("TORTURE"),
  INVALIDARGS("INVALIDARGS"),
  // call_end_batch's own (V9)
  /** The caller (or callee) left before any Dial ran. */
  ABANDONED("ABANDONED"),
  /** Sent to the agent, a Dial ran, and the agent's leg never connected. */
  AGENT_UNAVAILABLE("agent_unavailable"),
  /** An answering machine the dialplan hung up on (outbound-answered). */
  MACHINE_HANGUP("machine_hangup"),
  /** A message was left: on an answering machine (outbound) or by the caller (inbound voicemail route). */
  VOICEMAIL("voicemail"),
  // outbound originate (OriginateResponse reasons) and its failures before Asterisk
  ANSWERED("answered"),
  BUSY("busy"),
  NO_ANSWER("no_answer"),
  CONGESTION("congestion"),
  FAILED("failed"),
  ORIGINATE_REJECTED("originate_rejected"),
  ORIGINATE_LOST("originate_lost"),
  QUEUE_TIMEOUT("queue_timeout"),
  AMI_DOWN("ami_down"),
  SHUTDOWN("shutdown"),
  // outbound through Twilio's REST API, when the tenant does not fail over to Asterisk
  /** Twilio could not be reached or was failing (network, timeout, 429, 5xx): the call never left. */
  TWILIO_UNAVAILABLE("twilio_unavailable"),
  /** Twilio refused to place the call (e.g. 21211 invalid To): the call never left, and is not retried. */
  TWILIO_REFUSED("twilio_refused"),
  // inbound admission refusals (inbound_admit_batch stores the verdict, lower case)
  TENANT_FULL("tenant_full"),
  GLOBAL_FULL("global_full");

  private final String dbValue;

  CallOutcome(String dbValue) {
    this.dbValue = dbValue;
  }

  /** As stored in {@code call.outcome}. */
  public String dbValue() {
    return dbValue;
  }

  /** The outcome stored as {@code value}; throws naming the valid ones for anything else. */
  public static CallOutcome ofDbValue(String value) {
    return find(value).orElseThrow(() -> new IllegalArgumentException("unknown call outcome '" + value
        + "', expected one of " + Arrays.stream(values()).map(CallOutcome::dbValue).toList()));
  }

  /**
   * The outcome stored as {@code value}, empty for anything else: call-end stores the DIALSTATUS Asterisk gives,
   * which a newer Asterisk may extend, so a stored outcome is not always one of these.
   */
  public static Optional<CallOutcome> find(String value) {
    for (CallOutcome o : values()) {
      if (o.dbValue.equals(value)) {
        return Optional.of(o);
      }
    }
    return Optional.empty();
  }
}
