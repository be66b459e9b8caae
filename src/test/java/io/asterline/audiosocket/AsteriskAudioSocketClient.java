package io.asterline.audiosocket;

import io.asterline.audiosocket.AudioSocketFrame.Kind;
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
import java.net.InetSocketAddress;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Plays Asterisk's side of an AudioSocket leg as {@code Dial(AudioSocket/host:port/uuid/c(slin))} does: connects
 * with TCP_NODELAY, sends the UUID frame, then one 320-byte slin frame every 20 ms from its own clock, and
 * reports every frame the server sends back. Many of them share one event loop group (the benchmark runs
 * hundreds).
 */
public final class AsteriskAudioSocketClient {

  /** Where the caller's audio comes from: fills 320 bytes (160 samples LE) per frame. */
  public interface CallerAudio {
    void next(ByteBuf frame);
  }

  /** What the server sent; called on the client's event loop. The frame is released after the call. */
  public interface Listener {
    void frame(AudioSocketFrame frame, long nanos);

    default void closed(long nanos) {}

    /** The connection failed (the client closes it). */
    default void failed(Throwable cause) {}
  }

  public static final CallerAudio SILENCE = frame -> frame.writeZero(320);

  private final Channel channel;
  private final ScheduledFuture<?> pacer;
  public final CountDownLatch closed = new CountDownLatch(1);
  private volatile CallerAudio audio;

  private AsteriskAudioSocketClient(Channel channel, CallerAudio audio) {
    this.channel = channel;
    this.audio = audio;
    this.pacer = channel.eventLoop().scheduleAtFixedRate(this::tick, 20, 20, TimeUnit.MILLISECONDS);
    channel.closeFuture().addListener(f -> {
      pacer.cancel(false);
      closed.countDown();
    });
  }

  public static AsteriskAudioSocketClient connect(EventLoopGroup group, InetSocketAddress server, UUID callId,
      CallerAudio audio, Listener listener) throws InterruptedException {
    Channel ch = new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel c) {
            c.pipeline()
                .addLast(new AudioSocketFrameDecoder())
                .addLast(AudioSocketFrameEncoder.INSTANCE)
                .addLast(new SimpleChannelInboundHandler<AudioSocketFrame>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, AudioSocketFrame f) {
                    listener.frame(f, System.nanoTime());
                    if (f.kind() == Kind.HANGUP) {
                      // Asterisk ends the AudioSocket leg on 0x00 and closes its side
                      ctx.close();
                    }
                  }

                  @Override
                  public void channelInactive(ChannelHandlerContext ctx) {
                    listener.closed(System.nanoTime());
                  }

                  @Override
                  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    listener.failed(cause);
                    ctx.close();
                  }
                });
          }
        })
        .connect(server)
        .sync()
        .channel();
    if (callId != null) {
      ch.writeAndFlush(AudioSocketFrame.uuid(callId));
    }
    return new AsteriskAudioSocketClient(ch, audio);
  }

  private void tick() {
    CallerAudio a = audio;
    if (a == null || !channel.isActive()) {
      return;
    }
    if (a == SILENCE) {
      // the same bytes on the wire; the benchmark runs a thousand of these clients on the cores it measures
      channel.writeAndFlush(AudioSocketFrameEncoder.silence(), channel.voidPromise());
      return;
    }
    ByteBuf payload = channel.alloc().buffer(320);
    a.next(payload);
    channel.writeAndFlush(AudioSocketFrame.audio(payload), channel.voidPromise());
  }

  public void audio(CallerAudio next) {
    this.audio = next;
  }

  public void dtmf(char digit) {
    channel.writeAndFlush(AudioSocketFrame.dtmf(digit));
  }

  /** Bytes as they are, for garbage tests. */
  public void raw(byte... bytes) {
    channel.writeAndFlush(Unpooled.wrappedBuffer(bytes));
  }

  /** The caller hangs up: Asterisk just closes the socket. */
  public void hangUp() {
    channel.close().syncUninterruptibly();
  }

  public boolean awaitClosed(long millis) throws InterruptedException {
    return closed.await(millis, TimeUnit.MILLISECONDS);
  }

  public boolean isOpen() {
    return channel.isActive();
  }
}
