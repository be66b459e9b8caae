package io.asterline.config;

/** A configuration value that cannot be used. The message names the key, what was given and what is expected. */
public final class ConfigException extends RuntimeException {

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }

  static ConfigException invalid(ConfigKey key, Settings.Value value, String expected) {
    String shown = key.display() == ConfigKey.Display.SECRET ? "(hidden)" : "'" + key.shown(value.raw()) + "'";
    return new ConfigException(key.name() + " (" + value.origin() + "): expected " + expected + ", got " + shown);
  }
}
