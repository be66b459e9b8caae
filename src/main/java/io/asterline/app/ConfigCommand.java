package io.asterline.app;

import io.asterline.config.ConfigException;
import io.asterline.config.ConfigKey;
import io.asterline.config.ConfigOptions;
import io.asterline.config.Settings;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "config", mixinStandardHelpOptions = true,
    description = "Print the effective configuration, secrets masked, and check it.")
public final class ConfigCommand implements Callable<Integer> {

  @Mixin
  ConfigOptions config;

  @Spec
  CommandSpec spec;

  private final Map<String, String> env;

  public ConfigCommand(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() {
    Settings settings = config.settings(env);
    PrintWriter out = spec.commandLine().getOut();
    List<ConfigKey> keys = AsterlineConfig.keys();
    int width = keys.stream().mapToInt(k -> k.name().length()).max().orElse(10);
    out.println("# effective configuration; secrets are masked");
    for (ConfigKey key : keys) {
      Optional<Settings.Value> v = settings.value(key);
      String shown = v.map(value -> key.shown(value.raw())).orElse("(unset)");
      String origin = v.map(Settings.Value::origin).orElse("env " + key.primaryEnvName());
      out.printf("%-" + width + "s = %s    # %s%n", key.name(), shown, origin);
    }
    for (String unknown : settings.unknownKeys(keys)) {
      out.println("# warning: unknown key " + unknown + " (misspelt?) is ignored");
    }
    settings.renamedKeysNotice(keys).ifPresent(notice -> out.println("# warning: " + notice));
    out.flush();
    try {
      AsterlineConfig.from(settings);
    } catch (ConfigException e) {
      spec.commandLine().getErr().println("invalid configuration: " + e.getMessage());
      spec.commandLine().getErr().flush();
      return 1;
    }
    return 0;
  }
}
