package io.asterline.twilio;

import io.asterline.admission.Admission;
import io.asterline.call.CallRepository.EndAsk;
import io.asterline.call.Route;
import io.asterline.phone.PhoneNumbers;
import io.javalin.http.Context;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * {@code POST /twilio/voice}, a Twilio number's voice webhook: Twilio's inbound AGI script. The dialled number
 * ({@code To}) names the tenant; the call is admitted as an Asterisk call is (one slot, one row, the same verdicts:
 * {@code twilio_inbound_admit}, V22) and answered with the TwiML of its route. Whatever goes wrong after the
 * signature check, the caller hears the failure announcement: never silence, never Twilio's "application error".
 */
final class VoiceWebhook {

  private static final Logger log = LoggerFactory.getLogger(VoiceWebhook.class);

  private final TwilioWebhooks webhooks;
  private final TwilioInboundRepository repository;
  private final TwilioDb db;
  private final Admission admission;
  private final TwilioAnswers answers;
  private final TwilioCallControl control;
  private final String defaultCountryCode;

  VoiceWebhook(TwilioWebhooks webhooks, TwilioInboundRepository repository, TwilioDb db, Admission admission,
      TwilioAnswers answers, TwilioCallControl control, String defaultCountryCode) {
    this.webhooks = webhooks;
    this.repository = repository;
    this.db = db;
    this.admission = admission;
    this.answers = answers;
    this.control = control;
    this.defaultCountryCode = defaultCountryCode;
  }

  void handle(Context ctx) {
    TwilioForm form = webhooks.verify(ctx);
    String twiml;
    try {
      twiml = answer(form);
    } catch (RuntimeException e) {
      log.error("twilio voice webhook failed; the caller hears the failure announcement", e);
      twiml = answers.failure();
    } finally {
      MDC.remove("callId");
    }
    TwilioRoutes.twiml(ctx, twiml);
  }

  private String answer(TwilioForm form) {
    Optional<String> callSid = form.first("CallSid").filter(s -> s.matches("CA[0-9a-f]{32}"));
    Optional<String> did = form.first("To").flatMap(to -> PhoneNumbers.toE164(to, defaultCountryCode));
    if (callSid.isEmpty() || did.isEmpty()) {
      log.warn("twilio voice webhook without a call sid or a dialled number (To '{}')", form.first("To").orElse(""));
      return answers.reject();
    }
    if (admission.draining()) {
      return answers.failure();
    }
    UUID callId = UUID.randomUUID();
    MDC.put("callId", callId.toString());
    TwilioInboundRepository.Admitted a;
    try {
      a = db.call(() -> repository.admit(callId, callSid.get(), did.get(), form.first("From").orElse(null),
          OffsetDateTime.now(ZoneOffset.UTC), admission.maxCalls(), admission.holdSeconds()));
    } catch (TwilioDb.Unavailable e) {
      log.warn("twilio: database unavailable for the call to {} ({}); the caller hears the failure announcement",
          did.get(), e.getMessage());
      return answers.failure();
    }
    if (!a.callId().equals(callId)) {
      MDC.put("callId", a.callId().toString());
    }
    switch (a.verdict()) {
      case "UNKNOWN":
        log.info("twilio: {} is unknown", did.get());
        return answers.reject();
      case "NOT_ROUTABLE":
        log.info("twilio: {} is not in service ({})", did.get(), a.didStatus());
        return answers.reject();
      case "TENANT_DISABLED", "REJECT":
        return answers.reject();
      case "ENDED":
        log.info("twilio: voice webhook for call {} again, which has ended", callSid.get());
        return answers.hangup();
      case "OK":
        break;
      default:
        log.info("twilio: tenant {} not admitted: {}", a.tenantId(), a.verdict());
        return answers.failure();
    }
    return admitted(a);
  }

  private String admitted(TwilioInboundRepository.Admitted a) {
    UUID callId = a.callId();
    if (a.route() == Route.AGENT) {
      if (a.consentSound() != null) {
        log.info("twilio: tenant {}'s consent sound {} is an Asterisk sound Twilio cannot play; saying a notice",
            a.tenantId(), a.consentSound());
      }
      return answers.agent(callId, a.consentSound() != null);
    }
    if (a.route() == Route.FORWARD) {
      if (a.transferNumber() == null) {
        // the dialplan's Dial would fail at once: its failure route, and the call's end
        log.warn("twilio: tenant {} forwards calls but has no transfer number", a.tenantId());
        control.end(new EndAsk(callId, "CHANUNAVAIL", null, null, OffsetDateTime.now(ZoneOffset.UTC)));
        return answers.failure();
      }
      return answers.dial(callId, a.transferNumber(), false);
    }
    if (a.route() == Route.VOICEMAIL) {
      return answers.voicemail(callId, false);
    }
    log.error("twilio: call admitted on route {}; the failure announcement", a.route());
    control.end(new EndAsk(callId, null, null, null, OffsetDateTime.now(ZoneOffset.UTC)));
    return answers.failure();
  }
}
