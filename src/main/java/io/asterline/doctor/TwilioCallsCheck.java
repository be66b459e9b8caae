package io.asterline.doctor;

import io.asterline.twilio.TwilioConfig;
import java.net.URI;

/**
 * Whether Twilio calls can reach this deployment as configured: webhooks are checked against the auth token (an
 * API key cannot check them) and the public webhook URL, and Twilio opens Media Streams to wss:// only.
 */
final class TwilioCallsCheck {

  static final String CHECK = "twilio calls";

  private final TwilioConfig config;

  TwilioCallsCheck(TwilioConfig config) {
    this.config = config;
  }

  Finding run() {
    boolean wanted = config.defaultProvider() == TwilioConfig.Provider.TWILIO || config.webhookBaseUrl().isPresent();
    if (!wanted) {
      return Finding.skip(CHECK, "twilio.webhook-base-url is unset: no Twilio calls (numbers point at Asterisk)");
    }
    if (config.account().accountSid().isEmpty()) {
      return Finding.fail(CHECK, "twilio.webhook-base-url is set but twilio.account-sid is not (TWILIO_ACCOUNT_SID)");
    }
    if (config.account().authToken().isEmpty()) {
      return Finding.fail(CHECK, "Twilio signs its webhooks with the account's auth token and an API key cannot check "
          + "them: set twilio.auth-token (TWILIO_AUTH_TOKEN); every Twilio call is refused until then");
    }
    if (config.webhookBaseUrl().isEmpty()) {
      return Finding.fail(CHECK, "telephony.provider is twilio but twilio.webhook-base-url is unset "
          + "(TWILIO_WEBHOOK_BASE_URL): Twilio has nowhere to send its calls");
    }
    URI base = config.webhookBaseUrl().get();
    URI stream = config.streamUrl().orElseThrow();
    if (!"wss".equalsIgnoreCase(stream.getScheme())) {
      return Finding.fail(CHECK, "twilio.stream-url " + stream + " is not wss://: Twilio opens Media Streams over TLS "
          + "only, so no Twilio call would reach the agent; put port " + config.mediaPort() + " behind your TLS proxy");
    }
    String where = "voice webhook " + base + "/twilio/voice, status callbacks " + base + "/twilio/status, "
        + "Media Streams " + stream + " (served on port " + config.mediaPort() + ")";
    if (!"https".equalsIgnoreCase(base.getScheme())) {
      return Finding.warn(CHECK, where + ": the webhook URL is plain http, so Twilio's requests (caller numbers, "
          + "call ids) cross the network unencrypted; use https");
    }
    return Finding.ok(CHECK, where);
  }
}
