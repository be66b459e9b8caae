package io.asterline.agi;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts FastAGI connections and reads each request's head (the {@code agi_*} lines up to the blank line) on
 * one thread with non-blocking sockets, so that a pool thread is only ever taken by a complete request. A peer
 * that sends its head slowly (one byte every few seconds), never finishes it, or sends a line without end costs
 * a buffer here, not a thread, and is closed when {@code agi.request-timeout} runs out.
 *
 * <p>Before any byte is read a connection must come from an address in {@code agi.allow} (FastAGI has no
 * authentication) and that address must hold fewer than {@code agi.max-connections-per-source} connections,
 * so one host cannot take the whole pool. Refusals are logged at most once per address and minute.
 *
 * <p>A head without a single {@code agi_} line is not Asterisk: it is answered
 * {@code SET VARIABLE ASTERLINE_STATUS ERROR} (what the dialplan acts on, should it be a confused Asterisk) and
 * closed, without a script and without a pool thread. So is a line longer than {@code maxLine}.
 */
final class AgiAcceptor implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(AgiAcceptor.class);
  private static final int BACKLOG = 200;
  /** What a refused request hears: the dialplan's failure route, as for any script's ERROR. */
  private static final byte[] ERROR_ANSWER = ("SET VARIABLE " + AgiVariables.STATUS + " " + AgiStatus.ERROR + "\n")
      .getBytes(StandardCharsets.US_ASCII);
  /** After answering a bad head, input read and dropped before closing (so the answer is not lost to a reset). */
  private static final int DRAIN_BYTES = 64 * 1024;

  private final ServerSocketChannel server;
  private final Selector selector;
  private final FastAgiServer.Limits limits;
  private final Consumer<AgiSocket> handoff;
  private final RefusalLog refusals = new RefusalLog(log, "agi");
  private final ConcurrentHashMap<InetAddress, Integer> perSource = new ConcurrentHashMap<>();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicInteger open = new AtomicInteger();
  /** Heads being read, oldest first: all share one timeout, so the first one is always the next to expire. */
  private final ArrayDeque<Head> reading = new ArrayDeque<>();
  private final List<Head> complete = new ArrayList<>();
  private final int maxHead;
  private final long requestTimeoutNanos;
  private final Thread thread;
  private volatile boolean running = true;

  /** A head being read. Only the acceptor's thread touches it. */
  private final class Head {
    final SocketChannel channel;
    final InetAddress source;
    final long deadline;
    SelectionKey key;
    ByteBuffer buf = ByteBuffer.allocate(1024);
    int lineStart;
    int scanned;
    boolean agiLine;
    boolean done;
    boolean closed;
    /** Answered ERROR: input is read and dropped until EOF, DRAIN_BYTES or the deadline. */
    boolean draining;
    int drained;

    Head(SocketChannel channel, InetAddress source, long deadline) {
      this.channel = channel;
      this.source = source;
      this.deadline = deadline;
    }
  }

  /**
   * Binds now (a taken port fails the start); {@link #start()} begins accepting.
   *
   * @param handoff takes a complete request; throws RejectedExecutionException when no thread is free
   */
  AgiAcceptor(InetAddress bind, int port, FastAgiServer.Limits limits, Consumer<AgiSocket> handoff)
      throws IOException {
    this.limits = limits;
    this.handoff = handoff;
    this.maxHead = 4 * limits.maxLine();
    this.requestTimeoutNanos = limits.requestTimeout().toNanos();
    this.selector = Selector.open();
    try {
      this.server = ServerSocketChannel.open();
      server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      server.bind(new InetSocketAddress(bind, port), BACKLOG);
      server.configureBlocking(false);
      server.register(selector, SelectionKey.OP_ACCEPT);
    } catch (IOException e) {
      selector.close();
      throw e;
    }
    this.thread = new Thread(this::run, "agi-accept");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  int port() {
    return server.socket().getLocalPort();
  }

  boolean running() {
    return thread.isAlive();
  }

  /** Connections refused before any script: outside agi.allow, over the per-source limit, or no thread free. */
  long refused() {
    return refused.get();
  }

  /** Connections open now, heads being read and requests being served. */
  int openConnections() {
    return open.get();
  }

  private void run() {
    boolean moreSelected = false;
    while (running) {
      try {
        if (moreSelected) {
          selector.selectNow();
        } else {
          selector.select(nextWaitMillis());
        }
        for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); ) {
          SelectionKey key = it.next();
          it.remove();
          if (!key.isValid()) {
            continue;
          }
          if (key.isAcceptable()) {
            acceptAll();
          } else if (key.isReadable()) {
            read((Head) key.attachment());
          }
        }
        expire();
        moreSelected = false;
        if (!complete.isEmpty()) {
          // a channel goes back to blocking mode only once the selector has let go of it; this selectNow is that
          selector.selectNow();
          moreSelected = !selector.selectedKeys().isEmpty();
          for (Head h : complete) {
            handOff(h);
          }
          complete.clear();
        }
      } catch (IOException | RuntimeException e) {
        if (running) {
          log.error("agi: accept loop failed; going on", e);
        }
      }
    }
    for (Head h : reading) {
      if (!h.done) {
        closeHead(h);
      }
    }
    reading.clear();
    try {
      selector.close();
    } catch (IOException ignored) {
      // stopping anyway
    }
  }

  private long nextWaitMillis() {
    for (Head h : reading) {
      if (!h.done) {
        return Math.max(1, (h.deadline - System.nanoTime()) / 1_000_000 + 1);
      }
    }
    return 0;
  }

  private void acceptAll() throws IOException {
    SocketChannel ch;
    while ((ch = server.accept()) != null) {
      InetAddress source = ((InetSocketAddress) ch.getRemoteAddress()).getAddress();
      if (!allowed(source)) {
        refuse(ch, source, "not in agi.allow " + limits.allow());
        continue;
      }
      if (perSource.merge(source, 1, Integer::sum) > limits.maxPerSource()) {
        release(source);
        refuse(ch, source, "already " + limits.maxPerSource() + " connections open, agi.max-connections-per-source");
        continue;
      }
      open.incrementAndGet();
      Head h = new Head(ch, source, System.nanoTime() + requestTimeoutNanos);
      try {
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        h.key = ch.register(selector, SelectionKey.OP_READ, h);
        reading.add(h);
      } catch (IOException e) {
        log.debug("agi: connection from {} broke before it started: {}", source.getHostAddress(), e.getMessage());
        closeHead(h);
      }
    }
  }

  private boolean allowed(InetAddress address) {
    for (Cidr block : limits.allow()) {
      if (block.contains(address)) {
        return true;
      }
    }
    return false;
  }

  private void refuse(SocketChannel ch, InetAddress source, String reason) {
    refused.incrementAndGet();
    refusals.refused(source, reason);
    try {
      ch.close();
    } catch (IOException ignored) {
      // nothing was said on it
    }
  }

  private void read(Head h) {
    try {
      if (h.draining) {
        drain(h);
        return;
      }
      while (true) {
        if (!h.buf.hasRemaining()) {
          if (h.buf.capacity() >= maxHead) {
            badHead(h, "a request head longer than " + maxHead + " bytes");
            return;
          }
          ByteBuffer bigger = ByteBuffer.allocate(Math.min(maxHead, h.buf.capacity() * 2));
          h.buf.flip();
          bigger.put(h.buf);
          h.buf = bigger;
        }
        int n = h.channel.read(h.buf);
        if (n < 0) {
          log.debug("agi: {} closed before the end of its request head", h.source.getHostAddress());
          closeHead(h);
          return;
        }
        if (n == 0) {
          return;
        }
        if (scan(h)) {
          return;
        }
      }
    } catch (IOException e) {
      log.debug("agi: reading a request head from {} failed: {}", h.source.getHostAddress(), e.getMessage());
      closeHead(h);
    }
  }

  /** Looks for the blank line; true when the head is settled (complete or refused). */
  private boolean scan(Head h) throws IOException {
    byte[] a = h.buf.array();
    int end = h.buf.position();
    for (int i = h.scanned; i < end; i++) {
      if (a[i] != '\n') {
        continue;
      }
      int len = i - h.lineStart;
      if (len > 0 && a[i - 1] == '\r') {
        len--;
      }
      if (len > limits.maxLine()) {
        badHead(h, "a line longer than " + limits.maxLine() + " bytes");
        return true;
      }
      if (len == 0) {
        h.scanned = i + 1;
        if (!h.agiLine) {
          badHead(h, "not a FastAGI request (no agi_ lines)");
        } else {
          h.done = true;
          h.key.cancel();
          complete.add(h);
        }
        return true;
      }
      if (len >= 4 && a[h.lineStart] == 'a' && a[h.lineStart + 1] == 'g' && a[h.lineStart + 2] == 'i'
          && a[h.lineStart + 3] == '_') {
        h.agiLine = true;
      }
      h.lineStart = i + 1;
    }
    h.scanned = end;
    if (end - h.lineStart > limits.maxLine() + 1) {
      badHead(h, "a line longer than " + limits.maxLine() + " bytes");
      return true;
    }
    return false;
  }

  /** Answers ERROR, stops sending, and reads a little more so the answer is not destroyed by a reset. */
  private void badHead(Head h, String what) throws IOException {
    refused.incrementAndGet();
    refusals.refused(h.source, "sent " + what + "; answered " + AgiVariables.STATUS + "=" + AgiStatus.ERROR);
    h.buf = null;
    h.draining = true;
    // a fresh socket's send buffer takes these few bytes at once; if not, the peer is not reading anyway
    h.channel.write(ByteBuffer.wrap(ERROR_ANSWER));
    h.channel.shutdownOutput();
    drain(h);
  }

  private void drain(Head h) throws IOException {
    ByteBuffer sink = ByteBuffer.allocate(4096);
    while (true) {
      sink.clear();
      int n = h.channel.read(sink);
      if (n < 0 || (h.drained += Math.max(n, 0)) > DRAIN_BYTES) {
        closeHead(h);
        return;
      }
      if (n == 0) {
        return;
      }
    }
  }

  private void expire() {
    long now = System.nanoTime();
    while (!reading.isEmpty()) {
      Head h = reading.peekFirst();
      if (h.done) {
        reading.pollFirst();
      } else if (now - h.deadline >= 0) {
        reading.pollFirst();
        if (!h.draining) {
          refused.incrementAndGet();
          refusals.refused(h.source, "request head not complete within agi.request-timeout "
              + limits.requestTimeout().toMillis() + "ms");
        }
        closeHead(h);
      } else {
        return;
      }
    }
  }

  private void handOff(Head h) {
    AgiSocket socket;
    try {
      h.channel.configureBlocking(true);
      socket = new AgiSocket(h.channel, h.buf.array(), h.buf.position(), limits.maxLine(),
          limits.readTimeout().toMillis(), () -> closed(h.source));
    } catch (IOException | RuntimeException e) {
      log.debug("agi: connection from {} broke before its request was served: {}", h.source.getHostAddress(),
          e.getMessage());
      closeHead(h);
      return;
    }
    h.buf = null;
    try {
      handoff.accept(socket);
    } catch (RejectedExecutionException e) {
      refused.incrementAndGet();
      refusals.refused(h.source, "all agi.pool-size threads busy");
      socket.close();
    }
  }

  private void closeHead(Head h) {
    if (h.closed) {
      return;
    }
    h.closed = true;
    h.done = true;
    h.buf = null;
    try {
      h.channel.close();
    } catch (IOException ignored) {
      // closing is all we wanted
    }
    closed(h.source);
  }

  private void closed(InetAddress source) {
    open.decrementAndGet();
    release(source);
  }

  private void release(InetAddress source) {
    perSource.computeIfPresent(source, (a, n) -> n <= 1 ? null : n - 1);
  }

  @Override
  public void close() {
    running = false;
    try {
      server.close();
    } catch (IOException ignored) {
      // stopping anyway
    }
    selector.wakeup();
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
