package io.asterline.call;

import java.util.Arrays;

/**
 * What happens to a call when the agent is done with it (or cannot serve it): stored in
 * {@code call.agent_decision}, a tenant's {@code ai_fallback}, and handed to the dialplan as ASTERLINE_NEXT by
 * after-agent.
 */
public enum Decision {
  HANGUP("hangup"),
  TRANSFER("transfer"),
  VOICEMAIL("voicemail");

  private final String dbValue;

  Decision(String dbValue) {
    this.dbValue = dbValue;
  }

  /** As stored and as the dialplan reads it. */
  public String dbValue() {
    return dbValue;
  }

  /** The decision stored as {@code value}; throws naming the valid ones for anything else. */
  public static Decision ofDbValue(String value) {
    for (Decision d : values()) {
      if (d.dbValue.equals(value)) {
        return d;
      }
    }
    throw new IllegalArgumentException("unknown decision '" + value + "', expected one of "
        + Arrays.stream(values()).map(Decision::dbValue).toList());
  }
}
