package io.asterline.mediaws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Asterisk 22.10.1's WebSocket channel (chan_websocket.c with res_websocket_client.c and res_http_websocket.c) as
 * seen from Asterline, for tests: the same HTTP upgrade request (GET of the configured uri with {@code ?call=...},
 * Sec-WebSocket-Version 13, Basic auth, {@code Sec-WebSocket-Protocol: media}), masked client frames, MEDIA_START
 * first, the caller's audio as one 160-byte binary message per 20 ms, and the channel's frame queue played one
 * frame per 20 ms tick exactly as {@code dequeue_frame} does: MEDIA_XON checked first, queued MEDIA_MARK_PROCESSED
 * sent when the timer reaches them, QUEUE_DRAINED when asked and empty. Binary messages are cut into 160-byte frames
 * and the rest dropped unless buffering; MEDIA_XOFF at 900 queued frames, messages ignored at 1,000; FLUSH_MEDIA
 * empties the queue, marks included; HANGUP hangs up (close 1000, then the socket); text over 128 bytes is ignored.
 */
final class AsteriskWebSocketChannel implements AutoCloseable {

  static final int FRAME = 160;
  static final int QUEUE_MAX = 1000;
  static final int XOFF = 900;
  static final int XON = 800;
  static final int MAX_TEXT = 128;
  static final byte SILENCE = (byte) 0xFF;

  /** A frame the caller heard, or a control message the channel sent when its tick reached it. */
  record Played(byte[] audio, long nanos) {}

  /** One entry of chan_websocket's frame_queue: audio (counted in the length) or an option frame (not counted). */
  private record Queued(byte[] audio, String control) {}

  private final ObjectMapper json = new ObjectMapper();
  private final boolean jsonFormat;
  private final UUID callId;
  private final Map<String, String> variables;
  private Channel channel;
  private ScheduledFuture<?> timer;
  volatile Supplier<byte[]> callerAudio = () -> silence();

  // the channel's state, touched on its event loop only
  private final ArrayDeque<Queued> queue = new ArrayDeque<>();
  private int queueLength;
  private boolean queueFull;
  private boolean bulk;
  private final byte[] leftover = new byte[FRAME];
  private int leftoverLen;
  private boolean reportDrained;
  /** Stops the queue being played, as a channel whose core is stuck would (for flow-control tests). */
  volatile boolean paused;

  /** Frames of agent audio (not silence) ever queued, and binary messages ignored because the queue was full. */
  volatile int framesQueued;
  volatile int messagesDropped;
  final CompletableFuture<Integer> handshake = new CompletableFuture<>();
  final CompletableFuture<String> closed = new CompletableFuture<>();
  final List<Played> heard = new CopyOnWriteArrayList<>();
  final List<String> commands = new CopyOnWriteArrayList<>();
  final List<String> eventsSent = new CopyOnWriteArrayList<>();
  volatile String acceptedProtocol;

  private AsteriskWebSocketChannel(boolean jsonFormat, UUID callId, Map<String, String> variables) {
    this.jsonFormat = jsonFormat;
    this.callId = callId;
    this.variables = variables;
  }

  static byte[] silence() {
    byte[] b = new byte[FRAME];
    java.util.Arrays.fill(b, SILENCE);
    return b;
  }

