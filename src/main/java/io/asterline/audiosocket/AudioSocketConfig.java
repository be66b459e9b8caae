package io.asterline.audiosocket;

import io.asterline.agi.Cidr;
import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import io.asterline.media.AllowList;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;

/** Where the AudioSocket server listens for Asterisk's {@code Dial(AudioSocket/...)} legs. */
public record AudioSocketConfig(InetAddress bind, int port, int ioThreads, List<Cidr> allow, Duration lateFrameLimit) {

  public static final ConfigKey BIND = ConfigKey.of("audiosocket.bind", "127.0.0.1",
      "address the AudioSocket server listens on (Asterisk connects here)");
  public static final ConfigKey PORT = ConfigKey.of("audiosocket.port", "9092", "AudioSocket port (0 = any free port)");
  public static final ConfigKey IO_THREADS = ConfigKey.of("audiosocket.io-threads", "0",
      "event loop threads carrying the calls' audio and pacing (0 = one per CPU core)");

  public static final ConfigKey ALLOW = ConfigKey.of("audiosocket.allow", "",
      "comma-separated address blocks Asterisk may connect from; other connections are closed before any frame "
          + "is read (AudioSocket has no authentication; the call id is its only secret). Unset: the same as "
          + "agi.allow, since the same Asterisk servers use both");

  public static final ConfigKey LATE_FRAME_LIMIT = ConfigKey.of("audiosocket.late-frame-limit", "60ms",
      "a 20 ms frame whose pacing tick runs later than this (the event loop was descheduled) is skipped, its audio "
          + "kept for the next tick, instead of sent late in a burst");

  public static final List<ConfigKey> KEYS = List.of(BIND, PORT, IO_THREADS, ALLOW, LATE_FRAME_LIMIT);

  /**
   * The host:port Asterisk dials to reach this server, for a server listening on {@code boundPort}: the bind
   * address, or 127.0.0.1 when it listens on every address (0.0.0.0, ::); an IPv6 address in brackets.
   */
  public String dialAddress(int boundPort) {
    if (bind.isAnyLocalAddress()) {
      return "127.0.0.1:" + boundPort;
    }
    String host = bind.getHostAddress();
    return (bind instanceof Inet6Address ? "[" + host + "]" : host) + ":" + boundPort;
  }

  public static AudioSocketConfig from(Settings settings) {
    List<Cidr> allow = AllowList.from(settings, ALLOW,
        "at least one address block (AudioSocket has no authentication of its own)");
    return new AudioSocketConfig(settings.address(BIND), settings.port(PORT), settings.integer(IO_THREADS, 0, 256),
        allow, settings.duration(LATE_FRAME_LIMIT));
  }
}
