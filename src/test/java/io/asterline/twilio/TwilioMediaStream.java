package io.asterline.twilio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.Bootstrap;
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
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Twilio's side of a bidirectional Media Stream ({@code <Connect><Stream>}), for tests: the WebSocket upgrade signed
 * with {@code X-Twilio-Signature} over the stream URL, masked client frames, {@code connected} then {@code start}
 * (stream, account and call SIDs, tracks, custom parameters, µ-law 8000/1), the caller's audio as one {@code media}
 * message per 20 ms (track inbound, chunk counting from 1, timestamp in ms since the stream began, sequence numbers
 * counting every message after connected), {@code dtmf}, and {@code stop} before Twilio closes the socket. What
 * Asterline sends is buffered and played in real time (8000 bytes a second, 160 bytes per 20 ms tick); a
 * {@code mark} is echoed when the audio sent before it has played, and a {@code clear} drops the buffer and echoes
 * the marks still pending at once, as Twilio does.
 */
public final class TwilioMediaStream implements AutoCloseable {

  public static final int FRAME = 160;

  /** 20 ms the caller heard of what Asterline sent, and when. */
  public record Played(byte[] audio, long nanos) {}

  /** One entry of Twilio's playback buffer: audio or a mark. */
  private record Buffered(byte[] audio, String mark) {}

  private final ObjectMapper json = new ObjectMapper();
  private final String accountSid;
  public final String callSid;
  public final String streamSid;
  private final Map<String, String> customParameters;
  private Channel channel;
  private ScheduledFuture<?> timer;
  private volatile long startNanos;
  private long sequence;
  private long chunk;
  public volatile Supplier<byte[]> callerAudio = TwilioMediaStream::silence;
  /** Stops sending the caller's media, as when a test wants a quiet line. */
  public volatile boolean muted;

  // Twilio's playback state, on the client's event loop only
  private final ArrayDeque<Buffered> buffer = new ArrayDeque<>();
  private volatile int bufferedBytes;

  public final CompletableFuture<Integer> handshake = new CompletableFuture<>();
  public final CompletableFuture<String> closed = new CompletableFuture<>();
  /** Agent audio as the caller heard it, 160 bytes (or what was left) per tick. */
  public final List<Played> heard = new CopyOnWriteArrayList<>();
  /** Every message Asterline sent, as JSON. */
  public final List<JsonNode> received = new CopyOnWriteArrayList<>();
  /** When each media message from Asterline arrived (nanos). */
  public final List<Long> mediaArrivals = new CopyOnWriteArrayList<>();
  /** Marks echoed, in order. */
  public final List<String> marksEchoed = new CopyOnWriteArrayList<>();
  /** When each clear arrived (nanos). */
  public final List<Long> clears = new CopyOnWriteArrayList<>();
  /**
   * Underruns at the 20 ms playout: the buffer ran dry while the answer was still coming (more audio arrived less
   * than 100 ms later, not after a clear), so the caller heard a gap in it.
   */
  public volatile int underruns;
  /** When the buffer last ran dry after playing (0: not dry, or emptied by a clear). */
  private long dryAt;
  /** Every message this side sent, as JSON text. */
  public final List<String> sent = new CopyOnWriteArrayList<>();

  private TwilioMediaStream(String accountSid, String callSid, Map<String, String> customParameters) {
    this.accountSid = accountSid;
    this.callSid = callSid;
    this.streamSid = "MZ" + HexFormat.of().formatHex(randomBytes(16));
    this.customParameters = customParameters;
  }

  public static String newCallSid() {
    return "CA" + HexFormat.of().formatHex(randomBytes(16));
  }

  public static byte[] silence() {
    byte[] b = new byte[FRAME];
    java.util.Arrays.fill(b, (byte) 0xFF);
    return b;
  }

