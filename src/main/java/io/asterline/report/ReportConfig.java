package io.asterline.report;

import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Where admins keep their own reports, and how long one may run. */
public record ReportConfig(Path dir, Duration timeout) {

  public static final ConfigKey DIR = ConfigKey.of("reports.dir", "sql/reports",
      "folder of report .sql files read at each run, beside the built-in ones (a file of the same name wins)");
  public static final ConfigKey TIMEOUT = ConfigKey.of("reports.timeout", "60s",
      "longest a report query may run");

  public static final List<ConfigKey> KEYS = List.of(DIR, TIMEOUT);

  public static ReportConfig from(Settings settings) {
    Duration timeout = settings.duration(TIMEOUT);
    if (timeout.isZero() || timeout.toMillis() > Integer.MAX_VALUE) {
      throw settings.invalid(TIMEOUT, "a duration from 1ms to 24d");
    }
    return new ReportConfig(settings.path(DIR), timeout);
  }
}
