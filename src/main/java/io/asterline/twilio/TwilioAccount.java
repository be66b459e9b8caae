package io.asterline.twilio;

import io.asterline.config.ConfigException;
import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The Twilio account every Twilio feature uses: the REST API's base URL and credentials (an account SID with its
 * auth token, or an API key pair; webhooks can be checked with the auth token only), how REST requests are retried
 * and timed, and the Elastic SIP Trunk ({@code trunkSid}) numbers are attached to when they point at Asterisk.
 * Read once, here; {@code did.DidConfig} names these keys for the DID commands.
 */
public record TwilioAccount(
    URI apiBaseUrl,
    Optional<String> accountSid,
    Optional<String> authToken,
    Optional<String> apiKeySid,
    Optional<String> apiKeySecret,
    int pageSize,
    int retries,
    Duration retryBackoff,
    Duration timeout,
    Optional<String> trunkSid) {

  public static final ConfigKey API_BASE_URL = ConfigKey.of("twilio.api-base-url", "https://api.twilio.com",
      "Twilio REST API base URL");
  public static final ConfigKey ACCOUNT_SID = ConfigKey.of("twilio.account-sid", null,
      "Twilio account SID (AC...) whose numbers are imported and whose calls are served");
  public static final ConfigKey AUTH_TOKEN = ConfigKey.secret("twilio.auth-token",
      "Twilio auth token of that account (or use an API key pair for the REST API; webhooks need the token)");
  public static final ConfigKey API_KEY_SID = ConfigKey.of("twilio.api-key-sid", null,
      "Twilio API key SID (SK...), instead of the auth token").withAliases("TWILIO_API_KEY");
  public static final ConfigKey API_KEY_SECRET = ConfigKey.secret("twilio.api-key-secret",
      "secret of that API key").withAliases("TWILIO_API_SECRET");
  public static final ConfigKey PAGE_SIZE = ConfigKey.of("twilio.page-size", "1000",
      "numbers fetched per page (Twilio allows 1 to 1000)");
  public static final ConfigKey RETRIES = ConfigKey.of("twilio.retries", "3",
      "retries of a page that fails before the import stops");
  public static final ConfigKey RETRY_BACKOFF = ConfigKey.of("twilio.retry-backoff", "1s",
      "wait before the first retry; doubled before each further one");
  public static final ConfigKey TIMEOUT = ConfigKey.of("twilio.timeout", "30s",
      "how long one page request may take");
  public static final ConfigKey TRUNK_SID_KEY = ConfigKey.of("twilio.trunk-sid", null,
      "Elastic SIP Trunk (TK...) that asterline dids point --to asterisk attaches numbers to");

  /** An Elastic SIP Trunk's SID as Twilio makes them. */
  public static final Pattern TRUNK_SID = Pattern.compile("TK[0-9a-fA-F]{32}");

  public static TwilioAccount from(Settings settings) {
    Duration backoff = settings.duration(RETRY_BACKOFF);
    Duration timeout = settings.duration(TIMEOUT);
    if (timeout.isZero()) {
      throw settings.invalid(TIMEOUT, "a duration above zero");
    }
    Optional<String> sid = settings.optional(ACCOUNT_SID);
    if (sid.isPresent() && !sid.get().matches("AC[0-9a-fA-F]{32}")) {
      throw settings.invalid(ACCOUNT_SID, "a Twilio account SID: AC and 32 hexadecimal digits");
    }
    Optional<String> keySid = settings.optional(API_KEY_SID);
    Optional<String> keySecret = settings.optional(API_KEY_SECRET);
    if (keySid.isPresent() != keySecret.isPresent()) {
      throw new ConfigException("twilio.api-key-sid and twilio.api-key-secret: set both or neither"
          + " (TWILIO_API_KEY_SID, TWILIO_API_KEY_SECRET)");
    }
    Optional<String> trunkSid = settings.optional(TRUNK_SID_KEY);
    if (trunkSid.isPresent() && !TRUNK_SID.matcher(trunkSid.get()).matches()) {
      throw settings.invalid(TRUNK_SID_KEY, "a Twilio trunk SID: TK and 32 hexadecimal digits");
    }
    return new TwilioAccount(settings.uri(API_BASE_URL, "https", "http"), sid, settings.optional(AUTH_TOKEN), keySid,
        keySecret, settings.integer(PAGE_SIZE, 1, 1000), settings.integer(RETRIES, 0, 20), backoff, timeout, trunkSid);
  }

  /** No account: for tests and tools that need none. */
  public static TwilioAccount none() {
    return new TwilioAccount(URI.create("https://api.twilio.com"), Optional.empty(), Optional.empty(),
        Optional.empty(), Optional.empty(), 1000, 3, Duration.ofSeconds(1), Duration.ofSeconds(30), Optional.empty());
  }

  @Override
  public String toString() {
    return "Twilio[apiBaseUrl=" + apiBaseUrl + ", accountSid=" + accountSid
        + ", authToken=" + (authToken.isPresent() ? "(set)" : "(unset)")
        + ", apiKeySid=" + apiKeySid
        + ", apiKeySecret=" + (apiKeySecret.isPresent() ? "(set)" : "(unset)")
        + ", pageSize=" + pageSize + ", retries=" + retries + ", retryBackoff=" + retryBackoff
        + ", timeout=" + timeout + ", trunkSid=" + trunkSid + "]";
  }
}