  /**
   * Dials as {@code Dial(WebSocket/asterline/c(ulaw)f(json)v(call=<uriCall>))} does; {@code variables} are the
   * channel's (what MEDIA_START carries in JSON). The handshake future completes with the HTTP status.
   */
  static AsteriskWebSocketChannel dial(EventLoopGroup group, InetSocketAddress server, String uriCall, String userinfo,
      boolean json, UUID callId, Map<String, String> variables) throws InterruptedException {
    AsteriskWebSocketChannel ws = new AsteriskWebSocketChannel(json, callId, variables);
    String key = Base64.getEncoder().encodeToString(randomBytes(16));
    Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast("http", new HttpResponseDecoder())
                .addLast("aggregator", new HttpObjectAggregator(8192))
                .addLast("upgrade", ws.new Upgrade(key));
          }
        })
        .connect(server).sync().channel();
    ws.channel = ch;
    // res_http_websocket's websocket_client_handshake, byte for byte
    String request = "GET /media" + (uriCall == null ? "" : "?call=" + uriCall) + " HTTP/1.1\r\n"
        + "Sec-WebSocket-Version: 13\r\n"
        + "Upgrade: websocket\r\n"
        + "Connection: Upgrade\r\n"
        + "Host: " + server.getHostString() + ":" + server.getPort() + "\r\n"
        + (userinfo == null ? "" : "Authorization: Basic "
            + Base64.getEncoder().encodeToString(userinfo.getBytes(StandardCharsets.UTF_8)) + "\r\n")
        + "Sec-WebSocket-Protocol: media\r\n"
        + "Sec-WebSocket-Key: " + key + "\r\n"
        + "\r\n";
    ch.writeAndFlush(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
    ch.closeFuture().addListener(f -> ws.closed.complete("socket closed"));
    return ws;
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    ThreadLocalRandom.current().nextBytes(b);
    return b;
  }

  private final class Upgrade extends SimpleChannelInboundHandler<FullHttpResponse> {
    private final String key;

    Upgrade(String key) {
      this.key = key;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) throws Exception {
      int status = response.status().code();
      if (status != 101) {
        // WS_UNAUTHORIZED, WS_URL_NOT_FOUND, WS_INVALID_RESPONSE: the call fails (Dial: CHANUNAVAIL)
        handshake.complete(status);
        ctx.close();
        return;
      }
      String expected = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
          .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII)));
      if (!expected.equals(response.headers().get("Sec-WebSocket-Accept"))
          || response.headers().contains("Sec-WebSocket-Extensions")) {
        handshake.complete(-1);
        ctx.close();
        return;
      }
      acceptedProtocol = response.headers().get("Sec-WebSocket-Protocol");
      ctx.pipeline().remove("http");
      ctx.pipeline().remove("aggregator");
      ctx.pipeline().addLast("ws-decoder", new WebSocket13FrameDecoder(false, false, 65535))
          .addLast("ws-encoder", new WebSocket13FrameEncoder(true))
          .addLast("channel", new Frames());
      ctx.pipeline().remove(this);
      handshake.complete(101);
      // websocket_handoff_to_channel: MEDIA_START, then auto-answer; the timer runs from the channel's creation
      sendEvent(mediaStart());
      timer = channel.eventLoop().scheduleAtFixedRate(AsteriskWebSocketChannel.this::tick, 20, 20, TimeUnit.MILLISECONDS);
    }
  }

  private String mediaStart() {
    String name = "WebSocket/asterline/0x7f3a1c00" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000));
    String uniqueId = "1733467200." + ThreadLocalRandom.current().nextInt(1000);
    if (jsonFormat) {
      ObjectNode n = json.createObjectNode().put("event", "MEDIA_START").put("connection_id", "asterline")
          .put("channel", name).put("channel_id", uniqueId).put("format", "ulaw").put("optimal_frame_size", FRAME)
          .put("ptime", 20);
      ObjectNode vars = n.putObject("channel_variables");
      vars.put("MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE", "160").put("MEDIA_WEBSOCKET_CONNECTION_ID", "asterline");
      variables.forEach(vars::put);
      return n.toString();
    }
    return "MEDIA_START connection_id:asterline channel:" + name + " channel_id:" + uniqueId
        + " format:ulaw optimal_frame_size:160 ptime:20";
  }

  private String nodata(String event) {
    return jsonFormat ? "{\"event\":\"" + event + "\",\"channel_id\":\"1733467200.1\"}" : event;
  }

  private String withId(String event, String id) {
    return jsonFormat ? "{\"event\":\"" + event + "\",\"channel_id\":\"1733467200.1\",\"correlation_id\":\""
        + (id == null ? "" : id) + "\"}" : event + (id == null || id.isEmpty() ? "" : " " + id);
  }

  private void sendEvent(String text) {
    eventsSent.add(text);
    channel.writeAndFlush(new TextWebSocketFrame(text));
  }

  /** Sends a raw text message, as a broken or future Asterisk might. */
  void sendText(String text) {
    channel.eventLoop().execute(() -> sendEvent(text));
  }

  /** The caller pressed a key: webchan_send_dtmf_text. */
  void dtmf(char digit) {
    channel.eventLoop().execute(() -> sendEvent(jsonFormat
        ? "{\"event\":\"DTMF_END\",\"channel_id\":\"1733467200.1\",\"digit\":\"" + digit + "\"}"
        : "DTMF_END digit:" + digit + " channel_id:1733467200.1"));
  }

  /** The caller hung up: webchan_hangup closes the WebSocket with 1000. */
  void hangUp() {
    channel.eventLoop().execute(this::closeAsAsterisk);
  }

  private void closeAsAsterisk() {
    if (timer != null) {
      timer.cancel(false);
    }
    if (channel.isActive()) {
      channel.writeAndFlush(new CloseWebSocketFrame(1000, "")).addListener(f -> channel.close());
    }
  }

  /** webchan_read on the timer fd: one 20 ms tick. The caller's frame goes out (webchan_write) and one frame is played. */
  private void tick() {
    long now = System.nanoTime();
    if (!channel.isActive()) {
      return;
    }
    channel.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(callerAudio.get())));
    if (paused) {
      return;
    }
    // dequeue_frame
    if (queueFull && queueLength < XON) {
      queueFull = false;
      sendEvent(nodata("MEDIA_XON"));
    }
    Queued q = queue.poll();
    if (q == null) {
      if (reportDrained) {
        reportDrained = false;
        sendEvent(nodata("QUEUE_DRAINED"));
      }
      return;
    }
    while (q != null && q.control() != null) {
      sendEvent(q.control());
      q = queue.poll();
    }
    if (q == null) {
      return;
    }
    queueLength--;
    heard.add(new Played(q.audio(), now));
  }

  private final class Frames extends SimpleChannelInboundHandler<WebSocketFrame> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
      if (frame instanceof TextWebSocketFrame text) {
        command(text.text());
      } else if (frame instanceof BinaryWebSocketFrame binary) {
        media(binary.content());
      } else if (frame instanceof CloseWebSocketFrame close) {
        // the remote closed: the channel hangs up with NORMAL (read_from_ws_and_queue)
        closed.complete("close " + close.statusCode());
        closeAsAsterisk();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      closed.complete("error " + cause);
      ctx.close();
    }
  }

  /** process_binary_message (not passthrough). */
  private void media(ByteBuf payload) {
    if (queueLength >= QUEUE_MAX) {
      messagesDropped++;
      return;
    }
    byte[] data = new byte[payload.readableBytes()];
    payload.readBytes(data);
    int offset = 0;
    int len = data.length;
    if (bulk && leftoverLen > 0) {
      int need = FRAME - leftoverLen;
      int copy = Math.min(need, len);
      System.arraycopy(data, 0, leftover, leftoverLen, copy);
      if (copy < need) {
        leftoverLen += copy;
        return;
      }
      queueAudio(leftover.clone());
      offset = copy;
      len -= copy;
      leftoverLen = 0;
    }
    if (!bulk && leftoverLen > 0) {
      leftoverLen = 0;
    }
    while (len >= FRAME) {
      queueAudio(java.util.Arrays.copyOfRange(data, offset, offset + FRAME));
      offset += FRAME;
      len -= FRAME;
    }
    if (bulk && len > 0) {
      System.arraycopy(data, offset, leftover, 0, len);
      leftoverLen = len;
    }
  }

  /** queue_frame_from_buffer. */
  private void queueAudio(byte[] frame) {
    queue.add(new Queued(frame, null));
    queueLength++;
    if (!isSilence(frame)) {
      framesQueued++;
    }
    if (!queueFull && queueLength >= XOFF) {
      queueFull = true;
      sendEvent(nodata("MEDIA_XOFF"));
    }
  }

  /** process_text_message and handle_command. */
  private void command(String raw) {
    if (raw.isEmpty() || raw.length() > MAX_TEXT) {
      return;
    }
    String text = raw.strip();
    commands.add(text);
    String command;
    String data = null;
    if (jsonFormat) {
      JsonNode n;
      try {
        n = json.readTree(text);
      } catch (Exception e) {
        sendEvent("{\"event\":\"ERROR\",\"channel_id\":\"1733467200.1\",\"error_text\":\"Unable to parse JSON command\"}");
        return;
      }
      command = n.path("command").asText(null);
      data = n.path("correlation_id").asText(null);
    } else {
      int space = text.indexOf(' ');
      command = space < 0 ? text : text.substring(0, space);
      data = space < 0 ? null : text.substring(space + 1);
    }
    if (command == null) {
      return;
    }
    switch (command) {
      case "HANGUP" -> closeAsAsterisk();
      case "START_MEDIA_BUFFERING" -> bulk = true;
      case "STOP_MEDIA_BUFFERING" -> {
        bulk = false;
        if (leftoverLen > 0) {
          queueAudio(java.util.Arrays.copyOf(leftover, leftoverLen));
        }
        leftoverLen = 0;
        queue.add(new Queued(null, withId("MEDIA_BUFFERING_COMPLETED", data)));
      }
      case "MARK_MEDIA" -> queue.add(new Queued(null, withId("MEDIA_MARK_PROCESSED", data)));
      case "FLUSH_MEDIA" -> {
        queue.clear();
        queueLength = 0;
        bulk = false;
        leftoverLen = 0;
      }
      case "REPORT_QUEUE_DRAINED" -> reportDrained = true;
      case "GET_STATUS" -> sendEvent(jsonFormat ? "{\"event\":\"STATUS\",\"channel_id\":\"1733467200.1\",\"queue_length\":"
          + queueLength + ",\"xon_level\":800,\"xoff_level\":900,\"queue_full\":" + queueFull + ",\"bulk_media\":" + bulk
          + ",\"media_paused\":false}" : "STATUS channel_id:1733467200.1 queue_length:" + queueLength
          + " xon_level:800 xoff_level:900 queue_full:" + queueFull + " bulk_media:" + bulk + " media_paused:false");
      default -> {
        // ANSWER and the rest change nothing a test looks at; unknown commands are only logged by Asterisk
      }
    }
  }

  /** Agent audio frames played so far. */
  int agentFrames() {
    int n = 0;
    for (Played p : heard) {
      if (!isSilence(p.audio())) {
        n++;
      }
    }
    return n;
  }

  byte[] agentAudio() {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (Played p : heard) {
      out.writeBytes(p.audio());
    }
    return out.toByteArray();
  }

  List<String> commandsNamed(String name) {
    List<String> out = new ArrayList<>();
    for (String c : commands) {
      if (c.contains(name)) {
        out.add(c);
      }
    }
    return out;
  }

  /** Frames queued in "Asterisk" right now (read on its loop). */
  int queueLength() throws Exception {
    return channel.eventLoop().submit(() -> queueLength).get();
  }

  static boolean isSilence(byte[] frame) {
    for (byte b : frame) {
      if (b != SILENCE && b != (byte) 0x7F) {
        return false;
      }
    }
    return true;
  }

  boolean isOpen() {
    return channel.isActive();
  }

  @Override
  public void close() {
    if (channel != null) {
      channel.close().syncUninterruptibly();
    }
  }
}
