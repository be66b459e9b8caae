package io.asterline.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.config.ConfigKey;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Operators configure from the README: every key the code reads must be in it, with its env name. */
class ReadmeTest {

  @Test
  void everyConfigurationKeyAndItsEnvironmentNameIsDocumented() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    for (ConfigKey key : AsterlineConfig.keys()) {
      assertThat(readme).as("README documents " + key.name()).contains("`" + key.name() + "`");
      assertThat(readme).as("README names the env variable of " + key.name()).contains("`" + key.primaryEnvName() + "`");
    }
  }

  @Test
  void ciRunsTheReadmeTestCommand() throws Exception {
    String ci = Files.readString(Path.of(".ci/run"));
    String last = ci.lines().filter(l -> !l.isBlank() && !l.startsWith("#") && !l.startsWith("set ")
        && !l.startsWith("cd ")).reduce((a, b) -> b).orElseThrow();
    assertThat(Files.readString(Path.of("README.md")).lines().limit(6)).anyMatch(l -> l.contains(last.trim()));
  }
}
