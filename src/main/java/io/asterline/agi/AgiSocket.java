package io.asterline.agi;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.asteriskjava.util.SocketConnectionFacade;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One FastAGI connection as asterisk-java's reader and writer use it: lines in, lines out. It starts with the
 * request head the {@link AgiAcceptor} already read, so the library's request parsing never waits on the peer.
 *
 * <p>Each line must arrive whole within the read timeout and be at most {@code maxLine} bytes: a peer trickling
 * a byte at a time, or sending a line without end, cannot hold the thread longer or grow the heap. Once a read
 * has timed out or failed the connection is closed and every later read or write fails at once, so the
 * library's own status write after a script does not wait a second read timeout on a silent peer.
 */
final class AgiSocket implements SocketConnectionFacade {

  private static final Logger log = LoggerFactory.getLogger(AgiSocket.class);

  private final SocketChannel channel;
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final int maxLine;
  private final long readTimeoutNanos;
  private final Runnable onClose;
  private final InetAddress remote;
  private final int remotePort;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final byte[] buf;
  private int pos;
  private int limit;
  private volatile boolean broken;

  /**
   * @param channel a connected channel in blocking mode
   * @param head bytes already read from it (the request head, and whatever followed in the same reads)
   * @param onClose runs once when the connection is closed (frees its place in the per-source count)
   */
  AgiSocket(SocketChannel channel, byte[] head, int headLength, int maxLine, long readTimeoutMillis,
      Runnable onClose) throws IOException {
    this.channel = channel;
    this.socket = channel.socket();
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    this.maxLine = maxLine;
    this.readTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(readTimeoutMillis);
    this.onClose = onClose;
    // kept: a closed channel no longer knows its peer, and the log lines after a failure want it
    this.remote = socket.getInetAddress();
    this.remotePort = socket.getPort();
    // a line, its CR LF, and room to read on; or the whole head if that is larger
    this.buf = new byte[Math.max(maxLine + 2 + 512, headLength)];
    System.arraycopy(head, 0, buf, 0, headLength);
    this.limit = headLength;
  }

  /**
   * The next line without its line end; null at end of stream, which the library reads as a hangup.
   *
   * @throws SocketTimeoutException when the whole line did not arrive within the read timeout
   * @throws IOException when the line is longer than the limit, or the connection broke earlier
   */
  @Override
  public String readLine() throws IOException {
    if (broken) {
      throw new IOException("connection closed after an earlier read failed");
    }
    long deadline = System.nanoTime() + readTimeoutNanos;
    int scanned = pos;
    while (true) {
      for (int i = scanned; i < limit; i++) {
        if (buf[i] == '\n') {
          int end = i > pos && buf[i - 1] == '\r' ? i - 1 : i;
          String line = new String(buf, pos, end - pos, StandardCharsets.UTF_8);
          pos = i + 1;
          return line;
        }
      }
      if (limit - pos > maxLine + 1) {
        fail();
        log.warn("agi: {} sent a line longer than {} bytes; closing the connection",
            getRemoteAddress().getHostAddress(), maxLine);
        throw new IOException("line longer than " + maxLine + " bytes");
      }
      if (pos > 0 && limit == buf.length) {
        System.arraycopy(buf, pos, buf, 0, limit - pos);
        limit -= pos;
        pos = 0;
      }
      scanned = limit;
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        fail();
        throw new SocketTimeoutException("no whole line within the read timeout");
      }
      int n;
      try {
        socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        n = in.read(buf, limit, buf.length - limit);
      } catch (IOException e) {
        fail();
        throw e;
      }
      if (n < 0) {
        if (limit == pos) {
          return null;
        }
        String last = new String(buf, pos, limit - pos, StandardCharsets.UTF_8);
        pos = limit;
        return last;
      }
      limit += n;
    }
  }

  private void fail() {
    broken = true;
    close();
  }

  @Override
  public void write(String s) throws IOException {
    if (broken) {
      throw new IOException("connection closed after an earlier read failed");
    }
    out.write(s.getBytes(StandardCharsets.UTF_8));
  }

  /** Each write goes straight to the channel; the library writes a command as one string. */
  @Override
  public void flush() {
    // nothing buffered
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // closing is all we wanted
      } finally {
        onClose.run();
      }
    }
  }

  @Override
  public boolean isConnected() {
    return channel.isConnected() && channel.isOpen();
  }

  @Override
  public InetAddress getLocalAddress() {
    return socket.getLocalAddress();
  }

  @Override
  public int getLocalPort() {
    return socket.getLocalPort();
  }

  @Override
  public InetAddress getRemoteAddress() {
    return remote;
  }

  @Override
  public int getRemotePort() {
    return remotePort;
  }
}
