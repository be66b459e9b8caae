package io.asterline.agi;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.asteriskjava.util.SocketConnectionFacade;

/**
 * One FastAGI connection as asterisk-java's reader and writer use it: lines in, lines out. Our own because
 * the library's implementation can only be made by its own server socket, which hides the port it bound.
 */
final class AgiSocket implements SocketConnectionFacade {

  private final Socket socket;
  private final BufferedReader in;
  private final BufferedWriter out;

  AgiSocket(Socket socket) throws IOException {
    this.socket = socket;
    // AGI lines are short and a request is a few dozen of them: small buffers, allocated per connection
    this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8), 2048);
    this.out = new BufferedWriter(new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.UTF_8), 1024);
  }

  /** The next line without its line end; null at end of stream, which the library reads as a hangup. */
  @Override
  public String readLine() throws IOException {
    return in.readLine();
  }

  @Override
  public void write(String s) throws IOException {
    out.write(s);
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  @Override
  public boolean isConnected() {
    return socket.isConnected() && !socket.isClosed();
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
    return socket.getInetAddress();
  }

  @Override
  public int getRemotePort() {
    return socket.getPort();
  }
}
