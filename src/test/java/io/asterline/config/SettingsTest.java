package io.asterline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.asterline.app.AsterlineConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SettingsTest {

  @TempDir
  Path dir;

  @Test
  void optionBeatsEnvironmentWhichBeatsFile() throws Exception {
    Path file = dir.resolve("asterline.properties");
    Files.writeString(file, "http.port = 7001\nhttp.bind = 0.0.0.0\nrealtime.model = from-file\n");

    Settings fileOnly = Settings.load(file, Map.of(), Map.of());
    assertThat(AsterlineConfig.from(fileOnly).http().port()).isEqualTo(7001);

    Settings fileAndEnv = Settings.load(file, Map.of("HTTP_PORT", "7002"), Map.of());
    assertThat(AsterlineConfig.from(fileAndEnv).http().port()).isEqualTo(7002);
    assertThat(fileAndEnv.lookup(io.asterline.http.HttpConfig.PORT).orElseThrow().origin()).isEqualTo("env HTTP_PORT");

    Settings all = Settings.load(file, Map.of("HTTP_PORT", "7002"), Map.of("http.port", "7003"));
    AsterlineConfig config = AsterlineConfig.from(all);
    assertThat(config.http().port()).isEqualTo(7003);
    // keys set in only one layer still come through
    assertThat(config.http().bind().getHostAddress()).isEqualTo("0.0.0.0");
    assertThat(config.openai().model()).isEqualTo("from-file");
  }

  @Test
  void prefixedEnvironmentNameWinsOverPlainAndAlias() {
    Settings s = Settings.of(Map.of(), Map.of(
        "DEFAULT_TENANT_ID", "3", "TENANT_DEFAULT_ID", "4", "ASTERLINE_TENANT_DEFAULT_ID", "5"), Map.of());
    assertThat(AsterlineConfig.from(s).tenants().defaultTenantId()).hasValue(5);
    Settings aliasOnly = Settings.of(Map.of(), Map.of("DEFAULT_TENANT_ID", "3"), Map.of());
    assertThat(AsterlineConfig.from(aliasOnly).tenants().defaultTenantId()).hasValue(3);
  }

  @Test
  void acceptsTheDeploymentNamesOfEnvSip() {
    Settings s = Settings.of(Map.of(), Map.of(
        "DATABASE_URL", "postgresql://app:s3cret@db.internal:5433/asterline",
        "OPENAI_API_KEY", "sk-test-123",
        "PUBLIC_BASE_URL", "https://calls.example.com",
        "DEFAULT_TENANT_ID", "1",
        "S3_BUCKET", "my-recordings",
        "S3_REGION", "eu-west-1",
        "S3_ACCESS_KEY", "AKIAEXAMPLE",
        "S3_SECRET_KEY", "secretexample"), Map.of());
    AsterlineConfig config = AsterlineConfig.from(s);
    assertThat(config.database().url()).hasValueSatisfying(url -> {
      assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:5433/asterline");
      assertThat(url.user()).isEqualTo("app");
      assertThat(url.password()).isEqualTo("s3cret");
    });
    assertThat(config.openai().apiKey()).hasValue("sk-test-123");
    assertThat(config.http().publicBaseUrl()).hasValueSatisfying(u -> assertThat(u.getHost()).isEqualTo("calls.example.com"));
    assertThat(config.tenants().defaultTenantId()).hasValue(1);
    assertThat(config.storage().s3()).hasValueSatisfying(s3 -> {
      assertThat(s3.bucket()).isEqualTo("my-recordings");
      assertThat(s3.region()).isEqualTo("eu-west-1");
      assertThat(s3.accessKey()).hasValue("AKIAEXAMPLE");
      // toString is what ends up in logs: it must not carry the secret
      assertThat(s3.toString()).doesNotContain("secretexample").doesNotContain("AKIAEXAMPLE");
    });
    assertThat(config.openai().toString()).doesNotContain("sk-test-123");
  }

  @Test
  void fileValuesInterpolateOtherKeysAndEnvironment() throws Exception {
    Path file = dir.resolve("a.properties");
    Files.writeString(file, "data.dir = /srv/asterline\nrecordings.dir = ${data.dir}/recordings\n");
    AsterlineConfig config = AsterlineConfig.from(Settings.load(file, Map.of(), Map.of()));
    assertThat(config.storage().recordingsDir()).isEqualTo(Path.of("/srv/asterline/recordings"));
  }

  @Test
  void configFileNamedByEnvironment() throws Exception {
    Path file = dir.resolve("env-named.properties");
    Files.writeString(file, "http.port = 7100\n");
    Settings s = Settings.load(null, Map.of("ASTERLINE_CONFIG", file.toString()), Map.of());
    assertThat(AsterlineConfig.from(s).http().port()).isEqualTo(7100);
  }

  @Test
  void missingConfigFileIsAnError() {
    assertThatThrownBy(() -> Settings.load(dir.resolve("nope.properties"), Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("nope.properties");
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', value = {
      "http.port                  | eighty                 | a TCP port number",
      "http.port                  | 70000                  | a TCP port number",
      "http.bind                  | not-an-ip              | an IP address",
      "http.public-base-url       | calls.example.com      | an absolute URL",
      "http.public-base-url       | ftp://x.example.com    | an absolute URL",
      "database.url               | mysql://u:p@h/db       | postgresql://",
      "database.url               | postgresql:///nohost   | postgresql://",
      "database.url               | postgresql://h:5432    | no database name",
      "database.pool-size         | 0                      | a whole number from 1",
      "database.connection-timeout| 2 minutes              | a duration",
      "database.connection-timeout| 100ms                  | at least 250ms",
      "tenant.default-id          | one                    | a whole number",
      "realtime.url               | https://api.openai.com | an absolute URL starting with wss",
      "s3.bucket                  | Bad_Bucket             | an S3 bucket name",
      "admin.token                | short                  | at least 16 characters",
  })
  void invalidValueStopsWithTheKeyInTheMessage(String key, String value, String expected) {
    Settings s = Settings.of(Map.of(), Map.of(), Map.of(key, value));
    assertThatThrownBy(() -> AsterlineConfig.from(s))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(key)
        .hasMessageContaining(expected);
  }

  @Test
  void invalidSecretIsNotEchoed() {
    Settings s = Settings.of(Map.of(), Map.of("ASTERLINE_ADMIN_TOKEN", "tooshort"), Map.of());
    assertThatThrownBy(() -> AsterlineConfig.from(s))
        .hasMessageContaining("admin.token")
        .hasMessageNotContaining("tooshort");
  }

  @Test
  void invalidDatabaseUrlDoesNotEchoItsPassword() {
    Settings s = Settings.of(Map.of(), Map.of("DATABASE_URL", "mysql://u:hunter2@h/db"), Map.of());
    assertThatThrownBy(() -> AsterlineConfig.from(s))
        .hasMessageContaining("database.url")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void durationsNeedAUnit() {
    Settings ok = Settings.of(Map.of(), Map.of(), Map.of("database.connection-timeout", "1500ms"));
    assertThat(AsterlineConfig.from(ok).database().connectionTimeout()).isEqualTo(Duration.ofMillis(1500));
    Settings bare = Settings.of(Map.of(), Map.of(), Map.of("database.connection-timeout", "1500"));
    assertThatThrownBy(() -> AsterlineConfig.from(bare)).hasMessageContaining("database.connection-timeout");
  }

  @Test
  void unknownKeysAreReported() {
    Settings s = Settings.of(Map.of("htp.port", "1"), Map.of(), Map.of("http.prot", "2"));
    assertThat(s.unknownKeys(AsterlineConfig.keys())).containsExactly("htp.port", "http.prot");
  }
}
