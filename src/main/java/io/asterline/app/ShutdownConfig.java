package io.asterline.app;

import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import java.time.Duration;
import java.util.List;

/** How a node stops: new calls go to the dialplan's fallback at once, calls in progress get a grace period. */
public record ShutdownConfig(Duration gracePeriod) {

  public static final ConfigKey GRACE_PERIOD = ConfigKey.of("shutdown.grace-period", "60s",
      "on SIGTERM, how long calls in progress may go on before they are ended through their fallback "
          + "(keep it below the stop timeout of systemd or compose)");

  public static final List<ConfigKey> KEYS = List.of(GRACE_PERIOD);

  public static ShutdownConfig from(Settings settings) {
    Duration grace = settings.duration(GRACE_PERIOD);
    if (grace.toHours() >= 1) {
      throw settings.invalid(GRACE_PERIOD, "a duration below 1h, such as 60s");
    }
    return new ShutdownConfig(grace);
  }
}
