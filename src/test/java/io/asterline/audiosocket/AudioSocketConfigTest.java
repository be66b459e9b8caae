package io.asterline.audiosocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.asterline.agi.Cidr;
import io.asterline.config.ConfigException;
import io.asterline.config.Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AudioSocketConfigTest {

  @Test
  void theAllowListIsLoopbackByDefaultAndFollowsAgiAllowUnlessSet() {
    assertThat(AudioSocketConfig.from(Settings.of(Map.of(), Map.of(), Map.of())).allow())
        .extracting(Cidr::toString).containsExactly("127.0.0.0/8", "0:0:0:0:0:0:0:1/128");
    // compose sets only AGI_ALLOW (its subnet): the same Asterisk dials the agent
    assertThat(AudioSocketConfig.from(Settings.of(Map.of(), Map.of("AGI_ALLOW", "172.28.0.0/24"), Map.of())).allow())
        .extracting(Cidr::toString).containsExactly("172.28.0.0/24");
    assertThat(AudioSocketConfig.from(Settings.of(Map.of(), Map.of("AGI_ALLOW", "172.28.0.0/24",
        "AUDIOSOCKET_ALLOW", "10.0.0.5"), Map.of())).allow()).extracting(Cidr::toString).containsExactly("10.0.0.5/32");
  }

  @Test
  void aBadBlockNamesTheKey() {
    assertThatThrownBy(() -> AudioSocketConfig.from(Settings.of(Map.of(), Map.of(),
        Map.of("audiosocket.allow", "asterisk.lan")))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("audiosocket.allow");
  }
}
