package io.asterline.agent;

import io.asterline.realtime.MuLaw;
import io.netty.buffer.ByteBuf;

/**
 * Finds an answering machine's beep in 8 kHz caller audio: a steady, nearly pure tone around 1 kHz lasting a
 * few hundred milliseconds. Goertzel filters on 20 ms blocks measure how much of each block's energy sits in
 * one narrow band; speech spreads its energy over many harmonics and never stays pure for that long.
 * Reports the beep when the tone ends, which is when a message should start. Not thread-safe: one per call.
 */
public final class BeepDetector {

  private static final int RATE = 8000;
  private static final int BLOCK = 160;
  private static final double[] FREQUENCIES = new double[17];
  private static final double[] COEFFICIENTS = new double[FREQUENCIES.length];
  /** Share of a block's energy in one band for it to count as tone. */
  private static final double PURITY = 0.6;
  /** About -40 dBFS: quieter blocks are line noise, whatever their shape. */
  private static final double MIN_MEAN_SQUARE = 330.0 * 330.0;
  private static final double MAX_DRIFT_HZ = 60;

  static {
    // 800 to 1200 Hz in 25 Hz steps: the 50 Hz bins of a 20 ms block would lose tones between them
    for (int i = 0; i < FREQUENCIES.length; i++) {
      FREQUENCIES[i] = 800 + 25 * i;
      COEFFICIENTS[i] = 2 * Math.cos(2 * Math.PI * FREQUENCIES[i] / RATE);
    }
  }

  private final int minToneBlocks;
  private final short[] block = new short[BLOCK];
  private int filled;
  private int toneBlocks;
  private double toneFrequency;

  /** @param minToneMillis the shortest tone taken for a beep (a multiple of 20 ms is exact) */
  public BeepDetector(int minToneMillis) {
    this.minToneBlocks = Math.max(1, minToneMillis / 20);
  }

  /**
   * Feeds little-endian 16-bit samples (the buffer's reader index is not moved). Returns true once per beep,
   * at the first block after a long enough tone.
   */
  public boolean feed(ByteBuf slin) {
    boolean beep = false;
    int end = slin.readerIndex() + (slin.readableBytes() & ~1);
    for (int i = slin.readerIndex(); i < end; i += 2) {
      block[filled++] = slin.getShortLE(i);
      if (filled == BLOCK) {
        filled = 0;
        beep |= block();
      }
    }
    return beep;
  }

  /** Feeds G.711 µ-law bytes (the buffer's reader index is not moved); as {@link #feed}. */
  public boolean feedMulaw(ByteBuf mulaw) {
    boolean beep = false;
    int end = mulaw.readerIndex() + mulaw.readableBytes();
    for (int i = mulaw.readerIndex(); i < end; i++) {
      block[filled++] = MuLaw.decode(mulaw.getByte(i));
      if (filled == BLOCK) {
        filled = 0;
        beep |= block();
      }
    }
    return beep;
  }

  private boolean block() {
    double energy = 0;
    for (short s : block) {
      energy += (double) s * s;
    }
    double bestPurity = 0;
    double bestFrequency = 0;
    if (energy / BLOCK >= MIN_MEAN_SQUARE) {
      for (int f = 0; f < FREQUENCIES.length; f++) {
        double purity = 2 * goertzelPower(COEFFICIENTS[f]) / (BLOCK * energy);
        if (purity > bestPurity) {
          bestPurity = purity;
          bestFrequency = FREQUENCIES[f];
        }
      }
    }
    boolean tone = bestPurity >= PURITY
        && (toneBlocks == 0 || Math.abs(bestFrequency - toneFrequency) <= MAX_DRIFT_HZ);
    if (tone) {
      if (toneBlocks == 0) {
        toneFrequency = bestFrequency;
      }
      toneBlocks++;
      return false;
    }
    boolean wasBeep = toneBlocks >= minToneBlocks;
    toneBlocks = 0;
    return wasBeep;
  }

  private double goertzelPower(double coefficient) {
    double s1 = 0;
    double s2 = 0;
    for (short x : block) {
      double s0 = x + coefficient * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    return s1 * s1 + s2 * s2 - coefficient * s1 * s2;
  }
}
