package io.asterline.twilio;

import io.asterline.http.ApiException;
import io.javalin.http.Context;
import java.util.UUID;

/** What every Twilio call webhook shares: the call id Asterline put in its action URL, and a TwiML answer. */
final class TwilioRoutes {

  private TwilioRoutes() {}

  /** TwiML, as Twilio expects it: 200, text/xml. */
  static void twiml(Context ctx, String xml) {
    ctx.status(200).contentType("text/xml; charset=utf-8").result(xml);
  }

  /** The {@code callId} of an action URL Asterline wrote (the signature covers it, so nobody else chose it). */
  static UUID callId(Context ctx) {
    String id = ctx.queryParam("callId");
    try {
      return UUID.fromString(id == null ? "" : id);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("callId", "callId must be the call's id (a UUID), not '" + id + "'");
    }
  }

  /** {@code agent=1}: the action belongs to a step after the call's agent leg. */
  static boolean afterAgent(Context ctx) {
    return "1".equals(ctx.queryParam("agent"));
  }
}
