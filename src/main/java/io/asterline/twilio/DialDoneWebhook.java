package io.asterline.twilio;

import io.asterline.call.CallOutcome;
import io.asterline.call.CallRepository.EndAsk;
import io.javalin.http.Context;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * {@code POST /twilio/dial-done?callId=...[&agent=1]}, the action of the {@code <Dial>} of a forward or of the
 * agent's transfer: the call's end, as call-end stores it after the dialplan's Dial (Twilio's DialCallStatus as
 * the DIALSTATUS Asterisk would have set, DialCallDuration as ANSWEREDTIME), then the caller's last TwiML: the end
 * when the dial was answered, else the failure announcement, as the dialplan's failure route. A replayed webhook
 * changes nothing (the first end wins).
 */
final class DialDoneWebhook {

  private static final Logger log = LoggerFactory.getLogger(DialDoneWebhook.class);

  /** Twilio's DialCallStatus -> Asterisk's DIALSTATUS. */
  static final Map<String, CallOutcome> DIAL_STATUS = Map.of(
      "completed", CallOutcome.ANSWER,
      "answered", CallOutcome.ANSWER,
      "busy", CallOutcome.BUSY_DIAL,
      "no-answer", CallOutcome.NOANSWER,
      "failed", CallOutcome.CHANUNAVAIL,
      "canceled", CallOutcome.CANCEL);

  private final TwilioWebhooks webhooks;
  private final TwilioCallControl control;
  private final TwilioAnswers answers;

  DialDoneWebhook(TwilioWebhooks webhooks, TwilioCallControl control, TwilioAnswers answers) {
    this.webhooks = webhooks;
    this.control = control;
    this.answers = answers;
  }

  void handle(Context ctx) {
    TwilioForm form = webhooks.verify(ctx);
    UUID callId = TwilioRoutes.callId(ctx);
    boolean afterAgent = TwilioRoutes.afterAgent(ctx);
    MDC.put("callId", callId.toString());
    String twiml;
    try {
      String status = form.first("DialCallStatus").orElse("");
      CallOutcome outcome = DIAL_STATUS.get(status);
      if (outcome == null) {
        log.warn("twilio dial-done: unknown DialCallStatus '{}'; stored as CHANUNAVAIL", status);
        outcome = CallOutcome.CHANUNAVAIL;
      }
      Integer seconds = outcome == CallOutcome.ANSWER ? seconds(form.first("DialCallDuration").orElse(null)) : null;
      EndAsk end = afterAgent ? control.endAfterAgent(callId, outcome.dbValue(), seconds)
          : new EndAsk(callId, outcome.dbValue(), null, null, OffsetDateTime.now(ZoneOffset.UTC), false, seconds);
      log.info("twilio dial-done: DialCallStatus {} -> {}", status, outcome.dbValue());
      control.end(end);
      twiml = outcome == CallOutcome.ANSWER ? answers.hangup() : answers.failure();
    } catch (RuntimeException e) {
      log.error("twilio dial-done failed; the caller hears the failure announcement", e);
      twiml = answers.failure();
    } finally {
      MDC.remove("callId");
    }
    TwilioRoutes.twiml(ctx, twiml);
  }

  private static Integer seconds(String text) {
    if (text == null || text.isEmpty() || text.length() > 9 || !text.chars().allMatch(Character::isDigit)) {
      return null;
    }
    return Integer.valueOf(text);
  }
}
