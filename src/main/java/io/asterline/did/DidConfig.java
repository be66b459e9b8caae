package io.asterline.did;

import io.asterline.phone.PhoneNumbers;
import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import io.asterline.twilio.TwilioAccount;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * Numbers and their rotation: how national numbers are completed, the rotation defaults a DID without its
 * own settings gets, and the Twilio account {@code asterline dids import twilio} reads.
 */
public record DidConfig(
    String defaultCountryCode,
    OptionalInt defaultDailyCap,
    Duration defaultCooldown,
    ZoneId dayTimeZone,
    TwilioAccount twilio,
    Health health) {

  /**
   * Number health: how often each node evaluates the DIDs, over which window, and the thresholds a tenant without
   * its own (did_policy) gets. Ratios are fractions from 0 to 1.
   *
   * @param interval between two evaluations on this node; zero = this node does not evaluate
   * @param shortCall an answered call shorter than this counts as a short call (hung up on at once)
   * @param maxVoicemailRate 1 = the voicemail rate never quarantines
   */
  public record Health(Duration interval, Duration window, Duration shortCall, int minCalls, double minAnswerRate,
      double maxShortCallRatio, double maxVoicemailRate, Duration coolOff) {

    public static Health defaults() {
      return new Health(Duration.ofMinutes(5), Duration.ofDays(7), Duration.ofSeconds(12), 20, 0.10, 0.60, 1.0,
          Duration.ofHours(24));
    }
  }

  public static final ConfigKey DAILY_CAP = ConfigKey.of("did.daily-cap", null,
      "most picks per DID per day for DIDs without their own cap; unset = no cap");
  public static final ConfigKey COOLDOWN = ConfigKey.of("did.cooldown", "0s",
      "least time between two picks of one DID for DIDs without their own cooldown");
  public static final ConfigKey DAY_TIME_ZONE = ConfigKey.of("did.day-time-zone", "UTC",
      "time zone whose midnight starts a new day for the daily cap, e.g. America/New_York");

  public static final ConfigKey HEALTH_INTERVAL = ConfigKey.of("did.health.interval", "5m",
      "how often this node evaluates number health and quarantines or restores DIDs; 0s = not on this node");
  public static final ConfigKey HEALTH_WINDOW = ConfigKey.of("did.health.window", "7d",
      "the rolling window of outbound calls number health is computed over");
  public static final ConfigKey HEALTH_SHORT_CALL = ConfigKey.of("did.health.short-call", "12s",
      "an answered call shorter than this counts as a short call");
  public static final ConfigKey HEALTH_MIN_CALLS = ConfigKey.of("did.health.min-calls", "20",
      "fewer outbound calls than this in the window: too few to judge, never quarantined");
  public static final ConfigKey HEALTH_MIN_ANSWER_RATE = ConfigKey.of("did.health.min-answer-rate", "0.10",
      "a DID whose answered/calls falls below this is quarantined (0 to 1)");
  public static final ConfigKey HEALTH_MAX_SHORT_CALL_RATIO = ConfigKey.of("did.health.max-short-call-ratio", "0.60",
      "a DID whose short calls/answered calls rises above this is quarantined (0 to 1)");
  public static final ConfigKey HEALTH_MAX_VOICEMAIL_RATE = ConfigKey.of("did.health.max-voicemail-rate", "1.0",
      "a DID whose answering machines/answered calls rises above this is quarantined (0 to 1; 1 = never)");
  public static final ConfigKey HEALTH_COOL_OFF = ConfigKey.of("did.health.cool-off", "24h",
      "how long a quarantined DID sits out before rotation takes it again");

  // the Twilio account: its keys live with it (io.asterline.twilio.TwilioAccount), named here as they always were
  public static final ConfigKey TWILIO_API_BASE_URL = TwilioAccount.API_BASE_URL;
  public static final ConfigKey TWILIO_ACCOUNT_SID = TwilioAccount.ACCOUNT_SID;
  public static final ConfigKey TWILIO_AUTH_TOKEN = TwilioAccount.AUTH_TOKEN;
  public static final ConfigKey TWILIO_API_KEY_SID = TwilioAccount.API_KEY_SID;
  public static final ConfigKey TWILIO_API_KEY_SECRET = TwilioAccount.API_KEY_SECRET;
  public static final ConfigKey TWILIO_PAGE_SIZE = TwilioAccount.PAGE_SIZE;
  public static final ConfigKey TWILIO_RETRIES = TwilioAccount.RETRIES;
  public static final ConfigKey TWILIO_RETRY_BACKOFF = TwilioAccount.RETRY_BACKOFF;
  public static final ConfigKey TWILIO_TIMEOUT = TwilioAccount.TIMEOUT;
  public static final ConfigKey TWILIO_TRUNK_SID = TwilioAccount.TRUNK_SID_KEY;

  /** An Elastic SIP Trunk's SID as Twilio makes them. */
  public static final Pattern TRUNK_SID = TwilioAccount.TRUNK_SID;

  public static final List<ConfigKey> KEYS = List.of(DAILY_CAP, COOLDOWN, DAY_TIME_ZONE,
      HEALTH_INTERVAL, HEALTH_WINDOW, HEALTH_SHORT_CALL, HEALTH_MIN_CALLS, HEALTH_MIN_ANSWER_RATE,
      HEALTH_MAX_SHORT_CALL_RATIO, HEALTH_MAX_VOICEMAIL_RATE, HEALTH_COOL_OFF,
      TWILIO_API_BASE_URL, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_KEY_SID, TWILIO_API_KEY_SECRET,
      TWILIO_PAGE_SIZE, TWILIO_RETRIES, TWILIO_RETRY_BACKOFF, TWILIO_TIMEOUT, TWILIO_TRUNK_SID);

  public static DidConfig from(Settings settings) {
    // the same country code the FastAGI lookup uses (phone.default-country-code)
    String cc = PhoneNumbers.defaultCountryCode(settings);
    OptionalInt cap = settings.value(DAILY_CAP).isPresent()
        ? OptionalInt.of(settings.integer(DAILY_CAP, 1, Integer.MAX_VALUE))
        : OptionalInt.empty();
    ZoneId zone;
    try {
      zone = ZoneId.of(settings.string(DAY_TIME_ZONE));
      if (zone instanceof ZoneOffset) {
        // PostgreSQL reads '+02:00' as a POSIX offset, with the opposite sign
        throw new DateTimeException("an offset, not a zone");
      }
    } catch (DateTimeException e) {
      throw settings.invalid(DAY_TIME_ZONE, "a time zone name such as UTC or Europe/Berlin");
    }
    TwilioAccount twilio = TwilioAccount.from(settings);
    Health health = new Health(settings.duration(HEALTH_INTERVAL), positive(settings, HEALTH_WINDOW),
        positive(settings, HEALTH_SHORT_CALL), settings.integer(HEALTH_MIN_CALLS, 1, 1_000_000),
        ratio(settings, HEALTH_MIN_ANSWER_RATE), ratio(settings, HEALTH_MAX_SHORT_CALL_RATIO),
        ratio(settings, HEALTH_MAX_VOICEMAIL_RATE), positive(settings, HEALTH_COOL_OFF));
    return new DidConfig(cc, cap, settings.duration(COOLDOWN), zone, twilio, health);
  }

  private static Duration positive(Settings settings, ConfigKey key) {
    Duration d = settings.duration(key);
    if (d.isZero()) {
      throw settings.invalid(key, "a duration above zero");
    }
    return d;
  }

  private static double ratio(Settings settings, ConfigKey key) {
    String raw = settings.string(key).trim();
    try {
      double r = Double.parseDouble(raw);
      if (r >= 0 && r <= 1) {
        return r;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw settings.invalid(key, "a fraction from 0 to 1, such as 0.25");
  }

  /** Rotation defaults alone, for tests and tools that need no Twilio account. */
  public static DidConfig of(String defaultCountryCode, OptionalInt dailyCap, Duration cooldown, ZoneId zone) {
    return new DidConfig(defaultCountryCode, dailyCap, cooldown, zone, TwilioAccount.none(), Health.defaults());
  }
}
