package io.asterline.realtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MuLawTest {

  @Test
  void everyCodeRoundTripsExactly() {
    for (int u = 0; u < 256; u++) {
      byte code = (byte) u;
      byte back = MuLaw.encode(MuLaw.decode(code));
      // 0x7f is "negative zero": it decodes to 0, which the encoder writes as positive zero 0xff
      byte expected = u == 0x7F ? (byte) 0xFF : code;
      assertThat(back).as("code 0x%02x", u).isEqualTo(expected);
    }
  }

  @Test
  void matchesTheG711Table() {
    assertThat(MuLaw.encode((short) 0)).isEqualTo((byte) 0xFF);
    assertThat(MuLaw.encode((short) 32767)).isEqualTo((byte) 0x80);
    assertThat(MuLaw.encode((short) -32768)).isEqualTo((byte) 0x00);
    assertThat(MuLaw.decode((byte) 0x80)).isEqualTo((short) 32124);
    assertThat(MuLaw.decode((byte) 0x00)).isEqualTo((short) -32124);
    assertThat(MuLaw.decode((byte) 0xFF)).isEqualTo((short) 0);
    assertThat(MuLaw.decode((byte) 0xF0)).isEqualTo((short) 120);
    assertThat(MuLaw.decode((byte) 0x70)).isEqualTo((short) -120);
    assertThat(MuLaw.encode((short) 100)).isEqualTo((byte) 0xF2);
  }

  @Test
  void quantisationErrorStaysWithinTheSegmentStep() {
    for (int s = -32000; s <= 32000; s += 7) {
      short back = MuLaw.decode(MuLaw.encode((short) s));
      int step = Math.max(8, Math.abs(s) / 16);
      assertThat(Math.abs(back - s)).as("sample %d", s).isLessThanOrEqualTo(step);
    }
  }

  @Test
  void encodesLittleEndianBuffers() {
    byte[] slin = {0x00, 0x00, (byte) 0xff, 0x7f, 0x00, (byte) 0x80, 0x64, 0x00};
    byte[] out = new byte[4];
    MuLaw.encodeLittleEndian(slin, 0, out, 0, 4);
    assertThat(out).containsExactly((byte) 0xFF, (byte) 0x80, (byte) 0x00, (byte) 0xF2);
    byte[] back = new byte[8];
    MuLaw.decodeLittleEndian(out, 0, back, 0, 4);
    // 0, 32124, -32124 and 104 (100 quantised) as little-endian shorts
    assertThat(back).containsExactly(0, 0, 0x7c, 0x7d, (byte) 0x84, (byte) 0x82, 0x68, 0x00);
  }
}