  /**
   * Connects as Twilio does to {@code server} at {@code path}, signing {@code signedUrl} with {@code authToken}
   * ({@code signature} overrides it when not null: a forged one). The handshake future completes with the HTTP
   * status; on 101 the stream starts.
   */
  public static TwilioMediaStream connect(EventLoopGroup group, InetSocketAddress server, String path,
      String signedUrl, String authToken, String signature, String accountSid, String callSid,
      Map<String, String> customParameters) throws InterruptedException {
    TwilioMediaStream s = new TwilioMediaStream(accountSid, callSid, customParameters);
    String key = Base64.getEncoder().encodeToString(randomBytes(16));
    Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast("http", new HttpResponseDecoder())
                .addLast("aggregator", new HttpObjectAggregator(8192))
                .addLast("upgrade", s.new Upgrade(key));
          }
        })
        .connect(server).sync().channel();
    s.channel = ch;
    String sig = signature != null ? signature : TwilioSignature.sign(authToken, signedUrl, Map.of());
    String request = "GET " + path + " HTTP/1.1\r\n"
        + "Host: " + server.getHostString() + ":" + server.getPort() + "\r\n"
        + "Upgrade: websocket\r\n"
        + "Connection: Upgrade\r\n"
        + "Sec-WebSocket-Key: " + key + "\r\n"
        + "Sec-WebSocket-Version: 13\r\n"
        + "X-Twilio-Signature: " + sig + "\r\n"
        + "User-Agent: Twilio.TmeWs/1.0\r\n"
        + "\r\n";
    ch.writeAndFlush(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
    ch.closeFuture().addListener(f -> s.closed.complete("socket closed"));
    return s;
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
        handshake.complete(status);
        ctx.close();
        return;
      }
      String expected = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
          .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII)));
      if (!expected.equals(response.headers().get("Sec-WebSocket-Accept"))) {
        handshake.complete(-1);
        ctx.close();
        return;
      }
      ctx.pipeline().remove("http");
      ctx.pipeline().remove("aggregator");
      ctx.pipeline().addLast("ws-decoder", new WebSocket13FrameDecoder(false, false, 1 << 20))
          .addLast("ws-encoder", new WebSocket13FrameEncoder(true))
          .addLast("stream", new Frames());
      ctx.pipeline().remove(this);
      handshake.complete(101);
      startNanos = System.nanoTime();
      send(json.createObjectNode().put("event", "connected").put("protocol", "Call").put("version", "1.0.0"));
      send(start());
      timer = channel.eventLoop().scheduleAtFixedRate(TwilioMediaStream.this::tick, 20, 20, TimeUnit.MILLISECONDS);
    }
  }

  private ObjectNode start() {
    ObjectNode n = message("start");
    ObjectNode s = n.putObject("start");
    s.put("accountSid", accountSid).put("streamSid", streamSid).put("callSid", callSid);
    s.putArray("tracks").add("inbound");
    ObjectNode params = s.putObject("customParameters");
    customParameters.forEach(params::put);
    s.putObject("mediaFormat").put("encoding", "audio/x-mulaw").put("sampleRate", 8000).put("channels", 1);
    return n;
  }

  private ObjectNode message(String event) {
    ObjectNode n = json.createObjectNode().put("event", event).put("sequenceNumber", Long.toString(++sequence));
    n.put("streamSid", streamSid);
    return n;
  }

  private void send(ObjectNode n) {
    String text = n.toString();
    sent.add(text);
    channel.writeAndFlush(new TextWebSocketFrame(text));
  }

  /** Sends a raw text message, as a broken peer might. */
  public void sendText(String text) {
    channel.eventLoop().execute(() -> {
      sent.add(text);
      channel.writeAndFlush(new TextWebSocketFrame(text));
    });
  }

  /** The caller pressed a key. */
  public void dtmf(char digit) {
    channel.eventLoop().execute(() -> {
      ObjectNode n = message("dtmf");
      n.putObject("dtmf").put("track", "inbound_track").put("digit", String.valueOf(digit));
      send(n);
    });
  }

  /** The caller hung up: Twilio sends stop, then closes the socket. */
  public void stop() {
    channel.eventLoop().execute(() -> {
      if (timer != null) {
        timer.cancel(false);
      }
      if (!channel.isActive()) {
        return;
      }
      ObjectNode n = message("stop");
      n.putObject("stop").put("accountSid", accountSid).put("callSid", callSid);
      send(n);
      channel.writeAndFlush(new CloseWebSocketFrame(1000, "")).addListener(f -> channel.close());
    });
  }

  /** One 20 ms tick: the caller's frame goes out, one frame of the buffer is played, marks behind it echoed. */
  private void tick() {
    long now = System.nanoTime();
    if (!channel.isActive()) {
      return;
    }
    if (!muted) {
      ObjectNode n = message("media");
      chunk++;
      n.putObject("media").put("track", "inbound").put("chunk", Long.toString(chunk))
          .put("timestamp", Long.toString((now - startNanos) / 1_000_000))
          .put("payload", Base64.getEncoder().encodeToString(callerAudio.get()));
      send(n);
    }
    echoMarksAtHead();
    if (bufferedBytes == 0) {
      return;
    }
    ByteArrayOutputStream frame = new ByteArrayOutputStream(FRAME);
    while (frame.size() < FRAME && bufferedBytes > 0) {
      Buffered b = buffer.poll();
      if (b.mark() != null) {
        // a mark inside the frame: the audio before it has played
        echo(b.mark());
        continue;
      }
      int take = Math.min(FRAME - frame.size(), b.audio().length);
      frame.write(b.audio(), 0, take);
      bufferedBytes -= take;
      if (take < b.audio().length) {
        buffer.addFirst(new Buffered(java.util.Arrays.copyOfRange(b.audio(), take, b.audio().length), null));
      }
    }
    heard.add(new Played(frame.toByteArray(), now));
    if (bufferedBytes == 0) {
      dryAt = now;
    }
    echoMarksAtHead();
  }

  private void echoMarksAtHead() {
    while (!buffer.isEmpty() && buffer.peek().mark() != null) {
      echo(buffer.poll().mark());
    }
  }

  private void echo(String name) {
    marksEchoed.add(name);
    ObjectNode n = message("mark");
    n.putObject("mark").put("name", name);
    send(n);
  }

  private final class Frames extends SimpleChannelInboundHandler<WebSocketFrame> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) throws Exception {
      if (frame instanceof TextWebSocketFrame text) {
        JsonNode n = json.readTree(text.text());
        received.add(n);
        switch (n.path("event").asText()) {
          case "media" -> {
            long now = System.nanoTime();
            mediaArrivals.add(now);
            if (dryAt != 0 && now - dryAt < 100_000_000L) {
              underruns++;
            }
            dryAt = 0;
            byte[] audio = Base64.getDecoder().decode(n.at("/media/payload").asText());
            buffer.add(new Buffered(audio, null));
            bufferedBytes += audio.length;
          }
          case "mark" -> buffer.add(new Buffered(null, n.at("/mark/name").asText()));
          case "clear" -> {
            clears.add(System.nanoTime());
            dryAt = 0;
            List<String> pending = new ArrayList<>();
            for (Buffered b : buffer) {
              if (b.mark() != null) {
                pending.add(b.mark());
              }
            }
            buffer.clear();
            bufferedBytes = 0;
            pending.forEach(TwilioMediaStream.this::echo);
          }
          default -> { }
        }
      } else if (frame instanceof CloseWebSocketFrame close) {
        closed.complete("close " + close.statusCode());
        if (timer != null) {
          timer.cancel(false);
        }
        ctx.writeAndFlush(new CloseWebSocketFrame(close.statusCode(), "")).addListener(f -> ctx.close());
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      closed.complete("error " + cause);
      ctx.close();
    }
  }

  /** Messages Asterline sent with this event name. */
  public List<JsonNode> receivedNamed(String event) {
    return received.stream().filter(n -> n.path("event").asText().equals(event)).toList();
  }

  /** Bytes of agent audio the caller heard so far. */
  public int heardBytes() {
    int n = 0;
    for (Played p : heard) {
      n += p.audio().length;
    }
    return n;
  }

  /** Everything the caller heard, in order. */
  public byte[] heardAudio() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Played p : heard) {
      out.writeBytes(p.audio());
    }
    return out.toByteArray();
  }

  /** When the stream started (the handshake's answer): media timestamps count from here. */
  public long startNanos() {
    return startNanos;
  }

  /** Bytes Asterline sent that Twilio still holds. */
  public int buffered() {
    return bufferedBytes;
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.cancel(false);
    }
    channel.close();
  }
}
