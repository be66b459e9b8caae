package io.asterline.realtime;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketAdapter;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.exceptions.InvalidHandshakeException;
import org.java_websocket.exceptions.WebsocketNotConnectedException;
import org.java_websocket.framing.TextFrame;
import org.java_websocket.handshake.HandshakeImpl1Client;
import org.java_websocket.handshake.Handshakedata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One WebSocket to the Realtime API (GA protocol: no {@code OpenAI-Beta} header). Java-WebSocket's
 * {@link WebSocketImpl} speaks the protocol (handshake, framing, masking, close handshake); Netty carries its
 * bytes on the event loop it is given, normally the call's own AudioSocket loop, with TLS for {@code wss://}.
 * So a call costs no thread of its own, and caller audio goes from the AudioSocket read to the upstream
 * socket without changing threads. The listener is called on that loop; {@link #send} never blocks.
 */
public final class RealtimeClient {

  private static final Logger log = LoggerFactory.getLogger(RealtimeClient.class);
  private static final Pattern KEY = Pattern.compile("sk-[A-Za-z0-9_*.-]+");
  /** How long the server gets to answer our close frame by closing the TCP connection (RFC 6455 7.1.1). */
  private static final long CLOSE_WAIT_MILLIS = 2000;
  private static final String AUDIO_DELTA = "response.output_audio.delta";
  /** The largest server frame accepted; the API's events are far smaller (its own limit for client events is 15 MiB). */
  private static final int MAX_FRAME_BYTES = 16 << 20;

  /** What the connection reports. Called on the event loop the client was connected with. */
  public interface Listener {
    void opened();

    void event(RealtimeEvent event);

    /** The connection is gone (or never came up); called once. */
    void closed(String why);
  }

  private final RealtimeTransport transport;
  private final EventLoop loop;
  private final URI uri;
  private final String host;
  private final String hostName;
  private final int port;
  private final boolean tls;
  private final String authorization;
  private final int connectTimeoutMillis;
  private final ObjectMapper json;
  private final String callId;
  private final Listener listener;
  private final WebSocketImpl engine;
  private final AtomicBoolean drainQueued = new AtomicBoolean();
  /** The base64 of the caller's audio, reused: every append of a call has the same size (event loop only). */
  private byte[] b64 = new byte[0];

  // event loop only
  private Channel channel;
  private ScheduledFuture<?> deadline;
  private ScheduledFuture<?> closeWait;
  private boolean opened;
  private boolean reported;
  private String why;
  /** When the server last sent anything at all (an event, a pong, a fragment): its liveness (event loop only). */
  private long lastHeardNanos = System.nanoTime();
  /** Set by {@link #close} from any thread: no more events, and a handshake still running ends in a close. */
  private volatile boolean closeRequested;

  private RealtimeClient(RealtimeTransport transport, EventLoop loop, URI uri, String apiKey, int connectTimeoutMillis,
      ObjectMapper json, String callId, Listener listener) {
    this.transport = transport;
    this.loop = loop;
    this.uri = uri;
    this.tls = "wss".equalsIgnoreCase(uri.getScheme());
    this.host = uri.getHost();
    // an IPv6 literal comes bracketed, as the Host header wants it; the address and TLS want it bare
    this.hostName = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    this.port = uri.getPort() != -1 ? uri.getPort() : tls ? WebSocketImpl.DEFAULT_WSS_PORT : WebSocketImpl.DEFAULT_PORT;
    this.authorization = "Bearer " + apiKey;
    this.connectTimeoutMillis = connectTimeoutMillis;
    this.json = json;
    this.callId = callId;
    this.listener = listener;
    this.engine = new WebSocketImpl(new Engine(), new Draft_6455());
  }

  /**
   * Starts connecting to {@code url?model=model} on {@code loop} and returns at once; {@link Listener#opened} or
   * {@link Listener#closed} follows. The whole set-up (DNS, TCP, TLS, WebSocket handshake) gets
   * {@code connectTimeoutMillis}.
   */
  public static RealtimeClient connect(RealtimeTransport transport, EventLoop loop, URI url, String model,
      String apiKey, int connectTimeoutMillis, ObjectMapper json, String callId, Listener listener) {
    String sep = url.getRawQuery() == null ? "?" : "&";
    URI full = URI.create(url + sep + "model=" + java.net.URLEncoder.encode(model, StandardCharsets.UTF_8));
    RealtimeClient client = new RealtimeClient(transport, loop, full, apiKey, connectTimeoutMillis, json, callId, listener);
    try {
      loop.execute(client::start);
    } catch (RejectedExecutionException e) {
      // the event loop is stopping with the service, and the call with it
    }
    return client;
  }

  /** Queues a client event; false when the connection is not open. */
  public boolean send(String event) {
    byte[] utf8 = event.getBytes(StandardCharsets.UTF_8);
    if (!loop.inEventLoop()) {
      TextFrame frame = new TextFrame();
      frame.setPayload(ByteBuffer.wrap(utf8));
      frame.setTransferemasked(true);
      return byEngine(frame);
    }
    return writeText(null, utf8, utf8.length, null);
  }

  /**
   * {@code input_audio_buffer.append} of mu-law bytes: the hot path (dozens per call per second), so the JSON is
   * assembled as ASCII bytes around the base64 and framed straight into one pooled buffer, without the library's
   * UTF-8 re-validation or its two heap copies per frame.
   */
  public boolean appendAudio(byte[] mulaw, int offset, int length) {
    byte[] slice = offset == 0 && length == mulaw.length ? mulaw : Arrays.copyOfRange(mulaw, offset, offset + length);
    int b64Length = 4 * ((length + 2) / 3);
    if (!loop.inEventLoop()) {
      byte[] out = new byte[APPEND_HEAD.length + b64Length + APPEND_TAIL.length];
      System.arraycopy(APPEND_HEAD, 0, out, 0, APPEND_HEAD.length);
      byte[] b64 = Base64.getEncoder().encode(slice);
      System.arraycopy(b64, 0, out, APPEND_HEAD.length, b64.length);
      System.arraycopy(APPEND_TAIL, 0, out, APPEND_HEAD.length + b64.length, APPEND_TAIL.length);
      TextFrame frame = new AsciiTextFrame();
      frame.setPayload(ByteBuffer.wrap(out));
      frame.setTransferemasked(true);
      return byEngine(frame);
    }
    // every append of a call has the same size: one scratch array for the base64, kept (on the loop only)
    if (b64.length < b64Length) {
      b64 = new byte[b64Length];
    }
    Base64.getEncoder().encode(slice, b64);
    return writeText(APPEND_HEAD, b64, b64Length, APPEND_TAIL);
  }

  /** Off the loop, the engine queues the frame and asks for a drain on the loop. */
  private boolean byEngine(TextFrame frame) {
    try {
      engine.sendFrame(frame);
      return true;
    } catch (WebsocketNotConnectedException e) {
      return false;
    }
  }

  /**
   * On the loop, a text frame of {@code head + body[0, bodyLength) + tail} is framed and masked (RFC 6455 5.2,
   * 5.3) straight into one pooled buffer and flushed: the engine's own send path would queue it, lock twice, copy
   * it twice on the heap, and build a String of every frame under 1,000 bytes for a TRACE line whether TRACE is on
   * or not. What the engine itself queued (the handshake, pongs, its close frame) always goes first, so the order
   * on the wire is the order of the calls.
   */
  private boolean writeText(byte[] head, byte[] body, int bodyLength, byte[] tail) {
    Channel ch = channel;
    if (!engine.isOpen() || ch == null || !ch.isActive()) {
      return false;
    }
    drain();
    int headLength = head == null ? 0 : head.length;
    int tailLength = tail == null ? 0 : tail.length;
    int length = headLength + bodyLength + tailLength;
    int lengthBytes = length < 126 ? 0 : length <= 0xFFFF ? 2 : 8;
    ByteBuf frame = ch.alloc().ioBuffer(2 + lengthBytes + 4 + length);
    frame.writeByte(0x81);
    if (lengthBytes == 0) {
      frame.writeByte(0x80 | length);
    } else if (lengthBytes == 2) {
      frame.writeByte(0x80 | 126).writeShort(length);
    } else {
      frame.writeByte(0x80 | 127).writeLong(length);
    }
    int mask = Masks.next();
    frame.writeInt(mask);
    int start = frame.writerIndex();
    if (head != null) {
      frame.writeBytes(head);
    }
    frame.writeBytes(body, 0, bodyLength);
    if (tail != null) {
      frame.writeBytes(tail);
    }
    // payload byte i is XORed with mask byte i % 4; the mask as a big-endian int lines up with getInt's bytes
    int i = start;
    for (int end = start + (length & ~3); i < end; i += 4) {
      frame.setInt(i, frame.getInt(i) ^ mask);
    }
    for (int k = 0; i < start + length; i++, k++) {
      frame.setByte(i, frame.getByte(i) ^ (mask >>> (24 - 8 * k)));
    }
    ch.writeAndFlush(frame, ch.voidPromise());
    return true;
  }

  private static final byte[] APPEND_HEAD = "{\"type\":\"input_audio_buffer.append\",\"audio\":\""
      .getBytes(StandardCharsets.US_ASCII);
  private static final byte[] APPEND_TAIL = "\"}".getBytes(StandardCharsets.US_ASCII);

  /** A text frame known to be ASCII (JSON around base64): nothing to validate. */
  private static final class AsciiTextFrame extends TextFrame {
    @Override
    public void isValid() {
      // ASCII is valid UTF-8
    }
  }

  /**
   * Masking keys from a strong source, as RFC 6455 5.3 asks (and as Java-WebSocket does), drawn 64 at a time per
   * event loop thread: one SecureRandom call per key would take its lock for every frame.
   */
  private static final class Masks {
    private static final FastThreadLocal<Masks> MASKS = new FastThreadLocal<>() {
      @Override
      protected Masks initialValue() {
        return new Masks();
      }
    };
    private final SecureRandom random = new SecureRandom();
    private final byte[] pool = new byte[256];
    private int next = pool.length;

    static int next() {
      return MASKS.get().take();
    }

    private int take() {
      if (next == pool.length) {
        random.nextBytes(pool);
        next = 0;
      }
      int key = (pool[next] & 0xFF) << 24 | (pool[next + 1] & 0xFF) << 16 | (pool[next + 2] & 0xFF) << 8
          | (pool[next + 3] & 0xFF);
      next += 4;
      return key;
    }
  }

  /**
   * When the server last sent a byte ({@link System#nanoTime}); on the event loop. A session that owes audio or
   * an answer and has been silent for long is stalled, even though its TCP connection looks open.
   */
  public long lastHeardNanos() {
    return lastHeardNanos;
  }

  /**
   * Sends a WebSocket ping (RFC 6455 5.5.2): the server must answer with a pong, which counts as hearing from it.
   * Used while the conversation is quiet, when no event is due, so a peer that stopped answering is noticed.
   * False when the connection is not open.
   */
  public boolean ping() {
    if (!opened || closeRequested || !engine.isOpen()) {
      return false;
    }
    try {
      engine.sendPing();
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  public boolean isOpen() {
    return engine.isOpen();
  }

  /**
   * Closes normally; the listener's {@code closed} follows (and is to be ignored by a caller that asked). When the
   * handshake is still running, the session is closed the moment it opens (or the connect deadline ends it), so a
   * call that ended meanwhile never keeps a billed OpenAI session open.
   */
  public void close() {
    closeRequested = true;
    onLoop(this::closeOnLoop);
  }

  /** Removes anything that looks like an OpenAI key from text that came from the other side. */
  public static String redact(String text) {
    return text == null ? null : KEY.matcher(text).replaceAll("sk-***");
  }

  // ------------------------------------------------------------------ connecting (event loop)

  private void start() {
    deadline = loop.schedule(this::deadlinePassed, connectTimeoutMillis, TimeUnit.MILLISECONDS);
    if (closeRequested) {
      note("closed (1000 call ended)");
      finish();
      return;
    }
    if (NetUtil.isValidIpV4Address(hostName) || NetUtil.isValidIpV6Address(hostName)) {
      connectTo(new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(hostName), port));
      return;
    }
    try {
      transport.resolver.execute(() -> {
        InetAddress address;
        try {
          address = InetAddress.getByName(hostName);
        } catch (UnknownHostException e) {
          onLoop(() -> {
            note("failed: unknown host " + host);
            finish();
          });
          return;
        }
        onLoop(() -> connectTo(new InetSocketAddress(address, port)));
      });
    } catch (RejectedExecutionException e) {
      note("failed: the service is stopping");
      finish();
    }
  }

  private void connectTo(InetSocketAddress address) {
    if (reported) {
      return;
    }
    if (closeRequested) {
      note("closed (1000 call ended)");
      finish();
      return;
    }
    ChannelFuture connecting = new Bootstrap()
        .group(loop)
        .channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            if (tls) {
              // host and port give the TLS engine SNI and the name the certificate is verified against
              ch.pipeline().addLast("tls", transport.tls(ch.alloc(), hostName, port));
            }
            ch.pipeline().addLast("websocket", new Transport());
          }
        })
        .connect(address);
    channel = connecting.channel();
    connecting.addListener(f -> {
      if (!f.isSuccess()) {
        note("failed: " + describe(f.cause()));
        finish();
      }
    });
  }

  private void deadlinePassed() {
    if (opened || reported) {
      return;
    }
    note("failed: no WebSocket session within " + connectTimeoutMillis + " ms");
    if (channel != null) {
      channel.close();
    }
    finish();
  }

  private void closeOnLoop() {
    if (reported) {
      return;
    }
    if (opened) {
      // the close handshake: our close frame, the server's answer, then the server closes the TCP connection
      engine.close(1000, "call ended");
    } else if (channel == null || !channel.isActive()) {
      note("closed (1000 call ended)");
      if (channel != null) {
        channel.close();
      }
      finish();
    }
    // else the WebSocket handshake is running: onWebsocketOpen closes it, or the deadline does
  }

  /** The first reason given is the one reported. */
  private void note(String reason) {
    if (why == null) {
      why = reason;
    }
  }

  /** Reports the end once; every path that ends the connection comes here. */
  private void finish() {
    if (reported) {
      return;
    }
    reported = true;
    if (deadline != null) {
      deadline.cancel(false);
    }
    if (closeWait != null) {
      closeWait.cancel(false);
    }
    if (channel != null && channel.isOpen()) {
      channel.close();
    }
    String reason = why == null ? "closed" : why;
    // never from inside a caller's own close() or send(): the listener may be in the middle of something
    try {
      loop.execute(() -> listener.closed(reason));
    } catch (RejectedExecutionException e) {
      // the event loop is stopping with the service, and the call with it
    }
  }

  private void onLoop(Runnable r) {
    if (loop.inEventLoop()) {
      r.run();
      return;
    }
    try {
      loop.execute(r);
    } catch (RejectedExecutionException e) {
      // the event loop is stopping with the service, and the connection with it
    }
  }

  /** Moves what the engine queued onto the socket: one flush for everything queued since the last one. */
  private void drain() {
    drainQueued.set(false);
    Channel ch = channel;
    if (ch == null || !ch.isActive()) {
      engine.outQueue.clear();
      return;
    }
    boolean wrote = false;
    for (ByteBuffer b; (b = engine.outQueue.poll()) != null; ) {
      ch.write(Unpooled.wrappedBuffer(b), ch.voidPromise());
      wrote = true;
    }
    if (wrote) {
      ch.flush();
    }
  }

  private static String describe(Throwable t) {
    Throwable c = t instanceof DecoderException && t.getCause() != null ? t.getCause() : t;
    return redact(c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage());
  }

  // ------------------------------------------------------------------ Netty side

  /**
   * Bytes from the socket into the engine; the socket's end into the engine's end. The engine gets the HTTP
   * response of the handshake, then whole frames, one per decode(), so its own partial-frame state always stays
   * empty: control frames (ping, close), fragmented messages and anything unusual take its path. A complete,
   * unfragmented text frame from the server (nearly every Realtime event) is read here and goes straight to
   * the JSON parser as bytes: the engine's path would first check the UTF-8 byte by byte, then decode it into a
   * String (a third of the node's CPU at 1,000 calls, most of it on audio deltas). RFC 6455 frames from a server
   * are unmasked; a frame that is not is the engine's to refuse.
   */
  private final class Transport extends ByteToMessageDecoder {
    /** How far "\r\n\r\n" has been matched across reads while the handshake response arrives. */
    private int endOfHeaders;
    private boolean handshakeRead;
    /** A fragmented message is in progress: all its frames go to the engine. */
    private boolean fragmented;

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
      // with TLS, SslHandler holds this request until its own handshake is done
      HandshakeImpl1Client request = new HandshakeImpl1Client();
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      request.setResourceDescriptor(uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery());
      boolean defaultPort = port == (tls ? WebSocketImpl.DEFAULT_WSS_PORT : WebSocketImpl.DEFAULT_PORT);
      request.put("Host", defaultPort ? host : host + ":" + port);
      request.put("Authorization", authorization);
      try {
        engine.startHandshake(request);
      } catch (InvalidHandshakeException e) {
        note("failed: " + describe(e));
        ctx.close();
      }
      super.channelActive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
      lastHeardNanos = System.nanoTime();
      if (!handshakeRead) {
        int n = headerBytes(in);
        toEngine(in, n);
        if (!handshakeRead) {
          return;
        }
        if (!engine.isOpen()) {
          // refused (e.g. 401): the engine is closing the connection; a body is of no interest
          in.skipBytes(in.readableBytes());
          return;
        }
      }
      while (in.readableBytes() >= 2) {
        int r = in.readerIndex();
        int b0 = in.getUnsignedByte(r);
        int b1 = in.getUnsignedByte(r + 1);
        int len7 = b1 & 0x7F;
        boolean masked = (b1 & 0x80) != 0;
        int header = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked ? 4 : 0);
        if (in.readableBytes() < header) {
          return;
        }
        long length = len7 == 126 ? in.getUnsignedShort(r + 2) : len7 == 127 ? in.getLong(r + 2) : len7;
        if (length < 0 || length > MAX_FRAME_BYTES) {
          note("failed: a frame of " + length + " bytes from the server");
          in.skipBytes(in.readableBytes());
          engine.close(1009, "frame too big");
          ctx.close();
          return;
        }
        int total = header + (int) length;
        if (in.readableBytes() < total) {
          return;
        }
        int opcode = b0 & 0x0F;
        boolean fin = (b0 & 0x80) != 0;
        if (!fragmented && opcode == 0x1 && fin && (b0 & 0x70) == 0 && !masked && engine.isOpen()) {
          byte[] payload = Scratch.bytes((int) length);
          in.getBytes(r + header, payload, 0, (int) length);
          in.skipBytes(total);
          text(payload, (int) length);
        } else {
          if (opcode == 0x1 || opcode == 0x2) {
            fragmented = !fin;
          } else if (opcode == 0x0 && fin) {
            fragmented = false;
          }
          toEngine(in, total);
        }
      }
    }

    /** How many of the readable bytes belong to the handshake response; sets handshakeRead at its end. */
    private int headerBytes(ByteBuf in) {
      for (int i = in.readerIndex(); i < in.writerIndex(); i++) {
        byte b = in.getByte(i);
        endOfHeaders = b == (endOfHeaders % 2 == 0 ? '\r' : '\n') ? endOfHeaders + 1 : b == '\r' ? 1 : 0;
        if (endOfHeaders == 4) {
          handshakeRead = true;
          return i + 1 - in.readerIndex();
        }
      }
      return in.readableBytes();
    }

    private void toEngine(ByteBuf in, int n) {
      if (n == 0) {
        return;
      }
      // the engine reads heap buffers through array() and position(): a copy of its own, offset 0
      byte[] bytes = new byte[n];
      in.readBytes(bytes);
      engine.decode(ByteBuffer.wrap(bytes));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      // completes the engine's close (its onWebsocketClose) when the server simply went away
      engine.eot();
      finish();
      super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      note("failed: " + describe(cause));
      ctx.close();
    }
  }

  /**
   * Where the transport copies a text frame for the parser: one array per event loop thread, reused, since the
   * event is parsed to the end (and nothing keeps the bytes) before the next frame is read on that thread.
   */
  private static final class Scratch {
    /** A rare larger frame gets an array of its own rather than pinning its size to the thread. */
    private static final int KEEP_MAX = 1 << 20;
    private static final FastThreadLocal<byte[]> BYTES = new FastThreadLocal<>() {
      @Override
      protected byte[] initialValue() {
        return new byte[4096];
      }
    };

    static byte[] bytes(int length) {
      byte[] b = BYTES.get();
      if (b.length >= length) {
        return b;
      }
      if (length > KEEP_MAX) {
        return new byte[length];
      }
      b = new byte[Math.max(length, Math.min(KEEP_MAX, 2 * b.length))];
      BYTES.set(b);
      return b;
    }
  }

  /** A whole text message read by the transport: {@code length} UTF-8 bytes at the start of {@code utf8}. */
  private void text(byte[] utf8, int length) {
    if (closeRequested) {
      return;
    }
    long now = System.nanoTime();
    RealtimeEvent event;
    try (JsonParser p = json.getFactory().createParser(utf8, 0, length)) {
      event = event(p, utf8, length, now);
    } catch (IOException | IllegalArgumentException e) {
      if (!validUtf8(utf8, length)) {
        // RFC 6455 8.1: text that is not UTF-8 fails the connection, as the engine would have
        engine.close(1007, "invalid UTF-8 in a text frame");
        return;
      }
      ignored(e);
      return;
    }
    if (event != null) {
      listener.event(event);
    }
  }

  private static boolean validUtf8(byte[] bytes, int length) {
    try {
      StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes, 0, length));
      return true;
    } catch (java.nio.charset.CharacterCodingException e) {
      return false;
    }
  }

  /**
   * One server event, read in one pass whatever the field order. An audio delta's base64 (most of the bytes that
   * arrive) never becomes a tree node: it is decoded into {@link RealtimeEvent#audio} and left out of the JSON.
   * When the event came as bytes and its type came first (as the API sends it), the base64 is decoded straight
   * from those bytes: the parser skips the string without building a String of it.
   */
  private RealtimeEvent event(JsonParser p, byte[] utf8, int length, long now) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      throw new IOException("not a JSON object");
    }
    ObjectNode node = json.createObjectNode();
    String delta = null;
    byte[] audio = null;
    boolean audioType = false;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      if (value == JsonToken.VALUE_STRING && "delta".equals(name)) {
        audio = audioType && utf8 != null ? base64At(utf8, length, p.currentTokenLocation().getByteOffset()) : null;
        if (audio == null) {
          delta = p.getText();
        }
      } else {
        JsonNode v = scalar(p, value);
        node.set(name, v == null ? json.readTree(p) : v);
        audioType |= "type".equals(name) && AUDIO_DELTA.equals(node.get(name).asText());
      }
    }
    String type = node.path("type").asText("");
    if (AUDIO_DELTA.equals(type)) {
      if (audio == null) {
        audio = delta == null ? new byte[0] : Base64.getDecoder().decode(delta);
      }
    } else if (delta != null) {
      node.put("delta", delta);
    }
    return new RealtimeEvent(type, node, audio, now);
  }

  /**
   * A top-level string, number, boolean or null as a node, read without the mapper: readTree sets up a
   * deserialization context for every value, and an audio delta has seven of them. Null for objects, arrays and
   * the rare floating-point value, which go through the mapper.
   */
  private static JsonNode scalar(JsonParser p, JsonToken value) throws IOException {
    return switch (value) {
      case VALUE_STRING -> TextNode.valueOf(p.getText());
      case VALUE_NUMBER_INT -> switch (p.getNumberType()) {
        case INT -> IntNode.valueOf(p.getIntValue());
        case LONG -> LongNode.valueOf(p.getLongValue());
        default -> null;
      };
      case VALUE_TRUE -> BooleanNode.TRUE;
      case VALUE_FALSE -> BooleanNode.FALSE;
      case VALUE_NULL -> NullNode.getInstance();
      default -> null;
    };
  }

  /**
   * The base64 string whose opening quote is at {@code quote} in the first {@code length} bytes of {@code utf8},
   * decoded; null when it is not plain base64.
   */
  private static byte[] base64At(byte[] utf8, int length, long quote) {
    if (quote < 0 || quote >= length || utf8[(int) quote] != '"') {
      return null;
    }
    int start = (int) quote + 1;
    int end = start;
    while (end < length && utf8[end] != '"') {
      if (utf8[end] == '\\') {
        return null;
      }
      end++;
    }
    if (end == length) {
      return null;
    }
    ByteBuffer decoded = Base64.getDecoder().decode(ByteBuffer.wrap(utf8, start, end - start));
    byte[] out = decoded.array();
    return decoded.arrayOffset() == 0 && decoded.position() == 0 && decoded.remaining() == out.length
        ? out : Arrays.copyOfRange(out, decoded.arrayOffset() + decoded.position(),
            decoded.arrayOffset() + decoded.limit());
  }

  private void ignored(Exception e) {
    MDC.put("callId", callId);
    log.warn("realtime: ignoring an event that is not valid JSON: {}", redact(e.getMessage()));
    MDC.remove("callId");
  }

  // ------------------------------------------------------------------ Java-WebSocket side

  /** The engine's callbacks; all on the event loop, since the engine is only fed there. */
  private final class Engine extends WebSocketAdapter {
    @Override
    public void onWebsocketOpen(WebSocket conn, Handshakedata handshake) {
      opened = true;
      deadline.cancel(false);
      if (closeRequested) {
        engine.close(1000, "call ended");
        return;
      }
      listener.opened();
    }

    @Override
    public void onWebsocketMessage(WebSocket conn, String message) {
      // fragmented messages, reassembled and checked by the engine
      if (closeRequested) {
        return;
      }
      RealtimeEvent event;
      try (JsonParser p = json.getFactory().createParser(message)) {
        event = event(p, null, 0, System.nanoTime());
      } catch (IOException | IllegalArgumentException e) {
        ignored(e);
        return;
      }
      listener.event(event);
    }

    @Override
    public void onWebsocketMessage(WebSocket conn, ByteBuffer blob) {
      // the Realtime API sends text frames only
    }

    @Override
    public void onWebsocketClosing(WebSocket conn, int code, String reason, boolean remote) {
      note(closedText(code, reason));
      if (!opened) {
        // no close handshake without a session: what the engine queued is flushed, the socket goes
        if (channel != null) {
          channel.close();
        }
        return;
      }
      if (closeWait == null && channel != null) {
        closeWait = loop.schedule(() -> channel.close(), CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
      }
    }

    @Override
    public void onWebsocketCloseInitiated(WebSocket conn, int code, String reason) {
      // onWebsocketClosing follows
    }

    @Override
    public void onWebsocketClose(WebSocket conn, int code, String reason, boolean remote) {
      note(closedText(code, reason));
      if (channel != null) {
        channel.close();
      }
    }

    @Override
    public void onWebsocketError(WebSocket conn, Exception ex) {
      note("failed: " + describe(ex));
    }

    @Override
    public void onWriteDemand(WebSocket conn) {
      if (loop.inEventLoop()) {
        drain();
      } else if (drainQueued.compareAndSet(false, true)) {
        onLoop(RealtimeClient.this::drain);
      }
    }

    @Override
    public InetSocketAddress getLocalSocketAddress(WebSocket conn) {
      return channel == null ? null : (InetSocketAddress) channel.localAddress();
    }

    @Override
    public InetSocketAddress getRemoteSocketAddress(WebSocket conn) {
      return channel == null ? null : (InetSocketAddress) channel.remoteAddress();
    }

    private String closedText(int code, String reason) {
      return "closed (" + code + (reason == null || reason.isEmpty() ? "" : " " + redact(reason)) + ")";
    }
  }
}
