package io.asterline.audiosocket;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/**
 * Writes header and payload into one buffer, so each message leaves in a single write: Asterisk reads the
 * payload right after the header with only a 5 ms grace, and older versions read the header in one read().
 */
@Sharable
public final class AudioSocketFrameEncoder extends MessageToByteEncoder<AudioSocketFrame> {

  public static final AudioSocketFrameEncoder INSTANCE = new AudioSocketFrameEncoder();

  private AudioSocketFrameEncoder() {
    super(AudioSocketFrame.class);
  }

  @Override
  protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, AudioSocketFrame msg, boolean preferDirect) {
    int size = 3 + msg.payload().readableBytes();
    return preferDirect ? ctx.alloc().ioBuffer(size) : ctx.alloc().heapBuffer(size);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, AudioSocketFrame msg, ByteBuf out) {
    ByteBuf payload = msg.payload();
    out.writeByte(msg.kind().byteValue());
    out.writeShort(payload.readableBytes());
    out.writeBytes(payload, payload.readerIndex(), payload.readableBytes());
  }
}
