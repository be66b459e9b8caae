package io.asterline.twilio;

import io.asterline.config.ConfigException;
import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Twilio as a telephony provider beside Asterisk: which of the two places a tenant's calls by default, the account
 * (the same {@code twilio.*} keys {@code dids import twilio} reads), and the public addresses Twilio reaches this
 * service at: {@code twilio.webhook-base-url} for the signed webhooks (the signature covers the URL exactly as
 * Twilio requested it, so this must be the address Twilio is given, as it is behind any proxy) and
 * {@code twilio.stream-url} for the Media Streams WebSocket (wss://, served on {@code twilio.media.port}).
 */
public record TwilioConfig(
    Provider defaultProvider,
    TwilioAccount account,
    Optional<URI> webhookBaseUrl,
    Optional<URI> streamUrl,
    String mediaBind,
    int mediaPort) {

  /** Who carries a call. */
  public enum Provider {
    ASTERISK("asterisk"),
    TWILIO("twilio");

    private final String dbValue;

    Provider(String dbValue) {
      this.dbValue = dbValue;
    }

    /** As stored in {@code call.provider} and set in {@code telephony.provider}. */
    public String dbValue() {
      return dbValue;
    }

    public Provider other() {
      return this == ASTERISK ? TWILIO : ASTERISK;
    }

    public static Provider ofDbValue(String value) {
      for (Provider p : values()) {
        if (p.dbValue.equals(value)) {
          return p;
        }
      }
      throw new IllegalArgumentException("unknown provider '" + value + "', expected asterisk or twilio");
    }
  }

  public static final ConfigKey PROVIDER = ConfigKey.of("telephony.provider", "asterisk",
      "who places outbound calls of tenants without their own asterisk share: asterisk or twilio");
  public static final ConfigKey WEBHOOK_BASE_URL = ConfigKey.of("twilio.webhook-base-url", null,
      "public https URL Twilio reaches this service's HTTP API at, e.g. https://asterline.example.com; "
          + "webhook signatures are checked against it; unset = no Twilio calls");
  public static final ConfigKey STREAM_URL = ConfigKey.of("twilio.stream-url", null,
      "public wss URL of the Media Streams server (twilio.media.port behind your TLS proxy); "
          + "default: the webhook base URL as wss with the path /twilio/stream");
  public static final ConfigKey MEDIA_BIND = ConfigKey.of("twilio.media.bind", "0.0.0.0",
      "address the Twilio Media Streams WebSocket server listens on");
  public static final ConfigKey MEDIA_PORT = ConfigKey.of("twilio.media.port", "9094",
      "port of the Twilio Media Streams WebSocket server (0 = any free port)");

  public static final List<ConfigKey> KEYS = List.of(PROVIDER, WEBHOOK_BASE_URL, STREAM_URL, MEDIA_BIND, MEDIA_PORT);

  public static TwilioConfig from(Settings settings, TwilioAccount account) {
    Provider provider;
    try {
      provider = Provider.ofDbValue(settings.string(PROVIDER).trim().toLowerCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw settings.invalid(PROVIDER, "asterisk or twilio");
    }
    Optional<URI> webhook = webhookBaseUrl(settings);
    Optional<URI> stream = settings.value(STREAM_URL).isPresent()
        ? Optional.of(settings.uri(STREAM_URL, "wss", "ws"))
        : webhook.map(w -> URI.create((w.getScheme().equals("https") ? "wss" : "ws") + "://" + w.getRawAuthority()
            + (w.getRawPath() == null ? "" : w.getRawPath()) + "/twilio/stream"));
    int port = settings.port(MEDIA_PORT);
    TwilioConfig config = new TwilioConfig(provider, account, webhook, stream, settings.string(MEDIA_BIND).trim(), port);
    if (provider == Provider.TWILIO && !config.enabled()) {
      throw new ConfigException("telephony.provider=twilio needs twilio.account-sid, twilio.auth-token and "
          + "twilio.webhook-base-url (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_WEBHOOK_BASE_URL)");
    }
    return config;
  }

  /** {@code twilio.webhook-base-url} without a trailing slash, when set (also read by {@code dids point}). */
  public static Optional<URI> webhookBaseUrl(Settings settings) {
    return settings.value(WEBHOOK_BASE_URL).isPresent()
        ? Optional.of(stripSlash(settings.uri(WEBHOOK_BASE_URL, "https", "http")))
        : Optional.empty();
  }

  private static URI stripSlash(URI uri) {
    String s = uri.toString();
    return s.endsWith("/") ? URI.create(s.substring(0, s.length() - 1)) : uri;
  }

  /**
   * Twilio calls can run: an account with its auth token (webhook signatures are made with it; an API key cannot
   * check them) and the public webhook address.
   */
  public boolean enabled() {
    return account.accountSid().isPresent() && account.authToken().isPresent() && webhookBaseUrl.isPresent();
  }

  /** The auth token webhooks are signed with; only when {@link #enabled()}. */
  public String authToken() {
    return account.authToken().orElseThrow(() -> new ConfigException("twilio.auth-token is not set"));
  }

  /** The public URL of one of this service's webhook paths (a path such as {@code /twilio/voice}). */
  public URI webhook(String pathAndQuery) {
    return URI.create(webhookBaseUrl.orElseThrow(() -> new ConfigException("twilio.webhook-base-url is not set"))
        + pathAndQuery);
  }

  @Override
  public String toString() {
    return "TwilioConfig[defaultProvider=" + defaultProvider.dbValue() + ", account=" + account + ", webhookBaseUrl="
        + webhookBaseUrl.map(URI::toString).orElse("(unset)") + ", streamUrl="
        + streamUrl.map(URI::toString).orElse("(unset)") + ", media=" + mediaBind + ":" + mediaPort + "]";
  }
}
