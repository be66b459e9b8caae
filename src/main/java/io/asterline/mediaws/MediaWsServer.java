package io.asterline.mediaws;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.agent.Agents;
import io.asterline.agi.Cidr;
import io.asterline.agi.RefusalLog;
import io.asterline.http.HealthCheck;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket server Asterisk's WebSocket channel (chan_websocket, Asterisk 22.5+) connects to when the dialplan
 * runs {@code Dial(WebSocket/asterline/c(ulaw)...)}: websocket_client.conf's {@code [asterline]} connection points
 * here. Each connection is one call's agent leg, handed to the agent ({@link Agents}). Stopping it ends every call in
 * progress through its tenant's fallback, as the AudioSocket server does.
 */
public final class MediaWsServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MediaWsServer.class);
  /** The subprotocol websocket_client.conf asks for ({@code protocols = media}); a client asking none is served too. */
  static final String SUBPROTOCOL = "media";

  private final EventLoopGroup accept;
  private final EventLoopGroup io;
  private final ChannelGroup calls;
  private final Channel server;
  private final AtomicLong refused;

  private MediaWsServer(EventLoopGroup accept, EventLoopGroup io, ChannelGroup calls, Channel server,
      AtomicLong refused) {
    this.accept = accept;
    this.io = io;
    this.calls = calls;
    this.server = server;
    this.refused = refused;
  }

  /** Binds and starts serving; the caller registers the result with the lifecycle, after {@code agents}. */
  public static MediaWsServer start(MediaWsConfig config, Agents agents, ObjectMapper json) {
    EventLoopGroup accept = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("mediaws-accept"),
        NioIoHandler.newFactory());
    int ioThreads = config.ioThreads() == 0 ? Runtime.getRuntime().availableProcessors() : config.ioThreads();
    EventLoopGroup io = new MultiThreadIoEventLoopGroup(ioThreads, new DefaultThreadFactory("mediaws-io"),
        NioIoHandler.newFactory());
    ChannelGroup calls = new DefaultChannelGroup("mediaws-calls", GlobalEventExecutor.INSTANCE);
    RefusalLog refusals = new RefusalLog(log, "mediaws");
    AtomicLong refused = new AtomicLong();
    String notAllowed = "not in mediaws.allow " + config.allow();
    WebSocketServerProtocolConfig ws = WebSocketServerProtocolConfig.newBuilder()
        .websocketPath(HandshakeGate.PATH)
        .checkStartsWith(true)
        .subprotocols(SUBPROTOCOL)
        .handleCloseFrames(true)
        .dropPongFrames(true)
        .decoderConfig(WebSocketDecoderConfig.newBuilder()
            // Asterisk writes at most 65,535-byte frames; its client frames are masked, as RFC 6455 wants
            .maxFramePayloadLength(ControlEventDecoder.MAX_TEXT)
            .expectMaskedFrames(true)
            .allowExtensions(false)
            .build())
        .build();
    try {
      Channel server = new ServerBootstrap()
          .group(accept, io)
          .channel(NioServerSocketChannel.class)
          .option(ChannelOption.SO_BACKLOG, 1024)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              InetAddress peer = ch.remoteAddress().getAddress();
              if (!allowed(config.allow(), peer)) {
                refused.incrementAndGet();
                refusals.refused(peer, notAllowed);
                ch.close();
                return;
              }
              calls.add(ch);
              ch.pipeline()
                  .addLast("http", new HttpServerCodec(4096, 8192, 8192))
                  .addLast("aggregator", new HttpObjectAggregator(8192))
                  .addLast("gate", new HandshakeGate(agents, config))
                  .addLast("websocket", new WebSocketServerProtocolHandler(ws))
                  .addLast("decoder", new ControlEventDecoder(json))
                  .addLast("encoder", ControlCommandEncoder.INSTANCE);
              // the gate adds the call's handler once the request passes
            }
          })
          .bind(new InetSocketAddress(config.bind(), config.port()))
          .syncUninterruptibly()
          .channel();
      log.info("mediaws: listening on {}", server.localAddress());
      return new MediaWsServer(accept, io, calls, server, refused);
    } catch (RuntimeException e) {
      accept.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      io.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new IllegalStateException("mediaws: cannot listen on " + config.bind().getHostAddress() + ":"
          + config.port() + ": " + e.getMessage(), e);
    }
  }

  private static boolean allowed(List<Cidr> allow, InetAddress address) {
    for (Cidr block : allow) {
      if (block.contains(address)) {
        return true;
      }
    }
    return false;
  }

  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Connections closed before the handshake because their address is outside mediaws.allow. */
  public long refusedConnections() {
    return refused.get();
  }

  /** Calls connected right now. */
  public int activeCalls() {
    return calls.size();
  }

  /** Critical: with the dialplan on the WebSocket transport, no caller reaches the agent without it. */
  public HealthCheck health() {
    return new HealthCheck() {
      @Override
      public String name() {
        return "mediaws";
      }

      @Override
      public boolean critical() {
        return true;
      }

      @Override
      public Status check() {
        return server.isActive()
            ? Status.up("listening on port " + port() + ", " + calls.size() + " call(s) in progress")
            : Status.down("media WebSocket server is not listening");
      }
    };
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    int live = calls.size();
    if (live > 0) {
      log.info("mediaws: ending {} call(s) through their fallback", live);
      for (Channel ch : calls) {
        MediaCallHandler h = ch.pipeline().get(MediaCallHandler.class);
        if (h != null) {
          h.shutdown();
        }
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
      while (!calls.isEmpty() && System.nanoTime() < deadline) {
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      calls.close().syncUninterruptibly();
    }
    io.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    accept.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
