package io.asterline.recording;

import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * How the recording workers take jobs and retry them, and where transcripts come from. The OpenAI key is
 * {@code openai.api-key} (see {@link io.asterline.realtime.OpenAiConfig}).
 */
public record RecordingConfig(
    int workers,
    Duration pollInterval,
    Duration lease,
    int maxAttempts,
    Duration retryBase,
    Duration retryMax,
    Duration settle,
    Duration settleTimeout,
    Duration sweepInterval,
    URI transcriptionUrl,
    String transcriptionModel,
    long transcriptionMaxBytes,
    Duration transcriptionTimeout) {

  public static final ConfigKey WORKERS = ConfigKey.of("recordings.workers", "2",
      "recording worker threads on this node (0 = this node takes no jobs)");
  public static final ConfigKey POLL_INTERVAL = ConfigKey.of("recordings.poll-interval", "2s",
      "how often an idle worker looks for jobs");
  public static final ConfigKey LEASE = ConfigKey.of("recordings.lease", "10m",
      "how long a claimed job stays with its worker without news before another worker may take it");
  public static final ConfigKey MAX_ATTEMPTS = ConfigKey.of("recordings.max-attempts", "8",
      "attempts per job before it is marked failed");
  public static final ConfigKey RETRY_BASE = ConfigKey.of("recordings.retry-base", "10s",
      "wait after the first failed attempt; doubles with each further attempt");
  public static final ConfigKey RETRY_MAX = ConfigKey.of("recordings.retry-max", "1h",
      "longest wait between two attempts");
  public static final ConfigKey SETTLE = ConfigKey.of("recordings.settle", "2s",
      "a recording is complete once its size has not changed for this long");
  public static final ConfigKey SETTLE_TIMEOUT = ConfigKey.of("recordings.settle-timeout", "2m",
      "give up this attempt when the file is still growing after this long");
  public static final ConfigKey SWEEP_INTERVAL = ConfigKey.of("recordings.sweep-interval", "1m",
      "how often a node enqueues recorded calls that have no job (call-end could not reach the queue)");
  public static final ConfigKey TRANSCRIPTION_URL = ConfigKey.of("transcription.url", "https://api.openai.com/v1",
      "base URL of the OpenAI API for transcriptions (POST <url>/audio/transcriptions)");
  public static final ConfigKey TRANSCRIPTION_MODEL = ConfigKey.of("transcription.model", "gpt-4o-mini-transcribe",
      "transcription model: whisper-1, gpt-4o-transcribe, gpt-4o-mini-transcribe, ...");
  public static final ConfigKey TRANSCRIPTION_MAX_BYTES = ConfigKey.of("transcription.max-upload-bytes", "25000000",
      "largest upload; longer recordings are sent in parts (OpenAI accepts 25 MB)");
  public static final ConfigKey TRANSCRIPTION_TIMEOUT = ConfigKey.of("transcription.timeout", "5m",
      "how long one transcription upload may take");

  public static final List<ConfigKey> KEYS = List.of(WORKERS, POLL_INTERVAL, LEASE, MAX_ATTEMPTS, RETRY_BASE,
      RETRY_MAX, SETTLE, SETTLE_TIMEOUT, SWEEP_INTERVAL, TRANSCRIPTION_URL, TRANSCRIPTION_MODEL,
      TRANSCRIPTION_MAX_BYTES, TRANSCRIPTION_TIMEOUT);

  /** The smallest part worth uploading: a WAV header and one second of 8 kHz 16-bit audio. */
  static final long MIN_UPLOAD_BYTES = 44 + 16_000;

  public static RecordingConfig from(Settings settings) {
    Duration lease = positive(settings, LEASE);
    Duration settle = positive(settings, SETTLE);
    Duration settleTimeout = positive(settings, SETTLE_TIMEOUT);
    if (settleTimeout.compareTo(settle) < 0) {
      throw settings.invalid(SETTLE_TIMEOUT, "a duration at least as long as recordings.settle (" + raw(settings, SETTLE) + ")");
    }
    if (settleTimeout.compareTo(lease) >= 0) {
      throw settings.invalid(SETTLE_TIMEOUT, "a duration shorter than recordings.lease (" + raw(settings, LEASE) + ")");
    }
    Duration transcriptionTimeout = positive(settings, TRANSCRIPTION_TIMEOUT);
    if (transcriptionTimeout.compareTo(lease) >= 0) {
      throw settings.invalid(TRANSCRIPTION_TIMEOUT, "a duration shorter than recordings.lease (" + raw(settings, LEASE) + ")");
    }
    Duration retryBase = positive(settings, RETRY_BASE);
    Duration retryMax = positive(settings, RETRY_MAX);
    if (retryMax.compareTo(retryBase) < 0) {
      throw settings.invalid(RETRY_MAX, "a duration at least as long as recordings.retry-base (" + raw(settings, RETRY_BASE) + ")");
    }
    String model = settings.string(TRANSCRIPTION_MODEL);
    if (!model.matches("[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")) {
      throw settings.invalid(TRANSCRIPTION_MODEL, "a model name such as gpt-4o-mini-transcribe or whisper-1");
    }
    long maxBytes;
    try {
      maxBytes = Long.parseLong(settings.string(TRANSCRIPTION_MAX_BYTES));
    } catch (NumberFormatException e) {
      throw settings.invalid(TRANSCRIPTION_MAX_BYTES, "a number of bytes from " + MIN_UPLOAD_BYTES + " to 25000000");
    }
    if (maxBytes < MIN_UPLOAD_BYTES || maxBytes > 25_000_000L) {
      throw settings.invalid(TRANSCRIPTION_MAX_BYTES, "a number of bytes from " + MIN_UPLOAD_BYTES + " to 25000000");
    }
    URI url = settings.uri(TRANSCRIPTION_URL, "https", "http");
    String base = url.toString().replaceAll("/+$", "");
    return new RecordingConfig(
        settings.integer(WORKERS, 0, 64),
        positive(settings, POLL_INTERVAL),
        lease,
        settings.integer(MAX_ATTEMPTS, 1, 100),
        retryBase,
        retryMax,
        settle,
        settleTimeout,
        positive(settings, SWEEP_INTERVAL),
        URI.create(base),
        model,
        maxBytes,
        transcriptionTimeout);
  }

  private static String raw(Settings settings, ConfigKey key) {
    return settings.required(key).raw().trim();
  }

  private static Duration positive(Settings settings, ConfigKey key) {
    Duration d = settings.duration(key);
    if (d.isZero() || d.isNegative()) {
      throw settings.invalid(key, "a duration greater than zero");
    }
    return d;
  }

  /** The wait before attempt {@code attempts + 1}: base, 2 x base, 4 x base, ... never more than the max. */
  public Duration backoff(int attempts) {
    int doublings = Math.max(0, Math.min(attempts - 1, 30));
    Duration d = retryBase.multipliedBy(1L << doublings);
    return d.compareTo(retryMax) > 0 || d.isNegative() ? retryMax : d;
  }
}
