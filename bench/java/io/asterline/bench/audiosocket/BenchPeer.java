package io.asterline.bench.audiosocket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.realtime.MuLaw;
import io.netty.bootstrap.ServerBootstrap;
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
import java.util.function.IntFunction;
import java.util.function.LongConsumer;

/**
 * The Realtime side of every benchmark call (bench/audiosocket's and bench/twilio's), kept lean so that it is the node that is measured: a Netty
 * WebSocket server on one event loop (Java-WebSocket's server hands every read from its selector thread to a
 * worker thread and builds a String of every message: at 1,000 calls that was almost half a core of the two).
 * Caller audio appends are recognised by their first bytes and not parsed. Each call loops: a 3 s answer
 * streamed at once (as the API does, faster than real time), the caller barges in 1.2 s into it, stops talking
 * 300 ms later, and the next answer follows 200 ms after that.
 */
public final class BenchPeer implements AutoCloseable {

  private static final byte[] APPEND = "{\"type\":\"input_audio_buffer.append\"".getBytes(StandardCharsets.US_ASCII);
  private static final byte[][] DELTAS = new byte[30][];
  private static final byte[] TAIL = "\"}".getBytes(StandardCharsets.US_ASCII);

  static {
    // 3 s of a 440 Hz tone as 30 deltas of 100 ms
    for (int d = 0; d < DELTAS.length; d++) {
      byte[] b = new byte[800];
      for (int i = 0; i < b.length; i++) {
        int n = d * 800 + i;
        b[i] = MuLaw.encode((short) (8000 * Math.sin(2 * Math.PI * 440 * n / 8000.0) + 3000));
      }
      DELTAS[d] = Base64.getEncoder().encode(b);
    }
  }

  private final ObjectMapper json = new ObjectMapper();
  /** Call index -> what is told when that call's barge-in goes out (null: not a measured call). */
  private final IntFunction<LongConsumer> calls;
  private final EventLoopGroup group;
  private final Channel server;

  public BenchPeer(IntFunction<LongConsumer> calls) {
    this.calls = calls;
    this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("bench-peer"), NioIoHandler.newFactory());
    WebSocketServerProtocolConfig ws = WebSocketServerProtocolConfig.newBuilder()
        .websocketPath("/v1/realtime")
        .checkStartsWith(true)
        // the node's text is checked by the tests; here it would only cost the node's cores
        .decoderConfig(WebSocketDecoderConfig.newBuilder().maxFramePayloadLength(16 << 20).withUTF8Validator(false).build())
        .build();
    this.server = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 4096)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                new WebSocketServerProtocolHandler(ws), new Conn());
          }
        })
        .bind(new InetSocketAddress("127.0.0.1", 0))
        .syncUninterruptibly()
        .channel();
  }

  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** One Realtime session: which benchmark call it serves (from the tenant's instructions) and its turn counter. */
  private final class Conn extends SimpleChannelInboundHandler<TextWebSocketFrame> {
    int call = -1;
    int turn;

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
        send(ctx, "{\"type\":\"session.created\",\"session\":{\"type\":\"realtime\"}}");
        ctx.flush();
      }
      super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) throws Exception {
      ByteBuf text = frame.content();
      if (startsWith(text, APPEND)) {
        return;
      }
      JsonNode e = json.readTree((java.io.InputStream) new ByteBufInputStream(text));
      switch (e.path("type").asText()) {
        case "session.update" -> {
          String instructions = e.at("/session/instructions").asText("");
          int at = instructions.indexOf("bench call ");
          if (at >= 0) {
            call = Integer.parseInt(instructions.substring(at + 11).split("\\D", 2)[0]);
          }
          send(ctx, "{\"type\":\"session.updated\",\"session\":{\"type\":\"realtime\"}}");
          ctx.flush();
        }
        case "response.create" -> answer(ctx);
        default -> {
          // truncate, cancel: acknowledged by silence, as far as the benchmark cares
        }
      }
    }

    private void answer(ChannelHandlerContext ctx) {
      if (!ctx.channel().isActive()) {
        return;
      }
      int t = ++turn;
      String response = "resp_" + t;
      String item = "item_" + t;
      send(ctx, "{\"type\":\"response.created\",\"response\":{\"id\":\"" + response + "\",\"status\":\"in_progress\"}}");
      byte[] head = ("{\"type\":\"response.output_audio.delta\",\"response_id\":\"" + response + "\",\"item_id\":\"" + item
          + "\",\"output_index\":0,\"content_index\":0,\"delta\":\"").getBytes(StandardCharsets.US_ASCII);
      for (byte[] delta : DELTAS) {
        ctx.write(new TextWebSocketFrame(Unpooled.wrappedBuffer(head, delta, TAIL)), ctx.voidPromise());
      }
      send(ctx, "{\"type\":\"response.done\",\"response\":{\"id\":\"" + response + "\",\"status\":\"completed\"}}");
      ctx.flush();
      LongConsumer state = call >= 0 ? calls.apply(call) : null;
      ctx.executor().schedule(() -> {
        if (ctx.channel().isActive()) {
          if (state != null) {
            state.accept(System.nanoTime());
          }
          send(ctx, "{\"type\":\"input_audio_buffer.speech_started\",\"audio_start_ms\":0,\"item_id\":\"in_" + t + "\"}");
          ctx.flush();
        }
      }, 1200, TimeUnit.MILLISECONDS);
      ctx.executor().schedule(() -> {
        if (ctx.channel().isActive()) {
          send(ctx, "{\"type\":\"input_audio_buffer.speech_stopped\",\"audio_end_ms\":0,\"item_id\":\"in_" + t + "\"}");
          ctx.flush();
        }
      }, 1500, TimeUnit.MILLISECONDS);
      // server VAD with create_response answers the caller's turn by itself
      ctx.executor().schedule(() -> answer(ctx), 1700, TimeUnit.MILLISECONDS);
    }

    private void send(ChannelHandlerContext ctx, String text) {
      ctx.write(new TextWebSocketFrame(Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8))), ctx.voidPromise());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // a node closing mid-write is part of a benchmark's end
      ctx.close();
    }
  }

  private static boolean startsWith(ByteBuf b, byte[] prefix) {
    if (b.readableBytes() < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (b.getByte(b.readerIndex() + i) != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
