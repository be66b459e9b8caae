package io.asterline.realtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.DefaultSSLWebSocketServerFactory;
import org.java_websocket.server.WebSocketServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Realtime WebSocket on its own, over real sockets: TLS as {@code wss://api.openai.com} needs it (a local TLS
 * WebSocket server with a self-signed certificate for {@code localhost} stands in), and every way a connection
 * can fail to come up ends in one {@code closed} within the connect timeout.
 */
class RealtimeClientTest {

  static EventLoopGroup group;
  static EventLoop loop;
  static X509Certificate certificate;
  static SSLContext serverTls;
  static RealtimeTransport trustingLocal;
  static RealtimeTransport jdkTrust;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("test-realtime"), NioIoHandler.newFactory());
    loop = group.next();
    // a throwaway key pair for "localhost" only (no IP address in the certificate)
    Path store = dir.resolve("server.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
        "-ext", "SAN=dns:localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
        "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
    String out = new String(keytool.getInputStream().readAllBytes());
    assertThat(keytool.waitFor()).as(out).isZero();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(store.toFile())) {
      ks.load(in, "changeit".toCharArray());
    }
    certificate = (X509Certificate) ks.getCertificate("server");
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "changeit".toCharArray());
    serverTls = SSLContext.getInstance("TLS");
    serverTls.init(kmf.getKeyManagers(), null, null);
    trustingLocal = RealtimeTransport.trusting(certificate);
    jdkTrust = RealtimeTransport.create();
    Files.delete(store);
  }

  @AfterAll
  static void stop() throws Exception {
    trustingLocal.close();
    jdkTrust.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  /** What the client reported, in order. */
  static final class Heard implements RealtimeClient.Listener {
    final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    final BlockingQueue<RealtimeEvent> full = new LinkedBlockingQueue<>();
    final List<String> closed = new CopyOnWriteArrayList<>();
    final CountDownLatch opened = new CountDownLatch(1);
    final CountDownLatch closedLatch = new CountDownLatch(1);
    volatile boolean onLoop = true;
    volatile long closedNanos;

    @Override
    public void opened() {
      onLoop &= loop.inEventLoop();
      opened.countDown();
    }

    @Override
    public void event(RealtimeEvent event) {
      onLoop &= loop.inEventLoop();
      events.add(event.type());
      full.add(event);
    }

    @Override
    public void closed(String why) {
      onLoop &= loop.inEventLoop();
      closedNanos = System.nanoTime();
      closed.add(why);
      closedLatch.countDown();
    }
  }

  /** A Realtime stand-in over TLS: says session.created, echoes each client event's type back as "echo.<type>". */
  static final class TlsPeer extends WebSocketServer {
    final CountDownLatch started = new CountDownLatch(1);
    final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    volatile String authorization;
    volatile String path;
    volatile boolean closedByClient;

    TlsPeer() {
      super(new InetSocketAddress("127.0.0.1", 0), 1);
      setReuseAddr(true);
      setWebSocketFactory(new DefaultSSLWebSocketServerFactory(serverTls));
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {
      authorization = handshake.getFieldValue("Authorization");
      path = handshake.getResourceDescriptor();
      conn.send("{\"type\":\"session.created\",\"session\":{\"type\":\"realtime\"}}");
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
      received.add(message);
      if (message.contains("\"deltas\"")) {
        // the API's field order, then one with the fields the other way round
        conn.send("{\"type\":\"response.output_audio.delta\",\"event_id\":\"e1\",\"response_id\":\"r1\","
            + "\"item_id\":\"i1\",\"output_index\":0,\"content_index\":0,\"delta\":\"AQID\"}");
        conn.send("{\"delta\":\"BAU=\",\"item_id\":\"i2\",\"type\":\"response.output_audio.delta\"}");
        conn.send("{\"type\":\"response.output_audio.delta\",\"item_id\":\"i3\",\"delta\":\"not base64!\"}");
        conn.send("{\"type\":\"response.done\",\"response\":{\"id\":\"r1\",\"status\":\"completed\"}}");
        return;
      }
      conn.send("{\"type\":\"echo\"}");
    }

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {
      closedByClient = remote && code == 1000;
    }

    @Override
    public void onError(WebSocket conn, Exception ex) {
      // refused TLS handshakes are part of what is tested
    }

    @Override
    public void onStart() {
      started.countDown();
    }
  }

  static TlsPeer tlsPeer() throws InterruptedException {
    TlsPeer peer = new TlsPeer();
    peer.start();
    assertThat(peer.started.await(10, TimeUnit.SECONDS)).isTrue();
    return peer;
  }

  static RealtimeClient connect(RealtimeTransport transport, String url, int timeoutMillis, Heard heard) {
    return RealtimeClient.connect(transport, loop, URI.create(url), "gpt-realtime", "sk-test-secret", timeoutMillis,
        new ObjectMapper(), "call-1", heard);
  }

  @Test
  void wssSessionVerifiesTheCertificateAndCarriesEventsBothWays() throws Exception {
    TlsPeer peer = tlsPeer();
    try {
      Heard heard = new Heard();
      RealtimeClient client = connect(trustingLocal, "wss://localhost:" + peer.getPort() + "/v1/realtime", 3000, heard);
      assertThat(heard.opened.await(5, TimeUnit.SECONDS)).as("opened; closed: %s", heard.closed).isTrue();
      assertThat(heard.events.poll(3, TimeUnit.SECONDS)).isEqualTo("session.created");
      assertThat(peer.authorization).isEqualTo("Bearer sk-test-secret");
      assertThat(peer.path).isEqualTo("/v1/realtime?model=gpt-realtime");

      assertThat(client.send("{\"type\":\"response.create\"}")).isTrue();
      assertThat(client.appendAudio(new byte[] {1, 2, 3, 4, 5}, 1, 3)).isTrue();
      assertThat(peer.received.poll(3, TimeUnit.SECONDS)).isEqualTo("{\"type\":\"response.create\"}");
      assertThat(peer.received.poll(3, TimeUnit.SECONDS))
          .isEqualTo("{\"type\":\"input_audio_buffer.append\",\"audio\":\"AgME\"}");
      assertThat(heard.events.poll(3, TimeUnit.SECONDS)).isEqualTo("echo");

      client.close();
      assertThat(heard.closedLatch.await(3, TimeUnit.SECONDS)).isTrue();
      assertThat(heard.closed).containsExactly("closed (1000 call ended)");
      RecordingWait.until(() -> peer.closedByClient, 3000);
      assertThat(client.isOpen()).isFalse();
      assertThat(client.send("{}")).isFalse();
      assertThat(heard.onLoop).as("every callback on the given event loop").isTrue();
    } finally {
      peer.stop(1000);
    }
  }

  @Test
  void tlsSendsTheHostAsSniAndVerifiesTheCertificateNamesIt() {
    // the JDK sends SNI for dotted names only, so this looks at the engine rather than at a "localhost" server
    io.netty.handler.ssl.SslHandler tls = jdkTrust.tls(io.netty.buffer.ByteBufAllocator.DEFAULT, "api.openai.com", 443);
    javax.net.ssl.SSLParameters p = tls.engine().getSSLParameters();
    assertThat(tls.engine().getUseClientMode()).isTrue();
    assertThat(p.getServerNames()).containsExactly((javax.net.ssl.SNIServerName) new SNIHostName("api.openai.com"));
    assertThat(p.getEndpointIdentificationAlgorithm()).isEqualTo("HTTPS");
    assertThat(tls.engine().getPeerHost()).isEqualTo("api.openai.com");
    io.netty.util.ReferenceCountUtil.release(tls.engine());
  }

  @Test
  void audioDeltasArriveDecodedWhateverTheFieldOrder() throws Exception {
    TlsPeer peer = tlsPeer();
    try {
      Heard heard = new Heard();
      RealtimeClient client = connect(trustingLocal, "wss://localhost:" + peer.getPort() + "/v1/realtime", 3000, heard);
      assertThat(heard.opened.await(5, TimeUnit.SECONDS)).isTrue();
      assertThat(heard.full.poll(3, TimeUnit.SECONDS).type()).isEqualTo("session.created");
      client.send("{\"type\":\"deltas\"}");
      RealtimeEvent first = heard.full.poll(3, TimeUnit.SECONDS);
      assertThat(first.type()).isEqualTo("response.output_audio.delta");
      assertThat(first.audio()).containsExactly(1, 2, 3);
      assertThat(first.text("response_id")).isEqualTo("r1");
      assertThat(first.text("item_id")).isEqualTo("i1");
      assertThat(first.json().has("delta")).isFalse();
      RealtimeEvent second = heard.full.poll(3, TimeUnit.SECONDS);
      assertThat(second.audio()).containsExactly(4, 5);
      assertThat(second.text("item_id")).isEqualTo("i2");
      // a delta that is not base64 is dropped with a warning; the session goes on
      RealtimeEvent next = heard.full.poll(3, TimeUnit.SECONDS);
      assertThat(next.type()).isEqualTo("response.done");
      assertThat(next.json().at("/response/status").asText()).isEqualTo("completed");
      client.close();
      assertThat(heard.closedLatch.await(3, TimeUnit.SECONDS)).isTrue();
    } finally {
      peer.stop(1000);
    }
  }

  @Test
  void aCertificateForAnotherNameIsRefused() throws Exception {
    TlsPeer peer = tlsPeer();
    try {
      Heard heard = new Heard();
      // the certificate names localhost only: 127.0.0.1 is another name
      connect(trustingLocal, "wss://127.0.0.1:" + peer.getPort() + "/v1/realtime", 3000, heard);
      assertThat(heard.closedLatch.await(5, TimeUnit.SECONDS)).isTrue();
      assertThat(heard.opened.getCount()).isEqualTo(1);
      assertThat(heard.closed).hasSize(1);
      assertThat(heard.closed.get(0)).startsWith("failed: ");
      assertThat(peer.authorization).as("the key never went out").isNull();
    } finally {
      peer.stop(1000);
    }
  }

  @Test
  void anUntrustedCertificateIsRefused() throws Exception {
    TlsPeer peer = tlsPeer();
    try {
      Heard heard = new Heard();
      connect(jdkTrust, "wss://localhost:" + peer.getPort() + "/v1/realtime", 3000, heard);
      assertThat(heard.closedLatch.await(5, TimeUnit.SECONDS)).isTrue();
      assertThat(heard.opened.getCount()).isEqualTo(1);
      assertThat(heard.closed).singleElement().asString().startsWith("failed: ").doesNotContain("sk-test-secret");
      assertThat(peer.authorization).as("the key never went out").isNull();
    } finally {
      peer.stop(1000);
    }
  }

  @Test
  void aRefusedConnectionReportsClosedAtOnce() throws Exception {
    int closedPort;
    try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = ss.getLocalPort();
    }
    Heard heard = new Heard();
    long start = System.nanoTime();
    connect(jdkTrust, "ws://127.0.0.1:" + closedPort + "/v1/realtime", 2000, heard);
    assertThat(heard.closedLatch.await(3, TimeUnit.SECONDS)).isTrue();
    assertThat((heard.closedNanos - start) / 1e6).isLessThan(1000.0);
    assertThat(heard.closed).singleElement().asString().startsWith("failed: ");
    assertThat(heard.opened.getCount()).isEqualTo(1);
  }

  @Test
  void aServerThatNeverAnswersTheHandshakeIsGivenUpAtTheConnectTimeout() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Thread acceptor = new Thread(() -> {
        try (Socket s = silent.accept()) {
          s.getInputStream().readAllBytes();
        } catch (java.io.IOException e) {
          // closed by the test
        }
      }, "test-silent-server");
      acceptor.setDaemon(true);
      acceptor.start();
      Heard heard = new Heard();
      long start = System.nanoTime();
      RealtimeClient client = connect(jdkTrust, "ws://127.0.0.1:" + silent.getLocalPort() + "/v1/realtime", 500, heard);
      assertThat(heard.closedLatch.await(3, TimeUnit.SECONDS)).isTrue();
      assertThat((heard.closedNanos - start) / 1e6).isBetween(450.0, 1500.0);
      assertThat(heard.closed).singleElement().asString().contains("no WebSocket session within 500 ms");
      client.close();
      Thread.sleep(100);
      assertThat(heard.closed).hasSize(1);
    }
  }

  @Test
  void closedBeforeItConnectsReportsOnceAndNeverOpens() throws Exception {
    TlsPeer peer = tlsPeer();
    try {
      Heard heard = new Heard();
      RealtimeClient client = connect(trustingLocal, "wss://localhost:" + peer.getPort() + "/v1/realtime", 3000, heard);
      client.close();
      assertThat(heard.closedLatch.await(3, TimeUnit.SECONDS)).isTrue();
      Thread.sleep(300);
      assertThat(heard.opened.getCount()).isEqualTo(1);
      assertThat(heard.closed).hasSize(1);
      assertThat(heard.events).isEmpty();
    } finally {
      peer.stop(1000);
    }
  }

  // ------------------------------------------------------------------ framing, against a byte-exact server

  /** A server frame: FIN set unless {@code fin} is false, unmasked, with the shortest length encoding. */
  static byte[] frame(int opcode, boolean fin, byte[] payload) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    out.write((fin ? 0x80 : 0) | opcode);
    if (payload.length < 126) {
      out.write(payload.length);
    } else if (payload.length < 65536) {
      out.write(126);
      out.write(payload.length >> 8);
      out.write(payload.length & 0xFF);
    } else {
      out.write(127);
      out.writeBytes(java.nio.ByteBuffer.allocate(8).putLong(payload.length).array());
    }
    out.writeBytes(payload);
    return out.toByteArray();
  }

  static byte[] text(String s) {
    return frame(0x1, true, s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Reads one masked client frame: opcode and unmasked payload. */
  static Object[] clientFrame(java.io.DataInputStream in) throws java.io.IOException {
    int b0 = in.readUnsignedByte();
    int b1 = in.readUnsignedByte();
    assertThat(b1 & 0x80).as("client frames are masked").isEqualTo(0x80);
    long len = b1 & 0x7F;
    if (len == 126) {
      len = in.readUnsignedShort();
    } else if (len == 127) {
      len = in.readLong();
    }
    byte[] mask = in.readNBytes(4);
    byte[] payload = in.readNBytes((int) len);
    for (int i = 0; i < payload.length; i++) {
      payload[i] ^= mask[i % 4];
    }
    return new Object[] {b0 & 0x0F, payload};
  }

  @Test
  void framesSplitAnywhereFragmentedMessagesPingsAndTheServersCloseAllWork() throws Exception {
    try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Heard heard = new Heard();
      RealtimeClient client = connect(jdkTrust, "ws://127.0.0.1:" + ss.getLocalPort() + "/v1/realtime", 3000, heard);
      try (Socket s = ss.accept()) {
        s.setTcpNoDelay(true);
        java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
        java.io.OutputStream out = s.getOutputStream();
        StringBuilder request = new StringBuilder();
        while (!request.toString().endsWith("\r\n\r\n")) {
          request.append((char) in.readUnsignedByte());
        }
        String key = request.toString().lines().filter(l -> l.startsWith("Sec-WebSocket-Key:")).findFirst()
            .orElseThrow().substring(18).trim();
        String accept = java.util.Base64.getEncoder().encodeToString(java.security.MessageDigest.getInstance("SHA-1")
            .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        java.io.ByteArrayOutputStream first = new java.io.ByteArrayOutputStream();
        first.writeBytes(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        // the first event in the same write as the handshake answer, the next one's first byte too
        byte[] created = text("{\"type\":\"session.created\"}");
        byte[] mulaw = new byte[300];
        for (int i = 0; i < mulaw.length; i++) {
          mulaw[i] = (byte) i;
        }
        byte[] delta = text("{\"type\":\"response.output_audio.delta\",\"item_id\":\"i1\",\"delta\":\""
            + java.util.Base64.getEncoder().encodeToString(mulaw) + "\"}");
        first.writeBytes(created);
        first.write(delta[0]);
        out.write(first.toByteArray());
        out.flush();
        assertThat(heard.opened.await(3, TimeUnit.SECONDS)).isTrue();
        assertThat(heard.full.poll(3, TimeUnit.SECONDS).type()).isEqualTo("session.created");
        // the rest of it byte by byte
        for (int i = 1; i < delta.length; i++) {
          out.write(delta[i]);
          out.flush();
          if (i % 16 == 0) {
            Thread.sleep(1);
          }
        }
        RealtimeEvent audio = heard.full.poll(3, TimeUnit.SECONDS);
        assertThat(audio.type()).isEqualTo("response.output_audio.delta");
        assertThat(audio.audio()).isEqualTo(mulaw);

        // a message in two fragments with a ping between them: the engine's path; the ping gets its pong
        out.write(frame(0x1, false, "{\"type\":\"frag".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        out.write(frame(0x9, true, "hi".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        out.write(frame(0x0, true, "mented\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        out.flush();
        Object[] pong = clientFrame(in);
        assertThat(pong[0]).isEqualTo(0xA);
        assertThat(new String((byte[]) pong[1], java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("hi");
        assertThat(heard.full.poll(3, TimeUnit.SECONDS).type()).isEqualTo("fragmented");

        // a large event (64-bit length) after that: the fast path again
        byte[] big = new byte[60_000];
        RealtimeEvent large;
        out.write(text("{\"type\":\"response.output_audio.delta\",\"delta\":\""
            + java.util.Base64.getEncoder().encodeToString(big) + "\"}"));
        out.flush();
        large = heard.full.poll(3, TimeUnit.SECONDS);
        assertThat(large.audio()).hasSize(60_000);

        // what the client sends arrives as masked text frames, in order
        client.send("{\"type\":\"response.create\"}");
        client.appendAudio(new byte[] {1, 2, 3}, 0, 3);
        Object[] sent = clientFrame(in);
        assertThat(sent[0]).isEqualTo(0x1);
        assertThat(new String((byte[]) sent[1], java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("{\"type\":\"response.create\"}");
        sent = clientFrame(in);
        assertThat(new String((byte[]) sent[1], java.nio.charset.StandardCharsets.UTF_8))
            .isEqualTo("{\"type\":\"input_audio_buffer.append\",\"audio\":\"AQID\"}");
        // longer events take the 16-bit and the 64-bit length fields
        for (int size : new int[] {125, 126, 300, 65_535, 70_001}) {
          String event = "{\"type\":\"conversation.item.create\",\"text\":\"" + "é".repeat(size) + "\"}";
          client.send(event);
          sent = clientFrame(in);
          assertThat(sent[0]).isEqualTo(0x1);
          assertThat(new String((byte[]) sent[1], java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(event);
        }

        // the server closes: the client answers with its close frame, the server drops the TCP connection
        out.write(frame(0x8, true, new byte[] {0x03, (byte) 0xF3, 'b', 'y', 'e'}));
        out.flush();
        Object[] close = clientFrame(in);
        assertThat(close[0]).isEqualTo(0x8);
      }
      assertThat(heard.closedLatch.await(3, TimeUnit.SECONDS)).isTrue();
      assertThat(heard.closed).containsExactly("closed (1011 bye)");
      assertThat(client.isOpen()).isFalse();
    }
  }

  @Test
  void textThatIsNotUtf8FailsTheConnection() throws Exception {
    try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Heard heard = new Heard();
      connect(jdkTrust, "ws://127.0.0.1:" + ss.getLocalPort() + "/v1/realtime", 3000, heard);
      try (Socket s = ss.accept()) {
        java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
        StringBuilder request = new StringBuilder();
        while (!request.toString().endsWith("\r\n\r\n")) {
          request.append((char) in.readUnsignedByte());
        }
        String key = request.toString().lines().filter(l -> l.startsWith("Sec-WebSocket-Key:")).findFirst()
            .orElseThrow().substring(18).trim();
        String accept = java.util.Base64.getEncoder().encodeToString(java.security.MessageDigest.getInstance("SHA-1")
            .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        s.getOutputStream().write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        s.getOutputStream().write(frame(0x1, true, new byte[] {'{', '"', 't', '"', ':', '"', (byte) 0xC3, 0x28, '"', '}'}));
        s.getOutputStream().flush();
        Object[] close = clientFrame(in);
        assertThat(close[0]).isEqualTo(0x8);
        assertThat(((byte[]) close[1])[0] << 8 | ((byte[]) close[1])[1] & 0xFF).isEqualTo(1007);
      }
      assertThat(heard.closedLatch.await(3, TimeUnit.SECONDS)).isTrue();
      assertThat(heard.events).isEmpty();
    }
  }

  /** Polls a condition. */
  static final class RecordingWait {
    static void until(java.util.function.BooleanSupplier condition, long millis) throws InterruptedException {
      long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
      while (!condition.getAsBoolean()) {
        if (System.nanoTime() > end) {
          throw new AssertionError("condition not met within " + millis + " ms");
        }
        Thread.sleep(5);
      }
    }
  }
}
