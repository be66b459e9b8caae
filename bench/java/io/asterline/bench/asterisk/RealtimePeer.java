package io.asterline.bench.asterisk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.realtime.MuLaw;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The OpenAI Realtime API as far as the bench needs it, speaking its GA events: a session is created and
 * updated, {@code response.create} (the greeting) streams {@link #GREETING_MS} of a 440 Hz tone at once as the
 * API does (faster than real time), and a server VAD listens to the caller's appended audio: speech in it sends
 * {@code input_audio_buffer.speech_started} (barge-in), 500 ms of silence after it sends
 * {@code speech_stopped} and {@code committed} and then answers with {@link #REPLY_MS} of a 660 Hz tone. Its
 * server can be stopped and started again (connection refused), for the failure checks.
 */
final class RealtimePeer implements AutoCloseable {

  static final int GREETING_MS = 10_000;
  static final int REPLY_MS = 2_000;
  private static final byte[] TAIL = "\"}".getBytes(StandardCharsets.US_ASCII);
  static final int GREETING_HZ = 440;
  static final int REPLY_HZ = 660;
  private static final byte[][] GREETING = tone(GREETING_HZ, GREETING_MS);
  private static final byte[][] REPLY = tone(REPLY_HZ, REPLY_MS);

  private final ObjectMapper json = new ObjectMapper();
  private final EventLoopGroup group;
  private final int port;
  private volatile Channel server;
  final AtomicInteger sessions = new AtomicInteger();
  final AtomicInteger bargeIns = new AtomicInteger();
  final AtomicInteger truncates = new AtomicInteger();
  /**
   * Every {@code conversation.item.truncate} received, with the pitch of the caller's speech in that session (the
   * bench gives each caller its own tone, so a truncate can be matched to the call whose RTP shows what was played).
   */
  final java.util.Queue<Truncate> truncated = new java.util.concurrent.ConcurrentLinkedQueue<>();

  /** One truncate: the item, the played milliseconds the node sent, and the session's caller tone (Hz). */
  static final class Truncate {
    final String itemId;
    final long audioEndMs;
    /** When it arrived, and when the stand-in had sent that session's latest speech_started (nanoTime). */
    final long at;
    final long speechStartedAt;
    private final Session session;

    Truncate(String itemId, long audioEndMs, Session session) {
      this.itemId = itemId;
      this.audioEndMs = audioEndMs;
      this.session = session;
      this.at = System.nanoTime();
      this.speechStartedAt = session.speechStartedAt;
    }

    /** The caller's tone in this session, from zero crossings of its speech (read after the call ended). */
    double callerHz() {
      return session.callerHz();
    }
  }
  /**
   * When set, a session wedges right after the caller's turn ends: it sends speech_stopped and committed, owes the
   * answer, and then sends nothing and reads nothing (no pong either), as a stopped upstream with its TCP
   * connection open does. {@link #stalledAt} says when.
   */
  volatile boolean stallAfterTurn;
  volatile long stalledAt;

  RealtimePeer(int port) {
    this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("realtime-peer"), NioIoHandler.newFactory());
    this.server = bind(port);
    this.port = ((InetSocketAddress) server.localAddress()).getPort();
  }

  int port() {
    return port;
  }

  /** Stops listening: new sessions are refused (calls in progress keep theirs). */
  void refuse() {
    server.close().syncUninterruptibly();
  }

  void accept() {
    if (!server.isActive()) {
      server = bind(port);
    }
  }

  private Channel bind(int port) {
    WebSocketServerProtocolConfig ws = WebSocketServerProtocolConfig.newBuilder()
        .websocketPath("/v1/realtime")
        .checkStartsWith(true)
        .decoderConfig(WebSocketDecoderConfig.newBuilder().maxFramePayloadLength(16 << 20).build())
        .build();
    return new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                new WebSocketServerProtocolHandler(ws), new Session());
          }
        })
        .bind(new InetSocketAddress("127.0.0.1", port))
        .syncUninterruptibly()
        .channel();
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private static byte[][] tone(double hz, int millis) {
    byte[][] deltas = new byte[millis / 100][];
    for (int d = 0; d < deltas.length; d++) {
      byte[] b = new byte[800];
      for (int i = 0; i < b.length; i++) {
        int n = d * 800 + i;
        b[i] = MuLaw.encode((short) (8000 * Math.sin(2 * Math.PI * hz * n / 8000.0)));
      }
      deltas[d] = Base64.getEncoder().encode(b);
    }
    return deltas;
  }

  /** One Realtime session with its server VAD. */
  private final class Session extends SimpleChannelInboundHandler<TextWebSocketFrame> {
    int turn;
    boolean stalled;
    boolean speaking;
    int silentMs;
    int heardMs;
    // the caller's pitch: sign changes over the samples of its speech (written on the loop, read after the call)
    private volatile long speechStartedAt;
    private volatile long crossings;
    private volatile long firstCrossing = -1;
    private volatile long lastCrossing;
    private long sample;
    private int lastSign;

    /** Half-periods between the first and the last sign change of the caller's speech, over the samples between. */
    double callerHz() {
      return crossings < 2 ? -1 : (crossings - 1) / 2.0 / ((lastCrossing - firstCrossing) / 8000.0);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
        sessions.incrementAndGet();
        send(ctx, "{\"type\":\"session.created\",\"session\":{\"type\":\"realtime\"}}");
        ctx.flush();
      }
      super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) throws Exception {
      if (stalled) {
        return;
      }
      ByteBuf text = frame.content();
      JsonNode e = json.readTree((java.io.InputStream) new ByteBufInputStream(text));
      switch (e.path("type").asText()) {
        case "input_audio_buffer.append" -> vad(ctx, Base64.getDecoder().decode(e.path("audio").asText()));
        case "session.update" -> {
          send(ctx, "{\"type\":\"session.updated\",\"session\":{\"type\":\"realtime\"}}");
          ctx.flush();
        }
        case "response.create" -> answer(ctx, GREETING);
        case "conversation.item.truncate" -> {
          truncates.incrementAndGet();
          truncated.add(new Truncate(e.path("item_id").asText(), e.path("audio_end_ms").asLong(-1), this));
        }
        default -> {
          // cancel: the audio was all sent already, as the API does; the node drops what it queued
        }
      }
    }

    private void vad(ChannelHandlerContext ctx, byte[] mulaw) {
      long sum = 0;
      for (byte b : mulaw) {
        sum += Math.abs(MuLaw.decode(b));
      }
      int ms = mulaw.length / 8;
      heardMs += ms;
      boolean speech = mulaw.length > 0 && sum / mulaw.length > RtpLeg.SPEECH_LEVEL;
      long at = sample;
      sample += mulaw.length;
      if (speech) {
        for (byte b : mulaw) {
          int v = MuLaw.decode(b);
          if (v != 0) {
            int sign = v > 0 ? 1 : -1;
            if (lastSign != 0 && sign != lastSign) {
              if (firstCrossing < 0) {
                firstCrossing = at;
              }
              lastCrossing = at;
              crossings++;
            }
            lastSign = sign;
          }
          at++;
        }
        silentMs = 0;
        if (!speaking) {
          speaking = true;
          bargeIns.incrementAndGet();
          speechStartedAt = System.nanoTime();
          send(ctx, "{\"type\":\"input_audio_buffer.speech_started\",\"audio_start_ms\":" + heardMs
              + ",\"item_id\":\"in_" + turn + "\"}");
          ctx.flush();
        }
      } else if (speaking) {
        silentMs += ms;
        if (silentMs >= 500) {
          speaking = false;
          send(ctx, "{\"type\":\"input_audio_buffer.speech_stopped\",\"audio_end_ms\":" + heardMs
              + ",\"item_id\":\"in_" + turn + "\"}");
          send(ctx, "{\"type\":\"input_audio_buffer.committed\",\"item_id\":\"in_" + turn + "\"}");
          if (stallAfterTurn) {
            ctx.flush();
            stalled = true;
            stalledAt = System.nanoTime();
            ctx.channel().config().setAutoRead(false);
            return;
          }
          // server VAD with create_response answers the caller's turn by itself
          answer(ctx, REPLY);
        }
      }
    }

    private void answer(ChannelHandlerContext ctx, byte[][] audio) {
      int t = ++turn;
      String response = "resp_" + t;
      String item = "item_" + t;
      send(ctx, "{\"type\":\"response.created\",\"response\":{\"id\":\"" + response + "\",\"status\":\"in_progress\"}}");
      byte[] head = ("{\"type\":\"response.output_audio.delta\",\"response_id\":\"" + response + "\",\"item_id\":\"" + item
          + "\",\"output_index\":0,\"content_index\":0,\"delta\":\"").getBytes(StandardCharsets.US_ASCII);
      for (byte[] delta : audio) {
        ctx.write(new TextWebSocketFrame(Unpooled.wrappedBuffer(head, delta, TAIL)), ctx.voidPromise());
      }
      send(ctx, "{\"type\":\"response.done\",\"response\":{\"id\":\"" + response + "\",\"status\":\"completed\"}}");
      ctx.flush();
    }

    private void send(ChannelHandlerContext ctx, String text) {
      ctx.write(new TextWebSocketFrame(Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8))), ctx.voidPromise());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
