package io.asterline.outbound;

import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How outbound calls are placed: pacing per trunk, timeouts, and the addresses Asterisk reaches Asterline at. */
public record OutboundConfig(
    Duration originateTimeout,
    double defaultCps,
    Map<String, Double> trunkCps,
    Duration acceptWait,
    Duration maxQueueWait,
    Duration responseGrace,
    String audioSocketAddress) {

  public static final ConfigKey ORIGINATE_TIMEOUT = ConfigKey.of("outbound.originate-timeout", "30s",
      "how long an outbound call rings before it counts as not answered");
  public static final ConfigKey CPS = ConfigKey.of("outbound.cps", "1",
      "calls per second started on one trunk (Twilio's default is 1); further calls wait their turn in order");
  public static final ConfigKey TRUNK_CPS = ConfigKey.of("outbound.trunk-cps", null,
      "per-trunk calls per second overriding outbound.cps, e.g. TWILIO=1,DIDWW=10");
  public static final ConfigKey ACCEPT_WAIT = ConfigKey.of("outbound.accept-wait", "3s",
      "how long POST /api/outbound/call waits for Asterisk to accept the originate before answering 202 with the call queued");
  public static final ConfigKey MAX_QUEUE_WAIT = ConfigKey.of("outbound.max-queue-wait", "10m",
      "a call still waiting for its trunk's turn after this long fails (queue_timeout) instead of ringing late");
  public static final ConfigKey RESPONSE_GRACE = ConfigKey.of("outbound.response-grace", "60s",
      "how long after the ring timeout a call without any answer from Asterisk is given up (originate_lost)");

  public static final List<ConfigKey> KEYS = List.of(ORIGINATE_TIMEOUT, CPS, TRUNK_CPS, ACCEPT_WAIT, MAX_QUEUE_WAIT,
      RESPONSE_GRACE);

  private static final String TRUNK = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}";

  public static OutboundConfig from(Settings settings) {
    Duration timeout = settings.duration(ORIGINATE_TIMEOUT);
    if (timeout.toSeconds() < 5 || timeout.toMinutes() > 10) {
      throw settings.invalid(ORIGINATE_TIMEOUT, "a duration from 5s to 10m");
    }
    double cps = cps(settings.string(CPS));
    if (Double.isNaN(cps)) {
      throw settings.invalid(CPS, "calls per second, a number above 0 and at most 1000 such as 1 or 0.5");
    }
    Map<String, Double> perTrunk = new LinkedHashMap<>();
    for (String entry : settings.list(TRUNK_CPS)) {
      String[] kv = entry.split("=", 2);
      double value = kv.length == 2 ? cps(kv[1].trim()) : Double.NaN;
      if (!kv[0].trim().matches(TRUNK) || Double.isNaN(value)) {
        throw settings.invalid(TRUNK_CPS, "comma-separated TRUNK=calls-per-second pairs such as TWILIO=1,DIDWW=10");
      }
      perTrunk.put(kv[0].trim(), value);
    }
    Duration grace = settings.duration(RESPONSE_GRACE);
    if (grace.toSeconds() < 1) {
      throw settings.invalid(RESPONSE_GRACE, "at least 1s");
    }
    Duration maxQueueWait = settings.duration(MAX_QUEUE_WAIT);
    if (maxQueueWait.toSeconds() < 1) {
      throw settings.invalid(MAX_QUEUE_WAIT, "at least 1s");
    }
    return new OutboundConfig(timeout, cps, Map.copyOf(perTrunk), settings.duration(ACCEPT_WAIT), maxQueueWait, grace,
        // the agent leg of an outbound call goes where inbound calls of this node go: the wiring fills in the
        // address the FastAGI side hands out (agi.audiosocket-address, else the AudioSocket server's own)
        null);
  }

  /** This configuration with the AudioSocket address the agent leg dials. */
  public OutboundConfig withAudioSocketAddress(String address) {
    return new OutboundConfig(originateTimeout, defaultCps, trunkCps, acceptWait, maxQueueWait, responseGrace, address);
  }

  /** Calls per second allowed on this trunk. */
  public double cpsFor(String trunk) {
    return trunkCps.getOrDefault(trunk, defaultCps);
  }

  private static double cps(String raw) {
    try {
      double value = Double.parseDouble(raw);
      return value > 0 && value <= 1000 ? value : Double.NaN;
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }
}
