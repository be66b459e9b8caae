package io.asterline.audiosocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.asterline.audiosocket.AudioSocketFrame.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.TooLongFrameException;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class AudioSocketFrameDecoderTest {

  private static final UUID CALL = UUID.fromString("0f8fad5b-d9cb-469f-a165-70867728950e");

  // 01 = UUID, 00 10 = 16 bytes, then the UUID in RFC 4122 order
  private static final byte[] UUID_FRAME = {
      0x01, 0x00, 0x10,
      0x0f, (byte) 0x8f, (byte) 0xad, 0x5b, (byte) 0xd9, (byte) 0xcb, 0x46, (byte) 0x9f,
      (byte) 0xa1, 0x65, 0x70, (byte) 0x86, 0x77, 0x28, (byte) 0x95, 0x0e};

  // 10 = slin 8 kHz, 00 04 = 4 bytes, two little-endian samples: 0x0201 and 0xfffe (-2)
  private static final byte[] AUDIO_FRAME = {0x10, 0x00, 0x04, 0x01, 0x02, (byte) 0xfe, (byte) 0xff};

  // 03 = DTMF, 00 01 = 1 byte, '7'
  private static final byte[] DTMF_FRAME = {0x03, 0x00, 0x01, '7'};

  // 00 = HANGUP, 00 00 = empty
  private static final byte[] HANGUP_FRAME = {0x00, 0x00, 0x00};

  @Test
  void decodesWholeFramesInOneRead() {
    EmbeddedChannel ch = new EmbeddedChannel(new AudioSocketFrameDecoder());
    assertThat(ch.writeInbound(Unpooled.wrappedBuffer(UUID_FRAME, AUDIO_FRAME, DTMF_FRAME, HANGUP_FRAME))).isTrue();

    AudioSocketFrame uuid = ch.readInbound();
    assertThat(uuid.kind()).isEqualTo(Kind.UUID);
    assertThat(uuid.uuidValue()).isEqualTo(CALL);
    uuid.release();

    AudioSocketFrame audio = ch.readInbound();
    assertThat(audio.kind()).isEqualTo(Kind.AUDIO);
    assertThat(audio.payload().readableBytes()).isEqualTo(4);
    assertThat(audio.payload().getShortLE(0)).isEqualTo((short) 0x0201);
    assertThat(audio.payload().getShortLE(2)).isEqualTo((short) -2);
    audio.release();

    AudioSocketFrame dtmf = ch.readInbound();
    assertThat(dtmf.dtmfDigit()).isEqualTo('7');
    dtmf.release();

    AudioSocketFrame hangup = ch.readInbound();
    assertThat(hangup.kind()).isEqualTo(Kind.HANGUP);
    assertThat(hangup.payload().readableBytes()).isZero();
    hangup.release();

    assertThat((Object) ch.readInbound()).isNull();
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void decodesFramesSplitByteByByte() {
    EmbeddedChannel ch = new EmbeddedChannel(new AudioSocketFrameDecoder());
    byte[] all = concat(UUID_FRAME, AUDIO_FRAME);
    for (int i = 0; i < all.length; i++) {
      ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {all[i]}));
      if (i < UUID_FRAME.length - 1) {
        assertThat((Object) ch.readInbound()).as("nothing before byte %d", i).isNull();
      }
    }
    AudioSocketFrame uuid = ch.readInbound();
    assertThat(uuid.uuidValue()).isEqualTo(CALL);
    uuid.release();
    AudioSocketFrame audio = ch.readInbound();
    assertThat(audio.payload().readableBytes()).isEqualTo(4);
    audio.release();
    assertThat((Object) ch.readInbound()).isNull();
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void acceptsAnyAudioLengthAndEveryRate() {
    EmbeddedChannel ch = new EmbeddedChannel(new AudioSocketFrameDecoder());
    ByteBuf in = Unpooled.buffer();
    // 12 = slin16, 01 40 = 320 bytes of zeros; 18 = slin192, 00 00 = empty
    in.writeByte(0x12).writeShort(320).writeZero(320);
    in.writeByte(0x18).writeShort(0);
    ch.writeInbound(in);
    AudioSocketFrame a = ch.readInbound();
    assertThat(a.kind()).isEqualTo(Kind.AUDIO_SLIN16);
    assertThat(a.kind().sampleRate()).isEqualTo(16000);
    assertThat(a.payload().readableBytes()).isEqualTo(320);
    a.release();
    AudioSocketFrame b = ch.readInbound();
    assertThat(b.kind()).isEqualTo(Kind.AUDIO_SLIN192);
    b.release();
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void rejectsUnknownKindAsSoonAsItsByteArrives() {
    EmbeddedChannel ch = new EmbeddedChannel(new AudioSocketFrameDecoder());
    // 02 is not an upstream kind (one fork's 6-byte DTMF); the rest of the header has not arrived yet
    assertThatThrownBy(() -> ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x02})))
        .isInstanceOf(AudioSocketProtocolException.class)
        .hasMessageContaining("0x02");
    assertThat((Object) ch.readInbound()).isNull();
    ch.finishAndReleaseAll();
  }

  @Test
  void rejectsUuidFrameThatIsNot16Bytes() {
    EmbeddedChannel ch = new EmbeddedChannel(new AudioSocketFrameDecoder());
    // 01 = UUID, 00 04 = 4 bytes (must be 16)
    assertThatThrownBy(() -> ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x01, 0x00, 0x04, 1, 2, 3, 4})))
        .isInstanceOf(AudioSocketProtocolException.class)
        .hasMessageContaining("16 bytes");
    ch.finishAndReleaseAll();
  }

  @Test
  void rejectsOversizePayload() {
    EmbeddedChannel ch = new EmbeddedChannel(new AudioSocketFrameDecoder(1024));
    // 10 = audio, 08 00 = 2048 bytes announced (limit 1024), then some of them
    ByteBuf in = Unpooled.buffer().writeByte(0x10).writeShort(2048).writeZero(100);
    assertThatThrownBy(() -> ch.writeInbound(in))
        .isInstanceOf(TooLongFrameException.class)
        .hasMessageContaining("2048");
    assertThat(in.refCnt()).isZero();
    assertThat((Object) ch.readInbound()).isNull();
    ch.finishAndReleaseAll();
  }

  @Test
  void kindCarriesItsByte() {
    for (Kind k : Kind.values()) {
      assertThat(Kind.valueOf(k.byteValue())).isEqualTo(k);
    }
    assertThat(Kind.AUDIO.byteValue()).isEqualTo((byte) 0x10);
    assertThat(Kind.ERROR.byteValue()).isEqualTo((byte) 0xFF);
    assertThatThrownBy(() -> Kind.valueOf((byte) 0x19)).isInstanceOf(AudioSocketProtocolException.class);
  }

  @Test
  void encoderWritesHeaderAndPayloadAsOneBuffer() {
    EmbeddedChannel ch = new EmbeddedChannel(AudioSocketFrameEncoder.INSTANCE);
    ch.writeOutbound(AudioSocketFrame.audio(Unpooled.wrappedBuffer(new byte[] {0x01, 0x02, (byte) 0xfe, (byte) 0xff})));
    ch.writeOutbound(AudioSocketFrame.hangup());
    ByteBuf audio = ch.readOutbound();
    byte[] bytes = new byte[audio.readableBytes()];
    audio.readBytes(bytes);
    assertThat(bytes).containsExactly(AUDIO_FRAME);
    audio.release();
    ByteBuf hangup = ch.readOutbound();
    byte[] h = new byte[hangup.readableBytes()];
    hangup.readBytes(h);
    assertThat(h).containsExactly(HANGUP_FRAME);
    hangup.release();
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void encodedFramesDecodeBack() {
    EmbeddedChannel out = new EmbeddedChannel(AudioSocketFrameEncoder.INSTANCE);
    out.writeOutbound(AudioSocketFrame.uuid(CALL), AudioSocketFrame.dtmf('#'));
    EmbeddedChannel in = new EmbeddedChannel(new AudioSocketFrameDecoder());
    for (Object o; (o = out.readOutbound()) != null; ) {
      in.writeInbound(o);
    }
    AudioSocketFrame uuid = in.readInbound();
    assertThat(uuid.uuidValue()).isEqualTo(CALL);
    uuid.release();
    AudioSocketFrame dtmf = in.readInbound();
    assertThat(dtmf.dtmfDigit()).isEqualTo('#');
    dtmf.release();
    assertThat(out.finish()).isFalse();
    assertThat(in.finish()).isFalse();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = new byte[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
