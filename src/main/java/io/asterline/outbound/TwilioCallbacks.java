package io.asterline.outbound;

import io.asterline.admission.Admission;
import io.asterline.call.CallOutcome;
import io.asterline.call.CallRepository;
import io.asterline.call.CallRepository.EndAsk;
import io.asterline.call.CallRepository.TwilioView;
import io.asterline.call.CallState;
import io.asterline.call.Decision;
import io.asterline.http.ApiException;
import io.asterline.twilio.TwilioCallEnds;
import io.asterline.twilio.TwilioConfig.Provider;
import io.asterline.twilio.TwilioForm;
import io.asterline.twilio.TwilioWebhooks;
import io.asterline.twilio.Twiml;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Twilio's callbacks about the outbound calls it carries, each through the signature gate ({@link TwilioWebhooks}:
 * 403 and nothing stored when unsigned): {@code POST /twilio/status?callId=} (CallStatus, every state the create
 * asked for) and {@code POST /twilio/amd?callId=} (AnsweredBy, the asynchronous answering-machine detection).
 *
 * <p>Twilio's states map onto the call's exactly as AMI's do: initiated leaves it created, ringing -> ringing,
 * in-progress -> answered, completed -> the end (through {@link TwilioCallEnds}, dated by CallDuration), busy,
 * no-answer, failed and canceled -> failed with busy, no_answer, failed (the SipResponseCode kept as its hangup
 * cause) and CANCEL, the slot given back. Callbacks may come twice or out of order (Twilio sends them
 * independently): every write is a conditional move forward, so a late ringing after the answer, or anything after
 * the end, changes nothing.
 */
final class TwilioCallbacks {

  private static final Logger log = LoggerFactory.getLogger(TwilioCallbacks.class);

  private final TwilioWebhooks webhooks;
  private final CallRepository calls;
  private final OutboundCallRepository outbound;
  private final TwilioCallEnds ends;
  private final Admission admission;
  private final TwilioDialer dialer;
  private final Consumer<CallOutcome> countEnded;

  TwilioCallbacks(TwilioWebhooks webhooks, CallRepository calls, OutboundCallRepository outbound, TwilioCallEnds ends,
      Admission admission, TwilioDialer dialer, Consumer<CallOutcome> countEnded) {
    this.webhooks = webhooks;
    this.calls = calls;
    this.outbound = outbound;
    this.ends = ends;
    this.admission = admission;
    this.dialer = dialer;
    this.countEnded = countEnded;
  }

  void register(Javalin app) {
    app.post("/twilio/status", this::status);
    app.post("/twilio/amd", this::amd);
  }

  private void status(Context ctx) {
    TwilioForm form = webhooks.verify(ctx);
    UUID callId = callId(ctx);
    try (MDC.MDCCloseable ignored = MDC.putCloseable("callId", callId.toString())) {
      String status = form.first("CallStatus").orElse("");
      Optional<TwilioView> call = twilioCall(callId, form);
      if (call.isPresent()) {
        onStatus(callId, call.get(), status, form);
      }
      ctx.status(204);
    }
  }

