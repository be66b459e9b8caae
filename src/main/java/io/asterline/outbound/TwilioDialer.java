package io.asterline.outbound;

import io.asterline.twilio.TwilioConfig;
import io.asterline.twilio.TwilioForm;
import io.asterline.twilio.TwilioRest;
import io.asterline.twilio.Twiml;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * Outbound calls through Twilio's REST API: the {@code Calls.json} request whose TwiML connects the answered call
 * to Asterline's Media Streams server (the agent), with a status callback for every state and, when the tenant
 * detects voicemail, Twilio's asynchronous answering-machine detection. Also the TwiML an answering machine gets.
 * Nothing here blocks: every request is TwilioRest's asynchronous one.
 */
final class TwilioDialer {

  /** Twilio's longest ring ({@code Timeout}). */
  static final int MAX_TIMEOUT_SECONDS = 600;

  private final TwilioConfig config;
  private final TwilioRest rest;
  private final Duration ringTimeout;

  TwilioDialer(TwilioConfig config, TwilioRest rest, Duration ringTimeout) {
    this.config = config;
    this.rest = rest;
    this.ringTimeout = ringTimeout;
  }

  /** The create request for call {@code callId} to {@code to} from {@code from}. */
  TwilioForm createForm(UUID callId, String to, String from, boolean detectMachine) {
    String id = callId.toString();
    String twiml = Twiml.response()
        // Twilio drops a query string on the stream URL: the call id rides as a Parameter
        .connectStream(config.streamUrl().orElseThrow().toString(), Map.of("callId", id),
            config.webhook("/twilio/agent-done?callId=" + id).toString())
        .toXml();
    TwilioForm form = TwilioForm.create()
        .add("To", to)
        .add("From", from)
        .add("Twiml", twiml)
        .add("StatusCallback", config.webhook("/twilio/status?callId=" + id).toString())
        .add("StatusCallbackEvent", "initiated")
        .add("StatusCallbackEvent", "ringing")
        .add("StatusCallbackEvent", "answered")
        .add("StatusCallbackEvent", "completed")
        .add("StatusCallbackMethod", "POST")
        .add("Timeout", Long.toString(Math.min(MAX_TIMEOUT_SECONDS, Math.max(5, ringTimeout.toSeconds()))));
    if (detectMachine) {
      // the call connects to the agent at once; Twilio reports the machine (at the end of its greeting, so a
      // message can follow the beep) to the AMD callback while the agent already listens
      form.add("MachineDetection", "DetectMessageEnd")
          .add("AsyncAmd", "true")
          .add("AsyncAmdStatusCallback", config.webhook("/twilio/amd?callId=" + id).toString())
          .add("AsyncAmdStatusCallbackMethod", "POST");
    }
    return form;
  }

  /** Places the call; completes with Twilio's answer, or with TwilioRest.Refused / Unavailable. */
  CompletableFuture<TwilioRest.CallResource> create(UUID callId, String to, String from, boolean detectMachine) {
    return rest.createCall(createForm(callId, to, from, detectMachine));
  }

  /** Gives a live call new TwiML (an answering machine hung up on, or a message left on it). */
  CompletableFuture<TwilioRest.CallResource> update(String callSid, Twiml twiml) {
    return rest.updateCall(callSid, TwilioForm.create().add("Twiml", twiml.toXml()));
  }

  /** Ends a call Twilio may still be placing (one Asterline moved to Asterisk meanwhile). */
  CompletableFuture<TwilioRest.CallResource> end(String callSid, boolean answered) {
    return rest.updateCall(callSid, TwilioForm.create().add("Status", answered ? "completed" : "canceled"));
  }
}
