package io.asterline.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.asterline.config.ConfigException;
import io.asterline.config.Settings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OpenAiConfigTest {

  @Test
  void defaultsFollowTheGaProtocolAndTheTwoSecondRule() {
    OpenAiConfig c = OpenAiConfig.from(Settings.of(Map.of(), Map.of(), Map.of()));
    assertThat(c.realtimeUrl().toString()).isEqualTo("wss://api.openai.com/v1/realtime");
    assertThat(c.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.maxSession()).isEqualTo(Duration.ofMinutes(60));
    assertThat(c.vadThreshold()).isEqualTo(0.5);
    assertThat(c.inputChunk()).isEqualTo(Duration.ofMillis(40));
    assertThat(c.apiKey()).isEmpty();
  }

  @Test
  void badValuesNameTheKeyAndWhatIsExpected() {
    assertThatThrownBy(() -> OpenAiConfig.from(Settings.of(Map.of(), Map.of(), Map.of("realtime.vad-threshold", "1.5"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("realtime.vad-threshold").hasMessageContaining("0.0 to 1.0");
    assertThatThrownBy(() -> OpenAiConfig.from(Settings.of(Map.of(), Map.of(), Map.of("realtime.input-chunk", "30ms"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("realtime.input-chunk");
    assertThatThrownBy(() -> OpenAiConfig.from(Settings.of(Map.of(), Map.of(),
        Map.of("realtime.max-session", "10m", "realtime.renew-before", "10m"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("realtime.renew-before");
    assertThatThrownBy(() -> OpenAiConfig.from(Settings.of(Map.of(), Map.of(), Map.of("realtime.url", "http://x/y"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("realtime.url");
  }

  @Test
  void theKeyNeverShowsInToString() {
    OpenAiConfig c = OpenAiConfig.from(Settings.of(Map.of(), Map.of("OPENAI_API_KEY", "sk-secret-value"), Map.of()));
    assertThat(c.apiKey()).contains("sk-secret-value");
    assertThat(c.toString()).doesNotContain("sk-secret-value");
    assertThat(RealtimeClient.redact("bad key sk-abc_DEF-123 given")).isEqualTo("bad key sk-*** given");
  }
}
