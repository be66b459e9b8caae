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
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
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
 *
 * <p>For {@code asterline doctor} it also plays an Asterisk 22 with a dialplan, modules and PJSIP endpoints: Getvar
 * of globals and of {@code IFMODULE()} / {@code PJSIP_ENDPOINT()}, ModuleCheck, ShowDialPlan with a Context, and
 * the manager user's write classes ("Permission denied", "Originate Access Forbidden"), with the exact responses
 * Asterisk 22.10.1 gives. With {@link #placeCalls} an Originate of an {@code AudioSocket/} channel connects to that
 * address and sends the UUID frame, then runs an {@code AGI} application's FastAGI request, as Asterisk does.
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

  /** The manager user's write classes; the shipped manager.conf's by default. */
  private volatile Set<String> writeClasses = Set.of("originate", "call", "reporting");
  private final Set<String> modules = ConcurrentHashMap.newKeySet();
  private final Set<String> contexts = ConcurrentHashMap.newKeySet();
  /** PJSIP endpoint -> its context. */
  private final Map<String, String> endpoints = new ConcurrentHashMap<>();
  private final Map<String, String> globals = new ConcurrentHashMap<>();
  private volatile boolean placeCalls;

  /** Every module the shipped dialplan needs, running. */
  public static final List<String> DIALPLAN_MODULES = List.of("res_pjsip", "chan_pjsip", "res_agi", "res_audiosocket",
      "chan_audiosocket", "app_dial", "app_mixmonitor", "app_record", "app_playtones", "func_module", "app_amd",
      "func_pjsip_endpoint");

  private FakeAmi(String user, String password, int port) {
    modules.addAll(DIALPLAN_MODULES);
    contexts.addAll(List.of("from-trunk", "asterline-settings", "asterline-outbound", "asterline-failure",
        "asterline-voicemail", "asterline-call-end", "asterline-after-agent"));
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

  /** The manager user's write classes (manager.conf {@code write =}). */
  public FakeAmi writeClasses(String... classes) {
    writeClasses = Set.of(classes);
    return this;
  }

  /** These modules are not loaded. */
  public FakeAmi withoutModules(String... names) {
    modules.removeAll(List.of(names));
    return this;
  }

  /** These modules are loaded too (e.g. Asterisk 22's chan_websocket). */
  public FakeAmi withModules(String... names) {
    modules.addAll(List.of(names));
    return this;
  }

  public FakeAmi withoutContexts(String... names) {
    contexts.removeAll(List.of(names));
    return this;
  }

  public FakeAmi endpoint(String name, String context) {
    endpoints.put(name, context);
    return this;
  }

  /** A [globals] variable of the dialplan. */
  public FakeAmi global(String name, String value) {
    globals.put(name, value);
    return this;
  }

  /** Originates of AudioSocket channels really connect, and an AGI application really runs (see the class). */
  public FakeAmi placeCalls() {
    placeCalls = true;
    return this;
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
    // only the ones closed here: a client reconnecting at once is accepted meanwhile, and clearing the whole list
    // would forget it while it stays connected (seen as "no live connection" by a test on a busy machine)
    for (Connection c : connections) {
      closeQuietly(c.socket);
      connections.remove(c);
    }
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
      case "getvar" -> {
        if (!allowed("call", "reporting")) {
          c.write(response("Error", id, "Message: Permission denied"));
        } else {
          String variable = String.valueOf(p.get("Variable"));
          c.write(response("Success", id, "Variable: " + variable + "\r\nValue: " + value(variable)));
        }
      }
      case "modulecheck" -> {
        if (!allowed("system")) {
          c.write(response("Error", id, "Message: Permission denied"));
        } else if (modules.contains(String.valueOf(p.get("Module")).replaceAll("\\..*", ""))) {
          c.write(response("Success", id, "Version: "));
        } else {
          c.write(response("Error", id, "Message: Module not loaded"));
        }
      }
      case "showdialplan" -> showDialplan(c, p, id);
      case "originate" -> {
        String app = p.get("Application") == null ? "" : p.get("Application").toLowerCase(Locale.ROOT);
        if (!allowed("originate")) {
          c.write(response("Error", id, "Message: Permission denied"));
          return true;
        }
        if (!allowed("system") && List.of("system", "exec", "agi", "mixmonitor", "externalivr", "originate").stream()
            .anyMatch(app::contains)) {
          c.write(response("Error", id, "Message: Originate Access Forbidden: app or data blacklisted"));
          return true;
        }
        if (placeCalls && String.valueOf(p.get("Channel")).startsWith("AudioSocket/")) {
          c.write(response("Success", id, "Message: Originate successfully queued"));
          Thread t = new Thread(() -> placeCall(p), "fake-ami-call");
          t.setDaemon(true);
          t.start();
          return true;
        }
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

  private boolean allowed(String... classes) {
    return List.of(classes).stream().anyMatch(writeClasses::contains);
  }

  /** Getvar's Value: a function Asterisk knows (with func_module / func_pjsip_endpoint loaded), else a global. */
  private String value(String variable) {
    java.util.regex.Matcher ifmodule = java.util.regex.Pattern.compile("IFMODULE\\(([^).]+)(\\.so)?\\)").matcher(variable);
    if (ifmodule.matches()) {
      return modules.contains("func_module") ? (modules.contains(ifmodule.group(1)) ? "1" : "0") : "";
    }
    java.util.regex.Matcher endpoint = java.util.regex.Pattern.compile("PJSIP_ENDPOINT\\(([^,]+),context\\)")
        .matcher(variable);
    if (endpoint.matches()) {
      // Asterisk logs "Failed to retrieve information for endpoint" and answers an empty value
      return modules.contains("func_pjsip_endpoint") ? endpoints.getOrDefault(endpoint.group(1), "") : "";
    }
    return globals.getOrDefault(variable, "");
  }

  /** As pbx.c's manager_show_dialplan answers for one context: a list, or an error when it does not exist. */
  private void showDialplan(Connection c, Packet p, String id) throws IOException {
    if (!allowed("config", "reporting")) {
      c.write(response("Error", id, "Message: Permission denied"));
      return;
    }
    String context = p.get("Context");
    if (context == null || !contexts.contains(context)) {
      c.write(response("Error", id, "Message: Did not find context " + context));
      return;
    }
    String actionId = id == null ? "" : "ActionID: " + id + "\r\n";
    c.write(response("Success", id, "EventList: start\r\nMessage: DialPlan list will follow")
        + "Event: ListDialplan\r\n" + actionId + "Context: " + context + "\r\nExtension: s\r\nPriority: 1\r\n"
        + "Application: NoOp\r\nAppData: \r\nRegistrar: pbx_config\r\n\r\n"
        + "Event: ShowDialPlanComplete\r\n" + actionId + "EventList: Complete\r\nListItems: 1\r\n"
        + "ListExtensions: 1\r\nListPriorities: 1\r\nListContexts: 1\r\n\r\n");
  }

  /**
   * What Asterisk does for {@code Originate Channel: AudioSocket/host:port/uuid/c(slin)} with an Application:
   * chan_audiosocket connects and sends the UUID frame, the channel answers (OriginateResponse reason 4; a refused
   * connection is reason 8), then the application runs; AGI connects to its agi:// URL with the Data's arguments.
   */
  private void placeCall(Packet p) {
    String[] dial = String.valueOf(p.get("Channel")).split("/");
    String address = dial[1];
    UUID uuid = UUID.fromString(dial[2]);
    int colon = address.lastIndexOf(':');
    boolean answered;
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))),
          2000);
      java.nio.ByteBuffer frame = java.nio.ByteBuffer.allocate(19).put((byte) 0x01).putShort((short) 16)
          .putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
      socket.getOutputStream().write(frame.array());
      socket.getOutputStream().flush();
      answered = true;
    } catch (IOException | RuntimeException e) {
      answered = false;
    }
    String event = "Event: OriginateResponse\r\n"
        + "Privilege: call,all\r\n"
        + "ActionID: " + p.get("ActionID") + "\r\n"
        + "Response: " + (answered ? "Success" : "Failure") + "\r\n"
        + "Channel: " + (answered ? "AudioSocket/" + address + "-" + uuid : p.get("Channel")) + "\r\n"
        + "Application: " + p.get("Application") + "\r\n"
        + "Data: " + p.get("Data") + "\r\n"
        + "Reason: " + (answered ? 4 : 8) + "\r\n"
        + "Uniqueid: " + (answered ? "1796527831.5" : "<unknown>") + "\r\n"
        + "CallerIDNum: <unknown>\r\n"
        + "CallerIDName: <unknown>\r\n"
        + "\r\n";
    try {
      p.from().write(event);
    } catch (IOException e) {
      return;
    }
    if (answered && "agi".equalsIgnoreCase(p.get("Application"))) {
      String[] data = String.valueOf(p.get("Data")).split(",");
      java.net.URI url = java.net.URI.create(data[0]);
      try {
        new io.asterline.agi.FakeAsterisk(url.getPort())
            .send(io.asterline.agi.FakeAsterisk.request(url.getPath().substring(1))
                .args(java.util.Arrays.copyOfRange(data, 1, data.length))
                .env("channel", "AudioSocket/" + address + "-" + uuid)
                .env("type", "AudioSocket")
                .env("context", "default"));
      } catch (IOException e) {
        // AGISTATUS=FAILURE: "Couldn't connect to any host.  FastAGI failed."
      }
    }
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
