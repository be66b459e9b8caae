package io.asterline.agi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.asterline.config.ConfigException;
import io.asterline.config.Settings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgiConfigTest {

  @Test
  void defaults() {
    AgiConfig c = AgiConfig.from(Settings.of(Map.of(), Map.of(), Map.of()));
    assertThat(c.bind().getHostAddress()).isEqualTo("127.0.0.1");
    assertThat(c.port()).isEqualTo(4573);
    assertThat(c.poolSize()).isEqualTo(500);
    assertThat(c.allow()).extracting(Cidr::toString).containsExactly("127.0.0.0/8", "0:0:0:0:0:0:0:1/128");
    assertThat(c.dbDeadline()).isEqualTo(Duration.ofMillis(300));
    // unset: the wiring fills in where the AudioSocket server listens (app.AudioSocketAddressTest)
    assertThat(c.audioSocketAddress()).isNull();
    assertThat(c.defaultCountryCode()).isEqualTo("1");
  }

  @Test
  void environmentNamesWork() {
    AgiConfig c = AgiConfig.from(Settings.of(Map.of(),
        Map.of("AGI_ALLOW", "10.0.0.0/8, 192.168.1.10", "AGI_AUDIOSOCKET_ADDRESS", "[fd00::5]:9092",
            "PHONE_DEFAULT_COUNTRY_CODE", "44"), Map.of()));
    assertThat(c.allow()).hasSize(2);
    assertThat(c.audioSocketAddress()).isEqualTo("[fd00::5]:9092");
    assertThat(c.defaultCountryCode()).isEqualTo("44");
  }

  @Test
  void badValuesNameTheirKey() {
    assertInvalid("agi.allow", "10.0.0.0/8,asterisk.lan", "agi.allow");
    assertInvalid("agi.audiosocket-address", "10.0.0.5", "agi.audiosocket-address");
    assertInvalid("agi.audiosocket-address", "host,evil:9092", "agi.audiosocket-address");
    assertInvalid("agi.db-deadline", "300", "agi.db-deadline");
    assertInvalid("phone.default-country-code", "+1", "phone.default-country-code");
    assertInvalid("agi.port", "agi", "agi.port");
  }

  private static void assertInvalid(String key, String value, String named) {
    assertThatThrownBy(() -> AgiConfig.from(Settings.of(Map.of(), Map.of(), Map.of(key, value))))
        .isInstanceOf(ConfigException.class).hasMessageContaining(named);
  }
}
