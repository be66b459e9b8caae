package io.asterline.cost;

import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The rates the cost ledger prices each call with, in US dollars. Carrier minutes on Asterisk: a default per
 * direction for every SIP trunk, and per-trunk rates in {@code costs.trunk-rates}. On Twilio: Twilio's US list
 * prices (per minute, every call rounded up to a whole minute, plus recording minutes when Twilio records), which
 * price the calls Twilio carried and show what Asterisk's calls would have cost there. Transcription: per minute of
 * recorded audio (OpenAI's list price). Realtime: per million tokens, defaults from OpenAI's public gpt-realtime list prices (audio in
 * $32, cached in $0.40, audio out $64; text in $4, text out $16).
 */
public record CostConfig(
    BigDecimal inboundPerMinute,
    BigDecimal outboundPerMinute,
    Map<String, TrunkRate> trunkRates,
    BigDecimal twilioInboundPerMinute,
    BigDecimal twilioOutboundPerMinute,
    BigDecimal twilioRecordingPerMinute,
    boolean twilioRecords,
    BigDecimal transcriptionPerMinute,
    BigDecimal audioInPerMillion,
    BigDecimal audioOutPerMillion,
    BigDecimal textInPerMillion,
    BigDecimal textOutPerMillion,
    BigDecimal cachedInPerMillion,
    Duration interval,
    Duration settle,
    Duration lookback) {

  /** One trunk's carrier rates per minute. */
  public record TrunkRate(BigDecimal inboundPerMinute, BigDecimal outboundPerMinute) {}

  public static final ConfigKey INBOUND = ConfigKey.of("costs.inbound-per-minute", "0.004",
      "US$ per inbound minute on a SIP trunk without its own rate");
  public static final ConfigKey OUTBOUND = ConfigKey.of("costs.outbound-per-minute", "0.006",
      "US$ per outbound minute on a SIP trunk without its own rate");
  public static final ConfigKey TRUNK_RATES = ConfigKey.of("costs.trunk-rates", "",
      "per-trunk rates, TRUNK=IN/OUT per minute, comma-separated, e.g. TWILIO=0.0085/0.013,didww=0.004/0.006");
  public static final ConfigKey TWILIO_INBOUND = ConfigKey.of("costs.twilio.inbound-per-minute", "0.0085",
      "Twilio's inbound list price per minute, for the comparison column");
  public static final ConfigKey TWILIO_OUTBOUND = ConfigKey.of("costs.twilio.outbound-per-minute", "0.013",
      "Twilio's outbound list price per minute, for the comparison column");
  public static final ConfigKey TWILIO_RECORDING = ConfigKey.of("costs.twilio.recording-per-minute", "0.0025",
      "Twilio's recording price per minute, added for recorded calls in the comparison column");
  public static final ConfigKey TWILIO_RECORDS = ConfigKey.of("costs.twilio.records-calls", "false",
      "true when Twilio records the calls it carries (its recording fee is then charged on them); false when "
          + "Asterline records them itself");
  public static final ConfigKey TRANSCRIPTION = ConfigKey.of("costs.transcription-per-minute", "0.006",
      "US$ per minute of recorded audio transcribed (OpenAI's list price), for calls whose recording is transcribed");
  public static final ConfigKey AUDIO_IN = ConfigKey.of("costs.realtime.audio-in-per-million", "32",
      "US$ per million Realtime audio input tokens (not cached)");
  public static final ConfigKey AUDIO_OUT = ConfigKey.of("costs.realtime.audio-out-per-million", "64",
      "US$ per million Realtime audio output tokens");
  public static final ConfigKey TEXT_IN = ConfigKey.of("costs.realtime.text-in-per-million", "4",
      "US$ per million Realtime text input tokens (not cached)");
  public static final ConfigKey TEXT_OUT = ConfigKey.of("costs.realtime.text-out-per-million", "16",
      "US$ per million Realtime text output tokens");
  public static final ConfigKey CACHED_IN = ConfigKey.of("costs.realtime.cached-in-per-million", "0.40",
      "US$ per million cached Realtime input tokens (text or audio)");
  public static final ConfigKey INTERVAL = ConfigKey.of("costs.interval", "30s",
      "how often a node prices the calls that ended (0s = this node does not)");
  public static final ConfigKey SETTLE = ConfigKey.of("costs.settle", "1m",
      "a call is priced this long after its end, once the agent's usage has surely arrived");
  public static final ConfigKey LOOKBACK = ConfigKey.of("costs.lookback", "7d",
      "calls that ended longer ago than this and have no price yet are not priced any more");

  public static final List<ConfigKey> KEYS = List.of(INBOUND, OUTBOUND, TRUNK_RATES, TWILIO_INBOUND, TWILIO_OUTBOUND,
      TWILIO_RECORDING, TWILIO_RECORDS, TRANSCRIPTION, AUDIO_IN, AUDIO_OUT, TEXT_IN, TEXT_OUT, CACHED_IN, INTERVAL, SETTLE, LOOKBACK);

  private static final Pattern TRUNK = Pattern.compile("[A-Za-z0-9_.-]+");

  public static CostConfig from(Settings settings) {
    return new CostConfig(rate(settings, INBOUND), rate(settings, OUTBOUND), trunkRates(settings),
        rate(settings, TWILIO_INBOUND), rate(settings, TWILIO_OUTBOUND), rate(settings, TWILIO_RECORDING),
        settings.bool(TWILIO_RECORDS), rate(settings, TRANSCRIPTION), rate(settings, AUDIO_IN), rate(settings, AUDIO_OUT), rate(settings, TEXT_IN), rate(settings, TEXT_OUT),
        rate(settings, CACHED_IN), settings.duration(INTERVAL), settings.duration(SETTLE),
        settings.duration(LOOKBACK));
  }

  /** The rates of the trunk a call used; the defaults for a trunk without its own (or an unknown one). */
  public TrunkRate rateOf(String trunk) {
    TrunkRate own = trunk == null ? null : trunkRates.get(trunk);
    return own != null ? own : new TrunkRate(inboundPerMinute, outboundPerMinute);
  }

  private static BigDecimal rate(Settings settings, ConfigKey key) {
    String raw = settings.string(key).trim();
    try {
      BigDecimal value = new BigDecimal(raw);
      if (value.signum() >= 0) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below with the key's name
    }
    throw settings.invalid(key, "a price in US dollars, 0 or more, e.g. 0.004");
  }

  private static Map<String, TrunkRate> trunkRates(Settings settings) {
    Map<String, TrunkRate> rates = new LinkedHashMap<>();
    String raw = settings.string(TRUNK_RATES).trim();
    if (raw.isEmpty()) {
      return Map.of();
    }
    for (String entry : raw.split(",")) {
      String[] kv = entry.trim().split("=", 2);
      String[] inOut = kv.length == 2 ? kv[1].trim().split("/", 2) : new String[0];
      try {
        if (kv.length != 2 || !TRUNK.matcher(kv[0].trim()).matches() || inOut.length != 2) {
          throw new NumberFormatException();
        }
        BigDecimal in = new BigDecimal(inOut[0].trim());
        BigDecimal out = new BigDecimal(inOut[1].trim());
        if (in.signum() < 0 || out.signum() < 0) {
          throw new NumberFormatException();
        }
        rates.put(kv[0].trim(), new TrunkRate(in, out));
      } catch (NumberFormatException e) {
        throw settings.invalid(TRUNK_RATES, "TRUNK=IN/OUT entries separated by commas, e.g. TWILIO=0.0085/0.013"
            + " (the entry '" + entry.trim() + "' is not one)");
      }
    }
    return Map.copyOf(rates);
  }
}
