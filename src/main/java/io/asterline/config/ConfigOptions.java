package io.asterline.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options every command that reads configuration takes: a file and key=value overrides. */
public final class ConfigOptions {

  @Option(names = "--config", paramLabel = "FILE",
      description = "properties file (default: $ASTERLINE_CONFIG, else none)")
  Path file;

  @Option(names = "-D", paramLabel = "KEY=VALUE", mapFallbackValue = "",
      description = "set a configuration key, overriding the file and the environment, e.g. -Dhttp.port=9090")
  Map<String, String> overrides = new LinkedHashMap<>();

  public Settings settings(Map<String, String> env) {
    return Settings.load(file, env, overrides);
  }
}
