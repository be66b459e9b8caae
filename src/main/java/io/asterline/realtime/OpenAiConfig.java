package io.asterline.realtime;

import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The OpenAI account and endpoints, and how a Realtime session is run: its voice activity detection,
 * transcription, connect deadline and the session length after which it is renewed.
 */
public record OpenAiConfig(
    Optional<String> apiKey,
    URI realtimeUrl,
    String model,
    String transcriptionModel,
    Duration connectTimeout,
    Duration maxSession,
    Duration renewBefore,
    double vadThreshold,
    Duration vadPrefixPadding,
    Duration vadSilence,
    Duration inputChunk,
    Duration livenessTimeout,
    Duration pingInterval) {

  public static final ConfigKey API_KEY = ConfigKey.secret("openai.api-key",
      "OpenAI API key used when a tenant has none of its own");
  public static final ConfigKey REALTIME_URL = ConfigKey.of("realtime.url", "wss://api.openai.com/v1/realtime",
      "Realtime API WebSocket URL");
  public static final ConfigKey MODEL = ConfigKey.of("realtime.model", "gpt-realtime",
      "Realtime model when the tenant does not name one");
  public static final ConfigKey TRANSCRIPTION_MODEL = ConfigKey.of("realtime.transcription-model",
      "gpt-4o-mini-transcribe", "model transcribing the caller's side of the conversation");
  public static final ConfigKey CONNECT_TIMEOUT = ConfigKey.of("realtime.connect-timeout", "2s",
      "longest wait for a usable Realtime session before the call takes the tenant's fallback");
  public static final ConfigKey MAX_SESSION = ConfigKey.of("realtime.max-session", "60m",
      "longest Realtime session OpenAI allows; longer calls move to a new session with the context");
  public static final ConfigKey RENEW_BEFORE = ConfigKey.of("realtime.renew-before", "5m",
      "how long before max-session the move to a new session starts (at a pause in the talk)");
  public static final ConfigKey VAD_THRESHOLD = ConfigKey.of("realtime.vad-threshold", "0.5",
      "server VAD activation threshold, 0.0 to 1.0 (higher = needs louder speech)");
  public static final ConfigKey VAD_PREFIX_PADDING = ConfigKey.of("realtime.vad-prefix-padding", "300ms",
      "audio kept before detected speech");
  public static final ConfigKey VAD_SILENCE = ConfigKey.of("realtime.vad-silence", "500ms",
      "silence that ends the caller's turn");
  public static final ConfigKey INPUT_CHUNK = ConfigKey.of("realtime.input-chunk", "40ms",
      "caller audio per input_audio_buffer.append (20ms to 200ms; shorter = quicker barge-in, more messages)");

  public static final ConfigKey LIVENESS_TIMEOUT = ConfigKey.of("realtime.liveness-timeout", "5s",
      "a session silent this long while it owes audio or an answer (or a ping) is failed: the call takes the tenant's "
      + "fallback");
  public static final ConfigKey PING_INTERVAL = ConfigKey.of("realtime.ping-interval", "5s",
      "while nothing is owed, a WebSocket ping after this much silence from the server");

  public static final List<ConfigKey> KEYS = List.of(API_KEY, REALTIME_URL, MODEL, TRANSCRIPTION_MODEL,
      CONNECT_TIMEOUT, MAX_SESSION, RENEW_BEFORE, VAD_THRESHOLD, VAD_PREFIX_PADDING, VAD_SILENCE, INPUT_CHUNK,
      LIVENESS_TIMEOUT, PING_INTERVAL);

  public static OpenAiConfig from(Settings settings) {
    double threshold;
    try {
      threshold = Double.parseDouble(settings.string(VAD_THRESHOLD));
    } catch (NumberFormatException e) {
      throw settings.invalid(VAD_THRESHOLD, "a number from 0.0 to 1.0");
    }
    if (!(threshold >= 0.0 && threshold <= 1.0)) {
      throw settings.invalid(VAD_THRESHOLD, "a number from 0.0 to 1.0");
    }
    Duration connect = settings.duration(CONNECT_TIMEOUT);
    if (connect.toMillis() < 100 || connect.toMillis() > 30_000) {
      throw settings.invalid(CONNECT_TIMEOUT, "a duration from 100ms to 30s");
    }
    Duration max = settings.duration(MAX_SESSION);
    Duration renew = settings.duration(RENEW_BEFORE);
    if (max.toMillis() < 1000) {
      throw settings.invalid(MAX_SESSION, "a duration of at least 1s");
    }
    if (renew.compareTo(max) >= 0) {
      throw settings.invalid(RENEW_BEFORE, "a duration shorter than realtime.max-session (" + max + ")");
    }
    Duration chunk = settings.duration(INPUT_CHUNK);
    if (chunk.toMillis() < 20 || chunk.toMillis() > 200 || chunk.toMillis() % 20 != 0) {
      throw settings.invalid(INPUT_CHUNK, "a multiple of 20ms from 20ms to 200ms");
    }
    Duration liveness = settings.duration(LIVENESS_TIMEOUT);
    if (liveness.toMillis() < 200 || liveness.toMillis() > 120_000) {
      throw settings.invalid(LIVENESS_TIMEOUT, "a duration from 200ms to 2m");
    }
    Duration ping = settings.duration(PING_INTERVAL);
    if (ping.toMillis() < 200 || ping.toMillis() > 600_000) {
      throw settings.invalid(PING_INTERVAL, "a duration from 200ms to 10m");
    }
    return new OpenAiConfig(settings.optional(API_KEY), settings.uri(REALTIME_URL, "wss", "ws"),
        settings.string(MODEL), settings.string(TRANSCRIPTION_MODEL), connect, max, renew, threshold,
        settings.duration(VAD_PREFIX_PADDING), settings.duration(VAD_SILENCE), chunk, liveness, ping);
  }

  @Override
  public String toString() {
    return "OpenAiConfig[apiKey=" + (apiKey.isPresent() ? "(set)" : "(unset)") + ", realtimeUrl=" + realtimeUrl
        + ", model=" + model + ", transcriptionModel=" + transcriptionModel + ", connectTimeout=" + connectTimeout
        + ", maxSession=" + maxSession + ", renewBefore=" + renewBefore + ", vad=" + vadThreshold + "/"
        + vadPrefixPadding + "/" + vadSilence + ", inputChunk=" + inputChunk + ", liveness=" + livenessTimeout
        + ", ping=" + pingInterval + "]";
  }
}
