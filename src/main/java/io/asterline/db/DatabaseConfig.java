package io.asterline.db;

import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Where the database is. With {@code database.url} set, Asterline connects to that PostgreSQL; without
 * it, an embedded PostgreSQL keeps its data under {@code <data dir>/postgres}.
 */
public record DatabaseConfig(
    Optional<DatabaseUrl> url,
    int poolSize,
    Duration connectionTimeout,
    Path dataDir,
    int embeddedPort) {

  public static final ConfigKey URL = ConfigKey.of("database.url", null,
          "PostgreSQL URL: postgresql://user:pass@host:5432/db or jdbc:postgresql://host:5432/db; unset = embedded")
      .displayedAs(ConfigKey.Display.URL_WITH_CREDENTIALS);
  public static final ConfigKey USER = ConfigKey.of("database.user", null,
      "database user, when not given in the URL");
  public static final ConfigKey PASSWORD = ConfigKey.secret("database.password",
      "database password, when not given in the URL");
  public static final ConfigKey POOL_SIZE = ConfigKey.of("database.pool-size", "16",
      "largest number of pooled connections");
  public static final ConfigKey CONNECTION_TIMEOUT = ConfigKey.of("database.connection-timeout", "2s",
      "how long a request waits for a pooled connection before failing");
  public static final ConfigKey DATA_DIR = ConfigKey.of("data.dir", "./var",
      "data directory; the embedded PostgreSQL lives in <data.dir>/postgres").withAliases("ASTERLINE_DATA_DIR");
  public static final ConfigKey EMBEDDED_PORT = ConfigKey.of("database.embedded-port", "0",
      "port of the embedded PostgreSQL on 127.0.0.1 (0 = any free port)");

  public static final List<ConfigKey> KEYS =
      List.of(URL, USER, PASSWORD, POOL_SIZE, CONNECTION_TIMEOUT, DATA_DIR, EMBEDDED_PORT);

  public static DatabaseConfig from(Settings settings) {
    Optional<DatabaseUrl> url = settings.value(URL).map(v -> {
      try {
        return DatabaseUrl.parse(v.raw().trim())
            .withCredentials(settings.optional(USER).orElse(null), settings.optional(PASSWORD).orElse(null));
      } catch (IllegalArgumentException e) {
        throw settings.invalid(URL, "postgresql://user:password@host:port/database or jdbc:postgresql://host:port/database ("
            + e.getMessage() + ")");
      }
    });
    Duration timeout = settings.duration(CONNECTION_TIMEOUT);
    if (timeout.toMillis() < 250) {
      throw settings.invalid(CONNECTION_TIMEOUT, "at least 250ms");
    }
    return new DatabaseConfig(url, settings.integer(POOL_SIZE, 1, 1000), timeout,
        settings.path(DATA_DIR), settings.port(EMBEDDED_PORT));
  }

  public boolean embedded() {
    return url.isEmpty();
  }
}