  /**
   * The call the callback names, when it is a Twilio call holding this CallSid (stored now when it has none yet:
   * the first callback may come before the create's answer). A Twilio call Asterline moved to Asterisk meanwhile
   * (the create timed out, yet Twilio placed it) is ended at Twilio, so the callee does not get it twice.
   */
  private Optional<TwilioView> twilioCall(UUID callId, TwilioForm form) {
    String sid = form.first("CallSid").orElse("");
    Optional<TwilioView> found = calls.twilioView(callId);
    if (found.isEmpty()) {
      log.warn("twilio: callback for unknown call (CallSid {})", sid);
      throw ApiException.notFound("no call " + callId);
    }
    TwilioView call = found.get();
    if (!Provider.TWILIO.dbValue().equals(call.provider())) {
      String status = form.first("CallStatus").orElse("");
      log.warn("twilio: callback ({}) for a call carried by {}: Twilio's call {} is ended", status, call.provider(),
          sid);
      if (sid.matches("CA[0-9a-f]{32}") && !isFinal(status)) {
        dialer.end(sid, status.equals("in-progress")).whenComplete((r, e) -> {
          if (e != null) {
            log.warn("twilio: ending the stray call {} failed: {}", sid, e.toString());
          }
        });
      }
      return Optional.empty();
    }
    if (call.providerCallSid() == null) {
      if (!sid.matches("CA[0-9a-f]{32}") || !calls.providerCallSid(callId, sid)) {
        log.warn("twilio: callback with CallSid '{}' not taken for this call", sid);
        return Optional.empty();
      }
      return Optional.of(new TwilioView(call.tenantId(), call.provider(), sid, call.state(), call.answeredAt(),
          call.agentConnectedAt()));
    } else if (!call.providerCallSid().equals(sid)) {
      log.warn("twilio: callback for CallSid {}, but the call is {}: ignored", sid, call.providerCallSid());
      return Optional.empty();
    }
    return Optional.of(call);
  }

  private static boolean isFinal(String status) {
    return switch (status) {
      case "completed", "busy", "no-answer", "failed", "canceled" -> true;
      default -> false;
    };
  }

  private void onStatus(UUID callId, TwilioView call, String status, TwilioForm form) {
    switch (status) {
      case "queued", "initiated" -> log.debug("twilio: {}", status);
      case "ringing" -> {
        if (calls.ringing(callId)) {
          log.info("twilio: ringing");
        }
      }
      case "in-progress" -> {
        if (calls.answered(callId, null)) {
          log.info("twilio: answered");
        }
      }
      case "completed" -> completed(callId, call, form);
      case "busy" -> notAnswered(callId, CallOutcome.BUSY, form);
      case "no-answer" -> notAnswered(callId, CallOutcome.NO_ANSWER, form);
      case "failed" -> notAnswered(callId, CallOutcome.FAILED, form);
      // canceled before it was answered (through the API): as a Dial the caller cancelled
      case "canceled" -> notAnswered(callId, CallOutcome.CANCEL, form);
      default -> log.warn("twilio: unknown CallStatus '{}' ignored", status);
    }
  }

  /**
   * The call was answered and is over. Its answer is dated from the in-progress callback, or, when that has not
   * come (late or lost), back from now by CallDuration; the end is the answer plus CallDuration. Ended through
   * TwilioCallEnds like an Asterisk call's call-end: the agent's leg is the stream, so the outcome is ANSWER when
   * the agent took the call, what AMD decided for a machine, and ABANDONED when the stream never connected.
   */
  private void completed(UUID callId, TwilioView call, TwilioForm form) {
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    Integer duration = seconds(form.first("CallDuration").orElse(null));
    OffsetDateTime answeredAt = call.answeredAt();
    if (answeredAt == null && !CallState.FINAL.contains(call.state())) {
      calls.answeredAt(callId, duration == null ? now : now.minusSeconds(duration));
      answeredAt = calls.twilioView(callId).map(TwilioView::answeredAt).orElse(null);
    }
    OffsetDateTime at = answeredAt != null && duration != null ? answeredAt.plusSeconds(duration) : now;
    String outcome = call.agentConnectedAt() != null ? CallOutcome.ANSWER.dbValue() : null;
    ends.end(new EndAsk(callId, outcome, sipCause(form), null, at, true, null)).ifPresent(e -> {
      log.info("twilio: completed after {} s", duration);
      // counted as the FastAGI call-end counts an Asterisk call's end
      CallOutcome.find(e.outcome()).ifPresent(countEnded);
    });
  }

  /** Not answered: failed with {@code outcome} (the first end only), its slot given back. */
  private void notAnswered(UUID callId, CallOutcome outcome, TwilioForm form) {
    boolean first = outbound.fail(callId, outcome, sipCause(form));
    admission.release(callId);
    if (first) {
      log.info("twilio: not answered: {}", outcome.dbValue());
      countEnded.accept(outcome);
    }
  }

