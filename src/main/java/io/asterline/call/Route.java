package io.asterline.call;

import java.util.Arrays;

/**
 * Where an inbound call goes once admitted: a tenant's {@code inbound_route}, handed to the dialplan as
 * ASTERLINE_ROUTE by the inbound script ({@code dialplan/extensions_inbound.conf} branches on it).
 */
public enum Route {
  /** The AI agent, over AudioSocket. */
  AGENT("agent"),
  /** Dialled on to the tenant's transfer number. */
  FORWARD("forward"),
  /** Asterline's own voicemail. */
  VOICEMAIL("voicemail"),
  /** Refused: the tenant takes no inbound calls. */
  REJECT("reject");

  private final String dbValue;

  Route(String dbValue) {
    this.dbValue = dbValue;
  }

  /** As stored in {@code tenant.inbound_route} and as the dialplan reads it. */
  public String dbValue() {
    return dbValue;
  }

  /** The route stored as {@code value}; throws naming the valid ones for anything else. */
  public static Route ofDbValue(String value) {
    for (Route r : values()) {
      if (r.dbValue.equals(value)) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown route '" + value + "', expected one of "
        + Arrays.stream(values()).map(Route::dbValue).toList());
  }
}
