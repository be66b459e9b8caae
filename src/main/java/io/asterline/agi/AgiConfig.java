package io.asterline.agi;

import io.asterline.phone.PhoneNumbers;
import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The FastAGI server Asterisk calls during each call. The call limits it applies are admission's
 * ({@link io.asterline.admission.AdmissionConfig}).
 *
 * @param audioSocketAddress host:port Asterisk dials for the conversation (ASTERLINE_AUDIOSOCKET); with several
 *     nodes, each advertises its own so the node that admitted a call can also take its audio. Null when
 *     agi.audiosocket-address is not set: the wiring then fills in the AudioSocket server's own address
 *     ({@link #withAudioSocketAddress}), so the two cannot disagree
 */
public record AgiConfig(
    InetAddress bind,
    int port,
    int poolSize,
    List<Cidr> allow,
    Duration readTimeout,
    Duration requestTimeout,
    int maxConnectionsPerSource,
    Duration dbDeadline,
    Duration dbBatchLinger,
    String audioSocketAddress,
    Duration didCacheRefresh,
    String defaultCountryCode,
    int journalMaxBytes) {

  public static final ConfigKey BIND = ConfigKey.of("agi.bind", "127.0.0.1", "address the FastAGI server listens on");
  public static final ConfigKey PORT = ConfigKey.of("agi.port", "4573", "FastAGI port (0 = any free port)");
  public static final ConfigKey POOL_SIZE = ConfigKey.of("agi.pool-size", "500",
      "most AGI requests served at once; a request beyond it is closed unanswered (the dialplan's failure route)");
  public static final ConfigKey ALLOW = ConfigKey.of("agi.allow", "127.0.0.0/8,::1/128",
      "comma-separated address blocks Asterisk may connect from; other connections are closed before any script");
  public static final ConfigKey READ_TIMEOUT = ConfigKey.of("agi.read-timeout", "5s",
      "how long a script waits for Asterisk's next whole line before closing the connection");
  public static final ConfigKey REQUEST_TIMEOUT = ConfigKey.of("agi.request-timeout", "3s",
      "how long a connection may take from its connect to the blank line ending its agi_ headers; Asterisk "
          + "sends them at once, so only a broken or hostile peer is slower");
  public static final ConfigKey MAX_CONNECTIONS_PER_SOURCE = ConfigKey.of("agi.max-connections-per-source", "",
      "most connections one address may hold open at once; more are closed unanswered (default: half of "
          + "agi.pool-size, so one host cannot take the whole pool)");
  public static final ConfigKey DB_DEADLINE = ConfigKey.of("agi.db-deadline", "300ms",
      "database time one AGI request may use; past it inbound answers DEGRADED from the last known DIDs");
  public static final ConfigKey DB_BATCH_LINGER = ConfigKey.of("agi.db-batch-linger", "2ms",
      "under sustained load, how long inbound and call-end requests wait for others to share one database batch "
          + "(0 = never)");
  public static final ConfigKey AUDIOSOCKET_ADDRESS = ConfigKey.of("agi.audiosocket-address", null,
      "host:port Asterisk dials for the conversation of calls this node admits (ASTERLINE_AUDIOSOCKET); unset = "
          + "the AudioSocket server's audiosocket.bind (127.0.0.1 when it is 0.0.0.0 or ::) and the port it listens on");
  public static final ConfigKey DID_CACHE_REFRESH = ConfigKey.of("agi.did-cache-refresh", "30s",
      "how often the in-memory DID -> tenant map used during database outages is reloaded");

  public static final ConfigKey JOURNAL_MAX_BYTES = ConfigKey.of("agi.journal-max-bytes", "100000000",
      "largest size of the journal in <data.dir>/journal holding the writes of calls made during a database outage; "
          + "when full, inbound answers ERROR (the dialplan's failure route) instead of DEGRADED");

  public static final List<ConfigKey> KEYS = List.of(BIND, PORT, POOL_SIZE, ALLOW, READ_TIMEOUT, REQUEST_TIMEOUT,
      MAX_CONNECTIONS_PER_SOURCE, DB_DEADLINE, DB_BATCH_LINGER, AUDIOSOCKET_ADDRESS,
      DID_CACHE_REFRESH, JOURNAL_MAX_BYTES,
      PhoneNumbers.DEFAULT_COUNTRY_CODE);

  public static AgiConfig from(Settings settings) {
    List<Cidr> allow = new ArrayList<>();
    for (String block : settings.list(ALLOW)) {
      try {
        allow.add(Cidr.parse(block));
      } catch (IllegalArgumentException e) {
        throw settings.invalid(ALLOW, "comma-separated IP address blocks such as 127.0.0.0/8,10.1.2.3 ("
            + e.getMessage() + ")");
      }
    }
    if (allow.isEmpty()) {
      throw settings.invalid(ALLOW, "at least one address block (FastAGI has no authentication of its own)");
    }
    Duration readTimeout = settings.duration(READ_TIMEOUT);
    if (readTimeout.toMillis() < 100 || readTimeout.toMillis() > Integer.MAX_VALUE) {
      throw settings.invalid(READ_TIMEOUT, "a duration from 100ms to 24d");
    }
    Duration requestTimeout = settings.duration(REQUEST_TIMEOUT);
    if (requestTimeout.toMillis() < 100 || requestTimeout.toMillis() > Integer.MAX_VALUE) {
      throw settings.invalid(REQUEST_TIMEOUT, "a duration from 100ms to 24d");
    }
    int poolSize = settings.integer(POOL_SIZE, 1, 10_000);
    int perSource = settings.optional(MAX_CONNECTIONS_PER_SOURCE).filter(v -> !v.isBlank()).isPresent()
        ? settings.integer(MAX_CONNECTIONS_PER_SOURCE, 1, 1_000_000)
        : Math.max(1, poolSize / 2);
    Duration deadline = settings.duration(DB_DEADLINE);
    if (deadline.toMillis() < 10) {
      throw settings.invalid(DB_DEADLINE, "at least 10ms");
    }
    Duration linger = settings.duration(DB_BATCH_LINGER);
    if (linger.isNegative() || linger.compareTo(deadline.dividedBy(4)) > 0) {
      throw settings.invalid(DB_BATCH_LINGER,
          "from 0 to a quarter of " + DB_DEADLINE.name() + " (" + deadline.toMillis() + "ms)");
    }
    String audioSocket = settings.optional(AUDIOSOCKET_ADDRESS).orElse(null);
    if (audioSocket != null && !isHostPort(audioSocket)) {
      throw settings.invalid(AUDIOSOCKET_ADDRESS, "host:port with a port from 1 to 65535, e.g. 10.0.0.5:9092 or [::1]:9092");
    }
    Duration refresh = settings.duration(DID_CACHE_REFRESH);
    if (refresh.toMillis() < 1000) {
      throw settings.invalid(DID_CACHE_REFRESH, "at least 1s");
    }
    String countryCode = PhoneNumbers.defaultCountryCode(settings);
    return new AgiConfig(settings.address(BIND), settings.port(PORT), poolSize,
        List.copyOf(allow), readTimeout, requestTimeout, perSource, deadline, linger, audioSocket, refresh, countryCode,
        settings.integer(JOURNAL_MAX_BYTES, 1_000_000, Integer.MAX_VALUE));
  }

  /** This configuration with the AudioSocket address it hands out (the server's own when none was set). */
  public AgiConfig withAudioSocketAddress(String address) {
    return new AgiConfig(bind, port, poolSize, allow, readTimeout, requestTimeout, maxConnectionsPerSource, dbDeadline,
        dbBatchLinger, address, didCacheRefresh, defaultCountryCode, journalMaxBytes);
  }

  /** Asterisk's AudioSocket dial string wants host:port with the port; IPv6 in brackets. */
  static boolean isHostPort(String s) {
    int colon = s.lastIndexOf(':');
    if (colon <= 0 || colon == s.length() - 1) {
      return false;
    }
    String host = s.substring(0, colon);
    String port = s.substring(colon + 1);
    if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
      return false;
    }
    if (host.startsWith("[")) {
      return host.endsWith("]") && host.length() > 2 && host.substring(1, host.length() - 1).matches("[0-9a-fA-F:.]+");
    }
    // the value goes into a dial string: no separators Asterisk would split on
    return host.matches("[A-Za-z0-9.-]+");
  }
}
