package io.asterline.recording;

import io.asterline.config.ConfigException;
import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where recordings are written by Asterisk and kept afterwards: a local folder by default (where Asterisk
 * wrote them, or moved into {@code storage.dir}), S3 when a bucket is configured.
 */
public record StorageConfig(
    Path recordingsDir,
    Optional<S3> s3,
    Optional<Path> storageDir) {

  public StorageConfig(Path recordingsDir, Optional<S3> s3) {
    this(recordingsDir, s3, Optional.empty());
  }

  /** An S3 (or S3-compatible) bucket. */
  public record S3(String bucket, String region, Optional<String> accessKey, Optional<String> secretKey,
      Optional<URI> endpoint) {
    @Override
    public String toString() {
      return "S3[bucket=" + bucket + ", region=" + region + ", accessKey=" + (accessKey.isPresent() ? "(set)" : "(unset)")
          + ", secretKey=" + (secretKey.isPresent() ? "(set)" : "(unset)") + ", endpoint=" + endpoint + "]";
    }
  }

  public static final ConfigKey RECORDINGS_DIR = ConfigKey.of("recordings.dir", "/var/spool/asterisk/recordings",
      "folder Asterisk's MixMonitor writes to, shared with Asterline at the same path");
  public static final ConfigKey S3_BUCKET = ConfigKey.of("s3.bucket", null, "S3 bucket for recordings; unset = local storage");
  public static final ConfigKey S3_REGION = ConfigKey.of("s3.region", "us-east-1", "S3 region");
  public static final ConfigKey S3_ACCESS_KEY = ConfigKey.secret("s3.access-key",
      "S3 access key id (unset = the AWS default credentials chain)");
  public static final ConfigKey S3_SECRET_KEY = ConfigKey.secret("s3.secret-key", "S3 secret access key");
  public static final ConfigKey S3_ENDPOINT = ConfigKey.of("s3.endpoint", null,
      "endpoint of an S3-compatible store such as MinIO (path-style access)");

  public static final ConfigKey STORAGE_DIR = ConfigKey.of("storage.dir", null,
      "local storage only: folder finished recordings move into (<dir>/<tenant>/<yyyy>/<mm>/<dd>/<call id>.wav); "
          + "unset = they stay where Asterisk wrote them");

  public static final List<ConfigKey> KEYS =
      List.of(RECORDINGS_DIR, S3_BUCKET, S3_REGION, S3_ACCESS_KEY, S3_SECRET_KEY, S3_ENDPOINT, STORAGE_DIR);

  public static StorageConfig from(Settings settings) {
    Optional<S3> s3 = Optional.empty();
    Optional<String> bucket = settings.optional(S3_BUCKET);
    if (bucket.isPresent()) {
      if (!bucket.get().matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
        throw settings.invalid(S3_BUCKET, "an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)");
      }
      Optional<String> access = settings.optional(S3_ACCESS_KEY);
      Optional<String> secret = settings.optional(S3_SECRET_KEY);
      if (access.isPresent() != secret.isPresent()) {
        throw new ConfigException(
            "s3.access-key and s3.secret-key: set both or neither (S3_ACCESS_KEY, S3_SECRET_KEY)");
      }
      Optional<URI> endpoint = settings.value(S3_ENDPOINT).isPresent()
          ? Optional.of(settings.uri(S3_ENDPOINT, "http", "https"))
          : Optional.empty();
      s3 = Optional.of(new S3(bucket.get(), settings.string(S3_REGION), access, secret, endpoint));
    }
    Optional<Path> storageDir = settings.value(STORAGE_DIR).isPresent()
        ? Optional.of(settings.path(STORAGE_DIR))
        : Optional.empty();
    return new StorageConfig(settings.path(RECORDINGS_DIR), s3, storageDir);
  }
}
