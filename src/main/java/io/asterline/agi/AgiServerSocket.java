package io.asterline.agi;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.asteriskjava.util.ServerSocketFacade;
import org.asteriskjava.util.SocketConnectionFacade;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening socket handed to asterisk-java's accept loop. FastAGI has no authentication, so a connection
 * from outside {@code agi.allow} is closed here, before the library reads a line or runs any script.
 */
final class AgiServerSocket implements ServerSocketFacade {

  private static final Logger log = LoggerFactory.getLogger(AgiServerSocket.class);
  private static final int BACKLOG = 200;

  private final ServerSocket server;
  private final List<Cidr> allow;
  private volatile int readTimeoutMillis;
  private final AtomicLong refused = new AtomicLong();

  AgiServerSocket(InetAddress bind, int port, List<Cidr> allow, int readTimeoutMillis) throws IOException {
    this.allow = List.copyOf(allow);
    this.readTimeoutMillis = readTimeoutMillis;
    this.server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(bind, port), BACKLOG);
  }

  int port() {
    return server.getLocalPort();
  }

  long refused() {
    return refused.get();
  }

  boolean allowed(InetAddress address) {
    for (Cidr block : allow) {
      if (block.contains(address)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public SocketConnectionFacade accept() throws IOException {
    while (true) {
      Socket socket = server.accept();
      InetAddress peer = socket.getInetAddress();
      if (!allowed(peer)) {
        refused.incrementAndGet();
        log.warn("agi: refused a connection from {} (not in agi.allow {})", peer.getHostAddress(), allow);
        closeQuietly(socket);
        continue;
      }
      try {
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(readTimeoutMillis);
        return new AgiSocket(socket);
      } catch (IOException e) {
        log.debug("agi: connection from {} broke before it started: {}", peer.getHostAddress(), e.getMessage());
        closeQuietly(socket);
      }
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }

  /** Called by the library with its own default; our configured timeout wins unless none is set. */
  @Override
  public void setSocketReadTimeout(int millis) {
    if (readTimeoutMillis <= 0) {
      readTimeoutMillis = millis;
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing was said on it
    }
  }
}
