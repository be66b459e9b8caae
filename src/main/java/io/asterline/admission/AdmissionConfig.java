package io.asterline.admission;

import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import java.time.Duration;
import java.util.List;

/**
 * The cluster's limits on calls in progress, for both directions: inbound calls (FastAGI {@code inbound}) and
 * outbound calls (the originate) take their slot from the same store. Each tenant's own limit is its
 * {@code max_concurrent_calls} column, not configuration.
 *
 * @param maxCalls most calls holding a slot at once in the whole cluster (the same on every node)
 * @param maxCallDuration how long a slot is held before the reaper takes it back from a call whose end was never
 *     reported
 */
public record AdmissionConfig(int maxCalls, Duration maxCallDuration) {

  public static final ConfigKey MAX_CALLS = ConfigKey.of("admission.max-calls", "1000",
      "most calls admitted at once in the whole cluster, inbound and outbound together (each tenant also has its "
          + "own max_concurrent_calls)").renamedFrom("agi.max-calls");
  public static final ConfigKey MAX_CALL_DURATION = ConfigKey.of("admission.max-call-duration", "4h",
      "a call's admission slot is reclaimed this long after admission if its end was never reported")
      .renamedFrom("agi.max-call-duration");

  public static final List<ConfigKey> KEYS = List.of(MAX_CALLS, MAX_CALL_DURATION);

  public AdmissionConfig {
    if (maxCalls < 0) {
      throw new IllegalArgumentException("maxCalls must not be negative: " + maxCalls);
    }
  }

  public static AdmissionConfig from(Settings settings) {
    Duration maxDuration = settings.duration(MAX_CALL_DURATION);
    if (maxDuration.toSeconds() < 60 || maxDuration.toSeconds() > Integer.MAX_VALUE) {
      throw settings.invalid(MAX_CALL_DURATION, "at least 1m");
    }
    return new AdmissionConfig(settings.integer(MAX_CALLS, 0, Integer.MAX_VALUE), maxDuration);
  }

  /** A slot's lifetime in whole seconds, as the SQL functions take it. */
  int holdSeconds() {
    return (int) maxCallDuration.toSeconds();
  }
}
