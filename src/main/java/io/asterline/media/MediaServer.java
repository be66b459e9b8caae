package io.asterline.media;

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
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * The server shell every media transport shares: named event loops, the bind, the gate that closes connections from
 * addresses outside {@code <name>.allow} before anything is read, the group of live calls, the transport's part of
 * {@code /health}, and a stop that ends every call in progress through its tenant's fallback, so nobody is left in
 * silence by a restart. The transport gives it the child options and the pipeline of an accepted connection, whose
 * call handler is a {@link MediaLegHandler}.
 */
public final class MediaServer implements AutoCloseable {

  /** Where a transport listens and who may connect; {@code name} names its threads, its log lines and its check. */
  public record Listen(String name, InetAddress bind, int port, int ioThreads, List<Cidr> allow) {}

  private final Listen listen;
  private final Logger log;
  private final String notListening;
  private final EventLoopGroup accept;
  private final EventLoopGroup io;
  private final ChannelGroup calls;
  private final Channel server;
  private final AtomicLong refused;

  private MediaServer(Listen listen, Logger log, String notListening, EventLoopGroup accept, EventLoopGroup io,
      ChannelGroup calls, Channel server, AtomicLong refused) {
    this.listen = listen;
    this.log = log;
    this.notListening = notListening;
    this.accept = accept;
    this.io = io;
    this.calls = calls;
    this.server = server;
    this.refused = refused;
  }

  /**
   * Binds and starts serving. {@code log} is the transport's own logger; {@code notListening} is its health text
   * when down; {@code options} adds its child options; {@code pipeline} builds an allowed connection's pipeline.
   */
  public static MediaServer start(Listen listen, Logger log, String notListening, Consumer<ServerBootstrap> options,
      Consumer<SocketChannel> pipeline) {
    String name = listen.name();
    EventLoopGroup accept = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(name + "-accept"),
        NioIoHandler.newFactory());
    // Netty's own default for 0 would be two loops per core: more threads than cores only adds switches to pacing
    int ioThreads = listen.ioThreads() == 0 ? Runtime.getRuntime().availableProcessors() : listen.ioThreads();
    EventLoopGroup io = new MultiThreadIoEventLoopGroup(ioThreads, new DefaultThreadFactory(name + "-io"),
        NioIoHandler.newFactory());
    ChannelGroup calls = new DefaultChannelGroup(name + "-calls", GlobalEventExecutor.INSTANCE);
    RefusalLog refusals = new RefusalLog(log, name);
    AtomicLong refused = new AtomicLong();
    String notAllowed = "not in " + name + ".allow " + listen.allow();
    try {
      ServerBootstrap bootstrap = new ServerBootstrap()
          .group(accept, io)
          .channel(NioServerSocketChannel.class)
          .option(ChannelOption.SO_BACKLOG, 1024)
          .childOption(ChannelOption.TCP_NODELAY, true);
      options.accept(bootstrap);
      Channel server = bootstrap
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              // before the first read: a connection from elsewhere never gets to name a call id
              InetAddress peer = ch.remoteAddress().getAddress();
              if (!allowed(listen.allow(), peer)) {
                refused.incrementAndGet();
                refusals.refused(peer, notAllowed);
                ch.close();
                return;
              }
              calls.add(ch);
              pipeline.accept(ch);
            }
          })
          .bind(new InetSocketAddress(listen.bind(), listen.port()))
          .syncUninterruptibly()
          .channel();
      log.info("{}: listening on {}", name, server.localAddress());
      return new MediaServer(listen, log, notListening, accept, io, calls, server, refused);
    } catch (RuntimeException e) {
      accept.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      io.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new IllegalStateException(name + ": cannot listen on " + listen.bind().getHostAddress() + ":"
          + listen.port() + ": " + e.getMessage(), e);
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

  /** The transport's name: its threads', log lines' and health check's. */
  public String name() {
    return listen.name();
  }

  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Connections closed before anything was read because their address is outside {@code <name>.allow}. */
  public long refusedConnections() {
    return refused.get();
  }

  /** Calls connected right now. */
  public int activeCalls() {
    return calls.size();
  }

  /** The transport's part of /health: critical, since with the dialplan on it no caller reaches the agent without it. */
  public HealthCheck health() {
    return new HealthCheck() {
      @Override
      public String name() {
        return listen.name();
      }

      @Override
      public boolean critical() {
        return true;
      }

      @Override
      public Status check() {
        return server.isActive()
            ? Status.up("listening on port " + port() + ", " + calls.size() + " call(s) in progress")
            : Status.down(notListening);
      }
    };
  }

  /** Stops accepting, ends the calls still connected through their fallback (waiting up to 3 s), stops the loops. */
  @Override
  public void close() {
    server.close().syncUninterruptibly();
    int live = calls.size();
    if (live > 0) {
      log.info("{}: ending {} call(s) through their fallback", listen.name(), live);
      for (Channel ch : calls) {
        MediaLegHandler h = ch.pipeline().get(MediaLegHandler.class);
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
