package io.asterline.twilio;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The TwiML of each step of an inbound Twilio call, Twilio's counterpart of the dialplan's contexts
 * (dialplan/extensions_*.conf): what the caller hears is the same on both providers wherever TwiML can say it.
 * Asterisk's sounds are files on the Asterisk box; Twilio plays only URLs, so the announcements are spoken with
 * {@code <Say>} in the words of Asterisk's sounds. Every action URL is absolute: TwiML sent through the REST API has
 * no document URL a relative one could be resolved against.
 */
final class TwilioAnswers {

  /** ASTERLINE_DIAL_TIMEOUT's default: seconds a forward or transfer rings. */
  static final int DIAL_TIMEOUT_SECONDS = 45;
  /** ASTERLINE_VOICEMAIL_MAX_SECONDS's default. */
  static final int VOICEMAIL_MAX_SECONDS = 180;
  /** Asterisk's all-circuits-busy-now and please-try-call-later, as [asterline-failure] plays them. */
  static final String FAILURE_TEXT = "All circuits are busy now. Please try your call again later.";
  /** Asterisk's vm-intro, the greeting of a tenant without its own. */
  static final String VOICEMAIL_GREETING = "Please leave your message after the tone. When done, hang up, or press the"
      + " pound key.";
  /** Asterisk's vm-goodbye. */
  static final String GOODBYE = "Goodbye.";
  /** Spoken where the tenant's consent announcement (an Asterisk sound) cannot be played. */
  static final String CONSENT_NOTICE = "This call may be recorded.";

  private final TwilioConfig config;

  TwilioAnswers(TwilioConfig config) {
    this.config = config;
  }

  /** [asterline-failure] with its default (busy): the announcement, then the end. Never silence. */
  String failure() {
    return Twiml.response().say(FAILURE_TEXT).hangup().toXml();
  }

  /** Unknown number, number out of service, tenant disabled or refusing inbound calls: never answered. */
  String reject() {
    return Twiml.response().reject("rejected").toXml();
  }

  String hangup() {
    return Twiml.response().hangup().toXml();
  }

  /** The agent, over a bidirectional Media Stream; with a consent notice first when the tenant has one. */
  String agent(UUID callId, boolean consent) {
    Map<String, String> parameters = new LinkedHashMap<>();
    parameters.put("callId", callId.toString());
    Twiml twiml = Twiml.response();
    if (consent) {
      twiml.say(CONSENT_NOTICE);
    }
    return twiml.connectStream(streamUrl(), parameters, config.webhook("/twilio/agent-done?callId=" + callId)
        .toString()).toXml();
  }

  /** A forward (no agent) or the agent's transfer; {@code afterAgent} tells dial-done which of the two ended. */
  String dial(UUID callId, String number, boolean afterAgent) {
    return Twiml.response().dial(number, null, DIAL_TIMEOUT_SECONDS, dialDone(callId, afterAgent)).toXml();
  }

  /**
   * [asterline-voicemail]: the greeting, the beep and the message. A message Twilio finds silent is not reported to
   * the Record's action; Twilio goes on to the next verb, which asks voicemail-done all the same (without a
   * recording), so the call still ends through Asterline.
   */
  String voicemail(UUID callId, boolean afterAgent) {
    String done = voicemailDone(callId, afterAgent);
    return Twiml.response().say(VOICEMAIL_GREETING).record(VOICEMAIL_MAX_SECONDS, done, null).redirect(done).toXml();
  }

  /** After a message: vm-goodbye, then the end. */
  String goodbye() {
    return Twiml.response().say(GOODBYE).hangup().toXml();
  }

  String dialDone(UUID callId, boolean afterAgent) {
    return config.webhook("/twilio/dial-done?callId=" + callId + (afterAgent ? "&agent=1" : "")).toString();
  }

  String voicemailDone(UUID callId, boolean afterAgent) {
    return config.webhook("/twilio/voicemail-done?callId=" + callId + (afterAgent ? "&agent=1" : "")).toString();
  }

  private String streamUrl() {
    return config.streamUrl().orElseThrow(() -> new IllegalStateException("twilio.stream-url is not set"))
        .toString();
  }
}
