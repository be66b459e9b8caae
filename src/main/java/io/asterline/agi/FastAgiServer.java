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
import org.asteriskjava.fastagi.MappingStrategy;
import org.asteriskjava.fastagi.internal.FastAgiConnectionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FastAGI server: our {@link AgiAcceptor} reads each request's head without a thread, then asterisk-java's
 * connection handler runs the script from an explicit map on a named pool thread. One pool thread serves one
 * AGI request for as long as Asterisk keeps it open; our scripts answer and return, so the pool bounds requests
 * in flight, not calls in progress.
 */
public final class FastAgiServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(FastAgiServer.class);

  /**
   * Longest line accepted from a peer, in bytes. Asterisk's own are far shorter: res_agi reads our commands into
   * a 2048-byte buffer (AGI_BUF_LEN), and its request lines and replies carry channel names, numbers and
   * variable values of a few hundred bytes at most.
   */
  public static final int MAX_LINE = 8192;

  /**
   * What a peer may cost the server.
   *
   * @param allow address blocks that may connect at all
   * @param readTimeout how long a script waits for each whole line from Asterisk
   * @param requestTimeout how long a connection may take from its accept to the blank line ending its head
   * @param maxPerSource connections one address may hold open at once (heads being read and requests served)
   * @param maxLine longest line accepted, in bytes, without its line end
   */
  public record Limits(List<Cidr> allow, Duration readTimeout, Duration requestTimeout, int maxPerSource,
      int maxLine) {
    public Limits {
      allow = List.copyOf(allow);
    }
  }

  private final AgiAcceptor acceptor;
  private final ThreadPoolExecutor pool;
  private final InetAddress bind;

  /**
   * Binds now (so a taken port fails the start, naming it) and starts accepting on a background thread.
   *
   * @param scripts URL path -> script, e.g. "inbound" -> InboundScript
   * @param unknown answers any path not in {@code scripts}, and a request that names no script
   */
  public FastAgiServer(InetAddress bind, int port, int poolSize, Limits limits, Map<String, AgiScript> scripts,
      AgiScript unknown) {
    this.bind = bind;
    Map<String, AgiScript> map = Map.copyOf(scripts);
    MappingStrategy mapping = (request, channel) -> {
      // a request without agi_network_script has no name to look up (Map.copyOf's maps reject null keys)
      String name = request.getScript();
      AgiScript script = name == null ? null : map.get(name);
      return script != null ? script : unknown;
    };
    AtomicInteger n = new AtomicInteger();
    // no queue, as in asterisk-java: a request beyond the pool is closed at once (the dialplan's failure
    // route) rather than left waiting while the caller hears nothing
    this.pool = new ThreadPoolExecutor(Math.min(16, poolSize), poolSize, 60, TimeUnit.SECONDS,
        new SynchronousQueue<>(), r -> {
          Thread t = new Thread(r, "agi-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    try {
      this.acceptor = new AgiAcceptor(bind, port, limits,
          socket -> pool.execute(new FastAgiConnectionHandler(mapping, socket, AsterlineAgiChannel::new)));
    } catch (IOException e) {
      pool.shutdownNow();
      throw new UncheckedIOException("agi: cannot listen on " + bind.getHostAddress() + ":" + port + " (agi.bind, agi.port): "
          + e.getMessage(), e);
    }
    acceptor.start();
    log.info("agi: FastAGI listening on {}:{}, scripts {}, allowed from {}, at most {} connections per address",
        bind.getHostAddress(), port(), scripts.keySet(), limits.allow(), limits.maxPerSource());
  }

  public int port() {
    return acceptor.port();
  }

  public String address() {
    return bind.getHostAddress() + ":" + port();
  }

  /** True while the accept loop runs. */
  public boolean listening() {
    return acceptor.running();
  }

  /**
   * Connections closed before any script: outside agi.allow, over agi.max-connections-per-source, a head not
   * complete within agi.request-timeout, not FastAGI, or no pool thread free.
   */
  public long refusedConnections() {
    return acceptor.refused();
  }

  /** Connections open now: heads being read and requests being served. */
  public int openConnections() {
    return acceptor.openConnections();
  }

  /** AGI requests being served now. */
  public int activeRequests() {
    return pool.getActiveCount();
  }

  /** Stops accepting; requests being served finish on their own (each is short). */
  @Override
  public void close() {
    acceptor.close();
    pool.shutdown();
  }
}
