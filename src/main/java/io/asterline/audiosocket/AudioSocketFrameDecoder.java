package io.asterline.audiosocket;

import io.asterline.audiosocket.AudioSocketFrame.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;

/**
 * Splits the byte stream from Asterisk into {@link AudioSocketFrame}s: a kind byte, a big-endian 16-bit
 * length, the payload. The kind is checked as soon as its byte arrives, so garbage fails fast instead of
 * waiting for up to 64 KiB of a length that means nothing. Each connection gets its own decoder.
 */
public final class AudioSocketFrameDecoder extends LengthFieldBasedFrameDecoder {

  /** The 16-bit length field's largest value. */
  public static final int MAX_PAYLOAD = 0xFFFF;
  private static final int HEADER = 3;

  private final int maxPayload;
  /** After bad input no later byte can be trusted to start a frame: everything is discarded. */
  private boolean failed;

  public AudioSocketFrameDecoder() {
    this(MAX_PAYLOAD);
  }

  /** A decoder that refuses payloads larger than {@code maxPayload} (at most 65535). */
  public AudioSocketFrameDecoder(int maxPayload) {
    super(maxPayload + HEADER, 1, 2, 0, 0, true);
    if (maxPayload < 16 || maxPayload > MAX_PAYLOAD) {
      throw new IllegalArgumentException("maxPayload must be 16..65535, got " + maxPayload);
    }
    this.maxPayload = maxPayload;
  }

  @Override
  protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return null;
    }
    if (!in.isReadable()) {
      return null;
    }
    try {
      Kind kind = Kind.valueOf(in.getByte(in.readerIndex()));
      if (in.readableBytes() >= HEADER) {
        int length = in.getUnsignedShort(in.readerIndex() + 1);
        if (length > maxPayload) {
          throw new TooLongFrameException("AudioSocket " + kind + " payload of " + length
              + " bytes exceeds the limit of " + maxPayload);
        }
        checkLength(kind, length);
      }
      return frame(ctx, in, kind);
    } catch (AudioSocketProtocolException | TooLongFrameException e) {
      failed = true;
      in.skipBytes(in.readableBytes());
      throw e;
    }
  }

  private AudioSocketFrame frame(ChannelHandlerContext ctx, ByteBuf in, Kind kind) throws Exception {
    ByteBuf frame = (ByteBuf) super.decode(ctx, in);
    if (frame == null) {
      return null;
    }
    try {
      return new AudioSocketFrame(kind, frame.retainedSlice(frame.readerIndex() + HEADER, frame.readableBytes() - HEADER));
    } finally {
      frame.release();
    }
  }

  private static void checkLength(Kind kind, int length) {
    switch (kind) {
      case UUID -> {
        if (length != 16) {
          throw new AudioSocketProtocolException("UUID frame must carry 16 bytes, got " + length);
        }
      }
      case DTMF -> {
        if (length != 1) {
          throw new AudioSocketProtocolException("DTMF frame must carry 1 byte, got " + length);
        }
      }
      case HANGUP -> {
        if (length != 0) {
          throw new AudioSocketProtocolException("HANGUP frame must be empty, got " + length + " bytes");
        }
      }
      default -> {
        // audio of any length is accepted (the caller's packetisation decides), error codes are opaque
      }
    }
  }
}
