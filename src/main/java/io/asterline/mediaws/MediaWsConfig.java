package io.asterline.mediaws;

import io.asterline.agi.AgiConfig;
import io.asterline.agi.Cidr;
import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where the media WebSocket server listens for Asterisk's WebSocket channel ({@code Dial(WebSocket/asterline/...)},
 * the connection in websocket_client.conf), and who may connect: addresses in {@code mediaws.allow}, and when
 * {@code mediaws.password} is set, only with that Basic-auth password (websocket_client.conf's username/password).
 */
public record MediaWsConfig(InetAddress bind, int port, int ioThreads, List<Cidr> allow, String username,
    Optional<String> password) {

  public static final ConfigKey BIND = ConfigKey.of("mediaws.bind", "127.0.0.1",
      "address the media WebSocket server listens on (Asterisk's chan_websocket connects here)");
  public static final ConfigKey PORT = ConfigKey.of("mediaws.port", "9093",
      "media WebSocket port: websocket_client.conf's uri points here (0 = any free port)");
  public static final ConfigKey IO_THREADS = ConfigKey.of("mediaws.io-threads", "0",
      "event loop threads carrying the WebSocket calls' audio (0 = one per CPU core)");
  public static final ConfigKey ALLOW = ConfigKey.of("mediaws.allow", "",
      "comma-separated address blocks Asterisk may connect from; others are closed before the handshake. "
          + "Unset: the same as agi.allow, since the same Asterisk servers use both");
  public static final ConfigKey USERNAME = ConfigKey.of("mediaws.username", "asterisk",
      "the Basic-auth user name websocket_client.conf sends (checked only when mediaws.password is set)");
  public static final ConfigKey PASSWORD = ConfigKey.secret("mediaws.password",
      "the Basic-auth password websocket_client.conf sends; unset: no authentication beyond mediaws.allow and the "
          + "call id");

  public static final List<ConfigKey> KEYS = List.of(BIND, PORT, IO_THREADS, ALLOW, USERNAME, PASSWORD);

  /** Keeps the password out of logs and error messages. */
  @Override
  public String toString() {
    return "MediaWsConfig[bind=" + bind.getHostAddress() + ", port=" + port + ", ioThreads=" + ioThreads + ", allow="
        + allow + ", username=" + username + ", password=" + (password.isPresent() ? "(set)" : "(none)") + "]";
  }

  public static MediaWsConfig from(Settings settings) {
    List<Cidr> allow = new ArrayList<>();
    ConfigKey source = settings.list(ALLOW).isEmpty() ? AgiConfig.ALLOW : ALLOW;
    for (String block : settings.list(source)) {
      try {
        allow.add(Cidr.parse(block));
      } catch (IllegalArgumentException e) {
        throw settings.invalid(source, "comma-separated IP address blocks such as 127.0.0.0/8,10.1.2.3 ("
            + e.getMessage() + ")");
      }
    }
    if (allow.isEmpty()) {
      throw settings.invalid(source, "at least one address block Asterisk connects from");
    }
    Optional<String> password = settings.optional(PASSWORD).filter(p -> !p.isEmpty());
    return new MediaWsConfig(settings.address(BIND), settings.port(PORT), settings.integer(IO_THREADS, 0, 256),
        List.copyOf(allow), settings.string(USERNAME), password);
  }
}
