package io.asterline.outbound;

import io.asterline.http.HealthCheck;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.asteriskjava.manager.AuthenticationFailedException;
import org.asteriskjava.manager.DefaultManagerConnection;
import org.asteriskjava.manager.ManagerConnection;
import org.asteriskjava.manager.ManagerConnectionState;
import org.asteriskjava.manager.SendActionCallback;
import org.asteriskjava.manager.TimeoutException;
import org.asteriskjava.manager.action.OriginateAction;
import org.asteriskjava.manager.action.PingAction;
import org.asteriskjava.manager.event.DisconnectEvent;
import org.asteriskjava.manager.event.ManagerEvent;
import org.asteriskjava.manager.event.OriginateResponseEvent;
import org.asteriskjava.manager.response.ManagerError;
import org.asteriskjava.manager.response.ManagerResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one AMI connection (asterisk-java {@link ManagerConnection}), kept up by a named supervisor thread: it
 * logs in at start, pings a quiet connection, and after a loss (Asterisk restarting) reconnects with a fresh
 * connection after an exponential backoff with jitter. asterisk-java's own reconnect loop (fixed 50 ms then
 * 5 s, on an unnamed schedule) is stopped by logging the lost connection off, so there is one policy.
 *
 * <p>The password is handed to asterisk-java only; it answers Asterisk's MD5 challenge with it, so it never
 * crosses the wire, and nothing here prints it.
 */
