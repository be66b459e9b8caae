package io.asterline.secrets;

import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import io.asterline.db.DatabaseConfig;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The key that encrypts secrets stored in the database (tenants' OpenAI keys): {@code secrets.key}, or,
 * when unset, one generated once and kept in {@code <data.dir>/secrets.key}.
 */
public record SecretsConfig(Optional<byte[]> key, Path keyFile) {

  public static final ConfigKey KEY = ConfigKey.secret("secrets.key",
          "base64 of 32 random bytes: the AES-256 key encrypting tenants' OpenAI keys in the database; the same on"
              + " every node; unset = generated once in <data.dir>/secrets.key")
      .withAliases("ASTERLINE_SECRETS_KEY");

  public static final List<ConfigKey> KEYS = List.of(KEY);

  public static SecretsConfig from(Settings settings) {
    Optional<byte[]> key = settings.optional(KEY).map(String::trim).filter(v -> !v.isEmpty()).map(v -> {
      byte[] raw;
      try {
        raw = Base64.getDecoder().decode(v);
      } catch (IllegalArgumentException e) {
        throw settings.invalid(KEY, "base64 of 32 bytes, e.g. from `openssl rand -base64 32` (not base64)");
      }
      if (raw.length != 32) {
        throw settings.invalid(KEY, "base64 of 32 bytes, e.g. from `openssl rand -base64 32` (got " + raw.length
            + " bytes)");
      }
      return raw;
    });
    Path dataDir = settings.path(DatabaseConfig.DATA_DIR);
    return new SecretsConfig(key, dataDir.toAbsolutePath().normalize().resolve("secrets.key"));
  }

  @Override
  public String toString() {
    return "SecretsConfig[key=" + (key.isPresent() ? "(set)" : "(from " + keyFile + ")") + "]";
  }
}
