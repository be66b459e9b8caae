package io.asterline.did;

import io.asterline.config.ConfigException;
import io.asterline.phone.PhoneNumbers;
import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import java.net.URI;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Numbers and their rotation: how national numbers are completed, the rotation defaults a DID without its
 * own settings gets, and the Twilio account {@code asterline dids import twilio} reads.
 */
public record DidConfig(
    String defaultCountryCode,
    OptionalInt defaultDailyCap,
    Duration defaultCooldown,
    ZoneId dayTimeZone,
    Twilio twilio) {

  /** The Twilio REST API: an account SID with its auth token, or an API key pair. */
  public record Twilio(
      URI apiBaseUrl,
      Optional<String> accountSid,
      Optional<String> authToken,
      Optional<String> apiKeySid,
      Optional<String> apiKeySecret,
      int pageSize,
      int retries,
      Duration retryBackoff,
      Duration timeout) {

    @Override
    public String toString() {
      return "Twilio[apiBaseUrl=" + apiBaseUrl + ", accountSid=" + accountSid
          + ", authToken=" + (authToken.isPresent() ? "(set)" : "(unset)")
          + ", apiKeySid=" + apiKeySid
          + ", apiKeySecret=" + (apiKeySecret.isPresent() ? "(set)" : "(unset)")
          + ", pageSize=" + pageSize + ", retries=" + retries + ", retryBackoff=" + retryBackoff
          + ", timeout=" + timeout + "]";
    }
  }

  public static final ConfigKey DAILY_CAP = ConfigKey.of("did.daily-cap", null,
      "most picks per DID per day for DIDs without their own cap; unset = no cap");
  public static final ConfigKey COOLDOWN = ConfigKey.of("did.cooldown", "0s",
      "least time between two picks of one DID for DIDs without their own cooldown");
  public static final ConfigKey DAY_TIME_ZONE = ConfigKey.of("did.day-time-zone", "UTC",
      "time zone whose midnight starts a new day for the daily cap, e.g. America/New_York");

  public static final ConfigKey TWILIO_API_BASE_URL = ConfigKey.of("twilio.api-base-url", "https://api.twilio.com",
      "Twilio REST API base URL");
  public static final ConfigKey TWILIO_ACCOUNT_SID = ConfigKey.of("twilio.account-sid", null,
      "Twilio account SID (AC...) whose numbers are imported");
  public static final ConfigKey TWILIO_AUTH_TOKEN = ConfigKey.secret("twilio.auth-token",
      "Twilio auth token of that account (or use an API key pair)");
  public static final ConfigKey TWILIO_API_KEY_SID = ConfigKey.of("twilio.api-key-sid", null,
      "Twilio API key SID (SK...), instead of the auth token").withAliases("TWILIO_API_KEY");
  public static final ConfigKey TWILIO_API_KEY_SECRET = ConfigKey.secret("twilio.api-key-secret",
      "secret of that API key").withAliases("TWILIO_API_SECRET");
  public static final ConfigKey TWILIO_PAGE_SIZE = ConfigKey.of("twilio.page-size", "1000",
      "numbers fetched per page (Twilio allows 1 to 1000)");
  public static final ConfigKey TWILIO_RETRIES = ConfigKey.of("twilio.retries", "3",
      "retries of a page that fails before the import stops");
  public static final ConfigKey TWILIO_RETRY_BACKOFF = ConfigKey.of("twilio.retry-backoff", "1s",
      "wait before the first retry; doubled before each further one");
  public static final ConfigKey TWILIO_TIMEOUT = ConfigKey.of("twilio.timeout", "30s",
      "how long one page request may take");

  public static final List<ConfigKey> KEYS = List.of(DAILY_CAP, COOLDOWN, DAY_TIME_ZONE,
      TWILIO_API_BASE_URL, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_KEY_SID, TWILIO_API_KEY_SECRET,
      TWILIO_PAGE_SIZE, TWILIO_RETRIES, TWILIO_RETRY_BACKOFF, TWILIO_TIMEOUT);

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
    Duration backoff = settings.duration(TWILIO_RETRY_BACKOFF);
    Duration timeout = settings.duration(TWILIO_TIMEOUT);
    if (timeout.isZero()) {
      throw settings.invalid(TWILIO_TIMEOUT, "a duration above zero");
    }
    Optional<String> sid = settings.optional(TWILIO_ACCOUNT_SID);
    if (sid.isPresent() && !sid.get().matches("AC[0-9a-fA-F]{32}")) {
      throw settings.invalid(TWILIO_ACCOUNT_SID, "a Twilio account SID: AC and 32 hexadecimal digits");
    }
    Optional<String> keySid = settings.optional(TWILIO_API_KEY_SID);
    Optional<String> keySecret = settings.optional(TWILIO_API_KEY_SECRET);
    if (keySid.isPresent() != keySecret.isPresent()) {
      throw new ConfigException("twilio.api-key-sid and twilio.api-key-secret: set both or neither"
          + " (TWILIO_API_KEY_SID, TWILIO_API_KEY_SECRET)");
    }
    Twilio twilio = new Twilio(settings.uri(TWILIO_API_BASE_URL, "https", "http"), sid,
        settings.optional(TWILIO_AUTH_TOKEN), keySid, keySecret,
        settings.integer(TWILIO_PAGE_SIZE, 1, 1000), settings.integer(TWILIO_RETRIES, 0, 20), backoff, timeout);
    return new DidConfig(cc, cap, settings.duration(COOLDOWN), zone, twilio);
  }

  /** Rotation defaults alone, for tests and tools that need no Twilio account. */
  public static DidConfig of(String defaultCountryCode, OptionalInt dailyCap, Duration cooldown, ZoneId zone) {
    return new DidConfig(defaultCountryCode, dailyCap, cooldown, zone, new Twilio(URI.create("https://api.twilio.com"),
        Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), 1000, 3, Duration.ofSeconds(1),
        Duration.ofSeconds(30)));
  }
}
