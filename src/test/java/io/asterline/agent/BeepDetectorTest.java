package io.asterline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BeepDetectorTest {

  @Test
  void findsA1kHzBeepWhenItEnds() {
    BeepDetector d = new BeepDetector(200);
    assertThat(feed(d, noise(1000, 3000, 1))).isZero();
    assertThat(feed(d, tone(1000, 400, 8000))).as("not during the tone").isZero();
    assertThat(feed(d, silence(100))).isEqualTo(1);
  }

  @Test
  void findsABeepBetweenBands() {
    BeepDetector d = new BeepDetector(200);
    assertThat(feed(d, concat(tone(1012, 300, 6000), silence(40)))).isEqualTo(1);
  }

  @Test
  void ignoresShortTonesSpeechLikeSoundAndOtherFrequencies() {
    BeepDetector d = new BeepDetector(200);
    assertThat(feed(d, concat(tone(1000, 100, 8000), silence(40)))).as("a 100 ms blip").isZero();
    assertThat(feed(d, concat(harmonics(150, 2000), silence(40)))).as("voiced sound, 150 Hz pitch").isZero();
    assertThat(feed(d, concat(noise(2000, 8000, 7), silence(40)))).as("noise").isZero();
    assertThat(feed(d, concat(tone(440, 500, 8000), silence(40)))).as("a 440 Hz tone").isZero();
    assertThat(feed(d, concat(tone(1000, 500, 100), silence(40)))).as("too quiet").isZero();
  }

  private static int feed(BeepDetector d, short[] samples) {
    int beeps = 0;
    // in Asterisk-sized frames of 20 ms
    for (int off = 0; off < samples.length; off += 160) {
      ByteBuf b = Unpooled.buffer(320);
      for (int i = off; i < Math.min(samples.length, off + 160); i++) {
        b.writeShortLE(samples[i]);
      }
      if (d.feed(b)) {
        beeps++;
      }
      b.release();
    }
    return beeps;
  }

  static short[] tone(double hz, int millis, double amplitude) {
    short[] s = new short[millis * 8];
    for (int i = 0; i < s.length; i++) {
      s[i] = (short) (amplitude * Math.sin(2 * Math.PI * hz * i / 8000));
    }
    return s;
  }

  static short[] harmonics(double pitch, int millis) {
    short[] s = new short[millis * 8];
    for (int i = 0; i < s.length; i++) {
      double v = 0;
      for (int h = 1; h * pitch < 3800; h++) {
        v += 3000.0 / h * Math.sin(2 * Math.PI * h * pitch * i / 8000);
      }
      s[i] = (short) Math.max(-32768, Math.min(32767, v));
    }
    return s;
  }

  static short[] noise(int millis, int amplitude, long seed) {
    Random r = new Random(seed);
    short[] s = new short[millis * 8];
    for (int i = 0; i < s.length; i++) {
      s[i] = (short) (r.nextGaussian() * amplitude / 3);
    }
    return s;
  }

  static short[] silence(int millis) {
    return new short[millis * 8];
  }

  static short[] concat(short[] a, short[] b) {
    short[] r = new short[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
