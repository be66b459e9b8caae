package io.asterline.config;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.configuration2.PropertiesConfiguration;
import org.apache.commons.configuration2.builder.FileBasedConfigurationBuilder;
import org.apache.commons.configuration2.builder.fluent.Parameters;
import org.apache.commons.configuration2.ex.ConfigurationException;

/**
 * The raw configuration, in three layers: an optional properties file, overridden by environment
 * variables, overridden by command-line options ({@code -Dkey=value}). Typed accessors turn a value into
 * what a feature needs, or fail with a message naming the key; nothing falls back silently.
 */
public final class Settings {

  /** Where a value came from, for {@code asterline config} and for error messages. */
  public enum Source { OPTION, ENVIRONMENT, FILE, DEFAULT }

  /** A raw value and its origin ("env HTTP_PORT", "file asterline.properties", "option -Dhttp.port"). */
  public record Value(String raw, Source source, String origin) {}

  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)?");

  private final Map<String, String> options;
  private final Map<String, String> env;
  private final Map<String, String> file;
  private final String fileName;

  private Settings(Map<String, String> options, Map<String, String> env, Map<String, String> file, String fileName) {
    this.options = Map.copyOf(options);
    this.env = Map.copyOf(env);
    this.file = Map.copyOf(file);
    this.fileName = fileName;
  }

  /**
   * Loads the layers. {@code configFile} may be null; when null, {@code ASTERLINE_CONFIG} in the environment
   * names the file, if set. A named file that does not exist or does not parse is an error.
   */
  public static Settings load(Path configFile, Map<String, String> env, Map<String, String> options) {
    Path path = configFile;
    if (path == null && env.get("ASTERLINE_CONFIG") != null && !env.get("ASTERLINE_CONFIG").isBlank()) {
      path = Path.of(env.get("ASTERLINE_CONFIG"));
    }
    Map<String, String> fileValues = Map.of();
    String name = null;
    if (path != null) {
      fileValues = readProperties(path);
      name = path.toString();
    }
    return new Settings(options, env, fileValues, name);
  }

  /** Settings from plain maps, for tests and tools. */
  public static Settings of(Map<String, String> file, Map<String, String> env, Map<String, String> options) {
    return new Settings(options, env, file, "test");
  }

  private static Map<String, String> readProperties(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new ConfigException("config file " + path + " does not exist or is not a file");
    }
    try {
      PropertiesConfiguration props = new FileBasedConfigurationBuilder<>(PropertiesConfiguration.class)
          .configure(new Parameters().properties().setFile(path.toFile()).setEncoding("UTF-8"))
          .getConfiguration();
      Map<String, String> values = new LinkedHashMap<>();
      for (Iterator<String> keys = props.getKeys(); keys.hasNext(); ) {
        String key = keys.next();
        // getString interpolates ${env:NAME} and ${other.key} references
        values.put(key, props.getString(key));
      }
      return values;
    } catch (ConfigurationException e) {
      throw new ConfigException("config file " + path + " cannot be read: " + e.getMessage(), e);
    }
  }

  /**
   * The value set for a key in any layer, without its default. Within a layer the key's name counts before its
   * former name (a renamed key), so a layer that sets both uses the new one; a higher layer still wins.
   */
  public Optional<Value> lookup(ConfigKey key) {
    String option = options.get(key.name());
    if (option != null) {
      return Optional.of(new Value(option, Source.OPTION, "option -D" + key.name()));
    }
    if (key.formerName() != null && options.get(key.formerName()) != null) {
      return Optional.of(new Value(options.get(key.formerName()), Source.OPTION, "option -D" + key.formerName()));
    }
    for (List<String> names : List.of(key.envNames(), key.formerEnvNames())) {
      for (String envName : names) {
        String v = env.get(envName);
        if (v != null) {
          return Optional.of(new Value(v, Source.ENVIRONMENT, "env " + envName));
        }
      }
    }
    String fromFile = file.get(key.name());
    if (fromFile != null) {
      return Optional.of(new Value(fromFile, Source.FILE, "file " + fileName));
    }
    if (key.formerName() != null && file.get(key.formerName()) != null) {
      return Optional.of(new Value(file.get(key.formerName()), Source.FILE,
          "file " + fileName + " as " + key.formerName()));
    }
    return Optional.empty();
  }

  /**
   * One line naming every renamed key still set under its old name (in any layer), with its new name; empty when
   * none is. Said once at start, so an operator renames them before the old names go.
   */
  public Optional<String> renamedKeysNotice(List<ConfigKey> known) {
    List<String> used = new ArrayList<>();
    for (ConfigKey key : known) {
      if (key.formerName() == null) {
        continue;
      }
      boolean set = options.containsKey(key.formerName()) || file.containsKey(key.formerName())
          || key.formerEnvNames().stream().anyMatch(env::containsKey);
      if (set) {
        used.add(key.formerName() + " is now " + key.name());
      }
    }
    return used.isEmpty() ? Optional.empty() : Optional.of("config: deprecated keys, rename them (the old names still "
        + "work for now): " + String.join(", ", used));
  }

  /** The effective value, the default when unset; empty when neither exists. Blank counts as unset. */
  public Optional<Value> value(ConfigKey key) {
    Optional<Value> set = lookup(key).filter(v -> !v.raw().isBlank());
    if (set.isPresent()) {
      return set;
    }
    return Optional.ofNullable(key.defaultValue()).map(d -> new Value(d, Source.DEFAULT, "default"));
  }

  public Optional<String> optional(ConfigKey key) {
    return value(key).map(v -> v.raw().trim());
  }

  public String string(ConfigKey key) {
    return optional(key).orElseThrow(() -> missing(key));
  }

  public int integer(ConfigKey key, int min, int max) {
    Value v = required(key);
    try {
      int n = Integer.parseInt(v.raw().trim());
      if (n < min || n > max) {
        throw ConfigException.invalid(key, v, "a whole number from " + min + " to " + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw ConfigException.invalid(key, v, "a whole number from " + min + " to " + max);
    }
  }

  public int port(ConfigKey key) {
    Value v = required(key);
    try {
      int n = Integer.parseInt(v.raw().trim());
      if (n < 0 || n > 65535) {
        throw ConfigException.invalid(key, v, "a TCP port number from 0 to 65535");
      }
      return n;
    } catch (NumberFormatException e) {
      throw ConfigException.invalid(key, v, "a TCP port number from 0 to 65535");
    }
  }

  public boolean bool(ConfigKey key) {
    Value v = required(key);
    return switch (v.raw().trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on", "1" -> true;
      case "false", "no", "off", "0" -> false;
      default -> throw ConfigException.invalid(key, v, "true or false");
    };
  }

  /** A duration written as a number and a unit: {@code 300ms}, {@code 2s}, {@code 15m}, {@code 4h}, {@code 1d}. */
  public Duration duration(ConfigKey key) {
    Value v = required(key);
    Matcher m = DURATION.matcher(v.raw().trim().toLowerCase(Locale.ROOT));
    if (!m.matches() || m.group(2) == null) {
      throw ConfigException.invalid(key, v, "a duration such as 300ms, 2s, 15m or 4h");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  /** An IP address (a literal, not a host name that would need DNS at start). */
  public InetAddress address(ConfigKey key) {
    Value v = required(key);
    String s = v.raw().trim();
    if (!s.matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*")) {
      throw ConfigException.invalid(key, v, "an IP address such as 127.0.0.1 or 0.0.0.0");
    }
    try {
      return InetAddress.getByName(s);
    } catch (UnknownHostException e) {
      throw ConfigException.invalid(key, v, "an IP address such as 127.0.0.1 or 0.0.0.0");
    }
  }

  /** An absolute URL with one of the given schemes. */
  public URI uri(ConfigKey key, String... schemes) {
    Value v = required(key);
    String expected = "an absolute URL starting with " + String.join(":// or ", schemes) + "://";
    try {
      URI uri = new URI(v.raw().trim());
      if (uri.getScheme() == null || uri.getHost() == null
          || Arrays.stream(schemes).noneMatch(s -> s.equalsIgnoreCase(uri.getScheme()))) {
        throw ConfigException.invalid(key, v, expected);
      }
      return uri;
    } catch (URISyntaxException e) {
      throw ConfigException.invalid(key, v, expected);
    }
  }

  public Path path(ConfigKey key) {
    Value v = required(key);
    try {
      return Path.of(v.raw().trim());
    } catch (InvalidPathException e) {
      throw ConfigException.invalid(key, v, "a file system path");
    }
  }

  /** A comma-separated list; empty when unset. */
  public List<String> list(ConfigKey key) {
    List<String> out = new ArrayList<>();
    optional(key).ifPresent(s -> {
      for (String part : s.split(",")) {
        if (!part.isBlank()) {
          out.add(part.trim());
        }
      }
    });
    return out;
  }

  /** Keys present in the file or given as options that no feature declares: likely typos. */
  public Set<String> unknownKeys(List<ConfigKey> known) {
    Set<String> names = new LinkedHashSet<>();
    known.forEach(k -> {
      names.add(k.name());
      if (k.formerName() != null) {
        names.add(k.formerName());
      }
    });
    Set<String> unknown = new LinkedHashSet<>();
    for (String k : file.keySet()) {
      if (!names.contains(k)) {
        unknown.add(k);
      }
    }
    for (String k : options.keySet()) {
      if (!names.contains(k)) {
        unknown.add(k);
      }
    }
    return unknown;
  }

  public Value required(ConfigKey key) {
    return value(key).orElseThrow(() -> missing(key));
  }

  public ConfigException invalid(ConfigKey key, String expected) {
    return ConfigException.invalid(key, required(key), expected);
  }

  private static ConfigException missing(ConfigKey key) {
    return new ConfigException(key.name() + ": required but not set (set " + key.primaryEnvName()
        + " in the environment or " + key.name() + " in the config file)");
  }
}
