package io.asterline.outbound;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * Stands in for Asterisk's manager interface, speaking its text protocol over a real socket on 127.0.0.1 and an
 * ephemeral port: the banner, then packets of {@code Key: Value} lines ending with an empty line. It answers
 * what asterisk-java sends at login (Challenge, Login with the MD5 key, CoreSettings, Command), Ping, Logoff
 * and Originate (the immediate response; the OriginateResponse event when the test sends it), and
 * {@code Response: Error} to anything else, as Asterisk does.
 */
public final class FakeAmi implements AutoCloseable {

  /** One AMI packet as received: its headers in order (repeated ones kept), and when it arrived. */
  public record Packet(List<Map.Entry<String, String>> headers, long receivedNanos, Connection from) {

    /** The first value of a header, case-insensitively as Asterisk reads them. */
    public String get(String name) {
      return headers.stream().filter(h -> h.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue)
          .findFirst().orElse(null);
    }

    public List<String> all(String name) {
      return headers.stream().filter(h -> h.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).toList();
    }

    public String action() {
      return get("Action");
    }
  }

  /** One client connection. */
  public final class Connection {
    final Socket socket;
    final OutputStream out;
    String challenge;

    Connection(Socket socket) throws IOException {
      this.socket = socket;
      this.out = socket.getOutputStream();
    }

    synchronized void write(String text) throws IOException {
      out.write(text.getBytes(StandardCharsets.UTF_8));
      out.flush();
    }
  }

  public static final String BANNER = "Asterisk Call Manager/7.0.0";

  private final String user;
  private final String password;
  private final int fixedPort;
  private volatile ServerSocket server;
  private final List<Connection> connections = new CopyOnWriteArrayList<>();
  private final BlockingQueue<Packet> originates = new LinkedBlockingQueue<>();
  private final List<Packet> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger logins = new AtomicInteger();
  private volatile boolean muted;
  private final AtomicInteger connectionCount = new AtomicInteger();
  /** Answer to an Originate: empty = success, else the error message. */
  private final AtomicReference<Function<Packet, Optional<String>>> originateAnswer =
      new AtomicReference<>(p -> Optional.empty());

  private FakeAmi(String user, String password, int port) {
    this.user = user;
    this.password = password;
    this.fixedPort = port;
  }

  public static FakeAmi start(String user, String password) throws IOException {
    return start(user, password, 0);
  }

  /** On a given port (0 = any), e.g. to come back where a stopped one was. */
  public static FakeAmi start(String user, String password, int port) throws IOException {
    FakeAmi ami = new FakeAmi(user, password, port);
    ami.listen();
    return ami;
  }

