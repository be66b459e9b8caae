package io.asterline.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One configuration key: its name in the properties file, its default, how it is shown and which
 * environment variables may set it.
 *
 * <p>Environment names are derived: {@code http.port} is read from {@code ASTERLINE_HTTP_PORT}, then
 * {@code HTTP_PORT}, then any alias (the names deployments already use in their {@code .env} files,
 * such as {@code DEFAULT_TENANT_ID}).
 *
 * <p>A key that moved keeps its old name as {@code formerName} ({@link #renamedFrom}): a value set under the old
 * name (file, option or its environment names) still counts, and the start says once that it should be renamed.
 */
public record ConfigKey(String name, String defaultValue, Display display, List<String> aliases, String description,
    String formerName) {

  /** How a value may be printed by {@code asterline config}. */
  public enum Display {
    PLAIN,
    /** never printed, only whether it is set */
    SECRET,
    /** a URL whose user-info password is masked */
    URL_WITH_CREDENTIALS
  }

  public ConfigKey {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(display, "display");
    aliases = List.copyOf(aliases);
    Objects.requireNonNull(description, "description");
  }

  public ConfigKey(String name, String defaultValue, Display display, List<String> aliases, String description) {
    this(name, defaultValue, display, aliases, description, null);
  }

  /** A key with a default ({@code null} when the key is optional). */
  public static ConfigKey of(String name, String defaultValue, String description) {
    return new ConfigKey(name, defaultValue, Display.PLAIN, List.of(), description);
  }

  /** A secret: printed masked, never logged. Secrets have no default. */
  public static ConfigKey secret(String name, String description) {
    return new ConfigKey(name, null, Display.SECRET, List.of(), description);
  }

  public ConfigKey withAliases(String... envNames) {
    return new ConfigKey(name, defaultValue, display, List.of(envNames), description, formerName);
  }

  public ConfigKey displayedAs(Display newDisplay) {
    return new ConfigKey(name, defaultValue, newDisplay, aliases, description, formerName);
  }

  /** This key, still read under the name it had before ({@code oldName}) when the new name is not set. */
  public ConfigKey renamedFrom(String oldName) {
    return new ConfigKey(name, defaultValue, display, aliases, description, oldName);
  }

  public boolean isSecret() {
    return display != Display.PLAIN;
  }

  /** Environment variable names that set this key, most specific first. */
  public List<String> envNames() {
    List<String> names = derivedEnvNames(name);
    for (String alias : aliases) {
      if (!names.contains(alias)) {
        names.add(alias);
      }
    }
    return names;
  }

  /** The environment names of the former name (empty when the key was never renamed). */
  public List<String> formerEnvNames() {
    return formerName == null ? List.of() : derivedEnvNames(formerName);
  }

  private static List<String> derivedEnvNames(String key) {
    String derived = key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    List<String> names = new ArrayList<>();
    names.add("ASTERLINE_" + derived);
    names.add(derived);
    return names;
  }

  /** The name documented for operators: the plain derived form, or the first alias deployments know. */
  public String primaryEnvName() {
    return aliases.isEmpty() ? envNames().get(1) : aliases.get(0);
  }

  /** What may be printed of a value of this key: secrets masked, URL passwords masked. */
  public String shown(String raw) {
    return switch (display) {
      case PLAIN -> raw;
      case SECRET -> raw == null || raw.isBlank() ? "(unset)" : "****** (set)";
      case URL_WITH_CREDENTIALS -> raw
          .replaceAll("(//[^:/@]+:)[^@/]*@", "$1******@")
          .replaceAll("(?i)(password=)[^&]*", "$1******");
    };
  }
}
