package io.asterline.mediaws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.asterline.agi.Cidr;
import io.asterline.config.ConfigException;
import io.asterline.config.Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MediaWsConfigTest {

  @Test
  void defaultsAreLoopbackOnPort9093WithoutAPassword() {
    MediaWsConfig c = MediaWsConfig.from(Settings.of(Map.of(), Map.of(), Map.of()));
    assertThat(c.bind().getHostAddress()).isEqualTo("127.0.0.1");
    assertThat(c.port()).isEqualTo(9093);
    assertThat(c.password()).isEmpty();
    assertThat(c.allow()).extracting(Cidr::toString).containsExactly("127.0.0.0/8", "0:0:0:0:0:0:0:1/128");
    // compose sets AGI_ALLOW (its subnet): the same Asterisk dials the agent
    assertThat(MediaWsConfig.from(Settings.of(Map.of(), Map.of("AGI_ALLOW", "172.28.0.0/24"), Map.of())).allow())
        .extracting(Cidr::toString).containsExactly("172.28.0.0/24");
  }

  @Test
  void thePasswordNeverReachesTheTextOfTheConfiguration() {
    MediaWsConfig c = MediaWsConfig.from(Settings.of(Map.of(), Map.of("MEDIAWS_PASSWORD", "hunter2-media"), Map.of()));
    assertThat(c.password()).contains("hunter2-media");
    assertThat(c.toString()).doesNotContain("hunter2-media").contains("(set)");
  }

  @Test
  void aBadBlockNamesTheKey() {
    assertThatThrownBy(() -> MediaWsConfig.from(Settings.of(Map.of(), Map.of(), Map.of("mediaws.allow", "asterisk.lan"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("mediaws.allow");
  }
}