  private void listen() throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), fixedPort));
    server = s;
    Thread accept = new Thread(() -> accept(s), "fake-ami-accept");
    accept.setDaemon(true);
    accept.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  /** How Originate is answered from now on: empty = "Originate successfully queued", else Response: Error. */
  public void answerOriginate(Function<Packet, Optional<String>> answer) {
    originateAnswer.set(answer);
  }

  /** The next Originate received, or null after the timeout. */
  public Packet nextOriginate(long timeout, TimeUnit unit) throws InterruptedException {
    return originates.poll(timeout, unit);
  }

  public int originatesWaiting() {
    return originates.size();
  }

  public List<Packet> received() {
    return List.copyOf(received);
  }

  public int logins() {
    return logins.get();
  }

  public int connectionsAccepted() {
    return connectionCount.get();
  }

  /** Client connections open right now. */
  public int liveConnections() {
    return connections.size();
  }

  /** While muted, actions are read but never answered: an Asterisk that hangs without closing the socket. */
  public void mute(boolean on) {
    muted = on;
  }

  /** Sends the OriginateResponse event for an Originate, on the connection it came from, as Asterisk 20 does. */
  public void originateResponse(Packet originate, int reason) throws IOException {
    String channelId = originate.get("ChannelId");
    String event = "Event: OriginateResponse\r\n"
        + "Privilege: call,all\r\n"
        + "ActionID: " + originate.get("ActionID") + "\r\n"
        + "Response: " + (reason == 4 ? "Success" : "Failure") + "\r\n"
        + "Channel: " + originate.get("Channel") + "\r\n"
        + "Context: " + originate.get("Context") + "\r\n"
        + "Exten: " + originate.get("Exten") + "\r\n"
        + "Application: \r\n"
        + "Data: \r\n"
        + "Reason: " + reason + "\r\n"
        + "Uniqueid: " + (channelId == null ? "<unknown>" : channelId) + "\r\n"
        + "CallerIDNum: " + originate.get("CallerID") + "\r\n"
        + "CallerIDName: <unknown>\r\n"
        + "\r\n";
    originate.from().write(event);
  }

  /** Closes every client connection, as an Asterisk restart does; the listener stays. */
  public void dropConnections() {
    for (Connection c : connections) {
      closeQuietly(c.socket);
    }
    connections.clear();
  }

  /** Stops listening and drops everyone: Asterisk is down. */
  public void stop() {
    stopped = true;
    closeQuietly(server);
    dropConnections();
  }

  /**
   * Set before the listener closes: a connection the kernel completed while it was closing (a client reconnecting
   * at once) can still come out of accept(), and must be dropped, not served, or "Asterisk" is still up.
   */
  private volatile boolean stopped;

  @Override
  public void close() {
    stop();
  }

  private void accept(ServerSocket s) {
    while (!s.isClosed()) {
      try {
        Socket socket = s.accept();
        connectionCount.incrementAndGet();
        Connection c = new Connection(socket);
        connections.add(c);
        if (stopped) {
          // added first, checked second: either stop() saw it in connections or this sees stopped
          closeQuietly(socket);
          connections.remove(c);
          return;
        }
        Thread t = new Thread(() -> serve(c), "fake-ami-conn-" + connectionCount.get());
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Connection c) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(c.socket.getInputStream(),
        StandardCharsets.UTF_8))) {
      c.write(BANNER + "\r\n");
      List<Map.Entry<String, String>> headers = new ArrayList<>();
      String line;
      while ((line = in.readLine()) != null) {
        if (line.isEmpty()) {
          if (!headers.isEmpty()) {
            Packet p = new Packet(List.copyOf(headers), System.nanoTime(), c);
            headers.clear();
            received.add(p);
            if (muted) {
              continue;
            }
            if (!handle(c, p)) {
              break;
            }
          }
          continue;
        }
        int colon = line.indexOf(':');
        if (colon > 0) {
          headers.add(Map.entry(line.substring(0, colon).trim(), line.substring(colon + 1).trim()));
        }
      }
    } catch (IOException e) {
      // the client went away, or the test dropped it
    } finally {
      connections.remove(c);
      closeQuietly(c.socket);
    }
  }

  /** False when the connection must be closed afterwards. */
  private boolean handle(Connection c, Packet p) throws IOException {
    String id = p.get("ActionID");
    String action = p.action() == null ? "" : p.action().toLowerCase(Locale.ROOT);
    switch (action) {
      case "challenge" -> {
        c.challenge = Long.toString(100_000_000L + (System.nanoTime() & 0x3fffffffL));
        c.write(response("Success", id, "Challenge: " + c.challenge));
      }
      case "login" -> {
        boolean ok = user.equals(p.get("Username")) && c.challenge != null
            && md5(c.challenge + password).equalsIgnoreCase(String.valueOf(p.get("Key")));
        if (!ok) {
          // Asterisk answers, then hangs up on a failed login
          c.write(response("Error", id, "Message: Authentication failed"));
          return false;
        }
        logins.incrementAndGet();
        c.write(response("Success", id, "Message: Authentication accepted"));
        c.write("Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 42\r\nLastReload: 42\r\n"
            + "Status: Fully Booted\r\n\r\n");
      }
      case "coresettings" -> c.write(response("Success", id, "AMIversion: 7.0.0\r\nAsteriskVersion: 20.5.0\r\n"
          + "SystemName: \r\nCoreMaxCalls: 0\r\nCoreMaxLoadAvg: 0.000000\r\nCoreRunUser: asterisk\r\n"
          + "CoreRunGroup: asterisk\r\nCoreMaxFilehandles: 0\r\nCoreRealTimeEnabled: No\r\nCoreCDRenabled: Yes\r\n"
          + "CoreHTTPenabled: No"));
      case "command" -> c.write(response("Success", id, "Message: Command output follows\r\n"
          + "Output: Asterisk 20.5.0 built by asterisk @ fake on a x86_64 running Linux"));
      case "ping" -> c.write(response("Success", id, "Ping: Pong\r\nTimestamp: 1700000000.000000"));
      case "logoff" -> {
        c.write(response("Goodbye", id, "Message: Thanks for all the fish."));
        return false;
      }
      case "originate" -> {
        Optional<String> error = originateAnswer.get().apply(p);
        if (error.isPresent()) {
          c.write(response("Error", id, "Message: " + error.get()));
        } else {
          c.write(response("Success", id, "Message: Originate successfully queued"));
          originates.add(p);
        }
      }
      default -> c.write(response("Error", id, "Message: Invalid/unknown command"));
    }
    return true;
  }

  private static String response(String response, String actionId, String rest) {
    return "Response: " + response + "\r\n" + (actionId == null ? "" : "ActionID: " + actionId + "\r\n")
        + rest + "\r\n\r\n";
  }

  static String md5(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      if (c != null) {
        c.close();
      }
    } catch (Exception ignored) {
      // closing anyway
    }
  }
}
