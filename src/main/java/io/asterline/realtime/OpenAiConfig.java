package io.asterline.realtime;

import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import java.net.URI;
import java.util.List;
import java.util.Optional;

/** The OpenAI account and endpoints: the Realtime API for conversations. */
public record OpenAiConfig(Optional<String> apiKey, URI realtimeUrl, String model) {

  public static final ConfigKey API_KEY = ConfigKey.secret("openai.api-key",
      "OpenAI API key used when a tenant has none of its own");
  public static final ConfigKey REALTIME_URL = ConfigKey.of("realtime.url", "wss://api.openai.com/v1/realtime",
      "Realtime API WebSocket URL");
  public static final ConfigKey MODEL = ConfigKey.of("realtime.model", "gpt-realtime",
      "Realtime model when the tenant does not name one");

  public static final List<ConfigKey> KEYS = List.of(API_KEY, REALTIME_URL, MODEL);

  public static OpenAiConfig from(Settings settings) {
    return new OpenAiConfig(settings.optional(API_KEY), settings.uri(REALTIME_URL, "wss", "ws"),
        settings.string(MODEL));
  }

  @Override
  public String toString() {
    return "OpenAiConfig[apiKey=" + (apiKey.isPresent() ? "(set)" : "(unset)") + ", realtimeUrl=" + realtimeUrl
        + ", model=" + model + "]";
  }
}
