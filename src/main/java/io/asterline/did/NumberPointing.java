package io.asterline.did;

import io.asterline.twilio.TwilioConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.asterline.config.Settings;
import io.asterline.did.TwilioClient.TwilioException;
import io.asterline.phone.PhoneNumbers;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Where a Twilio number sends its inbound calls, and {@code asterline dids point}: repointing a number through
 * Twilio's IncomingPhoneNumbers update. A number attached to an Elastic SIP Trunk ({@code TrunkSid}) sends its calls
 * over SIP to the trunk's origination (Asterisk), whatever its voice URL; without a trunk Twilio requests its
 * {@code VoiceUrl} (Asterline's {@code /twilio/voice}: a Twilio-carried call). What Twilio answers is recorded in
 * the DID's metadata: {@code points_to} ({@code twilio}, {@code asterisk} or {@code elsewhere}), {@code trunk_sid}
 * and {@code voice_url}.
 */
public final class NumberPointing {

  /** Where a number can be pointed. */
  public enum Target {
    TWILIO, ASTERISK;

    public String value() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** One number's outcome: the line to print, and whether it went through. */
  public record Outcome(boolean pointed, String line) {}

  static final String VOICE_PATH = "/twilio/voice";
  static final String STATUS_PATH = "/twilio/voice-status";

  private final TwilioClient twilio;
  private final DidRepository dids;
  private final ObjectMapper json;
  private final String defaultCountryCode;
  private final Optional<URI> webhookBase;

  public NumberPointing(TwilioClient twilio, DidRepository dids, ObjectMapper json, String defaultCountryCode,
      Optional<URI> webhookBase) {
    this.twilio = twilio;
    this.dids = dids;
    this.json = json;
    this.defaultCountryCode = defaultCountryCode;
    this.webhookBase = webhookBase;
  }

  /** {@code twilio.webhook-base-url} as the Twilio features read it (no trailing slash), when set. */
  public static Optional<URI> webhookBase(Settings settings) {
    return TwilioConfig.webhookBaseUrl(settings);
  }

  /**
   * The IncomingPhoneNumber update that sends the number's calls to Asterline's voice webhook: the empty
   * {@code TrunkSid} detaches any trunk, which would otherwise win over the voice URL.
   */
  public static Map<String, String> toTwilio(URI webhookBase) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("VoiceUrl", webhookBase + VOICE_PATH);
    form.put("VoiceMethod", "POST");
    form.put("StatusCallback", webhookBase + STATUS_PATH);
    form.put("StatusCallbackMethod", "POST");
    form.put("TrunkSid", "");
    return form;
  }

  /** The update that attaches the number to the Elastic SIP Trunk that reaches Asterisk. */
  public static Map<String, String> toAsterisk(String trunkSid) {
    return Map.of("TrunkSid", trunkSid);
  }

  /** Where a number with this voice URL and trunk sends its calls. */
  public static String pointsTo(String voiceUrl, String trunkSid, Optional<URI> webhookBase) {
    if (trunkSid != null && !trunkSid.isBlank()) {
      return "asterisk";
    }
    if (voiceUrl == null || voiceUrl.isBlank()) {
      return "elsewhere";
    }
    boolean ours = webhookBase.isPresent()
        ? voiceUrl.equals(webhookBase.get() + VOICE_PATH)
        : voiceUrl.split("[?#]", 2)[0].endsWith(VOICE_PATH);
    return ours ? "twilio" : "elsewhere";
  }

  /** The metadata keys that say where a number points, as Twilio has it. */
  public static ObjectNode facts(ObjectNode into, TwilioClient.Number n, Optional<URI> webhookBase) {
    return into.put("points_to", pointsTo(n.voiceUrl(), n.trunkSid(), webhookBase))
        .put("trunk_sid", n.trunkSid())
        .put("voice_url", n.voiceUrl());
  }

  /**
   * Points one number: it must be a DID imported from Twilio (its metadata holds the number's SID). Nothing is
   * recorded unless Twilio accepted the update; then what Twilio answers is recorded in one statement.
   */
  public Outcome point(String raw, Target target, Map<String, String> form) throws InterruptedException {
    String number;
    try {
      number = PhoneNumbers.require(raw, defaultCountryCode);
    } catch (IllegalArgumentException e) {
      return new Outcome(false, raw + ": " + e.getMessage());
    }
    Optional<Did> did = dids.findByNumber(number);
    if (did.isEmpty()) {
      return new Outcome(false, number + ": not a DID of Asterline (import it with dids import twilio); unchanged");
    }
    String sid = did.get().metadata().path("external_sid").asText("");
    if (!TwilioClient.NUMBER_SID.matcher(sid).matches()) {
      return new Outcome(false, number + ": has no Twilio number SID (PN...) in its metadata; only numbers imported"
          + " with dids import twilio can be pointed; unchanged");
    }
    TwilioClient.Number answer;
    try {
      answer = twilio.updateNumber(sid, form);
    } catch (TwilioException e) {
      return new Outcome(false, number + " (" + sid + "): " + e.getMessage() + "; unchanged");
    }
    ObjectNode facts = facts(json.createObjectNode(), answer, webhookBase);
    String now = facts.path("points_to").asText();
    if (!dids.mergeTwilioMetadata(number, sid, facts)) {
      return new Outcome(false, number + " (" + sid + "): Twilio points it to " + now + ", but the DID changed"
          + " meanwhile; run dids import twilio to record it");
    }
    if (!now.equals(target.value())) {
      return new Outcome(false, number + " (" + sid + "): Twilio accepted the update but the number points to "
          + now + describe(answer));
    }
    return new Outcome(true, number + " -> " + now + describe(answer));
  }

  private static String describe(TwilioClient.Number n) {
    if (n.trunkSid() != null) {
      return " (trunk " + n.trunkSid() + ")";
    }
    return n.voiceUrl() == null ? "" : " (" + n.voiceUrl() + ")";
  }
}
