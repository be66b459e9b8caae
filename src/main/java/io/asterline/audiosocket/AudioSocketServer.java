package io.asterline.audiosocket;

import io.asterline.agent.Agents;
import io.asterline.agi.Cidr;
import io.asterline.agi.RefusalLog;
import io.asterline.http.HealthCheck;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AudioSocket server Asterisk dials ({@code Dial(AudioSocket/host:port/<call id>/c(slin))}). Each connection
 * is one call's agent leg, handed to the agent ({@link Agents}). Stopping it ends every call in progress through
 * its tenant's fallback, so nobody is left in silence by a restart.
 */
public final class AudioSocketServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(AudioSocketServer.class);
  private static final int FRAME_BYTES = 3 + CallHandler.FRAME_SAMPLES * 2;

  private final EventLoopGroup accept;
  private final EventLoopGroup io;
  private final ChannelGroup calls;
  private final Channel server;
  private final AtomicLong refused;

  private AudioSocketServer(EventLoopGroup accept, EventLoopGroup io, ChannelGroup calls, Channel server,
      AtomicLong refused) {
    this.refused = refused;
    this.accept = accept;
    this.io = io;
    this.calls = calls;
    this.server = server;
  }

  /** Binds and starts serving; the caller registers the result with the lifecycle, after {@code agents}. */
  public static AudioSocketServer start(AudioSocketConfig config, Agents agents, MeterRegistry registry) {
    PacingMetrics pacing = new PacingMetrics(registry);
    EventLoopGroup accept = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("audiosocket-accept"),
        NioIoHandler.newFactory());
    // Netty's own default for 0 would be two loops per core: more threads than cores only adds switches to pacing
    int ioThreads = config.ioThreads() == 0 ? Runtime.getRuntime().availableProcessors() : config.ioThreads();
    EventLoopGroup io = new MultiThreadIoEventLoopGroup(ioThreads, new DefaultThreadFactory("audiosocket-io"),
        NioIoHandler.newFactory());
    ChannelGroup calls = new DefaultChannelGroup("audiosocket-calls", GlobalEventExecutor.INSTANCE);
    RefusalLog refusals = new RefusalLog(log, "audiosocket");
    AtomicLong refused = new AtomicLong();
    String notAllowed = "not in audiosocket.allow " + config.allow();
    try {
      Channel server = new ServerBootstrap()
          .group(accept, io)
          .channel(NioServerSocketChannel.class)
          .option(ChannelOption.SO_BACKLOG, 1024)
          .childOption(ChannelOption.TCP_NODELAY, true)
          // isWritable() turns false past three frames: the pacer never queues more than ~60 ms ahead
          .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(2 * FRAME_BYTES, 3 * FRAME_BYTES))
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              // before the first read: a connection from elsewhere never gets to name a call id
              InetAddress peer = ch.remoteAddress().getAddress();
              if (!allowed(config.allow(), peer)) {
                refused.incrementAndGet();
                refusals.refused(peer, notAllowed);
                ch.close();
                return;
              }
              calls.add(ch);
              ch.pipeline()
                  .addLast("decoder", new AudioSocketFrameDecoder())
                  .addLast("encoder", AudioSocketFrameEncoder.INSTANCE)
                  .addLast("call", new CallHandler(agents, pacing, config.lateFrameLimit().toNanos()));
            }
          })
          .bind(new InetSocketAddress(config.bind(), config.port()))
          .syncUninterruptibly()
          .channel();
      log.info("audiosocket: listening on {}", server.localAddress());
      return new AudioSocketServer(accept, io, calls, server, refused);
    } catch (RuntimeException e) {
      accept.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      io.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new IllegalStateException("audiosocket: cannot listen on " + config.bind().getHostAddress() + ":"
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

  /** Connections closed before any frame because their address is outside audiosocket.allow. */
  public long refusedConnections() {
    return refused.get();
  }

  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** The AudioSocket part of /health: critical, since without it no caller reaches the agent. */
  public HealthCheck health() {
    return new HealthCheck() {
      @Override
      public String name() {
        return "audiosocket";
      }

      @Override
      public boolean critical() {
        return true;
      }

      @Override
      public Status check() {
        return server.isActive()
            ? Status.up("listening on port " + port() + ", " + calls.size() + " call(s) in progress")
            : Status.down("AudioSocket server is not listening");
      }
    };
  }

  /** Calls connected right now. */
  public int activeCalls() {
    return calls.size();
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    int live = calls.size();
    if (live > 0) {
      log.info("audiosocket: ending {} call(s) through their fallback", live);
      for (Channel ch : calls) {
        CallHandler h = ch.pipeline().get(CallHandler.class);
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
