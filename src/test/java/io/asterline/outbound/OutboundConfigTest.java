package io.asterline.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.asterline.agi.AgiConfig;
import io.asterline.config.ConfigException;
import io.asterline.config.Settings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OutboundConfigTest {

  private static Settings env(Map<String, String> env) {
    return Settings.of(Map.of(), env, Map.of());
  }

  @Test
  void amiIsReadFromTheAsteriskNamesDeploymentsUseAndItsPasswordNeverPrinted() {
    AmiConfig ami = AmiConfig.from(env(Map.of("ASTERISK_AMI_HOST", "pbx.internal", "ASTERISK_AMI_PORT", "5039",
        "ASTERISK_AMI_USER", "asterline", "ASTERISK_AMI_PASSWORD", "hunter2-secret")));
    assertThat(ami.enabled()).isTrue();
    assertThat(ami.address()).isEqualTo("pbx.internal:5039");
    assertThat(ami.toString()).doesNotContain("hunter2-secret").contains("password=(set)");
    assertThat(AmiConfig.PASSWORD.shown("hunter2-secret")).doesNotContain("hunter2");

    AmiConfig off = AmiConfig.from(env(Map.of()));
    assertThat(off.enabled()).isFalse();
    assertThat(off.port()).isEqualTo(5038);
    assertThat(off.reconnectMin()).isEqualTo(Duration.ofMillis(500));
    assertThat(off.reconnectMax()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void amiRefusesWhatCannotWorkNamingTheKey() {
    assertThatThrownBy(() -> AmiConfig.from(env(Map.of("ASTERISK_AMI_USER", "asterline"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("ami.password").hasMessageContaining("ASTERISK_AMI_PASSWORD");
    assertThatThrownBy(() -> AmiConfig.from(env(Map.of("ASTERISK_AMI_PORT", "0"))))
        .hasMessageContaining("ami.port");
    assertThatThrownBy(() -> AmiConfig.from(env(Map.of("AMI_RECONNECT_MIN", "5s", "AMI_RECONNECT_MAX", "1s"))))
        .hasMessageContaining("ami.reconnect-max");
    assertThatThrownBy(() -> AmiConfig.from(env(Map.of("ASTERISK_AMI_HOST", "pbx internal"))))
        .hasMessageContaining("ami.host");
    assertThatThrownBy(() -> AmiConfig.from(env(Map.of("ASTERISK_AMI_USER", "a", "ASTERISK_AMI_PASSWORD", "p",
        "AMI_PING_INTERVAL", "10"))))
        .hasMessageContaining("ami.ping-interval");
  }

  @Test
  void callsPerSecondDefaultToOneAndCanBeSetPerTrunk() {
    OutboundConfig c = OutboundConfig.from(env(Map.of("OUTBOUND_TRUNK_CPS", "TWILIO=1, DIDWW=10,slow-trunk=0.5")));
    assertThat(c.defaultCps()).isEqualTo(1.0);
    assertThat(c.cpsFor("DIDWW")).isEqualTo(10.0);
    assertThat(c.cpsFor("slow-trunk")).isEqualTo(0.5);
    assertThat(c.cpsFor("OTHER")).isEqualTo(1.0);
    assertThat(c.originateTimeout()).isEqualTo(Duration.ofSeconds(30));
    // never read here: the wiring passes in the address the FastAGI side hands out (app.AudioSocketAddressTest)
    assertThat(c.audioSocketAddress()).isNull();
    assertThat(OutboundConfig.from(env(Map.of("AGI_AUDIOSOCKET_ADDRESS", "asterline:9092"))).audioSocketAddress())
        .isNull();
    assertThat(AgiConfig.from(env(Map.of("AGI_AUDIOSOCKET_ADDRESS", "asterline:9092"))).audioSocketAddress())
        .isEqualTo("asterline:9092");
  }

  @Test
  void outboundRefusesWhatCannotWorkNamingTheKey() {
    assertThatThrownBy(() -> OutboundConfig.from(env(Map.of("OUTBOUND_CPS", "0")))).hasMessageContaining("outbound.cps");
    assertThatThrownBy(() -> OutboundConfig.from(env(Map.of("OUTBOUND_CPS", "fast")))).hasMessageContaining("outbound.cps");
    assertThatThrownBy(() -> OutboundConfig.from(env(Map.of("OUTBOUND_TRUNK_CPS", "TWILIO=x"))))
        .hasMessageContaining("outbound.trunk-cps");
    assertThatThrownBy(() -> OutboundConfig.from(env(Map.of("OUTBOUND_ORIGINATE_TIMEOUT", "2s"))))
        .hasMessageContaining("outbound.originate-timeout");
    // the address travels in an AMI Variable header, where a comma would cut it: refused where it is read
    assertThatThrownBy(() -> AgiConfig.from(env(Map.of("AGI_AUDIOSOCKET_ADDRESS", "a,b:9092"))))
        .hasMessageContaining("agi.audiosocket-address");
  }
}
