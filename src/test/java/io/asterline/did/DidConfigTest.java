package io.asterline.did;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.asterline.config.ConfigException;
import io.asterline.config.Settings;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DidConfigTest {

  private static DidConfig config(Map<String, String> env, Map<String, String> options) {
    return DidConfig.from(Settings.of(Map.of(), env, options));
  }

  @Test
  void defaults() {
    DidConfig c = config(Map.of(), Map.of());
    assertThat(c.defaultCountryCode()).isEqualTo("1");
    assertThat(c.defaultDailyCap()).isEmpty();
    assertThat(c.defaultCooldown()).isEqualTo(Duration.ZERO);
    assertThat(c.dayTimeZone()).isEqualTo(ZoneId.of("UTC"));
    assertThat(c.twilio().apiBaseUrl().toString()).isEqualTo("https://api.twilio.com");
    assertThat(c.twilio().accountSid()).isEmpty();
    assertThat(c.twilio().pageSize()).isEqualTo(1000);
  }

  @Test
  void numberHealthHasSaneDefaultsAndRefusesNonsenseNamingTheKey() {
    DidConfig.Health h = config(Map.of(), Map.of()).health();
    assertThat(h).isEqualTo(DidConfig.Health.defaults());
    DidConfig.Health set = config(Map.of("DID_HEALTH_WINDOW", "3d", "DID_HEALTH_MIN_ANSWER_RATE", "0.25"),
        Map.of("did.health.interval", "0s", "did.health.short-call", "8s")).health();
    assertThat(set.window()).isEqualTo(Duration.ofDays(3));
    assertThat(set.minAnswerRate()).isEqualTo(0.25);
    assertThat(set.interval()).isZero();
    assertThat(set.shortCall()).isEqualTo(Duration.ofSeconds(8));
    assertThatThrownBy(() -> config(Map.of(), Map.of("did.health.max-short-call-ratio", "60%")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("did.health.max-short-call-ratio")
        .hasMessageContaining("a fraction from 0 to 1");
    assertThatThrownBy(() -> config(Map.of(), Map.of("did.health.cool-off", "0s")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("did.health.cool-off");
  }

  @Test
  void readsTheTwilioEnvironmentDeploymentsUse() {
    DidConfig c = config(Map.of("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef",
        "TWILIO_AUTH_TOKEN", "tok-secret", "TWILIO_API_KEY", "SKabc", "TWILIO_API_SECRET", "key-secret"), Map.of());
    assertThat(c.twilio().accountSid()).contains("AC0123456789abcdef0123456789abcdef");
    assertThat(c.twilio().apiKeySid()).contains("SKabc");
    assertThat(c.twilio().toString()).doesNotContain("tok-secret").doesNotContain("key-secret");
  }

  @Test
  void badValuesNameTheirKey() {
    assertThatThrownBy(() -> config(Map.of(), Map.of("phone.default-country-code", "+1")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("phone.default-country-code");
    assertThatThrownBy(() -> config(Map.of(), Map.of("did.day-time-zone", "+02:00")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("did.day-time-zone");
    assertThatThrownBy(() -> config(Map.of(), Map.of("did.daily-cap", "0")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("did.daily-cap");
    assertThatThrownBy(() -> config(Map.of("TWILIO_ACCOUNT_SID", "not-a-sid"), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("twilio.account-sid");
    assertThatThrownBy(() -> config(Map.of("TWILIO_API_KEY_SID", "SKabc"), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("twilio.api-key-secret");
    assertThatThrownBy(() -> config(Map.of(), Map.of("twilio.page-size", "5000")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("twilio.page-size");
  }
}
