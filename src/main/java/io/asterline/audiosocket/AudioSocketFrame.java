package io.asterline.audiosocket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * One AudioSocket message: a kind and its payload (the 3-byte header is the codec's business). Reference
 * counted like any {@link io.netty.buffer.ByteBufHolder}: whoever receives a frame releases it.
 */
public final class AudioSocketFrame extends DefaultByteBufHolder {

  /** The first byte of every message. Audio kinds carry their sample rate. */
  public enum Kind {
    HANGUP(0x00, 0),
    UUID(0x01, 0),
    DTMF(0x03, 0),
    AUDIO(0x10, 8000),
    AUDIO_SLIN12(0x11, 12000),
    AUDIO_SLIN16(0x12, 16000),
    AUDIO_SLIN24(0x13, 24000),
    AUDIO_SLIN32(0x14, 32000),
    AUDIO_SLIN44(0x15, 44100),
    AUDIO_SLIN48(0x16, 48000),
    AUDIO_SLIN96(0x17, 96000),
    AUDIO_SLIN192(0x18, 192000),
    ERROR(0xFF, 0);

    private static final Kind[] BY_BYTE = new Kind[256];

    static {
      for (Kind k : values()) {
        BY_BYTE[k.value & 0xFF] = k;
      }
    }

    private final byte value;
    private final int sampleRate;

    Kind(int value, int sampleRate) {
      this.value = (byte) value;
      this.sampleRate = sampleRate;
    }

    public byte byteValue() {
      return value;
    }

    /** Samples per second of an audio kind, 0 for the others. */
    public int sampleRate() {
      return sampleRate;
    }

    public boolean isAudio() {
      return sampleRate != 0;
    }

    /** The kind with this first byte; {@link AudioSocketProtocolException} when Asterisk defines none. */
    public static Kind valueOf(byte b) {
      Kind k = BY_BYTE[b & 0xFF];
      if (k == null) {
        throw new AudioSocketProtocolException(String.format(
            "unknown AudioSocket kind 0x%02x (known: 0x00, 0x01, 0x03, 0x10-0x18, 0xff)", b & 0xFF));
      }
      return k;
    }
  }

  private final Kind kind;

  public AudioSocketFrame(Kind kind, ByteBuf payload) {
    super(payload);
    if (payload.readableBytes() > AudioSocketFrameDecoder.MAX_PAYLOAD) {
      throw new IllegalArgumentException("AudioSocket payload of " + payload.readableBytes()
          + " bytes exceeds " + AudioSocketFrameDecoder.MAX_PAYLOAD);
    }
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  public ByteBuf payload() {
    return content();
  }

  /** The message that ends the call cleanly: Asterisk's dialplan continues at the next priority. */
  public static AudioSocketFrame hangup() {
    return new AudioSocketFrame(Kind.HANGUP, Unpooled.EMPTY_BUFFER);
  }

  public static AudioSocketFrame uuid(UUID id) {
    ByteBuf b = Unpooled.buffer(16);
    b.writeLong(id.getMostSignificantBits()).writeLong(id.getLeastSignificantBits());
    return new AudioSocketFrame(Kind.UUID, b);
  }

  public static AudioSocketFrame dtmf(char digit) {
    return new AudioSocketFrame(Kind.DTMF, Unpooled.copiedBuffer(String.valueOf(digit), StandardCharsets.US_ASCII));
  }

  /** 8 kHz signed 16-bit little-endian linear PCM; the frame takes ownership of {@code slin}. */
  public static AudioSocketFrame audio(ByteBuf slin) {
    return new AudioSocketFrame(Kind.AUDIO, slin);
  }

  /** The call id of a UUID frame (RFC 4122 byte order, as libuuid writes it). */
  public UUID uuidValue() {
    if (kind != Kind.UUID || payload().readableBytes() != 16) {
      throw new IllegalStateException("not a 16-byte UUID frame: " + this);
    }
    ByteBuf p = payload();
    return new UUID(p.getLong(p.readerIndex()), p.getLong(p.readerIndex() + 8));
  }

  /** The key of a DTMF frame: 0-9, *, #, A-D. */
  public char dtmfDigit() {
    if (kind != Kind.DTMF || payload().readableBytes() != 1) {
      throw new IllegalStateException("not a 1-byte DTMF frame: " + this);
    }
    return (char) (payload().getByte(payload().readerIndex()) & 0xFF);
  }

  @Override
  public AudioSocketFrame replace(ByteBuf content) {
    return new AudioSocketFrame(kind, content);
  }

  @Override
  public AudioSocketFrame retain() {
    super.retain();
    return this;
  }

  @Override
  public AudioSocketFrame touch(Object hint) {
    super.touch(hint);
    return this;
  }

  @Override
  public String toString() {
    return "AudioSocketFrame(" + kind + ", " + content().readableBytes() + " bytes)";
  }
}