public final class AmiClient implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(AmiClient.class);

  /** AMI's event class carrying OriginateResponse: the login asks for these events only. */
  private static final String EVENT_MASK = "call";

  /** Hears the originate results; called on asterisk-java's reader thread, so it must return at once. */
  public interface Listener {
    void originateResponse(OriginateResponse response);

    /** The connection was lost: acknowledgements still awaited will never come. */
    void disconnected();
  }

  private final AmiConfig config;
  private volatile Listener listener;
  private final Object signal = new Object();
  private final Thread supervisor;
  private volatile ManagerConnection connection;
  /** A lost connection for the supervisor to log off (never on asterisk-java's reader thread, which reports it). */
  private volatile ManagerConnection stale;
  private volatile HealthCheck.Status status;
  private boolean woken; // guarded by signal
  private volatile boolean closed;

  public AmiClient(AmiConfig config) {
    this.config = config;
    this.status = config.enabled()
        ? new HealthCheck.Status(HealthCheck.State.STARTING, "connecting to " + config.address())
        : HealthCheck.Status.down("not configured: set ASTERISK_AMI_USER and ASTERISK_AMI_PASSWORD for outbound calls");
    this.supervisor = new Thread(this::supervise, "ami-supervisor");
    this.supervisor.setDaemon(true);
  }

  /** Starts connecting in the background (a missing Asterisk does not hold up the start). */
  public AmiClient start(Listener eventListener) {
    this.listener = eventListener;
    if (config.enabled()) {
      supervisor.start();
    }
    return this;
  }

  public boolean connected() {
    ManagerConnection c = connection;
    return c != null && c.getState() == ManagerConnectionState.CONNECTED
        && status.state() == HealthCheck.State.UP;
  }

  /** Why no call can be originated now, when {@link #connected()} is false. */
  public String unavailableReason() {
    return "AMI " + config.address() + " is not connected: " + status.detail();
  }

  public HealthCheck.Status status() {
    return status;
  }

  /**
   * Sends the originate; {@code callback} gets Asterisk's immediate answer on the reader thread.
   *
   * @throws AmiUnavailableException when there is no connection to send it on
   */
  public void originate(OriginateAction action, SendActionCallback callback) {
    ManagerConnection c = connection;
    if (c == null || c.getState() != ManagerConnectionState.CONNECTED) {
      throw new AmiUnavailableException(unavailableReason());
    }
    try {
      c.sendAction(action, callback);
    } catch (IOException | IllegalStateException e) {
      throw new AmiUnavailableException("AMI " + config.address() + " failed while sending: " + e.getMessage());
    }
  }

  /** The non-critical /health part: outbound calls need AMI, inbound calls do not. */
  public HealthCheck health() {
    return new HealthCheck() {
      @Override
      public String name() {
        return "ami";
      }

      @Override
      public boolean critical() {
        return false;
      }

      @Override
      public Status check() {
        return status;
      }
    };
  }

  private void supervise() {
    Duration backoff = config.reconnectMin();
    int failures = 0;
    while (!closed) {
      ManagerConnection old = stale;
      if (old != null) {
        stale = null;
        discard(old);
      }
      ManagerConnection c = connection;
      if (c != null && c.getState() == ManagerConnectionState.CONNECTED) {
        if (status.state() != HealthCheck.State.UP) {
          // asterisk-java reconnected by itself before it could be stopped: keep that connection
          up(c);
        }
        if (!await(config.pingInterval()) && !closed) {
          ping(c);
        }
        continue;
      }
      if (c != null) {
        discard(c);
        connection = null;
      }
      Optional<String> failure = connect();
      if (failure.isEmpty()) {
        failures = 0;
        backoff = config.reconnectMin();
        continue;
      }
      failures++;
      status = HealthCheck.Status.down(failure.get() + "; attempt " + failures + ", next in "
          + backoff.toMillis() + "ms");
      if (failures == 1 || failures % 20 == 0) {
        log.warn("ami: cannot log in to {}: {} (attempt {}, retrying with backoff up to {}ms)", config.address(),
            failure.get(), failures, config.reconnectMax().toMillis());
      } else {
        log.debug("ami: attempt {} failed: {}", failures, failure.get());
      }
      await(jitter(backoff));
      backoff = backoff.multipliedBy(2).compareTo(config.reconnectMax()) > 0
          ? config.reconnectMax() : backoff.multipliedBy(2);
    }
    for (ManagerConnection last : new ManagerConnection[] {connection, stale}) {
      if (last != null) {
        discard(last);
      }
    }
    connection = null;
    stale = null;
  }

  /** Empty on success, else why it failed (never containing the password). */
  private Optional<String> connect() {
    DefaultManagerConnection c = new DefaultManagerConnection(config.host(), config.port(), config.user().orElseThrow(),
        config.password().orElseThrow());
    c.setDefaultResponseTimeout(config.responseTimeout().toMillis());
    c.setSocketTimeout((int) config.responseTimeout().toMillis());
    c.setKeepAliveAfterAuthenticationFailure(false);
    c.addEventListener(event -> onEvent(c, event));
    try {
      c.login(EVENT_MASK);
    } catch (AuthenticationFailedException e) {
      return Optional.of("login to " + config.address() + " refused (check ASTERISK_AMI_USER / "
          + "ASTERISK_AMI_PASSWORD and manager.conf): " + e.getMessage());
    } catch (IOException | TimeoutException | RuntimeException e) {
      discard(c);
      return Optional.of("cannot reach " + config.address() + ": " + e.getMessage());
    }
    synchronized (signal) {
      if (closed) {
        discard(c);
        return Optional.empty();
      }
      connection = c;
    }
    up(c);
    return Optional.empty();
  }

  private void up(ManagerConnection c) {
    status = HealthCheck.Status.up("connected to " + config.address() + " (" + c.getProtocolIdentifier() + ")");
    log.info("ami: connected to {} as {} ({})", config.address(), config.user().orElse(""), c.getProtocolIdentifier());
  }

  private void ping(ManagerConnection c) {
    try {
      ManagerResponse r = c.sendAction(new PingAction(), config.responseTimeout().toMillis());
      if (r instanceof ManagerError) {
        lost(c, "ping refused: " + r.getMessage());
      }
    } catch (IOException | TimeoutException | IllegalStateException e) {
      lost(c, "ping unanswered: " + e.getMessage());
    }
  }

  private void onEvent(ManagerConnection c, ManagerEvent event) {
    if (event instanceof OriginateResponseEvent e) {
      callId(e).ifPresentOrElse(
          id -> listener.originateResponse(new OriginateResponse(id, e.getReason() == null ? 0 : e.getReason(),
              e.getChannel())),
          () -> log.debug("ami: OriginateResponse for a channel Asterline did not originate ({})", e.getUniqueId()));
    } else if (event instanceof DisconnectEvent) {
      lost(c, "connection lost");
    }
  }

  private void lost(ManagerConnection c, String why) {
    if (c != connection || closed) {
      return;
    }
    status = HealthCheck.Status.down(why + " (" + config.address() + "); reconnecting");
    log.warn("ami: {} to {}; reconnecting", why, config.address());
    // the next supervisor round replaces this connection even if asterisk-java revives it meanwhile
    synchronized (signal) {
      if (connection == c) {
        connection = null;
        stale = c;
      }
    }
    listener.disconnected();
    wake();
  }

  /** Our ActionID is the call id (asterisk-java strips its own prefix); the ChannelId we set is the fallback. */
  private static Optional<UUID> callId(OriginateResponseEvent e) {
    for (String candidate : new String[] {e.getActionId(), e.getUniqueId()}) {
      if (candidate != null) {
        try {
          return Optional.of(UUID.fromString(candidate.trim()));
        } catch (IllegalArgumentException notOurs) {
          // try the next
        }
      }
    }
    return Optional.empty();
  }

  private void discard(ManagerConnection c) {
    ManagerConnectionState state = c.getState();
    if (state == ManagerConnectionState.CONNECTED || state == ManagerConnectionState.RECONNECTING) {
      try {
        // also ends asterisk-java's own reconnect loop, which runs while the state is RECONNECTING
        c.logoff();
      } catch (RuntimeException e) {
        log.debug("ami: logoff: {}", e.toString());
      }
    }
  }

  /** Waits up to {@code d}; true when woken early (a loss, or close). */
  private boolean await(Duration d) {
    long deadline = System.nanoTime() + d.toNanos();
    synchronized (signal) {
      while (!woken && !closed) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        try {
          signal.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return true;
        }
      }
      woken = false;
      return true;
    }
  }

  private void wake() {
    synchronized (signal) {
      woken = true;
      signal.notifyAll();
    }
  }

  private static Duration jitter(Duration d) {
    // nodes that lost the same Asterisk should not all knock again in the same millisecond
    double factor = 0.8 + ThreadLocalRandom.current().nextDouble() * 0.4;
    return Duration.ofNanos((long) (d.toNanos() * factor));
  }

  @Override
  public void close() {
    synchronized (signal) {
      closed = true;
      signal.notifyAll();
    }
    status = new HealthCheck.Status(HealthCheck.State.STOPPING, "stopped");
    if (supervisor.isAlive()) {
      try {
        supervisor.join(config.responseTimeout().toMillis() * 3 + 1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    ManagerConnection last = connection;
    connection = null;
    if (last != null) {
      discard(last);
    }
  }
}