  private static String sipCause(TwilioForm form) {
    return form.first("SipResponseCode").filter(c -> c.matches("[1-6][0-9]{2}")).map(c -> "SIP " + c).orElse(null);
  }

  private static Integer seconds(String raw) {
    try {
      int v = raw == null ? -1 : Integer.parseInt(raw.trim());
      return v >= 0 ? v : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * Twilio's AnsweredBy, as AMD() reports it to outbound-answered: human -> HUMAN, a machine (any machine_*, or a
   * fax) -> MACHINE, unknown -> NOTSURE; stored the same way (voicemail_result human, machine or unknown). For a
   * machine, the call's voicemail action as on Asterisk: hang up (machine_hangup), or leave the message: Twilio
   * speaks the call's voicemail_message (or plays its audio file when that is an http(s) URL) after the greeting
   * (DetectMessageEnd waits for its end), then hangs up (voicemail). A message that is only an Asterisk sound file
   * cannot be played by Twilio: the call hangs up as machine_hangup, and the log says why.
   */
  private void amd(Context ctx) {
    TwilioForm form = webhooks.verify(ctx);
    UUID callId = callId(ctx);
    try (MDC.MDCCloseable ignored = MDC.putCloseable("callId", callId.toString())) {
      Optional<TwilioView> found = twilioCall(callId, form);
      if (found.isEmpty()) {
        ctx.status(204);
        return;
      }
      String answeredBy = form.first("AnsweredBy").orElse("unknown");
      String status = answeredBy.equals("human") ? "HUMAN"
          : answeredBy.startsWith("machine_") || answeredBy.equals("fax") ? "MACHINE" : "NOTSURE";
      Optional<OutboundCallRepository.CallSettings> settings = outbound.settings(callId);
      if (settings.isEmpty()) {
        throw ApiException.notFound("no outbound call " + callId);
      }
      outbound.amd(callId, status, answeredBy);
      log.info("twilio: AMD {} ({})", status, answeredBy);
      if (status.equals("MACHINE") && !CallState.FINAL.contains(found.get().state())) {
        machine(callId, found.get(), settings.get());
      }
      ctx.status(204);
    }
  }

  private void machine(UUID callId, TwilioView call, OutboundCallRepository.CallSettings settings) {
    String next = OutboundAnsweredScript.next("MACHINE", settings.voicemailAction());
    Twiml twiml = Twiml.response();
    CallOutcome outcome = CallOutcome.MACHINE_HANGUP;
    if (next.equals(Decision.VOICEMAIL.dbValue())) {
      String audio = settings.audioFile();
      if (audio != null && (audio.startsWith("https://") || audio.startsWith("http://"))) {
        twiml.play(audio);
        outcome = CallOutcome.VOICEMAIL;
      } else if (settings.voicemailMessage() != null && !settings.voicemailMessage().isBlank()) {
        twiml.say(settings.voicemailMessage());
        outcome = CallOutcome.VOICEMAIL;
      } else {
        log.warn("twilio: an answering machine and leave_message, but the message is the Asterisk sound '{}',"
            + " which Twilio cannot play: hanging up", audio);
      }
    }
    twiml.hangup();
    outbound.outcome(callId, outcome);
    String sid = call.providerCallSid();
    CallOutcome decided = outcome;
    dialer.update(sid, twiml).whenComplete((r, e) -> {
      if (e != null) {
        // the call may have ended meanwhile (21220): its end still comes as the completed callback
        log.warn("twilio: the {} TwiML for call {} was not taken: {}", decided.dbValue(), sid, e.toString());
      }
    });
  }

  private static UUID callId(Context ctx) {
    String raw = ctx.queryParam("callId");
    try {
      return UUID.fromString(raw == null ? "" : raw);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("callId", "callId must be the call's id (a UUID), got '" + raw + "'");
    }
  }
}
