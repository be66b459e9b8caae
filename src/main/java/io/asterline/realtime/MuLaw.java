package io.asterline.realtime;

/**
 * G.711 mu-law, the standard table (ITU-T G.711 / Sun's g711.c): the Realtime API speaks {@code audio/pcmu}
 * and Asterisk speaks 8 kHz slin, so the two differ only in sample encoding and need no resampling.
 */
public final class MuLaw {

  private static final int BIAS = 0x84;
  private static final int CLIP = 32635;

  private static final short[] DECODE = new short[256];
  private static final byte[] ENCODE = new byte[65536];

  static {
    for (int u = 0; u < 256; u++) {
      int v = ~u & 0xFF;
      int t = ((v & 0x0F) << 3) + BIAS;
      t <<= (v & 0x70) >> 4;
      DECODE[u] = (short) ((v & 0x80) != 0 ? BIAS - t : t - BIAS);
    }
    for (int s = -32768; s <= 32767; s++) {
      ENCODE[s & 0xFFFF] = encodeSlow(s);
    }
  }

  private MuLaw() {}

  public static byte encode(short sample) {
    return ENCODE[sample & 0xFFFF];
  }

  public static short decode(byte mulaw) {
    return DECODE[mulaw & 0xFF];
  }

  /** Encodes {@code samples} little-endian 16-bit samples from {@code slin} into {@code out}. */
  public static void encodeLittleEndian(byte[] slin, int slinOffset, byte[] out, int outOffset, int samples) {
    for (int i = 0; i < samples; i++) {
      int lo = slin[slinOffset + 2 * i] & 0xFF;
      int hi = slin[slinOffset + 2 * i + 1] & 0xFF;
      out[outOffset + i] = ENCODE[(hi << 8) | lo];
    }
  }

  /** Decodes {@code samples} mu-law bytes into little-endian 16-bit samples. */
  public static void decodeLittleEndian(byte[] mulaw, int offset, byte[] slin, int slinOffset, int samples) {
    for (int i = 0; i < samples; i++) {
      short s = DECODE[mulaw[offset + i] & 0xFF];
      slin[slinOffset + 2 * i] = (byte) s;
      slin[slinOffset + 2 * i + 1] = (byte) (s >> 8);
    }
  }

  private static byte encodeSlow(int pcm) {
    int sign = (pcm >> 8) & 0x80;
    if (sign != 0) {
      pcm = -pcm;
    }
    if (pcm > CLIP) {
      pcm = CLIP;
    }
    pcm += BIAS;
    int exponent = 7;
    for (int mask = 0x4000; (pcm & mask) == 0 && exponent > 0; mask >>= 1) {
      exponent--;
    }
    int mantissa = (pcm >> (exponent + 3)) & 0x0F;
    return (byte) ~(sign | (exponent << 4) | mantissa);
  }
}
