package io.asterline.call;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * Where a call is in its life, as stored in {@code call.state}. The transitions below are the only ones any
 * write makes; every write is a conditional UPDATE from the states it may leave, so events arriving in any order
 * (AMI, the dialplan's scripts, the agent's leg, the sweeper) can only move a call forward.
 *
 * <pre>
 *   created   -> ringing, answered, connected, ended, failed   (inbound starts here; failed when refused)
 *   ringing   -> answered, connected, ended, failed           (outbound: Asterisk dials the callee)
 *   answered  -> connected, ended                            (outbound: the callee picked up)
 *   connected -> ended                                        (the agent's AudioSocket leg connected)
 *   ended, failed: final
 * </pre>
 */
public enum CallState {
  CREATED("created"),
  RINGING("ringing"),
  ANSWERED("answered"),
  CONNECTED("connected"),
  ENDED("ended"),
  FAILED("failed");

  /** Before Asterisk reported how the originate (or admission) ended. */
  public static final Set<CallState> PENDING = EnumSet.of(CREATED, RINGING);
  /** States the agent's leg may connect from. */
  public static final Set<CallState> BEFORE_AGENT = EnumSet.of(CREATED, RINGING, ANSWERED);
  /** A call in one of these states is over: nothing moves it again. */
  public static final Set<CallState> FINAL = EnumSet.of(ENDED, FAILED);

  private final String dbValue;

  CallState(String dbValue) {
    this.dbValue = dbValue;
  }

  /** As stored in {@code call.state} and shown by the API. */
  public String dbValue() {
    return dbValue;
  }

  /** Whether a write may move a call from this state to {@code next}. */
  public boolean canMoveTo(CallState next) {
    return switch (this) {
      case CREATED -> next != CREATED;
      case RINGING -> next != CREATED && next != RINGING;
      case ANSWERED -> next == CONNECTED || next == ENDED;
      case CONNECTED -> next == ENDED;
      case ENDED, FAILED -> false;
    };
  }

  /** The states a call may be in for a write to move it to {@code next}. */
  public static Set<CallState> from(CallState next) {
    Set<CallState> from = EnumSet.noneOf(CallState.class);
    for (CallState s : values()) {
      if (s.canMoveTo(next)) {
        from.add(s);
      }
    }
    return from;
  }

  /** The state stored as {@code value}; throws naming the valid ones for anything else. */
  public static CallState ofDbValue(String value) {
    for (CallState s : values()) {
      if (s.dbValue.equals(value)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown call state '" + value + "', expected one of "
        + Arrays.stream(values()).map(CallState::dbValue).toList());
  }
}
