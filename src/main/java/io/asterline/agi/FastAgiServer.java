package io.asterline.agi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.asteriskjava.fastagi.AgiScript;
import org.asteriskjava.fastagi.DefaultAgiServer;
import org.asteriskjava.fastagi.MappingStrategy;
import org.asteriskjava.fastagi.SimpleMappingStrategy;
import org.asteriskjava.util.ServerSocketFacade;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * asterisk-java's {@link DefaultAgiServer} with an explicit script map, named threads, and the allow-list
 * socket. One pool thread serves one AGI request for as long as Asterisk keeps it open; our scripts answer
 * and return, so the pool bounds requests in flight, not calls in progress.
 */
public final class FastAgiServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(FastAgiServer.class);

  private final AgiServerSocket socket;
  private final Server server;
  private final Thread acceptor;
  private final InetAddress bind;

  /**
   * Binds now (so a taken port fails the start, naming it) and starts accepting on a background thread.
   *
   * @param scripts URL path -> script, e.g. "inbound" -> InboundScript
   * @param unknown answers any path not in {@code scripts}
   */
  public FastAgiServer(InetAddress bind, int port, int poolSize, List<Cidr> allow, Duration readTimeout,
      Map<String, AgiScript> scripts, AgiScript unknown) {
    this.bind = bind;
    try {
      this.socket = new AgiServerSocket(bind, port, allow, (int) readTimeout.toMillis());
    } catch (IOException e) {
      throw new UncheckedIOException("agi: cannot listen on " + bind.getHostAddress() + ":" + port + " (agi.bind, agi.port): "
          + e.getMessage(), e);
    }
    SimpleMappingStrategy mapping = new SimpleMappingStrategy();
    mapping.setMappings(Map.copyOf(scripts));
    MappingStrategy withFallback = (request, channel) -> {
      AgiScript script = mapping.determineScript(request, channel);
      return script != null ? script : unknown;
    };
    this.server = new Server(withFallback, socket, poolSize);
    // only for the library's own log line; the socket is already bound
    server.setAddress(bind);
    server.setPort(socket.port());
    this.acceptor = new Thread(this::acceptLoop, "agi-accept");
    acceptor.setDaemon(true);
    acceptor.start();
    log.info("agi: FastAGI listening on {}:{}, scripts {}, allowed from {}", bind.getHostAddress(), port(),
        scripts.keySet(), allow);
  }

  private void acceptLoop() {
    try {
      server.startup();
    } catch (IOException | RuntimeException e) {
      log.error("agi: accept loop ended", e);
    }
  }

  public int port() {
    return socket.port();
  }

  public String address() {
    return bind.getHostAddress() + ":" + port();
  }

  /** True while the accept loop runs. */
  public boolean listening() {
    return acceptor.isAlive();
  }

  /** Connections closed unanswered because their address is outside agi.allow. */
  public long refusedConnections() {
    return socket.refused();
  }

  /** AGI requests being served now. */
  public int activeRequests() {
    return Math.max(0, server.getPoolActiveTaskCount());
  }

  /** Stops accepting; requests being served finish on their own (each is short). */
  @Override
  public void close() {
    server.shutdown();
    try {
      acceptor.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static final class Server extends DefaultAgiServer {
    private final AgiServerSocket socket;

    Server(MappingStrategy mapping, AgiServerSocket socket, int poolSize) {
      super("fastagi", mapping, AsterlineAgiChannel::new);
      this.socket = socket;
      setPoolSize(Math.min(16, poolSize));
      setMaximumPoolSize(poolSize);
    }

    @Override
    protected ServerSocketFacade createServerSocket() {
      return socket;
    }

    @Override
    protected ThreadPoolExecutor createPool() {
      AtomicInteger n = new AtomicInteger();
      // no queue, as in the library: a request beyond the pool is closed at once (the dialplan's failure
      // route) rather than left waiting while the caller hears nothing
      return new ThreadPoolExecutor(getPoolSize(), getMaximumPoolSize(), 60, TimeUnit.SECONDS,
          new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "agi-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
    }

    @Override
    public synchronized void shutdown() {
      super.shutdown();
    }
  }
}
