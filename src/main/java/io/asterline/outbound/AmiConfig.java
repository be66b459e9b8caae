package io.asterline.outbound;

import io.asterline.config.ConfigException;
import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The Asterisk Manager Interface Asterline originates outbound calls through. Without a user, AMI is off:
 * inbound calls work, outbound calls answer 503.
 */
public record AmiConfig(
    String host,
    int port,
    Optional<String> user,
    Optional<String> password,
    Duration reconnectMin,
    Duration reconnectMax,
    Duration pingInterval,
    Duration responseTimeout) {

  public static final ConfigKey HOST = ConfigKey.of("ami.host", "127.0.0.1",
      "host of Asterisk's manager interface (AMI)").withAliases("ASTERISK_AMI_HOST");
  public static final ConfigKey PORT = ConfigKey.of("ami.port", "5038",
      "its TCP port (manager.conf)").withAliases("ASTERISK_AMI_PORT");
  public static final ConfigKey USER = ConfigKey.of("ami.user", null,
      "AMI user with originate write and call read permission; unset = no outbound calls").withAliases("ASTERISK_AMI_USER");
  public static final ConfigKey PASSWORD = ConfigKey.secret("ami.password",
      "its password (sent only as an MD5 challenge answer)").withAliases("ASTERISK_AMI_PASSWORD");
  public static final ConfigKey RECONNECT_MIN = ConfigKey.of("ami.reconnect-min", "500ms",
      "first wait before reconnecting after AMI is lost; doubles on each failure");
  public static final ConfigKey RECONNECT_MAX = ConfigKey.of("ami.reconnect-max", "30s",
      "longest wait between reconnection attempts");
  public static final ConfigKey PING_INTERVAL = ConfigKey.of("ami.ping-interval", "10s",
      "how often a quiet AMI connection is checked with a Ping (finds an Asterisk that vanished without closing)");
  public static final ConfigKey RESPONSE_TIMEOUT = ConfigKey.of("ami.response-timeout", "2s",
      "how long an AMI action (login, ping, originate) waits for Asterisk's answer");

  public static final List<ConfigKey> KEYS =
      List.of(HOST, PORT, USER, PASSWORD, RECONNECT_MIN, RECONNECT_MAX, PING_INTERVAL, RESPONSE_TIMEOUT);

  public static AmiConfig from(Settings settings) {
    String host = settings.string(HOST);
    if (!host.matches("[A-Za-z0-9._:\\[\\]-]+")) {
      throw settings.invalid(HOST, "a host name or IP address");
    }
    Optional<String> user = settings.optional(USER);
    Optional<String> password = settings.optional(PASSWORD);
    if (user.isPresent() && password.isEmpty()) {
      throw new ConfigException(PASSWORD.name() + ": required when " + USER.name() + " is set (set "
          + PASSWORD.primaryEnvName() + ")");
    }
    Duration min = settings.duration(RECONNECT_MIN);
    Duration max = settings.duration(RECONNECT_MAX);
    if (min.toMillis() < 10) {
      throw settings.invalid(RECONNECT_MIN, "at least 10ms");
    }
    if (max.compareTo(min) < 0) {
      throw settings.invalid(RECONNECT_MAX, "at least ami.reconnect-min (" + min.toMillis() + "ms)");
    }
    Duration ping = settings.duration(PING_INTERVAL);
    if (ping.toMillis() < 100) {
      throw settings.invalid(PING_INTERVAL, "at least 100ms");
    }
    Duration timeout = settings.duration(RESPONSE_TIMEOUT);
    if (timeout.toMillis() < 100) {
      throw settings.invalid(RESPONSE_TIMEOUT, "at least 100ms");
    }
    int port = settings.port(PORT);
    if (port == 0) {
      throw settings.invalid(PORT, "a TCP port number from 1 to 65535");
    }
    return new AmiConfig(host, port, user, password, min, max, ping, timeout);
  }

  public boolean enabled() {
    return user.isPresent();
  }

  /** host:port, safe to log. */
  public String address() {
    return host + ":" + port;
  }

  @Override
  public String toString() {
    return "AmiConfig[host=" + host + ", port=" + port + ", user=" + user.orElse("(unset)") + ", password="
        + (password.isPresent() ? "(set)" : "(unset)") + ", reconnectMin=" + reconnectMin + ", reconnectMax="
        + reconnectMax + ", pingInterval=" + pingInterval + ", responseTimeout=" + responseTimeout + "]";
  }
}
