package io.asterline.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.asterline.app.AsterlineConfig;
import io.asterline.config.ConfigException;
import io.asterline.config.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** admission.max-calls and admission.max-call-duration, and their old agi.* names that deployments still set. */
class AdmissionConfigTest {

  @TempDir
  Path dir;

  private static Settings options(Map<String, String> options) {
    return Settings.of(Map.of(), Map.of(), options);
  }

  @Test
  void defaults() {
    AdmissionConfig c = AdmissionConfig.from(options(Map.of()));
    assertThat(c.maxCalls()).isEqualTo(1000);
    assertThat(c.maxCallDuration()).isEqualTo(Duration.ofHours(4));
  }

  @Test
  void theNewNamesInEveryLayer() throws Exception {
    assertThat(AdmissionConfig.from(options(Map.of("admission.max-calls", "7"))).maxCalls()).isEqualTo(7);
    assertThat(AdmissionConfig.from(Settings.of(Map.of(), Map.of("ADMISSION_MAX_CALLS", "8"), Map.of())).maxCalls())
        .isEqualTo(8);
    Path file = dir.resolve("asterline.properties");
    Files.writeString(file, "admission.max-call-duration = 2h\n");
    assertThat(AdmissionConfig.from(Settings.load(file, Map.of(), Map.of())).maxCallDuration())
        .isEqualTo(Duration.ofHours(2));
  }

  @Test
  void theOldAgiNamesStillWorkInEveryLayer() throws Exception {
    assertThat(AdmissionConfig.from(options(Map.of("agi.max-calls", "3"))).maxCalls()).isEqualTo(3);
    assertThat(AdmissionConfig.from(Settings.of(Map.of(), Map.of("AGI_MAX_CALLS", "4"), Map.of())).maxCalls())
        .isEqualTo(4);
    Path file = dir.resolve("old.properties");
    Files.writeString(file, "agi.max-calls = 5\nagi.max-call-duration = 90m\n");
    Settings old = Settings.load(file, Map.of(), Map.of());
    assertThat(AdmissionConfig.from(old)).isEqualTo(new AdmissionConfig(5, Duration.ofMinutes(90)));
    // not a typo: asterline config does not warn that the old name is unknown
    assertThat(old.unknownKeys(AsterlineConfig.keys())).isEmpty();
    assertThat(old.lookup(AdmissionConfig.MAX_CALLS).orElseThrow().origin()).contains("agi.max-calls");
  }

  @Test
  void withinALayerTheNewNameWinsAndAHigherLayerStillWins() {
    assertThat(AdmissionConfig.from(options(Map.of("agi.max-calls", "3", "admission.max-calls", "9"))).maxCalls())
        .isEqualTo(9);
    Settings envOldOptionNew = Settings.of(Map.of(), Map.of("AGI_MAX_CALLS", "3"),
        Map.of("admission.max-calls", "9"));
    assertThat(AdmissionConfig.from(envOldOptionNew).maxCalls()).isEqualTo(9);
    Settings envNewOptionOld = Settings.of(Map.of(), Map.of("ADMISSION_MAX_CALLS", "9"),
        Map.of("agi.max-calls", "3"));
    assertThat(AdmissionConfig.from(envNewOptionOld).maxCalls()).isEqualTo(3);
  }

  @Test
  void badValuesNameTheKeyAsTheOperatorWroteIt() {
    assertThatThrownBy(() -> AdmissionConfig.from(options(Map.of("admission.max-call-duration", "10s"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("admission.max-call-duration")
        .hasMessageContaining("at least 1m");
    assertThatThrownBy(() -> AdmissionConfig.from(options(Map.of("agi.max-call-duration", "10s"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("agi.max-call-duration");
    assertThatThrownBy(() -> AdmissionConfig.from(options(Map.of("agi.max-calls", "-1"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("agi.max-calls")
        .hasMessageContaining("a whole number from 0");
  }

  @Test
  void theStartSaysOnceInOneLineWhichOldNamesToRename() {
    Logger logger = (Logger) LoggerFactory.getLogger(AsterlineConfig.class);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    try {
      AsterlineConfig.from(options(Map.of("admission.max-calls", "9")));
      assertThat(lines.list).isEmpty();

      AsterlineConfig config = AsterlineConfig.from(options(Map.of("agi.max-calls", "3", "agi.max-call-duration", "2h")));
      assertThat(config.admission()).isEqualTo(new AdmissionConfig(3, Duration.ofHours(2)));
      assertThat(lines.list).hasSize(1);
      ILoggingEvent line = lines.list.get(0);
      assertThat(line.getLevel()).isEqualTo(Level.WARN);
      assertThat(line.getFormattedMessage()).doesNotContain("\n")
          .contains("agi.max-calls is now admission.max-calls")
          .contains("agi.max-call-duration is now admission.max-call-duration");
    } finally {
      logger.detachAppender(lines);
    }
  }
}
