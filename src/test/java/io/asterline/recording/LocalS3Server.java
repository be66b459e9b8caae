package io.asterline.recording;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.xml.XmlMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.robothy.netty.initializer.HttpServerInitializer;
import com.robothy.s3.core.service.BucketService;
import com.robothy.s3.core.service.ObjectService;
import com.robothy.s3.core.service.manager.LocalS3Manager;
import com.robothy.s3.core.service.manager.vectors.LocalS3VectorsManager;
import com.robothy.s3.core.service.s3vectors.S3VectorsService;
import com.robothy.s3.rest.handler.LocalS3RouterFactory;
import com.robothy.s3.rest.service.DefaultServiceFactory;
import com.robothy.s3.rest.service.ServiceFactory;
import io.netty.bootstrap.ServerBootstrap;
import com.robothy.netty.router.Router;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An S3-compatible server in the test JVM: local-s3-rest's in-memory store and its S3 REST router, served
 * on our own Netty bootstrap so it binds 127.0.0.1 on an ephemeral port (LocalS3 itself binds every
 * interface on a port it probes first, which races with the other engineers' tests).
 */
public final class LocalS3Server implements AutoCloseable {

  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final DefaultEventLoopGroup executors;
  private final Channel channel;
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);

  public LocalS3Server() throws InterruptedException {
    LocalS3Manager manager = LocalS3Manager.createInMemoryS3Manager(null, false);
    ServiceFactory services = new DefaultServiceFactory();
    BucketService buckets = manager.bucketService();
    ObjectService objects = manager.objectService();
    services.register(BucketService.class, () -> buckets);
    services.register(ObjectService.class, () -> objects);
    XmlMapper xml = new XmlMapper();
    xml.configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    xml.registerModule(new Jdk8Module());
    xml.registerModule(new JavaTimeModule());
    services.register(XmlMapper.class, () -> xml);
    ObjectMapper json = new ObjectMapper()
        .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
        .configure(SerializationFeature.FAIL_ON_EMPTY_BEANS, false)
        .registerModule(new Jdk8Module())
        .registerModule(new JavaTimeModule());
    services.register(ObjectMapper.class, () -> json);
    S3VectorsService vectors = LocalS3VectorsManager.createInMemory().s3VectorsService();
    services.register(S3VectorsService.class, () -> vectors);

    boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("local-s3-boss"), NioIoHandler.newFactory());
    workers = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("local-s3-io"), NioIoHandler.newFactory());
    executors = new DefaultEventLoopGroup(1, new DefaultThreadFactory("local-s3-exec"));
    Router router = LocalS3RouterFactory.create(services);
    channel = new ServerBootstrap()
        .group(boss, workers)
        .channel(NioServerSocketChannel.class)
        // local-s3-rest's request decoder retains HTTP content it never releases; its buffers come from an
        // allocator of their own, heap-only and untracked, so the leak detector (paranoid in tests) keeps
        // reporting our code's leaks and not this test server's
        .childOption(ChannelOption.ALLOCATOR, new UnpooledByteBufAllocator(false, true))
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            connections.add(ch);
            ch.pipeline().addLast(new HttpServerInitializer(executors, router));
          }
        })
        .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .sync()
        .channel();
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + ((InetSocketAddress) channel.localAddress()).getPort());
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    connections.close().syncUninterruptibly();
    // a closing connection's events go back and forth between its I/O loop and the handler executor, so
    // all of them stop together, each once nothing has been handed to it for a moment
    List.of(boss.shutdownGracefully(100, 2000, TimeUnit.MILLISECONDS),
            workers.shutdownGracefully(100, 2000, TimeUnit.MILLISECONDS),
            executors.shutdownGracefully(100, 2000, TimeUnit.MILLISECONDS))
        .forEach(Future::syncUninterruptibly);
  }
}
