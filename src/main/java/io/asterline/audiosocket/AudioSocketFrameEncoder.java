package io.asterline.audiosocket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/**
 * Writes header and payload into one buffer, so each message leaves in a single write: Asterisk reads the
 * payload right after the header with only a 5 ms grace, and older versions read the header in one read().
 * The pacer's 50 frames a second per call skip the frame object: {@link #audio} hands out a buffer that already
 * holds the header (the samples are written after it, no copy), {@link #silence} a shared silent frame. Encoded
 * buffers pass through this encoder untouched.
 */
@Sharable
public final class AudioSocketFrameEncoder extends MessageToByteEncoder<AudioSocketFrame> {

  public static final AudioSocketFrameEncoder INSTANCE = new AudioSocketFrameEncoder();

  /** 20 ms of 8 kHz silence as sent on the wire, shared by every call: 10 00 01 40, then 320 zero bytes. */
  private static final ByteBuf SILENCE = Unpooled.unreleasableBuffer(Unpooled.directBuffer(3 + 320)
      .writeByte(AudioSocketFrame.Kind.AUDIO.byteValue()).writeShort(320).writeZero(320).asReadOnly());

  private AudioSocketFrameEncoder() {
    super(AudioSocketFrame.class);
  }

  /**
   * A buffer for one 8 kHz slin message of {@code payloadBytes}, its header written: the caller writes exactly
   * that many payload bytes, then writes the buffer to the channel.
   */
  public static ByteBuf audio(ByteBufAllocator alloc, int payloadBytes) {
    return alloc.ioBuffer(3 + payloadBytes)
        .writeByte(AudioSocketFrame.Kind.AUDIO.byteValue())
        .writeShort(payloadBytes);
  }

  /** The encoded message of 20 ms (320 bytes) of silence; shared, never to be written into. */
  public static ByteBuf silence() {
    return SILENCE.duplicate();
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
